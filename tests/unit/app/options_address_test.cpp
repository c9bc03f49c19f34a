// --interface and --listen-* address forms.
#include <gtest/gtest.h>

#include <algorithm>

#include "options_test_util.h"

namespace ngm::app {
namespace {

using detail::parseInterface;
using detail::parseListen;
using testing::ep;
using testing::fakeLocalAddresses;
using testing::ip;

std::vector<InterfaceSpec> interfaces(std::string_view text, std::string* errorOut = nullptr) {
    std::vector<InterfaceSpec> out;
    std::string error;
    bool ok = parseInterface(text, fakeLocalAddresses(), out, error);
    if (errorOut) *errorOut = error;
    if (!ok) out.clear();
    return out;
}

bool interfaceFails(std::string_view text) {
    std::vector<InterfaceSpec> out;
    std::string error;
    bool ok = parseInterface(text, fakeLocalAddresses(), out, error);
    EXPECT_TRUE(ok || !error.empty()) << text;
    return !ok;
}

TEST(Interface, AddressOnlyUsesTheDefaultName) {
    auto s = interfaces("192.0.2.10");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "default");
    EXPECT_EQ(s[0].suffix, "");
    EXPECT_EQ(s[0].address, ip("192.0.2.10"));
    EXPECT_FALSE(s[0].advertised);
}

TEST(Interface, NameAndAddress) {
    auto s = interfaces("pub/192.0.2.10");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "pub");
    EXPECT_EQ(s[0].address, ip("192.0.2.10"));
}

TEST(Interface, AddressWithAdvertisedAddress) {
    auto s = interfaces("10.65.76.2!192.0.2.4");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "default");
    EXPECT_EQ(s[0].address, ip("10.65.76.2"));
    EXPECT_EQ(s[0].advertised, ip("192.0.2.4"));
}

TEST(Interface, NameAddressAndAdvertisedAddress) {
    auto s = interfaces("priv/10.65.76.2!192.0.2.4");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "priv");
    EXPECT_EQ(s[0].advertised, ip("192.0.2.4"));
}

TEST(Interface, RoundRobinMemberSplitsNameAndSuffix) {
    auto s = interfaces("pub:1/192.0.2.10");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "pub");
    EXPECT_EQ(s[0].suffix, "1");
    auto t = interfaces("pub:a:b/192.0.2.10!198.51.100.1");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].name, "pub");
    EXPECT_EQ(t[0].suffix, "a:b");
    EXPECT_EQ(t[0].advertised, ip("198.51.100.1"));
}

TEST(Interface, Ipv6Forms) {
    for (const char* text : {"2001:db8::1", "[2001:db8::1]"}) {
        auto s = interfaces(text);
        ASSERT_EQ(s.size(), 1u) << text;
        EXPECT_EQ(s[0].name, "default");
        EXPECT_EQ(s[0].address, ip("2001:db8::1"));
    }
    for (const char* text : {"v6/::1", "v6/[::1]"}) {
        auto s = interfaces(text);
        ASSERT_EQ(s.size(), 1u) << text;
        EXPECT_EQ(s[0].name, "v6");
        EXPECT_EQ(s[0].address, ip("::1"));
    }
    auto a = interfaces("v6/2001:db8::1!2001:db8::99");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].advertised, ip("2001:db8::99"));
    auto b = interfaces("pub:2/[2001:db8::1]![2001:db8::99]");
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b[0].suffix, "2");
    EXPECT_EQ(b[0].advertised, ip("2001:db8::99"));
}

TEST(Interface, LiteralLinkLocalAddressIsKept) {
    auto s = interfaces("fe80::1");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("fe80::1"));
}

TEST(Interface, DeviceNameExpandsToAllItsGlobalAddresses) {
    auto s = interfaces("ext/eth0");
    ASSERT_EQ(s.size(), 2u);  // fe80::1 is link-local and skipped
    EXPECT_EQ(s[0].name, "ext");
    EXPECT_EQ(s[0].address, ip("192.0.2.10"));
    EXPECT_EQ(s[1].name, "ext");
    EXPECT_EQ(s[1].address, ip("2001:db8::10"));
}

TEST(Interface, DeviceNameWithoutLogicalName) {
    auto s = interfaces("eth0");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].name, "default");
}

