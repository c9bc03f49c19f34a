// TcpListener and TcpConnection: owned, non-blocking TCP sockets.
// Loopback only, every port chosen by the kernel (port 0), every wait bounded.
#include "net/tcp_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

namespace ngm::net {
namespace {

using Status = TcpConnection::ReadStatus;

Endpoint loopbackAnyPort() { return Endpoint{*IpAddress::parse("127.0.0.1"), 0}; }

bool waitReadable(int fd, int ms = 2000) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1;
}

// A connected pair: `client` connected to `server`, accepted through `l`.
struct Pair {
    TcpListener l;
    TcpConnection client, server;
};

void connectPair(Pair& p) {
    ASSERT_TRUE(p.l.listen(loopbackAnyPort())) << errno;
    ASSERT_TRUE(p.client.connect(p.l.local())) << errno;
    ASSERT_TRUE(waitReadable(p.l.fd()));
    p.server = p.l.accept();
    ASSERT_TRUE(p.server.isOpen()) << errno;
}

// Reads from `c` until `want` bytes came or two seconds passed.
std::string readAtLeast(TcpConnection& c, size_t want) {
    std::string got;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (got.size() < want && std::chrono::steady_clock::now() < until) {
        if (c.read(got) == Status::Closed) break;
        if (got.size() < want) waitReadable(c.fd(), 100);
    }
    return got;
}

TEST(TcpListener, ListenOnPortZeroReportsTheKernelChosenPort) {
    TcpListener l;
    ASSERT_TRUE(l.listen(loopbackAnyPort()));
    EXPECT_TRUE(l.isOpen());
    EXPECT_NE(l.local().port, 0);
    EXPECT_EQ(l.local().address.toString(), "127.0.0.1");
}

TEST(TcpListener, ListeningSocketIsNonBlockingAndCloseOnExec) {
    TcpListener l;
    ASSERT_TRUE(l.listen(loopbackAnyPort()));
    EXPECT_TRUE(fcntl(l.fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(l.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(TcpListener, ListenOnAPortInUseFailsWithErrnoAndStaysClosed) {
    TcpListener a, b;
    ASSERT_TRUE(a.listen(loopbackAnyPort()));
    errno = 0;
    EXPECT_FALSE(b.listen(a.local()));
    EXPECT_EQ(errno, EADDRINUSE);
    EXPECT_FALSE(b.isOpen());
}

TEST(TcpListener, AcceptWithNothingWaitingGivesAClosedConnection) {
    TcpListener l;
    ASSERT_TRUE(l.listen(loopbackAnyPort()));
    errno = 0;
    TcpConnection c = l.accept();
    EXPECT_FALSE(c.isOpen());
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
}

TEST(TcpListener, AcceptedConnectionIsNonBlockingAndKnowsItsPeer) {
    Pair p;
    connectPair(p);
    EXPECT_TRUE(fcntl(p.server.fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(p.server.fd(), F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(fcntl(p.client.fd(), F_GETFL) & O_NONBLOCK);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ASSERT_EQ(getsockname(p.client.fd(), reinterpret_cast<sockaddr*>(&ss), &len), 0);
    EXPECT_EQ(p.server.peer(), Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)));
    EXPECT_EQ(p.client.peer(), p.l.local());
}

TEST(TcpConnection, ConnectToAClosedPortFails) {
    Endpoint free;
    {
        TcpListener l;
        ASSERT_TRUE(l.listen(loopbackAnyPort()));
        free = l.local();
    }
    TcpConnection c;
    EXPECT_FALSE(c.connect(free));
    EXPECT_EQ(errno, ECONNREFUSED);
    EXPECT_FALSE(c.isOpen());
}

TEST(TcpConnection, BytesWrittenArriveInOrderBothWays) {
    Pair p;
    connectPair(p);
    ASSERT_TRUE(p.client.write("hello "));
    ASSERT_TRUE(p.client.write("server"));
    EXPECT_EQ(p.client.pending(), 0u);
    EXPECT_EQ(readAtLeast(p.server, 12), "hello server");
    ASSERT_TRUE(p.server.write("hi"));
    EXPECT_EQ(readAtLeast(p.client, 2), "hi");
}

TEST(TcpConnection, ReadAppendsAndSaysWhenNothingIsThere) {
    Pair p;
    connectPair(p);
    std::string buf = "kept:";
    EXPECT_EQ(p.server.read(buf), Status::WouldBlock);
    EXPECT_EQ(buf, "kept:");
    ASSERT_TRUE(p.client.write("abc"));
    ASSERT_TRUE(waitReadable(p.server.fd()));
    EXPECT_EQ(p.server.read(buf), Status::Data);
    EXPECT_EQ(buf, "kept:abc");
}

TEST(TcpConnection, ReadAfterThePeerClosedSaysClosed) {
    Pair p;
    connectPair(p);
    ASSERT_TRUE(p.client.write("last"));
    p.client.close();
    EXPECT_EQ(readAtLeast(p.server, 4), "last");
    std::string buf;
    ASSERT_TRUE(waitReadable(p.server.fd()));
    EXPECT_EQ(p.server.read(buf), Status::Closed);
    EXPECT_EQ(errno, 0);
}

TEST(TcpConnection, WhatTheSocketDoesNotTakeIsKeptAndFlushedInOrder) {
    Pair p;
    connectPair(p);
    int small = 16384;
    setsockopt(p.client.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(p.server.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string big;
    for (int i = 0; big.size() < (1u << 20); i++) big += std::to_string(i) + ",";
    ASSERT_TRUE(p.client.write(big));
    ASSERT_GT(p.client.pending(), 0u) << "the kernel took 1 MB at once";
    ASSERT_TRUE(p.client.write("end"));  // queued behind, not sent ahead
    std::string got;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.size() < big.size() + 3 && std::chrono::steady_clock::now() < until) {
        ASSERT_TRUE(p.client.flush());
        if (p.server.read(got, 1 << 20) == Status::WouldBlock) waitReadable(p.server.fd(), 1);
    }
    EXPECT_EQ(p.client.pending(), 0u);
    ASSERT_EQ(got.size(), big.size() + 3);
    EXPECT_TRUE(got == big + "end");
}

TEST(TcpConnection, WriteToAPeerThatIsGoneFails) {
    Pair p;
    connectPair(p);
    p.server.close();
    bool failed = false;
    // The first send may still be taken; the peer's reset fails a later one.
    for (int i = 0; i < 50 && !failed; i++) {
        failed = !p.client.write("x");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(failed);
    EXPECT_TRUE(errno == EPIPE || errno == ECONNRESET) << errno;
}

TEST(TcpConnection, IoOnAClosedConnectionFails) {
    TcpConnection c;
    std::string buf;
    EXPECT_EQ(c.read(buf), Status::Closed);
    EXPECT_FALSE(c.write("x"));
    EXPECT_FALSE(c.flush());
    EXPECT_EQ(c.pending(), 0u);
}

TEST(TcpConnection, MoveTransfersOwnership) {
    Pair p;
    connectPair(p);
    int fd = p.server.fd();
    TcpConnection moved(std::move(p.server));
    EXPECT_FALSE(p.server.isOpen());
    EXPECT_EQ(moved.fd(), fd);
    TcpConnection assigned;
    assigned = std::move(moved);
    EXPECT_FALSE(moved.isOpen());
    EXPECT_EQ(assigned.fd(), fd);
    ASSERT_TRUE(p.client.write("ok"));
    EXPECT_EQ(readAtLeast(assigned, 2), "ok");
}

}  // namespace
}  // namespace ngm::net
