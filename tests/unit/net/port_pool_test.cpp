#include "net/port_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>
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

// ---- idle pairs (kept bound after release); ranges inside 63300–63539 ----

// Sends one datagram from a fresh socket to `port` on loopback.
void sendTo(int port, const char* text = "stale") {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd, text, strlen(text), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ::close(fd);
}

// Whether a datagram is waiting on `s` (without reading it).
bool hasDatagram(const UdpSocket& s) {
    char b;
    return ::recv(s.fd(), &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

int tosOf(const UdpSocket& s) {
    int tos = -1;
    socklen_t l = sizeof tos;
    getsockopt(s.fd(), IPPROTO_IP, IP_TOS, &tos, &l);
    return tos;
}

int reusePortOf(const UdpSocket& s) {
    int v = -1;
    socklen_t l = sizeof v;
    getsockopt(s.fd(), SOL_SOCKET, SO_REUSEPORT, &v, &l);
    return v;
}

TEST(PortPoolIdle, SizesFollowTheRange) {
    PortPool small(loopback(), 63300, 63305);  // 3 pairs: no idle pairs at all
    EXPECT_EQ(small.maxIdlePairs(), 0u);
    PortPool big(loopback(), 20000, 40999);
    EXPECT_EQ(big.maxIdlePairs(), PortPool::kMaxIdlePairs);
    EXPECT_EQ(big.reuseThreshold(), PortPool::kMaxIdlePairs / 2);
    PortPool mid(loopback(), 41000, 41999);  // 500 pairs
    EXPECT_EQ(mid.maxIdlePairs(), 125u);
    EXPECT_EQ(mid.reuseThreshold(), 62u);
}

TEST(PortPoolIdle, ReleasedPairStaysBoundAndIsReusedOnceEnoughAreIdle) {
    PortPool pool(loopback(), 63310, 63325, 0);  // 8 pairs: 2 idle at most, reuse from 1
    ASSERT_EQ(pool.maxIdlePairs(), 2u);
    ASSERT_EQ(pool.reuseThreshold(), 1u);
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->rtp.local().port, 63310);
    pool.releasePair(*a);
    EXPECT_FALSE(a->rtp.isOpen());
    EXPECT_FALSE(a->rtcp.isOpen());
    EXPECT_EQ(pool.inUse(), 0u);
    EXPECT_EQ(pool.idlePairs(), 1u);
    // Still reserved: nobody else can bind it.
    EXPECT_TRUE(portIsBound(63310));
    EXPECT_TRUE(portIsBound(63311));
    auto b = pool.allocatePair();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->rtp.local().port, 63310);  // the idle pair, not the next port
    EXPECT_EQ(b->rtcp.local().port, 63311);
    EXPECT_EQ(pool.idlePairs(), 0u);
    EXPECT_EQ(pool.inUse(), 2u);
    EXPECT_EQ(pool.lastAllocated(), 63310);
}

TEST(PortPoolIdle, RoundRobinSkipsIdlePortsBelowTheThreshold) {
    PortPool pool(loopback(), 63330, 63369, 0);  // 20 pairs: 5 idle at most, reuse from 2
    ASSERT_EQ(pool.reuseThreshold(), 2u);
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    pool.releasePair(*a);
    auto b = pool.allocatePair();  // one idle pair only: a fresh one
    ASSERT_TRUE(b);
    EXPECT_EQ(b->rtp.local().port, 63332);
    pool.releasePair(*b);
    EXPECT_EQ(pool.idlePairs(), 2u);
    auto c = pool.allocatePair();  // two idle: the oldest
    ASSERT_TRUE(c);
    EXPECT_EQ(c->rtp.local().port, 63330);
    // Beyond the bound, released pairs are closed.
    std::vector<SocketPair> held;
    for (int i = 0; i < 8; i++) {
        auto p = pool.allocatePair();
        ASSERT_TRUE(p);
        held.push_back(std::move(*p));
    }
    for (auto& p : held) pool.releasePair(p);
    EXPECT_EQ(pool.idlePairs(), pool.maxIdlePairs());
    EXPECT_EQ(pool.inUse(), 2u);
}

