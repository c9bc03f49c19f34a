// A stream: one local media socket of a participant's side of a media
// section, with its learning state and counters, and the chain a packet
// received on it runs (media/stage.h).
//
// The participant sends to the stream's socket; packets for the participant
// leave from it towards `endpoint()`. Signalling (session/) says what it
// wants with configure() (media/stream_config.h); the worker's loop hands
// datagrams in through net::DatagramIo; sends go back out through it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "media/controls.h"
#include "media/learning.h"
#include "media/offload.h"
#include "media/quality.h"
#include "media/stage.h"
#include "media/stream_config.h"
#include "net/datagram_io.h"
#include "net/udp_socket.h"

namespace ngm::media {

struct StreamStats {
    uint64_t packets = 0, bytes = 0, errors = 0;
    int64_t lastPacket = 0;  // wall seconds
};

// Totals of one worker: written by that worker only, read by any thread.
struct WorkerStats {
    std::atomic<uint64_t> packets{0}, bytes{0}, errors{0};
    std::atomic<int64_t> lastPacketMono{0};
    // What the in-kernel path forwarded for this worker's streams (handed
    // back with PacketStream::addForwarded; not in the figures above).
    std::atomic<uint64_t> kernelPackets{0}, kernelBytes{0}, kernelErrors{0};
    // Media sections of live calls that have received packets (refreshed
    // once a second; `statistics` media_userspace).
    std::atomic<int64_t> mediaWithTraffic{0};
    // Of those: all of whose streams with traffic are in the kernel path,
    // and those with some (`media_kernel`, `media_mixed`).
    std::atomic<int64_t> mediaKernel{0}, mediaMixed{0};
    // Secure media: SRTP/SRTCP refused by a Decrypt stage (authentication,
    // replay, length), DTLS-SRTP handshakes that completed or failed, and
    // DTLS records dropped for not coming from the handshake's peer.
    std::atomic<uint64_t> srtpFailures{0}, dtlsHandshakesOk{0}, dtlsHandshakesFailed{0};
    std::atomic<uint64_t> dtlsRefused{0};
    // DTLS records (and ClientHellos to make) put off to a later loop round
    // because the worker's DTLS time for the round was spent (DtlsPacer).
    std::atomic<uint64_t> dtlsPutOff{0};
    // ICE: agents that failed (no pair in time), and media dropped for not
    // coming from the selected pair.
    std::atomic<uint64_t> iceFailures{0}, iceRefused{0};
    // The agents' own counters, added as they move (IceTransport): checks
    // sent (retransmissions and consent checks included) and authenticated
    // checks received; checks refused (malformed or missing attributes,
    // unknown username, bad MESSAGE-INTEGRITY); consent expiries, role
    // conflicts, nominations.
    std::atomic<uint64_t> iceChecksSent{0}, iceChecksReceived{0};
    std::atomic<uint64_t> iceChecksMalformed{0}, iceChecksUnknownUsername{0}, iceChecksBadIntegrity{0};
    std::atomic<uint64_t> iceConsentExpired{0}, iceRoleConflicts{0}, iceNominations{0};
    // BUNDLE: packets on a bundled transport that matched no section (no
    // known MID, SSRC or unique payload type); also counted as errors.
    std::atomic<uint64_t> bundleUnmatched{0};
    void add(std::atomic<uint64_t>& c, uint64_t n) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

// What a stream needs from the worker it lives on.
class SenderReportLog;

struct StreamContext {
    net::DatagramIo* io = nullptr;
    WorkerStats* totals = nullptr;
    OffloadHook* offload = nullptr;  // the in-kernel path, if any
    // The worker's record of RTCP sender reports passing through (round
    // trips, media/rtcp_timing.h); none: no round trips measured.
    SenderReportLog* senderReports = nullptr;
};

class PacketStream final : public net::DatagramHandler {
  public:
    // `isRtcp`: the RTCP port of a non-muxed pair (only RTCP is taken on it).
    explicit PacketStream(bool isRtcp = false) : isRtcp_(isRtcp) {}
    ~PacketStream() override;
    PacketStream(const PacketStream&) = delete;
    PacketStream& operator=(const PacketStream&) = delete;

