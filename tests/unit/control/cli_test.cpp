// The CLI (rtpengine-ctl's commands): wording, layouts and the runtime
// parameters, without sockets. The statistics layouts are compared with
// what Debian's rtpengine 10.5 printed (tests/unit/control/data, numbers
// masked); commands about calls are covered by tests/integration/cli_test.cpp
// against a real daemon. The worker pool is not started: call commands run
// inline.
#include "control/cli.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "common/log.h"
#include "control/ng_dispatcher.h"
#include "control/ng_statistics.h"
#include "session/registry.h"
#include "session/worker.h"

namespace ngm::control {
namespace {

using bencode::Value;

std::string readData(const std::string& name) {
    std::ifstream in(std::string(NGM_CONTROL_TEST_DATA) + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string maskNumbers(const std::string& s) {
    return std::regex_replace(s, std::regex("[0-9]+"), "N");
}

class CliTest : public ::testing::Test {
  protected:
    CliTest() {
        log::setLevel(log::Crit);
        start.logLevels.fill(6);
        start.logLevels[9] = -1;
        params.store(start);
        cfg.registry = &registry;
        cfg.runtime = &params;
        cfg.instanceToken = "unit";
        workers = std::make_unique<session::WorkerPool>(1, cfg, counters);
        dispatcher = std::make_unique<NgDispatcher>(*workers, counters, cfg);
        CliSources src{*workers,
                       counters,
                       nullptr,
                       *dispatcher,
                       params,
                       start,
                       {{"table", "-1"}, {"port-min", "30000"}},
                       {}};
        src.applied = [this](const session::RuntimeValues& v) {
            appliedCount++;
            lastApplied = v;
        };
        cli = std::make_unique<Cli>(std::move(src));
    }
    ~CliTest() override { log::setLevel(log::Info); }

    session::RuntimeValues start;
    session::RuntimeParams params;
    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::WorkerPool> workers;
    std::unique_ptr<NgDispatcher> dispatcher;
    std::unique_ptr<Cli> cli;
    int appliedCount = 0;
    session::RuntimeValues lastApplied;
};

TEST(CliWords, SplitsAtBlanksAndDropsTheLineEnd) {
    EXPECT_EQ(Cli::words("  list   sessions\tall\r\n"),
              (std::vector<std::string_view>{"list", "sessions", "all"}));
    EXPECT_TRUE(Cli::words(" \r\n").empty());
}

TEST_F(CliTest, HelpListsTheTopLevelCommandsAsRtpengine) {
    EXPECT_EQ(cli->run("help"),
              "Available sub-commands at this "
              "level:\n\tlist\n\tterminate\n\tset\n\tget\n\tparams\n\tksadd\n"
              "\tksrm\n\tkslist\n\tactive\n\tstandby\n\tdebug\n\tcall\n");
}

TEST_F(CliTest, MissingAndUnknownWordsGetRtpenginesMessages) {
    EXPECT_EQ(cli->run(""), "More parameters required.\n");
    EXPECT_EQ(cli->run("list"), "More parameters required.\n");
    EXPECT_EQ(cli->run("list sessions"), "More parameters required.\n");
    EXPECT_EQ(cli->run("set timeout"), "More parameters required.\n");
    EXPECT_EQ(cli->run("bogus"), "Unknown or incomplete command::bogus\n");
    EXPECT_EQ(cli->run("list bogus"), "Unknown or incomplete command::bogus\n");
    EXPECT_EQ(cli->run("set bogus 1"), "Unknown or incomplete command::bogus 1\n");
    EXPECT_EQ(cli->run("params bogus"), "Unknown or incomplete command::bogus\n");
    EXPECT_EQ(cli->run("terminate"), "More parameters required.\n");
    EXPECT_EQ(cli->run("debug"), "No call ID specified\n");
}

TEST_F(CliTest, ListShowsTheStartValuesInRtpenginesWording) {
    EXPECT_EQ(cli->run("list maxsessions"), "Maximum sessions configured on rtpengine: -1\n");
    EXPECT_EQ(cli->run("list maxcpu"), "Maximum CPU usage configured on rtpengine: 0.0\n");
    EXPECT_EQ(cli->run("list maxload"), "Maximum load average configured on rtpengine: 0.00\n");
    EXPECT_EQ(cli->run("list maxbw"), "Maximum bandwidth configured on rtpengine: 0\n");
    EXPECT_EQ(cli->run("list timeout"), "TIMEOUT=60\n");
    EXPECT_EQ(cli->run("get silenttimeout"), "SILENT_TIMEOUT=3600\n");
    EXPECT_EQ(cli->run("list offertimeout"), "OFFER_TIMEOUT=3600\n");
    EXPECT_EQ(cli->run("list finaltimeout"), "FINAL_TIMEOUT=0\n");
    EXPECT_EQ(cli->run("list controltos"), "0\n");
    EXPECT_EQ(cli->run("list deletedelay"), "30\n");
    EXPECT_EQ(cli->run("list transcoders"), "No stats entries\n");
    EXPECT_EQ(cli->run("list loglevel core"), "6\n");
    EXPECT_EQ(cli->run("list loglevel internals"), "-1\n");
    EXPECT_EQ(cli->run("list loglevel bogus"), "");
    std::string levels = cli->run("list loglevel");
    EXPECT_EQ(levels.rfind("core = 6\nspandsp = 6\nffmpeg = 6\n", 0), 0u);
    EXPECT_NE(levels.find("internals = -1\n"), std::string::npos);
    EXPECT_EQ(cli->run("list loglevels")
                  .rfind("core - Everything that isn't part of another subsystem\nspandsp", 0),
              0u);
    EXPECT_NE(cli->run("list maxopenfiles").find("Maximum open-files configured on rtpengine: "),
              std::string::npos);
}

TEST_F(CliTest, SetChangesTheSharedParametersAndAnswersAsRtpengine) {
    EXPECT_EQ(cli->run("set maxsessions 50"), "Success setting maxsessions to 50\n");
    EXPECT_EQ(params.maxSessions.load(), 50);
    EXPECT_EQ(cli->run("set maxsessions -1"),
              "Success setting maxsessions to -1; disable feature\n");
    EXPECT_EQ(cli->run("set maxsessions -5"),
              "Fail setting maxsessions to -5; either positive or -1 values allowed\n");
    EXPECT_EQ(cli->run("set maxsessions x"), "Fail setting maxsessions to x; no digists found\n");
    EXPECT_EQ(cli->run("set maxcpu 2.5"), "Success setting maxcpu to 2.5\n");
    EXPECT_EQ(cli->run("set maxload 3.5"), "Success setting maxload to 3.50\n");
    EXPECT_EQ(cli->run("set maxload x"), "Fail setting maxload to x; no digists found\n");
    EXPECT_EQ(cli->run("set maxbw 1000"), "Success setting maxbw to 1000\n");
    EXPECT_EQ(cli->run("list maxbw"), "Maximum bandwidth configured on rtpengine: 1000\n");
    EXPECT_EQ(cli->run("set timeout 70"), "Success setting timeout to 70\n");
    EXPECT_EQ(cli->run("set silenttimeout 80"), "Success setting timeout to 80\n");
    EXPECT_EQ(cli->run("set offertimeout 90"), "Success setting timeout to 90\n");
    EXPECT_EQ(cli->run("set finaltimeout 100"), "Success setting timeout to 100\n");
    EXPECT_EQ(cli->run("set timeout abc"), "Fail setting timeout to abc; no digists found\n");
    EXPECT_EQ(cli->run("set timeout -5"), "Fail setting timeout to -5; errno=0\n");
    EXPECT_EQ(cli->run("set deletedelay 12"), "Success setting delete-delay to 12\n");
    EXPECT_EQ(cli->run("set deletedelay x"), "Invalid delete-delay value\n");
    EXPECT_EQ(cli->run("set controltos 184"), "Success setting controltos to 184\n");
    EXPECT_EQ(cli->run("set loglevel 5"), "Success setting loglevel to 5\n");
    EXPECT_EQ(cli->run("set loglevel core 7"), "Success setting loglevel to 7\n");
    session::RuntimeValues v = params.load();
    EXPECT_EQ(v.maxSessions, -1);
    EXPECT_DOUBLE_EQ(v.maxCpu, 2.5);
    EXPECT_DOUBLE_EQ(v.maxLoad, 3.5);
    EXPECT_EQ(v.timeout, 70);
    EXPECT_EQ(v.silentTimeout, 80);
    EXPECT_EQ(v.offerTimeout, 90);
    EXPECT_EQ(v.finalTimeout, 100);
    EXPECT_EQ(v.deleteDelay, 12);
    EXPECT_EQ(v.controlTos, 184);
    EXPECT_EQ(v.logLevels[0], 7);
    EXPECT_EQ(v.logLevels[1], 5);
    EXPECT_EQ(cli->run("list timeout"), "TIMEOUT=70\n");
    // What the atomics cannot do alone (process log level, control TOS) is
    // handed to the daemon after every change.
    EXPECT_EQ(lastApplied.controlTos, 184);
    EXPECT_EQ(lastApplied.logLevels[0], 7);
    EXPECT_GE(appliedCount, 13);
}

TEST_F(CliTest, ParamsDiffShowsChangesInRtpenginesUnitsAndRevertRestoresTheStart) {
    EXPECT_EQ(cli->run("params diff"), "");
    cli->run("set timeout 70");
    cli->run("set maxload 2");
    cli->run("set loglevel core 3");
    cli->run("set offertimeout 5");
    EXPECT_EQ(cli->run("params diff"),
              "log-level-core: 6 => 3\nmax-load: 0 => 200\ntimeout: 60 => 70\noffer-timeout: 3600 "
              "=> 5\n");
    std::string current = cli->run("params current");
    EXPECT_NE(current.find("timeout = 70\n"), std::string::npos);
    EXPECT_NE(current.find("max-load = 2.00\n"), std::string::npos);
    EXPECT_NE(current.find("max-bw = 0\n"), std::string::npos);
    std::string startText = cli->run("params start");
    EXPECT_NE(startText.find("timeout = 60\n"), std::string::npos);
    EXPECT_NE(startText.find("max-bandwidth = 0\n"), std::string::npos);
    EXPECT_EQ(startText.substr(0, 19), "log-level-core = 6\n");
    EXPECT_NE(startText.find("log-level-dtx = 6\ntable = -1\nmax-sessions = -1\n"),
              std::string::npos);
    EXPECT_EQ(cli->run("params revert"), "");
    EXPECT_EQ(cli->run("params diff"), "");
    EXPECT_EQ(params.timeout.load(), 60);
    EXPECT_EQ(lastApplied.logLevels[0], 6);
}

TEST_F(CliTest, KeyspacesAreKeptAndListed) {
    EXPECT_EQ(cli->run("kslist"), "\nSubscribed-on keyspaces:\n\n");
    EXPECT_EQ(cli->run("ksadd 3"), "Success adding keyspace 3 to redis notifications.\n");
    EXPECT_EQ(cli->run("ksadd 5"), "Success adding keyspace 5 to redis notifications.\n");
    EXPECT_EQ(cli->run("kslist"), "\nSubscribed-on keyspaces:\n3\n5\n\n");
    EXPECT_EQ(cli->run("ksrm 3"), "Successfully unsubscribed from keyspace 3.\n");
    EXPECT_EQ(cli->run("ksrm 3"), "Keyspace 3 is not among redis notifications.\n");
    EXPECT_EQ(cli->run("ksrm"), "More parameters required.\n");
}

TEST_F(CliTest, CallCommandsOnUnknownCallsSayItAsRtpengine) {
    EXPECT_EQ(cli->run("list sessions nosuch"), "\nCall ID not found (nosuch).\n\n");
    EXPECT_EQ(cli->run("terminate nosuch"), "\nCall Id not found (nosuch).\n\n");
    EXPECT_EQ(cli->run("debug nosuch on"), "Call ID 'nosuch' not found\n");
    EXPECT_EQ(cli->run("call nosuch info"), "No such call 'nosuch'\n");
    EXPECT_EQ(cli->run("list sessions all"), "No sessions on this media relay.\n");
    EXPECT_EQ(cli->run("list sessions own"), "No own sessions on this media relay.\n");
    EXPECT_EQ(cli->run("list sessions foreign"), "No foreign sessions on this media relay.\n");
    EXPECT_EQ(cli->run("terminate all"), "All calls terminated by operator.\n");
    EXPECT_EQ(cli->run("terminate own"), "All own calls terminated by operator.\n");
    EXPECT_EQ(cli->run("terminate foreign"), "All foreign calls terminated by operator.\n");
    EXPECT_EQ(cli->run("standby"), "Ok, all calls set to 'foreign (standby)'\n");
    EXPECT_EQ(cli->run("active"), "Ok, all calls set to 'owned (active)'\n");
}

TEST_F(CliTest, TotalsHaveRtpenginesLayoutLineForLine) {
    dispatcher->handle("c1 d7:command4:pinge",
                       net::Endpoint{net::IpAddress::parse("127.0.0.1").value(), 5060});
    std::string ours = cli->run("list totals");
    std::string theirs = readData("rtpengine-10.5-list-totals.txt");
    ASSERT_FALSE(theirs.empty());
    EXPECT_EQ(maskNumbers(ours), maskNumbers(theirs));
}

TEST_F(CliTest, JsonStatsIsTheStatisticsReplyAsRtpenginesJson) {
    dispatcher->handle("c1 d7:command4:pinge",
                       net::Endpoint{net::IpAddress::parse("127.0.0.1").value(), 5060});
    std::string ours = cli->run("list jsonstats");
    std::string theirs = readData("rtpengine-10.5-list-jsonstats.txt");
    ASSERT_FALSE(theirs.empty());
    // The recording had one interface; this rig has none.
    theirs = std::regex_replace(theirs, std::regex("\"interfaces\":\\[.*\\],\"transcoders\""),
                                "\"interfaces\":[],\"transcoders\"");
    EXPECT_EQ(maskNumbers(ours), maskNumbers(theirs));
    EXPECT_NE(ours.back(), '\n');  // rtpengine ends it without a line end
}

TEST(CliFormats, CountersAndInterfacesFromTheStatisticsReply) {
    bencode::Document d;
    Value st = Value::dict();
    Value& cur = st.add("currentstatistics", Value::dict());
    cur.add("packetrate_user", Value::integer(12));
    cur.add("packetrate", Value::integer(12));
    Value& ifs = st.add("interfaces", Value::list());
    Value e = Value::dict();
    e.add("name", Value::string("default"));
    e.add("address", Value::string("127.0.0.1"));
    Value& ports = e.add("ports", Value::dict());
    ports.add("min", Value::integer(63610));
    ports.add("max", Value::integer(63640));
    ports.add("used", Value::integer(12));
    ports.add("totals", Value::integer(31));
    ports.add("last", Value::integer(63630));
    ifs.push(std::move(e));
    EXPECT_EQ(formatInterfaces(st),
              "Interface 'default' address '127.0.0.1' (IPv4)\n Port range: 63610 - 63640\n"
              " Ports used:    12 /    31 ( 38.7%)\n Last port used: 63630\n");
    std::string counters = formatCounters(st);
    EXPECT_EQ(counters.rfind("\nCurrent per-second counters:\n\n Packets per second (userspace)    "
                             "              :12\n",
                             0),
              0u);
    EXPECT_NE(counters.find(" Errors per second (total)                       :0\n"),
              std::string::npos);
}

}  // namespace
}  // namespace ngm::control
