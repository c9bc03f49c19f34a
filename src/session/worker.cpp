#include "session/worker.h"

#include <pthread.h>

#include <future>
#include <semaphore>

namespace ngm::session {

WorkerPool::WorkerPool(size_t n, const SessionConfig& cfg, SessionCounters& counters) {
    if (n == 0) n = 1;
    for (size_t i = 0; i < n; i++) workers_.push_back(std::make_unique<Worker>(cfg, counters));
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
    if (started_) return;
    started_ = true;
    for (auto& w : workers_) {
        Worker* wp = w.get();
        bool first = wp == workers_.front().get();
        wp->loop.setTick(std::chrono::milliseconds(1000), [this, wp, first] {
            wp->store.tick();
            if (first && extraTick_) extraTick_();
        });
        wp->thread = std::thread([wp] { wp->loop.run(); });
        // `top -H`, `ps -L` and the --num-threads test tell the workers by name.
        std::string name = "ngm-media-" + std::to_string(&w - workers_.data());
        pthread_setname_np(wp->thread.native_handle(), name.c_str());
    }
    // Every loop is set up (its io_uring included) before the daemon says it
    // is up and takes commands.
    for (auto& w : workers_) {
        std::promise<void> running;
        w->loop.post([&running] { running.set_value(); });
        running.get_future().wait();
    }
}

void WorkerPool::stop() {
    if (!started_) return;
    for (auto& w : workers_) {
        Worker* wp = w.get();
        wp->loop.post([wp] { wp->store.clear(); });
        wp->loop.stop();
    }
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
    started_ = false;
}

Worker& WorkerPool::forCall(std::string_view callId) {
    size_t h = std::hash<std::string_view>{}(callId);
    return *workers_[h % workers_.size()];
}

void WorkerPool::runOrPost(Worker& w, std::function<void()> fn) {
    if (!started_)
        fn();
    else if (w.loop.inLoopThread())
        w.loop.defer(std::move(fn));  // after this batch's packets, without a wake-up
    else
        w.loop.post(std::move(fn));
}

void WorkerPool::runOn(Worker& w, const std::function<void()>& fn) {
    if (!started_ || w.loop.inLoopThread()) {
        fn();
        return;
    }
    std::binary_semaphore done(0);
    w.loop.post([&] {
        fn();
        done.release();
    });
    done.acquire();
}

}  // namespace ngm::session
