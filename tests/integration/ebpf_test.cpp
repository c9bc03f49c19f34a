// The in-kernel (eBPF) fast path end to end: ngmediad with --table=0 in a
// network namespace of its own, the caller and the callee each in one of
// theirs, linked by veth pairs, so packets really cross devices and the TC
// program's redirect is exercised (loopback would not be).
//
//   caller 10.203.1.2 --left-- 10.203.1.1 [media: ngmediad] 10.203.2.1 --right-- 10.203.2.2 callee
//
// A settled plain call is forwarded by the kernel: packets arrive as
// userspace would send them (same bytes, from the daemon's socket), the
// `statistics` userspace totals stay where they were while the `_kernel`
// ones grow, and `query` counts every packet sent. What the kernel must not
// forward (another source) reaches userspace; a deleted call is forwarded
// no more. Needs root, iproute2 and a kernel that lets this process load
// BPF programs; skipped, saying which, otherwise.
#include <unistd.h>

#include <set>

#include "daemon_test.h"
#include "media_assertions.h"
#include "netns.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using bencode::Value;

constexpr uint32_t kSsrcA = 0xA1A1A1A1;
constexpr uint32_t kSsrcB = 0xB2B2B2B2;
constexpr const char* kDaemonLeft = "10.203.1.1";
constexpr const char* kCaller = "10.203.1.2";
constexpr const char* kDaemonRight = "10.203.2.1";
constexpr const char* kCallee = "10.203.2.2";

std::string audioSdpOf(const Endpoint& rtp) {
    std::string family = isIpv6(rtp.address) ? "IP6" : "IP4";
    std::string s = "v=0\r\no=- 1545997027 1 IN " + family + " " + rtp.address + "\r\n";
    s += "s=tester\r\nc=IN " + family + " " + rtp.address + "\r\nt=0 0\r\n";
    s += "m=audio " + std::to_string(rtp.port) + " RTP/AVP 0 8\r\n";
    s += "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
    return s;
}

struct MediaSide {
    Endpoint rtp, rtcp;
};

void advertisedSide(const Reply& r, const std::string& address, MediaSide& out) {
    ASSERT_EQ(r.result(), "ok") << r.describe();
    auto p = sdpMediaPorts(r.sdp());
    ASSERT_TRUE(p) << r.describe();
    ASSERT_EQ(p->address, address) << r.sdp();
    out.rtp = {address, uint16_t(p->rtp)};
    out.rtcp = {address, uint16_t(p->rtcp > 0 ? p->rtcp : p->rtp + 1)};
}

int64_t integerAt(const Reply& r, std::initializer_list<std::string_view> path) {
    const Value* v = r.get(path);
    return v && v->isInteger() ? v->integer() : -1;
}

// query's streams by "tag/local port" with the flag `flag` (rtpengine's
// "kernelized" for a stream its kernel path forwards).
std::set<std::string> streamsFlagged(const Reply& q, std::string_view flag) {
    std::set<std::string> out;
    const Value* tags = q.get({"tags"});
    if (!tags) return out;
    for (const auto& [tag, t] : tags->entries()) {
        const Value* medias = t.find("medias");
        if (!medias || !medias->isList()) continue;
        for (const Value& m : medias->items()) {
            const Value* streams = m.find("streams");
            if (!streams || !streams->isList()) continue;
            for (const Value& st : streams->items()) {
                const Value* flags = st.find("flags");
                const Value* port = st.find("local port");
                if (!flags || !flags->isList()) continue;
                for (const Value& f : flags->items())
                    if (f.isString() && f.str() == flag)
                        out.insert(
                            std::string(tag) + "/" +
                            std::to_string(port && port->isInteger() ? port->integer() : -1));
            }
        }
    }
    return out;
}

