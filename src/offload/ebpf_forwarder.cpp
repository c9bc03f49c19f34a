#include "offload/ebpf_forwarder.h"

#include <arpa/inet.h>
#include <time.h>

#include <cstring>
#include <iterator>
#include <string_view>

#include "media/packet_stream.h"

namespace ngm::offload {

namespace {

uint8_t familyCode(net::Family f) {
    return f == net::Family::V6 ? NGM_FWD_FAMILY_V6 : NGM_FWD_FAMILY_V4;
}

int64_t nsOf(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

}  // namespace

int64_t wallSecondOf(uint64_t monotonicNs) {
    int64_t ago = nsOf(CLOCK_MONOTONIC) - (int64_t)monotonicNs;
    if (ago < 0) ago = 0;
    return (nsOf(CLOCK_REALTIME) - ago) / 1000000000;
}

EbpfForwarder::EbpfForwarder(ForwardTable& table, DeviceOf deviceOf, uint8_t tos)
    : table_(table), deviceOf_(std::move(deviceOf)), tos_(tos) {
    entries_.reserve(256);
}

EbpfForwarder::~EbpfForwarder() {
    // Streams reclaim before they go; anything left must not keep forwarding.
    for (auto& [s, e] : entries_) table_.remove(e.key, nullptr);
}

bool EbpfForwarder::inKernel(const media::PacketStream& s) const {
    return entries_.count(const_cast<media::PacketStream*>(&s)) != 0;
}

// A route the kernel can take: same address family in and out (bridging
// IPv4 and IPv6 stays in userspace) and a device to leave from.
bool EbpfForwarder::routeOf(const media::OffloadRoute& r, net::Family family,
                            ngm_fwd_route& out) const {
    std::memset(&out, 0, sizeof out);
    if (!r.forwarded) return true;
    if (r.outLocal.address.family() != family || r.destination.address.family() != family ||
        r.outLocal.address.isAny() || r.destination.port == 0)
        return false;
    uint32_t ifindex = deviceOf_ ? deviceOf_(r.outLocal.address) : 0;
    if (!ifindex) return false;
    putAddress(r.outLocal.address, out.src);
    putAddress(r.destination.address, out.dst);
    out.src_port = htons(r.outLocal.port);
    out.dst_port = htons(r.destination.port);
    out.ifindex = ifindex;
    out.forwarded = 1;
    return true;
}

void EbpfForwarder::offload(media::PacketStream& s, const media::OffloadInfo& info) {
    reclaim(s);  // a stream has one entry at most
    net::Family family = info.local.address.family();
    Entry e;
    e.key = keyOf(info.local);
    ForwardValue& v = e.config;
    std::memset(&v, 0, sizeof v);
    if (info.source.address.family() != family || !deviceOf_ || !deviceOf_(info.local.address) ||
        !routeOf(info.rtp, family, v.rtp) || !routeOf(info.rtcp, family, v.rtcp) ||
        (!v.rtp.forwarded && !v.rtcp.forwarded)) {
        counters_.declined++;
        return;
    }
    putAddress(info.source.address, v.source);
    v.source_port = htons(info.source.port);
    v.family = familyCode(family);
    v.flags = info.strictSource ? NGM_FWD_STRICT_SOURCE : 0;
    if (info.dropAll) v.flags |= NGM_FWD_DROP_ALL;
    v.tos = tos_;
    // The negotiated payload types; RTP of any other goes up to userspace.
    v.payload_types[0] = info.payloadTypes[0];
    v.payload_types[1] = info.payloadTypes[1];
    v.drop_types[0] = info.dropTypes[0];
    v.drop_types[1] = info.dropTypes[1];
    v.clock_rate = info.clockRate;
    // The kernel carries on the reception where userspace left it.
    const media::RtpReception::State& rx = info.reception;
    if (rx.started && rx.clockRate == info.clockRate) {
        ngm_fwd_ssrc& s = v.ssrcs[0];
        s.used = 1;
        s.ssrc = rx.ssrc;
        s.base_seq = rx.baseSeq;
        s.cycles = rx.cycles;
        s.max_seq = rx.maxSeq;
        s.received = rx.received;
        s.have_transit = rx.haveTransit;
        s.last_transit = rx.lastTransit;
        s.jitter_q4 = rx.jitterQ4;
        s.last_ns = (uint64_t)nsOf(CLOCK_MONOTONIC);
    }
    if (info.rtp.forwarded) e.rtpOut = info.rtp.outLocal;
    if (info.rtcp.forwarded) e.rtcpOut = info.rtcp.outLocal;
    if (!table_.put(e.key, v)) {
        counters_.failed++;
        return;
    }
    counters_.offloaded++;
    entries_.emplace(&s, e);
    if (info.rtp.forwarded) bySink_.emplace(keyOf(e.rtpOut), &s);
    if (info.rtcp.forwarded && !(info.rtp.forwarded && e.rtcpOut == e.rtpOut))
        bySink_.emplace(keyOf(e.rtcpOut), &s);
}

size_t EbpfForwarder::KeyHash::operator()(const ForwardKey& k) const {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(&k), sizeof k));
}

