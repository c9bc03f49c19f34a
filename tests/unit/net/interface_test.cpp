#include "net/interface.h"

#include <gtest/gtest.h>

#include <vector>

namespace ngm::net {
namespace {

// Ranges inside 62700–62799. Group members sit on different loopback
// addresses so their pools never compete for the same socket.

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

InterfaceConfig spec(const char* name, const char* suffix, const char* addr,
                     const char* advertised = nullptr) {
    InterfaceConfig c;
    c.name = name;
    c.suffix = suffix;
    c.address = ip(addr);
    if (advertised) c.advertised = ip(advertised);
    return c;
}

TEST(InterfaceTable, EmptyTableHasNoDefaultAndNoRoundRobin) {
    InterfaceTable t;
    EXPECT_EQ(t.defaultInterface(), nullptr);
    EXPECT_EQ(t.nextRoundRobin(), nullptr);
    EXPECT_EQ(t.select("anything"), nullptr);
}

TEST(InterfaceTable, DefaultIsFirstConfigured) {
    InterfaceTable t;
    t.build({spec("pub", "", "127.0.0.1"), spec("priv", "", "127.0.0.2")}, 62700, 62709);
    ASSERT_NE(t.defaultInterface(), nullptr);
    EXPECT_EQ(t.defaultInterface()->name, "pub");
    EXPECT_EQ(t.all().size(), 2u);
}

TEST(InterfaceTable, SameNameGroupsAddressesInConfigurationOrder) {
    InterfaceTable t;
    t.build({spec("pub", "", "127.0.0.1"), spec("pub", "", "::1"), spec("pub", "", "127.0.0.2")},
            62700, 62709);
    ASSERT_EQ(t.all().size(), 1u);
    const LogicalInterface& li = *t.all()[0];
    ASSERT_EQ(li.addresses.size(), 3u);
    EXPECT_EQ(li.addresses[0]->address, ip("127.0.0.1"));
    EXPECT_EQ(li.addresses[2]->address, ip("127.0.0.2"));
    ASSERT_NE(li.forFamily(Family::V6), nullptr);
    EXPECT_EQ(li.forFamily(Family::V6)->address, ip("::1"));
    EXPECT_EQ(li.forFamily(Family::V4)->address, ip("127.0.0.1"));
    EXPECT_TRUE(li.hasFamily(Family::V6));
}

TEST(InterfaceTable, FamilyLookupMissesWhenAbsent) {
    InterfaceTable t;
    t.build({spec("pub", "", "127.0.0.1")}, 62700, 62709);
    EXPECT_EQ(t.defaultInterface()->forFamily(Family::V6), nullptr);
    EXPECT_FALSE(t.defaultInterface()->hasFamily(Family::V6));
}

TEST(InterfaceTable, AdvertisedAddressDefaultsToBoundAddress) {
    InterfaceTable t;
    t.build({spec("pub", "", "127.0.0.1", "203.0.113.1"), spec("priv", "", "127.0.0.2")}, 62700,
            62709);
    EXPECT_EQ(t.select("pub")->addresses[0]->advertised, ip("203.0.113.1"));
    EXPECT_EQ(t.select("pub")->addresses[0]->address, ip("127.0.0.1"));
    EXPECT_EQ(t.select("priv")->addresses[0]->advertised, ip("127.0.0.2"));
}

TEST(InterfaceTable, EachAddressHasItsOwnPortPoolOnThatAddress) {
    InterfaceTable t;
    t.build({spec("pub", "", "127.0.0.1")}, 62710, 62719);
    auto& pool = *t.defaultInterface()->addresses[0]->ports;
    EXPECT_EQ(pool.address(), ip("127.0.0.1"));
    EXPECT_EQ(pool.capacity(), 5u);
    auto p = pool.allocatePair();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rtp.local().port, 62710);
}

TEST(InterfaceTable, SelectByExactNameAndUnknownName) {
    InterfaceTable t;
    t.build({spec("pub", "1", "127.0.0.1"), spec("other", "", "127.0.0.2")}, 62700, 62709);
    ASSERT_NE(t.select("pub:1"), nullptr);
    EXPECT_EQ(t.select("pub:1")->name, "pub:1");
    EXPECT_EQ(t.select("pub:1")->base, "pub");
    EXPECT_EQ(t.select("other")->name, "other");
    EXPECT_EQ(t.select("nope"), nullptr);
    EXPECT_EQ(t.select("pub:2"), nullptr);
}

TEST(InterfaceTable, SelectByGroupNamePicksMemberWithMostFreePorts) {
    InterfaceTable t;
    t.build({spec("pub", "1", "127.0.0.1"), spec("pub", "2", "127.0.0.2"),
             spec("other", "", "127.0.0.3")},
            62720, 62729);
    // Equal: the first member.
    ASSERT_NE(t.select("pub"), nullptr);
    EXPECT_EQ(t.select("pub")->name, "pub:1");

    auto a = t.select("pub:1")->addresses[0]->ports->allocatePair();
    ASSERT_TRUE(a);
    EXPECT_EQ(t.select("pub")->name, "pub:2");

    auto b = t.select("pub:2")->addresses[0]->ports->allocatePair();
    auto c = t.select("pub:2")->addresses[0]->ports->allocatePair();
    ASSERT_TRUE(b && c);
    EXPECT_EQ(t.select("pub")->name, "pub:1");
}

TEST(InterfaceTable, GroupSelectPrefersRequestedFamilysPool) {
    InterfaceTable t;
    t.build({spec("pub", "1", "127.0.0.1"), spec("pub", "1", "::1"), spec("pub", "2", "127.0.0.2"),
             spec("pub", "2", "::1")},
            62730, 62739);
    // Fill pub:1's IPv4 pool a little: IPv4 callers go to pub:2, IPv6 callers still to pub:1.
    auto a = t.select("pub:1")->forFamily(Family::V4)->ports->allocatePair();
    ASSERT_TRUE(a);
    EXPECT_EQ(t.select("pub", Family::V4)->name, "pub:2");
    EXPECT_EQ(t.select("pub", Family::V6)->name, "pub:1");
}

TEST(InterfaceTable, RoundRobinCyclesThroughAllInterfacesInOrder) {
    InterfaceTable t;
    t.build({spec("pub", "1", "127.0.0.1"), spec("pub", "2", "127.0.0.2"),
             spec("other", "", "127.0.0.3")},
            62700, 62709);
    std::vector<std::string> seen;
    for (int i = 0; i < 4; i++) seen.push_back(t.nextRoundRobin()->name);
    EXPECT_EQ(seen, (std::vector<std::string>{"pub:1", "pub:2", "other", "pub:1"}));
}

TEST(InterfaceTable, RebuildReplacesPreviousInterfaces) {
    InterfaceTable t;
    t.build({spec("a", "", "127.0.0.1")}, 62700, 62709);
    t.build({spec("b", "", "127.0.0.1")}, 62700, 62709);
    ASSERT_EQ(t.all().size(), 1u);
    EXPECT_EQ(t.defaultInterface()->name, "b");
    EXPECT_EQ(t.select("a"), nullptr);
}

}  // namespace
}  // namespace ngm::net
