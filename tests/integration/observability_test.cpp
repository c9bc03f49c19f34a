// What query, list and statistics report.
#include <algorithm>
#include <ctime>
#include <set>

#include "daemon_test.h"

namespace ngm::itest {
namespace {

using bencode::Value;
using Observability = DaemonTest;

const Value* item(const Value* list, size_t i) {
    if (!list || !list->isList() || list->items().size() <= i) return nullptr;
    return &list->items()[i];
}

std::vector<std::string> strings(const Value* list) {
    std::vector<std::string> out;
    if (list && list->isList())
        for (const auto& v : list->items())
            if (v.isString()) out.emplace_back(v.str());
    return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

int64_t intAt(const Value* v, std::initializer_list<std::string_view> path) {
    const Value* x = v ? lookup(*v, path) : nullptr;
    return x && x->isInteger() ? x->integer() : -1;
}

std::string strAt(const Value* v, std::initializer_list<std::string_view> path) {
    const Value* x = v ? lookup(*v, path) : nullptr;
    return x && x->isString() ? std::string(x->str()) : std::string("<missing>");
}

void expectZeroStats(const Value* stats, const std::string& what) {
    ASSERT_TRUE(stats && stats->isDict()) << what << ": no stats";
    for (const char* k : {"packets", "bytes", "errors"})
        EXPECT_EQ(intAt(stats, {k}), 0) << what << " " << k;
}

TEST_F(Observability, QueryReplyShape) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    int64_t t0 = (int64_t)time(nullptr);
    Reply o = offer("c1", "alice", audioSdp(2000, "192.0.2.10"));
    Reply a = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20"));
    ASSERT_EQ(o.result(), "ok");
    ASSERT_EQ(a.result(), "ok");
    auto toBob = sdpMediaPorts(o.sdp()), toAlice = sdpMediaPorts(a.sdp());
    ASSERT_TRUE(toBob && toAlice);

    Reply q = query("c1");
    ASSERT_EQ(q.result(), "ok") << q.describe();
    int64_t created = q.integer({"created"});
    EXPECT_GE(created, t0 - 1) << q.describe();
    EXPECT_LE(created, (int64_t)time(nullptr) + 1) << q.describe();
    EXPECT_GE(q.integer({"last signal"}), created) << q.describe();

    const Value* tags = q.get({"tags"});
    ASSERT_TRUE(tags && tags->isDict()) << q.describe();
    EXPECT_EQ(tags->entries().size(), 2u) << q.describe();

    struct Side {
        std::string tag, peer, remoteAddr;
        int remotePort;
        int localPort;
    };
    for (const Side& side : {Side{"alice", "bob", "192.0.2.10", 2000, toAlice->rtp},
                             Side{"bob", "alice", "192.0.2.20", 3000, toBob->rtp}}) {
        SCOPED_TRACE("tag " + side.tag);
        const Value* t = lookup(*tags, {side.tag});
        ASSERT_TRUE(t && t->isDict()) << q.describe();
        EXPECT_EQ(strAt(t, {"tag"}), side.tag);
        // rtpengine 10.5 has no "in dialogue with"; the peer is the one
        // subscription (and subscriber) of an answered call.
        EXPECT_EQ(lookup(*t, {"in dialogue with"}), nullptr) << q.describe();
        const Value* subs = lookup(*t, {"subscriptions"});
        ASSERT_TRUE(subs && subs->isList() && subs->items().size() == 1u) << q.describe();
        EXPECT_EQ(strAt(item(subs, 0), {"tag"}), side.peer);
        EXPECT_EQ(strAt(item(subs, 0), {"type"}), "offer/answer");
        EXPECT_GE(intAt(t, {"created"}), t0 - 1);

        const Value* medias = lookup(*t, {"medias"});
        ASSERT_TRUE(medias && medias->isList() && medias->items().size() == 1u) << q.describe();
        const Value* m = item(medias, 0);
        EXPECT_EQ(intAt(m, {"index"}), 1);
        EXPECT_EQ(strAt(m, {"type"}), "audio");
        EXPECT_EQ(strAt(m, {"protocol"}), "RTP/AVP");
        const Value* mflags = lookup(*m, {"flags"});
        EXPECT_TRUE(mflags && mflags->isList());

        const Value* streams = lookup(*m, {"streams"});
        ASSERT_TRUE(streams && streams->isList() && streams->items().size() == 2u)
            << "RTP and RTCP: " << q.describe();
        for (int i = 0; i < 2; i++) {
            SCOPED_TRACE(i == 0 ? "RTP stream" : "RTCP stream");
            const Value* s = item(streams, (size_t)i);
            EXPECT_EQ(intAt(s, {"local port"}), side.localPort + i);
            const Value* adv = lookup(*s, {"advertised endpoint"});
            ASSERT_TRUE(adv && adv->isDict()) << q.describe();
            EXPECT_EQ(strAt(adv, {"family"}), "IPv4");
            EXPECT_EQ(strAt(adv, {"address"}), side.remoteAddr);
            EXPECT_EQ(intAt(adv, {"port"}), side.remotePort + i);
            const Value* ep = lookup(*s, {"endpoint"});
            ASSERT_TRUE(ep && ep->isDict()) << q.describe();
            EXPECT_EQ(strAt(ep, {"address"}), side.remoteAddr);
            EXPECT_EQ(intAt(ep, {"port"}), side.remotePort + i);
            auto flags = strings(lookup(*s, {"flags"}));
            EXPECT_TRUE(contains(flags, i == 0 ? "RTP" : "RTCP")) << q.describe();
            expectZeroStats(lookup(*s, {"stats"}), "stream stats");
        }
    }
    expectZeroStats(q.get({"totals", "RTP"}), "totals RTP");
    expectZeroStats(q.get({"totals", "RTCP"}), "totals RTCP");
}

TEST_F(Observability, QueryUnknownCallIsError) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply q = query("nope");
    EXPECT_EQ(q.result(), "error") << q.describe();
    EXPECT_FALSE(q.errorReason().empty());
}

TEST_F(Observability, StatisticsCountersMove) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    Reply before = statistics();
    ASSERT_EQ(before.result(), "ok") << before.describe();

    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    ASSERT_EQ(offer("c2", "carol", audioSdp(4000)).result(), "ok");
    ASSERT_EQ(answer("c1", "alice", "bob", audioSdp(3000)).result(), "ok");
    ASSERT_EQ(query("c2").result(), "ok");
    ASSERT_EQ(deleteNow("c2", "carol").result(), "ok");
    ASSERT_EQ(ng->request(Request("ping")).result(), "pong");
    ASSERT_EQ(ng->request(Request("frobnicate")).result(), "error");
    Reply after = statistics();
    ASSERT_EQ(after.result(), "ok") << after.describe();

