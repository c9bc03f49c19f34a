// `generate RTCP` through the real daemon (docs/compatibility.md): RTCP
// from the peers is consumed, and each side gets reports the daemon writes
// from its own counters: an SR naming the SSRC of the media it forwards to
// that side, with a report block about the side's own stream, then an SDES
// CNAME. Checked with our own RTCP parsers. Also runs against rtpengine
// 10.5 (NGM_DAEMON=/usr/bin/rtpengine), which does the same, except where
// a test says otherwise.
#include <string>
#include <thread>
#include <vector>

#include "daemon_test.h"
#include "media/packet.h"
#include "media/rtcp_timing.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kSsrcA = 0xA0A0A0A0, kSsrcB = 0xB0B0B0B0;

uint32_t be32(const Bytes& b, size_t at) {
    return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

// A sender report of `ssrc` with NTP seconds 1 and fraction 0x00020000:
// its middle 32 bits (what an LSR names) are 0x00010002.
Bytes senderReport(uint32_t ssrc) {
    Bytes b = {0x80, 0xC8, 0x00, 0x06};
    for (uint32_t v : {ssrc, 1u, 0x00020000u, 160u, 1u, 172u})
        for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
    return b;
}

std::string sdp(uint16_t port, bool mux) {
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" +
           (mux ? "a=rtcp-mux\r\n" : "") + "a=sendrecv\r\n";
}

bool isRtcp(const Bytes& b) { return b.size() >= 8 && b[1] >= 200 && b[1] <= 207; }

class GenerateRtcp : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(startDaemon()) << daemon.error();
        ASSERT_TRUE(a.bind() && b.bind());
    }

    // A calls B; `asKey`: the `generate RTCP` key ("on") rather than the flag;
    // `muxA`: both sides rtcp-mux.
    void call(bool asKey, bool muxA) {
        auto withGenerate = [&](Request& r) {
            if (asKey)
                r.set("generate RTCP", "on");
            else
                r.setList("flags", {"generate RTCP"});
        };
        Request offer("offer");
        offer.set("call-id", "gen-rtcp").set("from-tag", "a").set("sdp", sdp(a.rtp->port(), muxA));
        withGenerate(offer);
        Reply o = ng->request(offer);
        ASSERT_EQ(o.result(), "ok") << o.describe();
        Request answer("answer");
        answer.set("call-id", "gen-rtcp").set("from-tag", "a").set("to-tag", "b");
        answer.set("sdp", sdp(b.rtp->port(), muxA));  // both mux: the answer to A does
        withGenerate(answer);
        Reply r = ng->request(answer);
        ASSERT_EQ(r.result(), "ok") << r.describe();
        if (muxA) {
            ASSERT_NE(r.sdp().find("a=rtcp-mux"), std::string::npos) << r.sdp();
        }
        auto pa = sdpMediaPorts(r.sdp()), pb = sdpMediaPorts(o.sdp());
        ASSERT_TRUE(pa && pb);
        toA = uint16_t(pa->rtp);
        toARtcp = muxA ? toA : uint16_t(pa->rtcp > 0 ? pa->rtcp : pa->rtp + 1);
        toB = uint16_t(pb->rtp);
        toBRtcp = uint16_t(pb->rtcp > 0 ? pb->rtcp : pb->rtp + 1);
        mux = muxA;
    }

    // RTP every 20 ms from the sides that send, their own RTCP after half a
    // second, until each side that `wants` a report has one (or 15 s: the
    // first report is due 5-7 s after media starts).
    void pump(bool aSends, bool bSends, bool wantA, bool wantB) {
        Bytes payload(160, 0xd5);
        auto deadline = std::chrono::steady_clock::now() + 15s;
        for (uint16_t seq = 0; std::chrono::steady_clock::now() < deadline; seq++) {
            if (aSends) a.rtp->sendRtp(toA, 0, seq, seq * 160u, kSsrcA, payload);
            if (bSends) b.rtp->sendRtp(toB, 0, seq, seq * 160u, kSsrcB, payload);
            if (bSends) lastTsB = seq * 160u, sentB = seq + 1u;
            if (seq == 25) {
                aRtcp = senderReport(kSsrcA);
                (mux ? a.rtp : a.rtcp)->sendTo(toARtcp, aRtcp);
                if (bSends) b.rtcp->sendTo(toBRtcp, senderReport(kSsrcB));
            }
            for (auto* p : {mux ? a.rtp.get() : a.rtcp.get(), b.rtcp.get()}) {
                while (auto d = p->receive(mux ? 0ms : 1ms)) {
                    if (!isRtcp(d->bytes)) continue;
                    bool forA = p != b.rtcp.get();
                    (forA ? atA : atB).push_back(d->bytes);
                    (forA ? fromA : fromB) = d->from().port;
                }
            }
            if ((!wantA || !atA.empty()) && (!wantB || !atB.empty())) return;
            std::this_thread::sleep_for(18ms);
        }
    }

    // One generated report: valid RTCP, SR or RR of `ssrc` (0: any), with a
    // block about `about` (0: none), ending in an SDES with a CNAME.
    void checkReport(const Bytes& r, bool sender, uint32_t ssrc, uint32_t about) {
        EXPECT_TRUE(media::validRtcp(r)) << hex(r);
        media::RtcpTiming t;
        ASSERT_TRUE(media::parseRtcpTiming(r, t)) << hex(r);
        EXPECT_EQ(t.hasSenderReport, sender) << hex(r);
        EXPECT_EQ(r[1], sender ? 200 : 201) << hex(r);
        if (ssrc) {
            EXPECT_EQ(media::rtcpSenderSsrc(r), ssrc) << hex(r);
        }
        ASSERT_EQ(t.blockCount, about ? 1u : 0u) << hex(r);
        if (about) {
            EXPECT_EQ(t.blocks[0].ssrc, about);
        }
        size_t first = 4 * (size_t(r[2] << 8 | r[3]) + 1);
        ASSERT_GT(r.size(), first + 10) << hex(r);
        EXPECT_EQ(r[first + 1], 202) << "an SDES follows: " << hex(r);
        EXPECT_EQ(r[first + 8], 1) << "its CNAME item: " << hex(r);
    }

    RtpRtcpPeer a, b;
    uint16_t toA = 0, toARtcp = 0, toB = 0, toBRtcp = 0;
    bool mux = false;
    uint32_t lastTsB = 0, sentB = 0;
    Bytes aRtcp;
    std::vector<Bytes> atA, atB;
    uint16_t fromA = 0, fromB = 0;
};

