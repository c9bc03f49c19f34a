// Command line: syntax, every option known, validation, help and version.
#include <cctype>
#include <ostream>
#include <gtest/gtest.h>

#include <set>

#include "common/log.h"
#include "options_test_util.h"

namespace ngm::app {
namespace {

using testing::ep;
using testing::ip;
using testing::parse;
using testing::parseWithBasics;
using Action = ParseResult::Action;

// Every option `rtpengine --help` lists (10.5.3.5), except --help itself.
const char* const kRtpengineOptions[] = {
    "version",
    "config-file",
    "config-section",
    "log-facility",
    "log-level",
    "log-level-core",
    "log-level-spandsp",
    "log-level-ffmpeg",
    "log-level-transcoding",
    "log-level-codec",
    "log-level-rtcp",
    "log-level-ice",
    "log-level-crypto",
    "log-level-srtp",
    "log-level-internals",
    "log-level-http",
    "log-level-control",
    "log-level-dtx",
    "log-stderr",
    "split-logs",
    "max-log-line-length",
    "no-log-timestamps",
    "log-mark-prefix",
    "log-mark-suffix",
    "pidfile",
    "foreground",
    "thread-stack",
    "table",
    "no-fallback",
    "interface",
    "save-interface-ports",
    "subscribe-keyspace",
    "listen-tcp",
    "listen-udp",
    "listen-ng",
    "listen-tcp-ng",
    "listen-cli",
    "graphite",
    "graphite-interval",
    "graphite-prefix",
    "graphite-timeout",
    "tos",
    "control-tos",
    "timeout",
    "silent-timeout",
    "final-timeout",
    "offer-timeout",
    "port-min",
    "port-max",
    "redis",
    "redis-write",
    "redis-num-threads",
    "redis-expires",
    "no-redis-required",
    "redis-allowed-errors",
    "redis-disable-time",
    "redis-cmd-timeout",
    "redis-connect-timeout",
    "redis-delete-async",
    "redis-delete-async-interval",
    "active-switchover",
    "b2b-url",
    "log-facility-cdr",
    "log-facility-rtcp",
    "log-facility-dtmf",
    "dtmf-log-dest",
    "dtmf-log-ng-tcp",
    "dtmf-no-suppress",
    "dtmf-digit-delay",
    "log-format",
    "xmlrpc-format",
    "num-threads",
    "media-num-threads",
    "delete-delay",
    "sip-source",
    "dtls-passive",
    "max-sessions",
    "max-load",
    "max-cpu",
    "max-bandwidth",
    "homer",
    "homer-protocol",
    "homer-id",
    "recording-dir",
    "recording-method",
    "recording-format",
    "iptables-chain",
    "codecs",
    "scheduling",
    "priority",
    "idle-scheduling",
    "idle-priority",
    "log-srtp-keys",
    "mysql-host",
    "mysql-port",
    "mysql-user",
    "mysql-pass",
    "mysql-query",
    "endpoint-learning",
    "jitter-buffer",
    "jb-clock-drift",
    "debug-srtp",
    "reject-invalid-sdp",
    "dtls-rsa-key-size",
    "dtls-cert-cipher",
    "dtls-mtu",
    "dtls-ciphers",
    "dtls-signature",
    "listen-http",
    "listen-https",
    "https-cert",
    "https-key",
    "http-threads",
    "software-id",
    "poller-per-thread",
    "dtx-delay",
    "max-dtx",
    "dtx-buffer",
    "dtx-lag",
    "dtx-shift",
    "dtx-cn-params",
    "amr-dtx",
    "silence-detect",
    "cn-payload",
    "mqtt-host",
    "mqtt-port",
    "mqtt-id",
    "mqtt-keepalive",
    "mqtt-user",
    "mqtt-pass",
    "mqtt-cafile",
    "mqtt-capath",
    "mqtt-certfile",
    "mqtt-keyfile",
    "mqtt-publish-qos",
    "mqtt-publish-topic",
    "mqtt-publish-interval",
    "mqtt-publish-scope",
    "mos",
    "socket-cpu-affinity",
    "janus-secret",
};

// Options of ngmedia's own, beyond rtpengine's.
const char* const kNgmediaOnlyOptions[] = {"ng-reply-cache", "no-io-uring"};

TEST(OptionTable, KnowsEveryRtpengineOption) {
    for (const char* name : kRtpengineOptions)
        EXPECT_NE(detail::findLongOption(name), nullptr) << "--" << name;
    for (const char* name : kNgmediaOnlyOptions)
        EXPECT_NE(detail::findLongOption(name), nullptr) << "--" << name;
    EXPECT_EQ(std::size(kRtpengineOptions) + std::size(kNgmediaOnlyOptions) + 1,
              detail::optionTable().size())
        << "the table has an option neither rtpengine nor kNgmediaOnlyOptions knows";
}

TEST(OptionTable, ShortOptionsAreRtpengines) {
    // As the binary has them; the man page lists -t for --tos, -w for
    // --graphite-interval and -n for --listen-tcp-ng, which it does not accept.
    const std::pair<char, const char*> kShort[] = {
        {'h', "help"},
        {'v', "version"},
        {'L', "log-level"},
        {'E', "log-stderr"},
        {'p', "pidfile"},
        {'f', "foreground"},
        {'t', "table"},
        {'F', "no-fallback"},
        {'i', "interface"},
        {'S', "save-interface-ports"},
        {'k', "subscribe-keyspace"},
        {'l', "listen-tcp"},
        {'u', "listen-udp"},
        {'n', "listen-ng"},
        {'N', "listen-tcp-ng"},
        {'c', "listen-cli"},
        {'g', "graphite"},
        {'G', "graphite-interval"},
        {'T', "tos"},
        {'o', "timeout"},
        {'s', "silent-timeout"},
        {'a', "final-timeout"},
        {'m', "port-min"},
        {'M', "port-max"},
        {'r', "redis"},
        {'w', "redis-write"},
        {'q', "no-redis-required"},
        {'y', "redis-delete-async"},
        {'b', "b2b-url"},
        {'x', "xmlrpc-format"},
        {'d', "delete-delay"},
    };
    std::set<char> seen;
    for (auto [c, name] : kShort) {
        const auto* o = detail::findShortOption(c);
        ASSERT_NE(o, nullptr) << "-" << c;
        EXPECT_EQ(o->name, name) << "-" << c;
        seen.insert(c);
    }
    for (const auto& o : detail::optionTable())
        if (o.shortName) {
            EXPECT_TRUE(seen.contains(o.shortName)) << "unexpected -" << o.shortName;
        }
}

TEST(OptionTable, EveryOptionHasHelpAndNotYetOnesACapability) {
    for (const auto& o : detail::optionTable()) {
        EXPECT_FALSE(o.help.empty()) << o.name;
        if (o.type != detail::ValueType::Flag) {
            EXPECT_FALSE(o.meta.empty()) << o.name;
        }
        if (o.target == detail::Target::NotYet) {
            EXPECT_FALSE(o.capability.empty()) << o.name;
        }
    }
}

TEST(CommandLine, MinimalCommandLineRuns) {
    auto p = parse({"--interface=192.0.2.10", "--listen-ng=127.0.0.1:2223"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    ASSERT_EQ(p.opts.interfaces.size(), 1u);
    EXPECT_EQ(p.opts.interfaces[0].name, "default");
    EXPECT_EQ(p.opts.interfaces[0].address, ip("192.0.2.10"));
    ASSERT_EQ(p.opts.listenNg.size(), 1u);
    EXPECT_EQ(p.opts.listenNg[0], ep("127.0.0.1", 2223));
    EXPECT_TRUE(p.opts.notYetImplemented.empty());
    EXPECT_TRUE(p.opts.configFile.empty());
}

TEST(CommandLine, DefaultsMatchRtpengine) {
    auto p = parseWithBasics({});
    ASSERT_TRUE(p.ok()) << p.result.message;
    const Options& o = p.opts;
    EXPECT_EQ(o.portMin, 30000);
    EXPECT_EQ(o.portMax, 40000);
    EXPECT_EQ(o.tos, 0);
    EXPECT_EQ(o.controlTos, 0);
    EXPECT_EQ(o.timeout, 60);
    EXPECT_EQ(o.silentTimeout, 3600);
    EXPECT_EQ(o.finalTimeout, 0);
    EXPECT_EQ(o.offerTimeout, 3600);
    EXPECT_EQ(o.deleteDelay, 30);
    EXPECT_EQ(o.maxSessions, -1);
    EXPECT_EQ(o.table, 0);
    EXPECT_EQ(o.logLevel, 6);
    EXPECT_EQ(o.logFacility, "daemon");
    EXPECT_EQ(o.numThreads, 0);
    EXPECT_EQ(o.endpointLearning, media::Learning::Delayed);
    EXPECT_FALSE(o.foreground);
    EXPECT_FALSE(o.logStderr);
    EXPECT_FALSE(o.noFallback);
    EXPECT_FALSE(o.noIoUring);
    EXPECT_EQ(o.configSection, "rtpengine");
}

TEST(CommandLine, NoIoUringSelectsTheEpollPacketPath) {
    auto p = parseWithBasics({"--no-io-uring"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.noIoUring);
}

TEST(CommandLine, LongOptionTakesEqualsOrNextArgument) {
    auto p = parseWithBasics({"--port-min=31000", "--port-max", "32000", "--table", "-1"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.portMin, 31000);
    EXPECT_EQ(p.opts.portMax, 32000);
    EXPECT_EQ(p.opts.table, -1);
}

TEST(CommandLine, ShortOptionTakesAttachedOrNextArgument) {
    auto p = parse({"-i", "192.0.2.10", "-n127.0.0.1:2223", "-m", "31000", "-M32000", "-T184", "-o",
                    "30", "-s90", "-a", "7200", "-d5", "-t", "-1", "-L7", "-p/run/x.pid"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.interfaces.size(), 1u);
    EXPECT_EQ(p.opts.listenNg[0], ep("127.0.0.1", 2223));
    EXPECT_EQ(p.opts.portMin, 31000);
    EXPECT_EQ(p.opts.portMax, 32000);
    EXPECT_EQ(p.opts.tos, 184);
    EXPECT_EQ(p.opts.timeout, 30);
    EXPECT_EQ(p.opts.silentTimeout, 90);
    EXPECT_EQ(p.opts.finalTimeout, 7200);
    EXPECT_EQ(p.opts.deleteDelay, 5);
    EXPECT_EQ(p.opts.table, -1);
    EXPECT_EQ(p.opts.logLevel, 7);
    EXPECT_EQ(p.opts.pidfile, "/run/x.pid");
}

TEST(CommandLine, ShortFlagsCluster) {
    auto p = parseWithBasics({"-fESF"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.foreground);
    EXPECT_TRUE(p.opts.logStderr);
    EXPECT_TRUE(p.opts.saveInterfacePorts);
    EXPECT_TRUE(p.opts.noFallback);
}

TEST(CommandLine, ClusterEndsWithOptionTakingTheNextArgument) {
    auto p = parseWithBasics({"-fm", "31000"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.foreground);
    EXPECT_EQ(p.opts.portMin, 31000);
}

TEST(CommandLine, ShortFormsOfListenersAndControlOptions) {
    auto p = parse({"-i", "192.0.2.10", "-u", "2222", "-N", "127.0.0.1:2224", "-l", "25060", "-c",
                    "127.0.0.1:9900"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.listenUdp.size(), 2u);
    EXPECT_EQ(p.opts.listenTcpNg, std::vector<net::Endpoint>{ep("127.0.0.1", 2224)});
    EXPECT_EQ(p.opts.listenTcp.size(), 2u);
    EXPECT_EQ(p.opts.listenCli, std::vector<net::Endpoint>{ep("127.0.0.1", 9900)});
}

TEST(CommandLine, BooleanFlags) {
    auto p = parseWithBasics({"--foreground", "--log-stderr", "--no-fallback", "--sip-source",
                              "--reject-invalid-sdp", "--save-interface-ports"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.foreground);
    EXPECT_TRUE(p.opts.logStderr);
    EXPECT_TRUE(p.opts.noFallback);
    EXPECT_TRUE(p.opts.sipSource);
    EXPECT_TRUE(p.opts.rejectInvalidSdp);
    EXPECT_TRUE(p.opts.saveInterfacePorts);
}

TEST(CommandLine, FlagAcceptsAnExplicitBoolean) {
    auto p = parseWithBasics({"--foreground=yes", "--log-stderr=false", "--sip-source=1"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.foreground);
    EXPECT_FALSE(p.opts.logStderr);
    EXPECT_TRUE(p.opts.sipSource);
}

TEST(CommandLine, FlagWithNonBooleanValueIsAnError) {
    auto p = parseWithBasics({"--foreground=maybe"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "'maybe'");
    EXPECT_CONTAINS(p.result.message, "--foreground");
}

TEST(CommandLine, SingleValuedOptionKeepsTheLastValue) {
    auto p = parseWithBasics({"--listen-ng=127.0.0.1:5000", "--listen-ng=127.0.0.1:5001",
                              "--port-min=1000", "--port-min=2000"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.listenNg, std::vector<net::Endpoint>{ep("127.0.0.1", 5001)});
    EXPECT_EQ(p.opts.portMin, 2000);
}

TEST(CommandLine, RepeatableOptionsAccumulate) {
    auto p = parse({"-i", "192.0.2.10", "-i", "pub/198.51.100.20", "--listen-http=127.0.0.1:80",
                    "--listen-http=127.0.0.1:81", "--listen-ng=2223"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    ASSERT_EQ(p.opts.interfaces.size(), 2u);
    EXPECT_EQ(p.opts.interfaces[1].name, "pub");
    EXPECT_EQ(p.opts.listenHttp,
              (std::vector<net::Endpoint>{ep("127.0.0.1", 80), ep("127.0.0.1", 81)}));
}

TEST(CommandLine, HexIntegersAreAccepted) {
    auto p = parseWithBasics({"--port-min=0x7530", "--tos=0xb8"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.portMin, 30000);
    EXPECT_EQ(p.opts.tos, 184);
}

TEST(CommandLine, ImplementedScalarOptions) {
    auto p = parseWithBasics({"--control-tos=46", "--offer-timeout=100", "--max-sessions=500",
                              "--num-threads=8", "--log-facility=local3",
                              "--endpoint-learning=heuristic"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.controlTos, 46);
    EXPECT_EQ(p.opts.offerTimeout, 100);
    EXPECT_EQ(p.opts.maxSessions, 500);
    EXPECT_EQ(p.opts.numThreads, 8);
    EXPECT_EQ(p.opts.logFacility, "local3");
    EXPECT_EQ(p.opts.endpointLearning, media::Learning::Heuristic);
}

TEST(CommandLine, EndpointLearningAnyCase) {
    const std::pair<const char*, media::Learning> kCases[] = {
        {"delayed", media::Learning::Delayed},
        {"IMMEDIATE", media::Learning::Immediate},
        {"Off", media::Learning::Off},
        {"heuristic", media::Learning::Heuristic},
    };
    for (auto [text, want] : kCases) {
        auto p = parseWithBasics({std::string("--endpoint-learning=") + text});
        ASSERT_TRUE(p.ok()) << p.result.message;
        EXPECT_EQ(p.opts.endpointLearning, want) << text;
    }
}

// rtpengine turns these out-of-range values into its defaults instead of failing.
TEST(CommandLine, NonPositiveTimeoutsFallBackLikeRtpengine) {
    auto p = parseWithBasics({"--timeout=0", "--silent-timeout=-1", "--offer-timeout=0",
                              "--final-timeout=-5", "--max-sessions=-7", "--num-threads=-1",
                              "--delete-delay=-3"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 60);
    EXPECT_EQ(p.opts.silentTimeout, 3600);
    EXPECT_EQ(p.opts.offerTimeout, 3600);
    EXPECT_EQ(p.opts.finalTimeout, 0);
    EXPECT_EQ(p.opts.maxSessions, -1);
    EXPECT_EQ(p.opts.numThreads, 0);
    EXPECT_EQ(p.opts.deleteDelay, 0);
}

TEST(CommandLine, MaxSessionsZeroMeansDrain) {
    auto p = parseWithBasics({"--max-sessions=0"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.maxSessions, 0);
}

TEST(CommandLine, UnknownLongOptionIsAnError) {
    auto p = parseWithBasics({"--no-such-option"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--no-such-option");
}

TEST(CommandLine, ManPageMisspellingIsNotAnOption) {
    auto p = parseWithBasics({"--log-facilty=local0"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
}

TEST(CommandLine, UnknownShortOptionIsAnError) {
    auto p = parseWithBasics({"-Z"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "-Z");
}

TEST(CommandLine, MissingValueIsAnError) {
    auto p = parseWithBasics({"--port-min"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--port-min needs a value");
    auto s = parseWithBasics({"-m"});
    EXPECT_EQ(s.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(s.result.message, "--port-min");
}

TEST(CommandLine, PositionalArgumentIsAnError) {
    auto p = parseWithBasics({"stray"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "'stray'");
    auto q = parseWithBasics({"--", "stray"});
    EXPECT_EQ(q.result.action, Action::ExitFailure);
}

TEST(CommandLine, DoubleDashEndsOptions) {
    auto p = parseWithBasics({"--"});
    EXPECT_TRUE(p.ok()) << p.result.message;
}

TEST(Help, ListsEveryOptionWithADescription) {
    for (const char* flag : {"--help", "-h"}) {
        auto p = parse({flag});
        ASSERT_EQ(p.result.action, Action::ExitSuccess) << flag;
        const std::string& text = p.result.message;
        EXPECT_STARTS_WITH(text, "Usage: ngmediad");
        for (const auto& o : detail::optionTable()) {
            std::string needle = "--" + std::string(o.name);
            if (o.type != detail::ValueType::Flag) needle += "=";
            auto at = text.find(needle);
            ASSERT_NE(at, std::string::npos) << o.name;
            auto lineEnd = text.find('\n', at);
            auto next = text.substr(lineEnd + 1, text.find('\n', lineEnd + 1) - lineEnd - 1);
            auto line = text.substr(at, lineEnd - at);
            // The description is on the same line or, for long names, the next.
            EXPECT_TRUE(line.find(o.help) != std::string::npos ||
                        next.find(o.help) != std::string::npos)
                << o.name;
        }
    }
}

TEST(Help, WinsOverOtherOptionsAndSkipsValidation) {
    auto p = parse({"--port-min=70000", "--help"});
    EXPECT_EQ(p.result.action, Action::ExitSuccess);
}

TEST(Help, MarksNotYetImplementedOptions) {
    auto p = parse({"--help"});
    auto at = p.result.message.find("--redis=");
    ASSERT_NE(at, std::string::npos);
    auto line = p.result.message.substr(at, p.result.message.find('\n', at) - at);
    EXPECT_CONTAINS(line, "[later]");
}

TEST(Version, PrintsNgmediaVersion) {
    for (const char* flag : {"--version", "-v"}) {
        auto p = parse({flag});
        EXPECT_EQ(p.result.action, Action::ExitSuccess);
        EXPECT_EQ(p.result.message, "Version: ngmedia " NGM_VERSION_STRING "\n");
    }
}

TEST(Version, NeedsNoInterfaceOrConfigFile) {
    auto p = parse({"--version", "--config-file=/nonexistent/ngm.conf"});
    EXPECT_EQ(p.result.action, Action::ExitSuccess);
}

TEST(Codecs, ExitsWithAListingMessage) {
    auto p = parse({"--codecs"});
    EXPECT_EQ(p.result.action, Action::ExitSuccess);
    EXPECT_CONTAINS(p.result.message, "transcode");
}

// ---- not yet implemented ----

TEST(NotYetImplemented, ValuesAreRecordedByLongName) {
    auto p = parseWithBasics({"--redis=secret@127.0.0.1:6379/5", "--recording-dir=/var/spool/x",
                              "--recording-method=proc", "-b", "http://127.0.0.1:8090/",
                              "--software-id=ngm", "-k", "3"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    const auto& n = p.opts.notYetImplemented;
    EXPECT_EQ(n.at("redis"), "secret@127.0.0.1:6379/5");
    EXPECT_EQ(n.at("recording-dir"), "/var/spool/x");
    EXPECT_EQ(n.at("recording-method"), "proc");
    EXPECT_EQ(n.at("b2b-url"), "http://127.0.0.1:8090/");
    EXPECT_EQ(n.at("software-id"), "ngm");
    EXPECT_EQ(n.at("subscribe-keyspace"), "3");
    EXPECT_EQ(n.size(), 6u);
}

// ---- per-subsystem log levels ----

TEST(SubsystemLogLevels, EachOptionSetsItsSubsystemOnlyAndIsNotReportedAsMissing) {
    auto p = parseWithBasics({"--log-level=5", "--log-level-ice=7", "--log-level-internals=3",
                              "--log-level-dtx=0"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.logLevel, 5);
    const auto& l = p.opts.subsystemLogLevels;
    EXPECT_EQ(l[size_t(log::Subsystem::Ice)], 7);
    EXPECT_EQ(l[size_t(log::Subsystem::Internals)], 3);
    EXPECT_EQ(l[size_t(log::Subsystem::Dtx)], 0);
    EXPECT_EQ(l[size_t(log::Subsystem::Core)], -2);  // not given: --log-level applies
    EXPECT_EQ(l[size_t(log::Subsystem::Control)], -2);
    EXPECT_TRUE(p.opts.notYetImplemented.empty());
}

TEST(SubsystemLogLevels, EverySubsystemHasItsOption) {
    for (size_t i = 0; i < log::kSubsystems; i++) {
        std::string opt = "--log-level-" + std::string(log::subsystemName(log::Subsystem(i))) + "=4";
        auto p = parseWithBasics({opt.c_str()});
        ASSERT_TRUE(p.ok()) << opt << ": " << p.result.message;
        EXPECT_EQ(p.opts.subsystemLogLevels[i], 4) << opt;
    }
}

TEST(LoadLimits, MaxLoadCpuBandwidthAreTakenAndNotReportedAsMissing) {
    auto p = parseWithBasics({"--max-load=2.5", "--max-cpu=90.5", "--max-bandwidth=10000000000"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_DOUBLE_EQ(p.opts.maxLoad, 2.5);
    EXPECT_DOUBLE_EQ(p.opts.maxCpu, 90.5);
    EXPECT_EQ(p.opts.maxBandwidth, 10000000000);
    EXPECT_TRUE(p.opts.notYetImplemented.empty());
}

TEST(LoadLimits, DefaultsAreOffAndNegativeMeansOff) {
    EXPECT_EQ(parseWithBasics({}).opts.maxLoad, 0);
    auto p = parseWithBasics({"--max-load=-1", "--max-cpu=-3", "--max-bandwidth=-5"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.maxLoad, 0);
    EXPECT_EQ(p.opts.maxCpu, 0);
    EXPECT_EQ(p.opts.maxBandwidth, 0);
}

TEST(NotYetImplemented, FlagsAreRecordedAsTrue) {
    auto p = parseWithBasics({"--debug-srtp", "-q", "--jb-clock-drift"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.notYetImplemented.at("debug-srtp"), "true");
    EXPECT_EQ(p.opts.notYetImplemented.at("no-redis-required"), "true");
    EXPECT_EQ(p.opts.notYetImplemented.at("jb-clock-drift"), "true");
}

TEST(NotYetImplemented, FlagSetToFalseIsNotRecorded) {
    auto p = parseWithBasics({"--debug-srtp=false"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_FALSE(p.opts.notYetImplemented.contains("debug-srtp"));
}

TEST(NotYetImplemented, RepeatedValuesAreJoinedWithSemicolons) {
    auto p = parseWithBasics(
        {"--cn-payload=32", "--cn-payload=40", "--cn-payload=254", "-k", "1", "-k", "2"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.notYetImplemented.at("cn-payload"), "32;40;254");
    EXPECT_EQ(p.opts.notYetImplemented.at("subscribe-keyspace"), "1;2");
}

TEST(NotYetImplemented, EveryOptionIsAcceptedWithAWellTypedValue) {
    for (const auto& o : detail::optionTable()) {
        if (o.target != detail::Target::NotYet) continue;
        std::string value;
        switch (o.type) {
            case detail::ValueType::Flag:
                break;
            case detail::ValueType::Int:
            case detail::ValueType::Int64:
                value = o.check == detail::Check::Range ? std::to_string(o.min) : "1";
                break;
            case detail::ValueType::Double:
                value = "1.5";
                break;
            case detail::ValueType::String:
                value = "x";
                break;
        }
        if (o.check == detail::Check::Choice || o.check == detail::Check::ChoiceNoCase)
            value = std::string(o.choices.substr(0, o.choices.find('|')));
        if (o.check == detail::Check::Facility) value = "local0";
        if (o.check == detail::Check::HostPort) value = "127.0.0.1:9";
        if (o.check == detail::Check::Redis) value = "127.0.0.1:6379/1";
        if (o.check == detail::Check::MysqlQuery) value = "select d from f where id = %llu";
        std::string arg = "--" + std::string(o.name);
        if (o.type != detail::ValueType::Flag) arg += "=" + value;
        auto p = parseWithBasics({arg});
        ASSERT_TRUE(p.ok()) << arg << ": " << p.result.message;
        ASSERT_TRUE(p.opts.notYetImplemented.contains(std::string(o.name))) << arg;
        if (o.type != detail::ValueType::Flag) {
            EXPECT_EQ(p.opts.notYetImplemented.at(std::string(o.name)), value);
        }
    }
}

TEST(NotYetImplemented, IntegerOptionsRejectText) {
    for (const auto& o : detail::optionTable()) {
        if (o.target != detail::Target::NotYet) continue;
        if (o.type != detail::ValueType::Int && o.type != detail::ValueType::Int64 &&
            o.type != detail::ValueType::Double)
            continue;
        auto p = parseWithBasics({"--" + std::string(o.name) + "=abc"});
        EXPECT_EQ(p.result.action, Action::ExitFailure) << o.name;
        EXPECT_STARTS_WITH(p.result.message,
                           ("Invalid value 'abc' for option --" + std::string(o.name)));
    }
}

TEST(NotYetImplemented, HttpsListenerNeedsACertificate) {
    auto p = parseWithBasics({"--listen-https=4443"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--https-cert");
    auto q = parseWithBasics({"--listen-https=4443", "--https-cert=/etc/c.pem"});
    ASSERT_TRUE(q.ok()) << q.result.message;
    EXPECT_EQ(q.opts.listenHttps.size(), 2u);
}

// ---- validation ----

struct BadValue {
    std::string arg;
    std::string expectedPrefix;
};
// Readable test names in ctest output: the argument itself.
void PrintTo(const BadValue& v, std::ostream* os) { *os << v.arg; }

class InvalidValue : public ::testing::TestWithParam<BadValue> {};

TEST_P(InvalidValue, StopsStartupNamingOptionAndValue) {
    auto p = parseWithBasics({GetParam().arg});
    EXPECT_EQ(p.result.action, Action::ExitFailure) << GetParam().arg;
    EXPECT_STARTS_WITH(p.result.message, (GetParam().expectedPrefix));
}

INSTANTIATE_TEST_SUITE_P(
    Options, InvalidValue,
    ::testing::Values(
        BadValue{"--port-min=abc", "Invalid value 'abc' for option --port-min"},
        BadValue{"--port-min=0", "Invalid value '0' for option --port-min"},
        BadValue{"--port-min=65536", "Invalid value '65536' for option --port-min"},
        BadValue{"--port-max=-1", "Invalid value '-1' for option --port-max"},
        BadValue{"--port-max=", "Invalid value '' for option --port-max"},
        BadValue{"--port-min=12x", "Invalid value '12x' for option --port-min"},
        BadValue{"--port-min=99999999999", "Invalid value '99999999999' for option --port-min"},
        BadValue{"--tos=256", "Invalid value '256' for option --tos"},
        BadValue{"--tos=-1", "Invalid value '-1' for option --tos"},
        BadValue{"--control-tos=300", "Invalid value '300' for option --control-tos"},
        BadValue{"--log-level=8", "Invalid value '8' for option --log-level"},
        BadValue{"--log-level=-1", "Invalid value '-1' for option --log-level"},
        BadValue{"--timeout=1.5", "Invalid value '1.5' for option --timeout"},
        BadValue{"--table=abc", "Invalid value 'abc' for option --table"},
        BadValue{"--num-threads=four", "Invalid value 'four' for option --num-threads"},
        BadValue{"--endpoint-learning=sometimes",
                 "Invalid value 'sometimes' for option --endpoint-learning"},
        BadValue{"--log-facility=LOCAL0", "Invalid value 'LOCAL0' for option --log-facility"},
        BadValue{"--log-facility-cdr=foo", "Invalid value 'foo' for option --log-facility-cdr"},
        BadValue{"--listen-ng=*:2223", "Invalid value '*:2223' for option --listen-ng"},
        BadValue{"--listen-ng=:2223", "Invalid value ':2223' for option --listen-ng"},
        BadValue{"--listen-ng=70000", "Invalid value '70000' for option --listen-ng"},
        BadValue{"--listen-udp=abc", "Invalid value 'abc' for option --listen-udp"},
        BadValue{"--listen-tcp-ng=127.0.0.1:x", "Invalid value '127.0.0.1:x' for option"},
        BadValue{"--listen-cli=127.0.0.1:", "Invalid value '127.0.0.1:' for option --listen-cli"},
        BadValue{"--interface=0.0.0.0", "Invalid value '0.0.0.0' for option --interface"},
        BadValue{"--max-load=1,5", "Invalid value '1,5' for option --max-load"},
        BadValue{"--max-cpu=inf", "Invalid value 'inf' for option --max-cpu"},
        BadValue{"--max-bandwidth=1.5", "Invalid value '1.5' for option --max-bandwidth"},
        BadValue{"--xmlrpc-format=3", "Invalid value '3' for option --xmlrpc-format"},
        BadValue{"--dtls-mtu=575", "Invalid value '575' for option --dtls-mtu"},
        BadValue{"--dtls-rsa-key-size=-1", "Invalid value '-1' for option --dtls-rsa-key-size"},
        BadValue{"--dtls-signature=md5", "Invalid value 'md5' for option --dtls-signature"},
        BadValue{"--dtls-cert-cipher=dsa", "Invalid value 'dsa' for option --dtls-cert-cipher"},
        BadValue{"--jitter-buffer=-1", "Invalid value '-1' for option --jitter-buffer"},
        BadValue{"--cn-payload=128", "Invalid value '128' for option --cn-payload"},
        BadValue{"--dtx-cn-params=x", "Invalid value 'x' for option --dtx-cn-params"},
        BadValue{"--subscribe-keyspace=abc", "Invalid value 'abc' for option --subscribe-keyspace"},
        BadValue{"--subscribe-keyspace=-1", "Invalid value '-1' for option --subscribe-keyspace"},
        BadValue{"--mysql-query=select 1", "Invalid value 'select 1' for option --mysql-query"},
        BadValue{"--mysql-query=select %llu %s", "Invalid value 'select %llu %s' for option"},
        BadValue{"--redis=127.0.0.1:6379", "Invalid value '127.0.0.1:6379' for option --redis"},
        BadValue{"--redis=127.0.0.1:6379/x", "Invalid value '127.0.0.1:6379/x' for option"},
        BadValue{"--redis-write=pw@abc", "Invalid value 'pw@abc' for option --redis-write"},
        BadValue{"--graphite=127.0.0.1", "Invalid value '127.0.0.1' for option --graphite"},
        BadValue{"--homer=9060", "Invalid value '9060' for option --homer"},
        BadValue{"--dtmf-log-dest=abc", "Invalid value 'abc' for option --dtmf-log-dest"},
        BadValue{"--homer-protocol=TCP", "Invalid value 'TCP' for option --homer-protocol"},
        BadValue{"--log-format=PARSABLE", "Invalid value 'PARSABLE' for option --log-format"},
        BadValue{"--recording-method=mp3", "Invalid value 'mp3' for option --recording-method"},
        BadValue{"--recording-format=pcapng", "Invalid value 'pcapng' for option"},
        BadValue{"--scheduling=FIFO", "Invalid value 'FIFO' for option --scheduling"},
        BadValue{"--idle-scheduling=lazy", "Invalid value 'lazy' for option --idle-scheduling"},
        BadValue{"--amr-dtx=off", "Invalid value 'off' for option --amr-dtx"},
        BadValue{"--mqtt-publish-scope=CALL", "Invalid value 'CALL' for option"},
        BadValue{"--mqtt-publish-qos=3", "Invalid value '3' for option --mqtt-publish-qos"},
        BadValue{"--mos=XQ", "Invalid value 'XQ' for option --mos"},
        BadValue{"--redis-delete-async=yes",
                 "Invalid value 'yes' for option --redis-delete-async"}),
    [](const ::testing::TestParamInfo<BadValue>& info) {
        std::string name = std::to_string(info.index) + "_";
        for (char c : info.param.arg) name += std::isalnum((unsigned char)c) ? c : '_';
        return name;
    });

TEST(Validation, CnPayloadCoefficientsMayReach254) {
    auto ok = parseWithBasics({"--cn-payload=127", "--cn-payload=254"});
    EXPECT_TRUE(ok.ok()) << ok.result.message;
    auto bad = parseWithBasics({"--cn-payload=20", "--cn-payload=255"});
    EXPECT_EQ(bad.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(bad.result.message, "Invalid value '255' for option --cn-payload");
}

TEST(Validation, CaseInsensitiveChoicesLikeRtpengine) {
    auto p = parseWithBasics(
        {"--dtls-signature=sha1", "--dtls-cert-cipher=rsa", "--mos=lq", "--amr-dtx=cn"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.dtlsSignature, "sha1");
    EXPECT_EQ(p.opts.dtlsCertCipher, "rsa");
}

TEST(Validation, PortRangeMustNotBeReversed) {
    auto p = parseWithBasics({"--port-min=40001", "--port-max=40000"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--port-min 40001");
    EXPECT_CONTAINS(p.result.message, "--port-max 40000");
}

TEST(Validation, SinglePortRangeIsAllowed) {
    auto p = parseWithBasics({"--port-min=30000", "--port-max=30000"});
    EXPECT_TRUE(p.ok()) << p.result.message;
}

TEST(Validation, PortRangeBoundsAreInclusive) {
    auto p = parseWithBasics({"--port-min=1", "--port-max=65535"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.portMin, 1);
    EXPECT_EQ(p.opts.portMax, 65535);
}

TEST(Validation, TosBoundsAreInclusive) {
    auto p = parseWithBasics({"--tos=255", "--control-tos=0", "--log-level=0"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.tos, 255);
    EXPECT_EQ(p.opts.logLevel, 0);
}

TEST(Validation, MissingInterfaceIsAnError) {
    auto p = parse({"--listen-ng=2223"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Missing option --interface");
}

TEST(Validation, InterfaceIsCheckedBeforeListeners) {
    auto p = parse({});
    EXPECT_STARTS_WITH(p.result.message, "Missing option --interface");
}

TEST(Validation, MissingListenerIsAnError) {
    auto p = parse({"--interface=192.0.2.10"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--listen-ng");
}

TEST(Validation, CliListenerAloneIsNotEnough) {
    auto p = parse({"--interface=192.0.2.10", "--listen-cli=9900"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
}

TEST(Validation, AnyControlProtocolIsEnough) {
    for (const char* l : {"--listen-ng=2223", "--listen-tcp-ng=2223", "--listen-udp=2222",
                          "--listen-tcp=2222", "--listen-http=8080"}) {
        auto p = parse({"--interface=192.0.2.10", l});
        EXPECT_TRUE(p.ok()) << l << ": " << p.result.message;
    }
}

}  // namespace
}  // namespace ngm::app

namespace ngm::app {
namespace {

TEST(NgmediaOptions, NgReplyCacheTakesSecondsFromOneToAnHour) {
    auto dflt = parseWithBasics({});
    ASSERT_TRUE(dflt.ok()) << dflt.result.message;
    EXPECT_EQ(dflt.opts.ngReplyCache, 30);
    auto one = parseWithBasics({"--ng-reply-cache=1"});
    ASSERT_TRUE(one.ok()) << one.result.message;
    EXPECT_EQ(one.opts.ngReplyCache, 1);
    for (const char* bad : {"--ng-reply-cache=0", "--ng-reply-cache=3601", "--ng-reply-cache=x"}) {
        auto p = parseWithBasics({bad});
        EXPECT_EQ(p.result.action, ParseResult::Action::ExitFailure) << bad;
        EXPECT_NE(p.result.message.find("--ng-reply-cache"), std::string::npos) << p.result.message;
    }
}

}  // namespace
}  // namespace ngm::app
