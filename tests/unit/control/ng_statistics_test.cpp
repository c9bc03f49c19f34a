// buildStatistics: the `statistics` reply built from StatisticsSources
// (worker packet totals, session counters, control statistics, interfaces),
// its sections in rtpengine 10.5's order and the values it reports. The
// worker pool is not started; its counters are set directly.
#include "control/ng_statistics.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"
#include "control/ng_commands.h"
#include "net/interface.h"

namespace ngm::control {
namespace {

using bencode::Value;
using namespace std::chrono_literals;

std::vector<std::string> keysOf(const Value& dict) {
    std::vector<std::string> out;
    for (const auto& [k, v] : dict.entries()) out.emplace_back(k);
    return out;
}

class NgStatisticsTest : public ::testing::Test {
  protected:
    NgStatisticsTest() : workers(2, cfg, counters), control(countedCommands()) {}

    // The reply's `statistics` dictionary.
    const Value& build(const net::InterfaceTable* interfaces = nullptr) {
        StatisticsSources src{workers, counters, interfaces, control, startTime};
        doc.root = buildStatistics(src, doc);
        const Value* st = doc.root.find("statistics");
        EXPECT_TRUE(st && st->isDict());
        static const Value empty = Value::dict();
        return st ? *st : empty;
    }
    static const Value& at(const Value& dict, std::string_view key) {
        const Value* v = dict.find(key);
        EXPECT_TRUE(v) << "no key " << key;
        static const Value missing = Value::string("<missing>");
        return v ? *v : missing;
    }
    static int64_t num(const Value& dict, std::string_view key) {
        const Value& v = at(dict, key);
        EXPECT_TRUE(v.isInteger()) << key;
        return v.integer();
    }
    static std::string text(const Value& dict, std::string_view key) {
        const Value& v = at(dict, key);
        EXPECT_TRUE(v.isString()) << key;
        return std::string(v.str());
    }
    static int column(std::string_view command) { return statisticsColumn(*findCommand(command)); }

