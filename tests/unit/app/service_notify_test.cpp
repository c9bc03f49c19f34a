// sd_notify's datagram protocol against a socket standing in for systemd.
#include "app/service_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace ngm::app {
namespace {

// A datagram socket bound like systemd's notify socket; restores the
// environment it changes.
class NotifySocket : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir[] = "/tmp/ngm-notify-XXXXXX";
        ASSERT_NE(mkdtemp(dir), nullptr);
        dir_ = dir;
        path_ = dir_ + "/notify";
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(fd_, 0);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        strncpy(sa.sun_path, path_.c_str(), sizeof sa.sun_path - 1);
        ASSERT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << strerror(errno);
        timeval tv{2, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
    }
    void TearDown() override {
        if (fd_ >= 0) close(fd_);
        unlink(path_.c_str());
        rmdir(dir_.c_str());
        unsetenv("NOTIFY_SOCKET");
        unsetenv("WATCHDOG_USEC");
        unsetenv("WATCHDOG_PID");
    }
    std::string receive() {
        char buf[4096];
        ssize_t n = recv(fd_, buf, sizeof buf, 0);
        return n < 0 ? std::string("<nothing>") : std::string(buf, size_t(n));
    }
    std::string dir_, path_;
    int fd_ = -1;
};

TEST_F(NotifySocket, SendsStateAsOneDatagram) {
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    ServiceNotifier n;
    ASSERT_TRUE(n.enabled());
    EXPECT_EQ(n.socketPath(), path_);
    EXPECT_TRUE(n.send("READY=1\nSTATUS=Processing requests"));
    EXPECT_EQ(receive(), "READY=1\nSTATUS=Processing requests");
    EXPECT_TRUE(n.send("STOPPING=1"));
    EXPECT_EQ(receive(), "STOPPING=1");
    EXPECT_EQ(n.watchdogInterval().count(), 0);
}

TEST_F(NotifySocket, WithoutNotifySocketEverySendIsANoOp) {
    unsetenv("NOTIFY_SOCKET");
    ServiceNotifier n;
    EXPECT_FALSE(n.enabled());
    EXPECT_FALSE(n.send("READY=1"));
}

TEST_F(NotifySocket, RelativeOrMissingSocketDisablesIt) {
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    EXPECT_FALSE(ServiceNotifier().enabled());
    setenv("NOTIFY_SOCKET", (dir_ + "/absent").c_str(), 1);
    EXPECT_FALSE(ServiceNotifier().enabled());
}

TEST_F(NotifySocket, AbstractNamespaceSocketIsReached) {
    int afd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(afd, 0);
    std::string name = "ngm-notify-test-" + std::to_string(getpid());
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path + 1, name.data(), name.size());
    socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    ASSERT_EQ(bind(afd, reinterpret_cast<sockaddr*>(&sa), len), 0) << strerror(errno);
    setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
    ServiceNotifier n;
    ASSERT_TRUE(n.enabled());
    EXPECT_TRUE(n.send("READY=1"));
    char buf[64];
    timeval tv{2, 0};
    setsockopt(afd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t r = recv(afd, buf, sizeof buf, 0);
    close(afd);
    EXPECT_EQ(std::string(buf, r > 0 ? size_t(r) : 0), "READY=1");
}

TEST_F(NotifySocket, WatchdogIntervalFromWatchdogUsec) {
    setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    setenv("WATCHDOG_USEC", "3000000", 1);
    EXPECT_EQ(ServiceNotifier().watchdogInterval().count(), 3000000);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    EXPECT_EQ(ServiceNotifier().watchdogInterval().count(), 3000000);
    // Meant for another process (a parent that exec'ed us keeps it).
    setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
    EXPECT_EQ(ServiceNotifier().watchdogInterval().count(), 0);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "garbage", 1);
    EXPECT_EQ(ServiceNotifier().watchdogInterval().count(), 0);
}

}  // namespace
}  // namespace ngm::app
