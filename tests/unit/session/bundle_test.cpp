// The ng `bundle` key (docs/bundle.md): the SDP each side gets, and how the
// packet path is wired for a bundled side.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "crypto/dtls.h"
#include "session/call_store.h"
#include "session/registry.h"

namespace ngm::session {
namespace {

// Every test owns a block of nine ports in 61300–61398 (start(block)), or
// in 61600–61649 (startAt(port)).

net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }

std::vector<int> mediaPorts(const std::string& sdp) {
    std::vector<int> ports;
    size_t pos = 0;
    while ((pos = sdp.find("\nm=", pos)) != std::string::npos) {
        pos += 3;
        size_t sp = sdp.find(' ', pos);
        ports.push_back(std::stoi(sdp.substr(sp + 1)));
    }
    return ports;
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) n++;
    return n;
}

// A max-bundle offer as browsers make it: the second section bundle-only
// with port 0, the MID header extension in both.
const std::string kBundledOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 198.51.100.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a0 a1\r\n"
    "m=audio 2000 RTP/AVP 0\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "a=mid:a0\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=rtcp-mux\r\n"
    "a=sendrecv\r\n"
    "m=audio 0 RTP/AVP 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=bundle-only\r\n"
    "a=mid:a1\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=rtcp-mux\r\n"
    "a=sendrecv\r\n";

const std::string kPlainAnswer =
    "v=0\r\n"
    "o=- 2 1 IN IP4 203.0.113.2\r\n"
    "s=-\r\n"
    "c=IN IP4 203.0.113.2\r\n"
    "t=0 0\r\n"
    "m=audio 3000 RTP/AVP 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 3002 RTP/AVP 8\r\n"
    "a=sendrecv\r\n";

const std::string kPlainOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 198.51.100.1\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 2000 RTP/AVP 0\r\n"
    "a=sendrecv\r\n"
    "m=audio 2002 RTP/AVP 8\r\n"
    "a=sendrecv\r\n";

class BundleTest : public ::testing::Test {
  protected:
    void SetUp() override { log::setLevel(log::Crit); }
    void start(int block) { startAt(61300 + 9 * block); }
    void startAt(int portMin) {
        table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), {}}}, portMin,
                    portMin + 8);
        cfg.interfaces = &table;
        cfg.registry = &registry;
        cfg.instanceToken = "0123456789ab";
        store = std::make_unique<CallStore>(cfg, counters);
    }
    Flags offer(const std::string& sdp) {
        Flags f;
        f.callId = "call-1";
        f.fromTag = "tag-a";
        f.sdp = sdp;
        f.hasSdp = true;
        return f;
    }
    Flags answer(const std::string& sdp) {
        Flags f = offer(sdp);
        f.toTag = "tag-b";
        return f;
    }
    Participant* party(const char* tag) { return store->find("call-1")->find(tag); }

    net::InterfaceTable table;
    CallRegistry registry;
    SessionConfig cfg;
    SessionCounters counters;
    std::unique_ptr<CallStore> store;
};

TEST_F(BundleTest, WithoutTheKeyBundleOnlySectionsAreRejectedAs105Does) {
    start(0);
    auto r = store->offer(offer(kBundledOffer));
    ASSERT_TRUE(r.ok());
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], 0);
    EXPECT_EQ(ports[1], 0);
    EXPECT_EQ(count(r->sdp, "group:"), 0u);
    EXPECT_FALSE(party("tag-a")->bundled);
}

