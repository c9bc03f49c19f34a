// The ng commands, one row each: the name on the wire, the keys rtpengine's
// statistics count it under, the keys it cannot do without, and its
// handler. The dispatcher and the statistics iterate this table; a new
// command is a row and a handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "bencode/value.h"

namespace ngm::session {
struct Flags;
class CallStore;
class CallRegistry;
}  // namespace ngm::session

namespace ngm::control {

struct StatisticsSources;

// Keys a command requires; checked in this order (kRequiredKeys), the first
// missing one answered with rtpengine's error-reason for it.
enum RequiredKey : uint8_t {
    kNeedsCallId = 1 << 0,   // "No call-id in message"
    kNeedsFromTag = 1 << 1,  // "No from-tag in message"
    kNeedsSdp = 1 << 2,      // "No SDP body in message"
    kNeedsToTag = 1 << 3,    // "No to-tag in message"
};

// Where a command runs.
enum class RunsOn : uint8_t {
    ArrivalUnparsed,  // the receiving thread, before the flags are parsed (ping)
    Arrival,          // the receiving thread
    CallWorker,       // the worker that owns the call (by call-id)
};

struct CommandReply {
    bencode::Value value;
    bool error = false;
};

// What a handler works with; which pointers are set depends on RunsOn.
struct CommandContext {
    const session::Flags& flags;
    bencode::Document& doc;                         // holds the reply's strings
    session::CallStore* store = nullptr;            // CallWorker: the call's worker's calls
    session::CallRegistry* registry = nullptr;      // Arrival: all calls
    const StatisticsSources* statistics = nullptr;  // Arrival
};
using CommandHandler = CommandReply (*)(CommandContext&);

struct NgCommand {
    std::string_view name;  // as on the wire
    // rtpengine 10.5's statistics keys: intervalstatistics'
    // min/max/avg<intervalKey>delay and ...requestrate, controlstatistics'
    // <controlKey>count/duration and total<controlKey>count. Empty: no
    // column of its own (counted only in errorcount).
    std::string_view intervalKey, controlKey;
    uint8_t required;  // RequiredKey bits
    RunsOn runsOn;
    CommandHandler handler;  // null: "Command '…' is not implemented yet"
};

// All commands; those with statistics columns first, in rtpengine 10.5's
// order (its controlstatistics and intervalstatistics list them so).
std::span<const NgCommand> ngCommands();
// The number of commands with statistics columns (the first rows).
size_t countedCommands();
// The statistics column of `c`, or -1 when it has none.
int statisticsColumn(const NgCommand& c);
const NgCommand* findCommand(std::string_view name);
// The error-reason for the first key `c` requires that `f` lacks, or "".
std::string_view missingKey(const NgCommand& c, const session::Flags& f);

bencode::Value errorReply(bencode::Document& d, std::string_view reason);

}  // namespace ngm::control
