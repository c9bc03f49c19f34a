// OpenSER's mediaproxy protocol on --listen-tcp: one command per
// connection, its reply, then the daemon closes. Calls set up with
// request/lookup carry media both ways, status lists them, delete ends
// them; lines that do not parse, over-long lines and too many connections
// are closed without a reply and disturb neither ng nor media. Runs under
// the oracle too (NGM_DAEMON=/usr/bin/rtpengine) except where noted. The
// counters of both show on /metrics (ngmedia_mediaproxy_*).
// Control ports: one per test, 61940-61943.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_test.h"
#include "http_client.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

struct Exchange {
    std::string reply;
    bool closed = false;  // the daemon closed the connection
};

int connectTo(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Reads until the peer closes or `timeout` passes with nothing new.
Exchange readAll(int fd, milliseconds timeout) {
    Exchange e;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, int(timeout.count())) <= 0) return e;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            e.closed = true;
            return e;
        }
        e.reply.append(buf, size_t(n));
    }
}

// Sends `pieces` (each its own write, `gap` apart) on a new connection and
// returns what came back.
Exchange exchange(uint16_t port, const std::vector<std::string>& pieces,
                  milliseconds timeout = milliseconds(3000),
                  milliseconds gap = milliseconds(0)) {
    Exchange e;
    int fd = connectTo(port);
    if (fd < 0) return e;
    for (const auto& p : pieces) {
        if (send(fd, p.data(), p.size(), MSG_NOSIGNAL) < 0) break;
        if (gap.count()) std::this_thread::sleep_for(gap);
    }
    e = readAll(fd, timeout);
    close(fd);
    return e;
}

std::string request(const std::string& verb, const std::string& callId, uint16_t port,
                    const std::string& info) {
    return verb + " " + callId + " 127.0.0.1:" + std::to_string(port) +
           " 127.0.0.1 dom.a local dom.b remote UA info=" + info + "\n";
}

// "127.0.0.1 PORT\n" → PORT; 0 (and a failure) otherwise.
uint16_t portOf(const Exchange& e) {
    EXPECT_TRUE(e.closed) << e.reply;
    std::istringstream in(e.reply);
    std::string addr;
    int port = 0;
    in >> addr >> port;
    EXPECT_EQ(addr, "127.0.0.1") << e.reply;
    return uint16_t(port);
}

class MediaproxyTest : public DaemonTest {
  protected:
    void start(std::vector<std::string> args = {"--delete-delay=0"}, bool http = false) {
        // A fixed port per test: ctest runs these side by side, and two
        // tests that both found one port free would reach each other's
        // daemon (diff.mediaproxy has 61700-61719).
        static const std::map<std::string, uint16_t> kPorts = {
            {"VersionStatusControlsAndQuitAnswerThenClose", 61940},
            {"RequestAndLookupRelayMediaBothWaysStatusListsTheCallDeleteEndsIt", 61941},
            {"BadLinesCloseWithoutReplyAndDisturbNeitherNgNorMedia", 61942},
            {"ConnectionsBeyondTheLimitAreClosedAndTheListenerCarriesOn", 61943},
        };
        auto it = kPorts.find(::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_NE(it, kPorts.end()) << "give this test a control port of its own";
        port = it->second;  // TIME-WAIT of an earlier run does not keep the daemon from it
        DaemonConfig cfg;
        cfg.args = std::move(args);
        cfg.http = http;
        cfg.args.push_back("--listen-tcp=127.0.0.1:" + std::to_string(port));
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
        // ng may answer before the TCP port is open.
        ASSERT_TRUE(eventually(
            [&] { return exchange(port, {"version\n"}, milliseconds(500)).closed; },
            milliseconds(5000)));
        ASSERT_TRUE(daemon.alive()) << daemon.log();
    }
    // /metrics, or "" when it does not answer.
    std::string metrics() {
        HttpClient c(daemon.httpPort(), false);
        auto r = c.request("GET", "/metrics");
        return r ? r->body : std::string();
    }
    // The value of the sample `key` ("name{labels}") in `text`, or -1.
    static long long sample(const std::string& text, const std::string& key) {
        auto at = text.find("\n" + key + " ");
        return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + key.size() + 2);
    }
    uint16_t port = 0;
    std::vector<uint8_t> payload = std::vector<uint8_t>(160, 0xd5);
};

TEST_F(MediaproxyTest, VersionStatusControlsAndQuitAnswerThenClose) {
    start();
    Exchange v = exchange(port, {"version\n"});
    EXPECT_TRUE(v.closed);
    EXPECT_EQ(v.reply.substr(0, 9), "Version: ") << v.reply;
    EXPECT_EQ(exchange(port, {"build\r\n"}).reply, v.reply);
    Exchange s = exchange(port, {"status\n"});
    EXPECT_TRUE(s.closed);
    EXPECT_EQ(s.reply.substr(0, 8), "proxy 0 ") << s.reply;
    Exchange c = exchange(port, {"controls\n"});
    EXPECT_TRUE(c.closed);
    EXPECT_EQ(c.reply.substr(0, 10), "127.0.0.1:") << c.reply;
    EXPECT_EQ(c.reply.substr(c.reply.size() - 5), "End.\n") << c.reply;
    Exchange q = exchange(port, {"quit\n"});
    EXPECT_TRUE(q.closed);
    EXPECT_EQ(q.reply, "");
    // Empty lines are skipped; only the first command is run.
    Exchange two = exchange(port, {"\n\r\nversion\nstatus\n"});
    EXPECT_EQ(two.reply, v.reply);
}

