// Bencode and JSON encoders for ng replies.
//
// Encoders recurse over the value tree: decoded trees are bounded by
// DecodeLimits::maxDepth and built replies are shallow.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#include "bencode/detail.h"
#include "bencode/value.h"

namespace ngm::bencode {
namespace detail {

// Length (2..4) of the well-formed UTF-8 sequence starting at p, whose first
// byte is >= 0x80, or 0 when it is not one (RFC 3629 §4: no overlongs, no
// surrogates, nothing above U+10FFFF). Shared with the JSON decoder so both
// agree on what passes through unescaped.
size_t utf8SequenceLength(const unsigned char* p, size_t available) {
    auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
        return i < available && p[i] >= lo && p[i] <= hi;
    };
    unsigned char b = p[0];
    if (b >= 0xc2 && b <= 0xdf) return cont(1, 0x80, 0xbf) ? 2 : 0;
    if (b >= 0xe0 && b <= 0xef) {
        unsigned char lo = b == 0xe0 ? 0xa0 : 0x80;
        unsigned char hi = b == 0xed ? 0x9f : 0xbf;
        return cont(1, lo, hi) && cont(2, 0x80, 0xbf) ? 3 : 0;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        unsigned char lo = b == 0xf0 ? 0x90 : 0x80;
        unsigned char hi = b == 0xf4 ? 0x8f : 0xbf;
        return cont(1, lo, hi) && cont(2, 0x80, 0xbf) && cont(3, 0x80, 0xbf) ? 4 : 0;
    }
    return 0;
}

}  // namespace detail

namespace {

size_t decimalLength(int64_t v) {
    // Magnitude as unsigned so INT64_MIN needs no special case.
    uint64_t m = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    size_t n = v < 0 ? 2 : 1;
    while (m >= 10) {
        m /= 10;
        ++n;
    }
    return n;
}

// ---- bencode: exact size first, then one resize and straight writes ----

size_t bencodeSize(const Value& v) {
    switch (v.type()) {
        case Value::Type::String:
            return decimalLength(static_cast<int64_t>(v.str().size())) + 1 + v.str().size();
        case Value::Type::Integer:
            return decimalLength(v.integer()) + 2;
        case Value::Type::List: {
            size_t n = 2;
            for (const auto& item : v.items()) n += bencodeSize(item);
            return n;
        }
        case Value::Type::Dict: {
            size_t n = 2;
            for (const auto& [key, value] : v.entries())
                n += decimalLength(static_cast<int64_t>(key.size())) + 1 + key.size() +
                     bencodeSize(value);
            return n;
        }
    }
    return 0;
}

char* writeBencodeString(std::string_view s, char* w) {
    w = std::to_chars(w, w + 20, s.size()).ptr;
    *w++ = ':';
    if (!s.empty()) std::memcpy(w, s.data(), s.size());
    return w + s.size();
}

char* writeBencode(const Value& v, char* w) {
    switch (v.type()) {
        case Value::Type::String:
            return writeBencodeString(v.str(), w);
        case Value::Type::Integer:
            *w++ = 'i';
            w = std::to_chars(w, w + 20, v.integer()).ptr;
            *w++ = 'e';
            return w;
        case Value::Type::List:
            *w++ = 'l';
            for (const auto& item : v.items()) w = writeBencode(item, w);
            *w++ = 'e';
            return w;
        case Value::Type::Dict:
            *w++ = 'd';
            for (const auto& [key, value] : v.entries()) {
                w = writeBencodeString(key, w);
                w = writeBencode(value, w);
            }
            *w++ = 'e';
            return w;
    }
    return w;
}

// ---- JSON ----

// Bytes outside detail::kJsonPlain take the slow path in appendJsonString.
using detail::kJsonPlain;

// RFC 8259 §7: the two-character escapes; other control bytes use \u00XX.
constexpr auto kJsonShortEscape = [] {
    struct Table {
        char letter[256] = {};
    } t;
    t.letter[static_cast<unsigned char>('"')] = '"';
    t.letter[static_cast<unsigned char>('\\')] = '\\';
    t.letter[static_cast<unsigned char>('\b')] = 'b';
    t.letter[static_cast<unsigned char>('\f')] = 'f';
    t.letter[static_cast<unsigned char>('\n')] = 'n';
    t.letter[static_cast<unsigned char>('\r')] = 'r';
    t.letter[static_cast<unsigned char>('\t')] = 't';
    return t;
}();

void appendJsonString(std::string_view s, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    out.push_back('"');
    while (p != end) {
        const auto* run = p;
        while (p != end && kJsonPlain.plain[*p]) ++p;
        out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
        if (p == end) break;
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t n = detail::utf8SequenceLength(p, static_cast<size_t>(end - p));
            if (n != 0) {
                out.append(reinterpret_cast<const char*>(p), n);
                p += n;
                continue;
            }
            // Not UTF-8: keep the byte's value visible and the output valid JSON.
        }
        ++p;
        if (char esc = kJsonShortEscape.letter[c]; esc != 0) {
            const char pair[2] = {'\\', esc};
            out.append(pair, 2);
        } else {
            const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
            out.append(u, 6);
        }
    }
    out.push_back('"');
}

void appendJson(const Value& v, std::string& out) {
    switch (v.type()) {
        case Value::Type::String:
            appendJsonString(v.str(), out);
            return;
        case Value::Type::Integer: {
            char buf[24];
            out.append(buf, std::to_chars(buf, buf + sizeof buf, v.integer()).ptr);
            return;
        }
        case Value::Type::List: {
            out.push_back('[');
            bool first = true;
            for (const auto& item : v.items()) {
                if (!first) out.push_back(',');
                first = false;
                appendJson(item, out);
            }
            out.push_back(']');
            return;
        }
        case Value::Type::Dict: {
            out.push_back('{');
            bool first = true;
            for (const auto& [key, value] : v.entries()) {
                if (!first) out.push_back(',');
                first = false;
                appendJsonString(key, out);
                out.push_back(':');
                appendJson(value, out);
            }
            out.push_back('}');
            return;
        }
    }
}

}  // namespace

void encode(const Value& v, std::string& out) {
    const size_t old = out.size();
    const size_t n = bencodeSize(v);
    out.resize(old + n);
    writeBencode(v, out.data() + old);
}

void encodeJson(const Value& v, std::string& out) {
    // The bencode size is a cheap, close estimate (quotes and separators vs.
    // length prefixes); escapes may still grow the string past it.
    const size_t estimate = bencodeSize(v);
    out.reserve(out.size() + estimate + estimate / 8 + 16);
    appendJson(v, out);
}

}  // namespace ngm::bencode