class KernelPath : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle()) GTEST_SKIP() << "rtpengine's kernel path is its own kernel module";
        if (std::string why = netnsUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
        if (!lab.add("media")) GTEST_SKIP() << "cannot create a network namespace: " << lab.error();
        ASSERT_TRUE(lab.add("caller") && lab.add("callee")) << lab.error();
        ASSERT_TRUE(lab.link("media", "left", std::string(kDaemonLeft) + "/24", "caller", "eth0",
                             std::string(kCaller) + "/24"))
            << lab.error();
        ASSERT_TRUE(lab.link("media", "right", std::string(kDaemonRight) + "/24", "callee", "eth0",
                             std::string(kCallee) + "/24"))
            << lab.error();
    }

    // The daemon in "media" with the kernel path asked for; skips when this
    // machine does not let it load BPF (the log line says why).
    void startWithKernelPath(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--table=0", "--endpoint-learning=immediate",
                                         "--interface=left/" + left, "--interface=right/" + right};
        args.insert(args.end(), extra.begin(), extra.end());
        {
            NetnsScope in(lab.path("media"));
            ASSERT_TRUE(in.ok()) << in.error();
            ASSERT_TRUE(startDaemon({.args = args})) << daemon.error();
        }
        std::string log;
        ASSERT_TRUE(eventually(
            [&] {
                log = daemon.log();
                return log.find("In-kernel forwarding") != std::string::npos;
            },
            milliseconds(2000)))
            << "no line about in-kernel forwarding in the log:\n"
            << log;
        size_t at = log.find("In-kernel forwarding is not available");
        if (at != std::string::npos) {
            std::string line = log.substr(at, log.find('\n', at) - at);
            if (line.find("not permitted") != std::string::npos)
                GTEST_SKIP() << "this machine does not let ngmediad load BPF programs: " << line;
            FAIL() << "the kernel path did not come up: " << line;
        }
        EXPECT_NE(log.find("In-kernel forwarding (eBPF, table 0) on left, right"),
                  std::string::npos)
            << log;
    }

    void bindIn(const std::string& role, const std::string& address, RtpRtcpPeer& peer) {
        NetnsScope in(lab.path(role));
        ASSERT_TRUE(in.ok()) << in.error();
        ASSERT_TRUE(peer.bind(address)) << "no RTP/RTCP port pair on " << address << " in " << role;
    }

    // Caller and callee bound, the call set up, and one packet each way
    // (and once more), which settles both ends: from then on the streams
    // are the kernel's.
    void establish(std::vector<std::string> offerFlags = {}) {
        ASSERT_NO_FATAL_FAILURE(bindIn("caller", callerAddr, a));
        ASSERT_NO_FATAL_FAILURE(bindIn("callee", calleeAddr, b));
        Request o("offer");
        o.set("call-id", "call-1")
            .set("from-tag", "alice")
            .set("sdp", audioSdpOf(a.rtp->endpoint()));
        o.setListIfAny("direction", {"left", "right"});
        o.setListIfAny("flags", offerFlags);
        if (!offerFamily.empty()) o.set("address family", offerFamily);
        ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(o), right, bSide));
        Request an("answer");
        an.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob");
        an.set("sdp", audioSdpOf(b.rtp->endpoint()));
        ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(an), left, aSide));
        for (uint16_t i = 0; i < 2; i++) {
            ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
            ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
            ASSERT_TRUE(relays(*a.rtcp, aSide.rtcp, *b.rtcp, bSide.rtcp,
                               rtcpReceiverReport(kSsrcA, kSsrcB, 0)));
            ASSERT_TRUE(relays(*b.rtcp, bSide.rtcp, *a.rtcp, aSide.rtcp,
                               rtcpReceiverReport(kSsrcB, kSsrcA, 0)));
        }
        sent = 8;
        sentBytes = 4 * g711(0, kSsrcA).size() + 4 * rtcpReceiverReport(kSsrcA, kSsrcB, 0).size();
    }

    void forwardsAndCounts();
    void lossScenario();
    void interleavedSsrcScenario();

    // The `statistics` relayed-packet totals (userspace's, the kernel's),
    // once the workers have handed the kernel's counters back (once a
    // second).
    std::pair<int64_t, int64_t> relayed() {
        Reply s = statistics();
        return {integerAt(s, {"statistics", "totalstatistics", "relayedpackets_user"}),
                integerAt(s, {"statistics", "totalstatistics", "relayedpackets_kernel"})};
    }

    // The same links with IPv6 addresses too, and the call on them.
    void useIpv6() {
        if (access("/proc/net/if_inet6", F_OK) != 0)
            GTEST_SKIP() << "the kernel has no IPv6 (/proc/net/if_inet6 missing)";
        left = "fd00:203:1::1";
        callerAddr = "fd00:203:1::2";
        right = "fd00:203:2::1";
        calleeAddr = "fd00:203:2::2";
        ASSERT_TRUE(lab.ip("media", {"addr", "add", left + "/64", "dev", "left", "nodad"}))
            << lab.error();
        ASSERT_TRUE(lab.ip("caller", {"addr", "add", callerAddr + "/64", "dev", "eth0", "nodad"}))
            << lab.error();
        ASSERT_TRUE(lab.ip("media", {"addr", "add", right + "/64", "dev", "right", "nodad"}))
            << lab.error();
        ASSERT_TRUE(lab.ip("callee", {"addr", "add", calleeAddr + "/64", "dev", "eth0", "nodad"}))
            << lab.error();
    }

    // The callee's side in IPv6 only (the caller's stays IPv4): the daemon
    // bridges the two families.
    void useBridging() {
        if (access("/proc/net/if_inet6", F_OK) != 0)
            GTEST_SKIP() << "the kernel has no IPv6 (/proc/net/if_inet6 missing)";
        right = "fd00:219:2::1";
        calleeAddr = "fd00:219:2::2";
        offerFamily = "IP6";
        ASSERT_TRUE(lab.ip("media", {"addr", "add", right + "/64", "dev", "right", "nodad"}))
            << lab.error();
        ASSERT_TRUE(lab.ip("callee", {"addr", "add", calleeAddr + "/64", "dev", "eth0", "nodad"}))
            << lab.error();
    }

    std::string offerFamily;  // the offer's `address family`, if any
    std::string left = kDaemonLeft, callerAddr = kCaller, right = kDaemonRight,
                calleeAddr = kCallee;
    NetnsLab lab;
    RtpRtcpPeer a, b;
    MediaSide aSide, bSide;
    uint16_t seq = 0;
    int64_t sent = 0, sentBytes = 0;
};