bool EbpfForwarder::KeyEq::operator()(const ForwardKey& a, const ForwardKey& b) const {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

void EbpfForwarder::unindex(media::PacketStream* s, const Entry& e) {
    for (const net::Endpoint* out : {&e.rtpOut, &e.rtcpOut}) {
        if (!out->valid()) continue;
        auto [from, to] = bySink_.equal_range(keyOf(*out));
        for (auto it = from; it != to;) it = it->second == s ? bySink_.erase(it) : std::next(it);
    }
}

void EbpfForwarder::reclaim(media::PacketStream& s) {
    auto it = entries_.find(&s);
    if (it == entries_.end()) return;
    ForwardValue last;
    if (table_.remove(it->second.key, &last)) handBack(s, it->second, last);
    unindex(&s, it->second);
    entries_.erase(it);
}

void EbpfForwarder::moved(media::PacketStream& s) {
    const net::Endpoint& local = s.local();
    if (!local.valid()) return;
    auto [first, last] = bySink_.equal_range(keyOf(local));
    for (auto i = first; i != last; ++i) {
        media::PacketStream* src = i->second;
        auto found = entries_.find(src);
        if (found == entries_.end()) continue;
        Entry& e = found->second;
        bool rtp = e.config.rtp.forwarded && e.rtpOut == local;
        bool rtcp = e.config.rtcp.forwarded && e.rtcpOut == local;
        if (!rtp && !rtcp) continue;
        ForwardValue now;
        if (!table_.get(e.key, now)) continue;
        handBack(*src, e, now);
        ForwardValue v = e.config;
        const net::Endpoint& dest = s.endpoint();
        // Userspace sends to the endpoint whether settled or not; so does
        // the kernel. One it cannot reach (none, or the other family)
        // pauses the entry: userspace's again.
        bool follow = dest.valid() && !dest.address.isAny() && dest.port != 0 &&
                      familyCode(dest.address.family()) == v.family;
        if (follow) {
            for (ngm_fwd_route* r : {rtp ? &v.rtp : nullptr, rtcp ? &v.rtcp : nullptr}) {
                if (!r) continue;
                putAddress(dest.address, r->dst);
                r->dst_port = htons(dest.port);
            }
            v.flags &= ~NGM_FWD_PAUSED;
        } else {
            v.flags |= NGM_FWD_PAUSED;
        }
        e.config = v;
        // The counters carry on from what was read (the few packets counted
        // between the read and this write are not seen).
        v.packets = now.packets;
        v.bytes = now.bytes;
        v.errors = now.errors;
        v.last_seen_ns = now.last_seen_ns;
        v.dropped = now.dropped;
        std::memcpy(v.ssrcs, now.ssrcs, sizeof v.ssrcs);
        table_.put(e.key, v);
    }
}

void EbpfForwarder::poll() {
    for (auto& [s, e] : entries_) {
        ForwardValue now;
        if (table_.get(e.key, now)) handBack(*s, e, now);
    }
}

void EbpfForwarder::refresh(media::PacketStream& s) {
    auto it = entries_.find(&s);
    ForwardValue now;
    if (it != entries_.end() && table_.get(it->second.key, now)) handBack(s, it->second, now);
}

void EbpfForwarder::handBack(media::PacketStream& s, Entry& e, const ForwardValue& now) {
    if (now.packets < e.packets || now.bytes < e.bytes || now.errors < e.errors) {
        // Counters restarted (an entry written over): start from them.
        e.packets = e.bytes = e.errors = 0;
    }
    media::StreamStats d;
    d.packets = now.packets - e.packets;
    d.bytes = now.bytes - e.bytes;
    d.errors = now.errors - e.errors;
    if (!d.packets && !d.errors) return;
    d.lastPacket = d.packets ? wallSecondOf(now.last_seen_ns) : 0;
    e.packets = now.packets;
    e.bytes = now.bytes;
    e.errors = now.errors;
    media::RtpReception::State rx;
    s.addForwarded(d, receptionOf(now, rx) ? &rx : nullptr);
}

bool receptionOf(const ForwardValue& v, media::RtpReception::State& out) {
    const ngm_fwd_ssrc* newest = nullptr;
    for (const ngm_fwd_ssrc& s : v.ssrcs)
        if (s.used && (!newest || s.last_ns > newest->last_ns)) newest = &s;
    if (!newest) return false;
    out = {};
    out.started = true;
    out.ssrc = newest->ssrc;
    out.clockRate = v.clock_rate;
    out.baseSeq = newest->base_seq;
    out.cycles = newest->cycles;
    out.maxSeq = newest->max_seq;
    out.received = newest->received;
    out.lastTransit = newest->last_transit;
    out.haveTransit = newest->have_transit != 0;
    out.jitterQ4 = newest->jitter_q4;
    return true;
}

}  // namespace ngm::offload
