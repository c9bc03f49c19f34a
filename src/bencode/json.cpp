// JSON decoder (RFC 8259) for ng over HTTP/WebSocket (untrusted input).
//
// Iterative with an explicit stack bounded by limits.maxDepth. Strings without
// escapes stay views into the input; escaped ones are unescaped into the
// Document arena. Strings must be valid UTF-8 (RFC 8259 §8.1), so every decoded
// string re-encodes unescaped and the JSON encoding is a fixed point.
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
// Bytes a string scan skips over.
constexpr auto& kStringPlain = detail::kJsonPlain;

// RFC 8259 §7: the byte each two-character escape stands for (0: not one).
constexpr auto kUnescape = [] {
    struct Table {
        char byte[256] = {};
    } t;
    t.byte[static_cast<unsigned char>('"')] = '"';
    t.byte[static_cast<unsigned char>('\\')] = '\\';
    t.byte[static_cast<unsigned char>('/')] = '/';
    t.byte[static_cast<unsigned char>('b')] = '\b';
    t.byte[static_cast<unsigned char>('f')] = '\f';
    t.byte[static_cast<unsigned char>('n')] = '\n';
    t.byte[static_cast<unsigned char>('r')] = '\r';
    t.byte[static_cast<unsigned char>('t')] = '\t';
    return t;
}();

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void appendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

class JsonParser {
  public:
    JsonParser(std::string_view in, Document& doc, const DecodeLimits& limits)
        : begin_(in.data()),
          p_(in.data()),
          end_(in.data() + in.size()),
          doc_(doc),
          limits_(limits) {}

    Result<void> parse(Value& root);

  private:
    struct Frame {
        Value* container;
        size_t start;  // offset of the '[' / '{'
        bool empty;    // nothing parsed in it yet
    };

    size_t offset(const char* at) const { return static_cast<size_t>(at - begin_); }

    Error fail(std::string_view what, const char* at) const {
        std::string r = "JSON: ";
        r.append(what);
        r.append(" at offset ");
        r.append(std::to_string(offset(at)));
        return Error{std::move(r)};
    }

    // RFC 8259 §2: insignificant whitespace.
    void skipWhitespace() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    Result<void> parseValue(Value& slot);
    Result<void> parseString(std::string_view& out);
    Result<void> unescapeString(const char* quote, std::string_view& out);
    Result<void> parseNumber(Value& slot);
    Result<void> parseLiteral(std::string_view word, Value value, Value& slot);

    const char* begin_;
    const char* p_;
    const char* end_;
    Document& doc_;
    const DecodeLimits& limits_;
    size_t items_ = 0;
    std::vector<Frame> stack_;
};

Result<void> JsonParser::parse(Value& root) {
    skipWhitespace();
    if (p_ == end_) return fail("empty input", p_);
    Value* slot = &root;
    for (;;) {
        if (auto r = parseValue(*slot); !r) return r;
        // Find the next slot to fill, closing finished containers.
        for (;;) {
            if (stack_.empty()) {
                skipWhitespace();
                if (p_ != end_) return fail("trailing data after top-level value", p_);
                return {};
            }
            Frame& top = stack_.back();
            const bool isList = top.container->isList();
            const char close = isList ? ']' : '}';
            skipWhitespace();
            if (p_ == end_)
                return fail(isList ? "unterminated array" : "unterminated object",
                            begin_ + top.start);
            if (*p_ == close && top.empty) {
                ++p_;
                stack_.pop_back();
                continue;
            }
            if (!top.empty) {
                if (*p_ == close) {
                    ++p_;
                    stack_.pop_back();
                    continue;
                }
                if (*p_ != ',')
                    return fail(
                        std::string(isList ? "expected ',' or ']'" : "expected ',' or '}'") +
                            ", found " + describeByte(*p_),
                        p_);
                ++p_;
                skipWhitespace();
                if (p_ == end_)
                    return fail(isList ? "unterminated array" : "unterminated object",
                                begin_ + top.start);
                if (*p_ == close) return fail("trailing comma", p_);
            }
            top.empty = false;
            if (isList) {
                slot = &top.container->items().emplace_back();
                break;
            }
            if (*p_ != '"')
                return fail("object key must be a string, found " + describeByte(*p_), p_);
            std::string_view key;
            if (auto r = parseString(key); !r) return r;
            skipWhitespace();
            if (p_ == end_) return fail("unterminated object", begin_ + top.start);
            if (*p_ != ':')
                return fail("expected ':' after object key, found " + describeByte(*p_), p_);
            ++p_;
            slot = &top.container->entries().emplace_back(key, Value()).second;
            break;
        }
    }
}

