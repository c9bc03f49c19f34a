// BUNDLE through the real daemon (docs/bundle.md): a max-bundle offerer on
// one transport, `bundle: [accept]`, answered by two plain RTP endpoints,
// one per section. Media both ways on both sections, byte for byte,
// demultiplexed by the MID header extension, or without it by SSRC and
// payload type; RTCP by SSRC.
#include <string>

#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

// The ports of the m= lines of an SDP, in order.
std::vector<uint16_t> mediaPorts(const std::string& sdp) {
    std::vector<uint16_t> ports;
    for (size_t pos = sdp.find("\nm="); pos != std::string::npos; pos = sdp.find("\nm=", pos + 1)) {
        size_t sp = sdp.find(' ', pos);
        ports.push_back((uint16_t)std::stoi(sdp.substr(sp + 1)));
    }
    return ports;
}

// RTP with the RFC 8285 one-byte MID element (id 4) when `mid` is given.
Bytes rtpWithMid(uint8_t pt, uint16_t seq, uint32_t ssrc, const std::string& mid) {
    Bytes payload = patternPayload(160, uint8_t(seq + ssrc));
    if (mid.empty()) return rtpPacket(pt, seq, 160u * seq, ssrc, payload);
    Bytes b = rtpPacket(pt, seq, 160u * seq, ssrc, {});
    b[0] |= 0x10;
    Bytes ext;
    ext.push_back(uint8_t(4 << 4 | (mid.size() - 1)));
    for (char c : mid) ext.push_back(uint8_t(c));
    while (ext.size() % 4) ext.push_back(0);
    b.insert(b.end(), {0xbe, 0xde, 0, uint8_t(ext.size() / 4)});
    b.insert(b.end(), ext.begin(), ext.end());
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

// A max-bundle offer: section a0 on `port`, a1 bundle-only with port 0.
std::string bundledOffer(uint16_t port, bool midExtension, int pt0, int pt1) {
    auto section = [&](int pt) {
        std::string s = " RTP/AVP " + std::to_string(pt) + "\r\n";
        return s;
    };
    std::string ext = midExtension ? "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" : "";
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a0 a1\r\n"
           "m=audio " + std::to_string(port) + section(pt0) +
           "c=IN IP4 127.0.0.1\r\na=mid:a0\r\n" + ext + "a=rtcp-mux\r\na=sendrecv\r\n"
           "m=audio 0" + section(pt1) +
           "c=IN IP4 0.0.0.0\r\na=bundle-only\r\na=mid:a1\r\n" + ext + "a=rtcp-mux\r\na=sendrecv\r\n";
}

std::string plainAnswer(uint16_t port0, uint16_t port1, int pt0, int pt1) {
    return "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " + std::to_string(port0) + " RTP/AVP " + std::to_string(pt0) + "\r\na=sendrecv\r\n"
           "m=audio " + std::to_string(port1) + " RTP/AVP " + std::to_string(pt1) + "\r\na=sendrecv\r\n";
}

class Bundle : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle()) GTEST_SKIP() << "rtpengine 10.5 has no `bundle` key (a later rtpengine feature)";
        ASSERT_TRUE(startDaemon()) << daemon.error();
        ASSERT_TRUE(a.ok());
        ASSERT_TRUE(b0.bind());
        ASSERT_TRUE(b1.bind());
    }

    // Offer (bundle accept) and answer; sets the daemon's ports.
    void setUpCall(bool midExtension, int pt0, int pt1) {
        Reply o = ng->request(Request("offer")
                                  .set("call-id", "bundle-1")
                                  .set("from-tag", "a")
                                  .setList("bundle", {"accept"})
                                  .set("sdp", bundledOffer(a.port(), midExtension, pt0, pt1)));
        ASSERT_EQ(o.result(), "ok") << o.describe();
        auto toB = mediaPorts(o.sdp());
        ASSERT_EQ(toB.size(), 2u) << o.sdp();
        ASSERT_NE(toB[0], 0);
        ASSERT_NE(toB[1], 0);
        ASSERT_EQ(o.sdp().find("a=group:"), std::string::npos) << o.sdp();
        ASSERT_EQ(o.sdp().find("bundle-only"), std::string::npos) << o.sdp();
        p0 = toB[0];
        p1 = toB[1];
        Reply r = ng->request(Request("answer")
                                  .set("call-id", "bundle-1")
                                  .set("from-tag", "a")
                                  .set("to-tag", "b")
                                  .setList("bundle", {"accept"})
                                  .set("sdp", plainAnswer(b0.rtp->port(), b1.rtp->port(), pt0, pt1)));
        ASSERT_EQ(r.result(), "ok") << r.describe();
        auto toA = mediaPorts(r.sdp());
        ASSERT_EQ(toA.size(), 2u) << r.sdp();
        ASSERT_EQ(toA[0], toA[1]) << r.sdp();
        ASSERT_NE(r.sdp().find("a=group:BUNDLE a0 a1\r\n"), std::string::npos) << r.sdp();
        shared = toA[0];
    }

    Endpoint at(uint16_t port) { return {"127.0.0.1", port}; }

    RtpPeer a;
    RtpRtcpPeer b0, b1;
    uint16_t p0 = 0, p1 = 0, shared = 0;
};

