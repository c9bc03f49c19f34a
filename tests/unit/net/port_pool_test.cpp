#include "net/port_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace ngm::net {
namespace {

// Each test has its own range inside 62600–62699, so tests can run in
// parallel processes.

IpAddress loopback() { return *IpAddress::parse("127.0.0.1"); }

// True when someone holds the UDP port on 127.0.0.1.
bool portIsBound(int port) {
    UdpSocket s;
    return !s.bind(Endpoint{loopback(), (uint16_t)port});
}

TEST(PortPool, AllocatesEvenRtpAndNextOddRtcpPort) {
    PortPool pool(loopback(), 62600, 62609);
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, 62600);
    EXPECT_EQ(p->rtcp.local().port, 62601);
    EXPECT_EQ(p->rtp.local().address, loopback());
    EXPECT_TRUE(p->rtp.isOpen());
    EXPECT_TRUE(p->rtcp.isOpen());
    EXPECT_TRUE(portIsBound(62600));
    EXPECT_TRUE(portIsBound(62601));
    EXPECT_EQ(pool.inUse(), 2u);
    EXPECT_EQ(pool.capacity(), 5u);
}

TEST(PortPool, SuccessivePairsAreDistinctAndEven) {
    PortPool pool(loopback(), 62610, 62619);
    std::vector<SocketPair> pairs;
    for (int i = 0; i < 5; i++) {
        auto p = pool.allocatePair();
        ASSERT_TRUE(p) << i;
        EXPECT_EQ(p->rtp.local().port % 2, 0);
        EXPECT_EQ(p->rtcp.local().port, p->rtp.local().port + 1);
        for (const auto& q : pairs) EXPECT_NE(q.rtp.local().port, p->rtp.local().port);
        pairs.push_back(std::move(*p));
    }
    EXPECT_EQ(pool.inUse(), 10u);
}

TEST(PortPool, OddMinimumIsRoundedUpToEven) {
    PortPool pool(loopback(), 62621, 62629);
    EXPECT_EQ(pool.capacity(), 4u);
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, 62622);
}

TEST(PortPool, SkipsPairWhoseRtcpPortSomeoneElseHolds) {
    UdpSocket other;
    ASSERT_TRUE(other.bind(Endpoint{loopback(), 62631}));
    PortPool pool(loopback(), 62630, 62639);
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, 62632);
    EXPECT_EQ(pool.inUse(), 2u);
    EXPECT_FALSE(portIsBound(62630));  // the half-taken pair was let go
}

TEST(PortPool, SkipsPairWhoseRtpPortSomeoneElseHolds) {
    UdpSocket other;
    ASSERT_TRUE(other.bind(Endpoint{loopback(), 62640}));
    PortPool pool(loopback(), 62640, 62649);
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, 62642);
}

TEST(PortPool, ExhaustedRangeReturnsNothing) {
    PortPool pool(loopback(), 62650, 62653);
    auto a = pool.allocatePair();
    auto b = pool.allocatePair();
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_FALSE(pool.allocatePair());
    EXPECT_EQ(pool.inUse(), 4u);
}

TEST(PortPool, RangeFullyHeldByOthersReturnsNothing) {
    UdpSocket x, y;
    ASSERT_TRUE(x.bind(Endpoint{loopback(), 62655}));
    ASSERT_TRUE(y.bind(Endpoint{loopback(), 62656}));
    PortPool pool(loopback(), 62654, 62657);
    EXPECT_FALSE(pool.allocatePair());
    EXPECT_EQ(pool.inUse(), 0u);
}

TEST(PortPool, ReleasedPairIsClosedAndCanBeAllocatedAgain) {
    PortPool pool(loopback(), 62660, 62663);
    auto a = pool.allocatePair();
    auto b = pool.allocatePair();
    ASSERT_TRUE(a && b);
    int port = a->rtp.local().port;
    pool.releasePair(*a);
    EXPECT_FALSE(a->rtp.isOpen());
    EXPECT_FALSE(a->rtcp.isOpen());
    EXPECT_EQ(pool.inUse(), 2u);
    EXPECT_FALSE(portIsBound(port));
    auto c = pool.allocatePair();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->rtp.local().port, port);
    EXPECT_EQ(pool.inUse(), 4u);
}

TEST(PortPool, ReleasingTwiceOrOutsideRangeChangesNothing) {
    PortPool pool(loopback(), 62664, 62667);
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    pool.release(1);
    pool.release(62666);  // in range, not in use
    EXPECT_EQ(pool.inUse(), 2u);
    pool.releasePair(*a);
    pool.releasePair(*a);  // already closed: nothing to release
    EXPECT_EQ(pool.inUse(), 0u);
}

// ---- UdpSocket ----

TEST(UdpSocket, BindToPortZeroReportsTheChosenPort) {
    UdpSocket s;
    ASSERT_TRUE(s.bind(Endpoint{loopback(), 0}));
    EXPECT_NE(s.local().port, 0);
    EXPECT_TRUE(portIsBound(s.local().port));
}

TEST(UdpSocket, MoveTransfersOwnership) {
    UdpSocket a;
    ASSERT_TRUE(a.bind(Endpoint{loopback(), 62670}));
    UdpSocket b(std::move(a));
    EXPECT_FALSE(a.isOpen());
    EXPECT_TRUE(b.isOpen());
    EXPECT_EQ(b.local().port, 62670);
    b.close();
    EXPECT_FALSE(portIsBound(62670));
}

TEST(UdpSocket, BindingAHeldPortFails) {
    UdpSocket a, b;
    ASSERT_TRUE(a.bind(Endpoint{loopback(), 62671}));
    EXPECT_FALSE(b.bind(Endpoint{loopback(), 62671}));
    EXPECT_FALSE(b.isOpen());
}

TEST(UdpSocket, Ipv6LoopbackBinds) {
    UdpSocket s;
    if (!s.bind(Endpoint{*IpAddress::parse("::1"), 62672})) GTEST_SKIP() << "no IPv6 loopback";
    EXPECT_EQ(s.local().toString(), "[::1]:62672");
}

}  // namespace
}  // namespace ngm::net
