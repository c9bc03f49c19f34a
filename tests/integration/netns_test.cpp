// Media over real links instead of loopback: ngmediad runs in a network
// namespace of its own with one logical interface per veth link, and each
// peer sits in a namespace of its own, so a packet only arrives if the daemon
// sent it out of the right interface to an address that is really reachable.
// That shows what loopback cannot: `direction` picking the link facing each
// side, IPv4<->IPv6 between hosts, and a call surviving NAT (the daemon
// learns the NAT's public address from the first packet and its media gets
// back through the NAT).
//
//   bridging:  caller --left-- [media: ngmediad] --right-- callee
//   NAT:       caller 10.201.1.2 --lan-- 10.201.1.1 [media] 10.201.2.1 --wan--
//              10.201.2.2 [router, masquerade] 192.168.77.1 -- 192.168.77.2 callee
//
// Every test builds its own namespaces, so all use the same private
// addresses. Needs root and iproute2 (the NAT tests also nftables or
// iptables); skipped with the reason otherwise.
//
// Model (as in media_bridging_test.cpp): the offer reply advertises where
// the callee sends, the answer reply where the caller sends.
#include "netns.h"

#include <unistd.h>

#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using bencode::Value;

constexpr uint32_t kSsrcA = 0xA1A1A1A1;
constexpr uint32_t kSsrcB = 0xB2B2B2B2;

// --- SDP, ng and query -----------------------------------------------------

// A one-stream PCMU/PCMA audio SDP of a peer receiving RTP at `rtp` (RTCP on
// the next port).
std::string audioSdpOf(const Endpoint& rtp) {
    std::string family = isIpv6(rtp.address) ? "IP6" : "IP4";
    std::string s = "v=0\r\no=- 1545997027 1 IN " + family + " " + rtp.address + "\r\n";
    s += "s=tester\r\nc=IN " + family + " " + rtp.address + "\r\nt=0 0\r\n";
    s += "m=audio " + std::to_string(rtp.port) + " RTP/AVP 0 8\r\n";
    s += "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
    return s;
}


// The daemon's RTP and RTCP socket of one side of the call.
struct MediaSide {
    Endpoint rtp, rtcp;
};

// The side an offer or answer reply advertises; its c= must be `address`.
void advertisedSide(const Reply& r, const std::string& address, MediaSide& out) {
    ASSERT_EQ(r.result(), "ok") << r.describe();
    auto p = sdpMediaPorts(r.sdp());
    ASSERT_TRUE(p) << r.describe();
    ASSERT_EQ(p->address, address) << r.sdp();
    ASSERT_GT(p->rtp, 0) << r.sdp();
    out.rtp = {address, uint16_t(p->rtp)};
    out.rtcp = {address, uint16_t(p->rtcp > 0 ? p->rtcp : p->rtp + 1)};
}


// `key` is "endpoint" (where the daemon sends) or "advertised endpoint"
// (what the SDP said); an empty Endpoint when missing.
Endpoint queriedEndpoint(const Reply& q, const std::string& tag, size_t index,
                         std::string_view key = "endpoint") {
    const Value* s = queriedStream(q, tag, index);
    const Value* e = s ? lookup(*s, {key}) : nullptr;
    if (!e) return {};
    const Value* address = lookup(*e, {"address"});
    const Value* port = lookup(*e, {"port"});
    if (!address || !address->isString() || !port || !port->isInteger()) return {};
    return {std::string(address->str()), uint16_t(port->integer())};
}


std::string withPrefix(const std::string& address) {
    return address + (isIpv6(address) ? "/64" : "/24");
}

// --- fixture ---------------------------------------------------------------