    auto delta = [&](std::initializer_list<std::string_view> path) {
        return after.integer(path, -1000) - before.integer(path, -1000);
    };
    EXPECT_EQ(delta({"statistics", "currentstatistics", "sessionsown"}), 1);
    EXPECT_EQ(delta({"statistics", "currentstatistics", "sessionstotal"}), 1);
    // As rtpengine: a session counts as managed when it ends.
    EXPECT_EQ(delta({"statistics", "totalstatistics", "managedsessions"}), 1);
    EXPECT_EQ(delta({"statistics", "totalstatistics", "regularterminatedsessions"}), 1);
    EXPECT_EQ(delta({"statistics", "totalstatistics", "rejectedsessions"}), 0);
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totaloffercount"}), 2);
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totalanswercount"}), 1);
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totaldeletecount"}), 1);
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totalquerycount"}), 1);
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totalpingcount"}), 1);
    // The first statistics request (whether or not a request counts itself,
    // the difference is one).
    EXPECT_EQ(delta({"statistics", "controlstatistics", "totalstatscount"}), 1);

    // One proxy row: ours, with the same numbers.
    const Value* proxies = after.get({"statistics", "controlstatistics", "proxies"});
    ASSERT_TRUE(proxies && proxies->isList() && proxies->items().size() == 1u) << after.describe();
    const Value& row = proxies->items()[0];
    EXPECT_EQ(strAt(&row, {"proxy"}), "127.0.0.1");
    EXPECT_EQ(intAt(&row, {"offercount"}), 2);
    EXPECT_EQ(intAt(&row, {"answercount"}), 1);
    EXPECT_EQ(intAt(&row, {"errorcount"}), 1);
    EXPECT_EQ(strAt(&row, {"offerduration"}).find('.'), 1u) << "seconds with six decimals";
}

TEST_F(Observability, ListHonoursLimit) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    std::set<std::string> made;
    for (int i = 0; i < 5; i++) {
        std::string id = "call-" + std::to_string(i);
        ASSERT_EQ(offer(id, "alice", audioSdp(2000)).result(), "ok");
        made.insert(id);
    }
    Reply three = ng->request(Request("list").setInt("limit", 3));
    ASSERT_EQ(three.result(), "ok") << three.describe();
    auto ids = strings(three.get({"calls"}));
    EXPECT_EQ(ids.size(), 3u) << three.describe();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "duplicates";
    for (const auto& id : ids) EXPECT_TRUE(made.count(id)) << id;

    Reply all = ng->request(Request("list"));
    auto allIds = strings(all.get({"calls"}));
    EXPECT_EQ(std::set<std::string>(allIds.begin(), allIds.end()), made) << all.describe();

    // As rtpengine 10.5: 0 lists nothing, a negative limit is an error.
    Reply zero = ng->request(Request("list").setInt("limit", 0));
    EXPECT_EQ(zero.result(), "ok") << zero.describe();
    EXPECT_TRUE(strings(zero.get({"calls"})).empty()) << zero.describe();
    Reply negative = ng->request(Request("list").setInt("limit", -1));
    EXPECT_EQ(negative.result(), "error") << negative.describe();
    EXPECT_EQ(negative.errorReason(), "invalid limit, must be >= 0");
}

TEST_F(Observability, ListDefaultLimitIs32) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    for (int i = 0; i < 40; i++)
        ASSERT_EQ(offer("call-" + std::to_string(i), "alice", noPortsSdp()).result(), "ok");
    Reply r = ng->request(Request("list"));
    EXPECT_EQ(strings(r.get({"calls"})).size(), 32u) << r.describe();
}

TEST_F(Observability, OversizedReplyBecomesError) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    // 80 calls with 1000-byte call-ids: listing them all needs ~80 kB, more
    // than a UDP datagram carries. A rejected stream needs no ports.
    for (int i = 0; i < 80; i++) {
        std::string id = std::to_string(i) + "-" + std::string(1000, 'x');
        Reply r = offer(id, "alice", noPortsSdp());
        ASSERT_EQ(r.result(), "ok") << r.describe();
    }
    Reply big = ng->request(Request("list").setInt("limit", 100000));
    ASSERT_TRUE(big.received()) << "an oversized reply must become an error, not silence";
    EXPECT_EQ(big.result(), "error") << big.describe(300);
    EXPECT_NE(big.errorReason().find("too large"), std::string::npos) << big.describe(300);

    Reply small = ng->request(Request("list").setInt("limit", 10));
    EXPECT_EQ(small.result(), "ok") << small.describe(300);
    EXPECT_EQ(strings(small.get({"calls"})).size(), 10u);
}

}  // namespace
}  // namespace ngm::itest
