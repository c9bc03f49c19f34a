#include "session/media_ports.h"

#include <gtest/gtest.h>

#include <memory>

namespace ngm::session {
namespace {

// Each test owns its own ports inside 62900–62999, 63000–63049 or
// 63140–63149, so the tests can run in parallel processes.

net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }
net::Endpoint ep(const char* addr, uint16_t port) { return {ip(addr), port}; }

class MediaPortsTest : public ::testing::Test {
  protected:
    void start(int portMin, int portMax) {
        auto local = std::make_unique<net::LocalInterface>();
        local->address = local->advertised = ip("127.0.0.1");
        local->ports = std::make_unique<net::PortPool>(local->address, portMin, portMax);
        li.name = li.base = "default";
        li.addresses.push_back(std::move(local));
    }
    void start(int portMin) { start(portMin, portMin + 9); }
    net::PortPool& pool() { return *li.addresses.front()->ports; }

    bool ensureFor(const net::Endpoint& owner, bool latch = false) {
        PortsOwner o{owner, latch};
        return ports.ensure(&li, net::Family::V4, &o, hooks);
    }
    bool ensureOwn() { return ports.ensure(&li, net::Family::V4, nullptr, hooks); }
    int port() const { return ports.sockets().rtp.local().port; }

    net::LogicalInterface li;
    MediaPorts ports;
    int attached = 0, detached = 0;
    MediaPorts::Hooks hooks{[this] { detached++; }, [this] { attached++; }};
};

TEST_F(MediaPortsTest, FirstPairComesFromThePoolAndIsAttached) {
    start(62900);
    ASSERT_TRUE(ensureOwn());
    EXPECT_TRUE(ports.hasPair());
    EXPECT_EQ(port(), 62900);
    EXPECT_EQ(ports.sockets().rtcp.local().port, 62901);
    EXPECT_EQ(ports.local(), li.addresses.front().get());
    EXPECT_EQ(ports.iface(), &li);
    EXPECT_EQ(ports.seq(), 1u);
    EXPECT_EQ(pool().inUse(), 2u);
    EXPECT_EQ(attached, 1);
    EXPECT_EQ(detached, 0);
}

TEST_F(MediaPortsTest, TheSameEndpointKeepsItsPair) {
    start(62910);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    EXPECT_EQ(port(), 62910);
    EXPECT_EQ(attached, 1);
    EXPECT_EQ(pool().inUse(), 2u);
}

TEST_F(MediaPortsTest, TheFirstEndpointNamesPortsTakenBeforeIt) {
    start(63140);
    ASSERT_TRUE(ensureOwn());
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    EXPECT_EQ(port(), 63140);
    EXPECT_EQ(attached, 1);
    EXPECT_EQ(ports.retiredCount(), 0u);
}

TEST_F(MediaPortsTest, AnotherEndpointGetsANewPairAndTheOldOneIsKeptAside) {
    start(62920);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    EXPECT_EQ(port(), 62922);
    EXPECT_EQ(ports.seq(), 2u);
    EXPECT_EQ(ports.retiredCount(), 1u);
    EXPECT_EQ(pool().inUse(), 4u);  // the old pair stays bound
    EXPECT_EQ(detached, 1);
    EXPECT_EQ(attached, 2);
}

TEST_F(MediaPortsTest, AnEndpointThatComesBackGetsItsRetiredPair) {
    start(62930);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    EXPECT_EQ(port(), 62930);
    EXPECT_EQ(ports.seq(), 1u);
    EXPECT_EQ(ports.newestSeq(), 2u);
    EXPECT_EQ(ports.retiredCount(), 1u);  // now the second endpoint's
    EXPECT_EQ(pool().inUse(), 4u);
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    EXPECT_EQ(port(), 62932);
    EXPECT_EQ(pool().inUse(), 4u);
}

TEST_F(MediaPortsTest, LatchKeepsTheCurrentPairWhenTheEndpointMoves) {
    start(62940);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 5000), /*latch*/ true));
    EXPECT_EQ(port(), 62940);
    EXPECT_EQ(ports.retiredCount(), 0u);
    // The pair still belongs to the first endpoint: the second, unlatched,
    // gets a pair of its own.
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 5000)));
    EXPECT_EQ(port(), 62942);
}

TEST_F(MediaPortsTest, AHoldReturnsToTheNewestPairWithThatPort) {
    start(62950);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.3", 6000)));
    ASSERT_TRUE(ensureFor(ep("0.0.0.0", 4000)));
    EXPECT_EQ(port(), 62952);  // the second endpoint's, not the first's
    EXPECT_EQ(pool().inUse(), 6u);
}

TEST_F(MediaPortsTest, ReleaseAllReturnsEveryPortToThePool) {
    start(62960);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    ASSERT_EQ(pool().inUse(), 4u);
    ports.releaseAll(hooks);
    EXPECT_FALSE(ports.hasPair());
    EXPECT_EQ(ports.local(), nullptr);
    EXPECT_EQ(ports.retiredCount(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(detached, 2);
    EXPECT_EQ(ports.iface(), &li);  // new ports come from the same place
}

TEST_F(MediaPortsTest, ReleaseReturnsOnlyTheCurrentPair) {
    start(62990);
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    ASSERT_TRUE(ensureFor(ep("192.0.2.2", 4000)));
    ports.release(hooks);
    EXPECT_FALSE(ports.hasPair());
    EXPECT_EQ(ports.retiredCount(), 1u);
    EXPECT_EQ(pool().inUse(), 2u);
}

TEST_F(MediaPortsTest, APairOfNoEndpointIsReleasedNotKeptAside) {
    start(62970);
    ASSERT_TRUE(ensureOwn());
    ports.retire(hooks);
    EXPECT_FALSE(ports.hasPair());
    EXPECT_EQ(ports.retiredCount(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(detached, 1);
}

TEST_F(MediaPortsTest, AtMostEightPairsAreKeptAsideTheOldestGo) {
    start(63000, 63049);  // 25 pairs
    for (uint16_t i = 1; i <= 11; i++) ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000 + 2 * i)));
    EXPECT_EQ(ports.retiredCount(), 8u);
    EXPECT_EQ(pool().inUse(), 18u);
    // The first endpoint's pair is gone: it gets a new one.
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4002)));
    EXPECT_EQ(ports.seq(), 12u);
}

TEST_F(MediaPortsTest, AnExhaustedPoolGivesNoPair) {
    start(62980, 62981);  // one pair
    ASSERT_TRUE(ensureFor(ep("192.0.2.1", 4000)));
    EXPECT_FALSE(ensureFor(ep("192.0.2.2", 4000)));
    EXPECT_FALSE(ports.hasPair());
    EXPECT_EQ(ports.retiredCount(), 1u);
}

}  // namespace
}  // namespace ngm::session