Result<void> JsonParser::parseValue(Value& slot) {
    skipWhitespace();
    if (p_ == end_) return fail("unexpected end of input", p_);
    if (++items_ > limits_.maxItems)
        return fail("more than " + std::to_string(limits_.maxItems) + " values", p_);
    switch (*p_) {
        case '{':
        case '[':
            if (stack_.size() >= limits_.maxDepth)
                return fail("nesting deeper than " + std::to_string(limits_.maxDepth), p_);
            slot = *p_ == '[' ? Value::list() : Value::dict();
            stack_.push_back(Frame{&slot, offset(p_), true});
            ++p_;
            return {};
        case '"': {
            std::string_view s;
            if (auto r = parseString(s); !r) return r;
            slot = Value::string(s);
            return {};
        }
        case 't':
            return parseLiteral("true", Value::integer(1), slot);
        case 'f':
            return parseLiteral("false", Value::integer(0), slot);
        case 'n':
            return parseLiteral("null", Value::string({}), slot);
        default:
            if (*p_ == '-' || isDigit(*p_)) return parseNumber(slot);
            return fail("unexpected byte " + describeByte(*p_), p_);
    }
}

Result<void> JsonParser::parseLiteral(std::string_view word, Value value, Value& slot) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word)
        return fail("invalid literal (expected " + std::string(word) + ")", p_);
    p_ += word.size();
    slot = std::move(value);
    return {};
}

// RFC 8259 §6. Integers that fit int64 become Integer; anything else keeps its
// text so no precision is lost on the way through.
Result<void> JsonParser::parseNumber(Value& slot) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
        negative = true;
        ++p_;
    }
    if (p_ == end_ || !isDigit(*p_)) return fail("expected digit in number", p_);
    const char* digits = p_;
    if (*p_ == '0') {
        ++p_;
        if (p_ != end_ && isDigit(*p_)) return fail("number with leading zero", start);
    } else {
        while (p_ != end_ && isDigit(*p_)) ++p_;
    }
    const char* digitsEnd = p_;
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
        ++p_;
        if (p_ == end_ || !isDigit(*p_)) return fail("expected digit after decimal point", p_);
        while (p_ != end_ && isDigit(*p_)) ++p_;
        integral = false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
        ++p_;
        if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
        if (p_ == end_ || !isDigit(*p_)) return fail("expected digit in exponent", p_);
        while (p_ != end_ && isDigit(*p_)) ++p_;
        integral = false;
    }
    if (integral) {
        const uint64_t limit = negative ? kInt64MaxMagnitude : kInt64MaxMagnitude - 1;
        uint64_t magnitude = 0;
        bool fits = true;
        for (const char* d = digits; d != digitsEnd && fits; ++d) {
            auto digit = static_cast<uint64_t>(*d - '0');
            fits = magnitude <= (limit - digit) / 10;
            magnitude = magnitude * 10 + digit;
        }
        if (fits) {
            slot = Value::integer(static_cast<int64_t>(negative ? 0 - magnitude : magnitude));
            return {};
        }
    }
    slot = Value::string(std::string_view(start, static_cast<size_t>(p_ - start)));
    return {};
}

