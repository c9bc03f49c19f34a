// Framing of ng messages on a byte stream (TCP): where one bencode or JSON
// message ends, found by scanning its structure without decoding it.
#pragma once

#include <cstddef>
#include <string_view>

namespace ngm::bencode {

// Length of the complete bencode value at the start of `in`, 0 if more
// input is needed, -1 if it can never be valid.
long bencodeExtent(std::string_view in, size_t maxDepth = 64);
// The same for a JSON object (leading whitespace allowed).
long jsonExtent(std::string_view in, size_t maxDepth = 64);

}  // namespace ngm::bencode
