// Config file: which file and section, key syntax, lists, and how the command
// line overrides it.
#include <gtest/gtest.h>

#include "common/log.h"
#include "options_test_util.h"

namespace ngm::app {
namespace {

using testing::ep;
using testing::ip;
using testing::parse;
using testing::TempFile;
using Action = ParseResult::Action;

const char* const kTwoSections =
    "[rtpengine]\n"
    "interface = 192.0.2.10\n"
    "listen-ng = 127.0.0.1:2223\n"
    "timeout = 77\n"
    "foreground = true\n"
    "\n"
    "[other]\n"
    "interface = ext/192.0.2.10;int/198.51.100.20!203.0.113.9\n"
    "listen-ng = 127.0.0.1:2224\n"
    "timeout = 88\n";

TEST(ConfigFile, ReadsTheRtpengineSectionByDefault) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 77);
    EXPECT_TRUE(p.opts.foreground);
    ASSERT_EQ(p.opts.interfaces.size(), 1u);
    EXPECT_EQ(p.opts.interfaces[0].address, ip("192.0.2.10"));
    EXPECT_EQ(p.opts.listenNg, std::vector<net::Endpoint>{ep("127.0.0.1", 2223)});
    EXPECT_EQ(p.opts.configFile, f.path());
    EXPECT_EQ(p.opts.configSection, "rtpengine");
}

TEST(ConfigFile, SubsystemLogLevelKeys) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\nlog-level = 6\n"
               "log-level-ice = 2\nlog-level-rtcp = 7\n");
    auto p = parse({"--config-file=" + f.path(), "--log-level-rtcp=5"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.logLevel, 6);
    EXPECT_EQ(p.opts.subsystemLogLevels[size_t(log::Subsystem::Ice)], 2);
    EXPECT_EQ(p.opts.subsystemLogLevels[size_t(log::Subsystem::Rtcp)], 5);  // the command line wins
    EXPECT_EQ(p.opts.subsystemLogLevels[size_t(log::Subsystem::Core)], -2);
}

TEST(ConfigFile, ConfigSectionSelectsAnotherSection) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file", f.path(), "--config-section=other"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 88);
    EXPECT_FALSE(p.opts.foreground);
    ASSERT_EQ(p.opts.interfaces.size(), 2u);
    EXPECT_EQ(p.opts.interfaces[0].name, "ext");
    EXPECT_EQ(p.opts.interfaces[1].name, "int");
    EXPECT_EQ(p.opts.interfaces[1].advertised, ip("203.0.113.9"));
    EXPECT_EQ(p.opts.configSection, "other");
}

TEST(ConfigFile, MissingSectionIsAnError) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=" + f.path(), "--config-section=nosuch"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "[nosuch]");
    EXPECT_CONTAINS(p.result.message, f.path());
}

TEST(ConfigFile, ExplicitFileThatDoesNotExistIsAnError) {
    auto p = parse(
        {"--config-file=/nonexistent/ngm.conf", "--interface=192.0.2.10", "--listen-ng=2223"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "/nonexistent/ngm.conf");
}

TEST(ConfigFile, DefaultFileIsSkippedWhenMissing) {
    auto p = parse({"--interface=192.0.2.10", "--listen-ng=2223"}, "/nonexistent/ngm.conf");
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_TRUE(p.opts.configFile.empty());
}

TEST(ConfigFile, DefaultFileIsReadWhenPresent) {
    TempFile f(kTwoSections);
    auto p = parse({}, f.path());
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 77);
    EXPECT_EQ(p.opts.configFile, f.path());
}

TEST(ConfigFile, NoneSuppressesTheDefaultFile) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=none", "--interface=192.0.2.10", "--listen-ng=2223"}, f.path());
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 60);
    EXPECT_TRUE(p.opts.configFile.empty());
}

TEST(ConfigFile, LastConfigFileOptionWins) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=/nonexistent/x.conf", "--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 77);
}

TEST(ConfigFile, CommandLineOverridesScalars) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=" + f.path(), "--timeout=99", "-n", "127.0.0.1:3000"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 99);
    EXPECT_EQ(p.opts.listenNg, std::vector<net::Endpoint>{ep("127.0.0.1", 3000)});
}

TEST(ConfigFile, CommandLineReplacesTheFilesList) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=" + f.path(), "--config-section=other", "-i", "x/192.0.2.10"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    ASSERT_EQ(p.opts.interfaces.size(), 1u);
    EXPECT_EQ(p.opts.interfaces[0].name, "x");
}

