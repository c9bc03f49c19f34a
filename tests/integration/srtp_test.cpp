// SDES-SRTP through the real daemon, checked with libsrtp2 (an independent
// SRTP implementation) at the peers: SRTP ↔ RTP bridging both ways for every
// suite libsrtp2 has, pass-through between two SDES ends, refusal of packets
// that do not authenticate, and a re-INVITE that keeps the keys.
#include <srtp2/srtp.h>

#include <cstring>
#include <regex>
#include <thread>

#include "crypto/sdes.h"
#include "media/packet.h"
#include "media/srtp_stage.h"
#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using crypto::SrtpSuite;
using namespace std::chrono_literals;

constexpr uint32_t kSsrcA = 0xA1A1A1A1;
constexpr uint32_t kSsrcB = 0xB2B2B2B2;

bool libsrtpReady() {
    static bool ok = srtp_init() == srtp_err_status_ok;
    return ok;
}

// libsrtp2's policy for an SDES suite (false: it has none).
bool policyFor(SrtpSuite s, srtp_crypto_policy_t& rtp, srtp_crypto_policy_t& rtcp) {
    switch (s) {
        case SrtpSuite::AesCm128HmacSha1_80:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&rtp);
            break;
        case SrtpSuite::AesCm128HmacSha1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp);
            break;
        case SrtpSuite::AesCm256HmacSha1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtp);
            break;
        case SrtpSuite::AesCm256HmacSha1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&rtp);
            break;
        case SrtpSuite::NullHmacSha1_80:
            srtp_crypto_policy_set_null_cipher_hmac_sha1_80(&rtp);
            break;
        case SrtpSuite::AeadAes128Gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp);
            break;
        case SrtpSuite::AeadAes256Gcm:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp);
            break;
        default:
            return false;
    }
    rtcp = rtp;
    // RFC 4568 §6.2: SRTCP keeps the 80-bit tag under the _32 suites.
    if (rtp.auth_tag_len == 4) rtcp.auth_tag_len = 10;
    return true;
}

// One direction of an SDES key in libsrtp2.
class Libsrtp {
  public:
    Libsrtp(const crypto::SdesCrypto& c, bool outbound) {
        if (!libsrtpReady() || !c.suite || c.keyParams.empty()) return;
        key_ = c.keyParams[0].keySalt;
        srtp_policy_t p;
        std::memset(&p, 0, sizeof p);
        if (!policyFor(*c.suite, p.rtp, p.rtcp)) return;
        p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
        p.key = key_.data();
        p.window_size = 128;
        if (srtp_create(&session_, &p) != srtp_err_status_ok) session_ = nullptr;
    }
    ~Libsrtp() {
        if (session_) srtp_dealloc(session_);
    }
    Libsrtp(const Libsrtp&) = delete;
    Libsrtp& operator=(const Libsrtp&) = delete;
    bool ok() const { return session_; }

    Bytes protect(Bytes pkt) {
        int len = int(pkt.size());
        pkt.resize(pkt.size() + SRTP_MAX_TRAILER_LEN);
        if (srtp_protect(session_, pkt.data(), &len) != srtp_err_status_ok) return {};
        pkt.resize(size_t(len));
        return pkt;
    }
    std::optional<Bytes> unprotect(Bytes pkt) {
        int len = int(pkt.size());
        if (srtp_unprotect(session_, pkt.data(), &len) != srtp_err_status_ok) return std::nullopt;
        pkt.resize(size_t(len));
        return pkt;
    }

    Bytes protectRtcp(Bytes pkt) {
        int len = int(pkt.size());
        pkt.resize(pkt.size() + SRTP_MAX_TRAILER_LEN + 4);
        if (srtp_protect_rtcp(session_, pkt.data(), &len) != srtp_err_status_ok) return {};
        pkt.resize(size_t(len));
        return pkt;
    }
    std::optional<Bytes> unprotectRtcp(Bytes pkt) {
        int len = int(pkt.size());
        if (srtp_unprotect_rtcp(session_, pkt.data(), &len) != srtp_err_status_ok) return std::nullopt;
        pkt.resize(size_t(len));
        return pkt;
    }

