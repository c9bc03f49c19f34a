// Decodes the keys of an ng request dictionary into session::Flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bencode/value.h"
#include "common/result.h"
#include "session/flags.h"

namespace ngm::control {

// Fills `out` from an ng request's dictionary; an error's reason (the ng
// `error-reason`) names a value of the wrong type or an invalid value.
Result<void> parseFlags(const bencode::Value& dict, session::Flags& out);

// The `media echo` mode a value names, in its long form ("forward",
// "backwards", "both", "blackhole"), or "" for a value rtpengine 10.5 does
// not know (short forms such as "fwd" or "reverse" included).
std::string_view mediaEchoMode(std::string_view value);

// The tables behind parseFlags, for tests that walk them.
namespace detail {

// What an ng key takes, and what becomes of a value of another type.
enum class ValueKind : uint8_t {
    Tag,      // a string; any other type counts as not given
    Text,     // a string, or an integer taken as its decimal text
    Integer,  // an integer, or a string holding one
    Address,  // Text holding an IP address
    List,     // a list of strings; any other type is ignored
    Dict,     // a dictionary; any other type is ignored
    Any,      // checked by the key's own decoder
};

struct KeyRow {
    std::vector<std::string_view> names;  // normalised: words separated by spaces
    ValueKind kind;
};
// One entry per row of the ng key table, in table order.
std::vector<KeyRow> keyTable();
// One entry per row of the `flags` table (the spellings of each plain flag).
std::vector<std::vector<std::string_view>> flagTable();
// The row a key or flag finds, spelled as an ng message may spell it; -1 if none.
int findKey(std::string_view rawKey);
int findFlag(std::string_view rawFlag);

}  // namespace detail

}  // namespace ngm::control