class NetnsTest : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (std::string why = netnsUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
        // The first namespace is the real probe: in a container without
        // CAP_SYS_ADMIN `ip netns add` fails, which says nothing about ngmedia.
        if (!lab.add("media")) GTEST_SKIP() << "cannot create a network namespace: " << lab.error();
    }

    // The daemon in the "media" namespace, ng on that namespace's 127.0.0.1:
    // the ng client's socket is created in there too, so the test talks to
    // the daemon without either touching the host's loopback ports.
    void startDaemonInMedia(std::vector<std::string> args) {
        NetnsScope in(lab.path("media"));
        ASSERT_TRUE(in.ok()) << in.error();
        ASSERT_TRUE(startDaemon({.args = std::move(args)})) << daemon.error();
    }

    void bindIn(const std::string& role, const std::string& address, RtpRtcpPeer& peer) {
        NetnsScope in(lab.path(role));
        ASSERT_TRUE(in.ok()) << in.error();
        ASSERT_TRUE(peer.bind(address)) << "no RTP/RTCP port pair on " << address << " in " << role;
    }
    void bindIn(const std::string& role, const std::string& address,
                std::unique_ptr<RtpPeer>& peer) {
        NetnsScope in(lab.path(role));
        ASSERT_TRUE(in.ok()) << in.error();
        peer = std::make_unique<RtpPeer>(address);
        ASSERT_TRUE(peer->ok()) << "cannot bind " << address << " in " << role;
    }

    // Offer from the caller (tag alice), `direction` naming the interface
    // facing it and the one facing the callee.
    Reply sendOffer(const std::string& sdp, const std::vector<std::string>& direction) {
        Request r("offer");
        r.set("call-id", "call-1").set("from-tag", "alice").set("sdp", sdp);
        r.setListIfAny("direction", direction);
        return ng->request(r);
    }
    // Answer from the callee (tag bob); `flags` are about the callee.
    Reply sendAnswer(const std::string& sdp, const std::vector<std::string>& flags = {}) {
        Request r("answer");
        r.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob").set("sdp", sdp);
        r.setListIfAny("flags", flags);
        return ng->request(r);
    }

    NetnsLab lab;
};

// --- bridging between two links --------------------------------------------

class NetnsBridging : public NetnsTest {
  protected:
    // The caller on link "left", the callee on link "right", one logical
    // interface of the daemon on each; RTP and RTCP both ways must take the
    // link of their receiver and leave from the daemon's address there.
    void callAcrossLinks(const std::string& leftDaemon, const std::string& leftCaller,
                         const std::string& rightDaemon, const std::string& rightCallee) {
        if ((isIpv6(leftDaemon) || isIpv6(rightDaemon)) && access("/proc/net/if_inet6", F_OK) != 0)
            GTEST_SKIP() << "the kernel has no IPv6 (/proc/net/if_inet6 missing)";
        ASSERT_TRUE(lab.add("caller") && lab.add("callee")) << lab.error();
        ASSERT_TRUE(lab.link("media", "left", withPrefix(leftDaemon), "caller", "eth0",
                             withPrefix(leftCaller)))
            << lab.error();
        ASSERT_TRUE(lab.link("media", "right", withPrefix(rightDaemon), "callee", "eth0",
                             withPrefix(rightCallee)))
            << lab.error();
        ASSERT_NO_FATAL_FAILURE(startDaemonInMedia(
            {"--interface=left/" + leftDaemon, "--interface=right/" + rightDaemon}));
        RtpRtcpPeer a, b;
        ASSERT_NO_FATAL_FAILURE(bindIn("caller", leftCaller, a));
        ASSERT_NO_FATAL_FAILURE(bindIn("callee", rightCallee, b));

        MediaSide bSide, aSide;
        ASSERT_NO_FATAL_FAILURE(advertisedSide(
            sendOffer(audioSdpOf(a.rtp->endpoint()), {"left", "right"}), rightDaemon, bSide));
        ASSERT_NO_FATAL_FAILURE(
            advertisedSide(sendAnswer(audioSdpOf(b.rtp->endpoint())), leftDaemon, aSide));

        for (uint8_t i = 0; i < 2; i++) {
            EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(i, kSsrcA)))
                << "caller to callee, RTP " << int(i);
            EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(i, kSsrcB)))
                << "callee to caller, RTP " << int(i);
            EXPECT_TRUE(relays(*a.rtcp, aSide.rtcp, *b.rtcp, bSide.rtcp,
                               rtcpReceiverReport(kSsrcA, kSsrcB, i)))
                << "caller to callee, RTCP " << int(i);
            EXPECT_TRUE(relays(*b.rtcp, bSide.rtcp, *a.rtcp, aSide.rtcp,
                               rtcpReceiverReport(kSsrcB, kSsrcA, i)))
                << "callee to caller, RTCP " << int(i);
        }
        EXPECT_TRUE(nothingArrives(*a.rtp));
        EXPECT_TRUE(nothingArrives(*a.rtcp, milliseconds(0)));
        EXPECT_TRUE(nothingArrives(*b.rtp, milliseconds(0)));
        EXPECT_TRUE(nothingArrives(*b.rtcp, milliseconds(0)));
    }
};

