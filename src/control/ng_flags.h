// Decodes the keys of an ng request dictionary into session::Flags.
#pragma once

#include <optional>
#include <string>

#include "bencode/value.h"
#include "session/flags.h"

namespace ngm::control {

// Returns the error-reason for a value of the wrong type or an invalid
// value, or nullopt when the dictionary was understood.
std::optional<std::string> parseFlags(const bencode::Value& dict, session::Flags& out);

}  // namespace ngm::control
