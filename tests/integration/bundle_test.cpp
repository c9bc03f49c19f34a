// BUNDLE through the real daemon (docs/bundle.md): a max-bundle offerer on
// one transport, `bundle: [accept]`, answered by two plain RTP endpoints,
// one per section. Media both ways on both sections, byte for byte,
// demultiplexed by the MID header extension, or without it by SSRC and
// payload type; RTCP by SSRC.
#include <algorithm>
#include <regex>
#include <string>

#include "daemon_test.h"
#include "http_client.h"
#include "media/bundle.h"
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

// `pkt` as it must reach the bundled participant: with the MID header
// extension (id 4) of its section added by our own writer, and read back by
// our own parser.
Bytes withMid(const Bytes& pkt, const std::string& mid) {
    Bytes b = pkt;
    b.resize(pkt.size() + 64);
    size_t len = pkt.size();
    EXPECT_TRUE(media::setHeaderExtension(
        b, len, 4, {reinterpret_cast<const uint8_t*>(mid.data()), mid.size()}));
    b.resize(len);
    std::span<const uint8_t> v;
    EXPECT_TRUE(media::findHeaderExtension(b, 4, v));
    EXPECT_EQ(std::string(v.begin(), v.end()), mid);
    return b;
}

// `from` sends `pkt` into the bundle: `at` gets it with `mid`'s extension.
::testing::AssertionResult relaysWithMid(RtpPeer& from, const Endpoint& to, RtpPeer& at,
                                         const Endpoint& via, const Bytes& pkt,
                                         const std::string& mid) {
    if (!from.sendTo(to, pkt)) return ::testing::AssertionFailure() << "send to " << to << " failed";
    return arrives(at, withMid(pkt, mid), via);
}

// A max-bundle offer: section a0 on `port`, a1 bundle-only with port 0.
std::string bundledOffer(uint16_t port, bool midExtension, int pt0, int pt1) {
    auto section = [&](int pt) {
        std::string s = " RTP/AVP " + std::to_string(pt) + "\r\n";
        return s;
    };
    std::string ext = midExtension ? "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" : "";
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a0 a1\r\n"
           "m=audio " +
           std::to_string(port) + section(pt0) + "c=IN IP4 127.0.0.1\r\na=mid:a0\r\n" + ext +
           "a=rtcp-mux\r\na=sendrecv\r\n"
           "m=audio 0" +
           section(pt1) + "c=IN IP4 0.0.0.0\r\na=bundle-only\r\na=mid:a1\r\n" + ext +
           "a=rtcp-mux\r\na=sendrecv\r\n";
}

std::string plainAnswer(uint16_t port0, uint16_t port1, int pt0, int pt1) {
    return "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port0) + " RTP/AVP " + std::to_string(pt0) +
           "\r\na=sendrecv\r\n"
           "m=audio " +
           std::to_string(port1) + " RTP/AVP " + std::to_string(pt1) + "\r\na=sendrecv\r\n";
}

class Bundle : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "rtpengine 10.5 has no `bundle` key (a later rtpengine feature)";
        DaemonConfig cfg;
        cfg.http = true;  // /metrics: ngmedia_bundle_unmatched_total
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
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
        Reply r =
            ng->request(Request("answer")
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
        lastAnswer = r.sdp();
    }

    Endpoint at(uint16_t port) { return {"127.0.0.1", port}; }

    // ngmedia_bundle_unmatched_total summed over the workers, polled until it
    // reaches `want` (5 s); the text last read goes to `text`.
    int64_t unmatchedReaches(int64_t want, std::string& text) {
        static const std::regex line("(^|\n)ngmedia_bundle_unmatched_total\\{worker=\"\\d+\"\\} (\\d+)");
        int64_t total = 0;
        eventually(
            [&] {
                HttpClient h(daemon.httpPort(), false);
                auto r = h.request("GET", "/metrics");
                text = r ? r->body : "";
                total = 0;
                for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
                     ++it)
                    total += std::stoll((*it)[2]);
                return total >= want;
            },
            5000ms);
        return total;
    }

    RtpPeer a;
    RtpRtcpPeer b0, b1;
    uint16_t p0 = 0, p1 = 0, shared = 0;
    std::string lastAnswer;  // as written to the offerer
};

