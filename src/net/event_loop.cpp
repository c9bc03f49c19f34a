#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <stdexcept>

namespace ngm::net {

namespace {
struct WakeMarker : PollHandler {
    void onReadable() override {}
} g_wakeMarker;
}  // namespace

EventLoop::EventLoop() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakeFd_ < 0) throw std::runtime_error("cannot create event loop");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &g_wakeMarker;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

EventLoop::~EventLoop() {
    if (epfd_ >= 0) close(epfd_);
    if (wakeFd_ >= 0) close(wakeFd_);
}

bool EventLoop::add(int fd, PollHandler* h, bool exclusive) {
    epoll_event ev{};
    ev.events = EPOLLIN | (exclusive ? (uint32_t)EPOLLEXCLUSIVE : 0u);
    ev.data.ptr = h;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::setTick(std::chrono::milliseconds interval, Task tick) {
    tickInterval_ = interval;
    tick_ = std::move(tick);
}

void EventLoop::post(Task t) {
    {
        std::lock_guard lk(tasksMutex_);
        tasks_.push_back(std::move(t));
    }
    uint64_t one = 1;
    ssize_t r = write(wakeFd_, &one, sizeof one);
    (void)r;
}

void EventLoop::stop() {
    stop_.store(true);
    uint64_t one = 1;
    ssize_t r = write(wakeFd_, &one, sizeof one);
    (void)r;
}

void EventLoop::drainTasks() {
    uint64_t v;
    while (read(wakeFd_, &v, sizeof v) > 0) {
    }
    {
        std::lock_guard lk(tasksMutex_);
        running_.swap(tasks_);
    }
    for (auto& t : running_) t();
    running_.clear();
}

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    epoll_event events[64];
    auto nextTick = std::chrono::steady_clock::now() + tickInterval_;
    while (!stop_.load()) {
        auto now = std::chrono::steady_clock::now();
        int timeoutMs = 0;
        if (now < nextTick)
            timeoutMs = (int)std::chrono::duration_cast<std::chrono::milliseconds>(nextTick - now).count() + 1;
        int n = epoll_wait(epfd_, events, 64, timeoutMs);
        // I/O first, tasks after: a task may destroy handlers that still have
        // events later in this batch.
        bool tasks = false;
        for (int i = 0; i < n; i++) {
            auto* h = static_cast<PollHandler*>(events[i].data.ptr);
            if (h == &g_wakeMarker)
                tasks = true;
            else
                h->onReadable();
        }
        if (tasks) drainTasks();
        while (!deferred_.empty()) {
            runningDeferred_.swap(deferred_);
            for (auto& t : runningDeferred_) t();
            runningDeferred_.clear();
        }
        now = std::chrono::steady_clock::now();
        if (now >= nextTick) {
            nextTick = now + tickInterval_;
            if (tick_) tick_();
        }
    }
    drainTasks();
}

}  // namespace ngm::net
