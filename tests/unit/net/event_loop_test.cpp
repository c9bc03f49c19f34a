#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "net/timer_wheel.h"
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

// Runs fn on the loop's thread and waits for it (a failed wait fails the test).
template <class Fn>
void onLoop(EventLoop& loop, Fn fn) {
    std::promise<void> done;
    loop.post([&] {
        fn();
        done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(2s), std::future_status::ready);
}

// Chooses the packet path of the loops created in its scope.
struct PacketPath {
    explicit PacketPath(bool ioUring) { EventLoop::allowIoUring(ioUring); }
    ~PacketPath() { EventLoop::allowIoUring(true); }
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

// Echoes each datagram back to its sender through the loop's sendTo.
struct EchoHandler : DatagramHandler {
    EchoHandler(EventLoop& l, UdpSocket& s) : loop(l), sock(s) {}
    void onDatagram(Datagram& d) override {
        loop.sendTo(sock.fd(), d.data, d.len, d.from, sizeof(sockaddr_in), &errors);
        received++;
    }
    EventLoop& loop;
    UdpSocket& sock;
    uint64_t errors = 0;
    std::atomic<int> received{0};
};

// Many sockets registered in one loop round (the registration tables grow
// while their file-table updates are still queued), removed and registered
// again: every one receives, and every one sends.
void everySocketEchoes(bool ioUring) {
    PacketPath path(ioUring);
    auto lo = *IpAddress::parse("127.0.0.1");
    constexpr int kSockets = 100;
    std::vector<std::unique_ptr<UdpSocket>> socks;
    std::vector<std::unique_ptr<EchoHandler>> handlers;
    EventLoop loop;
    for (int i = 0; i < kSockets; i++) {
        socks.push_back(std::make_unique<UdpSocket>());
        ASSERT_TRUE(socks.back()->bind(Endpoint{lo, 0}));
        handlers.push_back(std::make_unique<EchoHandler>(loop, *socks.back()));
    }
    LoopThread t(loop);
    UdpSocket peer;
    ASSERT_TRUE(peer.bind(Endpoint{lo, 0}));
    sockaddr_storage peerAddr;
    socklen_t peerLen = peer.local().toSockaddr(peerAddr);
    // Sends queued in the round that registers the sockets (a new stream's
    // first packets): each socket's file must be in place by then.
    auto firstSends = [&] {
        for (int i = 0; i < kSockets; i++) {
            uint8_t msg[2] = {uint8_t(i), 0xff};
            loop.sendTo(socks[i]->fd(), msg, 2, reinterpret_cast<sockaddr*>(&peerAddr), peerLen,
                        &handlers[i]->errors);
        }
    };
    onLoop(loop, [&] {
        for (int i = 0; i < kSockets; i++) loop.addDatagram(socks[i]->fd(), handlers[i].get());
        // Half of them leave and come back within the same round.
        for (int i = 0; i < kSockets; i += 2) loop.removeDatagram(socks[i]->fd());
        for (int i = 0; i < kSockets; i += 2) loop.addDatagram(socks[i]->fd(), handlers[i].get());
        firstSends();
    });
    for (int got = 0; got < kSockets; got++) {
        pollfd p{peer.fd(), POLLIN, 0};
        ASSERT_EQ(poll(&p, 1, 2000), 1) << "only " << got << " of the first sends arrived";
        uint8_t buf[16];
        ASSERT_EQ(recv(peer.fd(), buf, sizeof buf, 0), 2);
        EXPECT_EQ(buf[1], 0xff);
    }
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < kSockets; i++) {
            sockaddr_storage ss;
            socklen_t len = socks[i]->local().toSockaddr(ss);
            uint8_t msg[2] = {uint8_t(i), uint8_t(round)};
            ASSERT_EQ(sendto(peer.fd(), msg, 2, 0, reinterpret_cast<sockaddr*>(&ss), len), 2);
        }
        std::vector<int> echoed(kSockets, 0);
        for (int got = 0; got < kSockets; got++) {
            pollfd p{peer.fd(), POLLIN, 0};
            ASSERT_EQ(poll(&p, 1, 2000), 1) << "round " << round << ": only " << got << " echoes";
            uint8_t buf[16];
            ASSERT_EQ(recv(peer.fd(), buf, sizeof buf, 0), 2);
            EXPECT_EQ(buf[1], round);
            echoed[buf[0]]++;
        }
        for (int i = 0; i < kSockets; i++) EXPECT_EQ(echoed[i], 1) << "socket " << i;
    }
    onLoop(loop, [&] {
        for (int i = 0; i < kSockets; i++) {
            EXPECT_EQ(handlers[i]->errors, 0u) << "socket " << i;
            loop.removeDatagram(socks[i]->fd());
        }
    });
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, ManyDatagramSocketsRegisteredInOneRoundAllReceiveAndSend) { everySocketEchoes(true); }
TEST(EventLoop, ManyDatagramSocketsOnTheEpollPathAllReceiveAndSend) { everySocketEchoes(false); }

