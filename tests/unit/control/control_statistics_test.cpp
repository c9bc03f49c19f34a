// The control statistics on their own: counts, time spent and delays per
// command and per proxy, request rates, and the media rates sampled with
// them.
#include "control/control_statistics.h"

#include <gtest/gtest.h>

namespace ngm::control {
namespace {

using namespace std::chrono_literals;

const ControlStatistics::Clock::time_point t0 = ControlStatistics::Clock::time_point{} + 1000s;

TEST(ControlStatistics, CountsAndTimePerCommandAndPerProxy) {
    ControlStatistics stats(3);
    stats.record(0, "192.0.2.1", 0.5, false, 1);
    stats.record(0, "192.0.2.1", 0.25, false, 1);
    stats.record(2, "192.0.2.1", 1.0, false, 1);
    stats.record(0, "192.0.2.2", 0.125, false, 1);

    ControlStatistics::Snapshot s = stats.snapshot();
    ASSERT_EQ(s.proxies.size(), 2u);
    const ProxyRow& a = s.proxies.at("192.0.2.1");
    EXPECT_EQ(a.count, (std::vector<int64_t>{2, 0, 1}));
    EXPECT_DOUBLE_EQ(a.seconds[0], 0.75);
    EXPECT_DOUBLE_EQ(a.seconds[2], 1.0);
    EXPECT_EQ(a.errors, 0);
    const ProxyRow& b = s.proxies.at("192.0.2.2");
    EXPECT_EQ(b.count, (std::vector<int64_t>{1, 0, 0}));
    EXPECT_EQ(s.totals, (std::vector<int64_t>{3, 0, 1}));
}

TEST(ControlStatistics, ProxiesGivenByAddressShareTheRowsOfTheirText) {
    ControlStatistics stats(2);
    auto a = *net::IpAddress::parse("192.0.2.1");
    auto b = *net::IpAddress::parse("2001:db8::1");
    stats.record(0, a, 0.5, false, 1);
    stats.record(0, a, 0.25, true, 1);  // the cached row
    stats.record(1, b, 1.0, false, 1);  // another proxy
    stats.record(1, "192.0.2.1", 0.125, false, 1);
    stats.record(1, a, 0.125, false, 1);  // back to the first

    ControlStatistics::Snapshot s = stats.snapshot();
    ASSERT_EQ(s.proxies.size(), 2u);
    const ProxyRow& ra = s.proxies.at("192.0.2.1");
    EXPECT_EQ(ra.count, (std::vector<int64_t>{2, 2}));
    EXPECT_DOUBLE_EQ(ra.seconds[0], 0.75);
    EXPECT_EQ(ra.errors, 1);
    const ProxyRow& rb = s.proxies.at("2001:db8::1");
    EXPECT_EQ(rb.count, (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(s.totals, (std::vector<int64_t>{2, 3}));
}

TEST(ControlStatistics, DelaysPerCommandKeepMinMaxAndSum) {
    ControlStatistics stats(2);
    stats.record(1, "192.0.2.1", 0.5, false, 0);
    stats.record(1, "192.0.2.2", 0.125, false, 0);
    stats.record(1, "192.0.2.1", 0.25, false, 0);

    ControlStatistics::Snapshot s = stats.snapshot();
    EXPECT_EQ(s.delays[0].count, 0);
    EXPECT_EQ(s.delays[1].count, 3);
    EXPECT_DOUBLE_EQ(s.delays[1].min, 0.125);
    EXPECT_DOUBLE_EQ(s.delays[1].max, 0.5);
    EXPECT_DOUBLE_EQ(s.delays[1].sum, 0.875);
}

TEST(ControlStatistics, CommandWithoutColumnCountsOnlyItsError) {
    ControlStatistics stats(2);
    stats.record(-1, "192.0.2.1", 0.5, true, 0);
    stats.record(0, "192.0.2.1", 0.5, true, 0);

    ControlStatistics::Snapshot s = stats.snapshot();
    const ProxyRow& p = s.proxies.at("192.0.2.1");
    EXPECT_EQ(p.count, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(p.errors, 2);
    EXPECT_EQ(s.totals, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(s.delays[0].count, 1);
}

TEST(ControlStatistics, SessionsMinAndMaxFollowTheCountsSeen) {
    ControlStatistics stats(1);
    stats.record(0, "192.0.2.1", 0, false, 5);
    stats.record(0, "192.0.2.1", 0, false, 2);
    ControlStatistics::Snapshot s = stats.snapshot();
    EXPECT_EQ(s.minSessions, 0);  // starts at 0, as rtpengine's does
    EXPECT_EQ(s.maxSessions, 5);
}

TEST(ControlStatistics, SamplingGivesRequestAndMediaRates) {
    ControlStatistics stats(2);
    stats.sample(t0, {100, 1000, 1});  // the first sample only sets the baseline
    EXPECT_FALSE(stats.snapshot().rates[0].sampled);

    for (int i = 0; i < 4; i++) stats.record(0, "192.0.2.1", 0, false, 0);
    stats.sample(t0 + 2s, {300, 5000, 3});
    ControlStatistics::Snapshot s = stats.snapshot();
    EXPECT_EQ(s.packetRate, 100);
    EXPECT_EQ(s.byteRate, 2000);
    EXPECT_EQ(s.errorRate, 1);
    EXPECT_TRUE(s.rates[0].sampled);
    EXPECT_EQ(s.rates[0].min, 2);
    EXPECT_EQ(s.rates[0].max, 2);
    EXPECT_EQ(s.rates[1].max, 0);

    stats.sample(t0 + 3s, {300, 5000, 3});  // a quiet second
    s = stats.snapshot();
    EXPECT_EQ(s.packetRate, 0);
    EXPECT_EQ(s.rates[0].min, 0);
    EXPECT_EQ(s.rates[0].max, 2);
}

}  // namespace
}  // namespace ngm::control
