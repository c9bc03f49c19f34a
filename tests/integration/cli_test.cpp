// The CLI (--listen-cli) of a real daemon, driven by Debian's rtpengine-ctl
// (the perl client operators already have) and by our ngmedia-ctl: both
// must print the same for every command, runtime changes must take effect,
// and calls are listed, shown and terminated through the owning worker.
// Cli.SameOutputAsRtpengine runs the same commands against Debian's
// rtpengine (when installed) and compares after masking numbers.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <sstream>
#include <thread>

#include "daemon_test.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRtpengineCtl = "/usr/bin/rtpengine-ctl";

struct Output {
    std::string text;
    int status = -1;
};

// Runs `program -ip 127.0.0.1 -port N command` and returns its stdout.
Output runCtl(const std::string& program, uint16_t port, const std::string& command) {
    std::string cmd =
        program + " -ip 127.0.0.1 -port " + std::to_string(port) + " " + command + " 2>&1";
    Output out;
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.text.append(buf, n);
    int st = pclose(f);
    out.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

std::string ngmediaCtl() {
#ifdef NGM_CTL_PATH
    return NGM_CTL_PATH;
#else
    return "ngmedia-ctl";
#endif
}

std::string masked(const std::string& s) {
    return std::regex_replace(s, std::regex("[0-9]+"), "N");
}

class Cli : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "the CLI tests drive ngmediad; Cli.SameOutputAsRtpengine compares with "
                            "rtpengine";
        cliPort = pickFreePort(SOCK_STREAM);
        DaemonConfig cfg;
        cfg.args = {"--listen-cli=127.0.0.1:" + std::to_string(cliPort), "--delete-delay=0"};
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
        haveRtpengineCtl = access(kRtpengineCtl, X_OK) == 0;
    }

    // Runs the command with both clients, expects the same answer from each
    // and returns it.
    std::string cli(const std::string& command) {
        Output ours = runCtl(ngmediaCtl(), cliPort, command);
        EXPECT_EQ(ours.status, 0) << command << ": " << ours.text;
        if (haveRtpengineCtl) {
            Output theirs = runCtl(kRtpengineCtl, cliPort, command);
            EXPECT_EQ(theirs.status, 0) << command;
            // Durations and timestamps move between the two runs.
            EXPECT_EQ(masked(theirs.text), masked(ours.text)) << command;
        }
        return ours.text;
    }
    // A command that changes state, sent once with the given client (or
    // ngmedia-ctl when rtpengine-ctl is not installed).
    std::string once(const std::string& command, bool withRtpengineCtl) {
        Output out = runCtl(withRtpengineCtl && haveRtpengineCtl ? kRtpengineCtl : ngmediaCtl(),
                            cliPort, command);
        EXPECT_EQ(out.status, 0) << command << ": " << out.text;
        return out.text;
    }

    void call(const std::string& id) {
        ASSERT_EQ(offer(id, "ft-" + id, audioSdp(2000)).result(), "ok");
        ASSERT_EQ(answer(id, "ft-" + id, "tt-" + id, audioSdp(3000, "192.0.2.20")).result(), "ok");
    }

    uint16_t cliPort = 0;
    bool haveRtpengineCtl = false;
};

// Per-subsystem log levels (--log-level-<subsystem>): the CLI shows them,
// a subsystem's level filters its own lines (ng's "Received command" is a
// control line at level 6), and `set loglevel control 6` lets them through.
class CliLogLevels : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle()) GTEST_SKIP() << "reads ngmediad's log lines";
        cliPort = pickFreePort(SOCK_STREAM);
        DaemonConfig cfg;
        cfg.args = {"--listen-cli=127.0.0.1:" + std::to_string(cliPort), "--log-level=6",
                    "--log-level-control=4", "--log-level-ice=7"};
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }
    std::string ctl(const std::string& command) { return runCtl(ngmediaCtl(), cliPort, command).text; }
    size_t pings() {
        std::string log = daemon.log();
        size_t n = 0;
        for (size_t at = 0; (at = log.find("Received command 'ping'", at)) != std::string::npos; at++) n++;
        return n;
    }
    uint16_t cliPort = 0;
};

TEST_F(CliLogLevels, ASubsystemLevelFiltersItsLinesAndSetLoglevelChangesIt) {
    EXPECT_EQ(ctl("get loglevel control"), "4\n");
    EXPECT_EQ(ctl("get loglevel ice"), "7\n");
    EXPECT_EQ(ctl("get loglevel core"), "6\n");
    EXPECT_EQ(ctl("get loglevel internals"), "-1\n");
    ASSERT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_EQ(pings(), 0u) << daemon.log();
    EXPECT_NE(daemon.log().find("Startup complete"), std::string::npos) << "a core line";
    EXPECT_EQ(ctl("set loglevel control 6"), "Success setting loglevel to 6\n");
    ASSERT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_TRUE(eventually([&] { return pings() == 1; }, 3000ms)) << daemon.log();
    // `set loglevel N` sets every subsystem.
    EXPECT_EQ(ctl("set loglevel 4"), "Success setting loglevel to 4\n");
    ASSERT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_EQ(ctl("get loglevel internals"), "4\n");
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(pings(), 1u);
}