// More sends in one round than the ring has submission entries: the entries
// (and the copies of the datagrams they carry) are used again once the kernel
// took them, and every datagram still leaves intact and exactly once.
void oneRoundOfManySends(bool ioUring, size_t size = 64, int kPeers = 8) {
    PacketPath path(ioUring);
    auto lo = *IpAddress::parse("127.0.0.1");
    constexpr int kSends = 800;
    EventLoop loop;
    UdpSocket from;
    ASSERT_TRUE(from.bind(Endpoint{lo, 0}));
    EchoHandler handler(loop, from);
    std::vector<std::unique_ptr<UdpSocket>> peers;
    std::vector<sockaddr_storage> addrs(kPeers);
    std::vector<socklen_t> lens(kPeers);
    for (int i = 0; i < kPeers; i++) {
        peers.push_back(std::make_unique<UdpSocket>());
        ASSERT_TRUE(peers.back()->bind(Endpoint{lo, 0}));
        lens[i] = peers.back()->local().toSockaddr(addrs[i]);
    }
    LoopThread t(loop);
    onLoop(loop, [&] {
        loop.addDatagram(from.fd(), &handler);
        for (uint32_t n = 0; n < kSends; n++) {
            uint8_t msg[1500];
            for (size_t b = 0; b < size; b++) msg[b] = uint8_t(n * 7 + b);
            std::memcpy(msg, &n, sizeof n);
            loop.sendTo(from.fd(), msg, size, reinterpret_cast<sockaddr*>(&addrs[n % kPeers]), lens[n % kPeers],
                        &handler.errors);
        }
    });
    std::vector<int> seen(kSends, 0);
    for (int i = 0; i < kPeers; i++) {
        for (int got = 0; got < kSends / kPeers; got++) {
            pollfd p{peers[i]->fd(), POLLIN, 0};
            ASSERT_EQ(poll(&p, 1, 2000), 1) << "peer " << i << " got only " << got;
            uint8_t buf[2048];
            ASSERT_EQ(recv(peers[i]->fd(), buf, sizeof buf, 0), (ssize_t)size);
            uint32_t n;
            std::memcpy(&n, buf, sizeof n);
            ASSERT_LT(n, (uint32_t)kSends);
            EXPECT_EQ(n % kPeers, (uint32_t)i);
            for (size_t b = sizeof n; b < size; b++) ASSERT_EQ(buf[b], uint8_t(n * 7 + b)) << "datagram " << n;
            seen[n]++;
        }
    }
    for (int n = 0; n < kSends; n++) EXPECT_EQ(seen[n], 1) << "datagram " << n;
    onLoop(loop, [&] {
        EXPECT_EQ(handler.errors, 0u);
        loop.removeDatagram(from.fd());
    });
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, MoreSendsInOneRoundThanRingEntriesAllArriveIntact) { oneRoundOfManySends(true); }
// 800 datagrams of 1200 octets are several times the ring's send arena: it
// is handed to the kernel when full and used again from its start.
TEST(EventLoop, MoreSendBytesInOneRoundThanTheSendArenaAllArriveIntact) {
    oneRoundOfManySends(true, 1200, 40);
}

