#include "session/ice_negotiation.h"

#include <gtest/gtest.h>

namespace ngm::session {
namespace {

sdp::SessionDescription parsed(const std::string& text) { return sdp::parse(text).value(); }

TEST(IceCandidate, ParsesHostCandidate) {
    auto c = parseIceCandidate("1 1 UDP 2130706431 127.0.0.1 30000 typ host");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->foundation, "1");
    EXPECT_EQ(c->component, 1);
    EXPECT_EQ(c->transport, "UDP");
    EXPECT_EQ(c->priority, 2130706431u);
    EXPECT_EQ(c->address, "127.0.0.1");
    EXPECT_EQ(c->port, 30000);
    EXPECT_EQ(c->type, "host");
    EXPECT_FALSE(c->hasRel);
    EXPECT_EQ(c->extensions, "");
}

TEST(IceCandidate, KeepsRelatedAddressAndExtensions) {
    std::string v =
        "842163049 1 udp 1686052607 127.1.0.9 41234 typ srflx raddr 127.1.0.1 rport 30000 "
        "generation 0 network-id 1";
    auto c = parseIceCandidate(v);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->hasRel);
    EXPECT_EQ(c->relAddress, "127.1.0.1");
    EXPECT_EQ(c->relPort, 30000);
    EXPECT_EQ(c->extensions, "generation 0 network-id 1");
    EXPECT_EQ(formatIceCandidate(*c), v);
}

TEST(IceCandidate, TakesMdnsNamesAndTcpCandidates) {
    auto c = parseIceCandidate(
        "1901012523 1 tcp 2122262783 8f0f3c47-ef35-4e5a.local 9 typ host tcptype active");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->address, "8f0f3c47-ef35-4e5a.local");
    EXPECT_EQ(c->extensions, "tcptype active");
}

TEST(IceCandidate, RejectsMalformedLines) {
    for (const char* bad :
         {"", "1", "1 0 UDP 1 127.0.0.1 1 typ host", "1 257 UDP 1 127.0.0.1 1 typ host",
          "1 1 UDP 99999999999 127.0.0.1 1 typ host", "1 1 UDP 1 127.0.0.1 70000 typ host",
          "1 1 UDP 1 127.0.0.1 1 type host", "1 1 UDP 1 127.0.0.1 1 typ",
          "f*o 1 UDP 1 127.0.0.1 1 typ host", "1 1 UDP 1 127.0.0.1 1 typ relay raddr",
          "1 1 UDP 1 127.0.0.1 1 typ relay raddr 1.2.3.4 rport x"})
        EXPECT_FALSE(parseIceCandidate(bad).ok()) << bad;
}

TEST(IceCandidate, PriorityAsRfc8445Computes) {
    EXPECT_EQ(icePriority(126, 65535, 1), 2130706431u);
    EXPECT_EQ(icePriority(126, 65534, 2), 2130706174u);
    EXPECT_EQ(icePriority(125, 0, 1), 2097152255u);
    EXPECT_EQ(icePriority(0, 65535, 1), 16777215u);
}

TEST(IceMode, NamesOfTheIceKey) {
    EXPECT_EQ(iceModeByName("force"), IceMode::Force);
    EXPECT_EQ(iceModeByName("remove"), IceMode::Remove);
    EXPECT_EQ(iceModeByName("optional"), IceMode::Optional);
    EXPECT_EQ(iceModeByName("force-relay"), IceMode::ForceRelay);
    EXPECT_EQ(iceModeByName("force_relay"), IceMode::ForceRelay);
    EXPECT_EQ(iceModeByName("default"), IceMode::Default);
    EXPECT_EQ(iceModeByName("bogus"), IceMode::Default);
    EXPECT_TRUE(isIceModeName("default"));
    EXPECT_FALSE(isIceModeName("bogus"));
}