TEST_F(Bundle, MaxBundleOfferIsDemultiplexedByMidBothWays) {
    ASSERT_NO_FATAL_FAILURE(setUpCall(true, 0, 0));  // one payload type: only the MID tells
    for (uint16_t seq = 0; seq < 5; seq++) {
        Bytes s0 = rtpWithMid(0, seq, 0xA0A0A0A0, "a0");
        Bytes s1 = rtpWithMid(0, seq, 0xA1A1A1A1, "a1");
        EXPECT_TRUE(relays(a, at(shared), *b0.rtp, at(p0), s0)) << "seq " << seq;
        EXPECT_TRUE(relays(a, at(shared), *b1.rtp, at(p1), s1)) << "seq " << seq;
        // Back: each plain leg's media leaves from the one shared port.
        EXPECT_TRUE(relays(*b0.rtp, at(p0), a, at(shared), g711(seq, 0xB0B0B0B0)));
        EXPECT_TRUE(relays(*b1.rtp, at(p1), a, at(shared), g711(seq, 0xB1B1B1B1)));
    }
    // Once learnt, the SSRC alone names the section.
    EXPECT_TRUE(relays(a, at(shared), *b1.rtp, at(p1), rtpWithMid(0, 9, 0xA1A1A1A1, "")));
    // RTCP from the offerer goes by its sender SSRC, to that section's RTCP
    // port (the answerer does not mux).
    Bytes rr = rtcpReceiverReport(0xA1A1A1A1, 0xB1B1B1B1);
    EXPECT_TRUE(relays(a, at(shared), *b1.rtcp, at(p1 + 1), rr));
    EXPECT_TRUE(nothingArrives(*b0.rtcp));
    // An unknown MID, and an SSRC and payload type of no section alone: dropped.
    ASSERT_TRUE(a.sendTo(at(shared), rtpWithMid(0, 20, 0xA1A1A1A1, "zz")));
    ASSERT_TRUE(a.sendTo(at(shared), rtpWithMid(0, 21, 0xC0C0C0C0, "")));
    EXPECT_TRUE(nothingArrives(*b0.rtp));
    EXPECT_TRUE(nothingArrives(*b1.rtp));
}

TEST_F(Bundle, WithoutMidExtensionPayloadTypeAndSsrcDecide) {
    ASSERT_NO_FATAL_FAILURE(setUpCall(false, 0, 8));
    for (uint16_t seq = 0; seq < 3; seq++) {
        EXPECT_TRUE(relays(a, at(shared), *b0.rtp, at(p0), rtpWithMid(0, seq, 0xA0A0A0A0, "")));
        EXPECT_TRUE(relays(a, at(shared), *b1.rtp, at(p1), rtpWithMid(8, seq, 0xA1A1A1A1, "")));
    }
    // The answerer's second leg, back through the shared port.
    Bytes back = rtpPacket(8, 1, 160, 0xB1B1B1B1, patternPayload(160, 7));
    EXPECT_TRUE(relays(*b1.rtp, at(p1), a, at(shared), back));
    // A receiver report from an SSRC that never sent, about what the second
    // leg sent: routed by its report block.
    Bytes rr = rtcpReceiverReport(0xCCCCCCCC, 0xB1B1B1B1);
    EXPECT_TRUE(relays(a, at(shared), *b1.rtcp, at(p1 + 1), rr));
    // A payload type of no section from an unknown SSRC: dropped.
    ASSERT_TRUE(a.sendTo(at(shared), rtpWithMid(9, 1, 0xDDDDDDDD, "")));
    EXPECT_TRUE(nothingArrives(*b0.rtp));
    EXPECT_TRUE(nothingArrives(*b1.rtp));
}

}  // namespace
}  // namespace ngm::itest