TEST(ConfigFile, ReplacedListIsNotResolved) {
    // rtpengine resolves interfaces after merging, so a broken entry in the
    // file does not matter when the command line replaces the list.
    TempFile f("[rtpengine]\ninterface = no-such-device.invalid\nlisten-ng = 2223\n");
    auto p = parse({"--config-file=" + f.path(), "-i", "192.0.2.10"});
    EXPECT_TRUE(p.ok()) << p.result.message;
}

TEST(ConfigFile, CommandLineFlagCanSwitchOffAFileFlag) {
    TempFile f(kTwoSections);
    auto p = parse({"--config-file=" + f.path(), "--foreground=false"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_FALSE(p.opts.foreground);
}

TEST(ConfigFile, ListsUseSemicolons) {
    TempFile f(
        "[rtpengine]\n"
        "interface = 192.0.2.10 ; pub:1/198.51.100.20;\n"
        "listen-http = 127.0.0.1:8080;127.0.0.1:8081\n"
        "cn-payload = 20;40;60\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    ASSERT_EQ(p.opts.interfaces.size(), 2u);
    EXPECT_EQ(p.opts.interfaces[1].name, "pub");
    EXPECT_EQ(p.opts.interfaces[1].suffix, "1");
    EXPECT_EQ(p.opts.listenHttp,
              (std::vector<net::Endpoint>{ep("127.0.0.1", 8080), ep("127.0.0.1", 8081)}));
    EXPECT_EQ(p.opts.notYetImplemented.at("cn-payload"), "20;40;60");
}

TEST(ConfigFile, SingleValuedOptionDoesNotSplitOnSemicolons) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 127.0.0.1:1;127.0.0.1:2\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Invalid value '127.0.0.1:1;127.0.0.1:2' for option");
}

TEST(ConfigFile, EmptyListItemIsAnError) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10;;198.51.100.20\nlisten-ng = 2223\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Invalid value '' for option --interface");
}

TEST(ConfigFile, EmptyInterfaceListIsAnError) {
    TempFile f("[rtpengine]\ninterface =\nlisten-ng = 2223\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "--interface");
}

TEST(ConfigFile, BooleanSpellings) {
    const std::pair<const char*, bool> kCases[] = {
        {"true", true},   {"TRUE", true}, {"yes", true}, {"1", true},
        {"false", false}, {"No", false},  {"0", false},
    };
    for (auto [text, want] : kCases) {
        TempFile f(std::string("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\n") +
                   "no-fallback = " + text + "\n");
        auto p = parse({"--config-file=" + f.path()});
        ASSERT_TRUE(p.ok()) << text << ": " << p.result.message;
        EXPECT_EQ(p.opts.noFallback, want) << text;
    }
}

TEST(ConfigFile, InvalidBooleanIsAnErrorNamingFileAndLine) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\nforeground = maybe\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Invalid value 'maybe' for option --foreground");
    EXPECT_CONTAINS(p.result.message, f.path());
    EXPECT_CONTAINS(p.result.message, "line 4");
}

TEST(ConfigFile, MalformedIntegerIsAnErrorEvenWhenOverridden) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\ntimeout = abc\n");
    auto p = parse({"--config-file=" + f.path(), "--timeout=5"});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Invalid value 'abc' for option --timeout");
}

TEST(ConfigFile, RangeIsCheckedAfterTheCommandLineOverride) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\ntos = 300\n");
    auto p = parse({"--config-file=" + f.path(), "--tos=184"});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.tos, 184);
}

TEST(ConfigFile, FileValuesAreValidatedLikeCommandLineValues) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\nport-min = 0\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_STARTS_WITH(p.result.message, "Invalid value '0' for option --port-min");
    EXPECT_CONTAINS(p.result.message, "config file " + f.path());
}

TEST(ConfigFile, CommentsAndBlankLines) {
    TempFile f(
        "# leading comment\n"
        "[rtpengine]\n"
        "; semicolon comment\n"
        "   # indented comment\n"
        "\n"
        "interface = 192.0.2.10\r\n"
        "listen-ng=2223\n"
        "  timeout=5  \n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 5);
    EXPECT_EQ(p.opts.listenNg.size(), 2u);
}

TEST(ConfigFile, RepeatedKeyKeepsTheLastValue) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\ntimeout = 5\ntimeout = 6\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 6);
}

