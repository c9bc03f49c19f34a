// The rtpproxy protocol: the parser and reply formats (control/rtpproxy.h)
// and the commands run on a CallStore (control/rtpproxy_transport.h).
// Replies are the ones Debian's rtpengine 10.5 gives (tests/diff/rtpproxy
// compares the two live). Media ports 64720-64759.
#include "control/rtpproxy.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/log.h"
#include "control/rtpproxy_transport.h"
#include "net/interface.h"
#include "session/call_store.h"
#include "session/registry.h"
#include "session/worker.h"

namespace ngm::control {
namespace {

namespace rp = rtpproxy;

rp::Command parseOk(std::string_view msg) {
    auto r = rp::parse(msg);
    EXPECT_TRUE(r.ok()) << msg << ": " << (r ? "" : r.error().reason);
    return r ? *r : rp::Command{};
}

TEST(RtpproxyParse, VersionAndCapability) {
    rp::Command v = parseOk("abc V\n");
    EXPECT_EQ(v.cookie, "abc");
    EXPECT_EQ(v.verb, rp::Verb::Version);
    EXPECT_EQ(v.modifiers, "");
    rp::Command vf = parseOk("1_2 vf 20050322");
    EXPECT_EQ(vf.modifiers, "F");
    EXPECT_EQ(vf.argument, "20050322");
    EXPECT_FALSE(rp::parse("c VF").ok());  // rtpengine 10.5 crashes on this one
}

TEST(RtpproxyParse, UpdateTakesCallIdAddressPortAndTagsWithMediaNumber) {
    rp::Command u = parseOk("c1 UIE call@host 10.0.0.1 4000 ftag;2 ttag;2 extra words\r\n");
    EXPECT_EQ(u.verb, rp::Verb::Update);
    EXPECT_EQ(u.callId, "call@host");
    EXPECT_EQ(u.address->toString(), "10.0.0.1");
    EXPECT_EQ(u.port, 4000);
    EXPECT_EQ(u.fromTag, "ftag");
    EXPECT_EQ(u.toTag, "ttag");
    EXPECT_EQ(u.mediaNum, 2);
    ASSERT_EQ(u.directionCount, 2);
    EXPECT_EQ(u.direction[0], "internal");
    EXPECT_EQ(u.direction[1], "external");
    rp::Command l = parseOk("c2 l cid ::1 5 f;1 t;1");
    EXPECT_EQ(l.verb, rp::Verb::Lookup);
    EXPECT_EQ(l.address->family(), net::Family::V6);
    rp::Command noNum = parseOk("c3 U cid 1.2.3.4 5 f");
    EXPECT_TRUE(noNum.echo);
    EXPECT_EQ(noNum.portText, "5");
    EXPECT_EQ(noNum.addressText, "1.2.3.4");
    EXPECT_TRUE(parseOk("c4 U cid 1.2.3.4 x f;1").echo);
    EXPECT_TRUE(parseOk("c4 U cid 1.2.3.4 5 f;x").echo);
    EXPECT_FALSE(parseOk("c5 U cid 1.2.3.4 5 f;1").echo);
}

TEST(RtpproxyParse, DeleteAndQueryTakeCallIdAndTags) {
    rp::Command d = parseOk("c D cid f t");
    EXPECT_EQ(d.verb, rp::Verb::Delete);
    EXPECT_EQ(d.fromTag, "f");
    EXPECT_EQ(d.toTag, "t");
    rp::Command q = parseOk("c Q cid f;1");
    EXPECT_EQ(q.verb, rp::Verb::Query);
    EXPECT_EQ(q.fromTag, "f");
    EXPECT_EQ(q.toTag, "");
}

TEST(RtpproxyParse, MalformedCommandsAreErrorsWithTheCookie) {
    for (const char* bad : {"c I", "c Ib", "c X", "garbage", "c U", "c U cid 300.1.1.1 4 f;1",
                            "c U cid 1.2.3.4 99999 f;1", "c D cid", "c Q"}) {
        EXPECT_FALSE(rp::parse(bad).ok()) << bad;
        EXPECT_EQ(rp::errorReply(rp::cookieOf(bad)).substr(0, 2), std::string(bad).substr(0, 2))
            << bad;
    }
    EXPECT_EQ(rp::errorReply("garbage"), "garbage E8\n");
    EXPECT_EQ(rp::cookieOf(""), "");
    EXPECT_EQ(rp::cookieOf(" \r\n"), "");
    EXPECT_FALSE(rp::parse(std::string(rp::kMaxMessage + 1, 'a')).ok());
}

TEST(RtpproxyReply, FormatsAsRtpengine) {
    EXPECT_EQ(rp::versionReply("c"), "c 20040107\n");
    EXPECT_EQ(rp::capabilityReply("c", rp::hasCapability("20050322")), "c 1\n");
    EXPECT_EQ(rp::capabilityReply("c", rp::hasCapability("20081102")), "c 0\n");
    EXPECT_EQ(rp::portReply("c", 30000, *net::IpAddress::parse("192.0.2.1")),
              "c 30000 192.0.2.1 4\n");
    EXPECT_EQ(rp::portReply("c", 30000, *net::IpAddress::parse("2001:db8::1")),
              "c 30000 2001:db8::1 6\n");
    EXPECT_EQ(rp::portReply("c", 5, *net::IpAddress::parse("1.2.3.4"), false), "c 5 1.2.3.4\n");
    EXPECT_EQ(rp::deleteReply("c"), "c 0\n");
    EXPECT_EQ(rp::queryReply("c", 3600, 5, 1), "c 3600 5 1 0 0\n");
}

TEST(RtpproxySdp, DescribeMediaReplacesOrAddsTheNumberedSection) {
    auto a = *net::IpAddress::parse("10.0.0.1");
    std::string one = rp::describeMedia("", 1, a, 4000);
    uint16_t port = 0;
    std::optional<net::IpAddress> addr;
    ASSERT_TRUE(rp::mediaEndpoint(one, 1, port, addr));
    EXPECT_EQ(port, 4000);
    EXPECT_EQ(addr->toString(), "10.0.0.1");
    EXPECT_FALSE(rp::mediaEndpoint(one, 2, port, addr));

    std::string two = rp::describeMedia(one, 3, *net::IpAddress::parse("::1"), 6000);
    ASSERT_TRUE(rp::mediaEndpoint(two, 1, port, addr));
    EXPECT_EQ(port, 4000);
    ASSERT_TRUE(rp::mediaEndpoint(two, 2, port, addr));
    EXPECT_EQ(port, 0);  // a placeholder for the number not given yet
    ASSERT_TRUE(rp::mediaEndpoint(two, 3, port, addr));
    EXPECT_EQ(port, 6000);
    EXPECT_EQ(addr->toString(), "::1");
    std::string again = rp::describeMedia(two, 1, a, 4002);
    ASSERT_TRUE(rp::mediaEndpoint(again, 1, port, addr));
    EXPECT_EQ(port, 4002);
    ASSERT_TRUE(rp::mediaEndpoint(again, 3, port, addr));
    EXPECT_EQ(port, 6000);
}

TEST(RtpproxySdp, DescribeMediaKeepsSectionsOnLinesOfTheirOwn) {
    uint16_t port = 0;
    std::optional<net::IpAddress> addr;
    std::string sdp = rp::describeMedia("v=0\r\nm=audio 1 RTP/AVP 0", 2,
                                        *net::IpAddress::parse("10.0.0.1"), 4000);
    ASSERT_TRUE(rp::mediaEndpoint(sdp, 2, port, addr));
    EXPECT_EQ(port, 4000);
}

TEST(RtpproxySdp, MediaEndpointFallsBackToTheSessionAddress) {
    uint16_t port = 0;
    std::optional<net::IpAddress> addr;
    std::string sdp = "v=0\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 30002 RTP/AVP 0\r\n";
    ASSERT_TRUE(rp::mediaEndpoint(sdp, 1, port, addr));
    EXPECT_EQ(port, 30002);
    EXPECT_EQ(addr->toString(), "192.0.2.7");
    ASSERT_TRUE(rp::mediaEndpoint("v=0\r\nm=audio 0 RTP/AVP 0\r\n", 1, port, addr));
    EXPECT_FALSE(addr.has_value());
}

// A CallStore with one interface, no loop (signalling only).
struct StoreRig {
    StoreRig() {
        log::setLevel(log::Crit);
        interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}}, 64720, 64759);
        cfg.interfaces = &interfaces;
        cfg.registry = &registry;
        cfg.deleteDelay = 0;
        cfg.instanceToken = "unit";
        store = std::make_unique<session::CallStore>(cfg, counters);
        ctx.source = "127.0.0.1:5060";
        ctx.defaultAddress = *net::IpAddress::parse("127.0.0.1");
    }
    std::string run(std::string_view msg) {
        auto c = rp::parse(msg);
        if (!c) return rp::errorReply(rp::cookieOf(msg));
        return runRtpproxyCommand(*store, *c, ctx);
    }
    net::InterfaceTable interfaces;
    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::CallStore> store;
    RtpproxyContext ctx;
};