const char* kIceOffer =
    "v=0\r\no=- 1 1 IN IP4 127.1.0.1\r\ns=-\r\nc=IN IP4 127.1.0.1\r\nt=0 0\r\n"
    "a=ice-lite\r\n"
    "m=audio 30000 RTP/AVP 0\r\n"
    "a=ice-ufrag:uf01\r\na=ice-pwd:pw0123456789012345678901\r\na=ice-options:trickle "
    "renomination\r\n"
    "a=candidate:1 1 UDP 2130706431 127.1.0.1 30000 typ host\r\n"
    "a=candidate:bad\r\n"
    "a=end-of-candidates\r\n";

TEST(IceRead, ReadsCredentialsCandidatesLiteTrickleAndEnd) {
    auto sdp = parsed(kIceOffer);
    MediaIce ice;
    readIce(sdp, sdp.media[0], ice);
    EXPECT_TRUE(ice.peerIce);
    EXPECT_EQ(ice.peerUfrag, "uf01");
    EXPECT_EQ(ice.peerPwd, "pw0123456789012345678901");
    EXPECT_EQ(ice.peerCandidates.size(), 1u);  // the bad line is no candidate
    EXPECT_TRUE(ice.peerLite);
    EXPECT_TRUE(ice.peerTrickle);
    EXPECT_TRUE(ice.peerEndOfCandidates);
    EXPECT_FALSE(ice.peerRestarted);
}

TEST(IceRead, SessionLevelCredentialsCountAndNewUfragIsARestart) {
    auto sdp = parsed(
        "v=0\r\no=- 1 1 IN IP4 127.1.0.1\r\ns=-\r\nc=IN IP4 127.1.0.1\r\nt=0 0\r\n"
        "a=ice-ufrag:sess\r\na=ice-pwd:sessionpassword0123456789\r\n"
        "a=ice-options:trickle\r\nm=audio 30000 RTP/AVP 0\r\n");
    MediaIce ice;
    ice.peerUfrag = "old1";
    readIce(sdp, sdp.media[0], ice);
    EXPECT_TRUE(ice.peerIce);
    EXPECT_EQ(ice.peerUfrag, "sess");
    EXPECT_TRUE(ice.peerRestarted);
    EXPECT_FALSE(ice.peerTrickle);  // session-level ice-options is not read (10.5)
}

TEST(IceNegotiation, DefaultFollowsTheOffererThenWhatTheAnswererSpoke) {
    MediaIce a, b;
    a.peerIce = true;
    negotiateIce(a, b, {}, true);
    EXPECT_TRUE(b.inUse);
    EXPECT_EQ(b.style, IceStyle::Ours);
    EXPECT_FALSE(b.ufrag.empty());
    std::string ufrag = b.ufrag;
    // The answerer does not speak ICE: learned.
    b.peerIce = false;
    negotiateIce(b, a, {}, false);
    EXPECT_FALSE(b.inUse);
    EXPECT_TRUE(a.inUse);
    negotiateIce(a, b, {}, true);
    EXPECT_FALSE(b.inUse);
    EXPECT_EQ(b.style, IceStyle::None);
    // `reset` forgets it: ICE again, with new credentials.
    IceOptions reset;
    reset.reset = true;
    negotiateIce(a, b, reset, true);
    EXPECT_TRUE(b.inUse);
    EXPECT_NE(b.ufrag, ufrag);
}

TEST(IceNegotiation, ForceRemoveOptionalAndRelay) {
    MediaIce a, b;
    IceOptions o;
    o.mode = IceMode::Force;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.style, IceStyle::Ours);
    std::string ufrag = b.ufrag;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.ufrag, ufrag);  // kept across re-offers
    o.mode = IceMode::Remove;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.style, IceStyle::None);
    a.peerIce = true;
    o.mode = IceMode::Optional;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.style, IceStyle::AppendHost);
    o.mode = IceMode::ForceRelay;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.style, IceStyle::AppendRelay);
    a.peerIce = false;
    negotiateIce(a, b, o, true);
    EXPECT_EQ(b.style, IceStyle::OursRelay);
    // The answer to such an offer is written the `optional` way.
    a.peerIce = true;
    negotiateIce(a, b, o, true);
    b.peerIce = true;
    negotiateIce(b, a, {}, false);
    EXPECT_EQ(a.style, IceStyle::AppendHost);
}