TEST(ConfigFile, RepeatedSectionIsMerged) {
    TempFile f(
        "[rtpengine]\ninterface = 192.0.2.10\n[other]\ntimeout = 1\n"
        "[rtpengine]\nlisten-ng = 2223\nsilent-timeout = 7\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.silentTimeout, 7);
    EXPECT_EQ(p.opts.timeout, 60);
}

TEST(ConfigFile, UnknownKeysAreIgnoredWithAWarning) {
    TempFile f(
        "[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\n"
        "num-media-threads = 8\nT = 5\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    ASSERT_EQ(p.opts.warnings.size(), 2u);
    EXPECT_CONTAINS(p.opts.warnings[0], "num-media-threads");
    EXPECT_CONTAINS(p.opts.warnings[1], "'T'");
    EXPECT_EQ(p.opts.tos, 0);
}

TEST(ConfigFile, CommandLineOnlyKeysAreIgnoredWithAWarning) {
    TempFile f(
        "[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\n"
        "config-section = other\n[other]\ntimeout = 9\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.timeout, 60);
    ASSERT_EQ(p.opts.warnings.size(), 1u);
    EXPECT_CONTAINS(p.opts.warnings[0], "config-section");
}

TEST(ConfigFile, VersionKeyPrintsTheVersion) {
    TempFile f("[rtpengine]\nversion = true\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitSuccess);
    EXPECT_STARTS_WITH(p.result.message, "Version: ngmedia ");
}

TEST(ConfigFile, NotYetImplementedKeysAreRecorded) {
    TempFile f(
        "[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\n"
        "recording-dir = /var/spool/rtpengine\nrecording-method = proc\n"
        "dtls-passive = true\npoller-per-thread = false\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    const auto& n = p.opts.notYetImplemented;
    EXPECT_EQ(n.at("recording-dir"), "/var/spool/rtpengine");
    EXPECT_EQ(n.at("recording-method"), "proc");
    EXPECT_FALSE(n.contains("dtls-passive"));  // implemented
    EXPECT_TRUE(p.opts.dtlsPassive);
    EXPECT_FALSE(n.contains("poller-per-thread"));
}

TEST(ConfigFile, EscapesInValues) {
    TempFile f(
        "[rtpengine]\ninterface = 192.0.2.10\nlisten-ng = 2223\n"
        "log-mark-prefix = \\s<\\t\n"
        "pidfile = /run/a\\\\b.pid\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.notYetImplemented.at("log-mark-prefix"), " <\t");
    EXPECT_EQ(p.opts.pidfile, "/run/a\\b.pid");
}

TEST(ConfigFile, SyntaxErrorNamesTheLine) {
    TempFile f("[rtpengine]\ninterface = 192.0.2.10\nforeground\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, f.path());
    EXPECT_CONTAINS(p.result.message, "line 3");
}

TEST(ConfigFile, KeyBeforeAnySectionIsAnError) {
    TempFile f("interface = 192.0.2.10\n[rtpengine]\n");
    auto p = parse({"--config-file=" + f.path()});
    EXPECT_EQ(p.result.action, Action::ExitFailure);
    EXPECT_CONTAINS(p.result.message, "line 1");
}

TEST(ConfigFile, RtpenginesPackagedConfigIsAccepted) {
    // The active lines of Debian's /etc/rtpengine/rtpengine.conf, with the
    // addresses made local to the test.
    TempFile f(
        "[rtpengine]\n\ntable = 0\n# no-fallback = false\ninterface = any\n\n"
        "listen-ng = localhost:2223\nlisten-http = localhost:2225\nlisten-cli = localhost:2224\n"
        "timeout = 60\nsilent-timeout = 3600\ntos = 184\nport-min = 30000\nport-max = 40000\n"
        "recording-dir = /var/spool/rtpengine\nrecording-method = proc\n"
        "[rtpengine-testing]\ntable = -1\ninterface = 10.15.20.121\nlisten-ng = 2223\n"
        "foreground = true\nlog-stderr = true\nlog-level = 7\n");
    auto p = parse({"--config-file=" + f.path()});
    ASSERT_TRUE(p.ok()) << p.result.message;
    EXPECT_EQ(p.opts.tos, 184);
    EXPECT_EQ(p.opts.interfaces.size(), 3u);  // eth0's two global addresses and eth1's
    EXPECT_EQ(p.opts.listenNg, std::vector<net::Endpoint>{ep("127.0.0.1", 2223)});
    EXPECT_EQ(p.opts.listenHttp, std::vector<net::Endpoint>{ep("127.0.0.1", 2225)});
    EXPECT_EQ(p.opts.listenCli, std::vector<net::Endpoint>{ep("127.0.0.1", 2224)});
    EXPECT_EQ(p.opts.notYetImplemented.size(), 2u);

    auto t = parse({"--config-file=" + f.path(), "--config-section=rtpengine-testing"});
    ASSERT_TRUE(t.ok()) << t.result.message;
    EXPECT_EQ(t.opts.table, -1);
    EXPECT_TRUE(t.opts.foreground);
    EXPECT_TRUE(t.opts.logStderr);
    EXPECT_EQ(t.opts.logLevel, 7);
    EXPECT_EQ(t.opts.interfaces[0].address, ip("10.15.20.121"));
}

}  // namespace
}  // namespace ngm::app
