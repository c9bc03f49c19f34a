#include "control/ng_dispatcher.h"

#include <condition_variable>
#include <memory>
#include <mutex>

#include "bencode/framing.h"
#include "bencode/value.h"
#include "common/clock.h"
#include "common/log.h"
#include "control/ng_commands.h"
#include "control/ng_flags.h"
#include "control/ng_statistics.h"
#include "net/interface.h"
#include "session/registry.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

using bencode::Document;
using bencode::Value;

NgDispatcher::NgDispatcher(session::WorkerPool& workers, session::SessionCounters& counters,
                           const session::SessionConfig& cfg, int replyCacheSeconds)
    : workers_(workers),
      registry_(*cfg.registry),
      counters_(counters),
      cfg_(cfg),
      startTime_(wallSeconds()),
      replies_(std::chrono::seconds(replyCacheSeconds)),
      statistics_(countedCommands()) {}

void NgDispatcher::countCommand(const Request& req, bool error) {
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.start).count();
    statistics_.record(req.cmd ? statisticsColumn(*req.cmd) : -1, req.from.address, secs, error,
                       counters_.sessionsOwn.load());
}

void NgDispatcher::purge() {
    auto now = std::chrono::steady_clock::now();
    replies_.purge(now);
    // Ports kept bound after their calls (net::PortPool) are closed once
    // they have waited long enough: a quiet daemon holds no idle sockets.
    if (cfg_.interfaces)
        for (const auto& li : cfg_.interfaces->all())
            for (const auto& local : li->addresses) local->ports->trimIdle(now);
    sampleRates();
}

void NgDispatcher::sampleRates() {
    statistics_.sample(std::chrono::steady_clock::now(), mediaTotals(workers_));
}

std::string NgDispatcher::handle(std::string_view message, const net::Endpoint& from,
                                 size_t maxReply) {
    struct Wait {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        std::string reply;
    };
    auto w = std::make_shared<Wait>();
    bool willReply = handleAsync(
        message, from,
        [w](const std::string& r) {
            std::lock_guard lk(w->m);
            w->reply = r;
            w->done = true;
            w->cv.notify_one();
        },
        maxReply);
    if (!willReply) return {};
    std::unique_lock lk(w->m);
    w->cv.wait(lk, [&] { return w->done; });
    return w->reply;
}

bool NgDispatcher::handleAsync(std::string_view message, const net::Endpoint& from, ReplySink sink,
                               size_t maxReply) {
    auto space = message.find(' ');
    if (space == std::string_view::npos || space == 0) {
        // No cookie: nothing to correlate a reply with; rtpengine drops these too.
        NGM_LOG_WARN("Received invalid ng message from %s (no cookie)", from.toString().c_str());
        return false;
    }
    std::string_view cookie = message.substr(0, space);
    std::string_view body = message.substr(space + 1);

    // Retransmission: same cookie from the same source gets the same reply.
    std::string key = ReplyCache::keyFor(cookie, from);
    auto now = std::chrono::steady_clock::now();
    ReplyCache::Lookup cached = replies_.begin(key, now);
    // Still in progress: the first copy's reply will answer both.
    if (cached.state == ReplyCache::State::InProgress) return false;
    if (cached.state == ReplyCache::State::Done) {
        sink(cached.reply);
        return true;
    }

    Request req;
    req.json = bencode::isJsonMessage(body);
    req.cookie = std::string(cookie);
    req.key = std::move(key);
    req.from = from;
    req.sink = std::move(sink);
    req.maxReply = maxReply;
    req.start = now;
    process(body, std::move(req));
    return true;
}

void NgDispatcher::complete(Request& req, std::string encoded) {
    std::string reply;
    reply.reserve(req.cookie.size() + 1 + encoded.size());
    reply.append(req.cookie);
    reply += ' ';
    if (reply.size() + encoded.size() > req.maxReply) {
        Document d;
        Value r = errorReply(
            d, "Reply too large for one datagram (" + std::to_string(encoded.size()) + " bytes)");
        encoded.clear();
        req.json ? bencode::encodeJson(r, encoded) : bencode::encode(r, encoded);
    }
    reply += encoded;
    replies_.complete(req.key, reply);
    req.sink(reply);
}

void NgDispatcher::process(std::string_view body, Request req) {
    Document doc;
    Document rep;
    auto finish = [&](Value v, bool error) {
        countCommand(req, error);
        std::string out;
        out.reserve(256);
        req.json ? bencode::encodeJson(v, out) : bencode::encode(v, out);
        complete(req, std::move(out));
    };

    auto decoded = req.json ? bencode::decodeJson(body, doc) : bencode::decode(body, doc);
    if (!decoded) {
        NGM_LOG_WARN("Protocol error in packet from %s: %s", req.from.toString().c_str(),
                     decoded.error().reason.c_str());
        return finish(errorReply(rep, "Invalid NG data format"), true);
    }
    if (!doc.root.isDict()) {
        NGM_LOG_WARN("Protocol error in packet from %s: not a dictionary",
                     req.from.toString().c_str());
        return finish(errorReply(rep, "Invalid NG data format"), true);
    }
    const Value* command = doc.root.find("command");
    if (!command || !command->isString())
        return finish(errorReply(rep, "Dictionary contains no key \"command\""), true);
    std::string_view name = command->str();
    const NgCommand* cmd = findCommand(name);
    if (!cmd) {
        NGM_LOG_WARN("Protocol error in packet from %s: Unrecognized command",
                     req.from.toString().c_str());
        return finish(errorReply(rep, "Unrecognized command"), true);
    }
    NGM_LOG(log::Info, "", "Received command '%.*s' from %s", (int)name.size(), name.data(),
            req.from.toString().c_str());
    req.cmd = cmd;

    session::Flags f;
    if (cmd->runsOn == RunsOn::ArrivalUnparsed) {
        CommandContext c{f, rep};
        CommandReply r = cmd->handler(c);
        return finish(std::move(r.value), r.error);
    }
    if (auto parsed = parseFlags(doc.root, f); !parsed) return finish(errorReply(rep, parsed.error().reason), true);
    f.controlSource = req.from.toString();
    std::string_view missing = missingKey(*cmd, f);
    if (!missing.empty()) return finish(errorReply(rep, missing), true);
    if (!cmd->handler)
        return finish(errorReply(rep, "Command '" + std::string(name) + "' is not implemented yet"),
                      true);

    if (cmd->runsOn == RunsOn::Arrival) {
        StatisticsSources sources{workers_, counters_, cfg_.interfaces, statistics_, startTime_};
        CommandContext c{f, rep, nullptr, &registry_, &sources};
        CommandReply r = cmd->handler(c);
        return finish(std::move(r.value), r.error);
    }

    // The call's own worker runs the command and sends the reply; when that
    // is this thread, no hand-off at all.
    auto& worker = workers_.forCall(f.callId);
    auto job = [this, &worker, f = std::move(f), req = std::move(req)]() mutable {
        runCallCommand(worker, f, req);
    };
    workers_.runOrPost(worker, std::move(job));
}

void NgDispatcher::runCallCommand(session::Worker& worker, const session::Flags& f, Request& req) {
    Document rep;
    CommandContext c{f, rep, &worker.store};
    CommandReply r = req.cmd->handler(c);
    countCommand(req, r.error);
    std::string out;
    out.reserve(512);
    req.json ? bencode::encodeJson(r.value, out) : bencode::encode(r.value, out);
    complete(req, std::move(out));
}

}  // namespace ngm::control