// "COOKIE PORT ADDR FAMILY": the port, after checking the rest.
int allocatedPort(const std::string& reply, const std::string& cookie) {
    std::string prefix = cookie + " ";
    EXPECT_EQ(reply.substr(0, prefix.size()), prefix) << reply;
    EXPECT_NE(reply.find(" 127.0.0.1 4\n"), std::string::npos) << reply;
    return std::atoi(reply.c_str() + prefix.size());
}

TEST(RtpproxyCommands, OfferAnswerQueryDeleteAsKamailioSendsThem) {
    StoreRig r;
    int u = allocatedPort(r.run("k1 U cid@h 10.0.0.1 4000 ftag;1"), "k1");
    EXPECT_GE(u, 64720);
    // U again (a retransmitted INVITE): the same port.
    EXPECT_EQ(allocatedPort(r.run("k2 U cid@h 10.0.0.1 4000 ftag;1"), "k2"), u);
    // The TTL may tick once between the U and the Q.
    EXPECT_EQ(r.run("k3 Q cid@h ftag").substr(7), " 0 0 0 0\n");  // offered only
    EXPECT_EQ(r.run("k3b Q cid@h ftag").substr(0, 6), "k3b 36");
    int l = allocatedPort(r.run("k4 L cid@h 10.0.0.2 5000 ftag;1 ttag;1"), "k4");
    EXPECT_NE(l, u);
    EXPECT_EQ(r.run("k5 Q cid@h ftag ttag").substr(7), " 0 0 0 0\n");  // answered
    EXPECT_EQ(r.run("k6 Q cid@h ftag nosuchtag"), "k6 E8\n");
    session::Call* call = r.store->find("cid@h");
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->participants.size(), 2u);
    EXPECT_EQ(call->proxy, "127.0.0.1:5060");
    EXPECT_EQ(r.run("k7 D cid@h ftag ttag"), "k7 0\n");
    EXPECT_EQ(r.run("k8 Q cid@h ftag ttag"), "k8 E8\n");  // gone (no delete delay)
    EXPECT_EQ(r.run("k9 D cid@h ftag ttag"), "k9 E8\n");
    EXPECT_EQ(r.store->size(), 0u);
}

