#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <string>

#include "common/log.h"

namespace ngm::net {

namespace {

struct WakeMarker : PollHandler {
    void onReadable() override {}
} g_wakeMarker;

std::atomic<bool> g_allowIoUring{true};

}  // namespace

void EventLoop::allowIoUring(bool allow) { g_allowIoUring.store(allow); }

EventLoop::EventLoop(TimerWheel::Duration timerTick) : timers_(timerTick) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakeFd_ < 0) throw std::runtime_error("cannot create event loop");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &g_wakeMarker;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

EventLoop::~EventLoop() {
    uring_.reset();
    if (epfd_ >= 0) close(epfd_);
    if (wakeFd_ >= 0) close(wakeFd_);
}

bool EventLoop::add(int fd, PollHandler* h, bool exclusive) {
    epoll_event ev{};
    ev.events = EPOLLIN | (exclusive ? (uint32_t)EPOLLEXCLUSIVE : 0u);
    ev.data.ptr = h;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::addDatagram(int fd, DatagramHandler* h) {
    if (fd < 0) return false;
    if (uring_ && inLoopThread() && uring_->addDatagram(fd, h)) return true;
    PollHandler* reader = epollDatagrams_.add(fd, h);
    if (reader && add(fd, reader)) return true;
    epollDatagrams_.remove(fd);
    return false;
}

void EventLoop::removeDatagram(int fd) {
    if (uring_ && uring_->removeDatagram(fd)) return;
    if (epollDatagrams_.remove(fd)) epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::fallback(int fd, DatagramHandler* h) {
    if (PollHandler* reader = epollDatagrams_.add(fd, h)) add(fd, reader);
}

void EventLoop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

// Hot path: every forwarded packet comes through here.
bool EventLoop::sendTo(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                       uint64_t* errors) {
    if (uring_ && uring_->queueSend(fd, data, len, to, toLen, errors)) return true;
    if (epollDatagrams_.queueSend(fd, data, len, to, toLen, errors)) return true;
    if (::sendto(fd, data, len, MSG_DONTWAIT, to, toLen) >= 0) return true;
    if (errors) (*errors)++;
    return false;
}

// The tick is one more timer on the wheel rather than a clock of its own:
// the wheel's next expiry is then the loop's only deadline, which both paths
// already turn into their wait (epoll_wait's timeout; one timeout request on
// the ring, moved earlier only when a timer is due before it).
void EventLoop::setTick(std::chrono::milliseconds interval, Task tick) {
    tickInterval_ = interval;
    tick_ = std::move(tick);
    tickTimer_.setCallback([this] {
        timers_.arm(tickTimer_, tickInterval_);  // first: tick_ may call setTick
        if (uring_) uring_->compact();
        if (tick_) tick_();
    });
    if (tick_)
        timers_.arm(tickTimer_, tickInterval_);
    else
        tickTimer_.cancel();
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

int EventLoop::pollEpoll(int timeoutMs) {
    epoll_event events[64];
    if (timeoutMs != 0) loopTimes_.beforeWait();
    int n = epoll_wait(epfd_, events, 64, timeoutMs);
    if (timeoutMs != 0) loopTimes_.afterWait();
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
    return n < 0 ? 0 : n;
}

// What the last round put off, then timers: what their callbacks defer runs
// in the same round.
void EventLoop::runDeferredAndTimers() {
    if (!later_.empty()) {
        runningLater_.swap(later_);
        for (auto& t : runningLater_) t();
        runningLater_.clear();
    }
    timers_.advance(std::chrono::steady_clock::now());  // O(1) when none is due
    while (!deferred_.empty()) {
        runningDeferred_.swap(deferred_);
        for (auto& t : runningDeferred_) t();
        runningDeferred_.clear();
    }
}

void EventLoop::runEpoll() {
    while (!stop_.load()) {
        int timeoutMs = -1;  // no timer armed: until an event or a task
        if (!later_.empty()) {
            timeoutMs = 0;
        } else if (auto due = timers_.nextExpiry()) {
            auto now = std::chrono::steady_clock::now();
            timeoutMs = *due <= now ? 0 : (int)std::chrono::ceil<std::chrono::milliseconds>(*due - now).count();
        }
        pollEpoll(timeoutMs);
        runDeferredAndTimers();
    }
}

// One round: submit what the last round queued (sends, re-arms) and wait for
// completions in the same system call, hand each received datagram to its
// handler, then poll the epoll set if the ring said it is readable.
void EventLoop::runUring() {
    uring_->watch(epfd_);
    bool epollReady = true;  // look once before the first wait
    while (!stop_.load()) {
        if (epollReady) epollReady = pollEpoll(0) > 0;  // level-triggered: until drained
        bool busy = epollReady || !deferred_.empty() || !later_.empty() || stop_.load();
        if (uring_->round(!busy, busy ? std::nullopt : timers_.nextExpiry(), *this)) epollReady = true;
        runDeferredAndTimers();
    }
}

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    loopTimes_.start();
    if (g_allowIoUring.load()) {
        std::string failure;
        uring_ = Uring::create(failure, &uringCounters_, &loopTimes_);
        if (!uring_) NGM_LOG_NOTICE("io_uring not available (%s): media goes through epoll", failure.c_str());
    }
    if (uring_)
        runUring();
    else
        runEpoll();
    drainTasks();
    if (uring_) {
        uring_->flush();  // sends still queued
        uring_.reset();
    }
}

}  // namespace ngm::net