TEST(Interface, DeviceAdvertisedAddressAppliesToItsOwnFamily) {
    auto s = interfaces("eth0!203.0.113.1");
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].advertised, ip("203.0.113.1"));
    EXPECT_FALSE(s[1].advertised);  // the IPv6 address advertises itself
}

TEST(Interface, DeviceAdvertisedAddressOfAnAbsentFamilyIsAnError) {
    std::string error;
    auto s = interfaces("eth1!2001:db8::5", &error);
    EXPECT_TRUE(s.empty());
    EXPECT_NE(error.find("family"), std::string::npos) << error;
}

TEST(Interface, DownDeviceIsNotUsed) { EXPECT_TRUE(interfaceFails("dn0")); }

TEST(Interface, AnyTakesEveryNonLoopbackAddress) {
    auto s = interfaces("any");
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].address, ip("192.0.2.10"));
    EXPECT_EQ(s[1].address, ip("2001:db8::10"));
    EXPECT_EQ(s[2].address, ip("198.51.100.20"));
    auto n = interfaces("pub/any!203.0.113.1");
    ASSERT_EQ(n.size(), 3u);
    EXPECT_EQ(n[0].name, "pub");
    EXPECT_EQ(n[0].advertised, ip("203.0.113.1"));
    EXPECT_FALSE(n[1].advertised);
    EXPECT_EQ(n[2].advertised, ip("203.0.113.1"));
}

TEST(Interface, SystemLoopbackDeviceResolves) {
    auto local = detail::systemLocalAddresses();
    std::vector<InterfaceSpec> out;
    std::string error;
    ASSERT_TRUE(parseInterface("lo", local, out, error)) << error;
    ASSERT_FALSE(out.empty());
    EXPECT_TRUE(std::any_of(out.begin(), out.end(),
                            [](const InterfaceSpec& s) { return s.address == ip("127.0.0.1"); }));
    for (const auto& s : out) {
        EXPECT_EQ(s.name, "default");
        bool loopback = s.address.family() == net::Family::V4 ? s.address.bytes()[0] == 127
                                                              : s.address == ip("::1");
        EXPECT_TRUE(loopback) << s.address.toString();
    }
}

TEST(Interface, SystemLoopbackThroughParseOptions) {
    testing::Argv a({"--interface=loop/lo", "--listen-ng=2223"});
    Options opts;
    detail::ParseEnvironment env;
    env.defaultConfigFile = "";
    auto r = detail::parseOptions(a.argc(), a.argv(), opts, env);
    ASSERT_EQ(r.action, ParseResult::Action::Run) << r.message;
    ASSERT_FALSE(opts.interfaces.empty());
    EXPECT_EQ(opts.interfaces[0].name, "loop");
    EXPECT_EQ(opts.interfaces[0].address, ip("127.0.0.1"));
}

TEST(Interface, HostNameIsResolvedOnce) {
    auto s = interfaces("localhost");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(s[0].address == ip("127.0.0.1") || s[0].address == ip("::1"));
}

TEST(Interface, ShortDottedFormGoesThroughTheResolver) {
    auto s = interfaces("127.1");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].address, ip("127.0.0.1"));
}

TEST(Interface, EmptyNameIsAllowedLikeRtpengine) {
    auto s = interfaces("/192.0.2.10");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].name, "");
}

TEST(Interface, InvalidForms) {
    EXPECT_TRUE(interfaceFails("0.0.0.0"));
    EXPECT_TRUE(interfaceFails("::"));
    EXPECT_TRUE(interfaceFails("[::]"));
    EXPECT_TRUE(interfaceFails(""));
    EXPECT_TRUE(interfaceFails("x/"));
    EXPECT_TRUE(interfaceFails("x/192.0.2.10!"));
    EXPECT_TRUE(interfaceFails("x/192.0.2.10!0.0.0.0"));
    EXPECT_TRUE(interfaceFails("a/b/192.0.2.10"));
    EXPECT_TRUE(interfaceFails("no-such-device.invalid"));
    EXPECT_TRUE(interfaceFails("192.0.2.10 "));
}

TEST(Interface, AdvertisedAddressMustNotBeADeviceName) {
    EXPECT_TRUE(interfaceFails("192.0.2.10!eth0"));
}

