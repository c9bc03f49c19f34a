// Media across interfaces and address families, and what the signalling
// does to the media path: IPv4/IPv6 bridging, named and advertised
// interfaces, re-INVITEs, forks, rtcp-mux require, SDP directions and TOS.
// Real daemon, loopback only (127.0.0.x and ::1); every relayed packet is
// checked byte for byte and by the address and port it came from.
//
// Model (as in media_relay_test.cpp): the offer reply advertises the
// daemon's B-side ports (B sends there), the answer reply its A-side ports.
// What A sends to an A-side port leaves from the matching B-side port
// towards B, and the other way round.
#include <sstream>

#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using bencode::Value;
using namespace std::chrono_literals;

constexpr uint32_t kSsrcA = 0xA1A1A1A1;
constexpr uint32_t kSsrcB = 0xB2B2B2B2;

// --- SDP and packets -------------------------------------------------------

struct SdpSpec {
    std::string addr = "127.0.0.1";
    uint16_t port = 0;
    std::string direction = "sendrecv";
    bool rtcpMux = false;
    int version = 1;
};

// A one-stream PCMU/PCMA audio SDP of a loopback endpoint (IPv4 or IPv6).
std::string peerSdp(const SdpSpec& s) {
    std::string family = isIpv6(s.addr) ? "IP6" : "IP4";
    std::string out = "v=0\r\no=- 1545997027 " + std::to_string(s.version) + " IN " + family + " " +
                      s.addr + "\r\ns=tester\r\n";
    out += "c=IN " + family + " " + s.addr + "\r\nt=0 0\r\n";
    out += "m=audio " + std::to_string(s.port) + " RTP/AVP 0 8\r\n";
    out += "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
    if (s.rtcpMux) out += "a=rtcp-mux\r\n";
    out += "a=" + s.direction + "\r\n";
    return out;
}

bool hasLine(const std::string& sdp, const std::string& line) {
    return sdp.find(line + "\r\n") != std::string::npos;
}

// The c= lines of an SDP, in order.
std::vector<std::string> connectionLines(const std::string& sdp) {
    std::vector<std::string> out;
    std::istringstream in(sdp);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("c=", 0) == 0) out.push_back(line);
    }
    return out;
}


// --- fixture ---------------------------------------------------------------

// One offer or answer.
struct Signal {
    std::string callId = "call-1";
    std::string fromTag = "alice";
    std::string toTag = {};  // "" in an initial offer
    std::string sdp = {};
    std::vector<std::string> flags = {}, direction = {}, rtcpMux = {};
    std::string addressFamily = {};
    std::optional<int64_t> tos = {};
};

// A forked call (see ForkedCallMediaFollowsAnsweredBranch).
struct Fork {
    RtpPeer a, b1, b2;
    Endpoint aSide{"127.0.0.1"}, bSide{"127.0.0.1"};
};

class MediaBridging : public DaemonTest {
  protected:
    void start(std::vector<std::string> args) {
        ASSERT_TRUE(startDaemon({.args = std::move(args)})) << daemon.error();
    }

    Reply send(std::string_view command, const Signal& s) {
        Request r(command);
        r.set("call-id", s.callId).set("from-tag", s.fromTag).set("sdp", s.sdp);
        if (!s.toTag.empty()) r.set("to-tag", s.toTag);
        r.setListIfAny("flags", s.flags);
        r.setListIfAny("direction", s.direction);
        r.setListIfAny("rtcp-mux", s.rtcpMux);
        if (!s.addressFamily.empty()) r.set("address family", s.addressFamily);
        if (s.tos) r.setInt("TOS", *s.tos);
        return ng->request(r);
    }

    // Sends the offer or answer, asserts "ok", and stores the RTP port of
    // its SDP's first m= line in `rtpPort`; `address` is what that media's
    // c= must say.
    void signal(std::string_view command, const Signal& s, const std::string& address,
                uint16_t& rtpPort, Reply* reply = nullptr) {
        Reply r = send(command, s);
        ASSERT_EQ(r.result(), "ok") << command << ": " << r.describe();
        auto p = sdpMediaPorts(r.sdp());
        ASSERT_TRUE(p) << r.describe();
        ASSERT_EQ(p->address, address) << r.sdp();
        ASSERT_GT(p->rtp, 0) << r.sdp();
        rtpPort = uint16_t(p->rtp);
        if (reply) *reply = r;
    }