TEST(IceNegotiation, OffererRestartGetsNewCredentialsInTheAnswer) {
    MediaIce a, b;
    a.peerIce = true;
    negotiateIce(a, b, {}, true);
    b.peerIce = true;
    negotiateIce(b, a, {}, false);
    std::string ours = a.ufrag, theirs = b.ufrag;
    ASSERT_FALSE(ours.empty());
    a.peerRestarted = true;
    negotiateIce(a, b, {}, true);
    EXPECT_EQ(b.ufrag, theirs);
    negotiateIce(b, a, {}, false);
    EXPECT_NE(a.ufrag, ours);
}

TEST(IceNegotiation, IceLiteKeyNamesTheSides) {
    MediaIce a, b;
    IceOptions o;
    o.mode = IceMode::Force;
    o.lite = "forward";
    negotiateIce(a, b, o, true);
    EXPECT_TRUE(b.liteSelf);
    EXPECT_FALSE(a.liteSelf);
    o.lite = "";
    negotiateIce(a, b, o, true);
    EXPECT_TRUE(b.liteSelf);  // sticky
    o.lite = "backward";
    negotiateIce(a, b, o, true);
    EXPECT_TRUE(a.liteSelf);
    o.lite = "off";
    negotiateIce(a, b, o, true);
    EXPECT_FALSE(a.liteSelf);
    EXPECT_FALSE(b.liteSelf);
}

TEST(IceCandidates, OnePerComponentAndAddressMediaAddressFirst) {
    MediaIce ice;
    ice.style = IceStyle::Ours;
    std::vector<IceLocalAddress> addrs{{*net::IpAddress::parse("127.0.0.1"), 40000, 40001, {}},
                                       {*net::IpAddress::parse("::1"), 40010, 40011, {}}};
    auto c = localCandidates(ice, addrs, 2);
    ASSERT_EQ(c.size(), 4u);
    std::string f4 = iceFoundation(addrs[0].advertised), f6 = iceFoundation(addrs[1].advertised);
    EXPECT_NE(f4, f6);
    EXPECT_EQ(c[0], f4 + " 1 UDP 2130706431 127.0.0.1 40000 typ host");
    EXPECT_EQ(c[1], f6 + " 1 UDP 2130706175 ::1 40010 typ host");
    EXPECT_EQ(c[2], f4 + " 2 UDP 2130706430 127.0.0.1 40001 typ host");
    EXPECT_EQ(c[3], f6 + " 2 UDP 2130706174 ::1 40011 typ host");
    ice.style = IceStyle::OursRelay;
    c = localCandidates(ice, {addrs[0]}, 1);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], f4 + " 1 UDP 16777215 127.0.0.1 40000 typ relay raddr 127.0.0.1 rport 40000");
    // A `media address` is written; the local address still names the foundation.
    ice.style = IceStyle::Ours;
    IceLocalAddress media{*net::IpAddress::parse("127.9.9.9"), 40000, 40001, addrs[0].advertised};
    c = localCandidates(ice, {media}, 1);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0], f4 + " 1 UDP 2130706431 127.9.9.9 40000 typ host");
}

