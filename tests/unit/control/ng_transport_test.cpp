// NgUdpListener and NgTcpListener on real loopback sockets (port 0), with a
// started one-worker pool: `ping` is answered where it arrives, `query` on
// the worker, so replies come back to the TCP loop from another thread.
// Every wait is bounded.
#include "control/ng_transport.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/log.h"
#include "net/tcp_socket.h"
#include "net/udp_socket.h"
#include "dispatcher_rig.h"

namespace ngm::control {
namespace {

using namespace std::chrono_literals;

const std::string kPing = "d7:command4:pinge";
const std::string kPong = "d6:result4:ponge";

net::Endpoint loopbackAnyPort() { return net::Endpoint{*net::IpAddress::parse("127.0.0.1"), 0}; }

class NgTransportTest : public ::testing::Test, protected testing::DispatcherRig {
  protected:
    NgTransportTest() { workers->start(); }
    ~NgTransportTest() override {
        tcp.reset();
        workers->stop();
        udp.reset();
    }

    void startTcp() {
        tcp = std::make_unique<NgTcpListener>(*dispatcher);
        ASSERT_TRUE(tcp->start(loopbackAnyPort())) << errno;
        ASSERT_NE(tcp->local().port, 0);
    }

    // A client connection to the TCP listener.
    net::TcpConnection connect() {
        net::TcpConnection c;
        EXPECT_TRUE(c.connect(tcp->local())) << errno;
        return c;
    }

    // Reads from `c` until `want` bytes came, the peer closed, or 2 s passed.
    static std::string readAtLeast(net::TcpConnection& c, size_t want, bool* closed = nullptr) {
        std::string got;
        auto until = std::chrono::steady_clock::now() + 2s;
        while (got.size() < want && std::chrono::steady_clock::now() < until) {
            auto st = c.read(got);
            if (st == net::TcpConnection::ReadStatus::Closed) {
                if (closed) *closed = true;
                break;
            }
            if (st == net::TcpConnection::ReadStatus::WouldBlock) {
                pollfd p{c.fd(), POLLIN, 0};
                poll(&p, 1, 50);
            }
        }
        return got;
    }

    // True when the listener closes `c` within two seconds.
    static bool closedByPeer(net::TcpConnection& c) {
        bool closed = false;
        std::string rest = readAtLeast(c, 1 << 20, &closed);
        return closed;
    }

    std::unique_ptr<NgUdpListener> udp;
    std::unique_ptr<NgTcpListener> tcp;
};

TEST_F(NgTransportTest, UdpPingGetsPongFromTheListenersSocket) {
    udp = std::make_unique<NgUdpListener>(*dispatcher, *workers, 0);
    ASSERT_TRUE(udp->start(loopbackAnyPort())) << errno;
    ASSERT_NE(udp->local().port, 0);
    net::UdpSocket client;
    ASSERT_TRUE(client.bind(loopbackAnyPort()));
    sockaddr_storage to;
    socklen_t toLen = udp->local().toSockaddr(to);
    std::string req = "u1 " + kPing;
    ASSERT_EQ(
        sendto(client.fd(), req.data(), req.size(), 0, reinterpret_cast<sockaddr*>(&to), toLen),
        (ssize_t)req.size());
    pollfd p{client.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1);
    char buf[512];
    sockaddr_storage from;
    socklen_t fromLen = sizeof from;
    ssize_t n =
        recvfrom(client.fd(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fromLen);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, (size_t)n), "u1 " + kPong);
    EXPECT_EQ(net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&from)), udp->local());
}

TEST_F(NgTransportTest, UdpListenerOnAPortInUseFails) {
    net::UdpSocket taken;
    ASSERT_TRUE(taken.bind(loopbackAnyPort()));
    udp = std::make_unique<NgUdpListener>(*dispatcher, *workers, 0);
    EXPECT_FALSE(udp->start(taken.local()));
}

TEST_F(NgTransportTest, TcpPingGetsPong) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write("t1 " + kPing));
    EXPECT_EQ(readAtLeast(c, 3 + kPong.size()), "t1 " + kPong);
}

