// SPDX-License-Identifier: GPL-2.0-only
/* ngmediad's in-kernel fast path: a TC ingress classifier that forwards
 * learned plain RTP/RTCP streams without waking userspace.
 *
 * A UDP datagram to a local (address, port) in ngm_fwd, from the stream's
 * settled source, that is valid RTP (version 2, a payload type in the set)
 * or valid compound RTCP (RFC 3550 §A.2), leaves with its addresses and
 * ports rewritten (incremental checksums) through the egress device the
 * route names, unless block media / DTMF or drop-traffic say to drop it
 * (counted as received, and as dropped). Per SSRC, RTP sequence state, loss
 * and jitter are kept as userspace keeps them. Anything else, or anything
 * unexpected, goes up to userspace unchanged (TC_ACT_OK): the kernel never
 * drops what userspace would forward, and never guesses. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <stddef.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "forward_map.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, NGM_FWD_MAX_ENTRIES);
    __type(key, struct ngm_fwd_key);
    __type(value, struct ngm_fwd_value);
} ngm_fwd SEC(".maps");

#define RTCP_MAX_PARTS 16

enum kind { KIND_OTHER = -1, KIND_RTP = 0, KIND_RTCP = 1 };

/* RFC 7983 / RFC 5761 classification and the checks userspace makes
 * (media/packet.cpp classify, validRtcp). */
static __always_inline int classify(struct __sk_buff *skb, __u32 off, __u32 len,
                                    const struct ngm_fwd_value *v) {
    __u8 h[4];
    if (len < 8 || bpf_skb_load_bytes(skb, off, h, sizeof h)) return KIND_OTHER;
    if (h[0] < 128 || h[0] > 191) return KIND_OTHER; /* version 2 only */
    __u8 pt = h[1] & 0x7f;
    if (pt < 64 || pt > 95) {
        if (len < 12) return KIND_OTHER;
        if (!(v->payload_types[pt >> 6] & (1ULL << (pt & 63)))) return KIND_OTHER;
        return KIND_RTP;
    }
    /* RTCP: SR..XR first, then walk the compound packet. */
    if (h[1] < 200 || h[1] > 207) return KIND_OTHER;
    /* ...that carries its sender's SSRC: 8 bytes at least. */
    if (h[2] == 0 && h[3] == 0) return KIND_OTHER;
    __u32 pos = 0;
    for (int i = 0; i < RTCP_MAX_PARTS; i++) {
        if (pos >= len) break;
        if (len - pos < 4) return KIND_OTHER;
        if (bpf_skb_load_bytes(skb, off + pos, h, sizeof h)) return KIND_OTHER;
        if ((h[0] >> 6) != 2) return KIND_OTHER;
        __u32 l = ((((__u32)h[2] << 8) | h[3]) + 1) * 4;
        if (l > len - pos) return KIND_OTHER;
        if (h[0] & 0x20) {
            __u8 padding;
            if (pos + l != len) return KIND_OTHER;
            if (bpf_skb_load_bytes(skb, off + len - 1, &padding, 1)) return KIND_OTHER;
            if (padding == 0 || padding > l - 4) return KIND_OTHER;
        }
        pos += l;
    }
    return pos == len ? KIND_RTCP : KIND_OTHER;
}