// A settled call: every packet from then on is the kernel's; the counters
// say so and add up to what was sent.
void KernelPath::forwardsAndCounts() {
    ASSERT_NO_FATAL_FAILURE(establish());
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    ASSERT_GE(user0, 4) << "the first packets, before both ends were settled, are userspace's";

    constexpr int kEach = 50;
    for (int i = 0; i < kEach; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB))) << i;
    }
    for (uint8_t i = 1; i <= 5; i++) {
        ASSERT_TRUE(relays(*a.rtcp, aSide.rtcp, *b.rtcp, bSide.rtcp,
                           rtcpReceiverReport(kSsrcA, kSsrcB, i)));
        ASSERT_TRUE(relays(*b.rtcp, bSide.rtcp, *a.rtcp, aSide.rtcp,
                           rtcpReceiverReport(kSsrcB, kSsrcA, i)));
    }
    const int64_t kernelSent = 2 * kEach + 10;
    sent += kernelSent;
    sentBytes +=
        2 * kEach * g711(0, kSsrcA).size() + 10 * rtcpReceiverReport(kSsrcA, kSsrcB, 1).size();

    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + kernelSent;
        },
        milliseconds(3000)))
        << "kernel " << now.second << ", wanted " << kernel0 + kernelSent;
    EXPECT_EQ(now.first, user0) << "userspace received packets the kernel should have forwarded";
    EXPECT_EQ(now.second, kernel0 + kernelSent);
    // Both media sections (each side's) are the kernel's.
    Reply st = statistics();
    EXPECT_EQ(integerAt(st, {"statistics", "currentstatistics", "media_kernel"}), 2);
    EXPECT_EQ(integerAt(st, {"statistics", "currentstatistics", "media_userspace"}), 0);
    EXPECT_EQ(integerAt(st, {"statistics", "currentstatistics", "media_mixed"}), 0);

    // query sees every packet, whichever path carried it.
    Reply q = query("call-1");
    ASSERT_EQ(q.result(), "ok") << q.describe();
    int64_t packets =
        integerAt(q, {"totals", "RTP", "packets"}) + integerAt(q, {"totals", "RTCP", "packets"});
    int64_t bytes =
        integerAt(q, {"totals", "RTP", "bytes"}) + integerAt(q, {"totals", "RTCP", "bytes"});
    EXPECT_EQ(packets, sent) << q.describe();
    EXPECT_EQ(bytes, sentBytes) << q.describe();
    // Every stream of both sides (RTP and RTCP) is flagged "kernelized",
    // as rtpengine flags the streams its kernel module forwards.
    EXPECT_EQ(streamsFlagged(q, "kernelized").size(), 4u) << q.describe();
}