// rtpengine 10.5's choice, recorded in the diff scenarios ice_optional_*,
// ice_force_relay_* (the values in the comments).
TEST(IceCandidates, AppendedToTheSendersTheyTakeAPriorityNextToTheirs) {
    auto cands = [](std::initializer_list<const char*> lines) {
        std::vector<IceCandidate> out;
        for (const char* l : lines) out.push_back(*parseIceCandidate(l));
        return out;
    };
    auto prio = [](IcePreference p) { return icePriority(p.type, p.local, 1); };
    // No candidate of the type: local preference 65535 of it (16777215).
    EXPECT_EQ(prio(appendedPreference({}, true)), 16777215u);
    // One step above theirs (126/32542 -> 2122260479); TCP and other
    // components do not count, nor candidates above ours so far.
    auto chrome = cands({"1 1 udp 2122260223 127.1.0.1 30000 typ host generation 0",
                         "2 1 udp 1686052607 127.1.0.9 41234 typ srflx raddr 127.1.0.1 rport 30000",
                         "3 1 tcp 1518280447 127.1.0.1 9 typ host tcptype active",
                         "4 2 udp 1 127.1.0.1 30001 typ host",
                         "5 1 udp 2122262783 x.local 30002 typ host"});
    EXPECT_EQ(prio(appendedPreference(chrome, false)), 2122260479u);
    EXPECT_EQ(prio(appendedPreference(chrome, true)), 16777215u);
    // In SDP order, each one not above ours so far (-> 2122194943).
    auto three = cands({"1 1 udp 2122260223 127.2.0.1 32000 typ host", "2 1 udp 2122194687 127.2.0.1 32002 typ host",
                        "3 1 udp 2122260100 127.2.0.1 32004 typ host"});
    EXPECT_EQ(prio(appendedPreference(three, false)), 2122194943u);
    // Local preference 65535 wraps to 0 of the type below (2097152255; a
    // relay one stays at type 0: 255).
    EXPECT_EQ(prio(appendedPreference(cands({"1 1 UDP 2130706431 127.1.0.1 30000 typ host"}), false)), 2097152255u);
    EXPECT_EQ(prio(appendedPreference(cands({"2 1 UDP 16777215 127.1.0.7 50000 typ relay raddr 127.1.0.1 rport 30000"}),
                                      true)),
              255u);
    // Written for both components and every address.
    MediaIce ice;
    ice.style = IceStyle::AppendHost;
    std::vector<IceLocalAddress> addrs{{*net::IpAddress::parse("127.0.0.1"), 40000, 40001, {}}};
    auto c = localCandidates(ice, addrs, 2, chrome);
    ASSERT_EQ(c.size(), 2u);
    std::string f = iceFoundation(addrs[0].advertised);
    EXPECT_EQ(c[0], f + " 1 UDP 2122260479 127.0.0.1 40000 typ host");
    EXPECT_EQ(c[1], f + " 2 UDP 2122260478 127.0.0.1 40001 typ host");
}

TEST(IceNegotiation, ForceInTheAnswerToAnOptionalOfferIsWrittenTheOptionalWay) {
    MediaIce a, b;
    IceOptions o;
    o.mode = IceMode::ForceRelay;
    a.peerIce = true;
    negotiateIce(a, b, o, true);
    EXPECT_TRUE(keepsSenderIce(b.style));
    b.peerIce = true;
    IceOptions force;
    force.mode = IceMode::Force;
    negotiateIce(b, a, force, false);
    EXPECT_EQ(a.style, IceStyle::AppendHost);
    EXPECT_TRUE(keepsSenderIce(a.style));
}

TEST(IceFragment, ParsesTrickleUpdateAndAppliesMatchingUfrag) {
    auto f = parseIceFragment(
        "a=ice-ufrag:chRm\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1 1 udp 2122260223 127.1.0.1 30000 typ host generation 0\r\n"
        "a=end-of-candidates\r\n");
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(f->sections.size(), 1u);
    EXPECT_EQ(f->sections[0].mid, "0");
    EXPECT_EQ(f->sections[0].ufrag, "chRm");
    EXPECT_TRUE(f->sections[0].endOfCandidates);
    MediaIce ice;
    ice.peerUfrag = "other";
    EXPECT_FALSE(applyIceFragment(f->sections[0], ice));
    EXPECT_TRUE(ice.peerCandidates.empty());
    ice.peerUfrag = "chRm";
    EXPECT_TRUE(applyIceFragment(f->sections[0], ice));
    EXPECT_TRUE(applyIceFragment(f->sections[0], ice));  // the same candidate once
    EXPECT_EQ(ice.peerCandidates.size(), 1u);
    EXPECT_TRUE(ice.peerEndOfCandidates);
    EXPECT_FALSE(parseIceFragment("a=candidate:1 1 udp 1 127.0.0.1 1 typ host\r\n").ok());
}

}  // namespace
}  // namespace ngm::session
