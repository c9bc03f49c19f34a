#include "control/ng_commands.h"

#include <iterator>
#include <string>
#include <vector>

#include "control/ng_query.h"
#include "control/ng_statistics.h"
#include "session/call_store.h"
#include "session/registry.h"

namespace ngm::control {

using bencode::Document;
using bencode::Value;
using session::CommandResult;

Value errorReply(Document& d, std::string_view reason) {
    Value r = Value::dict();
    r.add("result", Value::string("error"));
    r.add("error-reason", Value::string(d.intern(reason)));
    return r;
}

namespace {

CommandReply ping(CommandContext&) {
    Value r = Value::dict();
    r.add("result", Value::string("pong"));
    return {std::move(r), false};
}

CommandReply statistics(CommandContext& c) {
    return {buildStatistics(*c.statistics, c.doc), false};
}

CommandReply list(CommandContext& c) {
    if (c.flags.limit < 0) return {errorReply(c.doc, "invalid limit, must be >= 0"), true};
    std::vector<std::string> ids = c.registry->list((size_t)c.flags.limit);
    Value r = Value::dict();
    Value& calls = r.add("calls", Value::list());
    for (auto& id : ids) calls.push(Value::string(c.doc.intern(std::move(id))));
    r.add("result", Value::string("ok"));
    return {std::move(r), false};
}

CommandReply query(CommandContext& c) {
    session::Call* call = c.store->find(c.flags.callId);
    if (!call) return {errorReply(c.doc, "Unknown call-id"), true};
    Value r = Value::dict();
    encodeCallDetails(*call, c.flags, r, c.doc);
    r.add("result", Value::string("ok"));
    return {std::move(r), false};
}

// What an ok reply of a call command carries besides the result.
enum class Carries {
    Sdp,                 // the rewritten SDP, when one was given
    SdpAndIgnoredFlags,  // and a warning naming the flags not implemented yet
    Nothing,             // the result (and warning) only
};

CommandReply resultReply(CommandContext& c, CommandResult res, Carries carries) {
    const session::Flags& f = c.flags;
    Document& rep = c.doc;
    Value r = Value::dict();
    if (!res) {
        const Error& e = res.error();
        if (e.kind != Error::Kind::Overload) return {errorReply(rep, e.reason), true};
        // `load limit` only for a client that said it understands it; the
        // others get the session limit's error whichever limit it was, as
        // rtpengine 10.5 replies.
        if (!f.loadLimitSupported) return {errorReply(rep, "Parallel session limit reached"), true};
        r.add("result", Value::string("load limit"));
        r.add("message", Value::string(rep.intern(e.reason)));
        return {std::move(r), false};
    }
    if (carries != Carries::Nothing && !f.sdp.empty() && !f.fragment) {
        // A trickle update (`fragment`) is answered without SDP (as 10.5).
        r.add("sdp", Value::string(rep.intern(std::move(res->sdp))));
    }
    std::string warning = res->warning;
    if (!f.notImplemented.empty() && carries == Carries::SdpAndIgnoredFlags) {
        std::string w = "Not implemented yet, ignored:";
        for (const auto& n : f.notImplemented) w += " " + n + ";";
        w.pop_back();
        warning = warning.empty() ? w : warning + "; " + w;
    }
    if (!warning.empty()) r.add("warning", Value::string(rep.intern(warning)));
    r.add("result", Value::string("ok"));
    return {std::move(r), false};
}

CommandReply offer(CommandContext& c) {
    return resultReply(c, c.store->offer(c.flags), Carries::SdpAndIgnoredFlags);
}
CommandReply answer(CommandContext& c) {
    return resultReply(c, c.store->answer(c.flags), Carries::SdpAndIgnoredFlags);
}
CommandReply deleteCall(CommandContext& c) {
    // The details are taken before the delete: one at once takes the call.
    Value details = Value::dict();
    if (session::Call* call = c.flags.fromTag.empty() ? nullptr : c.store->find(c.flags.callId))
        encodeCallDetails(*call, c.flags, details, c.doc);
    session::CommandResult res = c.store->deleteCall(c.flags);
    if (!res || !res->withDetails) return resultReply(c, std::move(res), Carries::Nothing);
    std::string warning = std::move(res->warning);
    if (!warning.empty()) details.add("warning", Value::string(c.doc.intern(warning)));
    details.add("result", Value::string("ok"));
    return {std::move(details), false};
}

using Control = session::CallStore::Control;
template <Control control, bool on>
CommandReply mediaControl(CommandContext& c) {
    return resultReply(c, c.store->mediaControl(c.flags, control, on), Carries::Sdp);
}
constexpr CommandHandler blockDtmf = mediaControl<Control::BlockDtmf, true>;
constexpr CommandHandler unblockDtmf = mediaControl<Control::BlockDtmf, false>;
constexpr CommandHandler blockMedia = mediaControl<Control::BlockMedia, true>;
constexpr CommandHandler unblockMedia = mediaControl<Control::BlockMedia, false>;
constexpr CommandHandler silenceMedia = mediaControl<Control::Silence, true>;
constexpr CommandHandler unsilenceMedia = mediaControl<Control::Silence, false>;

constexpr uint8_t kCall = kNeedsCallId;
constexpr uint8_t kOffer = kNeedsCallId | kNeedsFromTag | kNeedsSdp;
constexpr uint8_t kAnswer = kOffer | kNeedsToTag;
constexpr uint8_t kDelete = kNeedsCallId;  // rtpengine 10.5 deletes the whole call without one
constexpr auto kHere0 = RunsOn::ArrivalUnparsed;
constexpr auto kHere = RunsOn::Arrival;
constexpr auto kWorker = RunsOn::CallWorker;

// clang-format off
constexpr NgCommand kCommands[] = {
    // name                 interval key           control key   required  runs on  handler
    {"ping",                "ping",                "ping",       0,        kHere0,  ping},
    {"offer",               "offer",               "offer",      kOffer,   kWorker, offer},
    {"answer",              "answer",              "answer",     kAnswer,  kWorker, answer},
    {"delete",              "delete",              "delete",     kDelete,  kWorker, deleteCall},
    {"query",               "query",               "query",      kCall,    kWorker, query},
    {"list",                "list",                "list",       0,        kHere,   list},
    {"start recording",     "start recording",     "startrec",   kCall,    kWorker, nullptr},
    {"stop recording",      "stop recording",      "stoprec",    kCall,    kWorker, nullptr},
    {"start forwarding",    "start forwarding",    "startfwd",   kCall,    kWorker, nullptr},
    {"stop forwarding",     "stop forwarding",     "stopfwd",    kCall,    kWorker, nullptr},
    {"block DTMF",          "block DTMF",          "blkdtmf",    kCall,    kWorker, blockDtmf},
    {"unblock DTMF",        "unblock DTMF",        "unblkdtmf",  kCall,    kWorker, unblockDtmf},
    {"block media",         "block media",         "blkmedia",   kCall,    kWorker, blockMedia},
    {"unblock media",       "unblock media",       "unblkmedia", kCall,    kWorker, unblockMedia},
    {"play media",          "play media",          "playmedia",  kCall,    kWorker, nullptr},
    {"stop media",          "stop media",          "stopmedia",  kCall,    kWorker, nullptr},
    {"play DTMF",           "play DTMF",           "playdtmf",   kCall,    kWorker, nullptr},
    {"statistics",          "statistics",          "stats",      0,        kHere,   statistics},
    {"silence media",       "silence media",       "slnmedia",   kCall,    kWorker, silenceMedia},
    {"unsilence media",     "unsilence media",     "unslnmedia", kCall,    kWorker, unsilenceMedia},
    {"publish",             "publish",             "pub",        kCall,    kWorker, nullptr},
    {"subscribe request",   "subscribe request",   "subreq",     kCall,    kWorker, nullptr},
    {"subscribe answer",    "subscribe answer",    "subans",     kCall,    kWorker, nullptr},
    {"unsubscribe",         "unsubscribe",         "unsub",      kCall,    kWorker, nullptr},
    // No statistics columns of their own from here on.
    {"pause recording",     "",                    "",           kCall,    kWorker, nullptr},
};
// clang-format on

constexpr size_t countColumns() {
    size_t n = 0;
    while (n < std::size(kCommands) && !kCommands[n].controlKey.empty()) n++;
    return n;
}
constexpr size_t kColumns = countColumns();

constexpr bool columnsComeFirst() {
    for (size_t i = 0; i < std::size(kCommands); i++)
        if (kCommands[i].controlKey.empty() != kCommands[i].intervalKey.empty() ||
            (i >= kColumns && !kCommands[i].controlKey.empty()))
            return false;
    return true;
}
static_assert(columnsComeFirst(), "rows with statistics keys come first, with both keys");

struct Requirement {
    RequiredKey key;
    std::string_view reason;  // rtpengine's error-reason when it is missing
    bool (*present)(const session::Flags&);
};
const Requirement kRequiredKeys[] = {
    {kNeedsCallId, "No call-id in message",
     [](const session::Flags& f) { return !f.callId.empty(); }},
    {kNeedsFromTag, "No from-tag in message",
     [](const session::Flags& f) { return !f.fromTag.empty(); }},
    {kNeedsSdp, "No SDP body in message", [](const session::Flags& f) { return f.hasSdp; }},
    {kNeedsToTag, "No to-tag in message", [](const session::Flags& f) { return !f.toTag.empty(); }},
};

}  // namespace

std::span<const NgCommand> ngCommands() { return kCommands; }

size_t countedCommands() { return kColumns; }

int statisticsColumn(const NgCommand& c) {
    auto i = (size_t)(&c - kCommands);
    return i < kColumns ? (int)i : -1;
}

const NgCommand* findCommand(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

std::string_view missingKey(const NgCommand& c, const session::Flags& f) {
    for (const auto& r : kRequiredKeys)
        if ((c.required & r.key) && !r.present(f)) return r.reason;
    return {};
}

}  // namespace ngm::control
