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
    __u8 pad[7];
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
    struct ngm_fwd_route rtp, rtcp;
    /* Written by the program (atomic adds); ngmediad reads them. */
    __u64 packets;
    __u64 bytes; /* UDP payload bytes, as userspace counts them */
    __u64 errors;
    __u64 last_seen_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

#endif