TEST_F(Bundle, MaxBundleOfferIsDemultiplexedByMidBothWays) {
    ASSERT_NO_FATAL_FAILURE(setUpCall(true, 0, 0));  // one payload type: only the MID tells
    for (uint16_t seq = 0; seq < 5; seq++) {
        Bytes s0 = rtpWithMid(0, seq, 0xA0A0A0A0, "a0");
        Bytes s1 = rtpWithMid(0, seq, 0xA1A1A1A1, "a1");
        EXPECT_TRUE(relays(a, at(shared), *b0.rtp, at(p0), s0)) << "seq " << seq;
        EXPECT_TRUE(relays(a, at(shared), *b1.rtp, at(p1), s1)) << "seq " << seq;
        // Back: each plain leg's media leaves from the one shared port,
        // named by its section's MID (RFC 8843 §9.2).
        EXPECT_TRUE(relaysWithMid(*b0.rtp, at(p0), a, at(shared), g711(seq, 0xB0B0B0B0), "a0"));
        EXPECT_TRUE(relaysWithMid(*b1.rtp, at(p1), a, at(shared), g711(seq, 0xB1B1B1B1), "a1"));
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
    // Both counted on /metrics, and nothing else was.
    std::string text;
    EXPECT_EQ(unmatchedReaches(2, text), 2) << text;
}

// RFC 8843 §15: RTP we send into the bundle names its section with the MID
// extension the offerer's SDP declared (id 4), which the answer to it
// carries even though the plain answerer's SDP has none; other header
// extensions of the packet are kept. The offerer demultiplexes by it alone
// here: both legs send the same payload type.
TEST_F(Bundle, MediaSentIntoTheBundleCarriesEachSectionsMid) {
    ASSERT_NO_FATAL_FAILURE(setUpCall(true, 0, 0));
    const std::string ext = "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n";
    std::string answer = lastAnswer;
    size_t first = answer.find(ext);
    ASSERT_NE(first, std::string::npos) << answer;
    EXPECT_NE(answer.find(ext, first + 1), std::string::npos) << answer;
    for (uint16_t seq = 0; seq < 3; seq++) {
        EXPECT_TRUE(relaysWithMid(*b0.rtp, at(p0), a, at(shared), g711(seq, 0xB0B0B0B0), "a0"));
        EXPECT_TRUE(relaysWithMid(*b1.rtp, at(p1), a, at(shared), g711(seq, 0xB1B1B1B1), "a1"));
    }
    // A packet that already has an extension (audio level, id 1): kept,
    // the MID added beside it.
    Bytes levelled = rtpWithMid(0, 7, 0xB1B1B1B1, "");
    levelled[0] |= 0x10;
    Bytes payload(levelled.begin() + 12, levelled.end());
    levelled.resize(12);
    levelled.insert(levelled.end(), {0xbe, 0xde, 0, 1, 0x10, 0x85, 0, 0});
    levelled.insert(levelled.end(), payload.begin(), payload.end());
    ASSERT_TRUE(b1.rtp->sendTo(at(p1), levelled));
    auto d = a.receive(2000ms);
    ASSERT_TRUE(d);
    std::span<const uint8_t> v;
    ASSERT_TRUE(media::findHeaderExtension(d->bytes, 1, v));
    EXPECT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0], 0x85);
    ASSERT_TRUE(media::findHeaderExtension(d->bytes, 4, v));
    EXPECT_EQ(std::string(v.begin(), v.end()), "a1");
    EXPECT_EQ(d->bytes, withMid(levelled, "a1"));
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

// Two daemons with a bundled DTLS-SRTP leg between them: plain A (two
// sections, PCMU and PCMA, a port each) offers through the first daemon
// with `bundle: [require]` and UDP/TLS/RTP/SAVP; the second takes the
// bundled offer with `bundle: [accept]` and de-bundles it towards plain C
// (RTP/AVP). The leg between them is one DTLS-SRTP transport on each side,
// demultiplexed by payload type; each section's media arrives at its own
// far end byte for byte.
class BundleDtls : public Bundle {
  protected:
    void SetUp() override {
        Bundle::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_TRUE(second.start({.args = {"--interface=127.0.0.1"}})) << second.error();
        ng2 = std::make_unique<NgClient>(second.ngPort());
        ASSERT_TRUE(ng2->ok());
    }
    void TearDown() override {
        if (HasFailure() && second.pid() > 0)
            std::cerr << "---- second daemon\n" << second.log(20000) << "----\n";
        second.stop();
        Bundle::TearDown();
    }
    // Sends from `from` to `to` every 20 ms until `at` receives the packet
    // sent (the handshake may still be running); other arrivals are errors.
    ::testing::AssertionResult carried(RtpPeer& from, const Endpoint& to, RtpPeer& at, uint8_t pt,
                                       uint32_t ssrc) {
        std::vector<Bytes> sent;
        for (uint16_t seq = 0; seq < 150; seq++) {
            sent.push_back(rtpPacket(pt, seq, 160u * seq, ssrc, patternPayload(160, uint8_t(seq))));
            from.sendTo(to, sent.back());
            auto got = at.receive(20ms);
            if (!got) continue;
            if (std::find(sent.begin(), sent.end(), got->bytes) != sent.end())
                return ::testing::AssertionSuccess();
            return ::testing::AssertionFailure()
                   << "got " << hex(got->bytes) << ", not a packet sent";
        }
        return ::testing::AssertionFailure() << "nothing came through in 3 s";
    }
    Daemon second;
    std::unique_ptr<NgClient> ng2;
};

