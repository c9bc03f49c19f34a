#include "net/address.h"

#include <gtest/gtest.h>

#include <string>

namespace ngm::net {
namespace {

// ---- IpAddress ----

TEST(IpAddress, ParsesDottedQuad) {
    auto a = IpAddress::parse("192.0.2.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family(), Family::V4);
    EXPECT_TRUE(a->valid());
    EXPECT_FALSE(a->isAny());
    EXPECT_EQ(a->af(), AF_INET);
    EXPECT_EQ(a->toString(), "192.0.2.1");
    EXPECT_EQ(a->bytes()[0], 192);
    EXPECT_EQ(a->bytes()[3], 1);
}

TEST(IpAddress, ParsesIpv6AndFormatsPerRfc5952) {
    auto a = IpAddress::parse("2001:0DB8:0000:0000:0000:0000:0000:0001");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family(), Family::V6);
    EXPECT_EQ(a->af(), AF_INET6);
    EXPECT_EQ(a->toString(), "2001:db8::1");
}

TEST(IpAddress, ParsesV4MappedIpv6AsIpv6) {
    auto a = IpAddress::parse("::ffff:192.0.2.1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family(), Family::V6);
    EXPECT_EQ(a->toString(), "::ffff:192.0.2.1");
    EXPECT_NE(*a, *IpAddress::parse("192.0.2.1"));
}

TEST(IpAddress, RejectsInvalidText) {
    for (const char* bad : {"", "1.2.3", "256.1.1.1", "1.2.3.4.5", "abc", "1.2.3.4 ", " 1.2.3.4",
                            "example.com", "::g", "1:2:3:4:5:6:7:8:9", "[::1]", "1.2.3.4/24",
                            "0000:0000:0000:0000:0000:0000:0000:0000:0"}) {
        EXPECT_FALSE(IpAddress::parse(bad)) << '"' << bad << '"';
    }
}

TEST(IpAddress, RejectsOverlongTextWithoutOverflow) {
    std::string longText(200, '1');
    EXPECT_FALSE(IpAddress::parse(longText));
    std::string longV6 = "::" + std::string(60, 'f');
    EXPECT_FALSE(IpAddress::parse(longV6));
}

TEST(IpAddress, AnyAddressesAreRecognised) {
    EXPECT_TRUE(IpAddress::parse("0.0.0.0")->isAny());
    EXPECT_TRUE(IpAddress::parse("::")->isAny());
    EXPECT_TRUE(IpAddress::any(Family::V4).isAny());
    EXPECT_EQ(IpAddress::any(Family::V4).toString(), "0.0.0.0");
    EXPECT_EQ(IpAddress::any(Family::V6).toString(), "::");
    EXPECT_FALSE(IpAddress::parse("0.0.0.1")->isAny());
}

TEST(IpAddress, DefaultIsInvalidAndEmpty) {
    IpAddress a;
    EXPECT_FALSE(a.valid());
    EXPECT_FALSE(a.isAny());
    EXPECT_EQ(a.family(), Family::None);
    EXPECT_EQ(a.toString(), "");
}

TEST(IpAddress, EqualityComparesFamilyAndBytes) {
    EXPECT_EQ(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.1"));
    EXPECT_NE(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
    EXPECT_NE(IpAddress::any(Family::V4), IpAddress::any(Family::V6));
    EXPECT_EQ(*IpAddress::parse("::1"), *IpAddress::parse("0:0:0:0:0:0:0:1"));
}

TEST(AddressFamilyNames, SdpAndNgSpellings) {
    EXPECT_EQ(sdpFamilyName(Family::V4), "IP4");
    EXPECT_EQ(sdpFamilyName(Family::V6), "IP6");
    EXPECT_EQ(ngFamilyName(Family::V4), "IPv4");
    EXPECT_EQ(ngFamilyName(Family::V6), "IPv6");
}

// ---- Endpoint ----

TEST(Endpoint, FormatsWithBracketsForIpv6) {
    EXPECT_EQ((Endpoint{*IpAddress::parse("1.2.3.4"), 5}).toString(), "1.2.3.4:5");
    EXPECT_EQ((Endpoint{*IpAddress::parse("::1"), 5060}).toString(), "[::1]:5060");
}

TEST(Endpoint, EqualityIncludesPort) {
    Endpoint a{*IpAddress::parse("1.2.3.4"), 5};
    Endpoint b{*IpAddress::parse("1.2.3.4"), 6};
    EXPECT_NE(a, b);
    b.port = 5;
    EXPECT_EQ(a, b);
    EXPECT_FALSE(Endpoint{}.valid());
}

TEST(Endpoint, SockaddrRoundTripIpv4) {
    Endpoint e{*IpAddress::parse("198.51.100.7"), 40000};
    sockaddr_storage ss;
    EXPECT_EQ(e.toSockaddr(ss), sizeof(sockaddr_in));
    EXPECT_EQ(ss.ss_family, AF_INET);
    EXPECT_EQ(Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)), e);
}

TEST(Endpoint, SockaddrRoundTripIpv6) {
    Endpoint e{*IpAddress::parse("2001:db8::7"), 40001};
    sockaddr_storage ss;
    EXPECT_EQ(e.toSockaddr(ss), sizeof(sockaddr_in6));
    EXPECT_EQ(ss.ss_family, AF_INET6);
    EXPECT_EQ(Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)), e);
}

// ---- parseListen ----

std::string listen(std::string_view text, std::string_view dflt = "127.0.0.1") {
    auto e = Endpoint::parseListen(text, dflt);
    return e ? e->toString() : "invalid";
}

TEST(EndpointParseListen, PortAloneUsesDefaultAddress) {
    EXPECT_EQ(listen("2223"), "127.0.0.1:2223");
    EXPECT_EQ(listen("2223", "::1"), "[::1]:2223");
}

TEST(EndpointParseListen, EmptyDefaultMeansAnyAddress) {
    EXPECT_EQ(listen("2223", ""), "0.0.0.0:2223");
}

TEST(EndpointParseListen, Ipv4AndPort) { EXPECT_EQ(listen("10.1.2.3:22222"), "10.1.2.3:22222"); }

TEST(EndpointParseListen, BracketedIpv6AndPort) {
    EXPECT_EQ(listen("[2001:db8::1]:22222"), "[2001:db8::1]:22222");
    EXPECT_EQ(listen("[::]:22222"), "[::]:22222");
}

TEST(EndpointParseListen, LocalhostAndWildcardNames) {
    EXPECT_EQ(listen("localhost:2223"), "127.0.0.1:2223");
    EXPECT_EQ(listen("*:2223"), "0.0.0.0:2223");
    EXPECT_EQ(listen(":2223"), "0.0.0.0:2223");
}

TEST(EndpointParseListen, RejectsBadForms) {
    for (const char* bad : {"", "0", "65536", "abc", "::1:2223", "[::1]", "[::1]2223", "[::1:2223",
                            "1.2.3.4:", "1.2.3.4:x", "example.com:2223", "1.2.3.4:-1"}) {
        EXPECT_EQ(listen(bad), "invalid") << '"' << bad << '"';
    }
}

}  // namespace
}  // namespace ngm::net
