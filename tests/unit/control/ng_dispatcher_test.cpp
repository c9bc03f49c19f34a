// NgDispatcher: cookies, the retransmission cache, error replies with
// rtpengine's error-reasons, and bencode or JSON replies as requested. The
// worker pool is not started (as in tests/fuzz/fuzz_ng.cpp), so call
// commands run inline and handle() returns at once. No media ports are
// allocated: no interface is configured and no command here needs one.
#include "control/ng_dispatcher.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "bencode/value.h"
#include "common/log.h"
#include "control/ng_commands.h"
#include "dispatcher_rig.h"

namespace ngm::control {
namespace {

using bencode::Document;

net::Endpoint from(uint16_t port) { return net::Endpoint{*net::IpAddress::parse("127.0.0.1"), port}; }

class NgDispatcherTest : public ::testing::Test, protected testing::DispatcherRig {
  protected:
    // The reply's dictionary after the cookie, decoded as bencode or JSON.
    struct Reply {
        std::string raw;  // the decoded strings point into it
        std::string cookie;
        Document doc;
        std::string str(std::string_view key) const {
            const bencode::Value* v = doc.root.find(key);
            return v && v->isString() ? std::string(v->str()) : "<missing " + std::string(key) + ">";
        }
    };
    static void parse(std::string reply, Reply& r, bool json = false) {
        r.raw = std::move(reply);
        const std::string& raw = r.raw;
        auto sp = raw.find(' ');
        ASSERT_NE(sp, std::string::npos) << raw;
        r.cookie = raw.substr(0, sp);
        std::string_view body = std::string_view(raw).substr(sp + 1);
        auto ok = json ? bencode::decodeJson(body, r.doc) : bencode::decode(body, r.doc);
        ASSERT_TRUE(ok) << raw;
        ASSERT_TRUE(r.doc.root.isDict()) << raw;
    }

    int64_t pings() const {
        int col = statisticsColumn(*findCommand("ping"));
        return dispatcher->statistics().snapshot().totals.at((size_t)col);
    }

};

TEST_F(NgDispatcherTest, PingAnswersPongUnderTheSameCookie) {
    EXPECT_EQ(dispatcher->handle("abc123 d7:command4:pinge", from(5060)), "abc123 d6:result4:ponge");
    EXPECT_EQ(pings(), 1);
}

TEST_F(NgDispatcherTest, RetransmissionGetsTheCachedReplyWithoutRunningAgain) {
    std::string first = dispatcher->handle("c1 d7:command4:pinge", from(5060));
    ASSERT_EQ(first, "c1 d6:result4:ponge");
    EXPECT_EQ(dispatcher->replyCache().size(), 1u);
    std::string again = dispatcher->handle("c1 d7:command4:pinge", from(5060));
    EXPECT_EQ(again, first);
    EXPECT_EQ(pings(), 1) << "a retransmission is not counted as another ping";
    EXPECT_EQ(dispatcher->replyCache().size(), 1u);
    auto proxies = dispatcher->statistics().snapshot().proxies;
    ASSERT_EQ(proxies.count("127.0.0.1"), 1u);
    EXPECT_EQ(proxies["127.0.0.1"].count.at((size_t)statisticsColumn(*findCommand("ping"))), 1);
}

TEST_F(NgDispatcherTest, RetransmissionAnswersWithTheFirstReplyEvenForADifferentBody) {
    // rtpengine keys its cache on cookie and source alone.
    std::string first = dispatcher->handle("c1 d7:command4:pinge", from(5060));
    EXPECT_EQ(dispatcher->handle("c1 d7:command10:frobnicatee", from(5060)), first);
    EXPECT_EQ(pings(), 1);
}

TEST_F(NgDispatcherTest, SameCookieFromAnotherPortRunsAgain) {
    EXPECT_EQ(dispatcher->handle("c1 d7:command4:pinge", from(5060)), "c1 d6:result4:ponge");
    EXPECT_EQ(dispatcher->handle("c1 d7:command4:pinge", from(5061)), "c1 d6:result4:ponge");
    EXPECT_EQ(pings(), 2);
    EXPECT_EQ(dispatcher->replyCache().size(), 2u);
}

TEST_F(NgDispatcherTest, AnotherCookieFromTheSameSourceRunsAgain) {
    dispatcher->handle("c1 d7:command4:pinge", from(5060));
    EXPECT_EQ(dispatcher->handle("c2 d7:command4:pinge", from(5060)), "c2 d6:result4:ponge");
    EXPECT_EQ(pings(), 2);
}

TEST_F(NgDispatcherTest, MalformedBencodeAnswersInvalidNgDataFormat) {
    for (const char* body : {"d7:command4:ping", "d7:command", "xyz", "d7:command4:pingee"}) {
        Reply r;
        std::string cookie = std::string("m") + std::to_string(std::string_view(body).size());
        ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle(cookie + " " + body, from(5060)), r)) << body;
        EXPECT_EQ(r.cookie, cookie);
        EXPECT_EQ(r.str("result"), "error") << body;
        EXPECT_EQ(r.str("error-reason"), "Invalid NG data format") << body;
    }
    EXPECT_EQ(pings(), 0);
    EXPECT_EQ(dispatcher->statistics().snapshot().proxies["127.0.0.1"].errors, 4);
}