    // A plain IPv4 call between single-socket peers `a` and `b` on 127.0.0.1:
    // where A sends (A-side RTP port) and where B sends (B-side RTP port).
    void establish(RtpPeer& a, RtpPeer& b, Endpoint& aSide, Endpoint& bSide, Signal offer = {},
                   Signal answer = {}) {
        if (offer.sdp.empty()) offer.sdp = peerSdp({.addr = a.address(), .port = a.port()});
        if (answer.sdp.empty()) answer.sdp = peerSdp({.addr = b.address(), .port = b.port()});
        answer.toTag = answer.toTag.empty() ? "bob" : answer.toTag;
        bSide.address = aSide.address = "127.0.0.1";
        ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "127.0.0.1", bSide.port));
        ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "127.0.0.1", aSide.port));
    }

    // Offer from alice, answers from bob1 (media flows to b1) and then bob2.
    void answerTwice(Fork& f) {
        ASSERT_TRUE(f.a.ok() && f.b1.ok() && f.b2.ok());
        Signal offer{.sdp = peerSdp({.port = f.a.port()})};
        ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "127.0.0.1", f.bSide.port));
        Signal answer1{.toTag = "bob1", .sdp = peerSdp({.port = f.b1.port()})};
        ASSERT_NO_FATAL_FAILURE(signal("answer", answer1, "127.0.0.1", f.aSide.port));
        EXPECT_TRUE(relays(f.a, f.aSide, f.b1, f.bSide, g711(0, kSsrcA)));
        Signal answer2{.toTag = "bob2", .sdp = peerSdp({.port = f.b2.port()})};
        uint16_t aPort2 = 0;
        ASSERT_NO_FATAL_FAILURE(signal("answer", answer2, "127.0.0.1", aPort2));
        EXPECT_EQ(aPort2, f.aSide.port) << "A's side keeps its ports across the fork";
    }

    Reply deleteBranch(const std::string& callId, const std::string& fromTag,
                       const std::string& toTag) {
        return ng->request(Request("delete")
                               .set("call-id", callId)
                               .set("from-tag", fromTag)
                               .set("to-tag", toTag)
                               .setInt("delete delay", 0));
    }
};

// --- address families ------------------------------------------------------

