// The ng transport: cookies and retransmissions, JSON, TCP framing.
#include "daemon_test.h"

namespace ngm::itest {
namespace {

using Protocol = DaemonTest;

TEST_F(Protocol, RetransmissionGetsCachedReply) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    std::string body = Request("offer")
                           .set("call-id", "c1")
                           .set("from-tag", "alice")
                           .set("sdp", audioSdp(2000))
                           .bencode();
    std::string cookie = ng->newCookie();
    auto first = ng->exchange(cookie, body);
    auto second = ng->exchange(cookie, body);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*first, *second) << "a retransmission must get the very same bytes";
    EXPECT_EQ(Reply(first->substr(cookie.size() + 1)).result(), "ok") << printable(*first);

    Reply s = statistics();
    EXPECT_EQ(s.integer({"statistics", "controlstatistics", "totaloffercount"}), 1) << s.describe();
    EXPECT_EQ(s.integer({"statistics", "currentstatistics", "sessionsown"}), 1) << s.describe();
}

TEST_F(Protocol, JsonRequestGetsJsonReply) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply pong = ng->requestRaw(R"({"command":"ping"})");
    EXPECT_EQ(pong.body(), R"({"result":"pong"})");

    Reply r = ng->requestJson(
        Request("offer").set("call-id", "c1").set("from-tag", "alice").set("sdp", audioSdp(2000)));
    ASSERT_TRUE(r.decoded()) << r.describe();
    ASSERT_FALSE(r.body().empty());
    EXPECT_EQ(r.body().front(), '{') << r.describe();
    EXPECT_EQ(r.result(), "ok") << r.describe();
    auto ports = sdpMediaPorts(r.sdp());
    ASSERT_TRUE(ports) << r.describe();
    EXPECT_GE(ports->rtp, daemon.portMin());
    // The SDP's CRLFs arrive escaped in JSON and decode back intact.
    EXPECT_NE(r.sdp().find("\r\nm=audio "), std::string::npos) << r.describe();
}

TEST_F(Protocol, TcpTwoMessagesInOneWriteGetTwoReplies) {
    ASSERT_TRUE(startDaemon({.args = {}, .tcp = true})) << daemon.error();
    NgTcpClient tcp(daemon.tcpNgPort());
    ASSERT_TRUE(tcp.ok());
    std::string ping = Request("ping").bencode();
    ASSERT_TRUE(tcp.write("t1 " + ping + "t2 " + ping));
    auto replies = tcp.readReplies(2);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0], "t1 d6:result4:ponge");
    EXPECT_EQ(replies[1], "t2 d6:result4:ponge");
}

TEST_F(Protocol, TcpMessageSplitOverTwoWritesGetsOneReply) {
    ASSERT_TRUE(startDaemon({.args = {}, .tcp = true})) << daemon.error();
    NgTcpClient tcp(daemon.tcpNgPort());
    ASSERT_TRUE(tcp.ok());
    std::string msg = "t1 " + Request("offer")
                                  .set("call-id", "c1")
                                  .set("from-tag", "alice")
                                  .set("sdp", audioSdp(2000))
                                  .bencode();
    size_t cut = msg.find("m=audio");  // inside the SDP string
    ASSERT_NE(cut, std::string::npos);
    ASSERT_TRUE(tcp.write(msg.substr(0, cut)));
    EXPECT_TRUE(tcp.readReplies(1, milliseconds(200)).empty()) << "replied to half a message";
    ASSERT_TRUE(tcp.write(msg.substr(cut)));
    auto replies = tcp.readReplies(1);
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(replies[0].rfind("t1 ", 0), 0u) << printable(replies[0]);
    Reply r(replies[0].substr(3));
    EXPECT_EQ(r.result(), "ok") << r.describe();
    EXPECT_TRUE(sdpMediaPorts(r.sdp())) << r.describe();

    // The connection keeps working after the reassembled message.
    ASSERT_TRUE(tcp.write("t2 " + Request("ping").bencode()));
    auto more = tcp.readReplies(1);
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0], "t2 d6:result4:ponge");
}

}  // namespace
}  // namespace ngm::itest

namespace ngm::itest {
namespace {

TEST_F(Protocol, TcpJsonMessagesAreFramedByTheirBraces) {
    ASSERT_TRUE(startDaemon({.args = {}, .tcp = true})) << daemon.error();
    NgTcpClient tcp(daemon.tcpNgPort());
    ASSERT_TRUE(tcp.ok());
    ASSERT_TRUE(tcp.write(R"(j1 {"command":"ping","x":"}"}j2 {"command")"));
    ASSERT_TRUE(tcp.write(R"(:"ping"})"));
    auto replies = tcp.readReplies(2);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0], R"(j1 {"result":"pong"})");
    EXPECT_EQ(replies[1], R"(j2 {"result":"pong"})");
}

// Bytes that no continuation makes a message (here a non-canonical integer
// in a closed dictionary, which bencode framing rejects as the decoder
// does) get one error reply; then, framing lost, the listener closes.
TEST_F(Protocol, TcpBytesThatCanNeverBeAMessageGetOneErrorReplyThenClose) {
    ASSERT_TRUE(startDaemon({.args = {}, .tcp = true})) << daemon.error();
    NgTcpClient tcp(daemon.tcpNgPort());
    ASSERT_TRUE(tcp.ok());
    ASSERT_TRUE(tcp.write("t1 d7:command4:ping3:fooi01ee"));
    auto start = std::chrono::steady_clock::now();
    auto replies = tcp.readReplies(2, milliseconds(3000));  // returns early when closed
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500)) << "not closed";
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(replies[0].rfind("t1 ", 0), 0u) << printable(replies[0]);
    Reply r(replies[0].substr(3));
    EXPECT_EQ(r.result(), "error") << r.describe();
    EXPECT_EQ(r.errorReason(), "Invalid NG data format") << r.describe();
}

}  // namespace
}  // namespace ngm::itest
