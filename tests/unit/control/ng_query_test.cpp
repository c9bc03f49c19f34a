// The call details of `query` (and `delete`) replies, as rtpengine 10.5
// shows them; the diff suite (query_* scenarios) compares them whole.
#include "control/ng_query.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "session/call_store.h"
#include "session/registry.h"

namespace ngm::control {
namespace {

// The error reason of a failed command ("" when it succeeded).
[[maybe_unused]] std::string reasonOf(const session::CommandResult& r) { return r ? "" : r.error().reason; }
[[maybe_unused]] bool isOverload(const session::CommandResult& r) {
    return !r && r.error().kind == Error::Kind::Overload;
}

using bencode::Value;
using session::CallStore;
using session::CommandResult;
using session::Flags;

// Each test has its own ten ports (inside 62800–62899 and 63170–63209;
// other unit tests use other ranges), so the tests can run in parallel
// processes.
std::string sdp(const std::string& addr, int port, const std::string& extra = "") {
    return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\n" + extra;
}

std::vector<std::string> strings(const Value* v) {
    std::vector<std::string> out;
    if (v && v->isList())
        for (const auto& i : v->items()) out.emplace_back(i.str());
    return out;
}

std::vector<std::string> subscriptionTags(const Value& tag, const char* key) {
    std::vector<std::string> out;
    if (const Value* l = tag.find(key))
        for (const auto& s : l->items()) out.emplace_back(s.find("tag")->str());
    return out;
}

class QueryDetails : public ::testing::Test {
  protected:
    void start(int portMin) {
        log::setLevel(log::Crit);
        table.build({net::InterfaceConfig{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}},
                    portMin, portMin + 9);
        cfg.interfaces = &table;
        cfg.registry = &registry;
        cfg.instanceToken = "0123456789ab";
        store = std::make_unique<CallStore>(cfg, counters);
    }
    CommandResult offer(const std::string& body, const std::string& via = "",
                        const std::string& label = "") {
        Flags f;
        f.callId = "c1";
        f.fromTag = "ft";
        f.viaBranch = via;
        f.label = label;
        f.sdp = body;
        f.hasSdp = true;
        return store->offer(f);
    }
    CommandResult answer(const std::string& toTag, const std::string& body, const std::string& via = "",
                         const std::string& label = "", const std::string& setLabel = "") {
        Flags f;
        f.callId = "c1";
        f.fromTag = "ft";
        f.toTag = toTag;
        f.viaBranch = via;
        f.label = label;
        f.setLabel = setLabel;
        f.sdp = body;
        f.hasSdp = true;
        return store->answer(f);
    }
    const Value& query() {
        reply = Value::dict();
        encodeCallDetails(*store->find("c1"), Flags{}, reply, doc);
        return reply;
    }
    const Value& tag(const std::string& key) {
        const Value* t = reply.find("tags")->find(key);
        EXPECT_TRUE(t) << "no tag " << key;
        static const Value none = Value::dict();
        return t ? *t : none;
    }

    net::InterfaceTable table;
    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<CallStore> store;
    bencode::Document doc;
    Value reply;
};

TEST_F(QueryDetails, UntaggedSideIsNamedByItsCreationOrderAndHasEmptyEndpoints) {
    start(62800);
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000))).ok());
    query();
    ASSERT_EQ(reply.find("tags")->entries().size(), 2u);
    const Value& u = tag("<untagged 1>");
    EXPECT_EQ(u.find("tag")->str(), "");
    EXPECT_EQ(u.find("in dialogue with"), nullptr);
    const Value& m = u.find("medias")->items()[0];
    EXPECT_EQ(strings(m.find("flags")), (std::vector<std::string>{"send", "recv", "ICE controlling"}));
    const Value& rtp = m.find("streams")->items()[0];
    ASSERT_TRUE(rtp.find("endpoint") && rtp.find("endpoint")->isDict());
    EXPECT_TRUE(rtp.find("endpoint")->entries().empty());
    EXPECT_TRUE(rtp.find("advertised endpoint")->entries().empty());
    EXPECT_GT(rtp.find("last packet")->integer(), 0) << "the stream's creation time";
    EXPECT_EQ(strings(rtp.find("flags")), std::vector<std::string>{"RTP"});
    EXPECT_EQ(strings(tag("ft").find("medias")->items()[0].find("flags")),
              (std::vector<std::string>{"initialized", "send", "recv"}));
}

TEST_F(QueryDetails, ViaBranchForksSubscribeAsRtpengineDoes) {
    start(63170);
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000), "b1")).ok());
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000), "b2")).ok());
    query();
    // The offerer hears both branches, its media go to the latest only.
    EXPECT_EQ(subscriptionTags(tag("ft"), "subscriptions"), (std::vector<std::string>{"", ""}));
    EXPECT_EQ(subscriptionTags(tag("ft"), "subscribers"), std::vector<std::string>{""});
    EXPECT_EQ(tag("<untagged 1>").find("via-branch")->str(), "b1");
    EXPECT_TRUE(subscriptionTags(tag("<untagged 1>"), "subscriptions").empty());
    EXPECT_EQ(subscriptionTags(tag("<untagged 2>"), "subscriptions"), std::vector<std::string>{"ft"});

    ASSERT_TRUE((answer("tt1", sdp("192.0.2.2", 3000), "b1")).ok());
    query();
    EXPECT_EQ(subscriptionTags(tag("ft"), "subscriptions"), (std::vector<std::string>{"tt1", ""}));
    EXPECT_EQ(subscriptionTags(tag("ft"), "subscribers"), std::vector<std::string>{"tt1"});
    EXPECT_EQ(tag("tt1").find("via-branch")->str(), "b1");
    EXPECT_EQ(subscriptionTags(tag("tt1"), "subscriptions"), std::vector<std::string>{"ft"});
    EXPECT_TRUE(subscriptionTags(tag("<untagged 2>"), "subscriptions").empty());
    EXPECT_EQ(subscriptionTags(tag("<untagged 2>"), "subscribers"), std::vector<std::string>{"ft"});
}