TEST_F(KernelPath, ASettledCallIsForwardedByTheKernelAndCountedAsSuch) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    forwardsAndCounts();
}

TEST_F(KernelPath, ASettledIpv6CallIsForwardedByTheKernel) {
    ASSERT_NO_FATAL_FAILURE(useIpv6());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    forwardsAndCounts();
}

// IPv4 on the caller's side, IPv6 on the callee's: the kernel rewrites the
// IP header both ways and forwards it all, counted as in the same-family
// case (userspace only saw the first packets).
TEST_F(KernelPath, Ipv4ToIpv6BridgingIsForwardedByTheKernel) {
    ASSERT_NO_FATAL_FAILURE(useBridging());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    forwardsAndCounts();
}

// A datagram that fits the caller's link in IPv4 but not the callee's once
// its header is 20 bytes longer goes up to userspace, whose IPv6 socket
// sends it (fragmented): it arrives whole, and the next small one is the
// kernel's again.
TEST_F(KernelPath, ABridgedDatagramTooBigForTheIpv6LinkIsSentByUserspace) {
    ASSERT_NO_FATAL_FAILURE(useBridging());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    // 1500-byte MTU: 20 + 8 + 1466 fits in IPv4, 40 + 8 + 1466 does not in IPv6.
    Bytes big = rtpPacket(0, seq, 160u * seq, kSsrcA, patternPayload(1454, 7));
    seq++;
    ASSERT_EQ(big.size(), 1466u);
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, big));
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.first >= user0 + 1 && now.second >= kernel0 + 1;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first, user0 + 1) << "the big one: userspace's";
    EXPECT_EQ(now.second, kernel0 + 1) << "the small one after it: the kernel's";
}

TEST_F(KernelPath, RtpOfPeersThatSendNoRtcpIsForwardedByTheKernel) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", callerAddr, a));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", calleeAddr, b));
    Request o("offer");
    o.set("call-id", "call-1").set("from-tag", "alice").set("sdp", audioSdpOf(a.rtp->endpoint()));
    o.setListIfAny("direction", {"left", "right"});
    ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(o), right, bSide));
    Request an("answer");
    an.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob");
    an.set("sdp", audioSdpOf(b.rtp->endpoint()));
    ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(an), left, aSide));
    for (int i = 0; i < 2; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
    }
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    for (int i = 0; i < 20; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB))) << i;
    }
    // RTCP that comes after all goes to the SDP's RTCP port, by the kernel.
    ASSERT_TRUE(
        relays(*a.rtcp, aSide.rtcp, *b.rtcp, bSide.rtcp, rtcpReceiverReport(kSsrcA, kSsrcB, 1)));
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 40;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.second, kernel0 + 40);
    EXPECT_EQ(now.first, user0 + 1) << "the caller's RTCP stream was not settled: userspace's";
}

// --timeout sees what the kernel forwarded: a call whose media is all the
// kernel's lives on while it flows and ends when it stops.
TEST_F(KernelPath, TheMediaTimeoutCountsKernelForwardedPackets) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath({"--timeout=2"}));
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    auto until = std::chrono::steady_clock::now() + milliseconds(4500);
    while (std::chrono::steady_clock::now() < until) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
        std::this_thread::sleep_for(milliseconds(100));
    }
    auto [user, kernel] = relayed();
    EXPECT_GT(kernel, 40) << "the media was not the kernel's";
    EXPECT_TRUE(isListed("call-1")) << "timed out while the kernel forwarded its media";
    EXPECT_TRUE(eventually([&] { return !isListed("call-1"); }, milliseconds(6000)))
        << "still there long after its media stopped";
}

