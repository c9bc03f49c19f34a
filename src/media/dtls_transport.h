// DTLS-SRTP on a stream (RFC 5763/5764): the handshake of one media
// section's RTP component, driven by the owning worker (records from the
// stream, retransmissions on the worker's timer wheel), and the SRTP stages
// made from its exported keys once it is Connected. The engine itself is
// crypto::DtlsConnection; this is its place on the packet path.
//
// Records are taken from one peer only: the first source the handshake
// hears from (or, when we are active, answers us) becomes the DTLS peer and
// records from anywhere else are dropped and counted; once the stream's
// endpoint is confirmed, only from there. (rtpengine 10.5.3.5 takes a
// ClientHello from anyone, its advisory ES2023-03.)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/dtls.h"
#include "media/srtp_stage.h"
#include "net/address.h"
#include "net/timer_wheel.h"

namespace ngm::net {
class EventLoop;
}

namespace ngm::media {

class PacketStream;
class DtlsTransport;

// Spreads the handshake work of one worker's DTLS associations over loop
// rounds (issue 11 §8): records are worked on while this round's slice of
// DTLS time lasts; beyond it they wait (copied, a few per association) for
// the next rounds, so that the media received meanwhile is relayed first
// instead of waiting behind a burst of handshakes (each costs the worker a
// key exchange and a signature). Each round's slice is fresh, so a worker
// that relays no media goes through a burst at nearly its full speed (a
// round without I/O costs a few microseconds; issue 12 §7: WebRTC set-up).
// While the worker relays media, the slices also come at no more than half
// the rate of the wall clock, so that a long burst takes at most about half
// the worker and the relaying keeps the rest. One per worker; loop thread
// only.
class DtlsPacer {
  public:
    // What holds records back (a DtlsTransport).
    class Client {
      public:
        virtual ~Client() = default;
        // Works on the oldest record held back; true if more wait.
        virtual bool runHeld() = 0;
    };
    // `budget`: the DTLS time of one round (a record that starts within it
    // runs to its end); 0: no pacing (every record at once). `media`: the
    // worker's count of media packets relayed (WorkerStats::packets); null:
    // never relaying.
    static std::shared_ptr<DtlsPacer> create(net::EventLoop& loop, std::chrono::microseconds budget,
                                             const std::atomic<uint64_t>* media = nullptr);
    ~DtlsPacer();
    DtlsPacer(const DtlsPacer&) = delete;
    DtlsPacer& operator=(const DtlsPacer&) = delete;

    // A record may be worked on now: budget left and nobody waits before it.
    bool mayRun() const { return waiting_.empty() && (budgetUs_ == 0 || spentUs_ < budgetUs_); }
    // Time a record took (arms the budget's reset at the end of the round).
    void spent(uint64_t us);
    // `c` holds records: worked on in a later round, in turn with the others.
    void wait(Client& c);
    void forget(const Client& c);
    // Records that waited for a later round (since start).
    uint64_t putOff() const { return putOff_; }

  private:
    DtlsPacer(net::EventLoop& loop, std::chrono::microseconds budget,
              const std::atomic<uint64_t>* media);
    bool relaying(uint64_t nowUs);
    void endOfRound();
    void drain();
    void armEnd();