TEST_F(MediaproxyTest, RequestAndLookupRelayMediaBothWaysStatusListsTheCallDeleteEndsIt) {
    start();
    RtpPeer caller, callee;
    uint16_t toCallee = portOf(exchange(
        port, {request("request", "mp-1@h", caller.port(), "from:a@x,to:b@y,fromtag:f1,totag:")}));
    uint16_t toCaller = portOf(exchange(
        port, {request("lookup", "mp-1@h", callee.port(), "from:a@x,to:b@y,fromtag:f1,totag:t1")}));
    ASSERT_NE(toCallee, 0);
    ASSERT_NE(toCaller, 0);
    ASSERT_NE(toCallee, toCaller);
    for (uint16_t seq = 1; seq <= 5; seq++) {
        caller.sendRtp(toCaller, 8, seq, seq * 160, 0x1111, payload);
        callee.sendRtp(toCallee, 8, seq, seq * 160, 0x2222, payload);
    }
    EXPECT_EQ(callee.drain(milliseconds(500)).size(), 5u);
    EXPECT_EQ(caller.drain(milliseconds(200)).size(), 5u);
    Exchange s = exchange(port, {"status\n"});
    EXPECT_EQ(s.reply.substr(0, 8), "proxy 1 ") << s.reply;
    EXPECT_NE(s.reply.find("\nsession mp-1@h - - - - "), std::string::npos) << s.reply;
    EXPECT_EQ(listCalls().size(), 1u);
    Exchange d = exchange(port, {"delete mp-1@h info=\n"});
    EXPECT_TRUE(d.closed);
    EXPECT_EQ(d.reply, "");
    EXPECT_TRUE(eventually([&] { return listCalls().empty(); }, milliseconds(3000)));
}

TEST_F(MediaproxyTest, BadLinesCloseWithoutReplyAndDisturbNeitherNgNorMedia) {
    start({"--delete-delay=0"}, /*http*/ true);
    RtpPeer caller, callee;
    uint16_t toCallee =
        portOf(exchange(port, {request("request", "mp-2", caller.port(), "fromtag:f")}));
    uint16_t toCaller =
        portOf(exchange(port, {request("lookup", "mp-2", callee.port(), "fromtag:f,totag:t")}));

    for (const char* line : {"garbage\n", "VERSION\n", " version\n", "delete x\n",
                             "request c 1.2.3.4:5 a b info=fromtag:f\n"}) {
        Exchange e = exchange(port, {line});
        EXPECT_TRUE(e.closed) << line;
        EXPECT_EQ(e.reply, "") << line;
    }
    // A lookup of a call that is not there: closed, no reply.
    Exchange unknown = exchange(port, {request("lookup", "nosuch", 4000, "fromtag:f,totag:t")});
    EXPECT_TRUE(unknown.closed);
    EXPECT_EQ(unknown.reply, "");
    // A stream that is not IPv4 ADDR:PORT: an empty line.
    EXPECT_EQ(exchange(port, {"request mp-3 ::1:4000 a b c d e f info=fromtag:f\n"}).reply, "\n");
    // An unfinished line over 1024 bytes closes the connection.
    Exchange longLine = exchange(port, {"delete " + std::string(1100, 'x'), " info=\n"},
                                 milliseconds(3000), milliseconds(300));
    EXPECT_TRUE(longLine.closed);
    EXPECT_EQ(longLine.reply, "");
    // Binary junk.
    std::string binary;
    for (int i = 0; i < 3000; i++) binary += char(i * 37);
    EXPECT_TRUE(exchange(port, {binary}).closed);

    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    caller.sendRtp(toCaller, 8, 1, 160, 0x1, payload);
    callee.sendRtp(toCallee, 8, 1, 160, 0x2, payload);
    EXPECT_TRUE(callee.receive(milliseconds(1000)).has_value());
    EXPECT_TRUE(caller.receive(milliseconds(1000)).has_value());

    if (underOracle()) return;  // ngmedia_* families are ngmediad's own
    // Counted: the lines that parsed (version probes, request, lookup and
    // more), the ones that did not, the over-long line.
    std::string text = metrics();
    EXPECT_GE(sample(text, "ngmedia_mediaproxy_commands_total{result=\"ok\"}"), 3) << text;
    EXPECT_GE(sample(text, "ngmedia_mediaproxy_commands_total{result=\"error\"}"), 4) << text;
    EXPECT_GE(sample(text, "ngmedia_mediaproxy_connections_dropped_total"), 1) << text;
    struct stat st;
    if (stat("/usr/bin/promtool", &st) != 0) {
        std::cout << "note: promtool (package prometheus) not installed; exposition not checked\n";
        return;
    }
    std::string out;
    EXPECT_EQ(promtoolCheck(text, out), 0) << out;
    EXPECT_EQ(out, "");
}

TEST_F(MediaproxyTest, ConnectionsBeyondTheLimitAreClosedAndTheListenerCarriesOn) {
    if (underOracle()) GTEST_SKIP() << "rtpengine 10.5 sets no limit on control connections";
    start({"--delete-delay=0"}, /*http*/ true);
    std::vector<int> idle;
    for (int i = 0; i < 300; i++) {
        int fd = connectTo(port);
        if (fd >= 0) idle.push_back(fd);
    }
    // The ones past the limit are closed by the daemon at once.
    int closedByDaemon = 0;
    for (int fd : idle)
        if (readAll(fd, milliseconds(20)).closed) closedByDaemon++;
    EXPECT_GE(closedByDaemon, 300 - 256);
    for (int fd : idle) close(fd);
    EXPECT_TRUE(eventually(
        [&] { return exchange(port, {"version\n"}, milliseconds(500)).reply.size() > 9; },
        milliseconds(5000)));
    // Each refusal counted.
    std::string text = metrics();
    EXPECT_GE(sample(text, "ngmedia_mediaproxy_connections_dropped_total"), 300 - 256) << text;
}

}  // namespace
}  // namespace ngm::itest