// Lines of a subsystem follow its own level: the ICE lines of the session
// layer (a trickle fragment for a call it does not have is an info line of
// `ice`) and the control lines of ng, each set apart from the other.
TEST_F(CliLogLevels, IceLinesFollowTheIceLevelAndControlLinesTheControlLevel) {
    auto fragments = [&] {
        std::string log = daemon.log();
        size_t n = 0;
        const std::string line = "ICE fragment for unknown media dropped";
        for (size_t at = 0; (at = log.find(line, at)) != std::string::npos; at++) n++;
        return n;
    };
    auto trickle = [&] {
        Request r("offer");
        r.set("call-id", "no-such-call").set("from-tag", "ft").setList("flags", {"fragment"});
        r.set("sdp", "a=candidate:1 1 UDP 2130706431 127.0.0.1 5000 typ host\r\n");
        return ng->request(r).result();
    };
    // ice at 7 (debug): its info line shows; control at 4: ping's does not.
    ASSERT_EQ(trickle(), "ok");
    EXPECT_TRUE(eventually([&] { return fragments() == 1; }, 3000ms)) << daemon.log();
    EXPECT_EQ(pings(), 0u);
    // ice at 3 (err) hides it; control at 7 (debug) shows ping's.
    EXPECT_EQ(ctl("set loglevel ice 3"), "Success setting loglevel to 3\n");
    EXPECT_EQ(ctl("set loglevel control 7"), "Success setting loglevel to 7\n");
    ASSERT_EQ(trickle(), "ok");
    ASSERT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_TRUE(eventually([&] { return pings() == 1; }, 3000ms)) << daemon.log();
    EXPECT_EQ(fragments(), 1u) << daemon.log();
}

TEST_F(Cli, ListTotalsAndCountersFromBothClients) {
    if (!haveRtpengineCtl)
        std::cout << "note: " << kRtpengineCtl << " not installed; ngmedia-ctl only\n";
    call("c1");
    std::string totals = cli("list totals");
    EXPECT_NE(totals.find(" Owned sessions                                  :1\n"),
              std::string::npos)
        << totals;
    EXPECT_NE(totals.find("Control statistics:"), std::string::npos);
    EXPECT_NE(cli("list counters").find("Current per-second counters:"), std::string::npos);
    std::string json = cli("list jsonstats");
    EXPECT_EQ(json.rfind("{\"currentstatistics\":{\"sessionsown\":1,", 0), 0u) << json;
    EXPECT_NE(cli("list interfaces")
                  .find("Interface 'default' address '127.0.0.1' (IPv4)\n Port range: "),
              std::string::npos);
}

TEST_F(Cli, SessionsAreListedAndShownWithTheirTags) {
    call("c1");
    call("c2");
    EXPECT_NE(cli("list numsessions").find("Current sessions own: 2\n"), std::string::npos);
    std::string all = cli("list sessions all");
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 2) << all;
    EXPECT_NE(all.find("callid:                                                           c1 | "
                       "deletionmark:  no"),
              std::string::npos)
        << all;
    std::string info = cli("list sessions c1");
    EXPECT_EQ(info.rfind("\ncallid: c1\ndeletionmark: no\ncreated: ", 0), 0u) << info;
    EXPECT_NE(info.find("--- Tag 'ft-c1', type: FROM_TAG"), std::string::npos) << info;
    EXPECT_NE(info.find("---     subscribed to 'tt-c1'"), std::string::npos) << info;
    EXPECT_NE(info.find("------ Media #1 (audio over RTP/AVP)"), std::string::npos) << info;
    EXPECT_EQ(cli("call c1 info").rfind("\ncallid: c1\n", 0), 0u);
    std::string tag = cli("call c1 tag tt-c1 info");
    EXPECT_EQ(tag.rfind("--- Tag 'tt-c1', type: TO_TAG", 0), 0u) << tag;
    EXPECT_EQ(cli("call c1 tag nosuch info"), "No such tag 'nosuch'\n");
    EXPECT_EQ(cli("debug c1 on"), "Enabled debugging for call 'c1'\n");
    EXPECT_EQ(cli("call c1 debug off"), "Disabled debugging for call 'c1'\n");
}

