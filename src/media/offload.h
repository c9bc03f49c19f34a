// The hook the in-kernel fast path takes streams through. A stream whose
// chain would only forward (no stage in any slot, no egress stage on its
// sinks, one RTP and one RTCP sink at most, a settled source and RTP
// destination; the RTCP destination may still be learning) is offered with
// offload(); any change that ends that state (a new configuration from
// signalling, learning again, the socket going away) first takes it back
// with reclaim(). Userspace stays the source of truth: after reclaim() it
// forwards again, and a later packet offers the stream anew. What the
// kernel forwarded meanwhile goes back with PacketStream::addForwarded.
#pragma once

#include <array>
#include <cstdint>

#include "media/quality.h"
#include "net/address.h"

namespace ngm::media {

class PacketStream;

// Where one kind of packet (RTP, or RTCP) received on the stream goes.
struct OffloadRoute {
    bool forwarded = false;     // false: such packets go nowhere
    int outFd = -1;             // the sink's socket: packets leave from it
    net::Endpoint outLocal;     // its local address
    net::Endpoint destination;  // where they go
};

struct OffloadInfo {
    net::Endpoint local;   // where the participant's packets arrive
    net::Endpoint source;  // the participant's settled address
    bool strictSource = false;  // packets from elsewhere go up to userspace
    OffloadRoute rtp, rtcp;
    // RTP payload types forwarded (StreamConfig::payloadTypes); others go up.
    std::array<uint64_t, 2> payloadTypes{~0ULL, ~0ULL};
    // block media / block DTMF: RTP of these payload types is counted as
    // received and dropped; drop-traffic (`dropAll`): every RTP and RTCP
    // packet is. Nothing else of the Controls stage is offloaded.
    std::array<uint64_t, 2> dropTypes{};
    bool dropAll = false;
    // What the stream received of RTP so far, per SSRC (least recently
    // heard first): the kernel carries it on, and hands it back with
    // PacketStream::addForwarded.
    SsrcReceptions::States receptions{};
    uint32_t clockRate = 0;  // the jitter's unit for a new SSRC (0: no jitter)
};

class OffloadHook {
  public:
    virtual ~OffloadHook() = default;
    virtual void offload(PacketStream& s, const OffloadInfo& info) = 0;
    virtual void reclaim(PacketStream& s) = 0;
    // Where media for `s`'s participant goes changed (learning, handover):
    // offloaded streams that forward to `s` must follow or be reclaimed.
    virtual void moved(PacketStream& s) = 0;
    // About once a second on the worker that owns the streams: hand what
    // was forwarded since back with PacketStream::addForwarded.
    virtual void poll() {}
    // The same for one stream now (a timeout is about to judge it).
    virtual void refresh(PacketStream&) {}
    // An offloaded stream the fast path took (it may decline one it cannot
    // forward, which then stays in userspace).
    virtual bool carries(const PacketStream&) const { return true; }
};

}  // namespace ngm::media
