// The framing scanners. They run on every read of a TCP connection, so they
// allocate nothing (the nesting stack is a fixed array) and stop at the first
// byte that decides.
#include "bencode/framing.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "bencode/detail.h"

namespace ngm::bencode {

namespace {

using detail::describeByte;
using detail::isDigit;
using detail::kInt64MaxMagnitude;

// The scanners' nesting stack lives on the stack; deeper bounds are capped.
constexpr size_t kStackCap = 256;

Error framingError(std::string_view syntax, std::string_view what, size_t at) {
    std::string r(syntax);
    r.append(": ");
    r.append(what);
    r.append(" at offset ");
    r.append(std::to_string(at));
    return Error{std::move(r)};
}

// Bencode, with the grammar decode() accepts: canonical integers that fit
// int64, string lengths without leading zeros, dictionary keys that are
// strings and each followed by a value. So a framed message decodes, and
// anything decode() accepts is framed. Unlike decode() it cannot count
// values (no item bound), and it takes string lengths of at most 9 digits:
// a longer one announces a gigabyte, far past what a listener buffers.
class BencodeScanner {
  public:
    BencodeScanner(std::string_view in, size_t maxDepth)
        : in_(in), maxDepth_(std::min(maxDepth, kStackCap)) {}

    Result<size_t> scan();

  private:
    // What the innermost open container expects next.
    enum class Slot : uint8_t { ListItem, DictKey, DictValue };
    // Scans one scalar at i_; 0 (i_ unchanged) if the input ends inside it.
    Result<size_t> scalar();
    Result<size_t> integer();
    Result<size_t> string();
    Error fail(std::string_view what, size_t at) const { return framingError("bencode", what, at); }

    std::string_view in_;
    size_t maxDepth_;
    size_t i_ = 0;
    size_t depth_ = 0;
    std::array<Slot, kStackCap> stack_{};
};

Result<size_t> BencodeScanner::scan() {
    for (;;) {
        if (i_ == in_.size()) return 0;
        const char c = in_[i_];
        Slot* top = depth_ ? &stack_[depth_ - 1] : nullptr;
        if (c == 'e' && top) {
            if (*top == Slot::DictValue) return fail("dictionary key without value", i_);
            ++i_;
            --depth_;
        } else if (top && *top == Slot::DictKey && !isDigit(c)) {
            if (c == '-') return fail("negative string length", i_);
            return fail("dictionary key must be a string, found " + describeByte(c), i_);
        } else if (c == 'l' || c == 'd') {
            if (depth_ >= maxDepth_)
                return fail("nesting deeper than " + std::to_string(maxDepth_), i_);
            stack_[depth_++] = c == 'l' ? Slot::ListItem : Slot::DictKey;
            ++i_;
            continue;  // no value complete yet
        } else {
            auto r = scalar();
            if (!r || *r == 0) return r;
        }
        // A value ended at i_: the whole message, or one more in its container.
        if (depth_ == 0) return i_;
        Slot& parent = stack_[depth_ - 1];
        if (parent == Slot::DictKey)
            parent = Slot::DictValue;
        else if (parent == Slot::DictValue)
            parent = Slot::DictKey;
    }
}

Result<size_t> BencodeScanner::scalar() {
    const char c = in_[i_];
    if (c == 'i') return integer();
    if (isDigit(c)) return string();
    if (c == '-') return fail("negative string length", i_);
    return fail("unexpected byte " + describeByte(c), i_);
}

// i<decimal>e, canonical as decode() wants it: digits, no leading zero, no
// "-0", within int64.
Result<size_t> BencodeScanner::integer() {
    const size_t start = i_;
    size_t p = i_ + 1;
    bool negative = p < in_.size() && in_[p] == '-';
    if (negative) ++p;
    if (p == in_.size()) return 0;
    if (!isDigit(in_[p])) {
        if (in_[p] == 'e')
            return fail(negative ? "integer without digits" : "empty integer", start);
        return fail("unexpected byte " + describeByte(in_[p]) + " in integer", p);
    }
    if (in_[p] == '0') {
        if (p + 1 < in_.size() && isDigit(in_[p + 1]))
            return fail("integer with leading zero", start);
        if (negative) return fail("negative zero integer", start);
    }
    const uint64_t limit = negative ? kInt64MaxMagnitude : kInt64MaxMagnitude - 1;
    uint64_t magnitude = 0;
    for (; p < in_.size() && isDigit(in_[p]); ++p) {
        auto digit = static_cast<uint64_t>(in_[p] - '0');
        if (magnitude > (limit - digit) / 10) return fail("integer overflows int64", start);
        magnitude = magnitude * 10 + digit;
    }
    if (p == in_.size()) return 0;
    if (in_[p] != 'e') return fail("unexpected byte " + describeByte(in_[p]) + " in integer", p);
    i_ = p + 1;
    return i_;
}

// <length>:<bytes>.
Result<size_t> BencodeScanner::string() {
    constexpr size_t kMaxLengthDigits = 9;
    const size_t start = i_;
    if (in_[i_] == '0' && i_ + 1 < in_.size() && isDigit(in_[i_ + 1]))
        return fail("string length with leading zero", start);
    size_t p = i_;
    size_t length = 0;
    for (; p < in_.size() && isDigit(in_[p]); ++p) {
        if (p - start == kMaxLengthDigits)
            return fail("string length of more than 9 digits", start);
        length = length * 10 + static_cast<size_t>(in_[p] - '0');
    }
    if (p == in_.size()) return 0;
    if (in_[p] != ':')
        return fail("unexpected byte " + describeByte(in_[p]) + " after string length", p);
    ++p;
    if (length > in_.size() - p) return 0;
    i_ = p + length;
    return i_;
}

// JSON: structure only. Strings (with their escapes) are skipped, brackets
// must pair up; numbers, literals, commas, colons, escapes and UTF-8 are
// left to decodeJson(), which rejects what is wrong there. That is enough
// to end the message where the decoder's value ends.
Result<size_t> scanJson(std::string_view in, size_t maxDepth) {
    maxDepth = std::min(maxDepth, kStackCap);
    auto fail = [](std::string_view what, size_t at) { return framingError("JSON", what, at); };
    std::array<char, kStackCap> closers{};  // the bracket each open one needs
    size_t depth = 0;
    size_t i = 0;
    for (; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '"') {
            if (depth == 0) return fail("expected '{' or '[', found '\"'", i);
            // Skip to the closing quote; a backslash takes the next byte with it.
            for (++i; i < in.size() && in[i] != '"'; ++i)
                if (in[i] == '\\') ++i;
            if (i >= in.size()) return 0;
        } else if (c == '{' || c == '[') {
            if (depth >= maxDepth)
                return fail("nesting deeper than " + std::to_string(maxDepth), i);
            closers[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || closers[depth - 1] != c)
                return fail("unexpected byte " + describeByte(c), i);
            if (--depth == 0) return i + 1;
        } else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            return fail("expected '{' or '[', found " + describeByte(c), i);
        }
    }
    return 0;
}

}  // namespace

Result<size_t> bencodeExtent(std::string_view in, size_t maxDepth) {
    return BencodeScanner(in, maxDepth).scan();
}

Result<size_t> jsonExtent(std::string_view in, size_t maxDepth) { return scanJson(in, maxDepth); }

bool isJsonMessage(std::string_view body) {
    size_t lead = body.find_first_not_of(" \t\r\n");
    return lead != std::string_view::npos && body[lead] == '{';
}

Result<size_t> messageExtent(std::string_view body) {
    return isJsonMessage(body) ? jsonExtent(body) : bencodeExtent(body);
}

}  // namespace ngm::bencode