    // --- set up by signalling, on the owning worker ---
    // Puts the stream on `socket` and registers it for receiving. The socket
    // must outlive the attachment.
    void attach(const net::UdpSocket& socket, const StreamContext& ctx);
    // The same on a bare descriptor (no connected twins): other sockets, tests.
    void attach(int fd, const net::Endpoint& local, const StreamContext& ctx);
    // Off the socket (it is going away or moving); counters and learning stay.
    void detach();
    // Applies what signalling wants. A new advertised address (or none
    // learned yet) starts learning from it again.
    void configure(const StreamConfig& c);
    // What signalling wants, edited in place and applied with apply() (as
    // configure() with it): the stream's configuration is the only copy,
    // none is kept beside it in the session's Media (248 octets per stream).
    // Edits take effect with apply(): signalling runs on the stream's
    // worker and applies what it edited before the command ends (no packet
    // is handled in between), except the advertised address read from an
    // SDP, which a failing offer or answer may leave unapplied: the packet
    // path and advertised() use the applied one.
    StreamConfig& editConfig() { return cfg_; }
    void apply();
    // Monotonic ms from which delayed and heuristic learning commit after an
    // offer or answer at wall second `lastSignal`: the fourth wall second
    // after it (one value for every stream of the call).
    static int64_t learningCommitsAt(int64_t lastSignal);
    // An offer or answer of the call: learn again (keeping the endpoint
    // learned so far), committing from `commitsAtMs` on.
    void relearn(int64_t commitsAtMs);
    // `pierce NAT`: a bare RTP header (rtpengine's) towards the
    // participant's SDP address to open a NAT binding, while nothing has
    // come from it yet.
    void pierce();

    // ICE selected `peer` for this stream's component (null: none, or its
    // consent expired): media goes there and is taken from there only.
    // `outFd` (with its local address `outLocal`): the pair's local
    // candidate is another socket than the stream's own (a further address
    // of the logical interface), and what goes to the peer leaves from it.
    void setIcePeer(const net::Endpoint* peer, int outFd = -1, const net::Endpoint& outLocal = {});
    // A datagram of our own (a DTLS record) to `to`, from the socket media
    // to the participant leaves from (the ICE-selected one, or our own).
    void sendRaw(const uint8_t* data, size_t len, const net::Endpoint& to);
    // The same from socket `fromFd` (-1: this stream's own); STUN of the
    // ICE agent, from the socket of the candidate it checks.
    void sendRaw(const uint8_t* data, size_t len, const net::Endpoint& to, int fromFd);
    // The loop the stream is registered on (null before attach).
    net::DatagramIo* io() const { return ctx_.io; }

    // Packets of this stream forwarded elsewhere (the in-kernel path): added
    // to its counters, so query, statistics and timeouts see them.
    // `receptions` (if given): the RTP reception of each SSRC as the kernel
    // carried it on (query's SSRC entries, loss and jitter, the MOS samples).
    void addForwarded(const StreamStats& delta,
                      const SsrcReceptions::States* receptions = nullptr);

    // --- read by anyone on the owning worker ---
    bool isRtcp() const { return isRtcp_; }
    // The owning worker's totals (null in tests without a worker).
    WorkerStats* totals() const { return ctx_.totals; }
    bool attached() const { return fd_ >= 0; }
    const net::Endpoint& local() const { return local_; }
    const StreamConfig& config() const { return cfg_; }
    // As last applied (an offer that failed after reading the SDP may have
    // edited the configuration's without applying it).
    const net::Endpoint& advertised() const { return appliedAdvertised_; }
    // Where media for the participant goes (learned, or as advertised).
    const net::Endpoint& endpoint() const { return endpoint_; }
    // The endpoint is settled: learned from the participant's packets, or
    // (asymmetric, learning off) kept as the SDP says once a packet came.
    bool confirmed() const { return confirmed_; }
    const StreamStats& stats() const { return stats_; }
    // What this stream receives of RTP, as seen here (loss, jitter), and
    // the MOS samples taken from it (sampleQuality, off the packet path).
    const RtpReception& reception() const { return receptions_.current(); }
    // The same for each SSRC the stream received (up to SsrcReceptions::kSlots).
    const SsrcReceptions& receptions() const { return receptions_; }
    const MosRecord& mos() const { return mos_ ? *mos_ : noMos(); }
    // One MOS sample from the reception since the last one (once a second).
    // `rttMs`: the round trip between the parties (the sender's leg and
    // the other side's), `rttLegMs` the sender's leg; 0 when unknown. The
    // session layer adds them up: a leg's RTCP may arrive on the media's
    // RTCP stream rather than on this one.
    void sampleQuality(int64_t nowWall, double rttMs = 0, double rttLegMs = 0) {
        const RtpReception& r = receptions_.current();
        if (!r.started()) return;  // MosRecord::sample would take nothing
        if (!mos_) mos_ = std::make_unique<MosRecord>();
        mos_->sample(r, rttMs, nowWall, rttLegMs);
    }
    // The round trip between the proxy and the participant that sends to
    // this stream, from the last receiver report it sent about a sender
    // report the proxy passed on (RFC 3550 §6.4.1); 0 before one came.
    double rttLegMs() const { return double(rttLegUs_) / 1000.0; }
    // The participant's last RTCP sender report seen here: the middle 32
    // bits of its NTP timestamp and its arrival (monotonic us; 0: none).
    uint32_t lastSrMiddle() const { return lastSrMiddle_; }
    int64_t lastSrUs() const { return lastSrUs_; }
    // Octets of the RTP packets (headers included, as rtpengine 10.5
    // counts them) of the current SSRC of reception().
    uint64_t rtpOctets() const { return rtpOctets_; }
    // A packet the proxy wrote itself (`generate RTCP`) towards the
    // participant: through this stream's egress stage (SRTCP), as
    // forwarded RTCP would go. `data` has room for `capacity` octets (the
    // SRTCP trailer is added in place).
    void sendGenerated(uint8_t* data, size_t len, size_t capacity, bool rtp = false);
    // The stages the receiving chain runs, in order (built-in steps aside).
    size_t chainLength() const { return chainLen_; }
    // No stage would touch the bytes: the path is plain forwarding.
    bool plainForwarding() const;
    bool offloaded() const { return offloaded_; }
    // The in-kernel path forwards this stream's packets now (it was offered
    // and the path took it): query's `kernelized` flag.
    bool inKernel() const { return inKernel_; }

