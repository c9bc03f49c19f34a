// UdpSocket: an owned, non-blocking UDP socket bound to a local endpoint.
// Loopback only, every port chosen by the kernel (port 0), every wait bounded.
#include "net/udp_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>

namespace ngm::net {
namespace {

Endpoint loopbackAnyPort() { return Endpoint{*IpAddress::parse("127.0.0.1"), 0}; }

// The address the kernel reports for `fd`.
Endpoint boundTo(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len), 0);
    return Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

void sendTo(const UdpSocket& s, const Endpoint& to, const std::string& data) {
    sockaddr_storage ss{};
    socklen_t len = to.toSockaddr(ss);
    ASSERT_EQ(sendto(s.fd(), data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len),
              (ssize_t)data.size());
}

// Waits up to two seconds for one datagram on `s`; "" (and a failure) when
// none came.
std::string receive(const UdpSocket& s, Endpoint* from = nullptr) {
    pollfd p{s.fd(), POLLIN, 0};
    if (poll(&p, 1, 2000) != 1) {
        ADD_FAILURE() << "no datagram within 2 s on " << s.local().toString();
        return {};
    }
    char buf[2048];
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ssize_t n = recvfrom(s.fd(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) {
        ADD_FAILURE() << "recvfrom: errno " << errno;
        return {};
    }
    if (from) *from = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    return std::string(buf, (size_t)n);
}

int ipTos(int fd) {
    int tos = -1;
    socklen_t len = sizeof tos;
    EXPECT_EQ(getsockopt(fd, IPPROTO_IP, IP_TOS, &tos, &len), 0);
    return tos;
}

TEST(UdpSocket, DefaultConstructedIsClosed) {
    UdpSocket s;
    EXPECT_FALSE(s.isOpen());
    EXPECT_EQ(s.fd(), -1);
}

TEST(UdpSocket, BindToPortZeroReportsTheKernelChosenPort) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    EXPECT_TRUE(s.isOpen());
    EXPECT_NE(s.local().port, 0);
    EXPECT_EQ(s.local().address, *IpAddress::parse("127.0.0.1"));
    EXPECT_EQ(s.local(), boundTo(s.fd()));
}

TEST(UdpSocket, BoundSocketIsNonBlockingAndCloseOnExec) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    EXPECT_TRUE(fcntl(s.fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(fcntl(s.fd(), F_GETFD) & FD_CLOEXEC);
    char buf[16];
    errno = 0;
    EXPECT_EQ(recv(s.fd(), buf, sizeof buf, 0), -1);
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << "errno " << errno;
}

TEST(UdpSocket, DatagramSentOnLoopbackArrivesWithTheSendersAddress) {
    UdpSocket a, b;
    ASSERT_TRUE(a.bind(loopbackAnyPort()));
    ASSERT_TRUE(b.bind(loopbackAnyPort()));
    ASSERT_NE(a.local().port, b.local().port);
    sendTo(a, b.local(), "hello rtp");
    Endpoint from;
    EXPECT_EQ(receive(b, &from), "hello rtp");
    EXPECT_EQ(from, a.local());
    // And back the other way.
    sendTo(b, from, "reply");
    EXPECT_EQ(receive(a), "reply");
}

TEST(UdpSocket, BindToAPortInUseFailsWithErrnoAndStaysClosed) {
    UdpSocket a, b;
    ASSERT_TRUE(a.bind(loopbackAnyPort()));
    errno = 0;
    EXPECT_FALSE(b.bind(a.local()));
    EXPECT_EQ(errno, EADDRINUSE);
    EXPECT_FALSE(b.isOpen());
    EXPECT_EQ(b.fd(), -1);
}

TEST(UdpSocket, SetTosSetsIpTos) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    s.setTos(0xb8);  // EF
    EXPECT_EQ(ipTos(s.fd()), 0xb8);
    s.setTos(0);
    EXPECT_EQ(ipTos(s.fd()), 0);
}

TEST(UdpSocket, SetTosOnAClosedSocketDoesNothing) {
    UdpSocket s;
    s.setTos(0xb8);
    EXPECT_FALSE(s.isOpen());
}

TEST(UdpSocket, SetReceiveBufferSetsSoRcvbuf) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    ASSERT_TRUE(s.setReceiveBuffer(64 * 1024));
    int size = 0;
    socklen_t len = sizeof size;
    ASSERT_EQ(getsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &size, &len), 0);
    EXPECT_GE(size, 64 * 1024);  // Linux doubles it for its bookkeeping
}