TEST(Interface, AdvertisedFamilyMustMatchALiteralAddress) {
    std::string error;
    EXPECT_TRUE(interfaces("127.0.0.1!2001:db8::99", &error).empty());
    EXPECT_NE(error.find("family"), std::string::npos) << error;
}

TEST(Interface, ErrorReachesTheUserWithOptionAndValue) {
    auto p = testing::parse({"--interface=no-such-device.invalid", "--listen-ng=2223"});
    EXPECT_EQ(p.result.action, ParseResult::Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message,
                       "Invalid value 'no-such-device.invalid' for option --interface");
}

// ---- listeners ----

std::vector<net::Endpoint> listen(std::string_view text) {
    std::vector<net::Endpoint> out;
    std::string error;
    if (!parseListen(text, out, error)) {
        EXPECT_FALSE(error.empty());
        out.clear();
    }
    return out;
}

TEST(Listen, PortOnlyListensOnBothFamilies) {
    EXPECT_EQ(listen("2223"), (std::vector<net::Endpoint>{ep("0.0.0.0", 2223), ep("::", 2223)}));
}

TEST(Listen, AddressAndPort) {
    EXPECT_EQ(listen("127.0.0.1:2223"), std::vector<net::Endpoint>{ep("127.0.0.1", 2223)});
    EXPECT_EQ(listen("[::1]:2223"), std::vector<net::Endpoint>{ep("::1", 2223)});
    EXPECT_EQ(listen("::1:2223"), std::vector<net::Endpoint>{ep("::1", 2223)});
    EXPECT_EQ(listen("0:2223"), std::vector<net::Endpoint>{ep("0.0.0.0", 2223)});
}

TEST(Listen, HostNameIsResolved) {
    auto e = listen("localhost:2223");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].port, 2223);
    EXPECT_TRUE(e[0].address == ip("127.0.0.1") || e[0].address == ip("::1"));
}

TEST(Listen, PortZeroLetsTheKernelChoose) {
    EXPECT_EQ(listen("127.0.0.1:0"), std::vector<net::Endpoint>{ep("127.0.0.1", 0)});
}

TEST(Listen, InvalidForms) {
    for (const char* text :
         {"", "abc", "70000", "-1", "+5", "2223x", "*:2223", ":2223", "127.0.0.1:", "127.0.0.1:x",
          "127.0.0.1:65536", "[::1]2223", "[::1", "no-such-host.invalid:2223"})
        EXPECT_TRUE(listen(text).empty()) << text;
}

TEST(Listen, EveryListenerOptionUsesTheseForms) {
    auto p = testing::parse({"-i", "192.0.2.10", "--listen-ng=[::1]:2223", "--listen-tcp-ng=2224",
                             "--listen-udp=127.0.0.1:2222", "--listen-tcp=[::1]:25060",
                             "--listen-cli=9900", "--listen-http=localhost:8080"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.listenNg, std::vector<net::Endpoint>{ep("::1", 2223)});
    EXPECT_EQ(p.opts.listenTcpNg,
              (std::vector<net::Endpoint>{ep("0.0.0.0", 2224), ep("::", 2224)}));
    EXPECT_EQ(p.opts.listenUdp, std::vector<net::Endpoint>{ep("127.0.0.1", 2222)});
    EXPECT_EQ(p.opts.listenTcp, std::vector<net::Endpoint>{ep("::1", 25060)});
    EXPECT_EQ(p.opts.listenCli, (std::vector<net::Endpoint>{ep("0.0.0.0", 9900), ep("::", 9900)}));
    EXPECT_EQ(p.opts.listenHttp.size(), 1u);
}

TEST(HostPort, RequiresBothParts) {
    net::Endpoint e;
    std::string error;
    EXPECT_TRUE(detail::parseHostPort("127.0.0.1:2003", e, error)) << error;
    EXPECT_EQ(e, ep("127.0.0.1", 2003));
    EXPECT_TRUE(detail::parseHostPort("[2001:db8::1]:9060", e, error)) << error;
    EXPECT_EQ(e, ep("2001:db8::1", 9060));
    EXPECT_FALSE(detail::parseHostPort("2003", e, error));
    EXPECT_FALSE(detail::parseHostPort("127.0.0.1", e, error));
    EXPECT_FALSE(detail::parseHostPort(":2003", e, error));
}

}  // namespace
}  // namespace ngm::app
