// The operations metrics of issue 13 §3 that move with traffic: per
// interface address packets, errors and RTP loss
// (ngmedia_interface_*_total), and the media workers' busy and idle time
// (ngmedia_worker_busy/idle_seconds_total), read from /metrics while RTP
// flows through a call.
#include <chrono>
#include <regex>
#include <thread>

#include "daemon_test.h"
#include "http_client.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

class OpsMetrics : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle()) GTEST_SKIP() << "ngmedia_* families are ngmediad's own; rtpengine 10.5 has none";
        DaemonConfig cfg;
        cfg.http = true;
        cfg.args = {"--delete-delay=0"};
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }
    std::string metrics() {
        HttpClient c(daemon.httpPort(), false);
        auto r = c.request("GET", "/metrics");
        if (!r) return {};
        EXPECT_EQ(r->status, 200);
        return r->body;
    }
    // The samples of `family` summed (all label sets).
    static double sum(const std::string& text, const std::string& family) {
        std::regex sample("(^|\n)" + family + "(\\{[^}]*\\})? ([0-9.e+-]+)");
        double total = 0;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), sample); it != std::sregex_iterator(); ++it)
            total += std::stod((*it)[3]);
        return total;
    }
    static int samplesOf(const std::string& text, const std::string& family) {
        std::regex sample("(^|\n)" + family + "\\{");
        return (int)std::distance(std::sregex_iterator(text.begin(), text.end(), sample), std::sregex_iterator());
    }
    // Waits (the counters move once a second) until `family` sums to at least `want`.
    double waitFor(const std::string& family, double want, std::string& text) {
        auto deadline = std::chrono::steady_clock::now() + 15s;
        double v = 0;
        do {
            text = metrics();
            v = sum(text, family);
            if (v >= want) break;
            std::this_thread::sleep_for(100ms);
        } while (std::chrono::steady_clock::now() < deadline);
        return v;
    }
};

TEST_F(OpsMetrics, InterfaceCountersCountPacketsAndLossOfTheMediaReceived) {
    std::string text = metrics();
    ASSERT_EQ(sum(text, "ngmedia_interface_packets_total"), 0) << text;
    EXPECT_GE(samplesOf(text, "ngmedia_interface_packets_total"), 1) << "one sample per interface address";
    EXPECT_NE(text.find("# HELP ngmedia_interface_packets_lost_total "), std::string::npos);

    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Reply o = offer("opsm", "alice", audioSdp(a.port(), "127.0.0.1"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply an = answer("opsm", "alice", "bob", audioSdp(b.port(), "127.0.0.1"));
    ASSERT_EQ(an.result(), "ok") << an.describe();
    auto toB = sdpMediaPorts(o.sdp()), toA = sdpMediaPorts(an.sdp());
    ASSERT_TRUE(toA && toB);
    // alice: 50 sequence numbers with every tenth missing (45 sent, 5
    // lost); bob: 30 without a gap.
    Bytes payload = patternPayload(160, 7);
    int sent = 0;
    for (uint16_t i = 0; i < 50; i++) {
        if (i % 10 != 5) {
            a.sendRtp(uint16_t(toA->rtp), 0, uint16_t(100 + i), 160u * i, 0xa11ce, payload);
            sent++;
        }
        if (i < 30) {
            b.sendRtp(uint16_t(toB->rtp), 0, uint16_t(500 + i), 160u * i, 0xb0b, payload);
            sent++;
        }
        std::this_thread::sleep_for(2ms);
    }
    EXPECT_EQ(waitFor("ngmedia_interface_packets_total", sent, text), sent) << text;
    EXPECT_EQ(waitFor("ngmedia_interface_packets_lost_total", 5, text), 5) << text;
    EXPECT_GE(sum(text, "ngmedia_interface_bytes_total"), 172.0 * sent) << text;
    EXPECT_EQ(sum(text, "ngmedia_interface_packet_errors_total"), 0) << text;

    // What arrived after the last once-a-second report is added when the
    // call goes; the counters stay (counters, not gauges).
    for (uint16_t i = 50; i < 60; i++) a.sendRtp(uint16_t(toA->rtp), 0, uint16_t(100 + i), 160u * i, 0xa11ce, payload);
    sent += 10;
    std::this_thread::sleep_for(50ms);
    ASSERT_EQ(deleteNow("opsm", "alice").result(), "ok");
    EXPECT_EQ(waitFor("ngmedia_interface_packets_total", sent, text), sent) << text;
    EXPECT_EQ(sum(text, "ngmedia_interface_packets_lost_total"), 5) << text;
}

TEST_F(OpsMetrics, WorkerBusySecondsGrowWhileMediaFlowsAndIdleSecondsWhileNot) {
    std::string text = metrics();
    int workers = samplesOf(text, "ngmedia_worker_busy_seconds_total");
    ASSERT_GE(workers, 1) << text;
    EXPECT_EQ(samplesOf(text, "ngmedia_worker_idle_seconds_total"), workers);
    double busy0 = sum(text, "ngmedia_worker_busy_seconds_total");
    double idle0 = sum(text, "ngmedia_worker_idle_seconds_total");

    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(offer("opsb", "alice", audioSdp(a.port(), "127.0.0.1")).result(), "ok");
    Reply an = answer("opsb", "alice", "bob", audioSdp(b.port(), "127.0.0.1"));
    ASSERT_EQ(an.result(), "ok") << an.describe();
    auto toA = sdpMediaPorts(an.sdp());
    ASSERT_TRUE(toA);
    Bytes payload = patternPayload(160, 1);
    for (uint16_t i = 0; i < 200; i++) {
        a.sendRtp(uint16_t(toA->rtp), 0, i, 160u * i, 0x5eed, payload);
        std::this_thread::sleep_for(2ms);
    }
    // The call's worker waited between the packets (about 2 ms each, at
    // least 0.4 s in all) and worked on them. (A worker with nothing to do
    // shows its wait only once it ends, at its once-a-second tick, so the
    // sum over workers is no measure of the wall clock.)
    std::this_thread::sleep_for(200ms);
    text = metrics();
    double busy = sum(text, "ngmedia_worker_busy_seconds_total") - busy0;
    double idle = sum(text, "ngmedia_worker_idle_seconds_total") - idle0;
    EXPECT_GT(busy, 0) << text;
    EXPECT_GT(idle, 0.2) << text;
    EXPECT_EQ(deleteNow("opsb", "alice").result(), "ok");
}

}  // namespace
}  // namespace ngm::itest