TEST(RtpproxyCommands, LookupOfAnUnknownCallAnswersPortZero) {
    StoreRig r;
    EXPECT_EQ(r.run("c L nocall 1.2.3.4 5 f;1 t;1"), "c 0 0.0.0.0\n");
    EXPECT_EQ(r.store->size(), 0u);
}

TEST(RtpproxyCommands, UpdateWithoutMediaNumberEchoesTheRequestAndSetsNothingUp) {
    StoreRig r;
    EXPECT_EQ(r.run("c U cid 1.2.3.4 5 f"), "c 5 1.2.3.4\n");
    EXPECT_EQ(r.run("c L cid 1.2.3.4 x f;1 t;1"), "c x 1.2.3.4\n");
    EXPECT_EQ(r.store->size(), 0u);
}

TEST(RtpproxyCommands, RejectedStreamAnswersPortZeroAndTheInterfaceAddress) {
    StoreRig r;
    EXPECT_EQ(r.run("c U cid 10.0.0.1 0 f;1"), "c 0 127.0.0.1 4\n");
}

TEST(RtpproxyCommands, SecondMediaNumberGetsPortsOfItsOwn) {
    StoreRig r;
    int a = allocatedPort(r.run("c1 U cid 10.0.0.1 4000 f;1"), "c1");
    int v = allocatedPort(r.run("c2 U cid 10.0.0.1 4002 f;2"), "c2");
    EXPECT_NE(a, v);
    EXPECT_EQ(allocatedPort(r.run("c3 U cid 10.0.0.1 4000 f;1"), "c3"), a);
}

}  // namespace
}  // namespace ngm::control
