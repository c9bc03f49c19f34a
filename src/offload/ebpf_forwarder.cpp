#include "offload/ebpf_forwarder.h"

#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <array>
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

// A route the kernel can take: a device to leave from, and the sink's
// address and its destination of one family (which may be the other one
// than the packets arrive in: the program bridges IPv4 and IPv6).
bool EbpfForwarder::routeOf(const media::OffloadRoute& r, ngm_fwd_route& out) const {
    std::memset(&out, 0, sizeof out);
    if (!r.forwarded) return true;
    if (r.destination.address.family() != r.outLocal.address.family() ||
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
    out.family = familyCode(r.outLocal.address.family());
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
        !routeOf(info.rtp, v.rtp) || !routeOf(info.rtcp, v.rtcp) ||
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
    // The kernel carries on each SSRC's reception where userspace left it,
    // heard in the same order (the least recently heard makes way first).
    static_assert(media::SsrcReceptions::kSlots == NGM_FWD_SSRCS);
    uint64_t now = (uint64_t)nsOf(CLOCK_MONOTONIC);
    // Slot 0 takes the SSRC heard last, slot 1 the one before, and so on.
    for (size_t i = 0; i < NGM_FWD_SSRCS; i++) {
        const media::RtpReception::State& rx = info.receptions[NGM_FWD_SSRCS - 1 - i];
        if (!rx.started || rx.clockRate != info.clockRate) continue;
        ngm_fwd_ssrc& s = v.ssrcs[i];
        s.used = 1;
        s.ssrc = rx.ssrc;
        s.base_seq = rx.baseSeq;
        s.cycles = rx.cycles;
        s.max_seq = rx.maxSeq;
        s.received = rx.received;
        s.have_transit = rx.haveTransit;
        s.last_transit = rx.lastTransit;
        s.jitter_q4 = rx.jitterQ4;
        s.last_ns = now - 1 - i;
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
        // the kernel. One it cannot reach (none, or another family than the
        // sink's socket) pauses the entry: userspace's again.
        uint8_t sinkFamily = rtp ? v.rtp.family : v.rtcp.family;
        bool follow = dest.valid() && !dest.address.isAny() && dest.port != 0 &&
                      familyCode(dest.address.family()) == sinkFamily;
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
    media::SsrcReceptions::States rx;
    s.addForwarded(d, receptionsOf(now, rx) ? &rx : nullptr);
}

namespace {

media::RtpReception::State stateOf(const ngm_fwd_ssrc& s, uint32_t clockRate) {
    media::RtpReception::State out;
    out.started = true;
    out.ssrc = s.ssrc;
    out.clockRate = clockRate;
    out.baseSeq = s.base_seq;
    out.cycles = s.cycles;
    out.maxSeq = s.max_seq;
    out.received = s.received;
    out.lastTransit = s.last_transit;
    out.haveTransit = s.have_transit != 0;
    out.jitterQ4 = s.jitter_q4;
    return out;
}

}  // namespace

bool receptionOf(const ForwardValue& v, media::RtpReception::State& out) {
    const ngm_fwd_ssrc* newest = nullptr;
    for (const ngm_fwd_ssrc& s : v.ssrcs)
        if (s.used && (!newest || s.last_ns > newest->last_ns)) newest = &s;
    if (!newest) return false;
    out = stateOf(*newest, v.clock_rate);
    return true;
}

bool receptionsOf(const ForwardValue& v, media::SsrcReceptions::States& out) {
    std::array<const ngm_fwd_ssrc*, NGM_FWD_SSRCS> used{};
    size_t n = 0;
    for (const ngm_fwd_ssrc& s : v.ssrcs)
        if (s.used) used[n++] = &s;
    // By the time each was heard (four at most: an insertion sort).
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && used[j]->last_ns < used[j - 1]->last_ns; j--)
            std::swap(used[j], used[j - 1]);
    out = {};
    // Unused slots first, then from the least recently heard to the last.
    for (size_t i = 0; i < n; i++) out[NGM_FWD_SSRCS - n + i] = stateOf(*used[i], v.clock_rate);
    return n != 0;
}

}  // namespace ngm::offload
