// Bencode decoder for ng control messages (untrusted input).
//
// Iterative: nesting lives in an explicit stack bounded by limits.maxDepth, so
// hostile input cannot exhaust the call stack whatever the limit is set to.
// Only canonical bencode is accepted (no leading zeros, no "-0"), so a decoded
// message re-encodes to exactly its input bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "bencode/detail.h"
#include "bencode/value.h"

namespace ngm::bencode {
namespace {

using detail::describeByte;
using detail::isDigit;
using detail::kInt64MaxMagnitude;

class BencodeParser {
  public:
    BencodeParser(std::string_view in, const DecodeLimits& limits)
        : begin_(in.data()), p_(in.data()), end_(in.data() + in.size()), limits_(limits) {}

    Result<void> parse(Value& root);

  private:
    struct Frame {
        Value* container;
        size_t start;  // offset of the 'l' / 'd', for "unterminated" reasons
    };

    size_t offset(const char* at) const { return static_cast<size_t>(at - begin_); }

    Error fail(std::string_view what, const char* at) const {
        std::string r = "bencode: ";
        r.append(what);
        r.append(" at offset ");
        r.append(std::to_string(offset(at)));
        return Error{std::move(r)};
    }

    Result<void> parseValue(Value& slot);
    Result<void> parseInteger(Value& slot);
    Result<void> parseString(std::string_view& out);

    const char* begin_;
    const char* p_;
    const char* end_;
    const DecodeLimits& limits_;
    size_t items_ = 0;
    std::vector<Frame> stack_;
};

Result<void> BencodeParser::parse(Value& root) {
    if (p_ == end_) return Error{"bencode: empty input"};
    Value* slot = &root;
    for (;;) {
        if (auto r = parseValue(*slot); !r) return r;
        // Find the next slot to fill, closing finished containers.
        for (;;) {
            if (stack_.empty()) {
                if (p_ != end_) return fail("trailing data after top-level value", p_);
                return {};
            }
            Frame& top = stack_.back();
            if (p_ == end_) {
                bool isList = top.container->isList();
                return fail(isList ? "unterminated list" : "unterminated dictionary",
                            begin_ + top.start);
            }
            if (*p_ == 'e') {
                ++p_;
                stack_.pop_back();
                continue;
            }
            if (top.container->isList()) {
                slot = &top.container->items().emplace_back();
                break;
            }
            if (!isDigit(*p_)) {
                if (*p_ == '-') return fail("negative string length", p_);
                return fail("dictionary key must be a string, found " + describeByte(*p_), p_);
            }
            std::string_view key;
            if (auto r = parseString(key); !r) return r;
            if (p_ == end_) return fail("dictionary key without value", p_);
            if (*p_ == 'e') return fail("dictionary key without value", p_);
            slot = &top.container->entries().emplace_back(key, Value()).second;
            break;
        }
    }
}

Result<void> BencodeParser::parseValue(Value& slot) {
    if (p_ == end_) return fail("unexpected end of input", p_);
    if (++items_ > limits_.maxItems)
        return fail("more than " + std::to_string(limits_.maxItems) + " values", p_);
    char c = *p_;
    if (isDigit(c)) {
        std::string_view s;
        if (auto r = parseString(s); !r) return r;
        slot = Value::string(s);
        return {};
    }
    switch (c) {
        case 'i':
            return parseInteger(slot);
        case 'l':
        case 'd':
            if (stack_.size() >= limits_.maxDepth)
                return fail("nesting deeper than " + std::to_string(limits_.maxDepth), p_);
            slot = c == 'l' ? Value::list() : Value::dict();
            stack_.push_back(Frame{&slot, offset(p_)});
            ++p_;
            return {};
        case '-':
            return fail("negative string length", p_);
        default:
            return fail("unexpected byte " + describeByte(c), p_);
    }
}

// i<decimal>e, canonical: no empty digits, no leading zeros, no "-0".
Result<void> BencodeParser::parseInteger(Value& slot) {
    const char* start = p_;
    ++p_;  // 'i'
    bool negative = false;
    if (p_ != end_ && *p_ == '-') {
        negative = true;
        ++p_;
    }
    if (p_ == end_) return fail("unterminated integer", start);
    if (!isDigit(*p_)) {
        if (*p_ == 'e') return fail(negative ? "integer without digits" : "empty integer", start);
        return fail("unexpected byte " + describeByte(*p_) + " in integer", p_);
    }
    if (*p_ == '0') {
        if (p_ + 1 != end_ && isDigit(p_[1])) return fail("integer with leading zero", start);
        if (negative) return fail("negative zero integer", start);
    }
    const uint64_t limit = negative ? kInt64MaxMagnitude : kInt64MaxMagnitude - 1;
    uint64_t magnitude = 0;
    while (p_ != end_ && isDigit(*p_)) {
        auto digit = static_cast<uint64_t>(*p_ - '0');
        if (magnitude > (limit - digit) / 10) return fail("integer overflows int64", start);
        magnitude = magnitude * 10 + digit;
        ++p_;
    }
    if (p_ == end_) return fail("unterminated integer", start);
    if (*p_ != 'e') return fail("unexpected byte " + describeByte(*p_) + " in integer", p_);
    ++p_;
    // Unsigned negation is modular; the conversion back to int64 is exact (C++20).
    slot = Value::integer(static_cast<int64_t>(negative ? 0 - magnitude : magnitude));
    return {};
}

// <length>:<bytes>. The length is never trusted beyond the remaining input, and
// accumulation stops as soon as it exceeds it, so huge prefixes cannot overflow.
Result<void> BencodeParser::parseString(std::string_view& out) {
    const char* start = p_;
    if (*p_ == '0' && p_ + 1 != end_ && isDigit(p_[1]))
        return fail("string length with leading zero", start);
    const auto available = static_cast<uint64_t>(end_ - p_);
    uint64_t length = 0;
    bool tooLong = false;
    while (p_ != end_ && isDigit(*p_)) {
        if (!tooLong) {
            length = length * 10 + static_cast<uint64_t>(*p_ - '0');
            tooLong = length > available;
        }
        ++p_;
    }
    if (p_ == end_) return fail("unterminated string length", start);
    if (*p_ != ':')
        return fail("unexpected byte " + describeByte(*p_) + " after string length", p_);
    ++p_;
    if (tooLong || length > static_cast<uint64_t>(end_ - p_))
        return fail("string length exceeds remaining input", start);
    out = std::string_view(p_, static_cast<size_t>(length));
    p_ += length;
    return {};
}

}  // namespace

Result<void> decode(std::string_view in, Document& doc, const DecodeLimits& limits) {
    BencodeParser parser(in, limits);
    auto r = parser.parse(doc.root);
    if (!r) doc.root = Value();  // never hand out a half-built tree
    return r;
}

}  // namespace ngm::bencode
