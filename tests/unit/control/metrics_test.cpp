// renderMetrics: rtpengine 10.5's families read off the statistics reply,
// each family one block (HELP, TYPE, samples), plus the ngmedia_* ones; and
// the small helpers of the HTTP transport. The worker pool is not started;
// its counters are set directly.
#include "control/metrics.h"

#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>

#include "common/clock.h"
#include "control/http_transport.h"
#include "control/mediaproxy_transport.h"
#include "control/ng_commands.h"
#include "net/interface.h"

namespace ngm::control {
namespace {

class MetricsTest : public ::testing::Test {
  protected:
    MetricsTest() : workers(2, cfg, counters), control(countedCommands()) {}

    std::string render(const net::InterfaceTable* interfaces = nullptr) {
        MetricsSources src{{workers, counters, interfaces, control, wallSeconds() - 100}, nullptr};
        return renderMetrics(src);
    }
    // "name{labels}" -> value.
    static std::map<std::string, std::string> samples(const std::string& text) {
        std::map<std::string, std::string> out;
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#') continue;
            auto sp = line.rfind(' ');
            out[line.substr(0, sp)] = line.substr(sp + 1);
        }
        return out;
    }
    static int count(const std::string& text, const std::string& needle) {
        int n = 0;
        for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) n++;
        return n;
    }

    session::SessionConfig cfg;
    session::SessionCounters counters;
    session::WorkerPool workers;
    ControlStatistics control;
};

TEST_F(MetricsTest, EveryFamilyIsOneBlockWithHelpAndType) {
    control.record(statisticsColumn(*findCommand("offer")), "192.0.2.1", 0.5, false, 1);
    std::string text = render();
    std::istringstream in(text);
    std::string line, current;
    std::map<std::string, int> blocks;
    while (std::getline(in, line)) {
        if (line.rfind("# HELP ", 0) == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7);
            blocks[name]++;
            current = name;
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            EXPECT_EQ(line.substr(7, line.find(' ', 7) - 7), current) << "TYPE right after its HELP";
            continue;
        }
        std::string name = line.substr(0, line.find_first_of("{ "));
        // A histogram's samples: _bucket, _sum, _count.
        for (const char* suffix : {"_bucket", "_sum", "_count"})
            if (name == current + suffix) name = current;
        EXPECT_EQ(name, current) << "sample outside its family's block: " << line;
    }
    for (const auto& [name, n] : blocks) EXPECT_EQ(n, 1) << name;
    // rtpengine's 23, our eight per-worker ones, seven per-worker ICE ones,
    // the BUNDLE one, three io_uring ones and two loop-time ones per worker
    // and the MOS histogram (no interface table, reply cache, HTTP server or
    // load monitor given here).
    EXPECT_EQ(blocks.size(), 23u + 8u + 7u + 1u + 3u + 2u + 1u) << text;
    EXPECT_TRUE(blocks.count("ngmedia_bundle_unmatched_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_ice_checks_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_worker_busy_seconds_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_worker_idle_seconds_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_dtls_handshakes_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_dtls_work_put_off_total")) << text;
    EXPECT_TRUE(blocks.count("ngmedia_srtp_failures_total")) << text;
}

