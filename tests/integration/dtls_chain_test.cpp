// DTLS-SRTP between ngmediad and an independent implementation on the wire:
// Debian's rtpengine 10.5. A plain RTP peer A calls a plain RTP peer C
// through both daemons, and the leg between them is DTLS-SRTP:
//
//   A ──RTP──> rtpengine ══DTLS-SRTP══ ngmediad ──RTP──> C   (and back)
//
// Once with rtpengine offering DTLS to ngmediad (ngmediad answers active and
// sends the ClientHello), once the other way round (ngmediad offers, rtpengine
// answers active). Each side checks the other's certificate against the
// fingerprint in the SDP it got; the audio must come out at the far end
// byte for byte. Skipped, saying so, where rtpengine is not installed.
#include <unistd.h>

#include <chrono>
#include <regex>
#include <thread>
#include <tuple>

#include "daemon_test.h"
#include "http_client.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;
constexpr const char* kRtpengine = "/usr/bin/rtpengine";

std::string plainSdp(uint16_t port, const std::string& origin, bool mux) {
    return "v=0\r\no=- " + origin + " 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " + std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" +
           (mux ? "a=rtcp-mux\r\n" : "") + "a=sendrecv\r\n";
}

std::string attribute(const std::string& sdp, const std::string& name) {
    std::smatch m;
    if (std::regex_search(sdp, m, std::regex("a=" + name + ":([^\r\n]*)"))) return m[1];
    return {};
}

enum class Offerer { Rtpengine, Ngmediad };

// (who offers the DTLS leg, rtcp-mux on it): without rtcp-mux the RTCP
// component has a handshake of its own.
class DtlsChain : public DaemonTest, public ::testing::WithParamInterface<std::tuple<Offerer, bool>> {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle()) GTEST_SKIP() << "needs ngmediad and rtpengine side by side";
        if (access(kRtpengine, X_OK) != 0)
            GTEST_SKIP() << kRtpengine << " (Debian's rtpengine-daemon, the independent DTLS peer) is not installed";
        ASSERT_TRUE(startDaemon({.args = {"--interface=127.0.0.1"}, .http = true})) << daemon.error();
        // The second daemon: rtpengine, in a port block of its own.
        const char* saved = getenv("NGM_DAEMON");
        std::string keep = saved ? saved : "";
        setenv("NGM_DAEMON", kRtpengine, 1);
        bool ok = rtpe.start({.args = {"--interface=127.0.0.1"}});
        if (saved)
            setenv("NGM_DAEMON", keep.c_str(), 1);
        else
            unsetenv("NGM_DAEMON");
        ASSERT_TRUE(ok) << rtpe.error();
        rng = std::make_unique<NgClient>(rtpe.ngPort());
        ASSERT_TRUE(rng->ok());
    }
    void TearDown() override {
        if (HasFailure() && rtpe.pid() > 0) std::cerr << "---- rtpengine log\n" << rtpe.log(20000) << "----\n";
        rtpe.stop();
        DaemonTest::TearDown();
    }

    // Sends `bytes` from `from` to `to` every 20 ms until `at` receives a
    // packet with the same payload (the handshake may still be running).
    ::testing::AssertionResult carried(RtpPeer& from, const Endpoint& to, RtpPeer& at, uint32_t ssrc) {
        for (uint16_t seq = 0; seq < 150; seq++) {
            Bytes pkt = g711(seq, ssrc);
            from.sendTo(to, pkt);
            auto got = at.receive(20ms);
            if (got && got->bytes.size() == pkt.size() &&
                std::equal(pkt.begin() + 12, pkt.end(), got->bytes.begin() + 12))
                return ::testing::AssertionSuccess();
        }
        return ::testing::AssertionFailure() << "nothing came through in 3 s";
    }

    Daemon rtpe;
    std::unique_ptr<NgClient> rng;
};

Reply signal(NgClient& ng, const char* cmd, const std::string& fromTag, const std::string& toTag,
             const std::string& sdp, const std::string& tp) {
    Request r(cmd);
    r.set("call-id", "dtls-chain").set("from-tag", fromTag).set("sdp", sdp);
    if (!tp.empty()) r.set("transport-protocol", tp);
    if (!toTag.empty()) r.set("to-tag", toTag);
    return ng.request(r);
}