// p_ is at the opening quote. Fast path: a run with no escapes is returned as
// a view into the input.
Result<void> JsonParser::parseString(std::string_view& out) {
    const char* quote = p_;
    ++p_;
    for (;;) {
        while (p_ != end_ && kStringPlain.plain[static_cast<unsigned char>(*p_)]) ++p_;
        if (p_ == end_) return fail("unterminated string", quote);
        auto c = static_cast<unsigned char>(*p_);
        if (c == '"') {
            out = std::string_view(quote + 1, static_cast<size_t>(p_ - quote - 1));
            ++p_;
            return {};
        }
        if (c == '\\') return unescapeString(quote, out);
        if (c < 0x20)
            return fail("unescaped control character " + describeByte(*p_) + " in string", p_);
        size_t n = detail::utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                              static_cast<size_t>(end_ - p_));
        if (n == 0) return fail("invalid UTF-8 in string", p_);
        p_ += n;
    }
}

// Slow path, p_ at the first backslash: copy into a buffer, resolving escapes
// (RFC 8259 §7), and intern the result.
Result<void> JsonParser::unescapeString(const char* quote, std::string_view& out) {
    std::string buf(quote + 1, p_);
    buf.reserve(buf.size() + 32);
    for (;;) {
        const char* run = p_;
        while (p_ != end_ && kStringPlain.plain[static_cast<unsigned char>(*p_)]) ++p_;
        buf.append(run, p_);
        if (p_ == end_) return fail("unterminated string", quote);
        auto c = static_cast<unsigned char>(*p_);
        if (c == '"') {
            ++p_;
            out = doc_.intern(std::move(buf));
            return {};
        }
        if (c < 0x20)
            return fail("unescaped control character " + describeByte(*p_) + " in string", p_);
        if (c >= 0x80) {
            size_t n = detail::utf8SequenceLength(reinterpret_cast<const unsigned char*>(p_),
                                                  static_cast<size_t>(end_ - p_));
            if (n == 0) return fail("invalid UTF-8 in string", p_);
            buf.append(p_, n);
            p_ += n;
            continue;
        }
        // Backslash.
        const char* escape = p_;
        ++p_;
        if (p_ == end_) return fail("unterminated string", quote);
        char e = *p_++;
        if (e != 'u') {
            char c2 = kUnescape.byte[static_cast<unsigned char>(e)];
            if (c2 == 0)
                return fail("invalid escape " + describeByte(e) + " after backslash", escape);
            buf.push_back(c2);
            continue;
        }
        auto readHex4 = [&](uint32_t& cp) {
            if (end_ - p_ < 4) return false;
            cp = 0;
            for (int i = 0; i < 4; ++i) {
                int h = hexValue(p_[i]);
                if (h < 0) return false;
                cp = cp << 4 | static_cast<uint32_t>(h);
            }
            p_ += 4;
            return true;
        };
        uint32_t cp = 0;
        if (!readHex4(cp)) return fail("invalid \\u escape (need 4 hex digits)", escape);
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return fail("unpaired low surrogate in \\u escape", escape);
        if (cp >= 0xd800 && cp <= 0xdbff) {
            // RFC 8259 §7: characters beyond the BMP are a surrogate pair.
            uint32_t low = 0;
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
                return fail("unpaired high surrogate in \\u escape", escape);
            p_ += 2;
            if (!readHex4(low)) return fail("invalid \\u escape (need 4 hex digits)", p_ - 2);
            if (low < 0xdc00 || low > 0xdfff)
                return fail("unpaired high surrogate in \\u escape", escape);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(cp, buf);
    }
}

}  // namespace

Result<void> decodeJson(std::string_view in, Document& doc, const DecodeLimits& limits) {
    JsonParser parser(in, doc, limits);
    auto r = parser.parse(doc.root);
    if (!r) doc.root = Value();  // never hand out a half-built tree
    return r;
}

}  // namespace ngm::bencode
