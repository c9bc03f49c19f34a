// Decodes the keys of an ng request dictionary into session::Flags.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bencode/value.h"
#include "session/flags.h"

namespace ngm::control {

// Returns the error-reason for a value of the wrong type or an invalid
// value, or nullopt when the dictionary was understood.
std::optional<std::string> parseFlags(const bencode::Value& dict, session::Flags& out);

// The `media echo` mode a value names, in its long form ("forward",
// "backwards", "both", "blackhole"), or "" for a value rtpengine 10.5 does
// not know (short forms such as "fwd" or "reverse" included).
std::string_view mediaEchoMode(std::string_view value);

}  // namespace ngm::control
