#include "session/load_limits.h"

#include <gtest/gtest.h>

#include "session/runtime_params.h"

namespace ngm::session {
namespace {

TEST(LoadLimits, ParsesTheAggregateCpuLineOfProcStat) {
    auto t = parseProcStatCpu("cpu  100 5 50 800 20 3 2 1 7 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->total, 100u + 5 + 50 + 800 + 20 + 3 + 2 + 1) << "guest time is inside user time";
    EXPECT_EQ(t->idle, 820u);
}

TEST(LoadLimits, OldKernelsWithFourFieldsParse) {
    auto t = parseProcStatCpu("cpu 10 0 10 80\n");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->total, 100u);
    EXPECT_EQ(t->idle, 80u);
}

TEST(LoadLimits, MalformedProcStatIsRefused) {
    EXPECT_FALSE(parseProcStatCpu(""));
    EXPECT_FALSE(parseProcStatCpu("cpu0 1 2 3 4\n"));
    EXPECT_FALSE(parseProcStatCpu("cpu  1 2 x 4\n"));
    EXPECT_FALSE(parseProcStatCpu("cpu  1 2\n"));
    EXPECT_FALSE(parseProcStatCpu("cpu  99999999999999999999999 1 1 1\n"));
}

TEST(LoadLimits, CpuPercentIsTheBusyShareBetweenTwoReadings) {
    EXPECT_DOUBLE_EQ(cpuPercent({1000, 800}, {2000, 1550}), 25.0);
    EXPECT_DOUBLE_EQ(cpuPercent({1000, 800}, {1000, 800}), 0.0);
    EXPECT_DOUBLE_EQ(cpuPercent({2000, 800}, {1000, 800}), 0.0) << "a counter that went back";
}

TEST(LoadLimits, TheRealProcStatGivesAPlausibleFigure) {
    LoadMonitor m;
    auto t0 = LoadMonitor::Clock::now();
    m.sample(t0, 0);
    // Busy for 100 ms: several clock ticks of /proc/stat (HZ 100 to 1000).
    volatile uint64_t spin = 0;
    while (LoadMonitor::Clock::now() - t0 < std::chrono::milliseconds(100)) spin = spin + 1;
    m.sample(t0 + std::chrono::seconds(1), 0);
    EXPECT_GT(m.cpuUsage(), 0.0) << "this test kept a CPU busy";
    EXPECT_LE(m.cpuUsage(), 100.0);
    EXPECT_GE(m.loadAverage(), 0.0);
}

TEST(LoadLimits, BandwidthIsBytesPerSecondBetweenSamples) {
    LoadMonitor m;
    auto t0 = LoadMonitor::Clock::now();
    m.record(0, std::nullopt, t0, 1000);
    EXPECT_EQ(m.bandwidth(), 0) << "one sample gives no rate";
    m.record(0, std::nullopt, t0 + std::chrono::seconds(2), 9000);
    EXPECT_EQ(m.bandwidth(), 4000);
}

TEST(LoadLimits, LimitsOfZeroAreOffAndTheFirstExceededWins) {
    LoadMonitor m;
    RuntimeParams p;
    auto t0 = LoadMonitor::Clock::now();
    m.record(2.0, CpuTimes{100, 50}, t0, 0);
    m.record(2.0, CpuTimes{200, 60}, t0 + std::chrono::seconds(1), 1000);  // 90 %, 1000 B/s
    EXPECT_EQ(m.exceeded(p).limit, LoadLimit::None);
    p.maxBandwidth = 999;
    p.maxCpu = 89;
    p.maxLoad = 1.5;
    auto v = m.exceeded(p);
    EXPECT_EQ(v.limit, LoadLimit::Load);
    EXPECT_DOUBLE_EQ(v.value, 2.0);
    EXPECT_DOUBLE_EQ(v.max, 1.5);
    p.maxLoad = 2.0;  // at the limit is not above it
    EXPECT_EQ(m.exceeded(p).limit, LoadLimit::Cpu);
    p.maxCpu = 0;
    EXPECT_EQ(m.exceeded(p).limit, LoadLimit::Bandwidth);
    p.maxBandwidth = 1000;
    EXPECT_EQ(m.exceeded(p).limit, LoadLimit::None);
}

TEST(LoadLimits, MessagesAreRtpenginesLoadLimitMessages) {
    EXPECT_EQ(loadLimitMessage(LoadLimit::Load), "Load limit exceeded");
    EXPECT_EQ(loadLimitMessage(LoadLimit::Cpu), "CPU usage limit exceeded");
    EXPECT_EQ(loadLimitMessage(LoadLimit::Bandwidth), "Bandwidth limit exceeded");
}

}  // namespace
}  // namespace ngm::session