TEST(UdpSocket, SetReceiveBufferOnAClosedSocketFails) {
    UdpSocket s;
    EXPECT_FALSE(s.setReceiveBuffer(64 * 1024));
}

TEST(UdpSocket, CloseReleasesTheDescriptor) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    int fd = s.fd();
    s.close();
    EXPECT_FALSE(s.isOpen());
    EXPECT_EQ(s.fd(), -1);
    errno = 0;
    EXPECT_EQ(fcntl(fd, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);
    s.close();  // twice is harmless
    EXPECT_FALSE(s.isOpen());
}

TEST(UdpSocket, BindingAgainClosesThePreviousSocket) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    int first = s.fd();
    Endpoint firstLocal = s.local();
    // Take another descriptor first, so that the second bind cannot simply
    // get the same number back.
    UdpSocket hold;
    ASSERT_TRUE(hold.bind(loopbackAnyPort()));
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    EXPECT_NE(s.local(), firstLocal);
    EXPECT_EQ(s.local(), boundTo(s.fd()));
    if (s.fd() != first) {
        errno = 0;
        EXPECT_EQ(fcntl(first, F_GETFD), -1);
        EXPECT_EQ(errno, EBADF);
    }
}

TEST(UdpSocket, MoveTransfersOwnership) {
    UdpSocket a;
    ASSERT_TRUE(a.bind(loopbackAnyPort()));
    int fd = a.fd();
    Endpoint local = a.local();
    UdpSocket b(std::move(a));
    EXPECT_FALSE(a.isOpen());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_EQ(b.fd(), fd);
    EXPECT_EQ(b.local(), local);
    UdpSocket c;
    ASSERT_TRUE(c.bind(loopbackAnyPort()));
    int old = c.fd();
    c = std::move(b);
    EXPECT_FALSE(b.isOpen());  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c.fd(), fd);
    EXPECT_EQ(c.local(), local);
    errno = 0;
    EXPECT_EQ(fcntl(old, F_GETFD), -1) << "the assigned-to socket's descriptor is closed";
    EXPECT_EQ(errno, EBADF);
}

TEST(UdpSocket, TwinSharesTheLocalAddressAndTakesTheTos) {
    UdpSocket s, peer, twin;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    ASSERT_TRUE(peer.bind(loopbackAnyPort()));
    s.setTos(0x88);
    ASSERT_TRUE(s.openTwin(twin, peer.local(), 1 << 20));
    EXPECT_TRUE(twin.isOpen());
    EXPECT_NE(twin.fd(), s.fd());
    EXPECT_EQ(twin.local(), s.local());
    EXPECT_EQ(boundTo(twin.fd()), s.local());
    EXPECT_EQ(ipTos(twin.fd()), 0x88);
    // Connected to the peer: what it sends arrives there from our port.
    ASSERT_EQ(send(twin.fd(), "x", 1, 0), 1);
    Endpoint from;
    EXPECT_EQ(receive(peer, &from), "x");
    EXPECT_EQ(from, s.local());
}

TEST(UdpSocket, TwinAboveMaxFdIsRefused) {
    UdpSocket s, peer, twin;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    ASSERT_TRUE(peer.bind(loopbackAnyPort()));
    EXPECT_FALSE(s.openTwin(twin, peer.local(), 0));
    EXPECT_FALSE(twin.isOpen());
}

TEST(UdpSocket, TwinToAnotherAddressFamilyIsRefused) {
    UdpSocket s, twin;
    ASSERT_TRUE(s.bind(loopbackAnyPort()));
    EXPECT_FALSE(s.openTwin(twin, Endpoint{*IpAddress::parse("::1"), 9}, 1 << 20));
    EXPECT_FALSE(twin.isOpen());
}

TEST(UdpSocket, TwinOfAClosedSocketIsRefused) {
    UdpSocket s, peer, twin;
    ASSERT_TRUE(peer.bind(loopbackAnyPort()));
    EXPECT_FALSE(s.openTwin(twin, peer.local(), 1 << 20));
    EXPECT_FALSE(twin.isOpen());
}

}  // namespace
}  // namespace ngm::net
