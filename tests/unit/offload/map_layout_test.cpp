// The map layout the BPF program and ngmediad share (src/offload/bpf/
// forward_map.h): fixed sizes and offsets, so a program built by one clang
// and a daemon built by one g++ agree byte for byte.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "offload/forward_table.h"

namespace ngm::offload {
namespace {

TEST(MapLayout, KeyIsAddressPortFamilyInTwentyBytes) {
    EXPECT_EQ(sizeof(ngm_fwd_key), 20u);
    EXPECT_EQ(offsetof(ngm_fwd_key, addr), 0u);
    EXPECT_EQ(offsetof(ngm_fwd_key, port), 16u);
    EXPECT_EQ(offsetof(ngm_fwd_key, family), 18u);
}

TEST(MapLayout, RouteAndValueHaveFixedOffsets) {
    EXPECT_EQ(sizeof(ngm_fwd_route), 48u);
    EXPECT_EQ(offsetof(ngm_fwd_route, dst), 16u);
    EXPECT_EQ(offsetof(ngm_fwd_route, src_port), 32u);
    EXPECT_EQ(offsetof(ngm_fwd_route, dst_port), 34u);
    EXPECT_EQ(offsetof(ngm_fwd_route, ifindex), 36u);
    EXPECT_EQ(offsetof(ngm_fwd_route, forwarded), 40u);
    EXPECT_EQ(offsetof(ngm_fwd_route, family), 41u);
    EXPECT_EQ(offsetof(ngm_fwd_value, source_port), 16u);
    EXPECT_EQ(offsetof(ngm_fwd_value, family), 18u);
    EXPECT_EQ(offsetof(ngm_fwd_value, flags), 19u);
    EXPECT_EQ(offsetof(ngm_fwd_value, tos), 20u);
    EXPECT_EQ(offsetof(ngm_fwd_value, payload_types), 24u);
    EXPECT_EQ(offsetof(ngm_fwd_value, drop_types), 40u);
    EXPECT_EQ(offsetof(ngm_fwd_value, clock_rate), 56u);
    EXPECT_EQ(offsetof(ngm_fwd_value, rtp), 64u);
    EXPECT_EQ(offsetof(ngm_fwd_value, rtcp), 112u);
    EXPECT_EQ(offsetof(ngm_fwd_value, packets), 160u);
    EXPECT_EQ(offsetof(ngm_fwd_value, last_seen_ns), 184u);
    EXPECT_EQ(offsetof(ngm_fwd_value, dropped), 192u);
    EXPECT_EQ(offsetof(ngm_fwd_value, ssrcs), 200u);
    EXPECT_EQ(sizeof(ngm_fwd_value), 200u + NGM_FWD_SSRCS * 72u);
}

TEST(MapLayout, SsrcSlotHasFixedOffsets) {
    EXPECT_EQ(sizeof(ngm_fwd_ssrc), 72u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, base_seq), 4u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, cycles), 8u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, max_seq), 12u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, used), 14u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, have_transit), 15u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, received), 16u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, duplicates), 40u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, last_transit), 48u);
    EXPECT_EQ(offsetof(ngm_fwd_ssrc, last_ns), 64u);
}

TEST(MapLayout, KeyOfIpv4PutsTheAddressFirstAndThePortInNetworkOrder) {
    ngm_fwd_key k = keyOf({*net::IpAddress::parse("10.1.2.3"), 40000});
    const uint8_t want[16] = {10, 1, 2, 3};
    EXPECT_EQ(std::memcmp(k.addr, want, 16), 0);
    EXPECT_EQ(k.port, htons(40000));
    EXPECT_EQ(k.family, NGM_FWD_FAMILY_V4);
    EXPECT_EQ(k.pad, 0);
}

TEST(MapLayout, KeyOfIpv6TakesAllSixteenBytes) {
    ngm_fwd_key k = keyOf({*net::IpAddress::parse("2001:db8::7"), 5});
    EXPECT_EQ(k.addr[0], 0x20);
    EXPECT_EQ(k.addr[1], 0x01);
    EXPECT_EQ(k.addr[15], 7);
    EXPECT_EQ(k.port, htons(5));
    EXPECT_EQ(k.family, NGM_FWD_FAMILY_V6);
}

}  // namespace
}  // namespace ngm::offload
