// OpenSER's mediaproxy protocol (--listen-tcp): the line parser and reply
// formats (control/mediaproxy.h) and the commands on a CallStore
// (control/mediaproxy_transport.h). What parses and what is answered is
// what Debian's rtpengine 10.5 does (tests/diff/mediaproxy_diff.py compares
// the two live). Media ports 61900-61939, ten per test.
#include "control/mediaproxy.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/log.h"
#include "control/mediaproxy_transport.h"
#include "net/interface.h"
#include "session/call_store.h"
#include "session/registry.h"

namespace ngm::control {
namespace {

namespace mp = mediaproxy;

const char* kRest = " 10.0.0.9 dom.a local dom.b remote UA ";

std::string request(const std::string& verb, const std::string& callId,
                    const std::string& streams, const std::string& info) {
    return verb + " " + callId + " " + streams + kRest + "info=" + info;
}

TEST(MediaproxyParse, OneWordCommands) {
    EXPECT_EQ(mp::parse("version")->verb, mp::Verb::Version);
    EXPECT_EQ(mp::parse("build")->verb, mp::Verb::Version);
    EXPECT_EQ(mp::parse("status\r")->verb, mp::Verb::Status);
    EXPECT_EQ(mp::parse("controls")->verb, mp::Verb::Controls);
    EXPECT_EQ(mp::parse("quit")->verb, mp::Verb::Quit);
    EXPECT_EQ(mp::parse("exit")->verb, mp::Verb::Quit);
}

TEST(MediaproxyParse, RejectsWhatRtpengineDoesNotTake) {
    for (const char* line : {"", "foo", "VERSION", "Status", "version extra", " version", "version ",
                             "debug", "delete", "delete abc", "delete abc info", "delete abc xinfo=",
                             "delete d1 info=junk junk", "request", "lookup",
                             "request c 1.2.3.4:5 a b c d e info=fromtag:x",
                             "request c 1.2.3.4:5 a b c d e f g info=fromtag:x",
                             "request c 1.2.3.4:5 a b c d e f info=fromtag:x junk",
                             "request c 1.2.3.4:5 a b c d e f info=fromtag:x "})
        EXPECT_FALSE(mp::parse(line).ok()) << line;
    EXPECT_FALSE(mp::parse(std::string(mp::kMaxLine + 1, 'x')).ok());
}

TEST(MediaproxyParse, RequestTakesStreamsAndTagsFromInfo) {
    // The command's views point into the line: it must outlive them.
    const std::string line = request("request", "cid@h", "10.0.0.1:4000,10.0.0.1:4002:video",
                                     "from:a@x,to:b@y,fromtag:ft,totag:tt,asymmetric");
    auto c = mp::parse(line);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->verb, mp::Verb::Request);
    EXPECT_EQ(c->callId, "cid@h");
    ASSERT_EQ(c->streams.size(), 2u);
    EXPECT_EQ(c->streams[0].address.toString(), "10.0.0.1");
    EXPECT_EQ(c->streams[1].port, 4002);
    EXPECT_TRUE(c->streamsValid);
    EXPECT_EQ(c->fromTag, "ft");
    EXPECT_EQ(c->toTag, "tt");
    // Tabs and runs of blanks separate words too; the first fromtag counts.
    auto t = mp::parse("lookup\tc  1.2.3.4:5 a b c d e f info=totag:y,fromtag:x,fromtag:z");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->verb, mp::Verb::Lookup);
    EXPECT_EQ(t->fromTag, "x");
    EXPECT_EQ(t->toTag, "y");
}

TEST(MediaproxyParse, BadStreamsParseButAreMarked) {
    for (const char* s : {"1.2.3:5020", "127.0.0.1:abc", "127.0.0.1", "127.0.0.1:70000",
                          "[::1]:5030", "::1:5030"}) {
        auto c = mp::parse(request("request", "c", s, "fromtag:f"));
        ASSERT_TRUE(c.ok()) << s;
        EXPECT_FALSE(c->streamsValid) << s;
    }
    // An empty item ends the list.
    auto c = mp::parse(request("request", "c", "127.0.0.1:5000,,127.0.0.1:5002", "fromtag:f"));
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(c->streamsValid);
    EXPECT_EQ(c->streams.size(), 1u);
}

TEST(MediaproxyParse, DeleteTakesCallId) {
    auto c = mp::parse("delete cid@h info=");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->verb, mp::Verb::Delete);
    EXPECT_EQ(c->callId, "cid@h");
}