// A is an IPv4 endpoint, B an IPv6 one: `address family: IP6` puts the
// B side of the call on ::1, the A side stays on 127.0.0.1.
TEST_F(MediaBridging, Ipv4ToIpv6Bridging) {
    ASSERT_NO_FATAL_FAILURE(
        start({"--interface=127.0.0.1", "--interface=::1", "--endpoint-learning=immediate"}));
    RtpPeer a("127.0.0.1"), b("::1");
    ASSERT_TRUE(a.ok() && b.ok()) << "cannot bind 127.0.0.1 / [::1]";

    Signal offer{.sdp = peerSdp({.addr = "127.0.0.1", .port = a.port()}), .addressFamily = "IP6"};
    Reply offered;
    Endpoint bSide{"::1"}, aSide{"127.0.0.1"};
    ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "::1", bSide.port, &offered));
    EXPECT_EQ(connectionLines(offered.sdp()), std::vector<std::string>{"c=IN IP6 ::1"})
        << offered.sdp();
    Signal answer{.toTag = "bob", .sdp = peerSdp({.addr = "::1", .port = b.port()})};
    Reply answered;
    ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "127.0.0.1", aSide.port, &answered));
    EXPECT_EQ(connectionLines(answered.sdp()), std::vector<std::string>{"c=IN IP4 127.0.0.1"})
        << answered.sdp();

    for (uint16_t seq = 0; seq < 2; seq++) {
        EXPECT_TRUE(relays(a, aSide, b, bSide, g711(seq, kSsrcA))) << "A->B " << seq;
        EXPECT_TRUE(relays(b, bSide, a, aSide, g711(seq, kSsrcB))) << "B->A " << seq;
    }
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// The mirror: A on ::1, `address family: IP4` puts B on 127.0.0.1.
TEST_F(MediaBridging, Ipv6ToIpv4Bridging) {
    ASSERT_NO_FATAL_FAILURE(
        start({"--interface=127.0.0.1", "--interface=::1", "--endpoint-learning=immediate"}));
    RtpPeer a("::1"), b("127.0.0.1");
    ASSERT_TRUE(a.ok() && b.ok()) << "cannot bind [::1] / 127.0.0.1";

    Signal offer{.sdp = peerSdp({.addr = "::1", .port = a.port()}), .addressFamily = "IP4"};
    Reply offered;
    Endpoint bSide{"127.0.0.1"}, aSide{"::1"};
    ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "127.0.0.1", bSide.port, &offered));
    EXPECT_EQ(connectionLines(offered.sdp()), std::vector<std::string>{"c=IN IP4 127.0.0.1"})
        << offered.sdp();
    Signal answer{.toTag = "bob", .sdp = peerSdp({.addr = "127.0.0.1", .port = b.port()})};
    Reply answered;
    ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "::1", aSide.port, &answered));
    EXPECT_EQ(connectionLines(answered.sdp()), std::vector<std::string>{"c=IN IP6 ::1"})
        << answered.sdp();

    for (uint16_t seq = 0; seq < 2; seq++) {
        EXPECT_TRUE(relays(a, aSide, b, bSide, g711(seq, kSsrcA))) << "A->B " << seq;
        EXPECT_TRUE(relays(b, bSide, a, aSide, g711(seq, kSsrcB))) << "B->A " << seq;
    }
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// --- interfaces ------------------------------------------------------------

// `direction: [priv, pub]`: the first names the interface facing the
// sender of the offer (A), the second the one facing its receiver (B).
TEST_F(MediaBridging, NamedInterfacesBridge) {
    ASSERT_NO_FATAL_FAILURE(start({"--interface=pub/127.0.0.2", "--interface=priv/127.0.0.3",
                                   "--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());

    Signal offer{.sdp = peerSdp({.port = a.port()}), .direction = {"priv", "pub"}};
    Endpoint bSide{"127.0.0.2"}, aSide{"127.0.0.3"};
    ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "127.0.0.2", bSide.port));
    Signal answer{.toTag = "bob", .sdp = peerSdp({.port = b.port()})};
    ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "127.0.0.3", aSide.port));

    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));
    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(1, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(1, kSsrcB)));
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// `ADDRESS!ADVERTISED`: SDP says the advertised address (a NAT's public
// one), the sockets are bound to the local one. 203.0.113.9 (TEST-NET-3) is
// never sent to.
TEST_F(MediaBridging, AdvertisedAddressIsWrittenButBoundAddressIsUsed) {
    ASSERT_NO_FATAL_FAILURE(
        start({"--interface=127.0.0.2!203.0.113.9", "--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());

    Signal offer{.sdp = peerSdp({.port = a.port()})};
    Reply offered, answered;
    Endpoint bSide{"127.0.0.2"}, aSide{"127.0.0.2"};
    ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "203.0.113.9", bSide.port, &offered));
    EXPECT_EQ(connectionLines(offered.sdp()), std::vector<std::string>{"c=IN IP4 203.0.113.9"})
        << offered.sdp();
    Signal answer{.toTag = "bob", .sdp = peerSdp({.port = b.port()})};
    ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "203.0.113.9", aSide.port, &answered));
    EXPECT_EQ(connectionLines(answered.sdp()), std::vector<std::string>{"c=IN IP4 203.0.113.9"})
        << answered.sdp();
    EXPECT_EQ(answered.sdp().find("127.0.0.2"), std::string::npos) << answered.sdp();

    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// --- signalling changes the media path -------------------------------------