TEST_F(GenerateRtcp, FlagGivesEachSideSenderReportsAndConsumesTheirRtcp) {
    ASSERT_NO_FATAL_FAILURE(call(false, false));
    pump(true, true, true, true);
    ASSERT_FALSE(atA.empty()) << "no report reached A";
    ASSERT_FALSE(atB.empty()) << "no report reached B";
    // To A: an SR in the name of B's media, a block about A's.
    const Bytes& r = atA[0];
    ASSERT_NO_FATAL_FAILURE(checkReport(r, true, kSsrcB, kSsrcA));
    EXPECT_EQ(fromA, toARtcp) << "from the port A sends its RTCP to";
    uint32_t packets = be32(r, 20), octets = be32(r, 24), ts = be32(r, 16);
    EXPECT_GT(packets, 100u);
    EXPECT_LE(packets, sentB);
    EXPECT_EQ(octets, packets * 172) << "headers counted, as rtpengine 10.5 counts them";
    // The RTP timestamp of now, extrapolated from B's last packet.
    EXPECT_LT(uint32_t(ts - lastTsB + 8000), 16000u) << ts << " vs " << lastTsB;
    // To B: the other way round.
    ASSERT_NO_FATAL_FAILURE(checkReport(atB[0], true, kSsrcA, kSsrcB));
    EXPECT_EQ(fromB, toBRtcp);
    // A's own SR never reached B.
    for (const Bytes& got : atB) EXPECT_NE(got, aRtcp);
    if (!underOracle()) {
        // LSR names the SR B sent (rtpengine 10.5 names one of its own).
        media::RtcpTiming t;
        ASSERT_TRUE(media::parseRtcpTiming(atB[0], t));
        EXPECT_EQ(t.blocks[0].lsr, 0x00010002u);
        EXPECT_GT(t.blocks[0].dlsr, 0u);
    }
}

TEST_F(GenerateRtcp, KeyOnWithRtcpMuxReportsOnTheRtpPort) {
    ASSERT_NO_FATAL_FAILURE(call(true, true));
    pump(true, true, true, false);
    ASSERT_FALSE(atA.empty()) << "no report reached A's RTP port";
    ASSERT_NO_FATAL_FAILURE(checkReport(atA[0], true, kSsrcB, kSsrcA));
    EXPECT_EQ(fromA, toA);
}

// The WebRTC case: a peer that sends no RTCP (here none at all, nor RTP).
// B still gets an SR for A's media; A gets a receiver report about its
// stream, under an SSRC of the daemon's own. rtpengine 10.5 sends A
// nothing in this case (observed), so that half is ngmediad's.
TEST_F(GenerateRtcp, SilentPeerStillGetsSenderReportsAndTheSenderReceiverReports) {
    ASSERT_NO_FATAL_FAILURE(call(false, false));
    pump(true, false, !underOracle(), true);
    ASSERT_FALSE(atB.empty()) << "no report reached B";
    ASSERT_NO_FATAL_FAILURE(checkReport(atB[0], true, kSsrcA, 0));
    if (underOracle()) return;
    ASSERT_FALSE(atA.empty()) << "no receiver report reached A";
    ASSERT_NO_FATAL_FAILURE(checkReport(atA[0], false, 0, kSsrcA));
    EXPECT_NE(media::rtcpSenderSsrc(atA[0]), kSsrcA);
}

}  // namespace
}  // namespace ngm::itest