TEST(MediaproxyReplies, Formats) {
    auto a = *net::IpAddress::parse("203.0.113.1");
    EXPECT_EQ(mp::portsReply(a, {30000}), "203.0.113.1 30000\n");
    EXPECT_EQ(mp::portsReply(a, {30000, 30002}), "203.0.113.1 30000 30002\n");
    EXPECT_EQ(mp::portsReply(a, {}), "\n");
    EXPECT_EQ(mp::versionReply("ngmedia 1"), "Version: ngmedia 1\n");
    EXPECT_EQ(mp::statusReply(0, 0, {}), "proxy 0 0/0/0\n");
    EXPECT_EQ(mp::statusReply(2, 8299, {{"c2", 3}, {"c1", 13}}),
              "proxy 2 8299/0/0\nsession c2 - - - - 3\nsession c1 - - - - 13\n");
    EXPECT_EQ(mp::controlsReply({"127.0.0.1:4000"}), "127.0.0.1:4000\nEnd.\n");
}

// A CallStore with one interface, no loop (signalling only).
struct StoreRig {
    // Each test its own ports: ctest runs them side by side.
    explicit StoreRig(int portMin) {
        log::setLevel(log::Crit);
        interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}}, portMin, portMin + 9);
        cfg.interfaces = &interfaces;
        cfg.registry = &registry;
        cfg.deleteDelay = 0;
        cfg.instanceToken = "unit";
        store = std::make_unique<session::CallStore>(cfg, counters);
    }
    std::optional<std::string> run(const std::string& line) {
        auto c = mp::parse(line);
        EXPECT_TRUE(c.ok()) << line;
        if (!c) return std::nullopt;
        return runMediaproxyCommand(*store, *c, "127.0.0.1:5060");
    }
    net::InterfaceTable interfaces;
    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::CallStore> store;
};

// "ADDR PORT": the port, after checking the address.
int port(const std::optional<std::string>& reply) {
    EXPECT_TRUE(reply.has_value());
    if (!reply) return -1;
    EXPECT_EQ(reply->substr(0, 10), "127.0.0.1 ") << *reply;
    return std::atoi(reply->c_str() + 10);
}

TEST(MediaproxyCommands, RequestLookupDeleteAsTheModuleSendsThem) {
    StoreRig r(61900);
    int a = port(r.run(request("request", "cid", "10.0.0.1:4000", "from:a,to:b,fromtag:ft,totag:")));
    EXPECT_GE(a, 61900);
    // The INVITE again: the same port.
    EXPECT_EQ(port(r.run(request("request", "cid", "10.0.0.1:4000", "fromtag:ft,totag:"))), a);
    int b = port(r.run(request("lookup", "cid", "10.0.0.2:5000", "fromtag:ft,totag:tt")));
    EXPECT_GE(b, 61900);
    EXPECT_NE(a, b);
    session::Call* call = r.store->find("cid");
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->participants.size(), 2u);
    EXPECT_EQ(call->proxy, "127.0.0.1:5060");
    EXPECT_FALSE(r.run("delete cid info=").has_value());
    EXPECT_EQ(r.store->size(), 0u);
    // Deleting it again: still no reply.
    EXPECT_FALSE(r.run("delete cid info=").has_value());
}

TEST(MediaproxyCommands, TwoStreamsGetTwoPortsAfterOneAddress) {
    StoreRig r(61910);
    auto reply = r.run(request("request", "c2", "10.0.0.1:4000,10.0.0.1:4002", "fromtag:f"));
    ASSERT_TRUE(reply);
    int p1 = 0, p2 = 0;
    char addr[64] = {};
    ASSERT_EQ(sscanf(reply->c_str(), "%63s %d %d", addr, &p1, &p2), 3) << *reply;
    EXPECT_STREQ(addr, "127.0.0.1");
    EXPECT_NE(p1, p2);
}

TEST(MediaproxyCommands, WhatRtpengineAnswersWithoutSettingUpMedia) {
    StoreRig r(61920);
    // No from-tag: no reply at all.
    EXPECT_FALSE(r.run(request("request", "c", "10.0.0.1:4000", "")).has_value());
    // A stream that is not IPv4 ADDR:PORT: an empty line.
    EXPECT_EQ(r.run(request("request", "c", "::1:4000", "fromtag:f")), "\n");
    // Lookup of a call that is not there, or without a to-tag: no reply.
    EXPECT_FALSE(r.run(request("lookup", "nosuch", "10.0.0.1:4000", "fromtag:f,totag:t")));
    EXPECT_EQ(r.store->size(), 0u);
    port(r.run(request("request", "c", "10.0.0.1:4000", "fromtag:f")));
    EXPECT_FALSE(r.run(request("lookup", "c", "10.0.0.2:4000", "fromtag:f")));
}

TEST(MediaproxyCommands, RejectedStreamAnswersPortZero) {
    StoreRig r(61930);
    EXPECT_EQ(r.run(request("request", "c", "127.0.0.1:0", "fromtag:f")), "127.0.0.1 0\n");
}

}  // namespace
}  // namespace ngm::control
