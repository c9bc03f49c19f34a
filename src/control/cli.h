// The command line interface of rtpengine-ctl (`--listen-cli`): one command
// line in, one text answer out, in rtpengine 10.5's wording and layout, so
// Debian's rtpengine-ctl and scripts that read its output work unchanged.
// The statistics are the ng `statistics` reply (buildStatistics) laid out
// as text; commands about calls run on the call's worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bencode/value.h"
#include "session/runtime_params.h"

namespace ngm::net {
class InterfaceTable;
struct Endpoint;
}  // namespace ngm::net
namespace ngm::session {
class WorkerPool;
struct SessionCounters;
struct Call;
struct Participant;
}  // namespace ngm::session

namespace ngm::control {

class NgDispatcher;

struct CliSources {
    session::WorkerPool& workers;
    session::SessionCounters& counters;
    const net::InterfaceTable* interfaces;  // may be null
    NgDispatcher& dispatcher;               // statistics() and startTime()
    session::RuntimeParams& params;         // what `set` changes
    session::RuntimeValues start;           // `params start` and `revert`
    // The settings that cannot change at runtime, for `params start` and
    // `current`: name and value, in rtpengine's order (table, port-min, ...).
    std::vector<std::pair<std::string, std::string>> fixedParams;
    // After `set`/`revert`: applies what the atomics alone do not (the
    // process log level, the control sockets' TOS). May be empty.
    std::function<void(const session::RuntimeValues&)> applied;
};

class Cli {
  public:
    explicit Cli(CliSources sources);

    // Runs one command line (without its line end) and returns the whole
    // answer. Thread-safe; not from a worker thread (call commands wait for
    // the call's worker).
    std::string run(std::string_view line);

    // The words of a command line, split at blanks.
    static std::vector<std::string_view> words(std::string_view line);

  private:
    using Args = std::vector<std::string_view>;
    std::string list(const Args& a, size_t i, bool get);
    std::string set(const Args& a, size_t i);
    std::string params(const Args& a, size_t i);
    std::string terminate(const Args& a, size_t i);
    std::string debug(const Args& a, size_t i);
    std::string debugCall(const std::string& id, std::string_view onOff);
    std::string call(const Args& a, size_t i);
    std::string keyspaces(const Args& a, size_t i, int op);
    std::string standby(bool standby);

    std::string totals();
    std::string counters();
    std::string numSessions();
    std::string sessions(std::string_view which);
    std::string callInfo(std::string_view callId, std::string_view tag, bool tagOnly);
    std::string interfaces();
    std::string jsonStats();
    std::string loglevel(const Args& a, size_t i);
    bencode::Value statistics(bencode::Document& d);
    void applied();

    CliSources src_;
    std::mutex mutex_;         // one command at a time: set/revert are read-modify-write
    std::set<int> keyspaces_;  // `ksadd`/`ksrm` (no Redis yet: only kept)
    bool standby_ = false;
};

// The TCP listener of `--listen-cli`: reads one command line per
// connection, writes the answer and closes, as rtpengine does (rtpengine-ctl
// reads until the connection ends). Runs an EventLoop on a thread of its own;
// commands about calls wait there for the call's worker.
class CliListener {
  public:
    explicit CliListener(Cli& cli);
    ~CliListener();
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot listen
    void stop();
    const net::Endpoint& local() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Exposed for tests: rtpengine's layouts of the statistics reply.
std::string formatTotals(const bencode::Value& statistics);
std::string formatCounters(const bencode::Value& statistics);
std::string formatJsonStats(const bencode::Value& statistics);
std::string formatInterfaces(const bencode::Value& statistics);

}  // namespace ngm::control