TEST_F(BundleTest, AcceptDebundlesTheOfferAndBundlesTheAnswer) {
    start(1);
    Flags f = offer(kBundledOffer);
    f.bundle.accept = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << r.error().reason;
    // Towards the answerer: two sections of their own, no group.
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], 0);
    EXPECT_NE(ports[1], 0);
    EXPECT_NE(ports[0], ports[1]);
    EXPECT_EQ(count(r->sdp, "a=group:"), 0u);
    EXPECT_EQ(count(r->sdp, "bundle-only"), 0u);
    EXPECT_EQ(count(r->sdp, "a=mid:a0\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=mid:a1\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"), 2u);

    Flags a = answer(kPlainAnswer);
    a.bundle.accept = true;
    auto ra = store->answer(a);
    ASSERT_TRUE(ra.ok()) << ra.error().reason;
    // Towards the offerer: one transport.
    auto back = mediaPorts(ra->sdp);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_NE(back[0], 0);
    EXPECT_EQ(back[0], back[1]);
    EXPECT_EQ(count(ra->sdp, "a=group:BUNDLE a0 a1\r\n"), 1u);
    EXPECT_EQ(count(ra->sdp, "a=mid:a0\r\n"), 1u);
    EXPECT_EQ(count(ra->sdp, "a=mid:a1\r\n"), 1u);
    EXPECT_EQ(count(ra->sdp, "a=rtcp-mux\r\n"), 2u);
    // The MID extension we send into the bundle: named in the answer to the
    // offerer, whose SDP declared it, though the answerer's had none.
    EXPECT_EQ(count(ra->sdp, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"), 2u);
    EXPECT_EQ(count(ra->sdp, "a=rtcp:" + std::to_string(back[0]) + "\r\n"), 1u);  // tagged only
    EXPECT_EQ(count(ra->sdp, "c=IN IP4 127.0.0.1"),
              1u);  // the session c= (the answer had no other)
    // The group comes before the media.
    EXPECT_LT(ra->sdp.find("a=group:"), ra->sdp.find("m="));

    // The packet path: the offerer's tagged stream demuxes both sections;
    // the second answerer leg sends through the shared transport.
    Participant* pa = party("tag-a");
    Participant* pb = party("tag-b");
    ASSERT_TRUE(pa->bundled);
    EXPECT_FALSE(pb->bundled);
    Media& a0 = *pa->media[0];
    Media& a1 = *pa->media[1];
    EXPECT_EQ(a0.bundleHead, 0);
    EXPECT_EQ(a1.bundleHead, 0);
    ASSERT_NE(a0.rtp.config().bundle, nullptr);
    const media::BundleDemux& d = *a0.rtp.config().bundle;
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.section(1).midView(), "a1");
    EXPECT_EQ(d.midExtension(), 4);
    EXPECT_TRUE(d.section(0).rtpSinks.contains(&pb->media[0]->rtp));
    EXPECT_TRUE(d.section(1).rtpSinks.contains(&pb->media[1]->rtp));
    EXPECT_TRUE(pb->media[1]->rtp.config().rtpSinks.contains(&a0.rtp));
    EXPECT_EQ(pb->media[1]->rtp.config().bundleOut, &d);
    EXPECT_EQ(pb->media[1]->rtp.config().bundleSection, 1);
}

TEST_F(BundleTest, RejectLeavesTheOfferAsWithoutTheKey) {
    start(2);
    Flags f = offer(kBundledOffer);
    f.bundle.accept = f.bundle.reject = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(mediaPorts(r->sdp)[1], 0);
    EXPECT_FALSE(party("tag-a")->bundled);
}

TEST_F(BundleTest, ReofferWithRejectBreaksTheGroup) {
    start(3);
    Flags f = offer(kBundledOffer);
    f.bundle.accept = true;
    ASSERT_TRUE(store->offer(f).ok());
    ASSERT_TRUE(store->answer(answer(kPlainAnswer)).ok());
    ASSERT_TRUE(party("tag-a")->bundled);
    // The same addresses (no new ports), without the group.
    std::string sdp = kPlainOffer;
    sdp.replace(sdp.find("m=audio 2002"), 12, "m=audio 2000");
    Flags again = offer(sdp);
    again.bundle.reject = true;
    ASSERT_TRUE(store->offer(again).ok());
    EXPECT_FALSE(party("tag-a")->bundled);
    EXPECT_EQ(party("tag-a")->media[0]->rtp.config().bundle, nullptr);
}

