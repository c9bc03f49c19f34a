// media::OffloadHook for the eBPF path: one per media worker, called on
// that worker's thread only (as PacketStream is), all of them sharing one
// ForwardTable (the kernel's map; its calls are thread-safe).
//
// offload() puts an entry in the map, reclaim() takes it out and hands what
// the kernel forwarded meanwhile back to the stream, moved() points entries
// that forward to a stream at its new endpoint (or pauses them while it is
// not settled), and poll(), once a second from the worker's tick, hands the
// counters' growth back with PacketStream::addForwarded, so query,
// statistics and timeouts see the packets whichever path carried them.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "media/offload.h"
#include "offload/forward_table.h"

namespace ngm::offload {

class EbpfForwarder final : public media::OffloadHook {
  public:
    // The device (ifindex) that carries a local address, 0 for none the
    // kernel path may send from.
    using DeviceOf = std::function<uint32_t(const net::IpAddress&)>;

    // `tos`: --tos (0: packets keep the byte they came with).
    EbpfForwarder(ForwardTable& table, DeviceOf deviceOf, uint8_t tos = 0);
    ~EbpfForwarder() override;

    void offload(media::PacketStream& s, const media::OffloadInfo& info) override;
    void reclaim(media::PacketStream& s) override;
    void moved(media::PacketStream& s) override;
    void poll() override;
    void refresh(media::PacketStream& s) override;
    bool carries(const media::PacketStream& s) const override { return inKernel(s); }

    // Streams with an entry in the map now.
    size_t size() const { return entries_.size(); }
    bool inKernel(const media::PacketStream& s) const;

    // What happened to offers (signalling rate; read on the worker).
    struct Counters {
        uint64_t offloaded = 0;  // entries put in the map
        uint64_t declined = 0;   // not for the kernel path (family change, no device)
        uint64_t failed = 0;     // the map refused (full, or gone)
    };
    const Counters& counters() const { return counters_; }

  private:
    struct Entry {
        ForwardKey key;
        ForwardValue config;                          // counters zero
        net::Endpoint rtpOut, rtcpOut;                // the sinks' local endpoints
        uint64_t packets = 0, bytes = 0, errors = 0;  // handed back so far
    };
    bool routeOf(const media::OffloadRoute& r, ngm_fwd_route& out) const;
    // Hands the growth of `now`'s counters over `e`'s to `s`.
    void handBack(media::PacketStream& s, Entry& e, const ForwardValue& now);

    struct KeyHash {
        size_t operator()(const ForwardKey& k) const;
    };
    struct KeyEq {
        bool operator()(const ForwardKey& a, const ForwardKey& b) const;
    };
    void unindex(media::PacketStream* s, const Entry& e);

    ForwardTable& table_;
    DeviceOf deviceOf_;
    uint8_t tos_;
    std::unordered_map<media::PacketStream*, Entry> entries_;
    // Offloaded streams by the local endpoint of a sink they send through,
    // for moved() (called on every learning step, offloaded or not).
    std::unordered_multimap<ForwardKey, media::PacketStream*, KeyHash, KeyEq> bySink_;
    Counters counters_;
};

// The RTP reception of the SSRC the entry heard last, as
// media::RtpReception keeps it (false: no RTP yet).
bool receptionOf(const ForwardValue& v, media::RtpReception::State& out);
// Every SSRC's, as media::SsrcReceptions::states() orders them (false: no
// RTP yet).
bool receptionsOf(const ForwardValue& v, media::SsrcReceptions::States& out);

// The wall second of a kernel timestamp (bpf_ktime_get_ns: CLOCK_MONOTONIC).
int64_t wallSecondOf(uint64_t monotonicNs);

}  // namespace ngm::offload