// A re-INVITE from A with a new RTP port (another socket): B's media goes to
// the new socket at once; the old one hears nothing more.
TEST_F(MediaBridging, ReinviteMovesEndpoint) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b, aMoved;
    ASSERT_TRUE(a.ok() && b.ok() && aMoved.ok());
    Endpoint aSide, bSide;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide));
    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));

    Signal reoffer{.toTag = "bob", .sdp = peerSdp({.port = aMoved.port(), .version = 2})};
    Signal reanswer{.toTag = "bob", .sdp = peerSdp({.port = b.port(), .version = 2})};
    Endpoint aSide2{"127.0.0.1"}, bSide2{"127.0.0.1"};
    // Without `port latching` a moved endpoint gets fresh ports towards the
    // other side (rtpengine does the same); use whatever the replies say.
    ASSERT_NO_FATAL_FAILURE(signal("offer", reoffer, "127.0.0.1", bSide2.port));
    ASSERT_NO_FATAL_FAILURE(signal("answer", reanswer, "127.0.0.1", aSide2.port));

    // The old socket stays silent: B's packets go to the new one before it
    // has sent anything.
    EXPECT_TRUE(relays(b, bSide2, aMoved, aSide2, g711(1, kSsrcB)));
    EXPECT_TRUE(relays(b, bSide2, aMoved, aSide2, g711(2, kSsrcB)));
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(relays(aMoved, aSide2, b, bSide2, g711(1, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide2, aMoved, aSide2, g711(3, kSsrcB)));
    EXPECT_TRUE(nothingArrives(a));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// Forking: the offer goes to two branches, both answer (bob1 first, bob2
// last) with different B sockets. ngmedia's CallStore::offerAnswer hands the
// B-side ports the offer advertised to the branch that answered last (bob2
// takes over bob1's media; bob1 stays in the call without media or peer),
// so A's media follows bob2, from the same B-side port; A's side keeps its
// ports.
constexpr const char* kForkDifference =
    "deliberate difference (docs/compatibility.md, fork_two_answers): rtpengine moves the "
    "offerer to new ports when a second branch answers";

TEST_F(MediaBridging, ForkedCallMediaFollowsAnsweredBranch) {
    if (underOracle()) GTEST_SKIP() << kForkDifference;
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    Fork f;
    ASSERT_NO_FATAL_FAILURE(answerTwice(f));

    EXPECT_TRUE(relays(f.a, f.aSide, f.b2, f.bSide, g711(1, kSsrcA)));
    EXPECT_TRUE(relays(f.b2, f.bSide, f.a, f.aSide, g711(1, kSsrcB)));
    EXPECT_TRUE(relays(f.a, f.aSide, f.b2, f.bSide, g711(2, kSsrcA)));
    EXPECT_TRUE(nothingArrives(f.b1));
    EXPECT_TRUE(nothingArrives(f.a, 0ms));
}

// Deleting the bob2 branch (from-tag + to-tag, three tags known) removes
// bob2 alone and frees its ports: A is then paired with nobody, and the call
// stays listed (alice and bob1 remain) until a full delete or the timeout.
// A fresh call (call-2) then reuses the memory bob2's streams were freed
// from; CallStore::deleteCall erases the branch without unwiring alice's
// sinks, so A's media must be checked not to turn up in call-2. (An
// NGM_SANITIZE build reports the heap-use-after-free in
// PacketStream::onReadable at once.)
TEST_F(MediaBridging, DeletedBranchGetsNoMediaNorLeaksItIntoOtherCalls) {
    if (underOracle()) GTEST_SKIP() << kForkDifference;
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    Fork f;
    ASSERT_NO_FATAL_FAILURE(answerTwice(f));
    EXPECT_TRUE(relays(f.a, f.aSide, f.b2, f.bSide, g711(1, kSsrcA)));

    Reply d = deleteBranch("call-1", "alice", "bob2");
    ASSERT_EQ(d.result(), "ok") << d.describe();
    EXPECT_FALSE(udpPortInUse(f.bSide.port)) << "bob2's B-side port still bound";
    EXPECT_TRUE(udpPortInUse(f.aSide.port)) << "alice's A-side port was released";
    EXPECT_TRUE(isListed("call-1"));

    RtpPeer c, d2;
    ASSERT_TRUE(c.ok() && d2.ok());
    Endpoint cSide, dSide;
    ASSERT_NO_FATAL_FAILURE(establish(c, d2, cSide, dSide, {.callId = "call-2", .fromTag = "carol"},
                                      {.callId = "call-2", .fromTag = "carol", .toTag = "dave"}));
    for (uint16_t seq = 3; seq < 6; seq++) ASSERT_TRUE(f.a.sendTo(f.aSide, g711(seq, kSsrcA)));
    EXPECT_TRUE(nothingArrives(f.b2));
    EXPECT_TRUE(nothingArrives(f.b1, 0ms));
    EXPECT_TRUE(nothingArrives(f.a, 0ms));
    EXPECT_TRUE(nothingArrives(c, 0ms)) << "call-1's media reached call-2";
    EXPECT_TRUE(nothingArrives(d2, 0ms)) << "call-1's media reached call-2";
    // call-2 itself is unharmed.
    EXPECT_TRUE(relays(c, cSide, d2, dSide, g711(0, kSsrcA + 2)));
    EXPECT_TRUE(relays(d2, dSide, c, cSide, g711(0, kSsrcB + 2)));
    EXPECT_TRUE(daemon.alive());
}

// `rtcp-mux: [require]`: B (a WebRTC client) gets one port for RTP and RTCP,
// without having offered mux; A, which does not mux, keeps RTP + 1 for RTCP.
TEST_F(MediaBridging, RtcpMuxRequireGivesOnePort) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpRtcpPeer a;
    RtpPeer b;
    ASSERT_TRUE(a.bind() && b.ok());

    Signal offer{.sdp = peerSdp({.port = a.rtp->port()}), .rtcpMux = {"require"}};
    Reply offered, answered;
    Endpoint bSide{"127.0.0.1"}, aSide{"127.0.0.1"};
    ASSERT_NO_FATAL_FAILURE(signal("offer", offer, "127.0.0.1", bSide.port, &offered));
    EXPECT_TRUE(hasLine(offered.sdp(), "a=rtcp:" + std::to_string(bSide.port))) << offered.sdp();
    EXPECT_TRUE(hasLine(offered.sdp(), "a=rtcp-mux")) << offered.sdp();
    Signal answer{.toTag = "bob", .sdp = peerSdp({.port = b.port(), .rtcpMux = true})};
    ASSERT_NO_FATAL_FAILURE(signal("answer", answer, "127.0.0.1", aSide.port, &answered));
    EXPECT_FALSE(hasLine(answered.sdp(), "a=rtcp-mux")) << answered.sdp();
    Endpoint aRtcp{"127.0.0.1", uint16_t(aSide.port + 1)};
    EXPECT_TRUE(hasLine(answered.sdp(), "a=rtcp:" + std::to_string(aRtcp.port))) << answered.sdp();

    // B's RTCP, sent to the single port, reaches A's RTCP socket from A's RTCP port.
    EXPECT_TRUE(relays(b, bSide, *a.rtcp, aRtcp, rtcpReceiverReport(kSsrcB)));
    EXPECT_TRUE(nothingArrives(*a.rtp, 0ms));
    // A's RTCP comes out of the single port.
    EXPECT_TRUE(relays(*a.rtcp, aRtcp, b, bSide, rtcpReceiverReport(kSsrcA)));
    // And RTP shares that port with it.
    EXPECT_TRUE(relays(b, bSide, *a.rtp, aSide, g711(0, kSsrcB)));
    EXPECT_TRUE(relays(*a.rtp, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*a.rtcp));
    EXPECT_TRUE(nothingArrives(*a.rtp, 0ms));
    EXPECT_TRUE(nothingArrives(b, 0ms));
}