// block media on a stream the kernel forwards: its next packet comes up
// (userspace drops it and offers the stream again), then the kernel drops
// the caller's media itself, counting it; the other direction stays the
// kernel's throughout. unblock forwards again; nothing is lost or
// duplicated around either change.
TEST_F(KernelPath, BlockMediaDropsInTheKernelAndUnblockForwardsAgain) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    auto control = [&](const char* command) {
        Request r(command);
        r.set("call-id", "call-1").set("from-tag", "alice");
        return ng->request(r).result();
    };
    const std::string aliceRtp = "alice/" + std::to_string(aSide.rtp.port);
    const std::string bobRtp = "bob/" + std::to_string(bSide.rtp.port);
    // The command configures every stream of the call anew: each one's next
    // packet passes userspace, which offers it again.
    ASSERT_EQ(control("block media"), "ok");
    ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, g711(seq++, kSsrcA)));
    ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
    EXPECT_TRUE(nothingArrives(*b.rtp)) << "blocked media left the relay";
    Reply q;
    EXPECT_TRUE(eventually(
        [&] {
            q = query("call-1");
            auto k = streamsFlagged(q, "kernelized");
            return k.count(aliceRtp) == 1 && k.count(bobRtp) == 1;
        },
        milliseconds(3000)))
        << "the blocked stream did not go back to the kernel\n"
        << q.describe();
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    for (int i = 0; i < 5; i++) {
        ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, g711(seq++, kSsrcA)));
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB))) << i;
    }
    EXPECT_TRUE(nothingArrives(*b.rtp)) << "blocked media left the relay";
    // Dropped in the kernel, and counted as received there, as userspace
    // counts what it drops.
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 10;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.second, kernel0 + 10);
    EXPECT_EQ(now.first, user0) << "userspace saw packets the kernel should have dropped";
    ASSERT_EQ(control("unblock media"), "ok");
    for (int i = 0; i < 10; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB))) << i;
    }
    EXPECT_TRUE(nothingArrives(*b.rtp));
    EXPECT_TRUE(nothingArrives(*a.rtp, milliseconds(0)));
    // The caller's stream is the kernel's again, forwarding.
    std::this_thread::sleep_for(milliseconds(1200));
    std::tie(user0, kernel0) = relayed();
    for (int i = 0; i < 10; i++)
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 10;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first, user0);
}

// silence media rewrites payloads: the stream goes back to userspace, which
// sends silence; unsilence gives it back to the kernel.
TEST_F(KernelPath, SilenceMediaStaysInUserspace) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    Request r("silence media");
    r.set("call-id", "call-1").set("from-tag", "alice");
    ASSERT_EQ(ng->request(r).result(), "ok");
    for (int i = 0; i < 5; i++) {
        Bytes pcmu = g711(seq++, kSsrcA);
        Bytes silent = pcmu;
        std::fill(silent.begin() + 12, silent.end(), 0xFF);
        ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, pcmu));
        ASSERT_TRUE(arrives(*b.rtp, silent, bSide.rtp)) << i;
    }
    Reply q = query("call-1");
    EXPECT_EQ(streamsFlagged(q, "kernelized").count("alice/" + std::to_string(aSide.rtp.port)), 0u)
        << q.describe();
}

// A payload type the call did not negotiate (the SDPs have 0 and 8) goes up
// to userspace, which forwards it as it forwards any: the callee gets the
// same bytes either way, and the stream stays the kernel's for the rest.
TEST_F(KernelPath, APayloadTypeOutsideTheNegotiatedSetIsUserspacesAndArrivesTheSame) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    for (int i = 0; i < 5; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
        Bytes g729 =
            rtpPacket(18, seq, 160u * seq, kSsrcA, patternPayload(20, uint8_t(seq)), false);
        seq++;
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g729)) << i;
    }
    EXPECT_TRUE(nothingArrives(*b.rtp));
    // Each G.729 packet takes the stream out of the kernel and back (a
    // PCMU packet sent right after may still find it out): all ten are
    // counted once, the G.729 ones by userspace.
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.first + now.second >= user0 + kernel0 + 10;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first + now.second, user0 + kernel0 + 10);
    EXPECT_GE(now.first, user0 + 5) << "the unnegotiated payload type is userspace's";
    // And PCMU is the kernel's again.
    const std::string aliceRtp = "alice/" + std::to_string(aSide.rtp.port);
    Reply q;
    EXPECT_TRUE(eventually(
        [&] {
            q = query("call-1");
            return streamsFlagged(q, "kernelized").count(aliceRtp) == 1;
        },
        milliseconds(3000)))
        << q.describe();
    std::this_thread::sleep_for(milliseconds(1200));
    std::tie(user0, kernel0) = relayed();
    for (int i = 0; i < 5; i++)
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA))) << i;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 5;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first, user0);
    EXPECT_EQ(now.second, kernel0 + 5);
}

