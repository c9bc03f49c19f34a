// Offer/answer/delete against the real daemon: the SDP it hands out and the
// sockets behind it.
#include "daemon_test.h"

namespace ngm::itest {
namespace {

using bencode::Value;
using Signalling = DaemonTest;

const Value* firstStream(const Reply& q, const std::string& tag) {
    const auto* medias = q.get({"tags", tag, "medias"});
    if (!medias || !medias->isList() || medias->items().empty()) return nullptr;
    const auto* streams = lookup(medias->items()[0], {"streams"});
    if (!streams || !streams->isList() || streams->items().empty()) return nullptr;
    return &streams->items()[0];
}

int64_t localPort(const Reply& q, const std::string& tag) {
    const Value* s = firstStream(q, tag);
    const Value* p = s ? lookup(*s, {"local port"}) : nullptr;
    return p && p->isInteger() ? p->integer() : -1;
}

TEST_F(Signalling, PingAnswersPong) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply r = ng->request(Request("ping"));
    ASSERT_TRUE(r.decoded()) << r.describe();
    EXPECT_EQ(r.result(), "pong");
    EXPECT_EQ(r.root().entries().size(), 1u) << r.describe();
}

TEST_F(Signalling, OfferAllocatesBoundPortPair) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply r = offer("c1", "alice", audioSdp(2000));
    ASSERT_EQ(r.result(), "ok") << r.describe();
    auto ports = sdpMediaPorts(r.sdp());
    ASSERT_TRUE(ports) << r.sdp();
    EXPECT_EQ(ports->address, "127.0.0.1") << r.sdp();
    EXPECT_GE(ports->rtp, daemon.portMin());
    EXPECT_LE(ports->rtp, daemon.portMax());
    EXPECT_EQ(ports->rtp % 2, 0) << "RTP port should be even";
    EXPECT_EQ(ports->rtcp, ports->rtp + 1) << r.sdp();
    EXPECT_TRUE(udpPortInUse((uint16_t)ports->rtp)) << "RTP port " << ports->rtp << " is not bound";
    EXPECT_TRUE(udpPortInUse((uint16_t)ports->rtcp))
        << "RTCP port " << ports->rtcp << " is not bound";
}

TEST_F(Signalling, AnswerUsesOffererSidePorts) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply o = offer("c1", "alice", audioSdp(2000, "192.0.2.10"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    int fdsAfterOffer = daemon.openFds();
    Reply a = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20"));
    ASSERT_EQ(a.result(), "ok") << a.describe();
    auto toBob = sdpMediaPorts(o.sdp());
    auto toAlice = sdpMediaPorts(a.sdp());
    ASSERT_TRUE(toBob && toAlice);

    // The ports for Alice's side were taken at offer time: the answer allocates nothing.
    EXPECT_EQ(daemon.openFds(), fdsAfterOffer);
    EXPECT_NE(toAlice->rtp, toBob->rtp);
    EXPECT_EQ(toAlice->rtcp, toAlice->rtp + 1);
    EXPECT_GE(toAlice->rtp, daemon.portMin());
    EXPECT_LE(toAlice->rtcp, daemon.portMax());
    EXPECT_TRUE(udpPortInUse((uint16_t)toAlice->rtp));
    EXPECT_TRUE(udpPortInUse((uint16_t)toAlice->rtcp));

    Reply q = query("c1");
    ASSERT_EQ(q.result(), "ok") << q.describe();
    EXPECT_EQ(localPort(q, "alice"), toAlice->rtp) << q.describe();
    EXPECT_EQ(localPort(q, "bob"), toBob->rtp) << q.describe();
}

TEST_F(Signalling, ReofferKeepsPorts) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply o1 = offer("c1", "alice", audioSdp(2000, "192.0.2.10", 1));
    Reply a1 = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20", 1));
    ASSERT_EQ(o1.result(), "ok") << o1.describe();
    ASSERT_EQ(a1.result(), "ok") << a1.describe();
    int fds = daemon.openFds();

    // re-INVITE from Alice: same media endpoint, new SDP version.
    Reply o2 = ng->request(Request("offer")
                               .set("call-id", "c1")
                               .set("from-tag", "alice")
                               .set("to-tag", "bob")
                               .set("sdp", audioSdp(2000, "192.0.2.10", 2)));
    Reply a2 = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20", 2));
    ASSERT_EQ(o2.result(), "ok") << o2.describe();
    ASSERT_EQ(a2.result(), "ok") << a2.describe();
    auto p1 = sdpMediaPorts(o1.sdp()), p2 = sdpMediaPorts(o2.sdp());
    auto q1 = sdpMediaPorts(a1.sdp()), q2 = sdpMediaPorts(a2.sdp());
    ASSERT_TRUE(p1 && p2 && q1 && q2);
    EXPECT_EQ(p2->rtp, p1->rtp);
    EXPECT_EQ(p2->rtcp, p1->rtcp);
    EXPECT_EQ(q2->rtp, q1->rtp);
    EXPECT_EQ(q2->rtcp, q1->rtcp);
    EXPECT_EQ(daemon.openFds(), fds);
}