// --- SDP directions ----------------------------------------------------------
// RFC 3264 §5.1 tells endpoints what not to send; the relay, like
// rtpengine, forwards what comes anyway: a sendonly, recvonly or inactive
// side still gets RTP and RTCP. Only a zero address (c=0.0.0.0, see
// media_relay_test.cpp) or a rejected stream stops media towards a side.

// A offers sendonly (B answers recvonly): B's RTP still reaches A.
TEST_F(MediaBridging, SendonlyOffererStillGetsRtp) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Endpoint aSide, bSide;
    Signal offer{.sdp = peerSdp({.port = a.port(), .direction = "sendonly"})};
    Signal answer{.sdp = peerSdp({.port = b.port(), .direction = "recvonly"})};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, offer, answer));

    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));
    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(1, kSsrcB)));
}

// A offers recvonly, B answers sendonly: A's RTP still reaches B.
TEST_F(MediaBridging, SendonlyAnswererStillGetsRtp) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Endpoint aSide, bSide;
    Signal offer{.sdp = peerSdp({.port = a.port(), .direction = "recvonly"})};
    Signal answer{.sdp = peerSdp({.port = b.port(), .direction = "sendonly"})};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, offer, answer));

    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));
    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(1, kSsrcA)));
}

// A sendrecv offer answered recvonly: B still receives A's RTP.
TEST_F(MediaBridging, RecvonlyAnswerStillReceives) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Endpoint aSide, bSide;
    Signal answer{.sdp = peerSdp({.port = b.port(), .direction = "recvonly"})};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, {}, answer));

    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(1, kSsrcA)));
    EXPECT_TRUE(nothingArrives(a));
}

