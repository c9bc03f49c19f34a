#include "media/packet_stream.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <cstring>

#include "media/packet.h"

namespace ngm::media {

namespace {

constexpr int kBatch = 32;
constexpr size_t kMaxPacket = 4096;
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

// Receive and send buffers of one worker thread, allocated once.
struct Batch {
    uint8_t data[kBatch][kMaxPacket];
    mmsghdr in[kBatch];
    iovec inIov[kBatch];
    sockaddr_storage from[kBatch];
    mmsghdr out[kBatch];
    iovec outIov[kBatch];
    sockaddr_storage to[kBatch];
    PacketStream* via[kBatch];
};
thread_local Batch t_batch;

}  // namespace

void PacketStream::forgetLearned() {
    confirmed = false;
    twinWanted_ = false;
    candidate_ = {};
    candidateRank_ = -1;
}

void PacketStream::resetLearning() {
    dropTwin();
    endpoint = advertised;
    forgetLearned();
}

int64_t PacketStream::learningCommitsAt(int64_t lastSignal) {
    int64_t wallMs = coarseMs(CLOCK_REALTIME_COARSE);
    return coarseMs(CLOCK_MONOTONIC_COARSE) + (lastSignal + kLearningWaitSeconds + 1) * 1000 -
           wallMs;
}

void PacketStream::relearn(int64_t commitsAtMs) {
    forgetLearned();
    learnFromMs_ = commitsAtMs;
}

void PacketStream::pierce() {
    if (!pierceNat || stats.packets || !socket || !socket->isOpen() || !endpoint.valid() ||
        endpoint.port == 0 || endpoint.address.isAny())
        return;
    sockaddr_storage ss;
    socklen_t len = endpoint.toSockaddr(ss);
    sendto(socket->fd(), kPiercePacket, sizeof kPiercePacket, MSG_DONTWAIT,
           reinterpret_cast<sockaddr*>(&ss), len);
}

void PacketStream::confirm(const net::Endpoint& ep) {
    endpoint = ep;
    confirmed = true;
    twinWanted_ = loop && loop->usesIoUring() && !openTwin();
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
    if (!socket || !socket->isOpen() || !endpoint.valid() || endpoint.port == 0 ||
        endpoint.address.isAny())
        return true;
    if (!takeTwinBudget(coarseMs(CLOCK_MONOTONIC_COARSE))) return false;
    if (!socket->openTwin(twin_, endpoint, twinFdCeiling())) return true;
    if (!loop->addDatagram(twin_.fd(), this)) {
        twin_.close();
        return true;
    }
    twinPeer_ = endpoint;
    return true;
}

void PacketStream::dropTwin() {
    if (!twin_.isOpen()) return;
    if (loop) loop->remove(twin_.fd());
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
    // Nothing to learn: the SDP's endpoint is settled by the first packet.
    if ((asymmetric || learning == Learning::Off) && !confirmed) confirm(endpoint);
    if (confirmed) {
        if (src == endpoint) return true;
        if (mediaHandover) {
            // Follow the new source; the next packet settles it again (an
            // asymmetric stream has nothing to settle).
            if (asymmetric) {
                confirm(src);
            } else {
                endpoint = src;
                confirmed = false;
            }
            return true;
        }
        // Without `strict source` other sources still get through, but
        // media does not go back to them.
        return !strictSource;
    }
    // Learning: `strict source` waits for the endpoint to be settled.
    net::Endpoint pick = src;
    if (learning == Learning::Heuristic && advertised.valid() && advertised.port != 0) {
        int rank = heuristicRank(src, advertised);
        if (rank >= candidateRank_) {
            candidate_ = src;
            candidateRank_ = rank;
        }
        pick = candidate_;
    }
    // During the wait media goes to the (best) source, unsettled.
    if (learning != Learning::Immediate && nowMs < learnFromMs_) {
        bool same = pick == endpoint;
        endpoint = pick;
        // A destination that holds gets its connected twin already (at most
        // one new twin a second: sources taking turns cannot make us open
        // sockets per packet).
        if (same && loop && loop->usesIoUring() && !hasTwin() && nowMs - lastTwinMs_ >= 1000 &&
            openTwin())
            lastTwinMs_ = nowMs;
    } else {
        confirm(pick);
    }
    return true;
}

bool PacketStream::accept(const uint8_t* data, size_t len, bool truncated, const sockaddr* from,
                          int64_t nowMs, PacketStream*& sink, bool& rtp) {
    std::span<const uint8_t> pkt(data, len);
    if (truncated) return false;
    // RFC 7983 / RFC 5761: only RTP on an RTP port, RTCP anywhere. What is
    // neither is never forwarded, nor learned from (RTP Bleed).
    PacketKind kind = classify(pkt);
    rtp = kind == PacketKind::Rtp && !isRtcp;
    if (rtp)
        sink = rtpSink;
    else if (kind == PacketKind::Rtcp && validRtcp(pkt))
        sink = rtcpSink;
    else
        return false;
    if (!acceptSource(net::Endpoint::fromSockaddr(from), nowMs)) return false;
    if (unidirectional && sink && !sink->confirmed && sink->endpoint.valid())
        sink->confirm(sink->endpoint);
    return true;
}

void PacketStream::countBatch(uint64_t packets, uint64_t bytes, uint64_t errors, int64_t nowMs) {
    stats.packets += packets;
    stats.bytes += bytes;
    stats.errors += errors;
    if (packets) stats.lastPacket = coarseMs(CLOCK_REALTIME_COARSE) / 1000;
    if (totals) {
        if (packets) {
            totals->add(totals->packets, packets);
            totals->add(totals->bytes, bytes);
            totals->lastPacketMono.store(nowMs, std::memory_order_relaxed);
        }
        if (errors) totals->add(totals->errors, errors);
    }
}

namespace {
// The in-call controls on an accepted packet; false when it is not sent on.
bool applyControls(const PacketStream& s, uint8_t* data, size_t len, bool rtp) {
    if (s.dropAll) return false;
    if (!rtp) return true;
    std::span<const uint8_t> pkt(data, len);
    int pt = data[1] & 0x7f;
    bool dtmf = s.dtmfPayloadType >= 0 && pt == s.dtmfPayloadType;
    if (dtmf ? s.blockDtmf : s.blockMedia) return false;
    if (s.silence && !dtmf && (pt == 0 || pt == 8 || pt == 9)) {
        RtpHeader h;
        if (parseRtp(pkt, h))
            fillSilence(pt == 0   ? SilenceCodec::Pcmu
                        : pt == 8 ? SilenceCodec::Pcma
                                  : SilenceCodec::G722,
                        std::span<uint8_t>(data + h.headerLength, h.payloadLength));
    }
    if (s.echoSsrc) rewriteSsrc(std::span<uint8_t>(data, len), s.echoSsrc);
    return true;
}

bool canSendTo(const PacketStream* sink) {
    return sink && sink->socket && sink->receives && sink->endpoint.port != 0 &&
           sink->endpoint.valid() && !sink->endpoint.address.isAny() &&
           !(sink->natWait && !sink->stats.packets);
}
}  // namespace

// Hot path (io_uring): one datagram the loop received for this stream. The
// send is queued on the loop and leaves with the round's other sends.
// No allocation, no lock, no log line.
void PacketStream::onDatagram(uint8_t* data, size_t len, bool truncated, const sockaddr* from) {
    int64_t nowMs = coarseMs(CLOCK_MONOTONIC_COARSE);
    PacketStream* sink = nullptr;
    bool rtp = false;
    if (!accept(data, len, truncated, from, nowMs, sink, rtp)) {
        countBatch(0, 0, 1, nowMs);
        return;
    }
    countBatch(1, len, 0, nowMs);
    if (!applyControls(*this, data, len, rtp) || !canSendTo(sink)) return;
    if (sink->twinWanted_) sink->twinWanted_ = !sink->openTwin();
    if (sink->hasTwin()) {
        loop->sendTo(sink->twin_.fd(), data, len, nullptr, 0, &sink->stats.errors);
        return;
    }
    sockaddr_storage to;
    socklen_t toLen = sink->endpoint.toSockaddr(to);
    loop->sendTo(sink->socket->fd(), data, len, reinterpret_cast<sockaddr*>(&to), toLen,
                 &sink->stats.errors);
}

// Hot path (epoll): receive a batch, check and count each packet, send the
// batch on. No allocation, no lock, no log line.
void PacketStream::onReadable() {
    Batch& b = t_batch;
    for (int i = 0; i < kBatch; i++) {
        b.inIov[i] = {b.data[i], kMaxPacket};
        b.in[i].msg_hdr = {};
        b.in[i].msg_hdr.msg_iov = &b.inIov[i];
        b.in[i].msg_hdr.msg_iovlen = 1;
        b.in[i].msg_hdr.msg_name = &b.from[i];
        b.in[i].msg_hdr.msg_namelen = sizeof b.from[i];
    }
    int n = recvmmsg(socket->fd(), b.in, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    int64_t nowMs = coarseMs(CLOCK_MONOTONIC_COARSE);
    int outCount = 0;
    uint64_t packets = 0, bytes = 0, errors = 0;
    for (int i = 0; i < n; i++) {
        size_t len = b.in[i].msg_len;
        PacketStream* sink = nullptr;
        bool rtp = false;
        if (!accept(b.data[i], len, b.in[i].msg_hdr.msg_flags & MSG_TRUNC,
                    reinterpret_cast<sockaddr*>(&b.from[i]), nowMs, sink, rtp)) {
            errors++;
            continue;
        }
        packets++;
        bytes += len;
        if (!applyControls(*this, b.data[i], len, rtp) || !canSendTo(sink)) continue;
        mmsghdr& m = b.out[outCount];
        b.outIov[outCount] = {b.data[i], len};
        m.msg_hdr = {};
        m.msg_hdr.msg_iov = &b.outIov[outCount];
        m.msg_hdr.msg_iovlen = 1;
        m.msg_hdr.msg_name = &b.to[outCount];
        m.msg_hdr.msg_namelen = sink->endpoint.toSockaddr(b.to[outCount]);
        b.via[outCount] = sink;
        outCount++;
    }
    countBatch(packets, bytes, errors, nowMs);
    // One sendmmsg per outgoing socket (a batch has at most an RTP and an
    // RTCP sink).
    int start = 0;
    while (start < outCount) {
        PacketStream* via = b.via[start];
        int end = start;
        while (end < outCount && b.via[end] == via) end++;
        int sent = 0;
        while (sent < end - start) {
            int r =
                sendmmsg(via->socket->fd(), b.out + start + sent, end - start - sent, MSG_DONTWAIT);
            if (r <= 0) {
                via->stats.errors += end - start - sent;
                break;
            }
            sent += r;
        }
        start = end;
    }
}

}  // namespace ngm::media
