// Helpers shared by the bencode and JSON codecs (not part of the API).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ngm::bencode::detail {

inline constexpr uint64_t kInt64MaxMagnitude = uint64_t{1} << 63;  // |INT64_MIN|

inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// "'x'" for printable bytes, "0x1f" otherwise, so reasons stay one clean line.
inline std::string describeByte(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string{'\'', c, '\''};
    static constexpr char kHex[] = "0123456789abcdef";
    return std::string{'0', 'x', kHex[u >> 4], kHex[u & 15]};
}

// Bytes that stand for themselves inside a JSON string: printable ASCII
// other than '"' and '\'.
inline constexpr auto kJsonPlain = [] {
    struct Table {
        bool plain[256] = {};
    } t;
    for (int c = 0x20; c < 0x80; ++c) t.plain[c] = c != '"' && c != '\\';
    return t;
}();

// Length of the well-formed UTF-8 sequence at p, or 0 (encode.cpp).
size_t utf8SequenceLength(const unsigned char* p, size_t available);

}  // namespace ngm::bencode::detail
