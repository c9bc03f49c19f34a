// Round trips from RTCP (media/rtcp_timing.h, RFC 3550 §6.4.1): the SR and
// RR fields read from compound packets, the log of SRs that passed, and
// arrival − SR passage − DLSR.
#include "media/rtcp_timing.h"

#include <gtest/gtest.h>

#include <vector>

namespace ngm::media {
namespace {

void put32(std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
}

struct BlockSpec {
    uint32_t ssrc, lsr, dlsr;
};
void putBlocks(std::vector<uint8_t>& v, const std::vector<BlockSpec>& blocks) {
    for (const auto& b : blocks) {
        put32(v, b.ssrc);
        put32(v, 0);  // fraction lost, cumulative lost
        put32(v, 0);  // highest sequence number
        put32(v, 0);  // jitter
        put32(v, b.lsr);
        put32(v, b.dlsr);
    }
}

std::vector<uint8_t> senderReport(uint32_t ssrc, uint32_t ntpSec, uint32_t ntpFrac,
                                  const std::vector<BlockSpec>& blocks = {}) {
    std::vector<uint8_t> v{uint8_t(0x80 | blocks.size()), 200, 0, uint8_t(6 + 6 * blocks.size())};
    put32(v, ssrc);
    put32(v, ntpSec);
    put32(v, ntpFrac);
    put32(v, 0);  // RTP timestamp
    put32(v, 0);  // packets
    put32(v, 0);  // octets
    putBlocks(v, blocks);
    return v;
}

std::vector<uint8_t> receiverReport(uint32_t ssrc, const std::vector<BlockSpec>& blocks) {
    std::vector<uint8_t> v{uint8_t(0x80 | blocks.size()), 201, 0, uint8_t(1 + 6 * blocks.size())};
    put32(v, ssrc);
    putBlocks(v, blocks);
    return v;
}

TEST(RtcpTiming, SenderReportGivesTheMiddleOfItsNtpTime) {
    RtcpTiming t;
    ASSERT_TRUE(parseRtcpTiming(senderReport(0x1111, 0xaabbccdd, 0x11223344), t));
    EXPECT_TRUE(t.hasSenderReport);
    EXPECT_EQ(t.senderSsrc, 0x1111u);
    EXPECT_EQ(t.ntpMiddle, 0xccdd1122u);
    EXPECT_EQ(t.blockCount, 0u);
}

TEST(RtcpTiming, ReportBlocksOfSrAndRrInACompoundPacket) {
    auto p = senderReport(0x1, 1, 2, {{0xa, 0x100, 0x200}});
    auto rr = receiverReport(0x1, {{0xb, 0x300, 0x400}, {0xc, 0, 0}});
    p.insert(p.end(), rr.begin(), rr.end());
    // An SDES after them is skipped.
    std::vector<uint8_t> sdes{0x81, 202, 0, 1, 0, 0, 0, 1};
    p.insert(p.end(), sdes.begin(), sdes.end());
    RtcpTiming t;
    ASSERT_TRUE(parseRtcpTiming(p, t));
    ASSERT_EQ(t.blockCount, 3u);
    EXPECT_EQ(t.blocks[0].ssrc, 0xau);
    EXPECT_EQ(t.blocks[0].lsr, 0x100u);
    EXPECT_EQ(t.blocks[0].dlsr, 0x200u);
    EXPECT_EQ(t.blocks[1].ssrc, 0xbu);
    EXPECT_EQ(t.blocks[2].lsr, 0u);
}

TEST(RtcpTiming, MalformedPacketsGiveNothingOrWhatCameBefore) {
    RtcpTiming t;
    EXPECT_FALSE(parseRtcpTiming(std::vector<uint8_t>{}, t));
    EXPECT_FALSE(parseRtcpTiming(std::vector<uint8_t>{0x80, 202, 0, 1, 0, 0, 0, 0}, t));  // SDES first
    auto sr = senderReport(0x1, 1, 2, {{0xa, 1, 2}});
    sr.resize(sr.size() - 4);  // the length runs past the end
    EXPECT_FALSE(parseRtcpTiming(sr, t));
    EXPECT_FALSE(t.hasSenderReport);
    // A report count larger than the packet holds: only whole blocks.
    auto rr = receiverReport(0x1, {{0xa, 1, 2}});
    rr[0] = 0x85;
    ASSERT_TRUE(parseRtcpTiming(rr, t));
    EXPECT_EQ(t.blockCount, 1u);
    // A good SR then garbage: the SR counts.
    auto good = senderReport(0x1, 1, 2);
    good.push_back(0x00);
    good.push_back(0x00);
    good.push_back(0x00);
    good.push_back(0x00);
    ASSERT_TRUE(parseRtcpTiming(good, t));
    EXPECT_TRUE(t.hasSenderReport);
    // A header whose length leaves no room for the SSRC (found by fuzz_rtp).
    EXPECT_FALSE(parseRtcpTiming(std::vector<uint8_t>{0x81, 200, 0, 0, 0x22, 0x12, 0xa4}, t));
}

TEST(RtcpTiming, AtMostEightBlocksAreKept) {
    std::vector<BlockSpec> many(20, BlockSpec{1, 2, 3});
    std::vector<uint8_t> p;
    for (int i = 0; i < 3; i++) {
        auto rr = receiverReport(0x1, std::vector<BlockSpec>(many.begin(), many.begin() + 7));
        p.insert(p.end(), rr.begin(), rr.end());
    }
    RtcpTiming t;
    ASSERT_TRUE(parseRtcpTiming(p, t));
    EXPECT_EQ(t.blockCount, RtcpTiming::kMaxBlocks);
}

TEST(SenderReportLog, FindsWhatWasRecordedAndNothingElse) {
    SenderReportLog log;
    EXPECT_FALSE(log.passedAt(1, 2).has_value());
    log.record(1, 2, 1000);
    log.record(3, 4, 2000);
    EXPECT_EQ(log.passedAt(1, 2), 1000);
    EXPECT_EQ(log.passedAt(3, 4), 2000);
    EXPECT_FALSE(log.passedAt(1, 4).has_value());
    log.record(1, 2, 5000);  // the same SR again (a retransmission): the later time
    EXPECT_EQ(log.passedAt(1, 2), 5000);
}

TEST(RoundTrip, ArrivalLessSrPassageLessDlsr) {
    // SR passed at 1 s, RR arrives at 1.3 s, held 0.2 s (13107/65536): 100 ms.
    auto rtt = roundTripUs(1'300'000, 1'000'000, 13107);
    ASSERT_TRUE(rtt.has_value());
    EXPECT_NEAR(double(*rtt), 100'000, 100);
    EXPECT_FALSE(roundTripUs(1'000'000, 1'000'000, 65536).has_value());  // held longer than it took
    EXPECT_FALSE(roundTripUs(20'000'000, 1'000'000, 0).has_value());     // over 10 s
}

}  // namespace
}  // namespace ngm::media
