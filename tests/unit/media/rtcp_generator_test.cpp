// writeRtcpReport (media/rtcp_generator.h): what `generate RTCP` sends must
// pass our own RTCP parsers (validRtcp, parseRtcpTiming) with the figures
// it was given.
#include "media/rtcp_generator.h"

#include <gtest/gtest.h>

#include <array>

#include "media/packet.h"
#include "media/quality.h"
#include "media/rtcp_timing.h"

namespace ngm::media {
namespace {

uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

RtcpReport senderReport() {
    RtcpReport r;
    r.sender = true;
    r.ssrc = 0x22222222;
    r.ntp = 0xeec199fa'f6d44dc9ull;
    r.rtpTimestamp = 28800;
    r.packets = 180;
    r.octets = 30960;
    r.hasBlock = true;
    r.block.ssrc = 0x11111111;
    r.block.fractionLost = 12;
    r.block.cumulativeLost = 3;
    r.block.extendedMax = 0x10005;
    r.block.jitter = 86;
    r.block.lsr = 0x99faf6d4;
    r.block.dlsr = 0x2b3e;
    r.cname = "3765abcdefgh";
    return r;
}

TEST(RtcpGenerator, SenderReportRoundTripsThroughOurParsers) {
    std::array<uint8_t, kMaxRtcpReport> buf{};
    size_t n = writeRtcpReport(senderReport(), buf);
    // As rtpengine 10.5's: SR with one block (52) + SDES with a 12-octet CNAME (24).
    ASSERT_EQ(n, 76u);
    std::span<const uint8_t> pkt(buf.data(), n);
    EXPECT_TRUE(validRtcp(pkt));
    EXPECT_EQ(classify(pkt), PacketKind::Rtcp);
    EXPECT_EQ(rtcpSenderSsrc(pkt), 0x22222222u);
    RtcpTiming t;
    ASSERT_TRUE(parseRtcpTiming(pkt, t));
    EXPECT_TRUE(t.hasSenderReport);
    EXPECT_EQ(t.senderSsrc, 0x22222222u);
    EXPECT_EQ(t.ntpMiddle, 0x99faf6d4u);
    ASSERT_EQ(t.blockCount, 1u);
    EXPECT_EQ(t.blocks[0].ssrc, 0x11111111u);
    EXPECT_EQ(t.blocks[0].lsr, 0x99faf6d4u);
    EXPECT_EQ(t.blocks[0].dlsr, 0x2b3eu);
    // The fields parseRtcpTiming does not read.
    EXPECT_EQ(buf[0], 0x81);
    EXPECT_EQ(buf[1], 200);
    EXPECT_EQ(be32(&buf[16]), 28800u);
    EXPECT_EQ(be32(&buf[20]), 180u);
    EXPECT_EQ(be32(&buf[24]), 30960u);
    EXPECT_EQ(be32(&buf[32]), uint32_t(12) << 24 | 3);
    EXPECT_EQ(be32(&buf[36]), 0x10005u);
    EXPECT_EQ(be32(&buf[40]), 86u);
    // SDES: one chunk, our SSRC, CNAME item, terminated and padded.
    EXPECT_EQ(buf[52], 0x81);
    EXPECT_EQ(buf[53], 202);
    EXPECT_EQ(be32(&buf[56]), 0x22222222u);
    EXPECT_EQ(buf[60], 1);
    EXPECT_EQ(buf[61], 12);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(&buf[62]), 12), "3765abcdefgh");
    EXPECT_EQ(buf[74], 0);
    EXPECT_EQ(buf[75], 0);
}

