// ng protocol: cookie handling, retransmission cache, command dispatch to
// the owning worker, and reply encoding (bencode or JSON, as requested).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bencode/value.h"
#include "net/address.h"
#include "session/worker.h"

namespace ngm::control {

// The commands `statistics` counts, in rtpengine 10.5's order (its
// controlstatistics and intervalstatistics list them so); Other is every
// command without a column of its own (counted only in errorcount).
enum class Cmd : int {
    Ping, Offer, Answer, Delete, Query, List, StartRec, StopRec, StartFwd, StopFwd, BlkDtmf,
    UnblkDtmf, BlkMedia, UnblkMedia, PlayMedia, StopMedia, PlayDtmf, Statistics, SlnMedia,
    UnslnMedia, Publish, SubReq, SubAns, Unsub, Other, Count
};
constexpr int kCountedCommands = (int)Cmd::Other;

struct DelayStats {
    int64_t count = 0;
    double sum = 0, min = 0, max = 0;
    void add(double s) {
        if (count == 0 || s < min) min = s;
        if (count == 0 || s > max) max = s;
        sum += s;
        count++;
    }
};

// Requests per second of one command, sampled about once a second.
struct RateStats {
    bool sampled = false;
    int64_t min = 0, max = 0;
    void add(int64_t r) {
        if (!sampled || r < min) min = r;
        if (!sampled || r > max) max = r;
        sampled = true;
    }
};

// One row of controlstatistics.proxies: what one control client sent.
struct ProxyRow {
    std::array<int64_t, kCountedCommands> count{};
    std::array<double, kCountedCommands> seconds{};  // time spent on them
    int64_t errors = 0;
};

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

private:
    struct CacheEntry {
        std::string reply;
        bool done = false;
    };
    struct Request {
        std::string cookie, key;
        net::Endpoint from;
        bool json = false;
        Cmd cmd = Cmd::Other;
        std::string name;  // the command as given
        size_t maxReply = 65000;
        std::chrono::steady_clock::time_point start;
        ReplySink sink;
    };
    void purgeLocked(std::chrono::steady_clock::time_point now);
    void process(std::string_view body, Request req);
    void runCallCommand(session::Worker& worker, const session::Flags& f, Request& req);
    void complete(Request& req, std::string encoded);
    // Counts a finished command (with the time since it arrived) for
    // `statistics`.
    void countCommand(const Request& req, bool error);
    bencode::Value buildStatistics(bencode::Document& d);

    session::WorkerPool& workers_;
    session::CallRegistry& registry_;
    session::SessionCounters& counters_;
    session::SessionConfig cfg_;
    int64_t startTime_;

    std::mutex cacheMutex_;
    std::unordered_map<std::string, CacheEntry> cache_;
    // Keys in arrival order, for expiry and for the size bound (a flood of
    // unique cookies must not grow memory without limit).
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> cacheOrder_;
    std::chrono::seconds cacheLifetime_{30};
    static constexpr size_t kMaxCacheEntries = 200000;
    std::chrono::steady_clock::time_point lastPurge_;
    size_t freedSinceTrim_ = 0;  // cached replies dropped since memory was last given back

    std::mutex statsMutex_;
    std::map<std::string, ProxyRow> perProxy_;
    std::array<DelayStats, kCountedCommands> delays_;
    std::array<int64_t, kCountedCommands> commandTotals_{}, commandTotalsAtSample_{};
    std::array<RateStats, kCountedCommands> requestRates_;
    // Packet totals of all workers at the last sample, and the rates since.
    uint64_t lastPackets_ = 0, lastBytes_ = 0, lastErrors_ = 0;
    std::chrono::steady_clock::time_point lastSample_;
    int64_t packetRate_ = 0, byteRate_ = 0, errorRate_ = 0;
    void sampleRates();
    struct Totals {
        uint64_t packets = 0, bytes = 0, errors = 0;
    };
    Totals mediaTotals();
    int64_t minSessions_ = 0, maxSessions_ = 0;
};

}  // namespace ngm::control
