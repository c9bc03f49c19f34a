// The rtpproxy control protocol over UDP (--listen-udp): the listener reads
// datagrams on a loop of its own, parses them (control/rtpproxy.h), answers
// V at once and hands U, L, D and Q to the worker that owns the call, which
// runs them on its CallStore (the same offer, answer and delete the ng
// commands use) and sends the reply itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "control/rtpproxy.h"
#include "net/address.h"

namespace ngm::session {
class CallStore;
class WorkerPool;
struct RuntimeParams;
}  // namespace ngm::session

namespace ngm::control {

// Counted by the listener, readable from any thread.
// Shared by all the listeners (/metrics: ngmedia_rtpproxy_requests_total).
struct RtpproxyCounters {
    std::atomic<uint64_t> commands{0};  // run and answered without an error
    std::atomic<uint64_t> errors{0};    // answered with an E<code>
    std::atomic<uint64_t> dropped{0};   // not answered: blank or oversized
};

// What a command runs with besides the call's worker's CallStore.
struct RtpproxyContext {
    std::string source;        // the client ("addr:port"), recorded as the call's `proxy`
    int silentTimeout = 3600;  // what Q's TTL counts down from
    // The address U and L answer with for a rejected stream (port 0), which
    // the SDP the session layer writes leaves without one: the default
    // interface's, as rtpengine answers.
    net::IpAddress defaultAddress;
};

// Runs a parsed command on the call's worker (`store` is that worker's) and
// returns the reply line.
std::string runRtpproxyCommand(session::CallStore& store, const rtpproxy::Command& c,
                               const RtpproxyContext& ctx);

class RtpproxyUdpListener {
  public:
    // `runtime` (may be null) gives the silent timeout Q reports against;
    // `defaultAddress` see RtpproxyContext; `counters` outlive the listener.
    RtpproxyUdpListener(session::WorkerPool& workers, const session::RuntimeParams* runtime,
                        net::IpAddress defaultAddress, RtpproxyCounters& counters);
    ~RtpproxyUdpListener();
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot bind
    // Stops reading. Commands already handed to workers still reply: stop
    // the workers before destroying the listener.
    void stop();
    const net::Endpoint& local() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ngm::control
