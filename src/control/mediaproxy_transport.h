// rtpengine's --listen-tcp: the line protocol of OpenSER's old `mediaproxy`
// module (control/mediaproxy.h) over TCP. The listener runs a loop of its
// own, reads one command per connection, hands request, lookup and delete
// to the worker that owns the call (the same offer, answer and delete the
// ng and rtpproxy commands use), writes the reply and closes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "control/mediaproxy.h"
#include "net/address.h"

namespace ngm::session {
class CallStore;
class WorkerPool;
}  // namespace ngm::session

namespace ngm::control {

class ControlStatistics;

struct MediaproxyCounters {
    std::atomic<uint64_t> commands{0};  // lines that parsed
    std::atomic<uint64_t> errors{0};    // lines that did not (connection closed)
    std::atomic<uint64_t> dropped{0};   // connections refused or closed: too many, too long, idle
};

// Runs request, lookup or delete on the call's worker (`store` is that
// worker's); `source` is the client, recorded as the call's `proxy`. The
// reply line, or none where rtpengine closes without one.
std::optional<std::string> runMediaproxyCommand(session::CallStore& store,
                                                const mediaproxy::Command& c,
                                                const std::string& source);

class MediaproxyTcpListener {
  public:
    // Open connections at most; more are closed at once.
    static constexpr size_t kMaxConnections = 256;
    // A connection that sends no complete command within this is closed.
    static constexpr int kIdleSeconds = 30;

    // `statistics` (may be null) gives status its byte rate; `version` is
    // what version answers; `counters` outlive the listener.
    MediaproxyTcpListener(session::WorkerPool& workers, const ControlStatistics* statistics,
                          std::string version, MediaproxyCounters& counters);
    ~MediaproxyTcpListener();
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot listen
    // Stops the loop. Commands already on workers find no connection to
    // answer: stop the workers after the listener.
    void stop();
    const net::Endpoint& local() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ngm::control