// Far more datagrams wait on a socket than the ring has receive buffers at
// first (32): the kernel runs out, the ring gets more buffers and the
// socket's receive is armed again, and every datagram arrives once.
TEST(EventLoop, ABurstLargerThanTheFirstReceiveBuffersIsReceivedWhole) {
    PacketPath path(true);
    auto lo = *IpAddress::parse("127.0.0.1");
    constexpr int kBurst = 300;
    EventLoop loop;
    UdpSocket rx, tx;
    ASSERT_TRUE(rx.bind(Endpoint{lo, 0}));
    ASSERT_TRUE(tx.bind(Endpoint{lo, 0}));
    rx.setReceiveBuffer(4 << 20);
    struct Counting : DatagramHandler {
        void onDatagram(Datagram& d) override {
            uint32_t n;
            if (d.len != 16) return;
            std::memcpy(&n, d.data, sizeof n);
            if (n < kBurst) seen[n]++;
            received++;
        }
        std::vector<int> seen = std::vector<int>(kBurst, 0);
        std::atomic<int> received{0};
    } h;
    LoopThread t(loop);
    sockaddr_storage ss;
    socklen_t len = rx.local().toSockaddr(ss);
    onLoop(loop, [&] {
        loop.addDatagram(rx.fd(), &h);
        // Sent while the loop is busy here: all wait for its next round.
        for (uint32_t n = 0; n < kBurst; n++) {
            uint8_t msg[16] = {};
            std::memcpy(msg, &n, sizeof n);
            ASSERT_EQ(sendto(tx.fd(), msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&ss), len), 16);
        }
    });
    for (int i = 0; i < 500 && h.received.load() < kBurst; i++) std::this_thread::sleep_for(10ms);
    onLoop(loop, [&] {
        EXPECT_EQ(h.received.load(), kBurst);
        for (int n = 0; n < kBurst; n++) EXPECT_EQ(h.seen[n], 1) << "datagram " << n;
        loop.removeDatagram(rx.fd());
    });
    EXPECT_TRUE(t.stopAndJoin());
}
TEST(EventLoop, ManySendsInOneRoundOnTheEpollPathAllArriveIntact) { oneRoundOfManySends(false); }

// A send the kernel refuses (here: to port 0, which fails before anything
// leaves) counts into the sender's `errors`; a good one does not.
void failedSendsAreCounted(bool ioUring) {
    PacketPath path(ioUring);
    auto lo = *IpAddress::parse("127.0.0.1");
    EventLoop loop;
    UdpSocket sock, peer;
    ASSERT_TRUE(sock.bind(Endpoint{lo, 0}));
    ASSERT_TRUE(peer.bind(Endpoint{lo, 0}));
    sockaddr_storage bad, good;
    socklen_t badLen = Endpoint{lo, 0}.toSockaddr(bad);
    socklen_t goodLen = peer.local().toSockaddr(good);
    EchoHandler handler(loop, sock);
    LoopThread t(loop);
    uint8_t msg[4] = {1, 2, 3, 4};
    onLoop(loop, [&] {
        loop.addDatagram(sock.fd(), &handler);
        loop.sendTo(sock.fd(), msg, sizeof msg, reinterpret_cast<sockaddr*>(&good), goodLen, &handler.errors);
        for (int i = 0; i < 3; i++)
            loop.sendTo(sock.fd(), msg, sizeof msg, reinterpret_cast<sockaddr*>(&bad), badLen, &handler.errors);
    });
    pollfd p{peer.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 2000), 1) << "the good send did not arrive";
    uint64_t errors = 0;
    for (int i = 0; i < 100 && errors < 3; i++) {  // the ring reports in a later round
        std::this_thread::sleep_for(5ms);
        onLoop(loop, [&] { errors = handler.errors; });
    }
    EXPECT_EQ(errors, 3u);
    // After removeDatagram(), a failure of a send still queued counts nowhere.
    onLoop(loop, [&] {
        loop.sendTo(sock.fd(), msg, sizeof msg, reinterpret_cast<sockaddr*>(&bad), badLen, &handler.errors);
        loop.removeDatagram(sock.fd());
    });
    std::this_thread::sleep_for(20ms);
    onLoop(loop, [&] { errors = handler.errors; });
    EXPECT_EQ(errors, ioUring && loop.usesIoUring() ? 3u : 4u);
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, FailedSendsThroughTheRingAreCounted) { failedSendsAreCounted(true); }
TEST(EventLoop, FailedSendsOnTheEpollPathAreCounted) { failedSendsAreCounted(false); }

