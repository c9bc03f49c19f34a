#include "control/ng_dispatcher.h"

#include <condition_variable>
#include <memory>
#include <mutex>

#include "bencode/value.h"
#include "common/clock.h"
#include "common/log.h"
#include "control/ng_flags.h"
#include "control/ng_query.h"
#include "control/ng_statistics.h"
#include "session/registry.h"

namespace ngm::control {

using bencode::Document;
using bencode::Value;

namespace {


struct CommandName {
    std::string_view name;
    Cmd cmd;
};
const CommandName kCommands[] = {
    {"ping", Cmd::Ping},
    {"offer", Cmd::Offer},
    {"answer", Cmd::Answer},
    {"delete", Cmd::Delete},
    {"query", Cmd::Query},
    {"list", Cmd::List},
    {"start recording", Cmd::StartRec},
    {"stop recording", Cmd::StopRec},
    {"pause recording", Cmd::Other},
    {"start forwarding", Cmd::StartFwd},
    {"stop forwarding", Cmd::StopFwd},
    {"block DTMF", Cmd::BlkDtmf},
    {"unblock DTMF", Cmd::UnblkDtmf},
    {"block media", Cmd::BlkMedia},
    {"unblock media", Cmd::UnblkMedia},
    {"silence media", Cmd::SlnMedia},
    {"unsilence media", Cmd::UnslnMedia},
    {"play media", Cmd::PlayMedia},
    {"stop media", Cmd::StopMedia},
    {"play DTMF", Cmd::PlayDtmf},
    {"statistics", Cmd::Statistics},
    {"publish", Cmd::Publish},
    {"subscribe request", Cmd::SubReq},
    {"subscribe answer", Cmd::SubAns},
    {"unsubscribe", Cmd::Unsub},
};

Value errorReply(Document& d, std::string_view reason) {
    Value r = Value::dict();
    r.add("result", Value::string("error"));
    r.add("error-reason", Value::string(d.intern(reason)));
    return r;
}

}  // namespace

NgDispatcher::NgDispatcher(session::WorkerPool& workers, session::SessionCounters& counters,
                           const session::SessionConfig& cfg, int replyCacheSeconds)
    : workers_(workers),
      registry_(*cfg.registry),
      counters_(counters),
      cfg_(cfg),
      startTime_(wallSeconds()),
      replies_(std::chrono::seconds(replyCacheSeconds)),
      statistics_(kCountedCommands) {}

void NgDispatcher::countCommand(const Request& req, bool error) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - req.start).count();
    int i = (int)req.cmd;
    statistics_.record(i < kCountedCommands ? i : -1, req.from.address.toString(), secs, error,
                       counters_.sessionsOwn.load());
}

void NgDispatcher::purge() {
    replies_.purge(std::chrono::steady_clock::now());
    sampleRates();
}

void NgDispatcher::sampleRates() {
    statistics_.sample(std::chrono::steady_clock::now(), mediaTotals(workers_));
}