// Both sides inactive: RTP still goes both ways.
TEST_F(MediaBridging, InactiveSidesStillExchangeRtp) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    Endpoint aSide, bSide;
    Signal offer{.sdp = peerSdp({.port = a.port(), .direction = "inactive"})};
    Signal answer{.sdp = peerSdp({.port = b.port(), .direction = "inactive"})};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, offer, answer));

    EXPECT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB)));
}

// RFC 3264 §5.1: RTCP is still sent to a sendonly (or inactive) side.
TEST_F(MediaBridging, RtcpStillReachesASendonlySide) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpRtcpPeer a, b;
    ASSERT_TRUE(a.bind() && b.bind());
    Endpoint aSide, bSide;
    Signal offer{.sdp = peerSdp({.port = a.rtp->port(), .direction = "sendonly"})};
    Signal answer{.sdp = peerSdp({.port = b.rtp->port(), .direction = "recvonly"})};
    ASSERT_NO_FATAL_FAILURE(establish(*a.rtp, *b.rtp, aSide, bSide, offer, answer));
    Endpoint aRtcp{"127.0.0.1", uint16_t(aSide.port + 1)},
        bRtcp{"127.0.0.1", uint16_t(bSide.port + 1)};

    EXPECT_TRUE(relays(*b.rtcp, bRtcp, *a.rtcp, aRtcp, rtcpReceiverReport(kSsrcB)));
    EXPECT_TRUE(relays(*a.rtcp, aRtcp, *b.rtcp, bRtcp, rtcpReceiverReport(kSsrcA)));
}

// --- TOS -------------------------------------------------------------------

// `TOS: 160` in the offer: relayed packets leave with TOS 160 both ways.
TEST_F(MediaBridging, TosIsSetOnMediaSockets) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(a.reportTos() && b.reportTos());
    Endpoint aSide, bSide;
    Signal offer{.tos = 160};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, offer));

    Datagram got;
    ASSERT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA), &got));
    EXPECT_EQ(got.tos, 160) << "at B";
    ASSERT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB), &got));
    EXPECT_EQ(got.tos, 160) << "at A";
}

// rtpengine applies `TOS` in offers only (call.c __tos_change: "We only do it
// in an offer, but then for both directions"): an answer without the key
// leaves the offer's value in place instead of reverting to --tos.
TEST_F(MediaBridging, AnswerWithoutTosKeepsTheOfferedTos) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate", "--tos=32"}));
    RtpPeer a, b;
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(a.reportTos() && b.reportTos());
    Endpoint aSide, bSide;
    Signal offer{.tos = 160};
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, offer));

    Datagram got;
    ASSERT_TRUE(relays(a, aSide, b, bSide, g711(0, kSsrcA), &got));
    EXPECT_EQ(got.tos, 160) << "at B";
    ASSERT_TRUE(relays(b, bSide, a, aSide, g711(0, kSsrcB), &got));
    EXPECT_EQ(got.tos, 160) << "at A";
}

}  // namespace
}  // namespace ngm::itest