TEST_F(BundleTest, OfferBundlesTheOutgoingOfferOnUniquePorts) {
    start(4);
    Flags f = offer(kPlainOffer);
    f.bundle.offer = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok());
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], ports[1]);
    // Mids made up for the group (the offer had none).
    EXPECT_EQ(count(r->sdp, "a=group:BUNDLE 1 2\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=mid:1\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=mid:2\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=rtcp-mux\r\n"), 2u);
    EXPECT_EQ(count(r->sdp, "bundle-only"), 0u);
}

TEST_F(BundleTest, RequireListsTheSharedPortWithBundleOnly) {
    start(5);
    Flags f = offer(kPlainOffer);
    f.bundle.require = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok());
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], 0);
    EXPECT_EQ(ports[0], ports[1]);
    EXPECT_EQ(count(r->sdp, "a=group:BUNDLE 1 2\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=bundle-only\r\n"), 1u);
    EXPECT_LT(r->sdp.find("a=mid:1"),
              r->sdp.find("m=audio " + std::to_string(ports[1]) + " RTP/AVP 8"));
    // An answerer without BUNDLE (a port per section): what it sends to the
    // shared port is still told apart by section; media to it goes to each
    // section's own port.
    ASSERT_TRUE(store->answer(answer(kPlainAnswer)).ok());
    Participant* pa = party("tag-a");
    Participant* pb = party("tag-b");
    EXPECT_FALSE(pb->bundled);
    EXPECT_TRUE(pb->bundleDemuxOnly);
    const media::BundleDemux* d = pb->media[0]->rtp.config().bundle;
    ASSERT_NE(d, nullptr);
    ASSERT_EQ(d->size(), 2u);
    EXPECT_TRUE(d->section(1).rtpSinks.contains(&pa->media[1]->rtp));
    EXPECT_TRUE(pa->media[1]->rtp.config().rtpSinks.contains(&pb->media[1]->rtp));
    EXPECT_EQ(pa->media[1]->rtp.config().bundleOut, d);
}

TEST_F(BundleTest, StrictGivesBundleOnlySectionsPortZero) {
    start(6);
    Flags f = offer(kPlainOffer);
    f.bundle.require = f.bundle.strict = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok());
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], 0);
    EXPECT_EQ(ports[1], 0);
    EXPECT_EQ(count(r->sdp, "a=group:BUNDLE 1 2\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=bundle-only\r\n"), 1u);
    EXPECT_EQ(count(r->sdp, "a=rtpmap:8 PCMA/8000"), 1u);  // not a rejected section
}

TEST_F(BundleTest, BundledAnswerToOurBundledOfferIsDemuxed) {
    start(7);
    Flags f = offer(kPlainOffer);
    f.bundle.offer = true;
    ASSERT_TRUE(store->offer(f).ok());
    const std::string bundledAnswer =
        "v=0\r\n"
        "o=- 2 1 IN IP4 203.0.113.2\r\n"
        "s=-\r\n"
        "c=IN IP4 203.0.113.2\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 1 2\r\n"
        "m=audio 3000 RTP/AVP 0\r\n"
        "a=mid:1\r\n"
        "a=rtcp-mux\r\n"
        "m=audio 3000 RTP/AVP 8\r\n"
        "a=mid:2\r\n"
        "a=rtcp-mux\r\n";
    auto r = store->answer(answer(bundledAnswer));
    ASSERT_TRUE(r.ok());
    // The offerer is not bundled: its answer is plain.
    EXPECT_EQ(count(r->sdp, "a=group:"), 0u);
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], ports[1]);
    Participant* pa = party("tag-a");
    Participant* pb = party("tag-b");
    ASSERT_TRUE(pb->bundled);
    Media& b0 = *pb->media[0];
    ASSERT_NE(b0.rtp.config().bundle, nullptr);
    EXPECT_EQ(b0.rtp.config().bundle->size(), 2u);
    EXPECT_TRUE(pa->media[1]->rtp.config().rtpSinks.contains(&b0.rtp));
    EXPECT_TRUE(b0.rtp.config().bundle->section(1).rtpSinks.contains(&pa->media[1]->rtp));
}