  private:
    std::vector<uint8_t> key_;
    srtp_t session_ = nullptr;
};

// The a=crypto lines of an SDP, parsed.
std::vector<crypto::SdesCrypto> cryptoLines(const std::string& sdp) {
    std::vector<crypto::SdesCrypto> out;
    static const std::regex re("a=crypto:([^\r\n]*)");
    for (auto it = std::sregex_iterator(sdp.begin(), sdp.end(), re); it != std::sregex_iterator(); ++it)
        if (auto c = crypto::parseCrypto((*it)[1].str())) out.push_back(*c);
    return out;
}

std::string audioSdp(const std::string& origin, uint16_t port, const std::string& proto,
                     const std::vector<std::string>& crypto = {}) {
    std::string s = "v=0\r\no=- " + origin + " 1 IN IP4 127.0.0.1\r\ns=tester\r\nc=IN IP4 127.0.0.1\r\n"
                    "t=0 0\r\nm=audio " + std::to_string(port) + " " + proto + " 0\r\n"
                    "a=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\n";
    for (const auto& c : crypto) s += "a=crypto:" + c + "\r\n";
    return s + "a=sendrecv\r\n";
}

// A fixed key for a suite, as an a=crypto value.
crypto::SdesCrypto fixedKey(uint32_t tag, SrtpSuite suite, uint8_t seed) {
    const auto& info = crypto::suiteInfo(suite);
    std::vector<uint8_t> ks(size_t(info.masterKeyLen) + info.masterSaltLen);
    for (size_t i = 0; i < ks.size(); i++) ks[i] = uint8_t(seed + i * 7);
    return *crypto::generateCrypto(tag, suite, ks);
}

class Srtp : public DaemonTest {
  protected:
    void SetUp() override {
        ASSERT_TRUE(libsrtpReady()) << "libsrtp2 did not initialise";
        ASSERT_TRUE(startDaemon({.args = {"--interface=127.0.0.1", "--endpoint-learning=immediate"}}))
            << daemon.error();
        ASSERT_TRUE(a.ok() && b.ok());
    }

    Reply signal(const char* cmd, const std::string& sdp, const std::string& tp = {},
                 const std::string& toTag = {}) {
        Request r(cmd);
        r.set("call-id", "srtp-call").set("from-tag", "alice").set("sdp", sdp);
        if (!toTag.empty()) r.set("to-tag", toTag);
        if (!tp.empty()) r.set("transport-protocol", tp);
        r.set("DTLS", "off");
        Reply rep = ng->request(r);
        EXPECT_EQ(rep.result(), "ok") << rep.describe();
        return rep;
    }

    uint16_t portOf(const Reply& r) {
        auto p = sdpMediaPorts(r.sdp());
        return p ? uint16_t(p->rtp) : 0;
    }

    RtpPeer a, b;
};