TEST_F(Signalling, DeleteReleasesPorts) {
    ASSERT_TRUE(startDaemon({.args = {"--delete-delay=0"}})) << daemon.error();
    int idleFds = daemon.openFds();
    ASSERT_GT(idleFds, 0);
    Reply o = offer("c1", "alice", audioSdp(2000));
    Reply a = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    ASSERT_EQ(a.result(), "ok") << a.describe();
    auto toBob = sdpMediaPorts(o.sdp()), toAlice = sdpMediaPorts(a.sdp());
    ASSERT_TRUE(toBob && toAlice);
    EXPECT_EQ(daemon.openFds(), idleFds + 4) << "one RTP/RTCP socket pair per side";

    Reply d = ng->request(Request("delete").set("call-id", "c1").set("from-tag", "alice"));
    ASSERT_EQ(d.result(), "ok") << d.describe();
    EXPECT_EQ(daemon.openFds(), idleFds);
    for (int port : {toBob->rtp, toBob->rtcp, toAlice->rtp, toAlice->rtcp})
        EXPECT_FALSE(udpPortInUse((uint16_t)port))
            << "port " << port << " still bound after delete";
    EXPECT_FALSE(isListed("c1"));
    EXPECT_EQ(query("c1").result(), "error");
}

// Kamailio forking with `via-branch`: each branch's offer gets its own
// answerer-side ports; the answer names its branch; deleting one branch by
// via-branch frees only that branch while the call goes on.
TEST_F(Signalling, ViaBranchesGetTheirOwnPortsAndAreDeletedAlone) {
    ASSERT_TRUE(startDaemon({.args = {"--delete-delay=0"}})) << daemon.error();
    int idleFds = daemon.openFds();
    auto branchOffer = [&](const std::string& via) {
        return ng->request(Request("offer")
                               .set("call-id", "c1")
                               .set("from-tag", "alice")
                               .set("via-branch", via)
                               .set("sdp", audioSdp(2000)));
    };
    Reply o1 = branchOffer("z9hG4bK-1"), o2 = branchOffer("z9hG4bK-2");
    ASSERT_EQ(o1.result(), "ok") << o1.describe();
    ASSERT_EQ(o2.result(), "ok") << o2.describe();
    auto p1 = sdpMediaPorts(o1.sdp()), p2 = sdpMediaPorts(o2.sdp());
    ASSERT_TRUE(p1 && p2);
    EXPECT_NE(p1->rtp, p2->rtp) << "two branches share answerer-side ports";
    // The same branch offered again keeps its ports.
    Reply o1again = branchOffer("z9hG4bK-1");
    EXPECT_EQ(sdpMediaPorts(o1again.sdp())->rtp, p1->rtp);
    EXPECT_EQ(daemon.openFds(), idleFds + 6) << "alice's pair and one pair per branch";

    Reply a2 = ng->request(Request("answer")
                               .set("call-id", "c1")
                               .set("from-tag", "alice")
                               .set("to-tag", "bob2")
                               .set("via-branch", "z9hG4bK-2")
                               .set("sdp", audioSdp(3000, "192.0.2.20")));
    ASSERT_EQ(a2.result(), "ok") << a2.describe();
    Reply q = query("c1");
    EXPECT_TRUE(q.get({"tags", "bob2"})) << q.describe();

    Reply d = ng->request(Request("delete")
                              .set("call-id", "c1")
                              .set("from-tag", "alice")
                              .set("via-branch", "z9hG4bK-1"));
    ASSERT_EQ(d.result(), "ok") << d.describe();
    EXPECT_TRUE(isListed("c1")) << "deleting one branch ended the call";
    EXPECT_FALSE(udpPortInUse((uint16_t)p1->rtp)) << "the deleted branch's port is still bound";
    EXPECT_TRUE(udpPortInUse((uint16_t)p2->rtp));
    EXPECT_EQ(daemon.openFds(), idleFds + 4);

    ASSERT_EQ(deleteNow("c1", "alice").result(), "ok");
    EXPECT_EQ(daemon.openFds(), idleFds);
}

}  // namespace
}  // namespace ngm::itest
