// One epoll loop with a cross-thread task queue and a periodic tick.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ngm::net {

// Something registered on the loop for readability of its fd.
// Handlers are destroyed only by tasks and ticks (never from onReadable of
// another handler), which run after the I/O events of a batch.
class PollHandler {
public:
    virtual ~PollHandler() = default;
    virtual void onReadable() = 0;
};

class EventLoop {
public:
    using Task = std::function<void()>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // add/remove may be called from any thread (epoll_ctl is thread-safe),
    // but the handler must stay alive while the loop runs.
    // `exclusive`: one fd shared by several loops wakes only one of them.
    bool add(int fd, PollHandler* h, bool exclusive = false);
    void remove(int fd);
    // Called on the loop thread every `interval` (coarse; for timeouts).
    void setTick(std::chrono::milliseconds interval, Task tick);

    // Loop thread only: run t once the I/O events of the current batch are
    // handled (no wake-up needed).
    void defer(Task t) { deferred_.push_back(std::move(t)); }

    // Any thread.
    void post(Task t);
    void stop();

    void run();  // until stop()
    bool inLoopThread() const { return std::this_thread::get_id() == owner_.load(); }

private:
    void drainTasks();
    int epfd_ = -1;
    int wakeFd_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<std::thread::id> owner_{};
    std::mutex tasksMutex_;
    std::vector<Task> tasks_, running_;
    std::vector<Task> deferred_, runningDeferred_;
    std::chrono::milliseconds tickInterval_{1000};
    Task tick_;
};

}  // namespace ngm::net