// Two IPv4 nets that cannot reach each other: media gets across only through
// the daemon, out of the interface on the receiver's net.
TEST_F(NetnsBridging, DirectionPutsEachSideOnTheIpv4LinkThatReachesIt) {
    callAcrossLinks("10.201.1.1", "10.201.1.2", "10.201.2.1", "10.201.2.2");
}

TEST_F(NetnsBridging, Ipv4CallerAndIpv6CalleeOnSeparateLinksExchangeRtpAndRtcp) {
    callAcrossLinks("10.201.1.1", "10.201.1.2", "fd00:201:2::1", "fd00:201:2::2");
}

TEST_F(NetnsBridging, Ipv6CallerAndIpv4CalleeOnSeparateLinksExchangeRtpAndRtcp) {
    callAcrossLinks("fd00:201:1::1", "fd00:201:1::2", "10.201.2.1", "10.201.2.2");
}

// --- NAT -------------------------------------------------------------------

constexpr const char* kDaemonLan = "10.201.1.1";
constexpr const char* kCaller = "10.201.1.2";
constexpr const char* kDaemonWan = "10.201.2.1";
constexpr const char* kNatPublic = "10.201.2.2";
constexpr const char* kRouterLan = "192.168.77.1";
constexpr const char* kCallee = "192.168.77.2";
constexpr const char* kNatNet = "192.168.77.0/24";

class NetnsNat : public NetnsTest {
  protected:
    // caller -- media -- router -- callee as in the picture at the top. The
    // media namespace has no route to the callee's private net: only the NAT
    // gets packets there.
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        nft_ = findExecutable("nft");
        iptables_ = nft_.empty() ? findExecutable("iptables") : "";
        if (nft_.empty() && iptables_.empty())
            GTEST_SKIP() << "NAT needs nft (package nftables) or iptables (package iptables)";