TEST_P(DtlsChain, PlainCallThroughADtlsSrtpLegBetweenTheTwoDaemons) {
    RtpPeer a, c;
    ASSERT_TRUE(a.ok() && c.ok());
    // The DTLS leg is offered by `first` and answered by `second`; A talks to
    // `first`, C to `second`.
    bool rtpengineFirst = std::get<0>(GetParam()) == Offerer::Rtpengine;
    bool mux = std::get<1>(GetParam());
    NgClient& first = rtpengineFirst ? *rng : *ng;
    NgClient& second = rtpengineFirst ? *ng : *rng;

    Reply o1 = signal(first, "offer", "a", "", plainSdp(a.port(), "1", mux), "UDP/TLS/RTP/SAVP");
    ASSERT_EQ(o1.result(), "ok") << o1.describe();
    EXPECT_EQ(attribute(o1.sdp(), "setup"), "actpass") << o1.sdp();
    Reply o2 = signal(second, "offer", "x", "", o1.sdp(), "RTP/AVP");
    ASSERT_EQ(o2.result(), "ok") << o2.describe();
    Reply a2 = signal(second, "answer", "x", "c", plainSdp(c.port(), "2", mux), "");
    ASSERT_EQ(a2.result(), "ok") << a2.describe();
    EXPECT_EQ(attribute(a2.sdp(), "setup"), "active") << a2.sdp();
    EXPECT_FALSE(attribute(a2.sdp(), "fingerprint").empty()) << a2.sdp();
    Reply a1 = signal(first, "answer", "a", "y", a2.sdp(), "");
    ASSERT_EQ(a1.result(), "ok") << a1.describe();

    auto toFirst = sdpMediaPorts(a1.sdp());   // where A sends
    auto toSecond = sdpMediaPorts(o2.sdp());  // where C sends
    ASSERT_TRUE(toFirst && toSecond);
    Endpoint aTo{"127.0.0.1", uint16_t(toFirst->rtp)}, cTo{"127.0.0.1", uint16_t(toSecond->rtp)};
    EXPECT_TRUE(carried(a, aTo, c, 0xA1A1A1A1)) << "A -> C";
    EXPECT_TRUE(carried(c, cTo, a, 0xC3C3C3C3)) << "C -> A";

    // ngmediad says which side is DTLS and in which role.
    Reply q = query("dtls-chain");
    std::string flags = q.describe(1 << 20);  // whole: the SSRC entries come first
    EXPECT_NE(flags.find("DTLS-SRTP"), std::string::npos) << flags;
    EXPECT_NE(flags.find(rtpengineFirst ? "DTLS role active" : "DTLS role passive"), std::string::npos)
        << flags;
    // One handshake per component: RTP, and without rtcp-mux RTCP too
    // (summed over the workers).
    const int want = mux ? 1 : 2;
    int ok = 0;
    std::string metrics;
    for (int i = 0; i < 40 && ok != want; i++) {
        HttpClient h(daemon.httpPort(), false);
        auto r = h.request("GET", "/metrics");
        metrics = r ? r->body : "";
        ok = 0;
        static const std::regex line("ngmedia_dtls_handshakes_total\\{worker=\"\\d+\",result=\"ok\"\\} (\\d+)");
        for (auto it = std::sregex_iterator(metrics.begin(), metrics.end(), line); it != std::sregex_iterator(); ++it)
            ok += std::stoi((*it)[1]);
        if (ok != want) std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(ok, want) << metrics;
}

INSTANTIATE_TEST_SUITE_P(Offerers, DtlsChain,
                         ::testing::Combine(::testing::Values(Offerer::Rtpengine, Offerer::Ngmediad),
                                            ::testing::Bool()),
                         [](const auto& info) {
                             return std::string(std::get<0>(info.param) == Offerer::Rtpengine ? "RtpengineOffers"
                                                                                             : "NgmediadOffers") +
                                    (std::get<1>(info.param) ? "RtcpMux" : "SeparateRtcp");
                         });

}  // namespace
}  // namespace ngm::itest