TEST(PortPoolIdle, ReusedPairDeliversNoStalePacket) {
    PortPool pool(loopback(), 63370, 63385, 0);  // 8 pairs, reuse from 1
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    int port = a->rtp.local().port;
    sendTo(port, "before release");  // queued, never read by the call
    sendTo(port + 1, "before release");
    for (int i = 0; i < 200 && !hasDatagram(a->rtp); i++) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(hasDatagram(a->rtp));
    pool.releasePair(*a);
    sendTo(port, "while idle");  // queued on the idle socket, drained on reuse
    sendTo(port + 1, "while idle");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto b = pool.allocatePair();
    ASSERT_TRUE(b);
    ASSERT_EQ(b->rtp.local().port, port);
    EXPECT_FALSE(hasDatagram(b->rtp));
    EXPECT_FALSE(hasDatagram(b->rtcp));
    // And it receives from anyone again.
    sendTo(port, "new call");
    char buf[32] = {};
    ssize_t n = -1;
    for (int i = 0; i < 200 && n < 0; i++) {
        n = ::recv(b->rtp.fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(n, 8);
    EXPECT_STREQ(buf, "new call");
}

TEST(PortPoolIdle, CallOptionsAreResetOnReuse) {
    PortPool pool(loopback(), 63386, 63399, 0);  // 7 pairs, reuse from 1 (max idle 1)
    ASSERT_EQ(pool.reuseThreshold(), 1u);
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    int port = a->rtp.local().port;
    int defaultTos = tosOf(a->rtp);
    a->rtp.setTos(0xb8);
    a->rtcp.setTos(0xb8);
    ASSERT_EQ(tosOf(a->rtp), 0xb8);
    UdpSocket twin;
    ASSERT_TRUE(a->rtp.openTwin(twin, Endpoint{loopback(), 9}, 1 << 20));
    ASSERT_EQ(reusePortOf(a->rtp), 1);
    twin.close();
    pool.releasePair(*a);
    // The port is ours alone again: not even a SO_REUSEPORT socket shares it.
    {
        int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_NE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
        ::close(fd);
    }
    auto b = pool.allocatePair();
    ASSERT_TRUE(b);
    ASSERT_EQ(b->rtp.local().port, port);
    EXPECT_EQ(tosOf(b->rtp), defaultTos);
    EXPECT_EQ(tosOf(b->rtcp), defaultTos);
    EXPECT_EQ(reusePortOf(b->rtp), 0);
    // A twin can be opened again on the reused port.
    EXPECT_TRUE(b->rtp.openTwin(twin, Endpoint{loopback(), 9}, 1 << 20));
}

TEST(PortPoolIdle, PairsIdleLongerAreParkedAndQueueNothing) {
    PortPool pool(loopback(), 63460, 63499, 0);  // 20 pairs: 5 idle at most, reuse from 2
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    int port = a->rtp.local().port;
    pool.releasePair(*a);
    sendTo(port, "queued before parking");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto now = PortPool::Clock::now();
    pool.trimIdle(now, std::chrono::hours(1), std::chrono::hours(1));  // too young to park
    EXPECT_EQ(pool.parkedPairs(), 0u);
    auto other = pool.allocatePair();  // not quiet (and one idle pair is too few to reuse)
    ASSERT_TRUE(other);
    EXPECT_NE(other->rtp.local().port, port);
    pool.trimIdle(now + std::chrono::seconds(2), std::chrono::hours(1), std::chrono::seconds(1));
    EXPECT_EQ(pool.parkedPairs(), 1u);
    EXPECT_EQ(pool.idlePairs(), 1u);
    EXPECT_TRUE(portIsBound(port));
    // A parked port refuses datagrams as a closed one does.
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    ASSERT_EQ(::send(fd, "x", 1, 0), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    char b;
    EXPECT_EQ(::recv(fd, &b, 1, MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, ECONNREFUSED);
    pool.releasePair(*other);  // two idle now: the oldest, parked, is taken
    auto c = pool.allocatePair();
    ASSERT_TRUE(c);
    ASSERT_EQ(c->rtp.local().port, port);
    EXPECT_EQ(pool.parkedPairs(), 0u);
    EXPECT_FALSE(hasDatagram(c->rtp));
    // Unparked: it hears from anyone again.
    ASSERT_EQ(::send(fd, "y", 1, 0), 1);
    bool got = false;
    for (int i = 0; i < 200 && !got; i++) {
        got = hasDatagram(c->rtp);
        if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(got);
    ::close(fd);
}

TEST(PortPoolIdle, AQuietPoolClosesWhatIsReleased) {
    PortPool pool(loopback(), 63500, 63539, 3);  // idle pairs kept from 3 allocations per interval
    ASSERT_EQ(pool.busyAllocations(), 3u);
    auto a = pool.allocatePair();
    ASSERT_TRUE(a);
    EXPECT_FALSE(pool.busy());
    int pa = a->rtp.local().port;
    pool.releasePair(*a);  // one call: closed as ever
    EXPECT_EQ(pool.idlePairs(), 0u);
    EXPECT_FALSE(portIsBound(pa));
    auto b = pool.allocatePair();
    auto c = pool.allocatePair();
    ASSERT_TRUE(b && c);
    EXPECT_TRUE(pool.busy());
    int pb = b->rtp.local().port;
    pool.releasePair(*b);  // busy: kept
    EXPECT_EQ(pool.idlePairs(), 1u);
    EXPECT_TRUE(portIsBound(pb));
    auto now = PortPool::Clock::now();
    pool.trimIdle(now);  // the interval had 3 allocations: still busy in the next
    EXPECT_TRUE(pool.busy());
    EXPECT_EQ(pool.idlePairs(), 1u);
    pool.releasePair(*c);
    EXPECT_EQ(pool.idlePairs(), 2u);
    pool.trimIdle(now + std::chrono::seconds(1));  // an interval without allocations
    EXPECT_FALSE(pool.busy());
    EXPECT_EQ(pool.idlePairs(), 0u);
    EXPECT_FALSE(portIsBound(pb));
    EXPECT_EQ(pool.inUse(), 0u);
}

TEST(PortPoolIdle, TrimClosesPairsIdleTooLong) {
    PortPool pool(loopback(), 63400, 63419, 0);  // 10 pairs: 2 idle at most
    auto a = pool.allocatePair();
    auto b = pool.allocatePair();
    ASSERT_TRUE(a && b);
    int pa = a->rtp.local().port, pb = b->rtp.local().port;
    pool.releasePair(*a);
    pool.releasePair(*b);
    ASSERT_EQ(pool.idlePairs(), 2u);
    auto now = PortPool::Clock::now();
    pool.trimIdle(now, std::chrono::hours(1));  // none old enough
    EXPECT_EQ(pool.idlePairs(), 2u);
    pool.trimIdle(now + std::chrono::hours(2), std::chrono::hours(1));
    EXPECT_EQ(pool.idlePairs(), 0u);
    EXPECT_FALSE(portIsBound(pa));
    EXPECT_FALSE(portIsBound(pb + 1));
    EXPECT_EQ(pool.inUse(), 0u);
    // The ports are free for the round-robin walk again.
    auto c = pool.allocatePair();
    ASSERT_TRUE(c);
}

TEST(PortPoolIdle, AFullRangeFallsBackOnIdlePairs) {
    PortPool pool(loopback(), 63420, 63459, 0);  // 20 pairs, 5 idle at most, reuse from 2
    std::vector<SocketPair> held;
    while (auto p = pool.allocatePair()) held.push_back(std::move(*p));
    ASSERT_EQ(held.size(), 20u);
    int port = held[3].rtp.local().port;
    pool.releasePair(held[3]);  // idle, under the threshold
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, port);
    EXPECT_FALSE(pool.allocatePair());
}

}  // namespace
}  // namespace ngm::net