TEST_F(NgTransportTest, TcpMessageSplitOverTwoWritesIsAnsweredOnce) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write("split d7:comm"));
    std::this_thread::sleep_for(50ms);  // the listener reads the first half alone
    ASSERT_TRUE(c.write("and4:pinge"));
    std::string want = "split " + kPong;
    EXPECT_EQ(readAtLeast(c, want.size()), want);
    // Nothing else follows.
    std::string more;
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(c.read(more), net::TcpConnection::ReadStatus::WouldBlock);
}

TEST_F(NgTransportTest, TcpTwoMessagesInOneWriteAreAnsweredInOrder) {
    startTcp();
    auto c = connect();
    // The query runs on the worker and its reply is posted back; the ping
    // is answered at once. The replies still come in request order.
    std::string query = "q1 d7:command5:query7:call-id7:nocall1e";
    ASSERT_TRUE(c.write(query + "p2 " + kPing));
    std::string got;
    for (int i = 0; i < 40 && got.find(kPong) == std::string::npos; i++) got += readAtLeast(c, 1);
    auto p = got.find("p2 ");
    ASSERT_NE(p, std::string::npos) << got;
    EXPECT_EQ(got.substr(0, 3), "q1 ") << got;
    EXPECT_NE(got.find("Unknown call-id"), std::string::npos) << got;
    EXPECT_EQ(got.substr(p), "p2 " + kPong);
}

TEST_F(NgTransportTest, TcpJsonMessageGetsAJsonReply) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write(R"(j1 {"command": "ping"})"));
    std::string got = readAtLeast(c, 10);
    EXPECT_EQ(got.substr(0, 3), "j1 ") << got;
    EXPECT_NE(got.find(R"("result")"), std::string::npos) << got;
    EXPECT_NE(got.find(R"("pong")"), std::string::npos) << got;
}

TEST_F(NgTransportTest, TcpConnectionClosedMidMessageLeavesTheListenerServingOthers) {
    startTcp();
    auto other = connect();
    {
        auto c = connect();
        ASSERT_TRUE(c.write("half d7:command4:pi"));
        std::this_thread::sleep_for(20ms);
    }  // closed with half a message buffered
    ASSERT_TRUE(other.write("o1 " + kPing));
    EXPECT_EQ(readAtLeast(other, 3 + kPong.size()), "o1 " + kPong);
    auto late = connect();
    ASSERT_TRUE(late.write("l1 " + kPing));
    EXPECT_EQ(readAtLeast(late, 3 + kPong.size()), "l1 " + kPong);
}

TEST_F(NgTransportTest, TcpConnectionClosedBeforeItsRepliesCameIsNotTouched) {
    startTcp();
    for (int round = 0; round < 5; round++) {
        auto c = connect();
        std::string burst;
        for (int i = 0; i < 50; i++)
            burst += "q" + std::to_string(i) + " d7:command5:query7:call-id7:nocall1e";
        ASSERT_TRUE(c.write(burst));
    }  // each closed while the worker still answers its queries
    std::this_thread::sleep_for(50ms);
    auto other = connect();
    ASSERT_TRUE(other.write("o1 " + kPing));
    EXPECT_EQ(readAtLeast(other, 3 + kPong.size()), "o1 " + kPong);
}

TEST_F(NgTransportTest, TcpFramingErrorIsAnsweredWithAnErrorThenClosed) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write("bad x7:command4:pinge"));
    bool closed = false;
    std::string got = readAtLeast(c, 1 << 20, &closed);
    EXPECT_EQ(got.substr(0, 4), "bad ") << got;
    EXPECT_NE(got.find("6:result5:error"), std::string::npos) << got;
    EXPECT_TRUE(closed);
}

TEST_F(NgTransportTest, TcpWithoutACookieIsClosedAfter256Bytes) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write(std::string(300, 'x')));
    EXPECT_TRUE(closedByPeer(c));
}

TEST_F(NgTransportTest, TcpListenerStopsWithConnectionsOpen) {
    startTcp();
    auto c = connect();
    ASSERT_TRUE(c.write("s1 d7:comm"));
    std::this_thread::sleep_for(20ms);
    tcp->stop();
    EXPECT_TRUE(closedByPeer(c));
}

}  // namespace
}  // namespace ngm::control
