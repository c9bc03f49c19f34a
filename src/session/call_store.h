// The calls that live on one media worker, and the offer/answer/delete
// operations on them. Not thread-safe by design: every method runs on the
// owning worker's loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/interface.h"
#include "session/call.h"
#include "session/flags.h"

namespace ngm::session {

class CallRegistry;

struct SessionConfig {
    net::InterfaceTable* interfaces = nullptr;
    CallRegistry* registry = nullptr;  // may be null (unit tests)
    int timeout = 60, silentTimeout = 3600, finalTimeout = 0, offerTimeout = 3600;
    int deleteDelay = 30;
    int maxSessions = -1;
    bool sipSource = false;
    bool rejectInvalidSdp = false;
    media::Learning learning = media::Learning::Delayed;
    int tos = 0;
    std::string instanceToken;  // a=rtpengine:<token> for loop protection
};

// Daemon-wide counters, summed over workers (atomics; touched on signalling
// only, never per packet).
struct SessionCounters {
    std::atomic<int64_t> sessionsOwn{0};
    std::atomic<int64_t> managedSessions{0};  // ended (rtpengine's `managedsessions`)
    std::atomic<int64_t> rejectedSessions{0};
    std::atomic<int64_t> timeoutSessions{0}, silentTimeoutSessions{0}, finalTimeoutSessions{0};
    std::atomic<int64_t> offerTimeoutSessions{0};
    std::atomic<int64_t> regularTerminated{0}, forcedTerminated{0};
    std::atomic<int64_t> totalCallDurationUs{0};
    std::atomic<double> totalCallDurationSquared{0};  // sum of squared durations, s²
    std::atomic<int64_t> endedSessions{0};
    std::atomic<int64_t> zeroWayStreams{0}, oneWayStreams{0};
};

struct CommandResult {
    enum class Status { Ok, Error, LoadLimit } status = Status::Ok;
    std::string sdp;
    std::string error;    // error-reason
    std::string warning;  // ok with warning
    Call* call = nullptr; // for replies that carry call details (delete)

    static CommandResult fail(std::string reason) {
        CommandResult r;
        r.status = Status::Error;
        r.error = std::move(reason);
        return r;
    }
};

class CallStore {
public:
    // `loop` (the owning worker's) gets the media sockets; null in unit tests
    // that only look at signalling. `totals` are the worker's packet counters.
    CallStore(const SessionConfig& cfg, SessionCounters& counters, net::EventLoop* loop = nullptr,
              media::WorkerStats* totals = nullptr);
    ~CallStore();

    CommandResult offer(const Flags& f);
    CommandResult answer(const Flags& f);
    CommandResult deleteCall(const Flags& f);

    // block/unblock media and DTMF, silence/unsilence media: for the whole
    // call, or for what the participants chosen by from-tag, label or
    // address send.
    enum class Control { BlockMedia, BlockDtmf, Silence };
    CommandResult mediaControl(const Flags& f, Control what, bool on);
    Call* find(const std::string& callId);

    void callIds(std::vector<std::string>& out, size_t limit) const;
    size_t size() const { return calls_.size(); }

    // Timeouts and delayed deletes; called about once a second.
    void tick(int64_t nowWall);
    void clear();

private:
    CommandResult offerAnswer(const Flags& f, bool isOffer);
    void destroyCall(const std::string& callId, int reason);
    // The media timeout that ends an answered call now, or 0.
    int mediaTimeoutOf(const Call& c, int64_t now) const;
    void releaseParticipant(Participant& p);
    void removeParticipant(Call& c, Participant* p);
    // Where an SDP's sender is: the ports towards its receiver belong to it.
    struct PortsOwner {
        net::Endpoint endpoint;  // the sender's advertised RTP endpoint
        bool latch = false;      // keep the current ports even if it moved
    };
    void releasePorts(Media& m);
    void releaseAllPorts(Media& m);
    void detachPorts(Media& m);
    void attachPorts(Media& m);
    void retirePorts(Media& m);
    bool ensurePorts(Media& m, net::LogicalInterface* li, net::Family family,
                     const PortsOwner* owner = nullptr);
    void wire(Participant& a, Participant& b, const Flags& f);
    void applyControls(Call& c);
    void applyTos(Call& c);

    SessionConfig cfg_;
    SessionCounters& counters_;
    net::EventLoop* loop_;
    media::WorkerStats* totals_;
    std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
};

}  // namespace ngm::session