TEST_F(BundleTest, AnswerRefusingTheGroupLeavesSectionsApart) {
    start(8);
    Flags f = offer(kPlainOffer);
    f.bundle.offer = true;
    ASSERT_TRUE(store->offer(f).ok());
    ASSERT_TRUE(store->answer(answer(kPlainAnswer)).ok());
    Participant* pb = party("tag-b");
    EXPECT_FALSE(pb->bundled);
    EXPECT_EQ(pb->media[0]->rtp.config().bundle, nullptr);
    EXPECT_TRUE(party("tag-a")->media[1]->rtp.config().rtpSinks.contains(&pb->media[1]->rtp));
}

TEST_F(BundleTest, ReofferFromTheAnswererToABundledOffererIsBundledUnderItsMids) {
    start(9);
    Flags f = offer(kBundledOffer);
    f.bundle.accept = true;
    ASSERT_TRUE(store->offer(f).ok());
    auto ra = store->answer(answer(kPlainAnswer));
    ASSERT_TRUE(ra.ok());
    int shared = mediaPorts(ra->sdp)[0];
    // The answerer re-offers (no mids of its own): the offerer gets its group.
    Flags re;
    re.callId = "call-1";
    re.fromTag = "tag-b";
    re.toTag = "tag-a";
    re.sdp = kPlainAnswer;
    re.hasSdp = true;
    auto r = store->offer(re);
    ASSERT_TRUE(r.ok()) << r.error().reason;
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0], shared);
    EXPECT_EQ(ports[1], shared);
    EXPECT_EQ(count(r->sdp, "a=group:BUNDLE a0 a1\r\n"), 1u) << r->sdp;
    EXPECT_EQ(count(r->sdp, "a=mid:a1\r\n"), 1u);
    EXPECT_TRUE(party("tag-a")->bundled);
}

TEST_F(BundleTest, BundleOnlyDataChannelStaysRejected) {
    start(10);
    std::string sdp = kBundledOffer;
    sdp.insert(sdp.find("a=group:BUNDLE a0 a1") + 20, " d");
    sdp +=
        "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=bundle-only\r\n"
        "a=mid:d\r\na=sctp-port:5000\r\n";
    Flags f = offer(sdp);
    f.bundle.accept = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << r.error().reason;
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 3u);
    EXPECT_NE(ports[1], 0);
    EXPECT_EQ(ports[2], 0);
    std::string answerSdp = kPlainAnswer + "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n";
    auto ra = store->answer(answer(answerSdp));
    ASSERT_TRUE(ra.ok()) << ra.error().reason;
    EXPECT_EQ(count(ra->sdp, "a=group:BUNDLE a0 a1\r\n"), 1u) << ra->sdp;
    EXPECT_EQ(mediaPorts(ra->sdp)[2], 0);
}

// Chromium's max-bundle offer: no a=bundle-only, the second section on the
// placeholder port 9 with c=0.0.0.0 (not a hold) and no candidates; a=ssrc
// names what each section sends.  Its packets come without the MID
// extension (our answer has no extmap) and with payload types both
// sections list: the a=ssrc lines tell them apart.
const std::string kChromiumMaxBundleOffer =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "m=audio 50000 UDP/TLS/RTP/SAVPF 111 0 8\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=ssrc:1111 cname:x\r\n"
    "a=fingerprint:sha-256 6D:F7:56:4C:42:BB:DC:46:A2:63:80:13:34:97:B7:25:37:BC:13:AA:CD:78:46:"
    "25:36:AF:A6:BA:B6:FA:98:77\r\n"
    "a=setup:actpass\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=ssrc:2222 cname:x\r\n"
    "a=ssrc:2222 msid:s t\r\n"
    "a=fingerprint:sha-256 6D:F7:56:4C:42:BB:DC:46:A2:63:80:13:34:97:B7:25:37:BC:13:AA:CD:78:46:"
    "25:36:AF:A6:BA:B6:FA:98:77\r\n"
    "a=setup:actpass\r\n";