        ASSERT_TRUE(lab.add("caller") && lab.add("router") && lab.add("callee")) << lab.error();
        ASSERT_TRUE(
            lab.link("media", "lan", withPrefix(kDaemonLan), "caller", "eth0", withPrefix(kCaller)))
            << lab.error();
        ASSERT_TRUE(lab.link("media", "wan", withPrefix(kDaemonWan), "router", "wan",
                             withPrefix(kNatPublic)))
            << lab.error();
        ASSERT_TRUE(lab.link("router", "lan", withPrefix(kRouterLan), "callee", "eth0",
                             withPrefix(kCallee)))
            << lab.error();
        ASSERT_TRUE(lab.ip("callee", {"route", "add", "default", "via", kRouterLan}))
            << lab.error();
        ASSERT_TRUE(lab.sysctl("router", "net/ipv4/ip_forward", "1")) << lab.error();
        if (!nft_.empty() &&
            !lab.exec("router", {nft_,
                                 "add table ip ngm_nat; add chain ip ngm_nat post { type "
                                 "nat hook postrouting priority 100; }"}))
            GTEST_SKIP() << "cannot set up NAT: " << lab.error();
        // A kernel without masquerading (nf_nat, nft_masq) says nothing about
        // ngmedia: find out here, with a rule for port 9 (discard), which no
        // peer uses.
        if (!masquerade(9, 9)) GTEST_SKIP() << "cannot set up NAT: " << lab.error();
    }

    // The daemon with "lan" facing the caller and "wan" facing the router.
    void startDaemonForNat(std::vector<std::string> args) {
        args.push_back(std::string("--interface=lan/") + kDaemonLan);
        args.push_back(std::string("--interface=wan/") + kDaemonWan);
        ASSERT_NO_FATAL_FAILURE(startDaemonInMedia(std::move(args)));
    }

    // The NAT sends what comes from the callee's `privatePort` out of the
    // public `publicPort`. Fixed mappings, unlike a real NAT's, so the test
    // knows the exact source the daemon must learn.
    void mapPort(uint16_t privatePort, uint16_t publicPort) {
        ASSERT_TRUE(masquerade(privatePort, publicPort)) << lab.error();
    }

    bool masquerade(uint16_t privatePort, uint16_t publicPort) {
        std::string from = std::to_string(privatePort), to = std::to_string(publicPort);
        if (nft_.empty())
            return lab.exec("router", {iptables_, "-w", "-t", "nat", "-A", "POSTROUTING", "-o",
                                       "wan", "-s", kNatNet, "-p", "udp", "--sport", from, "-j",
                                       "MASQUERADE", "--to-ports", to});
        return lab.exec("router", {nft_, "add rule ip ngm_nat post oifname \"wan\" ip saddr " +
                                             std::string(kNatNet) + " udp sport " + from +
                                             " masquerade to :" + to});
    }

    // The caller offers over "lan", the callee answers from behind the NAT
    // with its private address in the SDP.
    void establish(RtpRtcpPeer& a, RtpRtcpPeer& b, MediaSide& aSide, MediaSide& bSide,
                   const std::vector<std::string>& answerFlags = {}) {
        ASSERT_NO_FATAL_FAILURE(advertisedSide(
            sendOffer(audioSdpOf(a.rtp->endpoint()), {"lan", "wan"}), kDaemonWan, bSide));
        ASSERT_NO_FATAL_FAILURE(advertisedSide(
            sendAnswer(audioSdpOf(b.rtp->endpoint()), answerFlags), kDaemonLan, aSide));
    }

    std::string nft_, iptables_;
};

TEST_F(NetnsNat, CalleeBehindNatGetsMediaAtThePublicAddressLearnedFromItsFirstPacket) {
    ASSERT_NO_FATAL_FAILURE(startDaemonForNat({}));  // delayed endpoint learning, the default
    RtpRtcpPeer a, b;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", kCaller, a));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", kCallee, b));
    ASSERT_NO_FATAL_FAILURE(mapPort(b.rtp->port(), 20000));
    ASSERT_NO_FATAL_FAILURE(mapPort(b.rtcp->port(), 20001));
    MediaSide aSide, bSide;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide));
    const Endpoint natRtp{kNatPublic, 20000}, natRtcp{kNatPublic, 20001};

    Reply q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 0, "advertised endpoint"), b.rtp->endpoint())
        << q.describe();
    // Until the callee has sent, its private SDP address is all the daemon
    // has, and that is unreachable from the daemon.
    ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, g711(0, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*b.rtp));

    // The callee's first packet opens the NAT binding; the daemon sends back
    // to where it came from, and the NAT lets that in.
    EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(0, kSsrcB)));
    q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 0), natRtp) << q.describe();
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(1, kSsrcA)));

    // RTCP learns its own binding: the NAT gave it another public port.
    EXPECT_TRUE(relays(*b.rtcp, bSide.rtcp, *a.rtcp, aSide.rtcp, rtcpReceiverReport(kSsrcB)));
    q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 1), natRtcp) << q.describe();
    EXPECT_TRUE(relays(*a.rtcp, aSide.rtcp, *b.rtcp, bSide.rtcp, rtcpReceiverReport(kSsrcA)));

    EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(1, kSsrcB)));
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(2, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*a.rtp));
    EXPECT_TRUE(nothingArrives(*a.rtcp, milliseconds(0)));
    EXPECT_TRUE(nothingArrives(*b.rtp, milliseconds(0)));
    EXPECT_TRUE(nothingArrives(*b.rtcp, milliseconds(0)));
    q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 0), natRtp) << q.describe();
    EXPECT_EQ(queriedEndpoint(q, "alice", 0), a.rtp->endpoint()) << q.describe();
}

