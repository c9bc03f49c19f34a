/* The map the in-kernel forwarding program and ngmediad share: its key and
 * value layout, written once for both sides (C for the BPF program, included
 * by C++ in src/offload/). Every field has a fixed size and offset; the unit
 * tests pin them (tests/unit/offload/map_layout_test.cpp). */
#ifndef NGM_OFFLOAD_FORWARD_MAP_H
#define NGM_OFFLOAD_FORWARD_MAP_H

#include <linux/types.h>

#define NGM_FWD_MAX_ENTRIES 65536

#define NGM_FWD_FAMILY_V4 4
#define NGM_FWD_FAMILY_V6 6

/* value.flags */
#define NGM_FWD_STRICT_SOURCE 0x1 /* informational: a foreign source goes up either way */
#define NGM_FWD_PAUSED 0x2        /* everything goes up to userspace */
#define NGM_FWD_DROP_ALL 0x4 /* drop-traffic: every RTP and RTCP packet is counted and dropped */

/* SSRCs tracked per stream (rtpengine's kernel module tracks as many). */
#define NGM_FWD_SSRCS 4

/* Where a stream's packets arrive: the local address and UDP port. An IPv4
 * address takes the first 4 bytes of addr, the rest stays zero. */
struct ngm_fwd_key {
    __u8 addr[16];
    __be16 port;
    __u8 family;
    __u8 pad;
};

/* Where one kind of packet (RTP, or RTCP) goes: it leaves `ifindex` from
 * (src, src_port) towards (dst, dst_port). */
struct ngm_fwd_route {
    __u8 src[16];
    __u8 dst[16];
    __be16 src_port;
    __be16 dst_port;
    __u32 ifindex;
    __u8 forwarded; /* 0: such packets go up to userspace */
    /* NGM_FWD_FAMILY_V4/V6 of src and dst; another than the entry's bridges
     * IPv4 and IPv6 (the IP header is rewritten); 0: the entry's. */
    __u8 family;
    __u8 pad[6];
};

/* One SSRC's RTP as received on the stream, kept as userspace's
 * media::RtpReception keeps it (RFC 3550 §A.1 sequence state, §A.8 jitter),
 * so that userspace can carry on from it (and seed it) exactly. */
struct ngm_fwd_ssrc {
    __u32 ssrc;
    __u32 base_seq; /* extended sequence number of the first packet (since a restart) */
    __u32 cycles;   /* sequence number wraps, shifted by 16 */
    __u16 max_seq;  /* the highest sequence number seen */
    __u8 used;      /* 0: a free slot */
    __u8 have_transit;
    __u64 received;     /* packets since the first (or the sequence's restart) */
    __u64 packets;      /* every packet of this SSRC in the slot's life */
    __u64 bytes;        /* their UDP payload bytes */
    __u64 duplicates;   /* packets with the highest sequence number again */
    __s64 last_transit; /* arrival - timestamp, in clock units */
    __u64 jitter_q4;    /* J * 16 in clock units */
    __u64 last_ns; /* bpf_ktime_get_ns of its last packet: the newest slot is the current SSRC */
};

struct ngm_fwd_value {
    /* Written by ngmediad. */
    __u8 source[16]; /* the participant's settled address */
    __be16 source_port;
    __u8 family;
    __u8 flags;
    __u8 tos; /* != 0: the IPv4 TOS / IPv6 traffic class to send with (--tos) */
    __u8 pad0[3];
    __u64 payload_types[2]; /* RTP payload types 0-127 the kernel forwards */
    __u64 drop_types[2];    /* of those, the ones counted and dropped (block media / DTMF) */
    __u32 clock_rate;       /* the RTP clock rate the jitter is measured in (0: none) */
    __u32 pad1;
    struct ngm_fwd_route rtp, rtcp;
    /* Written by the program (atomic adds); ngmediad reads them. */
    __u64 packets;
    __u64 bytes; /* UDP payload bytes, as userspace counts them */
    __u64 errors;
    __u64 last_seen_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
    __u64 dropped;      /* of `packets`: dropped (drop_types, NGM_FWD_DROP_ALL) */
    struct ngm_fwd_ssrc ssrcs[NGM_FWD_SSRCS];
};

#endif