// A speaks SDES-SRTP, B plain RTP; keys as libsrtp2 sees them.
TEST_F(Srtp, SdesToPlainBothWaysWithLibsrtp) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 3);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(aKey)}), "RTP/AVP");
    EXPECT_TRUE(cryptoLines(offer.sdp()).empty()) << offer.sdp();
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto ours = cryptoLines(answer.sdp());
    ASSERT_EQ(ours.size(), 1u) << answer.sdp();
    EXPECT_EQ(ours[0].tag, 1u);
    EXPECT_EQ(ours[0].suiteName, "AES_CM_128_HMAC_SHA1_80");
    EXPECT_NE(ours[0].keyParams[0].keySalt, aKey.keyParams[0].keySalt) << "a key of our own";
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};

    Libsrtp aOut(aKey, true), aIn(ours[0], false);
    ASSERT_TRUE(aOut.ok() && aIn.ok());
    for (uint16_t seq = 0; seq < 5; seq++) {
        Bytes plain = g711(seq, kSsrcA);
        ASSERT_TRUE(a.sendTo(aSide, aOut.protect(plain)));
        EXPECT_TRUE(arrives(b, plain, bSide)) << "A->B " << seq;
        Bytes fromB = g711(seq, kSsrcB);
        ASSERT_TRUE(b.sendTo(bSide, fromB));
        auto got = a.receive(1000ms);
        ASSERT_TRUE(got) << "B->A " << seq;
        EXPECT_NE(got->bytes, fromB) << "encrypted towards A";
        auto opened = aIn.unprotect(got->bytes);
        ASSERT_TRUE(opened) << "libsrtp2 authenticates what ngmediad protected";
        EXPECT_EQ(*opened, fromB);
    }
    // RTCP on the muxed port: SRTCP in, RTCP out, and back.
    Bytes rrA = rtcpReceiverReport(kSsrcA);
    ASSERT_TRUE(a.sendTo(aSide, aOut.protectRtcp(rrA)));
    EXPECT_TRUE(arrives(b, rrA, bSide)) << "SRTCP A->B";
    Bytes rrB = rtcpReceiverReport(kSsrcB);
    ASSERT_TRUE(b.sendTo(bSide, rrB));
    auto got = a.receive(1000ms);
    ASSERT_TRUE(got) << "RTCP B->A";
    auto opened = aIn.unprotectRtcp(got->bytes);
    ASSERT_TRUE(opened) << "libsrtp2 authenticates the SRTCP";
    EXPECT_EQ(*opened, rrB);
}

// A tampered SRTP packet is dropped and counted; the call goes on.
// `generate RTCP` towards an SDES leg (the WebRTC case: a plain peer that
// sends RTP and no RTCP): the reports are SRTCP, and libsrtp2 opens them.
TEST_F(Srtp, GeneratedRtcpTowardsAnSdesLegIsSrtcp) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 5);
    Request o("offer");
    o.set("call-id", "srtp-call").set("from-tag", "alice").set("transport-protocol", "RTP/AVP");
    o.set("DTLS", "off").setList("flags", {"generate RTCP"});
    o.set("sdp", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(aKey)}));
    Reply offer = ng->request(o);
    ASSERT_EQ(offer.result(), "ok") << offer.describe();
    Request r("answer");
    r.set("call-id", "srtp-call").set("from-tag", "alice").set("to-tag", "bob");
    r.set("DTLS", "off").setList("flags", {"generate RTCP"});
    r.set("sdp", audioSdp("2", b.port(), "RTP/AVP"));
    Reply answer = ng->request(r);
    ASSERT_EQ(answer.result(), "ok") << answer.describe();
    auto ours = cryptoLines(answer.sdp());
    ASSERT_EQ(ours.size(), 1u) << answer.sdp();
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true), aIn(ours[0], false);
    ASSERT_TRUE(aOut.ok() && aIn.ok());
    // Media both ways every 20 ms until A gets an RTCP packet (the first
    // report is due 5-7 s after media starts).
    std::optional<Bytes> report;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    for (uint16_t seq = 0; !report && std::chrono::steady_clock::now() < deadline; seq++) {
        ASSERT_TRUE(a.sendTo(aSide, aOut.protect(g711(seq, kSsrcA))));
        ASSERT_TRUE(b.sendTo(bSide, g711(seq, kSsrcB)));
        while (auto got = a.receive(1ms)) {
            if (got->bytes.size() < 8 || got->bytes[1] < 200 || got->bytes[1] > 207) {
                ASSERT_TRUE(aIn.unprotect(got->bytes)) << "SRTP towards A";
                continue;
            }
            report = aIn.unprotectRtcp(got->bytes);
            ASSERT_TRUE(report) << "libsrtp2 authenticates the generated SRTCP";
        }
        b.drain(0ms);
        std::this_thread::sleep_for(18ms);
    }
    ASSERT_TRUE(report) << "no report reached A";
    EXPECT_TRUE(media::validRtcp(*report)) << hex(*report);
    EXPECT_EQ((*report)[1], 200) << "an SR for B's media";
    EXPECT_EQ(media::rtcpSenderSsrc(*report), kSsrcB);
}

