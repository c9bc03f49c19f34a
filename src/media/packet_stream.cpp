#include "media/packet_stream.h"

#include "media/bundle.h"
#include "media/rtcp_timing.h"

#include "media/dtls_transport.h"
#include "media/ice_transport.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "media/packet.h"

namespace ngm::media {

namespace {

constexpr size_t kMaxPacket = 4096;
// Room an egress stage may need beyond the packet to transform it in the
// received buffer: an SRTP tag (16), an MKI (up to 128), the SRTCP index (4).
constexpr size_t kEgressRoom = 256;
// Delayed and heuristic learning wait this long after the last offer or
// answer, counted as rtpengine counts it: in whole wall-clock seconds, so
// the first packet of the fourth second after the signal's second commits
// (3 to 4 s after the signal).
constexpr int64_t kLearningWaitSeconds = 3;
// `pierce NAT`: what rtpengine sends, an RTP header alone (version 2,
// payload type 127, sequence number 0xffff, timestamp and SSRC 0).
constexpr uint8_t kPiercePacket[12] = {0x80, 0x7f, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};

int64_t coarseMs(clockid_t clock) {
    timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// The arrival time the jitter is measured with (a coarse clock ticks in
// milliseconds or more: too coarse for a 20 ms packet interval).
int64_t monoMicros() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool usable(const net::Endpoint& ep) { return ep.valid() && ep.port != 0 && !ep.address.isAny(); }

}  // namespace

PacketStream::~PacketStream() {
    reclaim();
    dropTwin();
}

void PacketStream::attach(const net::UdpSocket& socket, const StreamContext& ctx) {
    attach(socket.fd(), socket.local(), ctx);
    socket_ = &socket;
}

void PacketStream::attach(int fd, const net::Endpoint& local, const StreamContext& ctx) {
    detach();
    ctx_ = ctx;
    fd_ = fd;
    local_ = local;
    socket_ = nullptr;
    if (ctx_.io && fd_ >= 0) ctx_.io->addDatagram(fd_, this);
}

void PacketStream::detach() {
    reclaim();
    // The connected twin sits on the socket's port: it goes too.
    dropTwin();
    if (ctx_.io && fd_ >= 0) ctx_.io->removeDatagram(fd_);
    fd_ = -1;
    local_ = {};
    socket_ = nullptr;
}

const MosRecord& PacketStream::noMos() {
    static const MosRecord none;
    return none;
}

void PacketStream::configure(const StreamConfig& c) {
    if (&c != &cfg_) cfg_ = c;
    apply();
}

void PacketStream::apply() {
    reclaim();
    bool readvertised = cfg_.advertised != appliedAdvertised_ || !endpoint_.valid();
    bool iceBefore = appliedIce_;
    appliedAdvertised_ = cfg_.advertised;
    appliedIce_ = cfg_.ice != nullptr;
    if (cfg_.ice) {
        // The selected pair, not the SDP, says where media goes; until there
        // is one the endpoint shown is the SDP's (nothing is sent to it:
        // canReceive wants the pair).
        if (!iceBefore) {
            forgetLearned();
            icePeer_ = false;
        }
        if (!icePeer_) setEndpoint(cfg_.advertised);
    } else {
        if (iceBefore) icePeer_ = false;
        if (readvertised || iceBefore) resetLearning();
    }
    rebuildChain();
}

// Stages in slot order; an empty slot is not in the chain.
void PacketStream::rebuildChain() {
    controls_.set(cfg_.controls);
    chainLen_ = 0;
    for (size_t i = 0; i < kIngressSlots; i++) {
        Stage* s = cfg_.stages[i];
        if (!s && i == (size_t)Slot::Controls && cfg_.controls.any()) s = &controls_;
        if (s) chain_[chainLen_++] = s;
    }
}

void PacketStream::forgetLearned() {
    reclaim();
    confirmed_ = false;
    twinWanted_ = false;
    candidate_ = {};
    candidateRank_ = -1;
}

// Back to the advertised address, learning again.
void PacketStream::resetLearning() {
    dropTwin();
    setEndpoint(cfg_.advertised);
    forgetLearned();
}

int64_t PacketStream::learningCommitsAt(int64_t lastSignal) {
    int64_t wallMs = coarseMs(CLOCK_REALTIME_COARSE);
    return coarseMs(CLOCK_MONOTONIC_COARSE) + (lastSignal + kLearningWaitSeconds + 1) * 1000 -
           wallMs;
}

void PacketStream::relearn(int64_t commitsAtMs) {
    if (cfg_.ice) return;  // the selected pair stays until ICE says otherwise
    forgetLearned();
    learnFromMs_ = commitsAtMs;
}

void PacketStream::pierce() {
    if (!cfg_.pierceNat || stats_.packets || fd_ < 0 || !ctx_.io || !usable(endpoint_)) return;
    sockaddr_storage ss;
    socklen_t len = endpoint_.toSockaddr(ss);
    ctx_.io->sendTo(fd_, kPiercePacket, sizeof kPiercePacket, reinterpret_cast<sockaddr*>(&ss), len);
}

void PacketStream::setEndpoint(const net::Endpoint& ep) {
    if (ep == endpoint_) return;
    endpoint_ = ep;
    if (ctx_.offload) {
        reclaim();
        ctx_.offload->moved(*this);
    }
}

void PacketStream::setIcePeer(const net::Endpoint* peer, int outFd, const net::Endpoint& outLocal) {
    if (!cfg_.ice) return;
    if (peer) {
        if (outFd != iceOutFd_) {
            // Another socket: the in-kernel route and any twin name the old one.
            reclaim();
            dropTwin();
        }
        iceOutFd_ = outFd;
        iceOutLocal_ = outFd >= 0 ? outLocal : net::Endpoint{};
        icePeer_ = true;
        confirm(*peer);
    } else {
        icePeer_ = false;
        iceOutFd_ = -1;
        iceOutLocal_ = {};
        reclaim();
        confirmed_ = false;
    }
}

void PacketStream::confirm(const net::Endpoint& ep) {
    setEndpoint(ep);
    confirmed_ = true;
    // Twins are connected sockets on our own port: not for media leaving
    // from another ICE candidate's socket.
    twinWanted_ = ctx_.io && ctx_.io->usesIoUring() && iceOutFd_ < 0 && !openTwin();
}

namespace {
// Descriptors are handed out lowest first, so a twin's number tells how many
// are open: twins stop at three quarters of the limit, leaving the rest to
// the ports of new calls.
int twinFdCeiling() {
    static const int ceiling = [] {
        rlimit rl{};
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1 << 20;
        return (int)(rl.rlim_cur / 4 * 3);
    }();
    return ceiling;
}

// Opening a twin costs a handful of system calls (~20 us here): when many
// calls start their media at once (a burst of calls, or a restart), opening
// all their twins in the same moment would hold up every call's packets on
// the loop for tens of milliseconds. A loop thread opens at most
// kTwinsPerWindow twins per kTwinWindowMs; streams refused now try again on
// a later packet. Until then their media leaves through the port's own
// socket, as without twins.
constexpr int kTwinsPerWindow = 32;
constexpr int64_t kTwinWindowMs = 10;
bool takeTwinBudget(int64_t nowMs) {
    thread_local int64_t windowStart = 0;
    thread_local int used = 0;
    if (nowMs - windowStart >= kTwinWindowMs) {
        windowStart = nowMs;
        used = 0;
    }
    if (used >= kTwinsPerWindow) return false;
    used++;
    return true;
}
}  // namespace

// Once per destination (settled, or holding while learning), not per packet.
// False when the budget refused it (try again later); true otherwise,
// including when there is nothing to open or the socket calls failed.
bool PacketStream::openTwin() {
    if (hasTwin()) return true;
    dropTwin();
    if (!socket_ || !socket_->isOpen() || !ctx_.io || !usable(endpoint_)) return true;
    if (!takeTwinBudget(coarseMs(CLOCK_MONOTONIC_COARSE))) return false;
    if (!socket_->openTwin(twin_, endpoint_, twinFdCeiling())) return true;
    if (!ctx_.io->addDatagram(twin_.fd(), this)) {
        twin_.close();
        return true;
    }
    twinPeer_ = endpoint_;
    return true;
}

void PacketStream::dropTwin() {
    if (!twin_.isOpen()) return;
    if (ctx_.io) ctx_.io->removeDatagram(twin_.fd());
    twin_.close();
}

namespace {
// Heuristic learning ranks a source by what it shares with the SDP's
// endpoint (rtpengine's man page): address and port, then address, then
// port, then neither.
int heuristicRank(const net::Endpoint& src, const net::Endpoint& sdp) {
    bool address = src.address == sdp.address, port = src.port == sdp.port;
    return address && port ? 3 : address ? 2 : port ? 1 : 0;
}
}  // namespace

// What rtpengine does with a valid packet's source (only valid RTP/RTCP
// gets here: RTP Bleed).
bool PacketStream::acceptSource(const net::Endpoint& src, int64_t nowMs) {
    // With ICE media is taken from the selected pair only: nothing else is
    // relayed, nor learned from.
    if (cfg_.ice) {
        if (icePeer_ && src == endpoint_) return true;
        if (ctx_.totals) ctx_.totals->add(ctx_.totals->iceRefused, 1);
        return false;
    }
    // Nothing to learn: the SDP's endpoint is settled by the first packet.
    if ((cfg_.asymmetric || cfg_.learning == Learning::Off) && !confirmed_) confirm(endpoint_);
    if (confirmed_) {
        if (src == endpoint_) return true;
        if (cfg_.mediaHandover) {
            // Follow the new source; the next packet settles it again (an
            // asymmetric stream has nothing to settle).
            if (cfg_.asymmetric) {
                confirm(src);
            } else {
                setEndpoint(src);
                confirmed_ = false;
            }
            return true;
        }
        // Without `strict source` other sources still get through, but
        // media does not go back to them.
        return !cfg_.strictSource;
    }
    // Learning: `strict source` waits for the endpoint to be settled.
    net::Endpoint pick = src;
    const net::Endpoint& advertised = appliedAdvertised_;
    if (cfg_.learning == Learning::Heuristic && advertised.valid() && advertised.port != 0) {
        int rank = heuristicRank(src, advertised);
        if (rank >= candidateRank_) {
            candidate_ = src;
            candidateRank_ = rank;
        }
        pick = candidate_;
    }
    // During the wait media goes to the (best) source, unsettled.
    if (cfg_.learning != Learning::Immediate && nowMs < learnFromMs_) {
        bool same = pick == endpoint_;
        setEndpoint(pick);
        // A destination that holds gets its connected twin already (at most
        // one new twin a second: sources taking turns cannot make us open
        // sockets per packet).
        if (same && ctx_.io && ctx_.io->usesIoUring() && !hasTwin() && nowMs - lastTwinMs_ >= 1000 &&
            openTwin())
            lastTwinMs_ = nowMs;
    } else {
        confirm(pick);
    }
    return true;
}

// Demux and source checks: the sinks the packet goes to, or null when it is
// dropped as an error.
const SinkList* PacketStream::admit(net::Datagram& d, int64_t nowMs, bool& rtp) {
    if (d.truncated) return nullptr;
    std::span<const uint8_t> pkt(d.data, d.len);
    // RFC 7983 / RFC 5761: only RTP on an RTP port, RTCP anywhere. What is
    // neither is never forwarded, nor learned from (RTP Bleed).
    PacketKind kind = classify(pkt);
    if (kind == PacketKind::Dtls && cfg_.dtls) {
        // The handshake's records: not media, not counted as such.
        cfg_.dtls->onDtls(*this, pkt, net::Endpoint::fromSockaddr(d.from));
        handled_ = true;
        return nullptr;
    }
    if (kind == PacketKind::Stun && cfg_.ice) {
        // Connectivity checks and their answers: the agent's, not media.
        cfg_.ice->onStun(*this, pkt, net::Endpoint::fromSockaddr(d.from));
        handled_ = true;
        return nullptr;
    }
    // Records of the handshake held back by the worker's DTLS pacer go
    // before the media that follows them.
    if (cfg_.dtls) cfg_.dtls->onMedia();
    rtp = kind == PacketKind::Rtp && !isRtcp_;
    const bool decrypts = cfg_.stages[(size_t)Slot::Decrypt] != nullptr;
    // SRTCP passed through (SDES pass-through) is never decrypted here: only
    // its head can be checked.
    auto plausibleRtcp = [&] {
        return cfg_.srtcpTrailer ? validSrtcpHead(pkt, cfg_.srtcpTrailer) : validRtcp(pkt);
    };
    const SinkList* sinks;
    if (rtp)
        sinks = &cfg_.rtpSinks;
    else if (kind == PacketKind::Rtcp && (decrypts || plausibleRtcp()))
        sinks = &cfg_.rtcpSinks;  // SRTCP's trailer: checked once decrypted
    else
        return nullptr;
    // SRTP/SRTCP is authenticated before the source counts: a packet that
    // fails is never learned from (nor forwarded).
    if (decrypts) {
        PacketContext p{d.data, d.len, d.capacity, rtp, nowMs, this};
        if (chain_[0]->process(p) != Verdict::Forward) {
            if (ctx_.totals) ctx_.totals->add(ctx_.totals->srtpFailures, 1);
            return nullptr;
        }
        d.len = p.len;
        if (!rtp && !validRtcp({d.data, d.len})) return nullptr;
    }
    if (!acceptSource(net::Endpoint::fromSockaddr(d.from), nowMs)) return nullptr;
    if (cfg_.bundle) {
        // RFC 9143 §9.2: the section of the packet picks its leg.
        std::span<const uint8_t> plain(d.data, d.len);
        int section = rtp ? cfg_.bundle->routeRtp(plain) : cfg_.bundle->routeRtcp(plain);
        if (section < 0) {
            if (ctx_.totals) ctx_.totals->add(ctx_.totals->bundleUnmatched, 1);
            return nullptr;
        }
        const BundleDemux::Section& s = cfg_.bundle->section(size_t(section));
        sinks = rtp ? &s.rtpSinks : &s.rtcpSinks;
    }
    if (rtp && cfg_.bundleOut && d.len >= 12)
        cfg_.bundleOut->noteSent(cfg_.bundleSection, uint32_t(d.data[8]) << 24 | uint32_t(d.data[9]) << 16 |
                                                         uint32_t(d.data[10]) << 8 | d.data[11]);
    if (cfg_.unidirectional)
        for (PacketStream* sink : *sinks)
            if (!sink->confirmed_ && sink->endpoint_.valid()) sink->confirm(sink->endpoint_);
    return sinks;
}

void PacketStream::count(uint64_t packets, uint64_t bytes, uint64_t errors, int64_t nowMs) {
    stats_.packets += packets;
    stats_.bytes += bytes;
    stats_.errors += errors;
    if (packets) stats_.lastPacket = coarseMs(CLOCK_REALTIME_COARSE) / 1000;
    if (WorkerStats* totals = ctx_.totals) {
        if (packets) {
            totals->add(totals->packets, packets);
            totals->add(totals->bytes, bytes);
            totals->lastPacketMono.store(nowMs, std::memory_order_relaxed);
        }
        if (errors) totals->add(totals->errors, errors);
    }
}

void PacketStream::addForwarded(const StreamStats& delta, const SsrcReceptions::States* receptions) {
    if (receptions) receptions_.restore(*receptions);
    stats_.packets += delta.packets;
    stats_.bytes += delta.bytes;
    stats_.errors += delta.errors;
    stats_.lastPacket = std::max(stats_.lastPacket, delta.lastPacket);
    if (WorkerStats* totals = ctx_.totals) {
        totals->add(totals->kernelPackets, delta.packets);
        totals->add(totals->kernelBytes, delta.bytes);
        totals->add(totals->kernelErrors, delta.errors);
    }
}

// The participant can be sent to now.
bool PacketStream::canReceive() const {
    return fd_ >= 0 && ctx_.io && cfg_.receives && usable(endpoint_) && (!cfg_.ice || icePeer_) &&
           !(cfg_.natWait && !stats_.packets);
}

void PacketStream::sendRaw(const uint8_t* data, size_t len, const net::Endpoint& to) {
    sendRaw(data, len, to, iceOutFd_);
}

void PacketStream::sendRaw(const uint8_t* data, size_t len, const net::Endpoint& to, int fromFd) {
    int fd = fromFd >= 0 ? fromFd : fd_;
    if (fd_ < 0 || !ctx_.io || !to.valid()) return;
    sockaddr_storage sa;
    socklen_t saLen = to.toSockaddr(sa);
    ctx_.io->sendTo(fd, data, len, reinterpret_cast<sockaddr*>(&sa), saLen, &stats_.errors);
}

void PacketStream::sendGenerated(uint8_t* data, size_t len, size_t capacity, bool rtp) {
    PacketContext p{data, len, capacity, rtp, coarseMs(CLOCK_MONOTONIC_COARSE), this};
    transmit(p, true);
}

// Hot path, on the sink: the packet leaves towards this stream's participant.
void PacketStream::transmit(const PacketContext& p, bool last) {
    if (!canReceive()) return;
    const uint8_t* data = p.data;
    size_t len = p.len;
    if (cfg_.egress) {
        PacketContext q = p;
        q.stream = this;
        // Each sink transforms a copy of its own (its keys, its SSRCs),
        // except the last one, which may take the received buffer itself
        // when it has room for a trailer (SRTP's tag, MKI, SRTCP index):
        // one copy fewer per protected packet.
        if (!last || p.capacity < p.len + kEgressRoom) {
            thread_local uint8_t scratch[kMaxPacket];
            if (p.len > sizeof scratch) return;
            std::memcpy(scratch, p.data, p.len);
            q.data = scratch;
            q.capacity = sizeof scratch;
        }
        if (cfg_.egress->process(q) != Verdict::Forward) return;
        data = q.data;
        len = q.len;
    }
    if (iceOutFd_ >= 0) {
        // ICE selected a pair on another address's socket.
        sockaddr_storage to;
        socklen_t toLen = endpoint_.toSockaddr(to);
        ctx_.io->sendTo(iceOutFd_, data, len, reinterpret_cast<sockaddr*>(&to), toLen, &stats_.errors);
        return;
    }
    if (twinWanted_) twinWanted_ = !openTwin();
    if (hasTwin()) {
        ctx_.io->sendTo(twin_.fd(), data, len, nullptr, 0, &stats_.errors);
        return;
    }
    sockaddr_storage to;
    socklen_t toLen = endpoint_.toSockaddr(to);
    ctx_.io->sendTo(fd_, data, len, reinterpret_cast<sockaddr*>(&to), toLen, &stats_.errors);
}

// Hot path: one datagram received on this stream's socket (or its twin).
// demux → source checks and learning → the chain's stages → count → each
// sink's egress. No allocation, no lock, no log line at the default level.
// RFC 3550 §6.4.1 as the proxy measures it (media/rtcp_timing.h).
void PacketStream::noteRtcpTiming(const uint8_t* data, size_t len) {
    RtcpTiming t;
    if (!parseRtcpTiming({data, len}, t)) return;
    // --log-level-rtcp=7 only: one line a packet.
    if (t.hasSenderReport)
        NGM_LOG_SUB(log::Subsystem::Rtcp, log::Debug, "", "RTCP SR from SSRC %08x, %zu report blocks",
                    (unsigned)t.senderSsrc, t.blockCount);
    else
        NGM_LOG_SUB(log::Subsystem::Rtcp, log::Debug, "", "RTCP RR, %zu report blocks", t.blockCount);
    int64_t now = monoMicros();
    if (t.hasSenderReport) {
        lastSrMiddle_ = t.ntpMiddle;
        lastSrUs_ = now;
    }
    if (!ctx_.senderReports) return;
    if (t.hasSenderReport) ctx_.senderReports->record(t.senderSsrc, t.ntpMiddle, now);
    for (size_t i = 0; i < t.blockCount; i++) {
        const RtcpTiming::Block& b = t.blocks[i];
        if (!b.lsr) continue;
        auto sr = ctx_.senderReports->passedAt(b.ssrc, b.lsr);
        if (!sr) continue;
        if (auto rtt = roundTripUs(now, *sr, b.dlsr)) rttLegUs_ = *rtt;
    }
}

void PacketStream::onDatagram(net::Datagram& d) {
    int64_t nowMs = coarseMs(CLOCK_MONOTONIC_COARSE);
    bool rtp = false;
    const SinkList* sinks = admit(d, nowMs, rtp);
    if (!sinks) {
        if (handled_)
            handled_ = false;
        else
            count(0, 0, 1, nowMs);
        return;
    }
    if (rtp) {
        // RTP of a stream the kernel forwards that came up all the same (a
        // payload type outside the negotiated set): the kernel's reception
        // state comes back first (one lookup-and-delete), this packet goes
        // on from it, and the stream is offered again below.
        if (inKernel_ && d.from && net::Endpoint::fromSockaddr(d.from) == endpoint_) reclaim();
        // RFC 3550 §5.1: sequence number, timestamp, SSRC (classify() saw
        // the 12-byte header). Only a clock read and a few sums.
        const uint8_t* h = d.data;
        int64_t us = cfg_.clockRate ? monoMicros() : 0;
        receptions_.onPacket(uint32_t(h[8]) << 24 | uint32_t(h[9]) << 16 | uint32_t(h[10]) << 8 | h[11],
                            uint16_t(h[2] << 8 | h[3]),
                            uint32_t(h[4]) << 24 | uint32_t(h[5]) << 16 | uint32_t(h[6]) << 8 | h[7], us,
                            cfg_.clockRate);
        rtpOctets_ = receptions_.current().received() == 1 ? d.len : rtpOctets_ + d.len;
    } else if ((ctx_.senderReports || cfg_.generateRtcp) && !cfg_.srtcpTrailer) {
        // Plain (or decrypted) RTCP: SR times and report blocks, a few
        // reads into fixed-size tables.
        noteRtcpTiming(d.data, d.len);
    }
    // RFC 4585 feedback does not go to an AVP peer (rtpengine): plain RTCP
    // only (SRTCP passed through undecrypted cannot be looked into).
    if (!rtp && cfg_.stripRtcpFeedback && !cfg_.srtcpTrailer) {
        size_t kept = stripRtcpFeedback({d.data, d.len});
        if (kept == 0) {
            count(1, d.len, 0, nowMs);
            return;
        }
        d.len = kept;
    }
    // `generate RTCP`: the proxy reports itself; what came is consumed.
    if (!rtp && cfg_.generateRtcp) {
        count(1, d.len, 0, nowMs);
        return;
    }
    PacketContext p{d.data, d.len, d.capacity, rtp, nowMs, this};
    Verdict v = Verdict::Forward;
    // The Decrypt stage, first in the chain, ran in admit().
    uint8_t first = cfg_.stages[(size_t)Slot::Decrypt] ? 1 : 0;
    for (uint8_t i = first; i < chainLen_ && v == Verdict::Forward; i++) v = chain_[i]->process(p);
    if (v == Verdict::Error) {
        count(0, 0, 1, nowMs);
        return;
    }
    count(1, d.len, 0, nowMs);
    // RFC 8843 §9.2 / §15: RTP into a participant's bundled transport names
    // its section with the MID header extension, when its SDP has one.
    if (rtp && v == Verdict::Forward && cfg_.bundleOut && cfg_.bundleOut->midExtension() &&
        cfg_.bundleSection < cfg_.bundleOut->size()) {
        const BundleDemux::Section& s = cfg_.bundleOut->section(cfg_.bundleSection);
        size_t len = p.len;
        // No further than the egress stages' scratch buffer takes.
        std::span<uint8_t> room(p.data, std::min(p.capacity, kMaxPacket));
        if (s.midLen &&
            setHeaderExtension(room, len, cfg_.bundleOut->midExtension(),
                               {reinterpret_cast<const uint8_t*>(s.mid.data()), s.midLen}))
            p.len = len;
    }
    // Dropped by block media or drop-traffic: the kernel can drop it too.
    if (v == Verdict::Forward)
        for (size_t i = 0, n = sinks->size(); i < n; i++) (*sinks)[i]->transmit(p, i + 1 == n);
    if (ctx_.offload && !offloaded_) maybeOffload();
}

// Controls the kernel applies itself: block media, block DTMF, drop-traffic
// (silence and media echo rewrite payloads: userspace's).
static bool kernelControls(const Controls& c) { return !c.silence && !c.echoSsrc; }

bool PacketStream::plainForwarding() const {
    // The only stage a forwarded stream may have is the built-in Controls
    // one, dropping what the kernel drops the same way.
    bool chainPlain = chainLen_ == 0 ||
                      (chainLen_ == 1 && chain_[0] == &controls_ && kernelControls(cfg_.controls));
    if (!chainPlain || cfg_.stripRtcpFeedback || !confirmed_ || fd_ < 0 || cfg_.bundle ||
        cfg_.bundleOut || cfg_.generateRtcp)
        return false;
    if (cfg_.rtpSinks.size() > 1 || cfg_.rtcpSinks.size() > 1) return false;
    for (const PacketStream* sink : cfg_.rtpSinks)
        if (sink->cfg_.egress || !sink->confirmed_ || !sink->canReceive()) return false;
    // The RTCP sink need not be settled (many peers send no RTCP, and RTCP
    // must not keep their RTP in userspace): its RTCP goes where userspace
    // would send it now, and moved() follows it when that changes.
    for (const PacketStream* sink : cfg_.rtcpSinks)
        if (sink->cfg_.egress) return false;
    return !cfg_.rtpSinks.empty() || !cfg_.rtcpSinks.empty();
}

void PacketStream::maybeOffload() {
    if (!plainForwarding()) return;
    OffloadInfo info;
    info.local = local_;
    info.source = endpoint_;
    info.strictSource = cfg_.strictSource;
    auto route = [](const SinkList& l, OffloadRoute& r) {
        if (l.empty()) return;
        const PacketStream* sink = l[0];
        // One that cannot be sent to (yet) is left to userspace.
        r.forwarded = sink->canReceive();
        r.outFd = sink->iceOutFd_ >= 0 ? sink->iceOutFd_ : sink->fd_;
        r.outLocal = sink->iceOutFd_ >= 0 ? sink->iceOutLocal_ : sink->local_;
        r.destination = sink->endpoint_;
    };
    if (!isRtcp_) route(cfg_.rtpSinks, info.rtp);
    route(cfg_.rtcpSinks, info.rtcp);
    info.payloadTypes = cfg_.payloadTypes;
    const Controls& c = cfg_.controls;
    info.dropAll = c.dropAll;
    // As ControlsStage: block media drops every RTP payload type but the
    // DTMF one, block DTMF that one.
    int dtmf = c.dtmfPayloadType >= 0 && c.dtmfPayloadType < 128 ? c.dtmfPayloadType : -1;
    if (c.blockMedia) info.dropTypes = {~0ULL, ~0ULL};
    if (dtmf >= 0) {
        uint64_t bit = 1ULL << (dtmf & 63);
        if (c.blockDtmf)
            info.dropTypes[dtmf >> 6] |= bit;
        else
            info.dropTypes[dtmf >> 6] &= ~bit;
    }
    info.receptions = receptions_.states();
    info.clockRate = cfg_.clockRate;
    offloaded_ = true;
    ctx_.offload->offload(*this, info);
    inKernel_ = ctx_.offload->carries(*this);
}

void PacketStream::reclaim() {
    if (!offloaded_) return;
    offloaded_ = false;
    inKernel_ = false;
    if (ctx_.offload) ctx_.offload->reclaim(*this);
}

}  // namespace ngm::media