    // Hot path, from the worker's loop.
    void onDatagram(net::Datagram& d) override;

  private:
    const SinkList* admit(net::Datagram& d, int64_t nowMs, bool& rtp);
    // `last`: no sink after this one needs the packet (it may be
    // transformed where it lies).
    void transmit(const PacketContext& p, bool last);
    bool canReceive() const;
    void count(uint64_t packets, uint64_t bytes, uint64_t errors, int64_t nowMs);
    void noteRtcpTiming(const uint8_t* data, size_t len);
    bool acceptSource(const net::Endpoint& src, int64_t nowMs);
    void confirm(const net::Endpoint& ep);
    void setEndpoint(const net::Endpoint& ep);
    void resetLearning();
    void forgetLearned();
    void rebuildChain();
    void maybeOffload();
    void reclaim();
    bool openTwin();
    void dropTwin();
    // A connected twin to where media for the participant goes now.
    bool hasTwin() const { return twin_.isOpen() && twinPeer_ == endpoint_; }

    const bool isRtcp_;
    int fd_ = -1;
    net::Endpoint local_;
    const net::UdpSocket* socket_ = nullptr;  // for twins; null on a bare fd
    StreamContext ctx_;
    StreamConfig cfg_;
    // What apply() compares the edited configuration with.
    net::Endpoint appliedAdvertised_;
    bool appliedIce_ = false;
    net::Endpoint endpoint_;
    bool confirmed_ = false;
    StreamStats stats_;
    SsrcReceptions receptions_;
    // Made on the first sample (224 octets): an RTCP stream, or one that
    // received no RTP, has none.
    std::unique_ptr<MosRecord> mos_;
    static const MosRecord& noMos();
    int64_t rttLegUs_ = 0;
    uint32_t lastSrMiddle_ = 0;
    int64_t lastSrUs_ = 0;
    uint64_t rtpOctets_ = 0;
    // The receiving chain: the configured stages in slot order.
    std::array<Stage*, kIngressSlots> chain_{};
    uint8_t chainLen_ = 0;
    ControlsStage controls_;
    bool offloaded_ = false;
    bool inKernel_ = false;  // offloaded_, and the path took it
    bool handled_ = false;   // admit() gave the datagram to the DTLS or ICE handler
    bool icePeer_ = false;   // with ICE: endpoint_ is the selected pair's remote
    // With ICE on a further interface address: the selected pair's socket
    // (media to the participant leaves from it; no twin), else -1.
    int iceOutFd_ = -1;
    net::Endpoint iceOutLocal_;
    // Heuristic learning: the best-ranked source since learning began.
    net::Endpoint candidate_;
    int candidateRank_ = -1;
    // With io_uring: a socket on our port connected to the confirmed
    // endpoint; packets for the participant leave through it.
    net::UdpSocket twin_;
    net::Endpoint twinPeer_;
    int64_t lastTwinMs_ = -1000000;  // when learning last opened a twin
    bool twinWanted_ = false;        // settled, but the twin budget said later
    // Monotonic ms from which learning commits (0: at once).
    int64_t learnFromMs_ = 0;
};

}  // namespace ngm::media