std::vector<uint8_t> rtpPacket(uint8_t pt, uint32_t ssrc) {
    std::vector<uint8_t> p(12 + 160, 0);
    p[0] = 0x80;
    p[1] = pt;
    p[8] = uint8_t(ssrc >> 24);
    p[9] = uint8_t(ssrc >> 16);
    p[10] = uint8_t(ssrc >> 8);
    p[11] = uint8_t(ssrc);
    return p;
}

TEST_F(BundleTest, AcceptTakesChromiumsPlaceholderSectionAndDemuxesBySignalledSsrc) {
    auto cert = crypto::DtlsCertificate::create(crypto::DtlsCertificateOptions{});
    ASSERT_TRUE(cert.ok());
    cfg.dtlsCert = *cert;
    startAt(61600);
    Flags f = offer(kChromiumMaxBundleOffer);
    f.bundle.accept = true;
    f.transportProtocol = "RTP/AVP";
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << r.error().reason;
    // Towards the answerer: two sections of their own, both sendrecv (the
    // placeholder c=0.0.0.0 is not a hold), no zero address.
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_NE(ports[0], 0);
    EXPECT_NE(ports[1], 0);
    EXPECT_NE(ports[0], ports[1]);
    EXPECT_EQ(count(r->sdp, "0.0.0.0"), 0u) << r->sdp;
    EXPECT_EQ(count(r->sdp, "a=sendonly"), 0u) << r->sdp;
    EXPECT_EQ(count(r->sdp, "a=inactive"), 0u) << r->sdp;
    EXPECT_EQ(count(r->sdp, "a=sendrecv\r\n"), 2u) << r->sdp;

    Flags a = answer(kPlainAnswer);
    a.bundle.accept = true;
    auto ra = store->answer(a);
    ASSERT_TRUE(ra.ok()) << ra.error().reason;
    auto back = mediaPorts(ra->sdp);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0], back[1]);
    EXPECT_EQ(count(ra->sdp, "a=group:BUNDLE 0 1\r\n"), 1u) << ra->sdp;
    // DTLS towards the browser: the tagged section's fingerprint and setup
    // in both sections (Firefox crashes without it in the second).
    EXPECT_EQ(count(ra->sdp, "a=fingerprint:sha-256 "), 2u) << ra->sdp;
    EXPECT_EQ(count(ra->sdp, "a=setup:active\r\n"), 2u) << ra->sdp;
    EXPECT_EQ(count(r->sdp, "a=fingerprint:"), 0u) << r->sdp;

    Participant* pa = party("tag-a");
    ASSERT_TRUE(pa->bundled);
    ASSERT_NE(pa->media[0]->rtp.config().bundle, nullptr);
    media::BundleDemux& d = *pa->media[0]->bundleDemux;
    ASSERT_EQ(d.size(), 2u);
    // Before any packet: the offer's a=ssrc name the sections.
    EXPECT_EQ(d.sectionOfInSsrc(1111), 0);
    EXPECT_EQ(d.sectionOfInSsrc(2222), 1);
    // PCMU from both (listed by both sections): by SSRC; an SSRC nobody
    // named, with a payload type both list, is not guessed at.
    EXPECT_EQ(d.routeRtp(rtpPacket(0, 2222)), 1);
    EXPECT_EQ(d.routeRtp(rtpPacket(0, 1111)), 0);
    EXPECT_EQ(d.routeRtp(rtpPacket(0, 3333)), -1);
}

}  // namespace
}  // namespace ngm::session