TEST_F(BundleDtls, BundledDtlsLegBetweenTwoDaemonsCarriesEachSection) {
    RtpPeer c0, c1;
    ASSERT_TRUE(c0.ok() && c1.ok());
    auto twoSections = [](uint16_t port0, uint16_t port1, const std::string& origin) {
        return "v=0\r\no=- " + origin +
               " 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio " +
               std::to_string(port0) +
               " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
               "m=audio " +
               std::to_string(port1) + " RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
    };
    auto signal = [](NgClient& c, const char* cmd, const std::string& fromTag,
                     const std::string& toTag, const std::string& sdp, const std::string& tp,
                     const char* bundle) {
        Request r(cmd);
        r.set("call-id", "bundle-dtls").set("from-tag", fromTag).set("sdp", sdp);
        if (!toTag.empty()) r.set("to-tag", toTag);
        if (!tp.empty()) r.set("transport-protocol", tp);
        if (bundle) r.setList("bundle", {bundle});
        return c.request(r);
    };
    Reply o1 = signal(*ng, "offer", "a", "", twoSections(b0.rtp->port(), b1.rtp->port(), "1"),
                      "UDP/TLS/RTP/SAVP", "require");
    ASSERT_EQ(o1.result(), "ok") << o1.describe();
    auto legPorts = mediaPorts(o1.sdp());
    ASSERT_EQ(legPorts.size(), 2u);
    EXPECT_EQ(legPorts[0], legPorts[1]) << o1.sdp();
    EXPECT_NE(o1.sdp().find("a=group:BUNDLE 1 2\r\n"), std::string::npos) << o1.sdp();
    EXPECT_NE(o1.sdp().find("a=bundle-only\r\n"), std::string::npos) << o1.sdp();
    Reply o2 = signal(*ng2, "offer", "x", "", o1.sdp(), "RTP/AVP", "accept");
    ASSERT_EQ(o2.result(), "ok") << o2.describe();
    auto toC = mediaPorts(o2.sdp());
    ASSERT_EQ(toC.size(), 2u);
    EXPECT_NE(toC[0], toC[1]) << o2.sdp();
    EXPECT_EQ(o2.sdp().find("a=group:"), std::string::npos) << o2.sdp();
    Reply a2 =
        signal(*ng2, "answer", "x", "c", twoSections(c0.port(), c1.port(), "2"), "", "accept");
    ASSERT_EQ(a2.result(), "ok") << a2.describe();
    auto back = mediaPorts(a2.sdp());
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0], back[1]) << a2.sdp();
    EXPECT_NE(a2.sdp().find("a=group:BUNDLE 1 2\r\n"), std::string::npos) << a2.sdp();
    EXPECT_NE(a2.sdp().find("a=setup:active"), std::string::npos) << a2.sdp();
    Reply a1 = signal(*ng, "answer", "a", "y", a2.sdp(), "", nullptr);
    ASSERT_EQ(a1.result(), "ok") << a1.describe();
    auto toA = mediaPorts(a1.sdp());
    ASSERT_EQ(toA.size(), 2u);
    EXPECT_NE(toA[0], toA[1]) << a1.sdp();

    EXPECT_TRUE(carried(*b0.rtp, at(toA[0]), c0, 0, 0xA0A0A0A0)) << "A section 1 -> C";
    EXPECT_TRUE(carried(*b1.rtp, at(toA[1]), c1, 8, 0xA1A1A1A1)) << "A section 2 -> C";
    EXPECT_TRUE(carried(c0, at(toC[0]), *b0.rtp, 0, 0xC0C0C0C0)) << "C section 1 -> A";
    EXPECT_TRUE(carried(c1, at(toC[1]), *b1.rtp, 8, 0xC1C1C1C1)) << "C section 2 -> A";
    EXPECT_TRUE(nothingArrives(c0));
    EXPECT_TRUE(nothingArrives(c1));
    EXPECT_TRUE(nothingArrives(*b0.rtp));
    EXPECT_TRUE(nothingArrives(*b1.rtp));
}

}  // namespace
}  // namespace ngm::itest
