// --max-load, --max-cpu and --max-bandwidth on the real daemon: a limit the
// host is always above refuses offers for new calls (`load limit` with
// rtpengine's message for a client that supports it, the session limit's
// error otherwise), one it is never above lets them through, and the CLI's
// `set` changes them at runtime. The figures are sampled once a second, so
// the refusals are waited for.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "daemon_test.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

class LoadLimits : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "load limits drive ngmediad (rtpengine 10.5 ignores runtime changes of them)";
    }

    Reply offerSupportingLoadLimit(const std::string& callId, uint16_t port = 4000) {
        return ng->request(Request("offer")
                               .set("call-id", callId)
                               .set("from-tag", "carol")
                               .set("sdp", audioSdp(port))
                               .setList("supports", {"load limit"}));
    }

    // Offers new calls until one is refused with `message` (the limit's
    // figure is sampled once a second), for up to `wait`.
    bool refusedWith(const std::string& message, std::chrono::milliseconds wait = 4000ms) {
        int n = 0;
        return eventually(
            [&] {
                Reply r = offerSupportingLoadLimit("probe-" + std::to_string(n++));
                last = r.describe();
                return r.result() == "load limit" && r.str({"message"}) == message;
            },
            wait);
    }

    // Keeps two CPUs busy while it lives: CPU usage, and within seconds a
    // load average, that any limit of 0.01 is below, whatever else the
    // host does.
    struct Burner {
        std::atomic<bool> busy{true};
        std::vector<std::thread> threads;
        Burner() {
            for (int i = 0; i < 2; i++)
                threads.emplace_back([this] {
                    while (busy.load(std::memory_order_relaxed)) {
                    }
                });
        }
        ~Burner() {
            busy = false;
            for (auto& t : threads) t.join();
        }
    };

    // One command on the CLI port, as rtpengine-ctl sends it; the reply.
    std::string cli(uint16_t port, const std::string& command) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        std::string out;
        if (connect(fd, (sockaddr*)&sa, sizeof sa) == 0) {
            std::string line = command + "\n";
            (void)!send(fd, line.data(), line.size(), MSG_NOSIGNAL);
            shutdown(fd, SHUT_WR);
            char buf[4096];
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
        }
        close(fd);
        return out;
    }

    std::string last;
};

TEST_F(LoadLimits, MaxLoadBelowTheLoadAverageRefusesNewCalls) {
    ASSERT_TRUE(startDaemon({.args = {"--max-load=0.01"}})) << daemon.error();
    {
        Burner burner;  // 2 runnable threads lift the 1-minute average by ~0.03 a second
        EXPECT_TRUE(refusedWith("Load limit exceeded", 15000ms)) << last;
    }
    // A client that does not say it supports `load limit` gets rtpengine's
    // error, whichever limit refused it.
    Reply r = offer("plain", "alice", audioSdp(2000));
    EXPECT_EQ(r.result(), "error") << r.describe();
    EXPECT_EQ(r.errorReason(), "Parallel session limit reached") << r.describe();
    EXPECT_FALSE(isListed("plain"));
    // rtpengine counts no load refusal in rejectedsessions.
    EXPECT_EQ(statistics().integer({"statistics", "totalstatistics", "rejectedsessions"}), 0);
}

TEST_F(LoadLimits, MaxLoadAboveTheLoadAverageAcceptsCalls) {
    ASSERT_TRUE(startDaemon({.args = {"--max-load=1000", "--max-cpu=100", "--max-bandwidth=1000000000"}}))
        << daemon.error();
    std::this_thread::sleep_for(1500ms);  // at least one sample taken
    Reply r = offerSupportingLoadLimit("c1");
    EXPECT_EQ(r.result(), "ok") << r.describe();
}

TEST_F(LoadLimits, MaxCpuBelowTheUsageRefusesNewCalls) {
    ASSERT_TRUE(startDaemon({.args = {"--max-cpu=0.01"}})) << daemon.error();
    Burner burner;
    EXPECT_TRUE(refusedWith("CPU usage limit exceeded")) << last;
}

TEST_F(LoadLimits, MaxBandwidthWithMediaRunningRefusesNewCalls) {
    ASSERT_TRUE(startDaemon({.args = {"--max-bandwidth=1"}})) << daemon.error();
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Reply o = offer("media", "alice", audioSdp(a.port(), "127.0.0.1"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply an = answer("media", "alice", "bob", audioSdp(b.port(), "127.0.0.1"));
    ASSERT_EQ(an.result(), "ok") << an.describe();
    auto toB = sdpMediaPorts(o.sdp()), toA = sdpMediaPorts(an.sdp());
    ASSERT_TRUE(toA && toB);
    // No media yet: nothing received, nothing refused.
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(offerSupportingLoadLimit("before").result(), "ok");
    Bytes payload = patternPayload(160, 1);
    bool refused = false;
    auto until = std::chrono::steady_clock::now() + 4s;
    for (uint16_t seq = 0; !refused && std::chrono::steady_clock::now() < until; seq++) {
        a.sendRtp(uint16_t(toA->rtp), 0, seq, seq * 160u, 0x1111, payload);
        b.sendRtp(uint16_t(toB->rtp), 0, seq, seq * 160u, 0x2222, payload);
        std::this_thread::sleep_for(20ms);
        if (seq % 10 == 9) {
            Reply r = offerSupportingLoadLimit("probe-" + std::to_string(seq));
            last = r.describe();
            refused = r.result() == "load limit" && r.str({"message"}) == "Bandwidth limit exceeded";
        }
    }
    EXPECT_TRUE(refused) << last;
}

TEST_F(LoadLimits, CliSetMaxloadTakesEffectAtRuntime) {
    uint16_t cliPort = pickFreePort(SOCK_STREAM);
    ASSERT_TRUE(startDaemon({.args = {"--listen-cli=127.0.0.1:" + std::to_string(cliPort)}})) << daemon.error();
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(offerSupportingLoadLimit("first").result(), "ok");
    EXPECT_EQ(cli(cliPort, "set maxload 0.01"), "Success setting maxload to 0.01\n");
    {
        Burner burner;
        EXPECT_TRUE(refusedWith("Load limit exceeded", 15000ms)) << last;
    }
    EXPECT_EQ(cli(cliPort, "set maxload 0"), "Success setting maxload to 0.00\n");
    EXPECT_EQ(offerSupportingLoadLimit("after").result(), "ok");
    // Signalling of a call that exists is never refused.
    EXPECT_EQ(cli(cliPort, "set maxload 0.01"), "Success setting maxload to 0.01\n");
    Reply again = offerSupportingLoadLimit("first");
    EXPECT_EQ(again.result(), "ok") << again.describe();
}

}  // namespace
}  // namespace ngm::itest
