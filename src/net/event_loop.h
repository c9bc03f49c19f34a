// One event loop per worker thread: a cross-thread task queue, a timer wheel
// (with a periodic tick on it), readiness handlers (epoll) and datagram
// sockets (the DatagramIo interface, net/datagram_io.h). Where the kernel
// allows it, datagram sockets are read through io_uring (net/uring.h:
// multishot receive into a ring of provided buffers) and datagrams are sent
// through it too, so one system call per loop round submits every send of
// the round and waits for the next packets; otherwise the epoll backend
// (net/epoll_datagrams.h) reads and sends them in recvmmsg/sendmmsg batches.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/datagram_io.h"
#include "net/epoll_datagrams.h"
#include "net/timer_wheel.h"
#include "net/uring.h"

namespace ngm::net {

// Something registered on the loop for readability of its fd.
// Handlers are destroyed only by tasks, timers and ticks (never from
// onReadable of another handler), which run after the I/O events of a batch.
class PollHandler {
public:
    virtual ~PollHandler() = default;
    virtual void onReadable() = 0;
};

class EventLoop final : public DatagramIo, private Uring::Events {
public:
    using Task = std::function<void()>;

    explicit EventLoop(TimerWheel::Duration timerTick = TimerWheel::kDefaultTick);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Process-wide switch, before any loop runs (`--no-io-uring`).
    static void allowIoUring(bool allow);

    // add/remove may be called from any thread (epoll_ctl is thread-safe),
    // but the handler must stay alive while the loop runs.
    // `exclusive`: one fd shared by several loops wakes only one of them.
    bool add(int fd, PollHandler* h, bool exclusive = false);
    void remove(int fd);
    // DatagramIo. A datagram socket on the loop thread of a running loop
    // with io_uring is read through the ring; anywhere else through the
    // epoll backend (loop thread only, or before run()).
    bool addDatagram(int fd, DatagramHandler* h) override;
    void removeDatagram(int fd) override;
    // Called on the loop thread every `interval` (coarse: a timer on the
    // wheel, so rounded up to its tick). Before run() or on the loop thread.
    void setTick(std::chrono::milliseconds interval, Task tick);

    // The loop's timers: loop thread only (or before run()). Due timers fire
    // after the I/O events of a round; the loop sleeps no longer than until
    // the next one is due, and an empty wheel costs it nothing.
    TimerWheel& timers() { return timers_; }

    // Loop thread only: run t once the I/O events of the current batch are
    // handled (no wake-up needed).
    void defer(Task t) { deferred_.push_back(std::move(t)); }
    // Loop thread only: run t in the next round, after that round's I/O
    // events (the loop does not sleep in between). For work spread over
    // rounds so that the datagrams received meanwhile are handled first.
    void nextRound(Task t) { later_.push_back(std::move(t)); }

    // Loop thread only. Sends a datagram from `fd`: through the ring (queued,
    // submitted with the next wait of this round) when `fd` is on it; queued
    // to the end of the current epoll batch inside one; at once otherwise.
    bool sendTo(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                uint64_t* errors = nullptr) override;
    // True while the loop thread reads datagrams through io_uring.
    bool usesIoUring() const override { return uring_ != nullptr; }
    // What the loop's io_uring did (all zero on epoll); any thread.
    const UringCounters& uringCounters() const { return uringCounters_; }
    // Time the loop thread spent working and waiting (both paths); any thread.
    const LoopTimes& loopTimes() const { return loopTimes_; }

    // Any thread.
    void post(Task t);
    void stop();

    void run();  // until stop()
    bool inLoopThread() const { return std::this_thread::get_id() == owner_.load(); }

private:
    void fallback(int fd, DatagramHandler* h) override;  // Uring::Events
    void drainTasks();
    int pollEpoll(int timeoutMs);  // dispatches; returns the number of events
    void runUring();
    void runEpoll();
    void runDeferredAndTimers();
    int epfd_ = -1;
    int wakeFd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::thread::id> owner_{};
    std::mutex tasksMutex_;
    std::vector<Task> tasks_, running_;
    std::vector<Task> deferred_, runningDeferred_;
    std::vector<Task> later_, runningLater_;
    TimerWheel timers_;
    std::chrono::milliseconds tickInterval_{1000};
    Task tick_;
    Timer tickTimer_;
    UringCounters uringCounters_;
    LoopTimes loopTimes_;
    std::unique_ptr<Uring> uring_;
    EpollDatagrams epollDatagrams_;
};

}  // namespace ngm::net
