// The daemon's life cycle under a service manager: sd_notify READY/STOPPING
// and the watchdog on a NOTIFY_SOCKET standing in for systemd, SIGTERM with
// calls up, SIGHUP. Ports: the 50-call test puts its media on 63700-63949.
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "daemon_test.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using Clock = std::chrono::steady_clock;

// systemd's notify socket: a datagram socket whose path goes into the
// daemon's environment as NOTIFY_SOCKET (the daemon inherits ours).
class NotifySocket {
  public:
    NotifySocket() {
        char dir[] = "/tmp/ngm-notify-XXXXXX";
        if (!mkdtemp(dir)) return;
        dir_ = dir;
        path_ = dir_ + "/notify";
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
        if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            close(fd_);
            fd_ = -1;
        }
        if (fd_ >= 0) setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    ~NotifySocket() {
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        if (fd_ >= 0) close(fd_);
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }
    bool ok() const { return fd_ >= 0; }
    // Waits for a datagram holding `line` as one of its lines; returns the
    // whole datagram, or empty after `timeout`. Others are kept in seen().
    std::string waitFor(const std::string& line, milliseconds timeout) {
        auto deadline = Clock::now() + timeout;
        for (;;) {
            auto left =
                std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
            if (left.count() <= 0) return {};
            timeval tv{time_t(left.count() / 1000000), suseconds_t(left.count() % 1000000)};
            setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            char buf[4096];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n < 0) continue;
            std::string msg(buf, size_t(n));
            seen_.push_back(msg);
            if (("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos) return msg;
        }
    }
    const std::vector<std::string>& seen() const { return seen_; }
    std::string seenText() const {
        std::string s;
        for (const auto& m : seen_) s += "[" + m + "] ";
        return s;
    }

  private:
    std::string dir_, path_;
    int fd_ = -1;
    std::vector<std::string> seen_;
};

class Shutdown : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        if (underOracle())
            GTEST_SKIP() << "ngmediad's own shutdown, SIGHUP and sd_notify behaviour";
    }
    // Sends SIGTERM and reaps the daemon here (the fixture then has nothing
    // to stop). Returns the wait status, or -1 if it still ran after
    // `limit` (then it is killed); `took` is the time to exit.
    int terminate(milliseconds limit, milliseconds& took) {
        pid_t pid = daemon.pid();
        auto t0 = Clock::now();
        if (kill(pid, SIGTERM) != 0) return -1;
        int status = 0;
        pid_t r = 0;
        while ((r = waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() - t0 < limit)
            std::this_thread::sleep_for(milliseconds(5));
        took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
        }
        daemon.alive();  // reaped: the fixture forgets the process
        return status;
    }
};

TEST_F(Shutdown, ReadyIsNotifiedOnceListeningAndStoppingOnSigterm) {
    NotifySocket notify;
    ASSERT_TRUE(notify.ok());
    ASSERT_TRUE(startDaemon()) << daemon.error();
    std::string ready = notify.waitFor("READY=1", milliseconds(3000));
    ASSERT_FALSE(ready.empty()) << "no READY=1; seen: " << notify.seenText();
    EXPECT_NE(ready.find("MAINPID=" + std::to_string(daemon.pid())), std::string::npos) << ready;
    milliseconds took{};
    int status = terminate(milliseconds(5000), took);
    EXPECT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "status " << status;
    EXPECT_FALSE(notify.waitFor("STOPPING=1", milliseconds(1000)).empty())
        << "no STOPPING=1; seen: " << notify.seenText();
}

TEST_F(Shutdown, WatchdogIsPingedWhileWorkersRun) {
    NotifySocket notify;
    ASSERT_TRUE(notify.ok());
    setenv("WATCHDOG_USEC", "400000", 1);  // pings every 200 ms
    ASSERT_TRUE(startDaemon({.args = {"--num-threads=2"}})) << daemon.error();
    ASSERT_FALSE(notify.waitFor("READY=1", milliseconds(3000)).empty()) << notify.seenText();
    for (int i = 0; i < 3; i++)
        ASSERT_FALSE(notify.waitFor("WATCHDOG=1", milliseconds(2000)).empty())
            << "watchdog ping " << i << " missing; seen: " << notify.seenText();
}

TEST_F(Shutdown, WatchdogKeepsPingingThroughAStreamOfSighups) {
    NotifySocket notify;
    ASSERT_TRUE(notify.ok());
    setenv("WATCHDOG_USEC", "400000", 1);  // pings every 200 ms
    ASSERT_TRUE(startDaemon()) << daemon.error();
    ASSERT_FALSE(notify.waitFor("READY=1", milliseconds(3000)).empty()) << notify.seenText();
    std::atomic<bool> hup{true};
    std::thread hupper([&, pid = daemon.pid()] {
        while (hup.load()) {
            kill(pid, SIGHUP);
            std::this_thread::sleep_for(milliseconds(50));
        }
    });
    int pings = 0;
    for (int i = 0; i < 3; i++)
        if (!notify.waitFor("WATCHDOG=1", milliseconds(1000)).empty()) pings++;
    hup = false;
    hupper.join();
    EXPECT_EQ(pings, 3) << notify.seenText();
    EXPECT_TRUE(daemon.alive());
}

