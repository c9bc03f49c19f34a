// ng protocol: cookie handling, retransmission cache, command dispatch to
// the owning worker, and reply encoding (bencode or JSON, as requested).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "bencode/value.h"
#include "control/control_statistics.h"
#include "control/reply_cache.h"
#include "net/address.h"
#include "session/worker.h"

namespace ngm::control {

struct NgCommand;

class NgDispatcher {
public:
    NgDispatcher(session::WorkerPool& workers, session::SessionCounters& counters,
                 const session::SessionConfig& cfg, int replyCacheSeconds = 30);

    using ReplySink = std::function<void(const std::string&)>;

    // Handles one complete message ("COOKIE DICT") from `from`. The reply is
    // passed to `sink`, on this thread or on the worker that owns the call.
    // Returns false when no reply will come (no cookie, or a retransmission
    // of a request still being processed).
    bool handleAsync(std::string_view message, const net::Endpoint& from, ReplySink sink,
                     size_t maxReply = 65000);
    // The same, waiting for the reply ("" when none will come). Not for
    // worker threads.
    std::string handle(std::string_view message, const net::Endpoint& from, size_t maxReply = 65000);

    int64_t startTime() const { return startTime_; }
    // Drops expired cached replies; the transports call it when idle.
    void purge();

    const ReplyCache& replyCache() const { return replies_; }
    const ControlStatistics& statistics() const { return statistics_; }

private:
    struct Request {
        std::string cookie, key;
        net::Endpoint from;
        bool json = false;
        const NgCommand* cmd = nullptr;  // null until known
        size_t maxReply = 65000;
        std::chrono::steady_clock::time_point start;
        ReplySink sink;
    };
    void process(std::string_view body, Request req);
    void runCallCommand(session::Worker& worker, const session::Flags& f, Request& req);
    void complete(Request& req, std::string encoded);
    // Counts a finished command (with the time since it arrived) for
    // `statistics`.
    void countCommand(const Request& req, bool error);

    session::WorkerPool& workers_;
    session::CallRegistry& registry_;
    session::SessionCounters& counters_;
    session::SessionConfig cfg_;
    int64_t startTime_;

    ReplyCache replies_;

    ControlStatistics statistics_;
    void sampleRates();
};

}  // namespace ngm::control
