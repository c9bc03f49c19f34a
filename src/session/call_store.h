// The calls that live on one media worker, and the offer/answer/delete
// operations on them. Not thread-safe by design: every method runs on the
// owning worker's loop thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "media/rtcp_timing.h"
#include "net/interface.h"
#include "session/call.h"
#include "session/flags.h"
#include "session/runtime_params.h"

namespace ngm::net {
class EventLoop;
}

namespace ngm::sdp {
struct SessionDescription;
}

namespace ngm::session {

class CallRegistry;
class LoadMonitor;

struct SessionConfig {
    net::InterfaceTable* interfaces = nullptr;
    CallRegistry* registry = nullptr;  // may be null (unit tests)
    int timeout = 60, silentTimeout = 3600, finalTimeout = 0, offerTimeout = 3600;
    int deleteDelay = 30;
    int maxSessions = -1;
    // When set, the timeouts, delete delay and session limit are read from
    // here (changed at runtime by the CLI) instead of the fields above.
    RuntimeParams* runtime = nullptr;
    // --max-load, --max-cpu, --max-bandwidth: the sampled figures an offer
    // for a new call is checked against (none: not checked).
    LoadMonitor* load = nullptr;
    bool sipSource = false;
    bool rejectInvalidSdp = false;
    media::Learning learning = media::Learning::Delayed;
    int tos = 0;
    std::string instanceToken;  // a=rtpengine:<token> for loop protection
    // Put in the Record slot of every stream (the benchmark's no-op stage).
    media::Stage* extraStage = nullptr;
    // DTLS-SRTP: the daemon's certificate (none: no DTLS offered or
    // answered) and --dtls-passive.
    std::shared_ptr<const crypto::DtlsCertificate> dtlsCert;
    bool dtlsPassive = false;
    // DTLS work one worker does per loop round before the next records wait
    // for the following rounds (media/dtls_transport.h DtlsPacer; a record
    // that starts runs to its end, so this is about one record); 0: none.
    std::chrono::microseconds dtlsRoundBudget{100};
    // The in-kernel path (src/offload/): makes each worker's hook; unset,
    // everything is forwarded in userspace.
    std::function<std::unique_ptr<media::OffloadHook>()> offload;
};

// Daemon-wide counters, summed over workers (atomics; touched on signalling
// only, never per packet).
struct SessionCounters {
    std::atomic<int64_t> sessionsOwn{0};
    std::atomic<int64_t> sessionsForeign{0};  // calls set foreign (CLI `standby`)
    std::atomic<int64_t> managedSessions{0};  // ended (rtpengine's `managedsessions`)
    std::atomic<int64_t> rejectedSessions{0};
    std::atomic<int64_t> timeoutSessions{0}, silentTimeoutSessions{0}, finalTimeoutSessions{0};
    std::atomic<int64_t> offerTimeoutSessions{0};
    std::atomic<int64_t> regularTerminated{0}, forcedTerminated{0};
    std::atomic<int64_t> totalCallDurationUs{0};
    std::atomic<double> totalCallDurationSquared{0};  // sum of squared durations, s²
    std::atomic<int64_t> endedSessions{0};
    std::atomic<int64_t> zeroWayStreams{0}, oneWayStreams{0};
    // MOS of each stream that received RTP, taken when its call ends: the
    // sums of statistics' `mos` and the ngmedia_mos histogram (upper bounds
    // kMosBuckets, then +Inf; not cumulative here).
    // A stream with no loss nor jitter scores 4.40 (media/quality.h).
    static constexpr std::array<double, 9> kMosBuckets{2.0, 2.5, 3.0, 3.5, 3.8, 4.0, 4.2, 4.3, 4.5};
    std::array<std::atomic<int64_t>, kMosBuckets.size() + 1> mosBuckets{};
    std::atomic<double> mosSum{0}, mosSquaredSum{0};
    std::atomic<int64_t> mosCount{0};
    void observeMos(double mos) {
        size_t i = 0;
        while (i < kMosBuckets.size() && mos > kMosBuckets[i]) i++;
        mosBuckets[i]++;
        mosSum.fetch_add(mos);
        mosSquaredSum.fetch_add(mos * mos);
        mosCount++;
    }
};

// What an offer, answer, delete or in-call control gives back when it
// succeeds; its errors are an ngm::Error (`Overload` for --max-sessions and the
// load limits: its reason is the `message` of a `load limit` reply).
struct CallReply {
    std::string sdp;
    std::string warning;   // ok with warning
    // delete: the reply carries the call's details as they were before the
    // delete (rtpengine 10.5 does when the message names a from-tag and the
    // whole call goes, at once or after the delete delay).
    bool withDetails = false;
};
using CommandResult = Result<CallReply>;

inline CommandResult commandError(std::string reason) { return Error{std::move(reason)}; }

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
    // Every call, in no particular order (the CLI's session lists).
    const std::unordered_map<std::string, std::unique_ptr<Call>>& calls() const { return calls_; }
    // Ends a call at once, as ng `delete` without delay does, counted as
    // forced (the CLI's `terminate`). False when there is no such call.
    bool terminate(const std::string& callId);
    // Marks every call foreign (standby) or owned (active), moving it
    // between the own and foreign session counts.
    void setForeign(bool foreign);
    // Arms every call's timer again after the timeouts changed at runtime.
    void rescheduleAll();
    size_t size() const { return calls_.size(); }