static __always_inline int same(const __u8 *a, const __u8 *b, int n) {
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* RFC 3550 §A.1: a jump this far is a restart of the sequence, not a gap. */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

static __always_inline void restart(struct ngm_fwd_ssrc *s, __u16 seq) {
    s->base_seq = seq;
    s->max_seq = seq;
    s->cycles = 0;
    s->received = 0;
    s->have_transit = 0;
    s->last_transit = 0;
    s->jitter_q4 = 0;
}

/* One RTP packet of the stream (forwarded or dropped), as userspace's
 * media::RtpReception::onPacket takes it, in the slot of its SSRC: a new
 * SSRC takes a free slot or the one least recently heard. Slots are written
 * without atomics: one stream's packets come in on one CPU (one flow). */
static __always_inline void track(struct __sk_buff *skb, __u32 off, __u32 plen,
                                  struct ngm_fwd_value *v, __u64 now) {
    __u8 h[12];
    if (bpf_skb_load_bytes(skb, off, h, sizeof h)) return;
    __u16 seq = ((__u16)h[2] << 8) | h[3];
    __u32 ts = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
    __u32 ssrc = ((__u32)h[8] << 24) | ((__u32)h[9] << 16) | ((__u32)h[10] << 8) | h[11];
    struct ngm_fwd_ssrc *s = NULL, *spare = NULL;
    for (int i = 0; i < NGM_FWD_SSRCS; i++) {
        struct ngm_fwd_ssrc *c = &v->ssrcs[i];
        if (c->used && c->ssrc == ssrc) {
            s = c;
            break;
        }
        if (!spare || (spare->used && (!c->used || c->last_ns < spare->last_ns))) spare = c;
    }
    if (!s) {
        if (!spare) return;
        s = spare;
        s->used = 1;
        s->ssrc = ssrc;
        s->packets = 0;
        s->bytes = 0;
        s->duplicates = 0;
        restart(s, seq);
    } else {
        __u16 delta = seq - s->max_seq;
        if (delta != 0 && delta < MAX_DROPOUT) {
            if (seq < s->max_seq) s->cycles += 1U << 16;
            s->max_seq = seq;
        } else if (delta >= (__u16)(65536 - MAX_MISORDER)) {
            /* late or duplicated: counted, the highest stays */
        } else if (delta != 0) {
            restart(s, seq); /* the sender restarted its sequence */
        } else {
            s->duplicates++;
        }
    }
    s->received++;
    s->packets++;
    s->bytes += plen;
    s->last_ns = now;
    if (!v->clock_rate) return;
    /* RFC 3550 §A.8, in the arrival clock userspace uses (monotonic µs). */
    __s64 arrival = (__s64)((now / 1000) * v->clock_rate / 1000000);
    __s64 transit = arrival - (__s64)ts;
    if (s->have_transit) {
        __s64 d = (__s64)(__s32)(__u32)(transit - s->last_transit);
        if (d < 0) d = -d;
        __s64 j = (__s64)s->jitter_q4;
        j += d - ((j + 8) >> 4);
        s->jitter_q4 = j < 0 ? 0 : (__u64)j;
    }
    s->last_transit = transit;
    s->have_transit = 1;
}

static __always_inline void count_error(struct ngm_fwd_value *v) {
    __sync_fetch_and_add(&v->errors, 1);
}

/* IPv4 <-> IPv6 (the route's family is not the packet's): the IP header is
 * replaced, bpf_skb_change_proto making or taking the 20 bytes between it
 * and the MAC header; the UDP checksum follows the pseudo-header's addresses
 * (its length and next-header parts add up the same in both families) and
 * the ports, incrementally. The new header is what a socket's send would
 * write but for the TTL / hop limit (the packet's own, as in the same-family
 * path) and the IPv6 flow label (0). `tclass`: the TOS / traffic class to
 * send with. 0: rewritten; < 0: a helper failed half-way. */
static __always_inline int bridge(struct __sk_buff *skb, const struct ngm_fwd_route *r,
                                  int from_v4, const __u8 *saddr, const __u8 *daddr, __u8 tclass,
                                  __u8 ttl, __u32 ulen, __u16 old_sport, __u16 old_dport) {
    const __u32 l3 = sizeof(struct ethhdr);
    __s64 diff;
    if (from_v4) {
        __u32 old_a[2], new_a[8];
        __builtin_memcpy(&old_a[0], saddr, 4);
        __builtin_memcpy(&old_a[1], daddr, 4);
        __builtin_memcpy(&new_a[0], r->src, 16);
        __builtin_memcpy(&new_a[4], r->dst, 16);
        diff = bpf_csum_diff(old_a, 8, new_a, 32, 0);
    } else {
        __u32 old_a[8], new_a[2];
        __builtin_memcpy(&old_a[0], saddr, 16);
        __builtin_memcpy(&old_a[4], daddr, 16);
        __builtin_memcpy(&new_a[0], r->src, 4);
        __builtin_memcpy(&new_a[1], r->dst, 4);
        diff = bpf_csum_diff(old_a, 32, new_a, 8, 0);
    }
    if (diff < 0) return -1;
    __be16 proto = bpf_htons(from_v4 ? ETH_P_IPV6 : ETH_P_IP);
    if (bpf_skb_change_proto(skb, proto, 0)) return -1;
    if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto, 2, 0)) return -1;
    __u32 l4;
    if (from_v4) {
        struct ipv6hdr h = {};
        h.version = 6;
        h.priority = tclass >> 4;
        h.flow_lbl[0] = (__u8)((tclass & 0x0f) << 4);
        h.payload_len = bpf_htons((__u16)ulen);
        h.nexthdr = IPPROTO_UDP;
        h.hop_limit = ttl;
        __builtin_memcpy(&h.saddr, r->src, 16);
        __builtin_memcpy(&h.daddr, r->dst, 16);
        if (bpf_skb_store_bytes(skb, l3, &h, sizeof h, 0)) return -1;
        l4 = l3 + sizeof h;
    } else {
        struct iphdr h = {};
        h.version = 4;
        h.ihl = 5;
        h.tos = tclass;
        h.tot_len = bpf_htons((__u16)(sizeof h + ulen));
        h.frag_off = bpf_htons(0x4000); /* DF, ID 0: an unconnected UDP socket's */
        h.ttl = ttl;
        h.protocol = IPPROTO_UDP;
        __builtin_memcpy(&h.saddr, r->src, 4);
        __builtin_memcpy(&h.daddr, r->dst, 4);
        const __u16 *w = (const __u16 *)&h;
        __u32 sum = 0;
        for (int i = 0; i < 10; i++) sum += w[i];
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        h.check = (__u16)~sum;
        if (bpf_skb_store_bytes(skb, l3, &h, sizeof h, 0)) return -1;
        l4 = l3 + sizeof h;
    }
    __u32 csum_off = l4 + offsetof(struct udphdr, check);
    if (bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
        return -1;
    __u16 new_sport = r->src_port, new_dport = r->dst_port;
    if (bpf_l4_csum_replace(skb, csum_off, old_sport, new_sport, 2 | BPF_F_MARK_MANGLED_0)) return -1;
    if (bpf_l4_csum_replace(skb, csum_off, old_dport, new_dport, 2 | BPF_F_MARK_MANGLED_0)) return -1;
    __u16 ports[2] = {new_sport, new_dport};
    if (bpf_skb_store_bytes(skb, l4 + offsetof(struct udphdr, source), ports, 4, 0)) return -1;
    return 0;
}