TEST(RtcpGenerator, ReceiverReportWithoutAndWithBlockIsValid) {
    RtcpReport r;
    r.ssrc = 0xabcdef01;
    r.cname = "x";
    std::array<uint8_t, kMaxRtcpReport> buf{};
    size_t n = writeRtcpReport(r, buf);
    ASSERT_EQ(n, 8u + 12u);
    EXPECT_TRUE(validRtcp({buf.data(), n}));
    EXPECT_EQ(buf[1], 201);
    EXPECT_EQ(buf[0], 0x80);
    r.hasBlock = true;
    r.block.ssrc = 5;
    r.block.cumulativeLost = -2;  // duplicates
    n = writeRtcpReport(r, buf);
    ASSERT_EQ(n, 32u + 12u);
    RtcpTiming t;
    ASSERT_TRUE(parseRtcpTiming({buf.data(), n}, t));
    EXPECT_FALSE(t.hasSenderReport);
    ASSERT_EQ(t.blockCount, 1u);
    EXPECT_EQ(t.blocks[0].ssrc, 5u);
    EXPECT_EQ(be32(&buf[12]) & 0xffffff, 0xfffffeu);
}

TEST(RtcpGenerator, CnameLengthsPadToWordsAndTooSmallBufferGivesNothing) {
    std::array<uint8_t, kMaxRtcpReport> buf{};
    for (size_t len : {0, 1, 2, 3, 4, 5, 100, 255, 300}) {
        std::string cname(len, 'c');
        RtcpReport r = senderReport();
        r.cname = cname;
        size_t n = writeRtcpReport(r, buf);
        ASSERT_GT(n, 0u) << len;
        EXPECT_EQ(n % 4, 0u) << len;
        EXPECT_TRUE(validRtcp({buf.data(), n})) << len;
        EXPECT_LE(n, kMaxRtcpReport);
        EXPECT_EQ(writeRtcpReport(r, std::span<uint8_t>(buf.data(), n - 1)), 0u) << len;
    }
}

TEST(RtcpGenerator, ReportBlockFromReceptionCountsIntervalLoss) {
    RtpReception rx;
    int64_t us = 1'000'000;
    // 10 packets, seq 100..109, 109 missing 104 and 105.
    for (uint16_t s = 100; s < 110; s++) {
        if (s == 104 || s == 105) continue;
        rx.onPacket(7, s, uint32_t(s) * 160, us + s * 20000, 8000);
    }
    uint64_t expPrior = 0, recPrior = 0;
    auto b = reportBlock(rx, expPrior, recPrior, 0x1234, 0, us + 3'000'000);
    EXPECT_EQ(b.ssrc, 7u);
    EXPECT_EQ(b.cumulativeLost, 2);
    EXPECT_EQ(b.fractionLost, (2 << 8) / 10);
    EXPECT_EQ(b.extendedMax, 109u);
    EXPECT_EQ(b.lsr, 0u);  // no SR from it: LSR and DLSR 0
    EXPECT_EQ(b.dlsr, 0u);
    // Next interval: nothing lost.
    for (uint16_t s = 110; s < 120; s++) rx.onPacket(7, s, uint32_t(s) * 160, us + s * 20000, 8000);
    b = reportBlock(rx, expPrior, recPrior, 0x1234, us, us + 1'500'000);
    EXPECT_EQ(b.fractionLost, 0);
    EXPECT_EQ(b.cumulativeLost, 2);
    EXPECT_EQ(b.lsr, 0x1234u);
    EXPECT_EQ(b.dlsr, uint32_t(1.5 * 65536));
}

TEST(RtcpGenerator, TimestampAndNtp) {
    EXPECT_EQ(extrapolateTimestamp(1000, 5'000'000, 5'020'000, 8000), 1160u);
    EXPECT_EQ(extrapolateTimestamp(0xffffff00u, 5'000'000, 5'100'000, 48000), 0xffffff00u + 4800u);
    EXPECT_EQ(extrapolateTimestamp(1000, 0, 5'020'000, 8000), 1000u);  // no arrival known
    EXPECT_EQ(extrapolateTimestamp(1000, 5'000'000, 5'020'000, 0), 1000u);
    // 1970-01-01 is NTP 2208988800; half a second is 0x80000000.
    EXPECT_EQ(ntpFromUnixMicros(500000), (2208988800ull << 32) | 0x80000000u);
}

}  // namespace
}  // namespace ngm::media