// query's SSRC figures are the same whichever path carried the media: the
// caller's RTP with gaps, forwarded by the kernel here and by userspace in
// the next test, shows the same SSRC and cumulative loss.
void KernelPath::lossScenario() {
    ASSERT_NO_FATAL_FAILURE(establish());  // the caller sent seq 0 and 2
    for (int i = 0; i < 40; i++) {
        uint16_t s = uint16_t(4 + i);
        if (i % 10 == 3) continue;  // 7, 17, 27, 37 lost
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(s, kSsrcA))) << i;
    }
    // 0..43 expected, 1, 3 and four more missing.
    const int64_t kLost = 6;
    const std::string ssrc = std::to_string(kSsrcA);
    Reply q;
    EXPECT_TRUE(eventually(
        [&] {
            q = query("call-1");
            return integerAt(q, {"SSRC", ssrc, "cumulative loss"}) == kLost;
        },
        milliseconds(3000)))
        << q.describe();
    EXPECT_EQ(integerAt(q, {"SSRC", ssrc, "cumulative loss"}), kLost);
}

TEST_F(KernelPath, QueryShowsTheSsrcLossOfKernelForwardedMedia) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(lossScenario());
    Reply q = query("call-1");
    EXPECT_EQ(streamsFlagged(q, "kernelized").count("alice/" + std::to_string(aSide.rtp.port)), 1u)
        << q.describe();
}

TEST_F(KernelPath, QueryShowsTheSameSsrcLossForUserspaceForwardedMedia) {
    {
        NetnsScope in(lab.path("media"));
        ASSERT_TRUE(in.ok()) << in.error();
        ASSERT_TRUE(
            startDaemon({.args = {"--table=-1", "--endpoint-learning=immediate",
                                  "--interface=left/" + left, "--interface=right/" + right}}))
            << daemon.error();
    }
    ASSERT_NO_FATAL_FAILURE(lossScenario());
    EXPECT_TRUE(streamsFlagged(query("call-1"), "kernelized").empty());
}

// The caller interleaves two SSRCs, each with its own losses: query lists
// both with their own cumulative loss, the same whether the kernel or
// userspace forwarded them (the next two tests).
void KernelPath::interleavedSsrcScenario() {
    constexpr uint32_t kSsrcC = 0xC3C3C3C3;
    ASSERT_NO_FATAL_FAILURE(establish());  // the caller sent seq 0 and 2 of A
    for (int i = 0; i < 40; i++) {
        if (i % 10 != 3) {  // A: 7, 17, 27, 37 lost
            ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(uint16_t(4 + i), kSsrcA)))
                << i;
        }
        if (i % 20 != 5) {  // C: 1005 and 1025 lost
            ASSERT_TRUE(
                relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(uint16_t(1000 + i), kSsrcC)))
                << i;
        }
    }
    const std::string ssrcA = std::to_string(kSsrcA), ssrcC = std::to_string(kSsrcC);
    Reply q;
    EXPECT_TRUE(eventually(
        [&] {
            q = query("call-1");
            return integerAt(q, {"SSRC", ssrcA, "cumulative loss"}) == 6 &&
                   integerAt(q, {"SSRC", ssrcC, "cumulative loss"}) == 2;
        },
        milliseconds(3000)))
        << q.describe();
    EXPECT_EQ(integerAt(q, {"SSRC", ssrcA, "cumulative loss"}), 6) << q.describe();
    EXPECT_EQ(integerAt(q, {"SSRC", ssrcC, "cumulative loss"}), 2) << q.describe();
    EXPECT_NE(q.get({"SSRC", std::to_string(kSsrcB)}), nullptr) << q.describe();
}

TEST_F(KernelPath, QueryListsEachInterleavedSsrcWithItsLossFromTheKernel) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(interleavedSsrcScenario());
    // The 74 interleaved packets were the kernel's (counted back within the
    // 3 s the scenario waited for query's figures).
    EXPECT_GE(relayed().second, 74);
    EXPECT_EQ(streamsFlagged(query("call-1"), "kernelized")
                  .count("alice/" + std::to_string(aSide.rtp.port)),
              1u);
}

