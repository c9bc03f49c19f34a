#include "media/quality.h"

#include <gtest/gtest.h>

#include <vector>

namespace ngm::media {
namespace {

// Figures worked out by hand from the formula in quality.h.
TEST(Mos, CleanStreamWithoutRttIsAbout4Point4) { EXPECT_NEAR(mosEstimate(0, 0, 0), 4.4044, 1e-3); }

TEST(Mos, TenPercentLossCostsAPoint) { EXPECT_NEAR(mosEstimate(0, 0, 10), 3.4994, 1e-3); }

TEST(Mos, JitterBeyond160MsOfLatencyUsesTheSteeperSlope) {
    EXPECT_NEAR(mosEstimate(0, 100, 0), 4.1724, 1e-3);  // latency 210 ms
    EXPECT_NEAR(mosEstimate(0, 10, 0), 4.3943, 1e-3);   // latency 30 ms
}

TEST(Mos, StaysBetweenOneAndFourPointFive) {
    EXPECT_DOUBLE_EQ(mosEstimate(0, 0, 50), 1.0);
    EXPECT_DOUBLE_EQ(mosEstimate(5000, 5000, 100), 1.0);
    EXPECT_LE(mosEstimate(0, 0, 0), 4.5);
}

TEST(Mos, MoreLossNeverRaisesIt) {
    for (int l = 0; l < 40; l++) EXPECT_GE(mosEstimate(0, 5, l), mosEstimate(0, 5, l + 1)) << l;
}

constexpr uint32_t kSsrc = 0x1234;

// `n` packets of 20 ms (160 samples at 8 kHz) from `seq0`, arriving on time
// plus `skewUs(i)`; `drop(i)` leaves packet i out.
template <class Drop, class Skew>
void feed(RtpReception& r, int n, uint16_t seq0, Drop drop, Skew skewUs, uint32_t ssrc = kSsrc) {
    for (int i = 0; i < n; i++) {
        if (drop(i)) continue;
        r.onPacket(ssrc, uint16_t(seq0 + i), 1000u + 160u * uint32_t(i), 5'000'000 + 20'000 * int64_t(i) + skewUs(i),
                   8000);
    }
}
auto none = [](int) { return false; };
auto onTime = [](int) { return int64_t(0); };

TEST(RtpReception, RegularStreamHasNoLossAndNoJitter) {
    RtpReception r;
    feed(r, 100, 10, none, onTime);
    EXPECT_EQ(r.expected(), 100u);
    EXPECT_EQ(r.received(), 100u);
    EXPECT_EQ(r.lost(), 0u);
    EXPECT_DOUBLE_EQ(r.jitterMs(), 0.0);
}

TEST(RtpReception, EveryTenthPacketDroppedIsTenPercentLost) {
    RtpReception r;
    feed(r, 100, 10, [](int i) { return i % 10 == 5; }, onTime);
    EXPECT_EQ(r.expected(), 100u);
    EXPECT_EQ(r.lost(), 10u);
}

TEST(RtpReception, EveryOtherPacketFiveMsLateConvergesToFiveMsJitter) {
    // Every other packet 5 ms late: |D| is 5 ms each time (RFC 3550 §A.8
    // smooths towards it).
    RtpReception r;
    feed(r, 400, 0, none, [](int i) { return int64_t(i % 2 ? 5000 : 0); });
    EXPECT_NEAR(r.jitterMs(), 5.0, 0.3);
}

TEST(RtpReception, SequenceWrapIsNoLoss) {
    RtpReception r;
    feed(r, 40, 65520, none, onTime);
    EXPECT_EQ(r.expected(), 40u);
    EXPECT_EQ(r.lost(), 0u);
}

TEST(RtpReception, LateAndDuplicatePacketsDoNotMoveTheHighest) {
    RtpReception r;
    feed(r, 10, 100, none, onTime);
    r.onPacket(kSsrc, 105, 0, 6'000'000, 8000);  // duplicate
    EXPECT_EQ(r.expected(), 10u);
    EXPECT_EQ(r.lost(), 0u) << "more received than expected counts as no loss";
}

TEST(RtpReception, NewSsrcStartsOver) {
    RtpReception r;
    feed(r, 50, 0, [](int i) { return i % 5 == 1; }, onTime);
    EXPECT_GT(r.lost(), 0u);
    feed(r, 20, 3000, none, onTime, 0x9999);
    EXPECT_EQ(r.ssrc(), 0x9999u);
    EXPECT_EQ(r.expected(), 20u);
    EXPECT_EQ(r.lost(), 0u);
}

TEST(RtpReception, WithoutAClockRateOnlyLossIsKept) {
    RtpReception r;
    for (int i = 0; i < 10; i++) r.onPacket(kSsrc, uint16_t(i * 2), 0, i * 7777, 0);
    EXPECT_EQ(r.lost(), 9u);
    EXPECT_DOUBLE_EQ(r.jitterMs(), 0.0);
}

// Each SSRC keeps its own sequence state when a stream interleaves them: a
// packet of another SSRC in between is no restart, and loss is per SSRC.
TEST(SsrcReceptions, InterleavedSsrcsKeepTheirOwnLoss) {
    SsrcReceptions r;
    for (uint16_t i = 0; i < 50; i++) {
        if (i % 10 != 3) r.onPacket(0xa, uint16_t(100 + i), 0, 0, 0);  // 5 lost
        r.onPacket(0xb, uint16_t(7000 + i), 0, 0, 0);                  // none lost
    }
    EXPECT_EQ(r.current().ssrc(), 0xbu);
    SsrcReceptions::States st = r.states();
    EXPECT_FALSE(st[0].started);
    EXPECT_FALSE(st[1].started);
    ASSERT_TRUE(st[2].started && st[3].started);
    EXPECT_EQ(st[2].ssrc, 0xau);  // heard before 0xb
    EXPECT_EQ(st[3].ssrc, 0xbu);
    RtpReception a, b;
    a.restore(st[2]);
    b.restore(st[3]);
    EXPECT_EQ(a.lost(), 5u);
    EXPECT_EQ(a.received(), 45u);
    EXPECT_EQ(b.lost(), 0u);
    EXPECT_EQ(b.received(), 50u);
}

// A fifth SSRC takes the slot of the one heard least recently; restore()
// gives back the same slots in the same order of hearing.
TEST(SsrcReceptions, AFifthSsrcReplacesTheLeastRecentlyHeardAndRestoreKeepsTheOrder) {
    SsrcReceptions r;
    for (uint32_t ssrc : {1u, 2u, 3u, 4u, 2u, 1u}) r.onPacket(ssrc, uint16_t(ssrc * 10), 0, 0, 0);
    r.onPacket(5, 1, 0, 0, 0);  // 3 was heard least recently
    SsrcReceptions::States st = r.states();
    std::vector<uint32_t> order;
    for (const auto& s : st) order.push_back(s.started ? s.ssrc : 0);
    EXPECT_EQ(order, (std::vector<uint32_t>{4, 2, 1, 5}));
    SsrcReceptions back;
    back.restore(st);
    EXPECT_EQ(back.current().ssrc(), 5u);
    back.onPacket(6, 1, 0, 0, 0);  // 4 makes way
    order.clear();
    for (const auto& s : back.states()) order.push_back(s.started ? s.ssrc : 0);
    EXPECT_EQ(order, (std::vector<uint32_t>{2, 1, 5, 6}));
}

TEST(SsrcReceptions, LossIsSummedOverTheSsrcsKeptAndTheSetNamesThem) {
    SsrcReceptions r;
    EXPECT_EQ(r.ssrcSet(), 0u);
    r.onPacket(1, 10, 0, 0, 0);
    r.onPacket(1, 12, 0, 0, 0);  // 1 lost
    uint64_t one = r.ssrcSet();
    r.onPacket(2, 100, 0, 0, 0);
    r.onPacket(2, 103, 0, 0, 0);  // 2 lost
    EXPECT_EQ(r.lost(), 3u);
    EXPECT_NE(r.ssrcSet(), one);
    uint64_t both = r.ssrcSet();
    r.onPacket(1, 13, 0, 0, 0);  // the order of hearing changes, not the set
    EXPECT_EQ(r.ssrcSet(), both);
}

TEST(SsrcReceptions, NothingBeforeTheFirstPacket) {
    SsrcReceptions r;
    EXPECT_FALSE(r.current().started());
    for (const auto& s : r.states()) EXPECT_FALSE(s.started);
}

TEST(MosRecord, SamplesLossPerIntervalAndKeepsLowestHighestAverage) {
    RtpReception r;
    MosRecord m;
    feed(r, 50, 0, none, onTime);  // clean second
    m.sample(r, 0, 100);
    feed(r, 50, 50, [](int i) { return i % 10 == 5; }, onTime);  // 10 % lost
    m.sample(r, 0, 101);
    m.sample(r, 0, 102);  // nothing arrived: no sample
    ASSERT_EQ(m.samples(), 2u);
    EXPECT_NEAR(m.highest().mos, 4.4044, 1e-3);
    EXPECT_EQ(m.highest().at, 100);
    EXPECT_NEAR(m.lowest().mos, 3.4994, 1e-2);
    EXPECT_NEAR(m.lowest().lossPercent, 10.0, 1e-9);
    EXPECT_EQ(m.lowest().at, 101);
    EXPECT_NEAR(m.average().mos, (4.4044 + 3.4994) / 2, 1e-2);
}

TEST(MosRecord, RoundTripFromRtcpLowersTheMosAndIsAveragedWithItsLeg) {
    RtpReception r;
    MosRecord m;
    feed(r, 50, 0, none, onTime);
    m.sample(r, 0, 100);
    feed(r, 50, 50, none, onTime);
    m.sample(r, 400, 101, 150);  // 400 ms between the parties, 150 ms of it to the sender
    ASSERT_EQ(m.samples(), 2u);
    EXPECT_EQ(m.lowest().at, 101);
    EXPECT_NEAR(m.lowest().rttMs, 400, 1e-9);
    EXPECT_NEAR(m.lowest().rttLegMs, 150, 1e-9);
    EXPECT_NEAR(m.lowest().mos, mosEstimate(400, 0, 0), 1e-9);
    EXPECT_LT(m.lowest().mos, m.highest().mos - 0.5);
    EXPECT_NEAR(m.average().rttMs, 200, 1e-9);
    EXPECT_NEAR(m.average().rttLegMs, 75, 1e-9);
}

TEST(MosRecord, AFewPacketsJoinTheNextInterval) {
    RtpReception r;
    MosRecord m;
    feed(r, 3, 0, none, onTime);
    m.sample(r, 0, 100);
    EXPECT_EQ(m.samples(), 0u) << "three packets make no sample";
    feed(r, 47, 3, [](int i) { return i == 10; }, onTime);
    m.sample(r, 0, 101);
    ASSERT_EQ(m.samples(), 1u);
    EXPECT_NEAR(m.last().lossPercent, 2.0, 1e-9) << "1 of the 50 since the start";
}

}  // namespace
}  // namespace ngm::media
