// Media workers: one event loop thread each; a call lives on exactly one
// (chosen by hashing its call-id), so its state needs no lock.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "net/event_loop.h"
#include "session/call_store.h"

namespace ngm::session {

class Worker {
public:
    Worker(const SessionConfig& cfg, SessionCounters& counters) : store(cfg, counters, &loop, &stats) {}
    net::EventLoop loop;
    media::WorkerStats stats;  // packet counters of this worker's streams
    CallStore store;           // touched only on loop's thread
    std::thread thread;
};

class WorkerPool {
public:
    WorkerPool(size_t n, const SessionConfig& cfg, SessionCounters& counters);
    ~WorkerPool();
    void start();
    void stop();

    size_t size() const { return workers_.size(); }
    Worker& forCall(std::string_view callId);
    Worker& at(size_t i) { return *workers_[i]; }

    // Runs fn on the worker's thread and waits for it. Not from a worker
    // thread (two workers waiting on each other would deadlock).
    void runOn(Worker& w, const std::function<void()>& fn);
    // Runs fn on w's thread: deferred to the end of the current event batch
    // when already there, posted otherwise (inline before start()).
    void runOrPost(Worker& w, std::function<void()> fn);
    bool started() const { return started_; }
    // Called about once a second on worker 0 (set before start()).
    void onTick(std::function<void()> fn) { extraTick_ = std::move(fn); }

private:
    std::vector<std::unique_ptr<Worker>> workers_;
    bool started_ = false;
    std::function<void()> extraTick_;
};

}  // namespace ngm::session