TEST_F(NgDispatcherTest, NonDictionaryAnswersInvalidNgDataFormat) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle("c1 l4:pinge", from(5060)), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "Invalid NG data format");
}

TEST_F(NgDispatcherTest, DictionaryWithoutCommandAnswersSo) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle("c1 d7:call-id2:x1e", from(5060)), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "Dictionary contains no key \"command\"");
}

TEST_F(NgDispatcherTest, UnknownCommandAnswersUnrecognizedCommand) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle("c1 d7:command10:frobnicatee", from(5060)), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "Unrecognized command");
    EXPECT_EQ(dispatcher->statistics().snapshot().proxies["127.0.0.1"].errors, 1);
}

TEST_F(NgDispatcherTest, MissingRequiredKeyAnswersRtpenginesReason) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle("c1 d7:command5:querye", from(5060)), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "No call-id in message");
}

TEST_F(NgDispatcherTest, CallCommandRunsInlineOnTheUnstartedPool) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(
        parse(dispatcher->handle("c1 d7:command5:query7:call-id7:unknowne", from(5060)), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "Unknown call-id");
}

TEST_F(NgDispatcherTest, JsonRequestGetsAJsonReply) {
    std::string raw = dispatcher->handle("j1 {\"command\":\"ping\"}", from(5060));
    ASSERT_EQ(raw.rfind("j1 {", 0), 0u) << raw;
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(raw, r, true));
    EXPECT_EQ(r.cookie, "j1");
    EXPECT_EQ(r.str("result"), "pong");
    EXPECT_EQ(pings(), 1);
}

TEST_F(NgDispatcherTest, JsonRequestWithLeadingWhitespaceGetsAJsonReply) {
    std::string raw = dispatcher->handle("j1  \n{\"command\":\"frobnicate\"}", from(5060));
    ASSERT_EQ(raw.rfind("j1 {", 0), 0u) << raw;
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(raw, r, true));
    EXPECT_EQ(r.str("error-reason"), "Unrecognized command");
}

TEST_F(NgDispatcherTest, MalformedJsonGetsAJsonErrorReply) {
    std::string raw = dispatcher->handle("j1 {\"command\":", from(5060));
    ASSERT_EQ(raw.rfind("j1 {", 0), 0u) << raw;
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(raw, r, true));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason"), "Invalid NG data format");
}

TEST_F(NgDispatcherTest, MessageWithoutCookieGetsNoReply) {
    bool called = false;
    auto sink = [&](const std::string&) { called = true; };
    EXPECT_FALSE(dispatcher->handleAsync("d7:command4:pinge", from(5060), sink));
    EXPECT_FALSE(dispatcher->handleAsync(" d7:command4:pinge", from(5060), sink));
    EXPECT_FALSE(called);
    EXPECT_EQ(dispatcher->handle("d7:command4:pinge", from(5060)), "");
    EXPECT_EQ(pings(), 0);
    EXPECT_EQ(dispatcher->replyCache().size(), 0u);
}

TEST_F(NgDispatcherTest, HandleAsyncRepliesThroughTheSink) {
    std::string got;
    int calls = 0;
    EXPECT_TRUE(dispatcher->handleAsync("c1 d7:command4:pinge", from(5060), [&](const std::string& r) {
        got = r;
        calls++;
    }));
    EXPECT_EQ(calls, 1) << "ping is answered on the receiving thread, before handleAsync returns";
    EXPECT_EQ(got, "c1 d6:result4:ponge");
}

TEST_F(NgDispatcherTest, ReplyLargerThanTheLimitBecomesAnError) {
    Reply r;
    ASSERT_NO_FATAL_FAILURE(parse(dispatcher->handle("c1 d7:command4:pinge", from(5060), 10), r));
    EXPECT_EQ(r.str("result"), "error");
    EXPECT_EQ(r.str("error-reason").rfind("Reply too large for one datagram (", 0), 0u)
        << r.str("error-reason");
}

}  // namespace
}  // namespace ngm::control