std::string NgDispatcher::handle(std::string_view message, const net::Endpoint& from, size_t maxReply) {
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

    size_t firstNonSpace = body.find_first_not_of(" \t\r\n");
    Request req;
    req.json = firstNonSpace != std::string_view::npos && body[firstNonSpace] == '{';
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
        Value r = errorReply(d, "Reply too large for one datagram (" + std::to_string(encoded.size()) + " bytes)");
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
        NGM_LOG_WARN("Protocol error in packet from %s: not a dictionary", req.from.toString().c_str());
        return finish(errorReply(rep, "Invalid NG data format"), true);
    }
    const Value* command = doc.root.find("command");
    if (!command || !command->isString())
        return finish(errorReply(rep, "Dictionary contains no key \"command\""), true);
    std::string_view name = command->str();
    bool known = false;
    for (const auto& c : kCommands)
        if (c.name == name) {
            req.cmd = c.cmd;
            known = true;
        }
    if (!known) {
        NGM_LOG_WARN("Protocol error in packet from %s: Unrecognized command", req.from.toString().c_str());
        return finish(errorReply(rep, "Unrecognized command"), true);
    }
    NGM_LOG(log::Info, "", "Received command '%.*s' from %s", (int)name.size(), name.data(),
            req.from.toString().c_str());
    req.name = std::string(name);

    if (req.cmd == Cmd::Ping) {
        Value r = Value::dict();
        r.add("result", Value::string("pong"));
        return finish(std::move(r), false);
    }

    session::Flags f;
    if (auto e = parseFlags(doc.root, f)) return finish(errorReply(rep, *e), true);

    if (req.cmd == Cmd::Statistics) return finish(buildStatistics({workers_, counters_, cfg_.interfaces, statistics_, startTime_}, rep),
                      false);
    if (req.cmd == Cmd::List) {
        if (f.limit < 0) return finish(errorReply(rep, "invalid limit, must be >= 0"), true);
        std::vector<std::string> ids = registry_.list((size_t)f.limit);
        Value r = Value::dict();
        Value& calls = r.add("calls", Value::list());
        for (auto& id : ids) calls.push(Value::string(rep.intern(std::move(id))));
        r.add("result", Value::string("ok"));
        return finish(std::move(r), false);
    }

    // Everything else is about one call.
    Cmd cmd = req.cmd;
    if (f.callId.empty()) return finish(errorReply(rep, "No call-id in message"), true);
    bool isOfferAnswer = cmd == Cmd::Offer || cmd == Cmd::Answer;
    if ((isOfferAnswer || cmd == Cmd::Delete) && f.fromTag.empty())
        return finish(errorReply(rep, "No from-tag in message"), true);
    if (isOfferAnswer && !f.hasSdp) return finish(errorReply(rep, "No SDP body in message"), true);
    if (cmd == Cmd::Answer && f.toTag.empty()) return finish(errorReply(rep, "No to-tag in message"), true);
    bool isControl = cmd == Cmd::BlkMedia || cmd == Cmd::UnblkMedia || cmd == Cmd::BlkDtmf ||
                     cmd == Cmd::UnblkDtmf || cmd == Cmd::SlnMedia || cmd == Cmd::UnslnMedia;
    if (!isOfferAnswer && !isControl && cmd != Cmd::Delete && cmd != Cmd::Query)
        return finish(errorReply(rep, "Command '" + std::string(name) + "' is not implemented yet"), true);

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
    Value reply;
    bool error = false;
    Cmd cmd = req.cmd;
    bool isOfferAnswer = cmd == Cmd::Offer || cmd == Cmd::Answer;
    auto& store = worker.store;
    Value r = Value::dict();
    if (cmd == Cmd::Query) {
        session::Call* call = store.find(f.callId);
        if (!call) {
            reply = errorReply(rep, "Unknown call-id");
            error = true;
        } else {
            encodeCallDetails(*call, f, r, rep);
            r.add("result", Value::string("ok"));
            reply = std::move(r);
        }
    } else {
        using Control = session::CallStore::Control;
        const std::string& n = req.name;
        session::CommandResult res =
            cmd == Cmd::Offer    ? store.offer(f)
            : cmd == Cmd::Answer ? store.answer(f)
            : cmd == Cmd::Delete ? store.deleteCall(f)
            : n == "block media"     ? store.mediaControl(f, Control::BlockMedia, true)
            : n == "unblock media"   ? store.mediaControl(f, Control::BlockMedia, false)
            : n == "silence media"   ? store.mediaControl(f, Control::Silence, true)
            : n == "unsilence media" ? store.mediaControl(f, Control::Silence, false)
            : n == "block DTMF"      ? store.mediaControl(f, Control::BlockDtmf, true)
                                     : store.mediaControl(f, Control::BlockDtmf, false);
        if (res.status == session::CommandResult::Status::Error) {
            reply = errorReply(rep, res.error);
            error = true;
        } else if (res.status == session::CommandResult::Status::LoadLimit) {
            if (f.loadLimitSupported) {
                r.add("result", Value::string("load limit"));
                r.add("message", Value::string(rep.intern(res.error)));
            } else {
                r = errorReply(rep, res.error);
                error = true;
            }
            reply = std::move(r);
        } else {
            if (cmd == Cmd::Delete) {
                if (res.call) encodeCallDetails(*res.call, f, r, rep);
            } else if (!f.sdp.empty()) {
                r.add("sdp", Value::string(rep.intern(std::move(res.sdp))));
            }
            std::string warning = res.warning;
            if (!f.notImplemented.empty() && isOfferAnswer) {
                std::string w = "Not implemented yet, ignored:";
                for (const auto& n : f.notImplemented) w += " " + n + ";";
                w.pop_back();
                warning = warning.empty() ? w : warning + "; " + w;
            }
            if (!warning.empty()) r.add("warning", Value::string(rep.intern(warning)));
            r.add("result", Value::string("ok"));
            reply = std::move(r);
        }
    }

    countCommand(req, error);
    std::string out;
    out.reserve(512);
    req.json ? bencode::encodeJson(reply, out) : bencode::encode(reply, out);
    complete(req, std::move(out));
}

}  // namespace ngm::control