// A timer armed from the loop thread of a running loop fires there, on time
// (never early), although the loop's tick is far away: the wait is bounded by
// the timer, not by the tick.
void timerFiresOnLoopThread(bool ioUring) {
    PacketPath path(ioUring);
    EventLoop loop;
    loop.setTick(10s, [] {});
    LoopThread t(loop);
    std::promise<std::pair<std::thread::id, std::chrono::steady_clock::time_point>> fired;
    Timer timer([&] { fired.set_value({std::this_thread::get_id(), std::chrono::steady_clock::now()}); });
    std::chrono::steady_clock::time_point armedAt;
    onLoop(loop, [&] {
        armedAt = std::chrono::steady_clock::now();
        loop.timers().arm(timer, 30ms, armedAt);
    });
    auto f = fired.get_future();
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    auto [id, at] = f.get();
    EXPECT_EQ(id, t.id());
    EXPECT_GE(at - armedAt, 30ms);
    EXPECT_LT(at - armedAt, 1s);  // not when the tick would have woken the loop
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, TimerArmedOnARunningLoopFiresOnItsThread) { timerFiresOnLoopThread(true); }
TEST(EventLoop, TimerArmedOnARunningLoopFiresOnItsThreadOnTheEpollPath) { timerFiresOnLoopThread(false); }

// A timer armed while an earlier deadline is already waited for, and one
// moved earlier than the deadline the loop sleeps towards: each fires on time.
void timersMovedEarlierWakeTheLoop(bool ioUring) {
    PacketPath path(ioUring);
    EventLoop loop;
    LoopThread t(loop);
    std::promise<void> early;
    std::atomic<int> lateFired{0};
    Timer late([&] { lateFired++; });
    Timer moved([&] { early.set_value(); });
    auto start = std::chrono::steady_clock::now();
    onLoop(loop, [&] {
        loop.timers().arm(late, 5s);
        loop.timers().arm(moved, 3s);
    });
    std::this_thread::sleep_for(20ms);  // the loop sleeps towards 3 s
    onLoop(loop, [&] { loop.timers().arm(moved, 20ms); });
    ASSERT_EQ(early.get_future().wait_for(2s), std::future_status::ready);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_EQ(lateFired.load(), 0);
    onLoop(loop, [&] { late.cancel(); });
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, TimerMovedEarlierWakesTheSleepingLoop) { timersMovedEarlierWakeTheLoop(true); }
TEST(EventLoop, TimerMovedEarlierWakesTheSleepingLoopOnTheEpollPath) { timersMovedEarlierWakeTheLoop(false); }

// Sleeps of the calling thread so far (each wait that blocked counts one).
long voluntarySwitches() {
    FILE* f = fopen("/proc/thread-self/status", "r");
    if (!f) return -1;
    char line[256];
    long n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1) break;
    fclose(f);
    return n;
}