TEST_F(Cli, TerminateEndsTheCallOnItsWorkerAndCountsItForced) {
    call("c1");
    call("c2");
    call("c3");
    EXPECT_EQ(once("terminate c1", false),
              "\nCall Id (c1) successfully terminated by operator.\n\n");
    EXPECT_EQ(query("c1").result(), "error");
    EXPECT_EQ(once("call c2 terminate", true), "\nCall 'c2' terminated.\n\n");
    EXPECT_EQ(query("c2").result(), "error");
    EXPECT_EQ(query("c3").result(), "ok");
    EXPECT_NE(cli("list totals").find(" Total forced terminated sessions                :2\n"),
              std::string::npos);
    EXPECT_EQ(once("terminate all", true), "All calls terminated by operator.\n");
    EXPECT_EQ(cli("list sessions all"), "No sessions on this media relay.\n");
}

TEST_F(Cli, StandbyMakesCallsForeignAndActiveOwned) {
    call("c1");
    EXPECT_EQ(cli("standby"), "Ok, all calls set to 'foreign (standby)'\n");
    EXPECT_NE(
        cli("list numsessions").find("Current sessions own: 0\nCurrent sessions foreign: 1\n"),
        std::string::npos);
    std::string totals = cli("list totals");
    EXPECT_NE(totals.find(" Owned sessions                                  :0\n"
                          " Foreign sessions                                :1\n"
                          " Total sessions                                  :1\n"),
              std::string::npos)
        << totals;
    EXPECT_NE(cli("list sessions foreign").find("| foreign:yes"), std::string::npos);
    EXPECT_EQ(cli("active"), "Ok, all calls set to 'owned (active)'\n");
    EXPECT_EQ(cli("list sessions foreign"), "No foreign sessions on this media relay.\n");
}

TEST_F(Cli, SetMaxSessionsRefusesTheNextOfferAtOnce) {
    call("c1");
    EXPECT_EQ(cli("set maxsessions 1"), "Success setting maxsessions to 1\n");
    EXPECT_EQ(cli("get maxsessions"), "Maximum sessions configured on rtpengine: 1\n");
    Reply r = offer("c2", "a", audioSdp(2000));
    EXPECT_EQ(r.result(), "error");
    EXPECT_EQ(r.str({"error-reason"}), "Parallel session limit reached");
    EXPECT_EQ(cli("params diff"), "max-sessions: -1 => 1\n");
    EXPECT_EQ(once("params revert", true), "");
    EXPECT_EQ(offer("c2", "a", audioSdp(2000)).result(), "ok");
}

TEST_F(Cli, SetOfferTimeoutEndsAnUnansweredCallAtTheNewDeadline) {
    ASSERT_EQ(offer("c1", "a", audioSdp(2000)).result(), "ok");
    EXPECT_EQ(cli("set offertimeout 1"), "Success setting timeout to 1\n");
    auto until = std::chrono::steady_clock::now() + 5s;
    while (query("c1").result() == "ok" && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(100ms);
    EXPECT_EQ(query("c1").result(), "error") << "the call outlived the new offer timeout";
    EXPECT_NE(cli("list totals").find(" Total timed-out sessions via OFFER_TIMEOUT      :1\n"),
              std::string::npos);
}

TEST_F(Cli, AnOverlongLineIsRefusedAndTheDaemonKeepsServing) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(cliPort);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, (sockaddr*)&sa, sizeof sa), 0);
    std::string junk(100000, 'x');
    ssize_t sent = send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    (void)sent;
    std::string got;
    char buf[256];
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, (size_t)n);
    close(fd);
    EXPECT_EQ(got, "Command too long.\n");
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_EQ(cli("list timeout"), "TIMEOUT=60\n");
}

TEST_F(Cli, NgmediaCtlHelpAndUsageAsRtpengineCtl) {
    Output help = runCtl(ngmediaCtl() + " --help", cliPort, "");
    EXPECT_NE(help.text.find("ngmedia-ctl [ -ip <ipaddress>[:<port>] -port <port> ] <command>"),
              std::string::npos);
    EXPECT_NE(help.text.find("terminate <option>"), std::string::npos);
    // No command: usage and exit 1, as rtpengine-ctl.
    Output none = runCtl(ngmediaCtl(), cliPort, "");
    EXPECT_EQ(none.status, 1);
    // -ip ADDRESS:PORT carries the port.
    std::string cmd = ngmediaCtl() + " -ip 127.0.0.1:" + std::to_string(cliPort) + " list timeout";
    FILE* f = popen(cmd.c_str(), "r");
    ASSERT_TRUE(f);
    char buf[64] = {};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    pclose(f);
    EXPECT_EQ(std::string(buf, n), "TIMEOUT=60\n");
}