// With `strict source` the learned NAT binding is the only source the
// callee's side accepts: another host on the public side, and another
// binding of the same NAT, are dropped and counted. (Immediate learning:
// with delayed learning `strict source` only holds once the 3 s wait after
// the answer is over.)
TEST_F(NetnsNat, StrictSourceDropsAllButTheLearnedNatBinding) {
    ASSERT_NO_FATAL_FAILURE(startDaemonForNat({"--endpoint-learning=immediate"}));
    ASSERT_TRUE(lab.ip("router", {"addr", "add", "10.201.2.9/24", "dev", "wan"})) << lab.error();
    RtpRtcpPeer a, b;
    std::unique_ptr<RtpPeer> otherHost, otherBinding;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", kCaller, a));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", kCallee, b));
    ASSERT_NO_FATAL_FAILURE(bindIn("router", "10.201.2.9", otherHost));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", kCallee, otherBinding));
    ASSERT_NO_FATAL_FAILURE(mapPort(b.rtp->port(), 20000));
    ASSERT_NO_FATAL_FAILURE(mapPort(otherBinding->port(), 20002));
    MediaSide aSide, bSide;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, {"strict source"}));

    EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(0, kSsrcB)));
    Reply q = query("call-1");
    ASSERT_EQ(queriedEndpoint(q, "bob", 0), (Endpoint{kNatPublic, 20000})) << q.describe();
    int64_t errorsBefore = queriedStat(q, "bob", 0, "errors");

    for (uint16_t i = 0; i < 3; i++)
        ASSERT_TRUE(otherHost->sendTo(bSide.rtp, g711(100 + i, 0x0BADF00D)));
    for (uint16_t i = 0; i < 2; i++)
        ASSERT_TRUE(otherBinding->sendTo(bSide.rtp, g711(200 + i, kSsrcB)));
    EXPECT_TRUE(nothingArrives(*a.rtp));
    q = query("call-1");
    EXPECT_EQ(queriedStat(q, "bob", 0, "errors"), errorsBefore + 5) << q.describe();
    EXPECT_EQ(queriedEndpoint(q, "bob", 0), (Endpoint{kNatPublic, 20000})) << q.describe();

    EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(1, kSsrcB)));
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(0, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*otherHost));
    EXPECT_TRUE(nothingArrives(*otherBinding, milliseconds(0)));
}

// The callee's NAT binding changes mid-call (a new socket after a network
// change gets a new public port): with `media handover` the daemon's media
// follows the new binding at once, back through the NAT.
TEST_F(NetnsNat, MediaHandoverFollowsTheCalleeToANewNatBinding) {
    ASSERT_NO_FATAL_FAILURE(startDaemonForNat({"--endpoint-learning=immediate"}));
    RtpRtcpPeer a, b;
    std::unique_ptr<RtpPeer> moved;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", kCaller, a));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", kCallee, b));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", kCallee, moved));
    ASSERT_NO_FATAL_FAILURE(mapPort(b.rtp->port(), 20000));
    ASSERT_NO_FATAL_FAILURE(mapPort(moved->port(), 20002));
    MediaSide aSide, bSide;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aSide, bSide, {"media handover"}));

    EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(0, kSsrcB)));
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(0, kSsrcA)));
    Reply q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 0), (Endpoint{kNatPublic, 20000})) << q.describe();

    EXPECT_TRUE(relays(*moved, bSide.rtp, *a.rtp, aSide.rtp, g711(1, kSsrcB)));
    q = query("call-1");
    EXPECT_EQ(queriedEndpoint(q, "bob", 0), (Endpoint{kNatPublic, 20002})) << q.describe();
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *moved, bSide.rtp, g711(1, kSsrcA)));
    EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *moved, bSide.rtp, g711(2, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*b.rtp));
}

}  // namespace
}  // namespace ngm::itest