// Once its timers have fired, a loop without a tick sleeps until something
// happens: an armed-then-empty wheel adds no wake-ups.
void idleLoopStaysAsleep(bool ioUring) {
    PacketPath path(ioUring);
    EventLoop loop;
    LoopThread t(loop);
    std::promise<void> fired;
    Timer timer([&] { fired.set_value(); });
    onLoop(loop, [&] { loop.timers().arm(timer, 10ms); });
    ASSERT_EQ(fired.get_future().wait_for(2s), std::future_status::ready);
    long before = 0, after = 0;
    onLoop(loop, [&] { before = voluntarySwitches(); });
    std::this_thread::sleep_for(300ms);
    onLoop(loop, [&] { after = voluntarySwitches(); });
    ASSERT_GE(before, 0) << "no voluntary_ctxt_switches in /proc/thread-self/status";
    // The loop slept once waiting for the second task (30 wheel ticks passed).
    EXPECT_LE(after - before, 3);
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, IdleLoopWithNoTimerArmedDoesNotWake) { idleLoopStaysAsleep(true); }
TEST(EventLoop, IdleLoopWithNoTimerArmedDoesNotWakeOnTheEpollPath) { idleLoopStaysAsleep(false); }

// nextRound: a chain of tasks each put off to the next round all run, one
// per round (a task put off from a put-off task does not run in the same
// round: deferred work queued in that round runs between them), and the
// loop does not sleep while one waits (no timer, no datagram wakes it).
void nextRoundChainRuns(bool ioUring) {
    PacketPath path(ioUring);
    EventLoop loop;
    LoopThread t(loop);
    std::promise<void> done;
    std::vector<int> order;
    std::function<void(int)> hop = [&](int i) {
        order.push_back(i);
        if (i == 5) {
            done.set_value();
            return;
        }
        loop.defer([&, i] { order.push_back(100 + i); });
        loop.nextRound([&, i] { hop(i + 1); });
    };
    loop.post([&] { loop.nextRound([&] { hop(1); }); });
    ASSERT_EQ(done.get_future().wait_for(2s), std::future_status::ready);
    EXPECT_EQ(order, (std::vector<int>{1, 101, 2, 102, 3, 103, 4, 104, 5}));
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, TasksPutOffToTheNextRoundRunOnePerRound) { nextRoundChainRuns(true); }
TEST(EventLoop, TasksPutOffToTheNextRoundRunOnePerRoundOnTheEpollPath) {
    nextRoundChainRuns(false);
}

// Where the loop thread's time goes (ngmedia_worker_busy/idle_seconds_total):
// a task that works 50 ms is busy time, 200 ms with nothing to do is time
// waiting in the kernel.
void loopTimesSplitBusyAndWaiting(bool ioUring) {
    PacketPath path(ioUring);
    EventLoop loop;
    LoopThread t(loop);
    onLoop(loop, [] {});
    std::this_thread::sleep_for(20ms);  // back in its wait: the slice above is counted
    uint64_t busy0 = loop.loopTimes().busyNs.load(), wait0 = loop.loopTimes().waitNs.load();
    onLoop(loop, [] {
        auto end = std::chrono::steady_clock::now() + 50ms;
        while (std::chrono::steady_clock::now() < end) {
        }
    });
    std::this_thread::sleep_for(200ms);
    onLoop(loop, [] {});  // wakes it: the 200 ms wait is counted
    std::this_thread::sleep_for(20ms);
    uint64_t busy = loop.loopTimes().busyNs.load() - busy0, wait = loop.loopTimes().waitNs.load() - wait0;
    EXPECT_GE(busy, 50'000'000u) << "the 50 ms task";
    EXPECT_LT(busy, 1'000'000'000u);
    EXPECT_GE(wait, 150'000'000u) << "the 200 ms without work";
    EXPECT_TRUE(t.stopAndJoin());
}

TEST(EventLoop, LoopTimesSplitBusyAndWaiting) { loopTimesSplitBusyAndWaiting(true); }
TEST(EventLoop, LoopTimesSplitBusyAndWaitingOnTheEpollPath) { loopTimesSplitBusyAndWaiting(false); }

TEST(EventLoop, AddingAnInvalidFdFails) {
    EventLoop loop;
    RecordingHandler* none = nullptr;
    EXPECT_FALSE(loop.add(-1, none));
}

}  // namespace
}  // namespace ngm::net