TEST_F(Srtp, PacketsThatDoNotAuthenticateAreDroppedAndCounted) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_32, 9);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(aKey)}), "RTP/AVP");
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true);
    ASSERT_TRUE(aOut.ok());
    Bytes good = aOut.protect(g711(0, kSsrcA));
    Bytes bad = aOut.protect(g711(1, kSsrcA));
    bad[20] ^= 0x01;
    ASSERT_TRUE(a.sendTo(aSide, bad));
    EXPECT_TRUE(nothingArrives(b));
    ASSERT_TRUE(a.sendTo(aSide, good));
    EXPECT_TRUE(arrives(b, g711(0, kSsrcA), bSide));
    ASSERT_TRUE(a.sendTo(aSide, good));  // a replay
    EXPECT_TRUE(nothingArrives(b));
    Reply q = query("srtp-call");
    EXPECT_EQ(queriedStat(q, "alice", 0, "errors"), 2) << q.describe();
    EXPECT_EQ(queriedStat(q, "alice", 0, "packets"), 1) << q.describe();
}

// B speaks SDES with each suite libsrtp2 has; A plain (transport protocol
// RTP/SAVP on A's plain offer).
TEST_F(Srtp, PlainToSdesForEverySuiteLibsrtpHas) {
    const SrtpSuite suites[] = {SrtpSuite::AeadAes256Gcm,     SrtpSuite::AeadAes128Gcm,
                                SrtpSuite::AesCm256HmacSha1_80, SrtpSuite::AesCm256HmacSha1_32,
                                SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32,
                                SrtpSuite::NullHmacSha1_80};
    uint16_t seq = 0;
    int round = 0;
    for (SrtpSuite suite : suites) {
        SCOPED_TRACE(std::string(crypto::suiteInfo(suite).name));
        std::string callId = "plain-to-sdes-" + std::to_string(round++);
        Request o("offer");
        o.set("call-id", callId).set("from-tag", "alice").set("sdp", audioSdp("1", a.port(), "RTP/AVP"));
        o.set("transport-protocol", "RTP/SAVP").set("DTLS", "off");
        Reply offer = ng->request(o);
        ASSERT_EQ(offer.result(), "ok") << offer.describe();
        auto offered = cryptoLines(offer.sdp());
        auto ours = std::find_if(offered.begin(), offered.end(),
                                 [&](const crypto::SdesCrypto& c) { return c.suite == suite; });
        ASSERT_NE(ours, offered.end()) << offer.sdp();
        auto bKey = fixedKey(ours->tag, suite, uint8_t(40 + round));
        Request an("answer");
        an.set("call-id", callId).set("from-tag", "alice").set("to-tag", "bob");
        an.set("sdp", audioSdp("2", b.port(), "RTP/SAVP", {crypto::writeCrypto(bKey)}));
        Reply answer = ng->request(an);
        ASSERT_EQ(answer.result(), "ok") << answer.describe();
        EXPECT_TRUE(cryptoLines(answer.sdp()).empty()) << answer.sdp();
        Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};

        Libsrtp bOut(bKey, true), bIn(*ours, false);
        ASSERT_TRUE(bOut.ok() && bIn.ok());
        for (int i = 0; i < 3; i++, seq++) {
            Bytes fromA = g711(seq, kSsrcA);
            ASSERT_TRUE(a.sendTo(aSide, fromA));
            auto got = b.receive(1000ms);
            ASSERT_TRUE(got);
            auto opened = bIn.unprotect(got->bytes);
            ASSERT_TRUE(opened) << "libsrtp2 authenticates what ngmediad protected";
            EXPECT_EQ(*opened, fromA);
            Bytes fromB = g711(seq, kSsrcB);
            ASSERT_TRUE(b.sendTo(bSide, bOut.protect(fromB)));
            EXPECT_TRUE(arrives(a, fromB, aSide));
        }
        ng->request(Request("delete").set("call-id", callId).setInt("delete delay", 0));
    }
}