TEST_F(Shutdown, NoWatchdogPingsWithoutWatchdogUsec) {
    NotifySocket notify;
    ASSERT_TRUE(notify.ok());
    ASSERT_TRUE(startDaemon()) << daemon.error();
    ASSERT_FALSE(notify.waitFor("READY=1", milliseconds(3000)).empty()) << notify.seenText();
    EXPECT_TRUE(notify.waitFor("WATCHDOG=1", milliseconds(800)).empty()) << notify.seenText();
}

TEST_F(Shutdown, SighupReopensTheLogAndKeepsServing) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    ASSERT_EQ(offer("hup", "alice", audioSdp(2000)).result(), "ok");
    kill(daemon.pid(), SIGHUP);
    EXPECT_TRUE(
        eventually([&] { return daemon.log().find("Log reopened (SIGHUP)") != std::string::npos; },
                   milliseconds(3000)))
        << daemon.log(4000);
    EXPECT_TRUE(daemon.alive());
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_TRUE(isListed("hup")) << "SIGHUP must not touch calls";
}

// 50 calls relaying RTP both ways while SIGTERM arrives: exit status 0
// within 5 s, every call ended, STOPPING=1 notified.
TEST_F(Shutdown, SigtermWithFiftyCallsAndMediaExitsZeroWithinFiveSeconds) {
    constexpr int kCalls = 50;
    NotifySocket notify;
    ASSERT_TRUE(notify.ok());
    // Four ports a call: more than the suite's port block holds.
    ASSERT_TRUE(startDaemon({.args = {"--port-min=63700", "--port-max=63949", "--delete-delay=0"}}))
        << daemon.error();
    ASSERT_FALSE(notify.waitFor("READY=1", milliseconds(3000)).empty()) << notify.seenText();

    struct Leg {
        std::unique_ptr<RtpPeer> a, b;
        uint16_t toA = 0, toB = 0;  // the daemon's ports facing A and B
    };
    std::vector<Leg> legs(kCalls);
    for (int i = 0; i < kCalls; i++) {
        Leg& l = legs[size_t(i)];
        l.a = std::make_unique<RtpPeer>();
        l.b = std::make_unique<RtpPeer>();
        ASSERT_TRUE(l.a->ok() && l.b->ok());
        std::string id = "term-" + std::to_string(i);
        Reply o = offer(id, "a" + std::to_string(i), audioSdp(l.a->port(), "127.0.0.1"));
        ASSERT_EQ(o.result(), "ok") << o.describe();
        Reply an = answer(id, "a" + std::to_string(i), "b" + std::to_string(i),
                          audioSdp(l.b->port(), "127.0.0.1"));
        ASSERT_EQ(an.result(), "ok") << an.describe();
        auto toB = sdpMediaPorts(o.sdp());  // the offer's SDP goes to B
        auto toA = sdpMediaPorts(an.sdp());
        ASSERT_TRUE(toA && toB);
        l.toA = uint16_t(toA->rtp);
        l.toB = uint16_t(toB->rtp);
    }
    // Media up on every call, both ways.
    Bytes payload = patternPayload(160, 7);
    for (int i = 0; i < kCalls; i++) {
        Leg& l = legs[size_t(i)];
        ASSERT_TRUE(l.a->sendRtp(l.toA, 0, 1, 160, 0x1000u + uint32_t(i), payload));
        ASSERT_TRUE(l.b->sendRtp(l.toB, 0, 1, 160, 0x2000u + uint32_t(i), payload));
        ASSERT_TRUE(l.b->receive(milliseconds(1000)).has_value())
            << "call " << i << ": A->B not relayed";
        ASSERT_TRUE(l.a->receive(milliseconds(1000)).has_value())
            << "call " << i << ": B->A not relayed";
    }
    EXPECT_EQ(statistics().integer({"statistics", "currentstatistics", "sessionsown"}), kCalls);

    // Keep media flowing (20 ms packets on every leg) through the shutdown.
    std::atomic<bool> sending{true};
    std::thread sender([&] {
        uint16_t seq = 2;
        while (sending.load()) {
            for (int i = 0; i < kCalls; i++) {
                Leg& l = legs[size_t(i)];
                l.a->sendRtp(l.toA, 0, seq, 160u * seq, 0x1000u + uint32_t(i), payload);
                l.b->sendRtp(l.toB, 0, seq, 160u * seq, 0x2000u + uint32_t(i), payload);
            }
            seq++;
            std::this_thread::sleep_for(milliseconds(20));
        }
    });
    std::this_thread::sleep_for(milliseconds(200));

    milliseconds took{};
    int status = terminate(milliseconds(10000), took);
    sending = false;
    sender.join();
    ASSERT_GE(status, 0) << "ngmediad still ran 10 s after SIGTERM with " << kCalls << " calls up";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "ngmediad ended with status " << status << " on SIGTERM";
    EXPECT_LT(took.count(), 5000) << "SIGTERM to exit";
    std::cout << "SIGTERM with " << kCalls << " calls and media up: exited after " << took.count()
              << " ms\n";
    EXPECT_FALSE(notify.waitFor("STOPPING=1", milliseconds(500)).empty()) << notify.seenText();
    std::string log = daemon.log();
    EXPECT_NE(log.find("Ended " + std::to_string(kCalls) + " call(s) at shutdown"),
              std::string::npos)
        << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
}

}  // namespace
}  // namespace ngm::itest
