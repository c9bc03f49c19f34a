// What bad HTTP clients can do to the control surface (issue 13 §7): a
// flood of idle connections, slow headers (slowloris), a huge header. The
// daemon keeps its connections and descriptors bounded, closes what
// stalls, and ng over UDP and GET /ping keep answering. ngmediad only (the
// limits and deadlines are ours; rtpengine's are libwebsockets' defaults).
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "daemon_test.h"
#include "http_client.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A plain TCP connection to 127.0.0.1:port; -1 on failure.
int connectTo(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
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

// Waits up to `limit` for the peer to close `fd` (EOF or reset); how long
// it took, or nothing when it stayed open.
std::optional<Clock::duration> closedWithin(int fd, Clock::duration limit) {
    auto start = Clock::now();
    while (Clock::now() - start < limit) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n <= 0) return Clock::now() - start;
        }
    }
    return std::nullopt;
}

class HttpLimits : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "connection limits and header deadlines are ngmediad's (rtpengine: libwebsockets' "
                            "defaults)";
        DaemonConfig cfg;
        cfg.http = true;
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }
    void TearDown() override {
        for (int fd : fds) close(fd);
        DaemonTest::TearDown();
    }
    bool pingAnswers() {
        HttpClient c(daemon.httpPort(), false);
        auto r = c.request("GET", "/ping");
        return r && r->status == 200 && r->body == "pong\n";
    }
    std::vector<int> fds;
};

TEST_F(HttpLimits, ThousandIdleConnectionsLeaveNgAndPingAnsweringWithBoundedDescriptors) {
    // The test holds 1000 sockets of its own.
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 1200 && rl.rlim_max >= 1200) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    ASSERT_GE(rl.rlim_cur, 1200u) << "the test needs 1200 descriptors";
    int idleFds = daemon.openFds();
    for (int i = 0; i < 1000; i++) {
        int fd = connectTo(daemon.httpPort());
        if (fd >= 0) fds.push_back(fd);
    }
    EXPECT_GE(fds.size(), 900u) << "connections the kernel took (the backlog may refuse some)";
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong") << "ng over UDP while HTTP is flooded";
    EXPECT_TRUE(eventually([&] { return pingAnswers(); }, 5000ms)) << "GET /ping among 1000 idle connections";
    // 256 connections at most (HttpConfig::maxConnections), and a few
    // descriptors of libwebsockets' own.
    int during = daemon.openFds();
    EXPECT_LE(during, idleFds + 256 + 16) << "descriptors before the flood: " << idleFds;
    for (int fd : fds) close(fd);
    fds.clear();
    EXPECT_TRUE(eventually([&] { return daemon.openFds() <= idleFds + 2; }, 10000ms))
        << "the closed connections' descriptors are given back: " << daemon.openFds() << " vs " << idleFds;
    EXPECT_TRUE(pingAnswers());
}

TEST_F(HttpLimits, ConnectionThatSendsNothingIsClosedAfterTheHeaderDeadline) {
    int fd = connectTo(daemon.httpPort());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    auto took = closedWithin(fd, 15s);
    ASSERT_TRUE(took) << "an idle connection stayed open for 15 s";
    EXPECT_LT(*took, 9s);
}

TEST_F(HttpLimits, SlowlorisHeadersAreCutOff) {
    int fd = connectTo(daemon.httpPort());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    std::string req = "GET /ping HTTP/1.1\r\nHost: x\r\n";
    ASSERT_EQ(send(fd, req.data(), req.size(), MSG_NOSIGNAL), (ssize_t)req.size());
    // One header byte every 500 ms, never the blank line.
    auto start = Clock::now();
    bool closed = false;
    while (!closed && Clock::now() - start < 15s) {
        closed = send(fd, "X", 1, MSG_NOSIGNAL) != 1 || closedWithin(fd, 500ms).has_value();
    }
    auto took = Clock::now() - start;
    EXPECT_TRUE(closed) << "a client trickling its headers kept the connection for 15 s";
    EXPECT_LT(took, 9s);
    EXPECT_TRUE(pingAnswers());
}

TEST_F(HttpLimits, HugeHeaderGetsAnErrorOrAClose) {
    HttpClient c(daemon.httpPort(), false);
    ASSERT_TRUE(c.ok()) << c.error();
    std::string big = "X-Big: " + std::string(200000, 'a') + "\r\n";
    auto r = c.request("GET", "/ping", {}, big);
    if (r) {
        EXPECT_GE(r->status, 400) << "a 200 kB header was taken";
    }
    EXPECT_TRUE(pingAnswers());
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
}

}  // namespace
}  // namespace ngm::itest