TEST_F(MetricsTest, MosHistogramIsCumulativeWithSumAndCount) {
    counters.observeMos(3.2);
    counters.observeMos(4.4);
    counters.observeMos(1.0);
    std::string text = render();
    EXPECT_NE(text.find("# TYPE ngmedia_mos histogram\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"2.0\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"3.0\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"3.5\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"4.3\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"4.5\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_sum 8.600000\n"), std::string::npos) << text;
    EXPECT_NE(text.find("ngmedia_mos_count 3\n"), std::string::npos) << text;
    // And rtpengine's MOS families from the same samples.
    EXPECT_NE(text.find("rtpengine_mos_samples_total 3\n"), std::string::npos) << text;
}

TEST_F(MetricsTest, FiguresAreTheStatisticsReplys) {
    counters.sessionsOwn = 3;
    counters.managedSessions = 5;
    counters.timeoutSessions = 2;
    workers.at(0).stats.packets = 10;
    workers.at(1).stats.packets = 32;
    workers.at(1).stats.errors = 4;
    control.record(statisticsColumn(*findCommand("offer")), "192.0.2.1", 0.5, false, 1);
    control.record(statisticsColumn(*findCommand("offer")), "192.0.2.1", 0.25, false, 1);
    control.record(-1, "192.0.2.1", 0.0, true, 1);
    auto s = samples(render());
    EXPECT_EQ(s["rtpengine_sessions{type=\"own\"}"], "3");
    EXPECT_EQ(s["rtpengine_sessions_total"], "5");
    EXPECT_EQ(s["rtpengine_closed_sessions_total{reason=\"timeout\"}"], "2");
    EXPECT_EQ(s["rtpengine_packets_total{type=\"userspace\"}"], "42");
    EXPECT_EQ(s["rtpengine_packets_total{type=\"kernel\"}"], "0");
    EXPECT_EQ(s["rtpengine_packet_errors_total{type=\"userspace\"}"], "4");
    EXPECT_EQ(s["rtpengine_requests_total{proxy=\"192.0.2.1\",request=\"offer\"}"], "2");
    EXPECT_EQ(s["rtpengine_request_seconds_total{proxy=\"192.0.2.1\",request=\"offer\"}"], "0.750000");
    EXPECT_EQ(s["rtpengine_requests_total{proxy=\"192.0.2.1\",request=\"start recording\"}"], "0");
    EXPECT_EQ(s["rtpengine_errors_total{proxy=\"192.0.2.1\"}"], "1");
    EXPECT_EQ(s["rtpengine_call_duration_avg"], "0.000000");
    EXPECT_EQ(s["ngmedia_worker_packets_total{worker=\"0\"}"], "10");
    EXPECT_EQ(s["ngmedia_worker_packets_total{worker=\"1\"}"], "32");
    EXPECT_EQ(s["ngmedia_worker_packet_errors_total{worker=\"1\"}"], "4");
}

TEST_F(MetricsTest, IceCountersPerWorkerWithBoundedLabels) {
    auto& w1 = workers.at(1).stats;
    w1.iceFailures = 2;
    w1.iceRefused = 7;
    w1.iceChecksSent = 40;
    w1.iceChecksReceived = 30;
    w1.iceChecksMalformed = 1;
    w1.iceChecksUnknownUsername = 3;
    w1.iceChecksBadIntegrity = 5;
    w1.iceConsentExpired = 1;
    w1.iceRoleConflicts = 4;
    w1.iceNominations = 6;
    std::string text = render();
    auto s = samples(text);
    EXPECT_EQ(s["ngmedia_ice_failures_total{worker=\"1\"}"], "2");
    EXPECT_EQ(s["ngmedia_ice_failures_total{worker=\"0\"}"], "0");
    EXPECT_EQ(s["ngmedia_ice_media_refused_total{worker=\"1\"}"], "7");
    EXPECT_EQ(s["ngmedia_ice_checks_total{worker=\"1\",direction=\"sent\"}"], "40");
    EXPECT_EQ(s["ngmedia_ice_checks_total{worker=\"1\",direction=\"received\"}"], "30");
    EXPECT_EQ(s["ngmedia_ice_checks_refused_total{worker=\"1\",reason=\"malformed\"}"], "1");
    EXPECT_EQ(s["ngmedia_ice_checks_refused_total{worker=\"1\",reason=\"unknown_username\"}"], "3");
    EXPECT_EQ(s["ngmedia_ice_checks_refused_total{worker=\"1\",reason=\"bad_integrity\"}"], "5");
    EXPECT_EQ(s["ngmedia_ice_consent_expired_total{worker=\"1\"}"], "1");
    EXPECT_EQ(s["ngmedia_ice_role_conflicts_total{worker=\"1\"}"], "4");
    EXPECT_EQ(s["ngmedia_ice_nominations_total{worker=\"1\"}"], "6");
    // Labels: the worker and a fixed set of values, nothing per call.
    EXPECT_EQ(count(text, "ngmedia_ice_checks_refused_total{"), 2 * 3) << text;
    EXPECT_EQ(count(text, "# HELP ngmedia_ice_"), 7) << text;
}

TEST_F(MetricsTest, BundleUnmatchedPacketsPerWorker) {
    workers.at(1).stats.bundleUnmatched = 9;
    std::string text = render();
    auto s = samples(text);
    EXPECT_EQ(s["ngmedia_bundle_unmatched_total{worker=\"1\"}"], "9");
    EXPECT_EQ(s["ngmedia_bundle_unmatched_total{worker=\"0\"}"], "0");
    EXPECT_EQ(count(text, "# HELP ngmedia_bundle_unmatched_total "), 1) << text;
    EXPECT_EQ(count(text, "# TYPE ngmedia_bundle_unmatched_total counter"), 1) << text;
}

TEST_F(MetricsTest, PortsPerInterfaceAddress) {
    net::InterfaceTable interfaces;
    interfaces.build({net::InterfaceConfig{"pub", "", *net::IpAddress::parse("127.0.0.1"), {}}}, 40000, 40099);
    auto s = samples(render(&interfaces));
    EXPECT_EQ(s["rtpengine_ports{name=\"pub\",address=\"127.0.0.1\"}"], "100");
    EXPECT_EQ(s["rtpengine_ports_used{name=\"pub\",address=\"127.0.0.1\"}"], "0");
    EXPECT_EQ(s["rtpengine_ports_free{name=\"pub\",address=\"127.0.0.1\"}"], "100");
}

TEST_F(MetricsTest, TrafficPerInterfaceAddressAsCounters) {
    net::InterfaceTable interfaces;
    interfaces.build({net::InterfaceConfig{"pub", "", *net::IpAddress::parse("127.0.0.1"), {}},
                      net::InterfaceConfig{"priv", "", *net::IpAddress::parse("127.0.0.2"), {}}},
                     40000, 40099);
    net::InterfaceTraffic& t = interfaces.select("pub")->addresses[0]->traffic;
    t.packets = 1000;
    t.bytes = 172000;
    t.errors = 3;
    t.lost = 7;
    std::string text = render(&interfaces);
    auto s = samples(text);
    EXPECT_EQ(s["ngmedia_interface_packets_total{name=\"pub\",address=\"127.0.0.1\"}"], "1000") << text;
    EXPECT_EQ(s["ngmedia_interface_bytes_total{name=\"pub\",address=\"127.0.0.1\"}"], "172000");
    EXPECT_EQ(s["ngmedia_interface_packet_errors_total{name=\"pub\",address=\"127.0.0.1\"}"], "3");
    EXPECT_EQ(s["ngmedia_interface_packets_lost_total{name=\"pub\",address=\"127.0.0.1\"}"], "7");
    EXPECT_EQ(s["ngmedia_interface_packets_total{name=\"priv\",address=\"127.0.0.2\"}"], "0");
    EXPECT_NE(text.find("# TYPE ngmedia_interface_packets_lost_total counter\n"), std::string::npos);
    EXPECT_EQ(count(text, "ngmedia_interface_packets_total{"), 2) << "one sample per local address";
}

TEST_F(MetricsTest, BusyAndIdleSecondsPerWorker) {
    std::string text = render();
    EXPECT_NE(text.find("# TYPE ngmedia_worker_busy_seconds_total counter\n"), std::string::npos) << text;
    auto s = samples(text);
    for (const char* w : {"0", "1"}) {
        EXPECT_EQ(s[std::string("ngmedia_worker_busy_seconds_total{worker=\"") + w + "\"}"], "0.000000") << text;
        EXPECT_EQ(s[std::string("ngmedia_worker_idle_seconds_total{worker=\"") + w + "\"}"], "0.000000") << text;
    }
}

TEST_F(MetricsTest, BusySecondsAreTheWorkerThreadsCpuTime) {
    workers.start();
    // 30 ms of CPU on worker 1's thread (by its own CPU clock: a busy host
    // may preempt it for longer than that).
    workers.runOn(workers.at(1), [] {
        auto cpu = [] {
            timespec ts{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
            return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
        };
        double end = cpu() + 0.030;
        while (cpu() < end) {
        }
    });
    auto s = samples(render());
    workers.stop();
    EXPECT_GE(std::stod(s["ngmedia_worker_busy_seconds_total{worker=\"1\"}"]), 0.025);
    EXPECT_LT(std::stod(s["ngmedia_worker_busy_seconds_total{worker=\"0\"}"]), 0.025) << "worker 0 did nothing";
}

TEST_F(MetricsTest, NoControlClientYetMeansNoRequestSamples) {
    std::string text = render();
    EXPECT_EQ(count(text, "# TYPE rtpengine_requests_total counter"), 1);
    EXPECT_EQ(count(text, "rtpengine_requests_total{"), 0);
}

TEST_F(MetricsTest, MediaproxyCountersOnlyWithAListenerAndWithHelp) {
    EXPECT_EQ(count(render(), "ngmedia_mediaproxy"), 0) << "no --listen-tcp, no families";
    MediaproxyCounters mc;
    mc.commands = 7;
    mc.errors = 2;
    mc.dropped = 3;
    MetricsSources src{{workers, counters, nullptr, control, wallSeconds() - 100}, nullptr};
    src.mediaproxy = &mc;
    std::string text = renderMetrics(src);
    auto s = samples(text);
    EXPECT_EQ(s["ngmedia_mediaproxy_commands_total{result=\"ok\"}"], "7") << text;
    EXPECT_EQ(s["ngmedia_mediaproxy_commands_total{result=\"error\"}"], "2") << text;
    EXPECT_EQ(s["ngmedia_mediaproxy_connections_dropped_total"], "3") << text;
    for (const char* f :
         {"ngmedia_mediaproxy_commands_total", "ngmedia_mediaproxy_connections_dropped_total"}) {
        EXPECT_EQ(count(text, std::string("# HELP ") + f + " "), 1) << f;
        EXPECT_EQ(count(text, std::string("# TYPE ") + f + " counter\n"), 1) << f;
    }
}

TEST(HttpTransportHelpers, CliCommandFromPathTurnsPlusIntoSpace) {
    EXPECT_EQ(cliCommandFromPath("list+totals"), "list totals");
    EXPECT_EQ(cliCommandFromPath("list"), "list");
    EXPECT_EQ(cliCommandFromPath(""), "");
}

TEST(HttpTransportHelpers, NgContentTypeIsExactButCaseInsensitive) {
    EXPECT_TRUE(isNgContentType("application/x-rtpengine-ng"));
    EXPECT_TRUE(isNgContentType("Application/X-RTPengine-NG"));
    EXPECT_FALSE(isNgContentType("application/json"));
    EXPECT_FALSE(isNgContentType("application/x-rtpengine-ng; charset=utf-8"));  // 10.5 refuses it too
    EXPECT_FALSE(isNgContentType(""));
}

}  // namespace
}  // namespace ngm::control