SEC("tc")
int ngm_forward(struct __sk_buff *skb) {
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end) return TC_ACT_OK;

    struct ngm_fwd_key key = {};
    __u8 saddr[16] = {};
    __u32 l3 = sizeof(*eth), l4, alen;
    __u8 tclass, ttl; /* the packet's TOS / traffic class and TTL / hop limit */
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = data + l3;
        if ((void *)(ip + 1) > end) return TC_ACT_OK;
        /* Options and fragments: userspace. */
        if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP) return TC_ACT_OK;
        if (ip->frag_off & bpf_htons(0x3fff)) return TC_ACT_OK;
        key.family = NGM_FWD_FAMILY_V4;
        __builtin_memcpy(key.addr, &ip->daddr, 4);
        __builtin_memcpy(saddr, &ip->saddr, 4);
        l4 = l3 + sizeof(*ip);
        alen = 4;
        tclass = ip->tos;
        ttl = ip->ttl;
    } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = data + l3;
        if ((void *)(ip6 + 1) > end) return TC_ACT_OK;
        if (ip6->nexthdr != IPPROTO_UDP) return TC_ACT_OK; /* extension headers: userspace */
        key.family = NGM_FWD_FAMILY_V6;
        __builtin_memcpy(key.addr, &ip6->daddr, 16);
        __builtin_memcpy(saddr, &ip6->saddr, 16);
        l4 = l3 + sizeof(*ip6);
        alen = 16;
        tclass = (__u8)((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4));
        ttl = ip6->hop_limit;
    } else {
        return TC_ACT_OK;
    }
    struct udphdr *udp = data + l4;
    if ((void *)(udp + 1) > end) return TC_ACT_OK;
    key.port = udp->dest;
    __u16 old_sport = udp->source, old_dport = udp->dest;

    struct ngm_fwd_value *v = bpf_map_lookup_elem(&ngm_fwd, &key);
    if (!v || (v->flags & NGM_FWD_PAUSED) || v->family != key.family) return TC_ACT_OK;
    /* Only the settled source: anything else is userspace's to judge
     * (strict source, handover, learning). */
    if (udp->source != v->source_port) return TC_ACT_OK;
    if (alen == 4 ? !same(saddr, v->source, 4) : !same(saddr, v->source, 16)) return TC_ACT_OK;

    __u32 ulen = bpf_ntohs(udp->len);
    if (ulen < sizeof(*udp) || l4 + ulen > skb->len) return TC_ACT_OK;
    __u32 plen = ulen - sizeof(*udp);
    int kind = classify(skb, l4 + sizeof(*udp), plen, v);
    if (kind == KIND_OTHER) return TC_ACT_OK;
    const struct ngm_fwd_route *r = kind == KIND_RTP ? &v->rtp : &v->rtcp;
    if (!r->forwarded || !r->ifindex) return TC_ACT_OK;
    int bridging = r->family && r->family != key.family;
    if (bridging) {
        /* Userspace's: a GSO packet, IPv4 without a UDP checksum (IPv6 must
         * have one, and it would take the whole payload to make), and a
         * packet that would no longer fit the egress device's MTU. */
        if (skb->gso_segs > 1) return TC_ACT_OK;
        if (alen == 4) {
            __u16 check;
            if (bpf_skb_load_bytes(skb, l4 + offsetof(struct udphdr, check), &check, 2) || !check)
                return TC_ACT_OK;
            __u32 mtu = 0;
            if (bpf_check_mtu(skb, r->ifindex, &mtu, 20, 0)) return TC_ACT_OK;
        }
    }

    /* From here the packet is the kernel's: forwarded, or dropped as
     * userspace's Controls stage would (block media / DTMF, drop-traffic),
     * counted as received either way. */
    __u64 now = bpf_ktime_get_ns();
    int drop = (v->flags & NGM_FWD_DROP_ALL) != 0;
    if (kind == KIND_RTP) {
        __u8 b1;
        if (bpf_skb_load_bytes(skb, l4 + sizeof(*udp) + 1, &b1, 1)) return TC_ACT_OK;
        __u8 pt = b1 & 0x7f;
        if (v->drop_types[pt >> 6] & (1ULL << (pt & 63))) drop = 1;
        track(skb, l4 + sizeof(*udp), plen, v, now);
    }
    if (drop) {
        __sync_fetch_and_add(&v->packets, 1);
        __sync_fetch_and_add(&v->bytes, plen);
        __sync_fetch_and_add(&v->dropped, 1);
        v->last_seen_ns = now;
        return TC_ACT_SHOT;
    }

    if (bridging) {
        if (bridge(skb, r, alen == 4, saddr, key.addr, v->tos ? v->tos : tclass, ttl, ulen,
                   old_sport, old_dport))
            goto fail;
        goto sent;
    }

    /* Rewrite: addresses (IPv4 header checksum and the UDP pseudo-header),
     * then ports (UDP checksum only). A zero IPv4 UDP checksum stays zero. */
    __u16 new_sport = r->src_port, new_dport = r->dst_port;
    __u32 csum_off = l4 + offsetof(struct udphdr, check);
    if (alen == 4) {
        __u32 old_a[2], new_a[2];
        __builtin_memcpy(&old_a[0], saddr, 4);
        __builtin_memcpy(&old_a[1], key.addr, 4);
        __builtin_memcpy(&new_a[0], r->src, 4);
        __builtin_memcpy(&new_a[1], r->dst, 4);
        __s64 diff = bpf_csum_diff(old_a, 8, new_a, 8, 0);
        if (diff < 0) goto fail;
        if (bpf_l3_csum_replace(skb, l3 + offsetof(struct iphdr, check), 0, diff, 0)) goto fail;
        if (bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
            goto fail;
        if (bpf_skb_store_bytes(skb, l3 + offsetof(struct iphdr, saddr), new_a, 8, 0)) goto fail;
    } else {
        __u32 old_a[8], new_a[8];
        __builtin_memcpy(&old_a[0], saddr, 16);
        __builtin_memcpy(&old_a[4], key.addr, 16);
        __builtin_memcpy(&new_a[0], r->src, 16);
        __builtin_memcpy(&new_a[4], r->dst, 16);
        __s64 diff = bpf_csum_diff(old_a, 32, new_a, 32, 0);
        if (diff < 0) goto fail;
        if (bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
            goto fail;
        if (bpf_skb_store_bytes(skb, l3 + offsetof(struct ipv6hdr, saddr), new_a, 32, 0)) goto fail;
    }
    /* --tos, as userspace's sockets have it (0: the byte stays). */
    if (v->tos) {
        __u8 h[2];
        if (bpf_skb_load_bytes(skb, l3, h, 2)) goto fail;
        __u8 n[2] = {h[0], h[1]};
        if (alen == 4) {
            n[1] = v->tos;
            __u16 o16, n16;
            __builtin_memcpy(&o16, h, 2);
            __builtin_memcpy(&n16, n, 2);
            if (bpf_l3_csum_replace(skb, l3 + offsetof(struct iphdr, check), o16, n16, 2))
                goto fail;
        } else {
            n[0] = 0x60 | (v->tos >> 4);
            n[1] = (__u8)((v->tos & 0x0f) << 4) | (h[1] & 0x0f);
        }
        if (bpf_skb_store_bytes(skb, l3, n, 2, 0)) goto fail;
    }
    if (bpf_l4_csum_replace(skb, csum_off, old_sport, new_sport, 2 | BPF_F_MARK_MANGLED_0)) goto fail;
    if (bpf_l4_csum_replace(skb, csum_off, old_dport, new_dport, 2 | BPF_F_MARK_MANGLED_0)) goto fail;
    __u16 ports[2] = {new_sport, new_dport};
    if (bpf_skb_store_bytes(skb, l4 + offsetof(struct udphdr, source), ports, 4, 0)) goto fail;

sent:
    __sync_fetch_and_add(&v->packets, 1);
    __sync_fetch_and_add(&v->bytes, plen);
    v->last_seen_ns = now;
    /* The neighbour (and the route towards dst out of ifindex) is the
     * kernel's to resolve, as for a packet a socket sends. */
    return bpf_redirect_neigh(r->ifindex, NULL, 0, 0);

fail:
    /* Half rewritten: neither forwardable nor fit for userspace. */
    count_error(v);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