    session::SessionConfig cfg;
    session::SessionCounters counters;
    session::WorkerPool workers;
    ControlStatistics control;
    int64_t startTime = wallSeconds() - 100;
    bencode::Document doc;
};

TEST_F(NgStatisticsTest, ReplyHasTheSectionsInRtpenginesOrderAndResultOk) {
    build();
    EXPECT_EQ(keysOf(doc.root), (std::vector<std::string>{"statistics", "result"}));
    EXPECT_EQ(text(doc.root, "result"), "ok");
    EXPECT_EQ(
        keysOf(at(doc.root, "statistics")),
        (std::vector<std::string>{"currentstatistics", "totalstatistics", "intervalstatistics",
                                  "mos", "controlstatistics", "interfaces", "transcoders"}));
}

TEST_F(NgStatisticsTest, CurrentStatisticsReportOwnSessionsAndUserspaceRates) {
    counters.sessionsOwn = 7;
    workers.at(0).stats.mediaWithTraffic = 3;
    workers.at(1).stats.mediaWithTraffic = 2;
    auto t0 = ControlStatistics::Clock::time_point{} + 1000s;
    control.sample(t0, {});
    control.sample(t0 + 2s, {.packets = 200, .bytes = 4000, .errors = 10});
    const Value& cur = at(build(), "currentstatistics");
    EXPECT_EQ(keysOf(cur),
              (std::vector<std::string>{"sessionsown", "sessionsforeign", "sessionstotal",
                                        "transcodedmedia", "packetrate_user", "byterate_user",
                                        "errorrate_user", "packetrate_kernel", "byterate_kernel",
                                        "errorrate_kernel", "packetrate", "byterate", "errorrate",
                                        "media_userspace", "media_kernel", "media_mixed"}));
    EXPECT_EQ(num(cur, "sessionsown"), 7);
    EXPECT_EQ(num(cur, "sessionsforeign"), 0);
    EXPECT_EQ(num(cur, "sessionstotal"), 7);
    EXPECT_EQ(num(cur, "packetrate_user"), 100);
    EXPECT_EQ(num(cur, "byterate_user"), 2000);
    EXPECT_EQ(num(cur, "errorrate_user"), 5);
    EXPECT_EQ(num(cur, "packetrate_kernel"), 0);
    EXPECT_EQ(num(cur, "packetrate"), 100);
    EXPECT_EQ(num(cur, "byterate"), 2000);
    EXPECT_EQ(num(cur, "errorrate"), 5);
    EXPECT_EQ(num(cur, "media_userspace"), 5);
    EXPECT_EQ(num(cur, "media_kernel"), 0);
}

TEST_F(NgStatisticsTest, TotalStatisticsSumTheWorkersAndCountSessions) {
    workers.at(0).stats.packets = 10;
    workers.at(0).stats.bytes = 1000;
    workers.at(1).stats.packets = 5;
    workers.at(1).stats.bytes = 500;
    workers.at(1).stats.errors = 2;
    counters.managedSessions = 4;
    counters.rejectedSessions = 1;
    counters.timeoutSessions = 2;
    counters.regularTerminated = 3;
    counters.forcedTerminated = 1;
    counters.oneWayStreams = 6;
    ControlStatistics::MediaTotals m = mediaTotals(workers);
    EXPECT_EQ(m.packets, 15u);
    EXPECT_EQ(m.bytes, 1500u);
    EXPECT_EQ(m.errors, 2u);

    const Value& tot = at(build(), "totalstatistics");
    int64_t uptime = std::stoll(text(tot, "uptime"));
    EXPECT_GE(uptime, 100);
    EXPECT_LE(uptime, 102);
    EXPECT_EQ(num(tot, "managedsessions"), 4);
    EXPECT_EQ(num(tot, "rejectedsessions"), 1);
    EXPECT_EQ(num(tot, "timeoutsessions"), 2);
    EXPECT_EQ(num(tot, "regularterminatedsessions"), 3);
    EXPECT_EQ(num(tot, "forcedterminatedsessions"), 1);
    EXPECT_EQ(num(tot, "relayedpackets_user"), 15);
    EXPECT_EQ(num(tot, "relayedpacketerrors_user"), 2);
    EXPECT_EQ(num(tot, "relayedbytes_user"), 1500);
    EXPECT_EQ(num(tot, "relayedpackets_kernel"), 0);
    EXPECT_EQ(num(tot, "relayedbytes_kernel"), 0);
    EXPECT_EQ(num(tot, "relayedpackets"), 15);
    EXPECT_EQ(num(tot, "relayedbytes"), 1500);
    EXPECT_EQ(num(tot, "zerowaystreams"), 0);
    EXPECT_EQ(num(tot, "onewaystreams"), 6);
}

TEST_F(NgStatisticsTest, CallDurationsGiveMeanSumAndStandardDeviation) {
    // Two calls of 1 s and 2 s.
    counters.endedSessions = 2;
    counters.totalCallDurationUs = 3'000'000;
    counters.totalCallDurationSquared = 5.0;
    const Value& tot = at(build(), "totalstatistics");
    EXPECT_EQ(text(tot, "avgcallduration"), "1.500000");
    EXPECT_EQ(text(tot, "totalcallsduration"), "3.000000");
    EXPECT_EQ(text(tot, "totalcallsduration2"), "5.000000");
    EXPECT_EQ(text(tot, "totalcallsduration_stddev"), "0.500000");
}

TEST_F(NgStatisticsTest, NoEndedCallsGiveZeroDurations) {
    const Value& tot = at(build(), "totalstatistics");
    EXPECT_EQ(text(tot, "avgcallduration"), "0.000000");
    EXPECT_EQ(text(tot, "totalcallsduration_stddev"), "0.000000");
}

TEST_F(NgStatisticsTest, IntervalStatisticsHaveDelaysAndRatesPerCountedCommand) {
    control.record(column("offer"), "192.0.2.1", 0.5, false, 3);
    control.record(column("offer"), "192.0.2.1", 0.25, false, 1);
    const Value& iv = at(build(), "intervalstatistics");
    EXPECT_EQ(num(iv, "minmanagedsessions"), 0);  // the daemon started with none
    EXPECT_EQ(num(iv, "maxmanagedsessions"), 3);
    EXPECT_EQ(text(iv, "minofferdelay"), "0.250000");
    EXPECT_EQ(text(iv, "maxofferdelay"), "0.500000");
    EXPECT_EQ(text(iv, "avgofferdelay"), "0.375000");
    EXPECT_EQ(text(iv, "avganswerdelay"), "0.000000");
    EXPECT_EQ(text(iv, "avgofferrequestrate"), "0");  // 2 requests in 100 s
    auto commands = ngCommands().first(countedCommands());
    // totalcallsduration, min/maxmanagedsessions, then 3 delays and 3 rates a command.
    EXPECT_EQ(iv.entries().size(), 3 + 6 * commands.size());
    for (const auto& c : commands) {
        std::string n(c.intervalKey);
        for (auto k :
             {"min" + n + "delay", "max" + n + "delay", "avg" + n + "delay",
              "min" + n + "requestrate", "max" + n + "requestrate", "avg" + n + "requestrate"})
            EXPECT_TRUE(iv.find(k)) << k;
    }
}

TEST_F(NgStatisticsTest, ControlStatisticsHaveARowPerProxyAndTotals) {
    control.record(column("offer"), "192.0.2.1", 0.5, false, 0);
    control.record(column("ping"), "192.0.2.1", 0.25, false, 0);
    control.record(column("offer"), "192.0.2.2", 0.125, false, 0);
    control.record(-1, "192.0.2.2", 0.0, true, 0);
    const Value& ctl = at(build(), "controlstatistics");
    const Value& proxies = at(ctl, "proxies");
    ASSERT_TRUE(proxies.isList());
    ASSERT_EQ(proxies.items().size(), 2u);
    const Value& a = proxies.items()[0];
    EXPECT_EQ(text(a, "proxy"), "192.0.2.1");
    EXPECT_EQ(num(a, "offercount"), 1);
    EXPECT_EQ(text(a, "offerduration"), "0.500000");
    EXPECT_EQ(num(a, "pingcount"), 1);
    EXPECT_EQ(num(a, "answercount"), 0);
    EXPECT_EQ(num(a, "errorcount"), 0);
    const Value& b = proxies.items()[1];
    EXPECT_EQ(text(b, "proxy"), "192.0.2.2");
    EXPECT_EQ(num(b, "errorcount"), 1);
    EXPECT_EQ(num(ctl, "totaloffercount"), 2);
    EXPECT_EQ(num(ctl, "totalpingcount"), 1);
    EXPECT_EQ(num(ctl, "totalanswercount"), 0);
}

TEST_F(NgStatisticsTest, InterfacesListEachLocalAddressWithItsPorts) {
    net::InterfaceTable interfaces;
    interfaces.build({net::InterfaceConfig{"pub", "", *net::IpAddress::parse("127.0.0.1"), {}}},
                     30000, 30009);
    const Value& ifs = at(build(&interfaces), "interfaces");
    ASSERT_TRUE(ifs.isList());
    ASSERT_EQ(ifs.items().size(), 1u);
    const Value& e = ifs.items()[0];
    EXPECT_EQ(text(e, "name"), "pub");
    EXPECT_EQ(text(e, "address"), "127.0.0.1");
    const Value& ports = at(e, "ports");
    EXPECT_EQ(keysOf(ports), (std::vector<std::string>{"min", "max", "used", "used_pct", "free",
                                                       "totals", "last"}));
    EXPECT_EQ(num(ports, "min"), 30000);
    EXPECT_EQ(num(ports, "max"), 30009);
    EXPECT_EQ(num(ports, "used"), 0);
    EXPECT_EQ(text(ports, "used_pct"), "0.00");
    EXPECT_EQ(num(ports, "free"), 10);
    EXPECT_EQ(num(ports, "totals"), 10);
}

TEST_F(NgStatisticsTest, NoInterfaceTableGivesAnEmptyList) {
    const Value& st = build();
    EXPECT_TRUE(at(st, "interfaces").isList());
    EXPECT_TRUE(at(st, "interfaces").items().empty());
}

TEST_F(NgStatisticsTest, MosAndTranscodersAreEmptyUntilImplemented) {
    const Value& st = build();
    const Value& mos = at(st, "mos");
    EXPECT_EQ(text(mos, "mos_average"), "0.000000");
    EXPECT_EQ(num(mos, "mos_samples_total"), 0);
    EXPECT_TRUE(at(st, "transcoders").isList());
    EXPECT_TRUE(at(st, "transcoders").items().empty());
}

}  // namespace
}  // namespace ngm::control
