#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "net/udp_socket.h"

namespace ngm::net {
namespace {

using namespace std::chrono_literals;

// Runs a loop on its own thread; stops and joins it on destruction.
class LoopThread {
  public:
    explicit LoopThread(EventLoop& loop)
        : loop_(loop), thread_([this] {
              loop_.run();
              done_.set_value();
          }) {}
    ~LoopThread() { stopAndJoin(); }
    // True when run() returned within the timeout.
    bool stopAndJoin(std::chrono::milliseconds timeout = 2000ms) {
        if (!thread_.joinable()) return true;
        loop_.stop();
        bool ok = finished_.wait_for(timeout) == std::future_status::ready;
        if (ok)
            thread_.join();
        else
            thread_.detach();
        return ok;
    }
    std::thread::id id() const { return thread_.get_id(); }

  private:
    EventLoop& loop_;
    std::promise<void> done_;
    std::future<void> finished_ = done_.get_future();
    std::thread thread_;
};

TEST(EventLoop, PostedTaskRunsOnLoopThread) {
    EventLoop loop;
    LoopThread t(loop);
    std::promise<std::pair<std::thread::id, bool>> ran;
    loop.post([&] { ran.set_value({std::this_thread::get_id(), loop.inLoopThread()}); });
    auto f = ran.get_future();
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    auto [id, inLoop] = f.get();
    EXPECT_EQ(id, t.id());
    EXPECT_NE(id, std::this_thread::get_id());
    EXPECT_TRUE(inLoop);
    EXPECT_FALSE(loop.inLoopThread());
}

TEST(EventLoop, TasksRunInPostOrder) {
    EventLoop loop;
    std::vector<int> order;
    std::promise<void> last;
    for (int i = 0; i < 5; i++) loop.post([&, i] { order.push_back(i); });
    loop.post([&] { last.set_value(); });
    LoopThread t(loop);
    ASSERT_EQ(last.get_future().wait_for(2s), std::future_status::ready);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(EventLoop, TaskPostedFromATaskRuns) {
    EventLoop loop;
    LoopThread t(loop);
    std::promise<void> inner;
    loop.post([&] { loop.post([&] { inner.set_value(); }); });
    EXPECT_EQ(inner.get_future().wait_for(2s), std::future_status::ready);
}

TEST(EventLoop, TickFiresRepeatedlyOnLoopThread) {
    EventLoop loop;
    std::atomic<int> ticks{0};
    std::atomic<bool> offThread{false};
    std::promise<void> three;
    loop.setTick(5ms, [&] {
        if (!loop.inLoopThread()) offThread = true;
        if (++ticks == 3) three.set_value();
    });
    LoopThread t(loop);
    EXPECT_EQ(three.get_future().wait_for(2s), std::future_status::ready);
    EXPECT_TRUE(t.stopAndJoin());
    EXPECT_GE(ticks.load(), 3);
    EXPECT_FALSE(offThread.load());
}

TEST(EventLoop, StopFromAnotherThreadEndsRun) {
    EventLoop loop;
    LoopThread t(loop);
    std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, StopBeforeRunReturnsImmediatelyButRunsPendingTasks) {
    EventLoop loop;
    bool ran = false;
    loop.post([&] { ran = true; });
    loop.stop();
    loop.run();  // same thread: must not block
    EXPECT_TRUE(ran);
}

struct RecordingHandler : PollHandler {
    explicit RecordingHandler(UdpSocket& s, EventLoop& l) : sock(s), loop(l) {}
    void onReadable() override {
        char buf[64];
        ssize_t n = recv(sock.fd(), buf, sizeof buf, 0);
        if (n > 0) got.set_value({std::string(buf, (size_t)n), loop.inLoopThread()});
    }
    UdpSocket& sock;
    EventLoop& loop;
    std::promise<std::pair<std::string, bool>> got;
};

TEST(EventLoop, ReadableSocketCallsHandlerOnLoopThread) {
    auto lo = *IpAddress::parse("127.0.0.1");
    UdpSocket rx, tx;
    ASSERT_TRUE(rx.bind(Endpoint{lo, 0}));
    ASSERT_TRUE(tx.bind(Endpoint{lo, 0}));
    EventLoop loop;
    RecordingHandler h(rx, loop);
    ASSERT_TRUE(loop.add(rx.fd(), &h));
    LoopThread t(loop);

    sockaddr_storage ss;
    socklen_t len = rx.local().toSockaddr(ss);
    ASSERT_EQ(sendto(tx.fd(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&ss), len), 4);
    auto f = h.got.get_future();
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    auto [data, inLoop] = f.get();
    EXPECT_EQ(data, "ping");
    EXPECT_TRUE(inLoop);
    EXPECT_TRUE(t.stopAndJoin());
    loop.remove(rx.fd());
}

TEST(EventLoop, AddingAnInvalidFdFails) {
    EventLoop loop;
    RecordingHandler* none = nullptr;
    EXPECT_FALSE(loop.add(-1, none));
}

}  // namespace
}  // namespace ngm::net