TEST_F(QueryDetails, DirectionFlagsAreRtpenginesViewAndMirrorTheOfferUntilAnswered) {
    start(63180);
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000, "a=sendonly\r\n"))).ok());
    query();
    // sendonly: media only come from the offerer, only go to the other side.
    EXPECT_EQ(strings(tag("ft").find("medias")->items()[0].find("flags")),
              (std::vector<std::string>{"initialized", "recv"}));
    EXPECT_EQ(strings(tag("<untagged 1>").find("medias")->items()[0].find("flags")),
              (std::vector<std::string>{"send", "ICE controlling"}));
    ASSERT_TRUE((answer("tt", sdp("192.0.2.2", 3000, "a=recvonly\r\n"))).ok());
    query();
    EXPECT_EQ(strings(tag("tt").find("medias")->items()[0].find("flags")),
              (std::vector<std::string>{"initialized", "send", "ICE controlling"}));
}

TEST_F(QueryDetails, RtcpMuxKeepsTheRtcpStreamAsFallback) {
    start(63190);
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000, "a=rtcp-mux\r\n"))).ok());
    ASSERT_TRUE((answer("tt", sdp("192.0.2.2", 3000, "a=rtcp-mux\r\n"))).ok());
    query();
    const Value& m = tag("ft").find("medias")->items()[0];
    EXPECT_EQ(strings(m.find("flags")), (std::vector<std::string>{"initialized", "send", "recv", "rtcp-mux"}));
    const auto& streams = m.find("streams")->items();
    ASSERT_EQ(streams.size(), 2u);
    EXPECT_EQ(strings(streams[0].find("flags")), (std::vector<std::string>{"RTP", "RTCP", "filled"}));
    EXPECT_EQ(strings(streams[1].find("flags")),
              (std::vector<std::string>{"RTCP", "fallback RTCP", "filled"}));
    EXPECT_EQ(streams[1].find("advertised endpoint")->find("port")->integer(), 2001);
    EXPECT_TRUE(streams[1].find("local port"));
}

// ICE=optional towards a sender that speaks ICE: its ICE and SDES pass
// through both ways, and both sides' media say "passthrough" where SDES
// would be (rtpengine 10.5, diff scenario ice_force_relay_chrome_sdes_query).
// Ports 61860-61869 (this branch's range).
TEST_F(QueryDetails, IcePassThroughFlagsBothSidesPassthroughInsteadOfSdes) {
    start(61860);
    auto savp = [](const std::string& addr, int port, const std::string& ufrag) {
        return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\nm=audio " +
               std::to_string(port) +
               " RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
               "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=ice-ufrag:" +
               ufrag + "\r\na=ice-pwd:passwordpasswordpassword\r\na=candidate:1 1 UDP 2130706431 " + addr + " " +
               std::to_string(port) + " typ host\r\n";
    };
    Flags f;
    f.callId = "c1";
    f.fromTag = "ft";
    f.ice = "optional";
    f.sdp = savp("192.0.2.1", 2000, "aaaa");
    f.hasSdp = true;
    CommandResult o = store->offer(f);
    ASSERT_TRUE(o.ok());
    EXPECT_NE(o->sdp.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"),
              std::string::npos)
        << o->sdp;
    EXPECT_EQ(o->sdp.find("a=crypto:2"), std::string::npos) << "no keys of ours:\n" << o->sdp;
    ASSERT_TRUE((answer("tt", savp("192.0.2.2", 3000, "bbbb"))).ok());
    query();
    for (const char* t : {"ft", "tt"}) {
        auto flags = strings(tag(t).find("medias")->items()[0].find("flags"));
        EXPECT_NE(std::find(flags.begin(), flags.end(), "passthrough"), flags.end()) << t;
        EXPECT_EQ(std::find(flags.begin(), flags.end(), "SDES"), flags.end()) << t;
    }
}

TEST_F(QueryDetails, AnswerLabelsTheAnswererAndIgnoresSetLabel) {
    start(63200);
    ASSERT_TRUE((offer(sdp("192.0.2.1", 2000), "", "caller")).ok());
    ASSERT_TRUE((answer("tt", sdp("192.0.2.2", 3000), "", "callee", "ignored")).ok());
    query();
    EXPECT_EQ(tag("ft").find("label")->str(), "caller");
    EXPECT_EQ(tag("tt").find("label")->str(), "callee");
}

}  // namespace
}  // namespace ngm::control