// Both ends SDES and B takes A's own line: each gets the other's key and the
// packets pass byte for byte.
TEST_F(Srtp, SdesPassThroughWhenTheAnswererTakesTheOfferersKey) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 5);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(aKey)}));
    auto toB = cryptoLines(offer.sdp());
    ASSERT_FALSE(toB.empty());
    EXPECT_EQ(toB[0], aKey) << "A's line goes on to B with A's key";
    auto bKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 77);
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/SAVP", {crypto::writeCrypto(bKey)}), {}, "bob");
    auto toA = cryptoLines(answer.sdp());
    ASSERT_EQ(toA.size(), 1u);
    EXPECT_EQ(toA[0], bKey) << "B's line goes back to A";
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true), bOut(bKey, true);
    for (uint16_t seq = 0; seq < 3; seq++) {
        Bytes srtpA = aOut.protect(g711(seq, kSsrcA));
        EXPECT_TRUE(relays(a, aSide, b, bSide, srtpA));
        Bytes srtpB = bOut.protect(g711(seq, kSsrcB));
        EXPECT_TRUE(relays(b, bSide, a, aSide, srtpB));
    }
    // SRTCP passes through untouched too (found by e2e.baresip_srtp: its
    // trailer was checked as plain compound RTCP, and every packet dropped).
    for (int i = 0; i < 2; i++) {
        Bytes srtcpA = aOut.protectRtcp(rtcpReceiverReport(kSsrcA));
        EXPECT_TRUE(relays(a, aSide, b, bSide, srtcpA)) << "SRTCP A->B " << i;
        Bytes srtcpB = bOut.protectRtcp(rtcpReceiverReport(kSsrcB));
        EXPECT_TRUE(relays(b, bSide, a, aSide, srtcpB)) << "SRTCP B->A " << i;
    }
}

