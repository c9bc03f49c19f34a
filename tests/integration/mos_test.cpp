// MOS from what the proxy itself sees (issue 13 §3): two RTP streams of one
// call, one clean and one missing every tenth packet, with no RTCP at all.
// query shows each SSRC's loss and MOS, the lossy one lower; at the call's
// end each stream's MOS lands in statistics' `mos` and the ngmedia_mos
// histogram of /metrics.
#include <chrono>
#include <regex>
#include <thread>

#include "daemon_test.h"
#include "http_client.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

class Mos : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "rtpengine 10.5 estimates MOS only from RTCP reports; ngmediad from the RTP it "
                            "receives";
        DaemonConfig cfg;
        cfg.http = true;
        cfg.args = {"--delete-delay=0"};
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }
};

int64_t mosOf(const Reply& q, uint32_t ssrc, const char* which = "average MOS") {
    return q.integer({"SSRC", std::to_string(ssrc), which, "MOS"});
}

TEST_F(Mos, EveryTenthPacketLostGivesALowerMosThanACleanStream) {
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Reply o = offer("mos", "alice", audioSdp(a.port(), "127.0.0.1"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply an = answer("mos", "alice", "bob", audioSdp(b.port(), "127.0.0.1"));
    ASSERT_EQ(an.result(), "ok") << an.describe();
    auto toB = sdpMediaPorts(o.sdp()), toA = sdpMediaPorts(an.sdp());
    ASSERT_TRUE(toA && toB);
    constexpr uint32_t kClean = 0xc1ea4, kLossy = 0x10557;
    Bytes payload = patternPayload(160, 3);
    auto next = std::chrono::steady_clock::now();
    for (uint16_t i = 0; i < 150; i++) {  // 3 s of 20 ms packets
        a.sendRtp(uint16_t(toA->rtp), 0, uint16_t(1000 + i), 160u * i, kClean, payload);
        if (i % 10 != 5) b.sendRtp(uint16_t(toB->rtp), 0, uint16_t(2000 + i), 160u * i, kLossy, payload);
        next += 20ms;
        std::this_thread::sleep_until(next);
    }
    std::this_thread::sleep_for(1200ms);  // one more sample, taken once a second
    Reply q = query("mos");
    ASSERT_EQ(q.result(), "ok") << q.describe();
    EXPECT_EQ(q.integer({"SSRC", std::to_string(kClean), "cumulative loss"}), 0) << q.describe();
    EXPECT_EQ(q.integer({"SSRC", std::to_string(kLossy), "cumulative loss"}), 15) << q.describe();
    int64_t clean = mosOf(q, kClean), lossy = mosOf(q, kLossy);
    EXPECT_GE(clean, 40) << "MOS x 10 of the clean stream; " << q.describe();
    EXPECT_LE(lossy, 37) << "MOS x 10 with 10 % loss; " << q.describe();
    EXPECT_LT(lossy, clean);
    EXPECT_GE(q.integer({"SSRC", std::to_string(kLossy), "highest MOS", "packet loss"}), 0);
    EXPECT_GE(q.integer({"SSRC", std::to_string(kLossy), "average MOS", "samples"}), 2);

    // The CLI's call info (GET /cli/ runs the same commands): a MOS line
    // per media, the received SSRC on the port lines.
    {
        HttpClient cli(daemon.httpPort(), false);
        auto info = cli.request("GET", "/cli/list+sessions+mos");
        ASSERT_TRUE(info);
        EXPECT_TRUE(std::regex_search(info->body, std::regex("-------- MOS 4\\.[34] \\(average of \\d+ samples")))
            << info->body;
        EXPECT_TRUE(std::regex_search(info->body, std::regex("-------- MOS 3\\.\\d .*, \\d+\\.\\d % loss")))
            << info->body;
        EXPECT_NE(info->body.find("SSRC 10557,"), std::string::npos) << info->body;
    }

    ASSERT_EQ(deleteNow("mos", "alice").result(), "ok");
    Reply s = statistics();
    EXPECT_EQ(s.integer({"statistics", "mos", "mos_samples_total"}), 2) << s.describe();
    HttpClient c(daemon.httpPort(), false);
    auto m = c.request("GET", "/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("ngmedia_mos_count 2\n"), std::string::npos);
    // The lossy stream (about 3.5) is under le="3.5"... not under le="3.0".
    std::smatch bucket;
    ASSERT_TRUE(std::regex_search(m->body, bucket, std::regex("ngmedia_mos_bucket\\{le=\"3.0\"\\} (\\d+)")));
    EXPECT_EQ(bucket[1], "0");
    ASSERT_TRUE(std::regex_search(m->body, bucket, std::regex("ngmedia_mos_bucket\\{le=\"4.0\"\\} (\\d+)")));
    EXPECT_EQ(bucket[1], "1") << "the lossy stream";
    ASSERT_TRUE(std::regex_search(m->body, bucket, std::regex("ngmedia_mos_bucket\\{le=\"\\+Inf\"\\} (\\d+)")));
    EXPECT_EQ(bucket[1], "2");
}

// RFC 3550 §6.4.1 through the proxy: alice's SR passes to bob, bob's RR
// about it comes back 300 ms later saying he held it 200 ms, so the leg
// between the proxy and bob is about 100 ms. Both streams' MOS take it
// (alice's as the other side's leg), query shows it as rtpengine names it.
TEST_F(Mos, RoundTripFromSenderAndReceiverReportsEntersTheMos) {
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Reply o = offer("rtt", "alice", audioSdp(a.port(), "127.0.0.1"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply an = answer("rtt", "alice", "bob", audioSdp(b.port(), "127.0.0.1"));
    ASSERT_EQ(an.result(), "ok") << an.describe();
    auto toB = sdpMediaPorts(o.sdp()), toA = sdpMediaPorts(an.sdp());
    ASSERT_TRUE(toA && toB);
    constexpr uint32_t kAlice = 0xa11ce, kBob = 0xb0b;
    auto be32 = [](Bytes& v, uint32_t x) {
        for (int s = 24; s >= 0; s -= 8) v.push_back(uint8_t(x >> s));
    };
    // Alice's SR (no report blocks) with NTP time 0x00012345.6789abcd.
    Bytes sr{0x80, 200, 0, 6};
    for (uint32_t w : {kAlice, 0x00012345u, 0x6789abcdu, 0u, 0u, 0u}) be32(sr, w);
    // RTCP on the port after RTP unless a=rtcp says otherwise.
    uint16_t rtcpA = uint16_t(toA->rtcp > 0 ? toA->rtcp : toA->rtp + 1);
    uint16_t rtcpB = uint16_t(toB->rtcp > 0 ? toB->rtcp : toB->rtp + 1);
    ASSERT_TRUE(a.sendTo(rtcpA, sr));
    std::this_thread::sleep_for(300ms);
    // Bob's RR about it: LSR = the middle of that NTP time, DLSR 0.2 s.
    Bytes rr{0x81, 201, 0, 7};
    for (uint32_t w : {kBob, kAlice, 0u, 0u, 0u, 0x23456789u, 13107u}) be32(rr, w);
    ASSERT_TRUE(b.sendTo(rtcpB, rr));
    std::this_thread::sleep_for(100ms);

    Bytes payload = patternPayload(160, 3);
    auto next = std::chrono::steady_clock::now();
    for (uint16_t i = 0; i < 100; i++) {  // 2 s of 20 ms packets
        a.sendRtp(uint16_t(toA->rtp), 0, uint16_t(1000 + i), 160u * i, kAlice, payload);
        b.sendRtp(uint16_t(toB->rtp), 0, uint16_t(2000 + i), 160u * i, kBob, payload);
        next += 20ms;
        std::this_thread::sleep_until(next);
    }
    std::this_thread::sleep_for(1200ms);
    Reply q = query("rtt");
    ASSERT_EQ(q.result(), "ok") << q.describe();
    auto figure = [&](uint32_t ssrc, const char* key) {
        return q.integer({"SSRC", std::to_string(ssrc), "average MOS", key});
    };
    // Microseconds; the upper bound leaves room for a busy machine.
    EXPECT_GE(figure(kBob, "round-trip time leg"), 95'000) << q.describe();
    EXPECT_LE(figure(kBob, "round-trip time leg"), 2'000'000) << q.describe();
    EXPECT_EQ(figure(kBob, "round-trip time"), figure(kBob, "round-trip time leg"));
    EXPECT_EQ(figure(kAlice, "round-trip time leg"), 0) << "alice sent no report";
    EXPECT_EQ(figure(kAlice, "round-trip time"), figure(kBob, "round-trip time leg"));
    // 100 ms of round trip costs a clean stream a little MOS (4.4 without;
    // the figures themselves are media.MosRecord's).
    EXPECT_LE(mosOf(q, kBob), 44) << q.describe();
    EXPECT_GE(mosOf(q, kBob), 38) << q.describe();

    HttpClient cli(daemon.httpPort(), false);
    auto info = cli.request("GET", "/cli/list+sessions+rtt");
    ASSERT_TRUE(info);
    EXPECT_TRUE(std::regex_search(info->body, std::regex("ms jitter, \\d+\\.\\d ms round-trip \\(\\d+\\.\\d ms leg\\)")))
        << info->body;
}

}  // namespace
}  // namespace ngm::itest