TEST_F(KernelPath, QueryListsEachInterleavedSsrcWithTheSameLossFromUserspace) {
    {
        NetnsScope in(lab.path("media"));
        ASSERT_TRUE(in.ok()) << in.error();
        ASSERT_TRUE(
            startDaemon({.args = {"--table=-1", "--endpoint-learning=immediate",
                                  "--interface=left/" + left, "--interface=right/" + right}}))
            << daemon.error();
    }
    ASSERT_NO_FATAL_FAILURE(interleavedSsrcScenario());
    EXPECT_TRUE(streamsFlagged(query("call-1"), "kernelized").empty());
}

// rtcp-mux on the caller's side only (`rtcp-mux: demux`): the caller's
// RTCP arrives on its RTP port and leaves for the callee's RTCP port, the
// callee's comes back to the caller's RTP port, all in the kernel.
TEST_F(KernelPath, RtcpMuxOnOneSideIsBridgedByTheKernel) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", callerAddr, a));
    ASSERT_NO_FATAL_FAILURE(bindIn("callee", calleeAddr, b));
    std::string muxed = audioSdpOf(a.rtp->endpoint()) + "a=rtcp-mux\r\n";
    Request o("offer");
    o.set("call-id", "call-1").set("from-tag", "alice").set("sdp", muxed);
    o.setListIfAny("direction", {"left", "right"});
    o.setListIfAny("rtcp-mux", {"demux"});
    Reply offered = ng->request(o);
    ASSERT_NO_FATAL_FAILURE(advertisedSide(offered, right, bSide));
    EXPECT_EQ(offered.sdp().find("a=rtcp-mux"), std::string::npos) << offered.sdp();
    Request an("answer");
    an.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob");
    an.set("sdp", audioSdpOf(b.rtp->endpoint()));
    Reply answered = ng->request(an);
    ASSERT_NO_FATAL_FAILURE(advertisedSide(answered, left, aSide));
    ASSERT_NE(answered.sdp().find("a=rtcp-mux"), std::string::npos) << answered.sdp();

    auto round = [&](uint8_t i) {
        EXPECT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
        EXPECT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
        EXPECT_TRUE(
            relays(*a.rtp, aSide.rtp, *b.rtcp, bSide.rtcp, rtcpReceiverReport(kSsrcA, kSsrcB, i)));
        EXPECT_TRUE(
            relays(*b.rtcp, bSide.rtcp, *a.rtp, aSide.rtp, rtcpReceiverReport(kSsrcB, kSsrcA, i)));
    };
    round(0);
    round(1);
    ASSERT_FALSE(HasFailure());
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    for (uint8_t i = 2; i < 7; i++) round(i);
    EXPECT_TRUE(nothingArrives(*a.rtcp));
    EXPECT_TRUE(nothingArrives(*b.rtp, milliseconds(0)));
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 20;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.second, kernel0 + 20);
    EXPECT_EQ(now.first, user0);
}

TEST_F(KernelPath, AnotherSourceIsLeftToUserspace) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    // The caller's RTCP socket sends RTP to the RTP port: not the settled
    // source, so the kernel hands it up, and userspace (no strict source)
    // forwards it.
    ASSERT_TRUE(relays(*a.rtcp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 1;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first, user0 + 1);
    EXPECT_EQ(now.second, kernel0 + 1);
}

TEST_F(KernelPath, StrictSourceDropsAnotherSourceAndTheKernelDoesNotForwardIt) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish({"strict source"}));
    ASSERT_TRUE(a.rtcp->sendTo(aSide.rtp, g711(seq++, kSsrcA)));
    EXPECT_TRUE(nothingArrives(*b.rtp));
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
}

TEST_F(KernelPath, JunkFromTheSettledSourceIsNotForwarded) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, Bytes{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                               0x09, 0x0a, 0x0b, 0x0c}));
    Bytes v1 = g711(seq++, kSsrcA);
    v1[0] = 0x40;  // RTP version 1
    ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, v1));
    EXPECT_TRUE(nothingArrives(*b.rtp));
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
}

TEST_F(KernelPath, ADeletedCallIsForwardedNoMore) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
    ASSERT_EQ(deleteNow("call-1", "alice").result(), "ok");
    ASSERT_TRUE(a.rtp->sendTo(aSide.rtp, g711(seq++, kSsrcA)));
    ASSERT_TRUE(b.rtp->sendTo(bSide.rtp, g711(seq++, kSsrcB)));
    EXPECT_TRUE(nothingArrives(*b.rtp));
    EXPECT_TRUE(nothingArrives(*a.rtp, milliseconds(0)));
}