// RTCP feedback between two AVPF legs with SDES on both (RTP/SAVPF, as
// WebRTC legs with SDES): B takes another of the suites offered to it, so
// ngmediad decrypts each side's SRTCP and encrypts it anew for the other.
// PLI, FIR, NACK and REMB, each after a receiver report in one compound
// packet, arrive unchanged in content (the SSRCs as the legs sent them),
// and the a=rtcp-fb lines go on to each side (rtpengine 10.5 keeps them
// SAVPF to SAVPF).
TEST_F(Srtp, RtcpFeedbackBetweenTwoSavpfLegsArrivesUnchanged) {
    auto fbSdp = [](const std::string& origin, uint16_t port, const std::string& crypto) {
        return "v=0\r\no=- " + origin + " 1 IN IP4 127.0.0.1\r\ns=tester\r\nc=IN IP4 127.0.0.1\r\n"
               "t=0 0\r\nm=audio " + std::to_string(port) + " RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtcp-fb:0 nack\r\na=rtcp-fb:0 nack pli\r\na=rtcp-fb:0 ccm fir\r\na=rtcp-fb:0 goog-remb\r\n"
               "a=rtcp-mux\r\na=crypto:" + crypto + "\r\na=sendrecv\r\n";
    };
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 21);
    Reply offer = signal("offer", fbSdp("1", a.port(), crypto::writeCrypto(aKey)));
    for (const char* fb : {"a=rtcp-fb:0 nack\r\n", "a=rtcp-fb:0 nack pli\r\n", "a=rtcp-fb:0 ccm fir\r\n",
                           "a=rtcp-fb:0 goog-remb\r\n"})
        EXPECT_NE(offer.sdp().find(fb), std::string::npos) << fb << " kept towards B:\n" << offer.sdp();
    EXPECT_NE(offer.sdp().find(" RTP/SAVPF 0"), std::string::npos) << offer.sdp();
    // A suite of ngmediad's own towards B (not A's line).
    std::optional<crypto::SdesCrypto> ourToB;
    srtp_crypto_policy_t p1, p2;
    for (const auto& c : cryptoLines(offer.sdp()))
        if (c.tag != 1 && c.suite && policyFor(*c.suite, p1, p2) && !ourToB) ourToB = c;
    ASSERT_TRUE(ourToB) << "no suite of ngmediad's own offered to B:\n" << offer.sdp();
    auto bKey = fixedKey(ourToB->tag, *ourToB->suite, 77);
    Reply answer = signal("answer", fbSdp("2", b.port(), crypto::writeCrypto(bKey)), {}, "bob");
    EXPECT_NE(answer.sdp().find("a=rtcp-fb:0 nack pli\r\n"), std::string::npos) << answer.sdp();
    auto toA = cryptoLines(answer.sdp());
    ASSERT_EQ(toA.size(), 1u) << answer.sdp();
    EXPECT_NE(toA[0].keyParams[0].keySalt, aKey.keyParams[0].keySalt) << "re-keyed towards A";
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true), aIn(toA[0], false), bOut(bKey, true), bIn(*ourToB, false);
    ASSERT_TRUE(aOut.ok() && aIn.ok() && bOut.ok() && bIn.ok());
    // RTP first (immediate learning settles both ends).
    for (uint16_t seq = 0; seq < 2; seq++) {
        ASSERT_TRUE(a.sendTo(aSide, aOut.protect(g711(seq, kSsrcA))));
        ASSERT_TRUE(b.sendTo(bSide, bOut.protect(g711(seq, kSsrcB))));
    }
    a.drain(200ms);
    b.drain(200ms);

    // RFC 4585 §6.3.1 PLI, §6.2.1 NACK; RFC 5104 §4.3.1 FIR; REMB
    // (draft-alvestrand-rmcat-remb): sender SSRC `from`, media SSRC `about`.
    auto feedback = [](uint32_t from, uint32_t about) {
        auto be32 = [](Bytes& b, uint32_t v) {
            for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
        };
        std::vector<std::pair<std::string, Bytes>> out;
        Bytes pli = {0x81, 206, 0, 2};
        be32(pli, from);
        be32(pli, about);
        out.push_back({"PLI", pli});
        Bytes fir = {0x84, 206, 0, 4};
        be32(fir, from);
        be32(fir, 0);
        be32(fir, about);
        fir.insert(fir.end(), {7, 0, 0, 0});
        out.push_back({"FIR", fir});
        Bytes nack = {0x81, 205, 0, 3};
        be32(nack, from);
        be32(nack, about);
        nack.insert(nack.end(), {0x00, 0x05, 0x00, 0x03});
        out.push_back({"NACK", nack});
        Bytes remb = {0x8f, 206, 0, 5};
        be32(remb, from);
        be32(remb, 0);
        remb.insert(remb.end(), {'R', 'E', 'M', 'B', 1, 0x0a, 0xbc, 0xde});
        be32(remb, about);
        out.push_back({"REMB", remb});
        return out;
    };
    auto compound = [](Bytes rr, const Bytes& fb) {
        rr.insert(rr.end(), fb.begin(), fb.end());
        return rr;
    };
    for (const auto& [name, fb] : feedback(kSsrcA, kSsrcB)) {
        Bytes plain = compound(rtcpReceiverReport(kSsrcA, kSsrcB), fb);
        ASSERT_TRUE(a.sendTo(aSide, aOut.protectRtcp(plain)));
        auto got = b.receive(1000ms);
        ASSERT_TRUE(got) << name << " A->B not relayed";
        auto opened = bIn.unprotectRtcp(got->bytes);
        ASSERT_TRUE(opened) << name << " A->B: B cannot authenticate it";
        EXPECT_EQ(*opened, plain) << name << " A->B";
    }
    for (const auto& [name, fb] : feedback(kSsrcB, kSsrcA)) {
        Bytes plain = compound(rtcpReceiverReport(kSsrcB, kSsrcA), fb);
        ASSERT_TRUE(b.sendTo(bSide, bOut.protectRtcp(plain)));
        auto got = a.receive(1000ms);
        ASSERT_TRUE(got) << name << " B->A not relayed";
        auto opened = aIn.unprotectRtcp(got->bytes);
        ASSERT_TRUE(opened) << name << " B->A: A cannot authenticate it";
        EXPECT_EQ(*opened, plain) << name << " B->A";
    }
}