// The same commands against Debian's rtpengine and ngmediad, each with the
// same calls set up; the answers compared with numbers masked.
TEST(CliDiff, SameOutputAsRtpengine) {
    if (access("/usr/bin/rtpengine", X_OK) != 0 || access(kRtpengineCtl, X_OK) != 0) {
        std::cout
            << "skipped: Debian's rtpengine-daemon/rtpengine-utils (the oracle) is not installed\n";
        GTEST_SKIP() << "Debian's rtpengine (the oracle) is not installed";
    }
    if (daemonIsRtpengine()) GTEST_SKIP() << "already driving rtpengine; nothing to compare with";
    const std::vector<std::string> commands = {"help",
                                               "list help",
                                               "set help",
                                               "list numsessions",
                                               "list sessions all",
                                               "list counters",
                                               "list maxsessions",
                                               "list maxcpu",
                                               "list maxload",
                                               "list maxbw",
                                               "list timeout",
                                               "list silenttimeout",
                                               "list offertimeout",
                                               "list finaltimeout",
                                               "list loglevels",
                                               "list loglevel",
                                               "list loglevel core",
                                               "list controltos",
                                               "list deletedelay",
                                               "list interfaces",
                                               "list transcoders",
                                               "list totals",
                                               "list sessions nosuch",
                                               "call c1 info",
                                               "call c1 tag ft-c1 info",
                                               "call c1 tag nosuch info",
                                               "call nosuch info",
                                               "call c1 bogus",
                                               "debug c1 on",
                                               "debug nosuch on",
                                               "kslist",
                                               "ksrm 3",
                                               "set maxsessions 50",
                                               "set maxcpu 2.5",
                                               "set maxload 3.5",
                                               "set timeout 70",
                                               "set silenttimeout 80",
                                               "set finaltimeout 100",
                                               "set timeout abc",
                                               "set maxsessions -5",
                                               "set deletedelay 12",
                                               "params diff",
                                               "params revert",
                                               "params diff",
                                               "standby",
                                               "list numsessions",
                                               "active",
                                               "bogus",
                                               "list bogus",
                                               "terminate nosuch",
                                               "terminate c2",
                                               "list numsessions",
                                               "call c1 terminate",
                                               "terminate own",
                                               "terminate all",
                                               "list sessions all"};
    auto runAll = [&](const std::string& binary) {
        std::vector<std::string> out;
        if (binary.empty())
            unsetenv("NGM_DAEMON");
        else
            setenv("NGM_DAEMON", binary.c_str(), 1);
        Daemon d;
        uint16_t port = pickFreePort(SOCK_STREAM);
        DaemonConfig cfg;
        cfg.args = {"--listen-cli=127.0.0.1:" + std::to_string(port), "--num-threads=1"};
        bool started = d.start(cfg);
        unsetenv("NGM_DAEMON");
        EXPECT_TRUE(started) << d.error();
        if (!started) return out;
        NgClient ng(d.ngPort());
        for (std::string id : {"c1", "c2"}) {
            ng.request(Request("offer")
                           .set("call-id", id)
                           .set("from-tag", "ft-" + id)
                           .set("sdp", audioSdp(2000)));
            ng.request(Request("answer")
                           .set("call-id", id)
                           .set("from-tag", "ft-" + id)
                           .set("to-tag", "tt-" + id)
                           .set("sdp", audioSdp(3000, "192.0.2.20")));
        }
        for (const auto& c : commands) {
            std::string text = runCtl(kRtpengineCtl, port, c).text;
            // Hash-table order of the session list.
            if (c == "list sessions all") {
                std::istringstream in(text);
                std::vector<std::string> lines;
                for (std::string l; std::getline(in, l);) lines.push_back(l);
                std::sort(lines.begin(), lines.end());
                text.clear();
                for (auto& l : lines) text += l + "\n";
            }
            out.push_back(masked(text));
        }
        d.stop();
        return out;
    };
    std::vector<std::string> theirs = runAll("/usr/bin/rtpengine");
    std::vector<std::string> ours = runAll("");
    ASSERT_EQ(theirs.size(), commands.size());
    ASSERT_EQ(ours.size(), commands.size());
    for (size_t i = 0; i < commands.size(); i++) {
        std::string a = theirs[i], b = ours[i];
        // Deliberate differences (docs/compatibility.md): the Redis settings
        // rtpengine lists and ngmediad does not have.
        if (commands[i] == "list help" || commands[i] == "set help") {
            a = std::regex_replace(a, std::regex("\tredis[a-z]+\n"), "");
        }
        // rtpengine 10.5's diff leaves out offer-timeout and delete-delay.
        if (commands[i] == "params diff")
            b = std::regex_replace(b, std::regex("delete-delay: N => N\n"), "");
        // rtpengine's totals count the commands of its own set-up differently
        // (Min/Max managed sessions are per graphite interval): numbers are masked already.
        EXPECT_EQ(a, b) << "command: " << commands[i];
    }
}

}  // namespace
}  // namespace ngm::itest
