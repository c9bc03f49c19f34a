// Framing of ng messages on a byte stream (TCP): where one bencode or JSON
// message ends, found by scanning its structure without decoding it.
//
// Each scanner looks at the bytes received so far and answers one of three
// things: the length of the complete message at the start of `in` (bytes
// after it belong to the next message), 0 while more input is needed, or an
// Error when no continuation can make it a message.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace ngm::bencode {

// Deeper nesting than this ends the framing with an error (twice what the
// dispatcher decodes, so that it, not the framing, rejects 33 to 64 levels
// with an error reply). A bound above 256 counts as 256.
inline constexpr size_t kMaxFramingDepth = 64;

// One bencode value, in the grammar decode() accepts: given decode() the
// same depth bound and no item bound, what this frames decodes and what
// decode() accepts this frames. String lengths of more than 9 digits are an
// error here (they announce a gigabyte).
Result<size_t> bencodeExtent(std::string_view in, size_t maxDepth = kMaxFramingDepth);
// One JSON object (or array), leading whitespace allowed. Only structure is
// checked (strings, escapes, matching brackets); content errors are left to
// decodeJson(), so a framed message may still fail to decode.
Result<size_t> jsonExtent(std::string_view in, size_t maxDepth = kMaxFramingDepth);
// An ng message body is JSON when its first non-whitespace byte is '{',
// bencode otherwise: the one rule the dispatcher (decoder and reply
// encoding) and the framing below both follow.
bool isJsonMessage(std::string_view body);
// The extent of an ng message body, by that rule.
Result<size_t> messageExtent(std::string_view body);

}  // namespace ngm::bencode