// A re-INVITE with the same keys keeps the SRTP state: the sequence goes on.
TEST_F(Srtp, ReInviteWithTheSameKeysKeepsTheSrtpState) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 11);
    std::string aSdp = audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(aKey)});
    Reply offer = signal("offer", aSdp, "RTP/AVP");
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto ours = cryptoLines(answer.sdp());
    ASSERT_EQ(ours.size(), 1u);
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true), aIn(ours[0], false);
    uint16_t seq = 0;
    auto roundTrip = [&] {
        Bytes plain = g711(seq, kSsrcA);
        ASSERT_TRUE(a.sendTo(aSide, aOut.protect(plain)));
        EXPECT_TRUE(arrives(b, plain, bSide)) << seq;
        Bytes fromB = g711(seq, kSsrcB);
        ASSERT_TRUE(b.sendTo(bSide, fromB));
        auto got = a.receive(1000ms);
        ASSERT_TRUE(got);
        auto opened = aIn.unprotect(got->bytes);
        ASSERT_TRUE(opened) << seq;
        EXPECT_EQ(*opened, fromB);
        seq++;
    };
    for (int i = 0; i < 3; i++) roundTrip();
    Reply reoffer = signal("offer", aSdp, "RTP/AVP");
    Reply reanswer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto again = cryptoLines(reanswer.sdp());
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0], ours[0]) << "our key stays";
    for (int i = 0; i < 3; i++) roundTrip();
}

// A re-INVITE that re-keys: packets still under the old key (sent before the
// switch) and those under the new one both get through; a forged one not.
TEST_F(Srtp, ReInviteWithNewKeysLeavesNoGap) {
    auto oldKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 31);
    auto newKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 97);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(oldKey)}), "RTP/AVP");
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp oldOut(oldKey, true), newOut(newKey, true);
    ASSERT_TRUE(a.sendTo(aSide, oldOut.protect(g711(0, kSsrcA))));
    EXPECT_TRUE(arrives(b, g711(0, kSsrcA), bSide));
    Bytes late = oldOut.protect(g711(1, kSsrcA));  // sent before the switch, arrives after it
    signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(newKey)}), "RTP/AVP");
    signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    ASSERT_TRUE(a.sendTo(aSide, newOut.protect(g711(2, kSsrcA))));
    EXPECT_TRUE(arrives(b, g711(2, kSsrcA), bSide)) << "under the new key";
    ASSERT_TRUE(a.sendTo(aSide, late));
    EXPECT_TRUE(arrives(b, g711(1, kSsrcA), bSide)) << "under the old key, after the switch";
    Bytes forged = newOut.protect(g711(3, kSsrcA));
    forged[30] ^= 0x40;
    ASSERT_TRUE(a.sendTo(aSide, forged));
    EXPECT_TRUE(nothingArrives(b));
}

// A re-INVITE with a new key re-keys: from then on only the new key is
// taken from A (packets under the old one are dropped), and our key to A
// stays while tag and suite do; a new suite gets A a new key of ours.
TEST_F(Srtp, ReInviteWithANewKeyReKeys) {
    auto key1 = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 21);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(key1)}),
                         "RTP/AVP");
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto ours = cryptoLines(answer.sdp());
    ASSERT_EQ(ours.size(), 1u);
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    uint16_t seq = 0;
    auto aToB = [&](Libsrtp& out) {
        Bytes plain = g711(seq++, kSsrcA);
        EXPECT_TRUE(a.sendTo(aSide, out.protect(plain)));
        return arrives(b, plain, bSide);
    };
    auto bToA = [&](Libsrtp& in) {
        Bytes plain = g711(seq++, kSsrcB);
        EXPECT_TRUE(b.sendTo(bSide, plain));
        auto got = a.receive(1000ms);
        return got && in.unprotect(got->bytes) == plain;
    };
    Libsrtp out1(key1, true), in1(ours[0], false);
    ASSERT_TRUE(out1.ok() && in1.ok());
    EXPECT_TRUE(aToB(out1));
    EXPECT_TRUE(bToA(in1));

    auto key2 = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 99);
    signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(key2)}), "RTP/AVP");
    Reply reanswer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto again = cryptoLines(reanswer.sdp());
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0], ours[0]) << "same tag and suite: our key stays";
    Libsrtp out2(key2, true);
    EXPECT_TRUE(aToB(out2)) << "A's new key";
    // The old key is taken until kPreviousKeyPackets came under the new one.
    for (uint32_t i = 1; i < media::SrtpStage::kPreviousKeyPackets; i++) ASSERT_TRUE(aToB(out2)) << i;
    Bytes stale = out1.protect(g711(seq++, kSsrcA));
    ASSERT_TRUE(a.sendTo(aSide, stale));
    EXPECT_TRUE(nothingArrives(b)) << "A's old key is no longer taken";
    EXPECT_TRUE(bToA(in1));

    auto key3 = fixedKey(1, SrtpSuite::AesCm128HmacSha1_32, 55);
    signal("offer", audioSdp("1", a.port(), "RTP/SAVP", {crypto::writeCrypto(key3)}), "RTP/AVP");
    reanswer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    auto third = cryptoLines(reanswer.sdp());
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].suiteName, "AES_CM_128_HMAC_SHA1_32");
    EXPECT_NE(third[0].keyParams[0].keySalt, ours[0].keyParams[0].keySalt)
        << "a new suite: a new key of ours";
    Libsrtp out3(key3, true), in3(third[0], false);
    EXPECT_TRUE(aToB(out3));
    EXPECT_TRUE(bToA(in3)) << "A decrypts with our new key";
}