    net::EventLoop& loop_;
    std::weak_ptr<DtlsPacer> self_;
    uint64_t budgetUs_;
    const std::atomic<uint64_t>* media_;
    uint64_t mediaSeen_ = 0, mediaAtUs_ = 0;  // the count last seen; when it last moved
    // Of the budget: refilled every round, or while relaying at half the
    // rate of the wall clock (from refilledAtUs_ on).
    uint64_t spentUs_ = 0;
    uint64_t refilledAtUs_ = 0;
    bool endArmed_ = false, drainArmed_ = false;
    std::deque<Client*> waiting_;
    uint64_t putOff_ = 0;
};

// Where a stream hands the DTLS records it receives (StreamConfig::dtls).
class DtlsHandler {
  public:
    virtual ~DtlsHandler() = default;
    // Hot path of the stream; `from` is the record's source.
    virtual void onDtls(PacketStream& s, std::span<const uint8_t> datagram,
                        const net::Endpoint& from) = 0;
    // Hot path: RTP or RTCP reached the stream (keys or not).
    virtual void onMedia() {}
};

class DtlsTransport final : public DtlsHandler, private DtlsPacer::Client {
  public:
    struct Options {
        std::shared_ptr<const crypto::DtlsCertificate> cert;
        crypto::DtlsRole role = crypto::DtlsRole::Active;
        std::vector<crypto::Fingerprint> peerFingerprints;
        net::TimerWheel* timers = nullptr;  // the owning worker's; null: no retransmission
        std::shared_ptr<DtlsPacer> pacer;   // the owning worker's; null: no pacing
        std::string logContext;             // "[call-id/tag]"
    };
    // Called once the keys are there (Connected), or when the handshake
    // failed: the owner puts the stages on its streams.
    using StateChanged = std::function<void()>;

    static Result<std::unique_ptr<DtlsTransport>> create(Options o, StateChanged changed);
    ~DtlsTransport() override;
    DtlsTransport(const DtlsTransport&) = delete;
    DtlsTransport& operator=(const DtlsTransport&) = delete;

    // The stream its records go out on (the media's RTP stream). An active
    // transport sends its ClientHello to the stream's endpoint.
    void start(PacketStream& s);
    void onDtls(PacketStream& s, std::span<const uint8_t> datagram,
                const net::Endpoint& from) override;
    // Media while the pacer holds records of ours back: the peer has done its
    // side, so they are worked on now, out of turn; the media behind them
    // would otherwise arrive before the keys (a passive peer's first SRTP
    // right after its Finished, which waited in the pacer).
    void onMedia() override {
        if (!held_.empty()) runAllHeld();
    }
    // close_notify to the peer (the call ends, or a re-offer replaces it).
    void close();

    // A re-offer that keeps role and fingerprints keeps the association.
    bool keeps(crypto::DtlsRole role, const std::vector<crypto::Fingerprint>& fps) const {
        return role == opts_.role && fps == opts_.peerFingerprints;
    }
    // Made before the peer's fingerprints were known (a passive association
    // waiting for an early ClientHello): they come with its answer.
    bool awaitsFingerprints() const { return opts_.peerFingerprints.empty(); }
    void setPeerFingerprints(std::vector<crypto::Fingerprint> fps);
    crypto::DtlsState state() const { return conn_->state(); }
    crypto::DtlsRole role() const { return opts_.role; }
    const std::string& failureReason() const { return conn_->failureReason(); }
    // Null until Connected.
    SrtpStage* decrypt() const { return decrypt_.get(); }
    SrtpStage* encrypt() const { return encrypt_.get(); }
    std::optional<crypto::SrtpProfile> profile() const { return conn_->srtpProfile(); }
    const net::Endpoint& peer() const { return peer_; }
    // Records dropped for coming from elsewhere than the peer.
    uint64_t refused() const { return refused_; }

  private:
    DtlsTransport(Options o, StateChanged changed, std::unique_ptr<crypto::DtlsConnection> c);
    bool runHeld() override;
    void runAllHeld();
    void begin();
    void work(std::span<const uint8_t> datagram);
    void afterInput(uint64_t nowMs);
    void flush();
    void arm(uint64_t nowMs);
    void onTimer();

    Options opts_;
    StateChanged changed_;
    std::unique_ptr<crypto::DtlsConnection> conn_;
    PacketStream* stream_ = nullptr;
    net::Endpoint peer_;
    bool peerFixed_ = false;
    crypto::DtlsState reported_ = crypto::DtlsState::New;
    std::unique_ptr<SrtpStage> decrypt_, encrypt_;
    net::Timer timer_;
    uint64_t refused_ = 0;
    std::vector<uint8_t> scratch_;
    // Records held back by the pacer (bounded: beyond, dropped and left to
    // the peer's retransmission).
    std::deque<std::vector<uint8_t>> held_;
    bool startHeld_ = false;  // an active start() put off by the pacer
    static constexpr size_t kMaxHeld = 8;
};

}  // namespace ngm::media