    // NAT pierce and the media-with-traffic gauge; called about once a
    // second. Timeouts and delayed deletes are not scanned for: each call's
    // timer fires at its earliest deadline (see schedule()).
    void tick();
    void clear();

    // For tests without a running loop: fires every call timer that is due
    // once the wall clock shows `nowWall` (anywhere in that second), and the
    // timers check the call as if it were `nowWall`. `nowWall` must not go
    // backwards between calls. Returns how many timers fired.
    size_t runTimers(int64_t nowWall);

private:
    // offerAnswer and its steps, in the order it takes them.
    struct Exchange;
    CommandResult offerAnswer(const Flags& f, bool isOffer);
    CommandResult trickleUpdate(const Flags& f);
    std::optional<CommandResult> checkSdp(const sdp::SessionDescription& in, const Flags& f) const;
    std::optional<CommandResult> findOrCreateCall(Exchange& x);
    std::optional<CommandResult> negotiateMedia(Exchange& x, size_t i);
    std::optional<CommandResult> allocatePorts(Exchange& x, Media& src, Media& dst,
                                               net::Family dstFamily, net::Family srcFamily,
                                               const PortsOwner& owner);
    void takeInCallControls(Exchange& x);
    // BUNDLE (session/bundle.cpp): which sides are bundled after this
    // message, and the demux tables of their transports.
    void settleBundle(Participant& from, Participant& to, const sdp::SessionDescription& in,
                      const Flags& f, bool isOffer, const std::vector<size_t>& group);
    void applyBundles(Call& c);
    void configureMedia(Media& m);
    void applyDtls(Call& c);
    void updateDtls(Media& m, std::unique_ptr<media::DtlsTransport>& t, bool want, const std::string& ctx);
    void startDtls(Call& c);
    // ICE agents on the streams of media that speak ICE (session/ice_agent.cpp).
    void applyIce(Call& c);
    void updateIce(Media& m, const std::string& ctx);
    void iceChanged(Media& m);
    void reopenLearning(Call& call);
    void destroyCall(const std::string& callId, int reason);
    // The wall second from which no stream of an answered call is alive, and
    // the reason it then ends for; at 0: never.
    struct MediaDeadline {
        int64_t at = 0;
        int reason = 0;
    };
    MediaDeadline mediaDeadlineOf(const Call& c) const;
    // The media timeout that ends an answered call now, or 0.
    int mediaTimeoutOf(const Call& c, int64_t now) const;
    // The earliest wall second at which expire() has something to do for
    // `c` (a delayed delete or a timeout), or 0.
    int64_t nextDeadlineOf(const Call& c) const;
    // Arms the call's timer for nextDeadlineOf(c), after anything that may
    // bring a deadline forward (signalling). Packets only push deadlines
    // out, so the packet path leaves the timer alone: when it fires early,
    // expire() arms it again.
    void schedule(Call& c, int64_t now);
    // The call's timer fired: deletes what is due at `now` (the checks the
    // once-a-second scan made), or arms the timer again.
    void expire(Call& c, int64_t now);
    net::TimerWheel& timers();
    void releaseParticipant(Participant& p);
    void removeParticipant(Call& c, Participant* p);
    // How m.ports tells the streams that the current pair changes.
    MediaPorts::Hooks portsHooks(Media& m);
    void releasePorts(Media& m);
    void releaseAllPorts(Media& m);
    void releaseIcePorts(Media& m);
    bool syncIcePorts(Media& m);
    void detachPorts(Media& m);
    void attachPorts(Media& m);
    void wire(Participant& a, Participant& b, const Flags& f);
    void applyControls(Call& c);
    void applyStreams(Call& c);
    void pierceNat(Participant& p);
    void applyTos(Call& c);

    SessionConfig cfg_;
    RuntimeParams* rt_ = nullptr;  // cfg_.runtime, or ownRt_
    std::unique_ptr<RuntimeParams> ownRt_;
    SessionCounters& counters_;
    net::EventLoop* loop_;
    media::WorkerStats* totals_;
    std::unique_ptr<net::TimerWheel> ownTimers_;  // without a loop (unit tests)
    std::shared_ptr<media::DtlsPacer> dtlsPacer_;  // with a loop
    // Declared before the calls: their streams reclaim through it as they go.
    std::unique_ptr<media::OffloadHook> offload_;
    // Sender reports that passed through this worker's streams (round trips).
    std::unique_ptr<media::SenderReportLog> senderReports_ = std::make_unique<media::SenderReportLog>();
    int64_t timersNow_ = 0;  // the wall second runTimers() pretends it is; 0 = the clock's
    std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
};

}  // namespace ngm::session