TEST_F(KernelPath, NoFallbackStartsWhenTheKernelPathIsThere) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath({"--no-fallback"}));
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
}

TEST_F(KernelPath, AReInviteToANewPortMovesTheMediaWithoutLossOrDuplicates) {
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(establish());
    for (int i = 0; i < 5; i++) {
        ASSERT_TRUE(relays(*a.rtp, aSide.rtp, *b.rtp, bSide.rtp, g711(seq++, kSsrcA)));
        ASSERT_TRUE(relays(*b.rtp, bSide.rtp, *a.rtp, aSide.rtp, g711(seq++, kSsrcB)));
    }
    // The caller moves to another port pair.
    RtpRtcpPeer a2;
    ASSERT_NO_FATAL_FAILURE(bindIn("caller", callerAddr, a2));
    Request o("offer");
    o.set("call-id", "call-1").set("from-tag", "alice").set("sdp", audioSdpOf(a2.rtp->endpoint()));
    o.setListIfAny("direction", {"left", "right"});
    MediaSide bSide2, aSide2;
    ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(o), right, bSide2));
    Request an("answer");
    an.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob");
    an.set("sdp", audioSdpOf(b.rtp->endpoint()));
    ASSERT_NO_FATAL_FAILURE(advertisedSide(ng->request(an), left, aSide2));
    for (int i = 0; i < 20; i++) {
        ASSERT_TRUE(relays(*b.rtp, bSide2.rtp, *a2.rtp, aSide2.rtp, g711(seq++, kSsrcB))) << i;
        ASSERT_TRUE(relays(*a2.rtp, aSide2.rtp, *b.rtp, bSide2.rtp, g711(seq++, kSsrcA))) << i;
        // RTCP too: a stream is offloaded once all its sinks are settled.
        if (i < 2) {
            ASSERT_TRUE(relays(*a2.rtcp, aSide2.rtcp, *b.rtcp, bSide2.rtcp,
                               rtcpReceiverReport(kSsrcA, kSsrcB, uint8_t(i))));
            ASSERT_TRUE(relays(*b.rtcp, bSide2.rtcp, *a2.rtcp, aSide2.rtcp,
                               rtcpReceiverReport(kSsrcB, kSsrcA, uint8_t(i))));
        }
    }
    EXPECT_TRUE(nothingArrives(*a.rtp));
    EXPECT_TRUE(nothingArrives(*a2.rtp, milliseconds(0)));
    EXPECT_TRUE(nothingArrives(*b.rtp, milliseconds(0)));
    // Settled again on the new port: the kernel's once more.
    std::this_thread::sleep_for(milliseconds(1200));
    auto [user0, kernel0] = relayed();
    for (int i = 0; i < 10; i++) {
        ASSERT_TRUE(relays(*b.rtp, bSide2.rtp, *a2.rtp, aSide2.rtp, g711(seq++, kSsrcB))) << i;
        ASSERT_TRUE(relays(*a2.rtp, aSide2.rtp, *b.rtp, bSide2.rtp, g711(seq++, kSsrcA))) << i;
    }
    std::pair<int64_t, int64_t> now;
    EXPECT_TRUE(eventually(
        [&] {
            now = relayed();
            return now.second >= kernel0 + 20;
        },
        milliseconds(3000)));
    EXPECT_EQ(now.first, user0);
    EXPECT_EQ(now.second, kernel0 + 20);
}

TEST_F(KernelPath, StoppingTheDaemonTakesTheProgramOffTheDevices) {
    std::string tc = findExecutable("tc");
    if (tc.empty()) GTEST_SKIP() << "tc (package iproute2) is not installed";
    ASSERT_NO_FATAL_FAILURE(startWithKernelPath());
    if (IsSkipped()) return;
    auto filters = [&] {
        return runCommand({findExecutable("ip"), "netns", "exec", lab.name("media"), tc, "filter",
                           "show", "dev", "left", "ingress"})
            .output;
    };
    EXPECT_NE(filters().find("ngm_forward"), std::string::npos) << filters();
    daemon.stop();
    EXPECT_TRUE(daemon.stoppedCleanly());
    EXPECT_EQ(filters().find("ngm_forward"), std::string::npos) << filters();
}

}  // namespace
}  // namespace ngm::itest