// OSRTP (RFC 8643) offered and answered plain: plain RTP both ways, though
// `query` shows the suite offered to the answerer as rtpengine does.
TEST_F(Srtp, OsrtpOfferAnsweredPlainStaysPlainRtp) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 21);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/AVP", {crypto::writeCrypto(aKey)}));
    EXPECT_FALSE(cryptoLines(offer.sdp()).empty()) << "OSRTP goes on to B";
    Reply answer = signal("answer", audioSdp("2", b.port(), "RTP/AVP"), {}, "bob");
    EXPECT_TRUE(cryptoLines(answer.sdp()).empty()) << answer.sdp();
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    for (uint16_t seq = 0; seq < 3; seq++) {
        EXPECT_TRUE(relays(a, aSide, b, bSide, g711(seq, kSsrcA)));
        EXPECT_TRUE(relays(b, bSide, a, aSide, g711(seq, kSsrcB)));
    }
}

// OSRTP=accept: a plain answer to an OSRTP offer is taken as SRTP towards
// the offerer (RTP/SRTP bridging).
TEST_F(Srtp, OsrtpAcceptBridgesSrtpToThePlainAnswerer) {
    auto aKey = fixedKey(1, SrtpSuite::AesCm128HmacSha1_80, 23);
    Reply offer = signal("offer", audioSdp("1", a.port(), "RTP/AVP", {crypto::writeCrypto(aKey)}));
    Request r("answer");
    r.set("call-id", "srtp-call").set("from-tag", "alice").set("to-tag", "bob");
    r.set("sdp", audioSdp("2", b.port(), "RTP/AVP")).set("DTLS", "off");
    r.setListIfAny("OSRTP", {"accept"});
    Reply answer = ng->request(r);
    ASSERT_EQ(answer.result(), "ok") << answer.describe();
    auto ours = cryptoLines(answer.sdp());
    ASSERT_EQ(ours.size(), 1u) << answer.sdp();
    Endpoint aSide{"127.0.0.1", portOf(answer)}, bSide{"127.0.0.1", portOf(offer)};
    Libsrtp aOut(aKey, true), aIn(ours[0], false);
    Bytes plain = g711(0, kSsrcA);
    ASSERT_TRUE(a.sendTo(aSide, aOut.protect(plain)));
    EXPECT_TRUE(arrives(b, plain, bSide));
    Bytes fromB = g711(0, kSsrcB);
    ASSERT_TRUE(b.sendTo(bSide, fromB));
    auto got = a.receive(1000ms);
    ASSERT_TRUE(got);
    auto opened = aIn.unprotect(got->bytes);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, fromB);
}

}  // namespace
}  // namespace ngm::itest
