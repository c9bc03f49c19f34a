// The one file that calls liburing: a loop's ring, used for datagram
// sockets (multishot receive into provided buffers, sends queued as
// requests), for watching the loop's epoll set and as the loop's timer.
// Everything else of the event loop is written against this class.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "net/datagram_io.h"

namespace ngm::net {

// What a loop's ring did, for /metrics: written by the loop thread only,
// read by any.
struct UringCounters {
    std::atomic<uint64_t> submitted{0};  // requests handed to the kernel
    std::atomic<uint64_t> completed{0};  // completions collected
    std::atomic<uint64_t> waits{0};      // rounds that slept in the kernel
    void add(std::atomic<uint64_t>& c, uint64_t n) {
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

// Where a loop thread's wall-clock time goes, for /metrics: working
// (handling datagrams, timers, tasks) or waiting in the kernel for work
// (io_uring_submit_and_wait, epoll_wait). Written by the loop thread only,
// two clock reads per wait; read by any (a busy stretch shows once the loop
// next waits). Preemption by other processes counts where it happens.
struct LoopTimes {
    std::atomic<uint64_t> busyNs{0}, waitNs{0};
    void start() { mark_ = nowNs(); }
    void beforeWait() { account(busyNs); }
    void afterWait() { account(waitNs); }

  private:
    static int64_t nowNs() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
    void account(std::atomic<uint64_t>& c) {
        int64_t t = nowNs();
        if (mark_ && t > mark_)
            c.store(c.load(std::memory_order_relaxed) + uint64_t(t - mark_), std::memory_order_relaxed);
        mark_ = t;
    }
    int64_t mark_ = 0;
};

class Uring {
  public:
    using Clock = std::chrono::steady_clock;

    // What a round reports back besides datagrams (handed to their handlers).
    class Events {
      public:
        virtual ~Events() = default;
        // The kernel cannot receive multishot on `fd`: serve it otherwise.
        virtual void fallback(int fd, DatagramHandler* h) = 0;
    };

    // Null, with the reason in `failure`, when the kernel lacks what the
    // loop needs. Must be called on the thread that will use the ring.
    // `counters`, if given, must outlive the ring.
    // `times`, if given, is told around each wait in the kernel.
    static std::unique_ptr<Uring> create(std::string& failure, UringCounters* counters = nullptr,
                                         LoopTimes* times = nullptr);
    ~Uring();
    Uring(const Uring&) = delete;
    Uring& operator=(const Uring&) = delete;

    // False when the socket cannot go on the ring (use epoll for it).
    bool addDatagram(int fd, DatagramHandler* h);
    // False when `fd` is not on the ring.
    bool removeDatagram(int fd);
    // Queues a send from a socket on the ring. False when `fd` is not on the
    // ring or there is no room: the caller sends at once.
    bool queueSend(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                   uint64_t* errors);
    // Watches `fd` (the loop's epoll set) for readability: round() reports it.
    void watch(int fd);
    // Submits what is queued and collects completions, first sleeping until
    // one arrives or `due` (none: no deadline) when `wait`. Datagrams go to
    // their handlers. True when the watched fd became readable.
    bool round(bool wait, std::optional<Clock::time_point> due, Events& events);
    // With no socket on the ring (the calls ended), gives the registration
    // tables' memory back. Cheap; the loop calls it once a second.
    void compact();
    // Submits what is still queued (sends at shutdown).
    void flush();

  private:
    struct Ring;
    explicit Uring(std::unique_ptr<Ring> r);
    std::unique_ptr<Ring> r_;
};

}  // namespace ngm::net
