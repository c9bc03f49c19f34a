// WorkerPool: one event loop thread per worker; a call-id always maps to the
// same worker; runOrPost runs inline before start() and on the worker's
// thread after it. Every wait is bounded.
#include "session/worker.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ngm::session {
namespace {

using namespace std::chrono_literals;

class WorkerPoolTest : public ::testing::Test {
  protected:
    SessionConfig cfg;
    SessionCounters counters;
};

size_t indexOf(WorkerPool& pool, const Worker& w) {
    for (size_t i = 0; i < pool.size(); i++)
        if (&pool.at(i) == &w) return i;
    ADD_FAILURE() << "worker not in the pool";
    return pool.size();
}

// A promise the worker may still fulfil after a failed wait has returned.
template <class T>
struct Shared {
    std::shared_ptr<std::promise<T>> p = std::make_shared<std::promise<T>>();
    std::future<T> f = p->get_future();
    bool ready() { return f.wait_for(2s) == std::future_status::ready; }
};

TEST_F(WorkerPoolTest, ZeroWorkersMeansOne) {
    WorkerPool pool(0, cfg, counters);
    EXPECT_EQ(pool.size(), 1u);
    EXPECT_FALSE(pool.started());
}

TEST_F(WorkerPoolTest, ForCallMapsACallIdToTheSameWorkerEveryTime) {
    WorkerPool pool(4, cfg, counters);
    WorkerPool other(4, cfg, counters);
    std::set<size_t> used;
    for (int i = 0; i < 200; i++) {
        std::string id = "call-" + std::to_string(i) + "@example.org";
        Worker& w = pool.forCall(id);
        EXPECT_EQ(&pool.forCall(id), &w) << id;
        EXPECT_EQ(&pool.forCall(std::string(id)), &w) << id << " (another copy of the string)";
        // The choice depends on the call-id alone, not on the pool instance.
        EXPECT_EQ(indexOf(other, other.forCall(id)), indexOf(pool, w)) << id;
        used.insert(indexOf(pool, w));
    }
    EXPECT_GT(used.size(), 1u) << "200 call-ids all on one worker";
}

TEST_F(WorkerPoolTest, ForCallIsTheSameBeforeAndAfterStart) {
    WorkerPool pool(3, cfg, counters);
    std::vector<Worker*> before;
    for (int i = 0; i < 50; i++) before.push_back(&pool.forCall("c" + std::to_string(i)));
    pool.start();
    for (int i = 0; i < 50; i++) EXPECT_EQ(&pool.forCall("c" + std::to_string(i)), before[i]);
    pool.stop();
}

TEST_F(WorkerPoolTest, RunOrPostRunsInlineBeforeStart) {
    WorkerPool pool(2, cfg, counters);
    std::thread::id ranOn;
    bool ran = false;
    pool.runOrPost(pool.at(1), [&] {
        ran = true;
        ranOn = std::this_thread::get_id();
    });
    EXPECT_TRUE(ran) << "ran before runOrPost returned";
    EXPECT_EQ(ranOn, std::this_thread::get_id());
}

TEST_F(WorkerPoolTest, RunOrPostRunsOnTheWorkersThreadAfterStart) {
    WorkerPool pool(2, cfg, counters);
    pool.start();
    ASSERT_TRUE(pool.started());
    for (size_t i = 0; i < pool.size(); i++) {
        Worker& w = pool.at(i);
        Shared<std::pair<std::thread::id, bool>> done;
        pool.runOrPost(w, [p = done.p, &w] {
            p->set_value({std::this_thread::get_id(), w.loop.inLoopThread()});
        });
        ASSERT_TRUE(done.ready()) << "worker " << i << " did not run the task within 2 s";
        auto [id, inLoop] = done.f.get();
        EXPECT_NE(id, std::this_thread::get_id());
        EXPECT_EQ(id, w.thread.get_id());
        EXPECT_TRUE(inLoop);
    }
    pool.stop();
}

TEST_F(WorkerPoolTest, RunOrPostOnItsOwnWorkerDefersToAfterTheCurrentTask) {
    WorkerPool pool(1, cfg, counters);
    pool.start();
    Worker& w = pool.at(0);
    Shared<std::thread::id> deferred;
    Shared<bool> ranInline;
    pool.runOrPost(w, [&, p = deferred.p, q = ranInline.p] {
        auto ran = std::make_shared<bool>(false);  // outlives this task
        pool.runOrPost(w, [p, ran] {
            *ran = true;
            p->set_value(std::this_thread::get_id());
        });
        q->set_value(*ran);
    });
    ASSERT_TRUE(ranInline.ready());
    EXPECT_FALSE(ranInline.f.get()) << "ran inside the task that posted it";
    ASSERT_TRUE(deferred.ready());
    EXPECT_EQ(deferred.f.get(), w.thread.get_id());
    pool.stop();
}

TEST_F(WorkerPoolTest, RunOnWaitsForTheWorker) {
    WorkerPool pool(2, cfg, counters);
    pool.start();
    std::thread::id ranOn;
    pool.runOn(pool.at(1), [&] { ranOn = std::this_thread::get_id(); });
    EXPECT_EQ(ranOn, pool.at(1).thread.get_id());
    pool.stop();
}

TEST_F(WorkerPoolTest, StartNamesTheWorkerThreads) {
    WorkerPool pool(2, cfg, counters);
    pool.start();
    for (size_t i = 0; i < pool.size(); i++) {
        char name[32] = {};
        ASSERT_EQ(pthread_getname_np(pool.at(i).thread.native_handle(), name, sizeof name), 0);
        EXPECT_EQ(std::string(name), "ngm-media-" + std::to_string(i));
    }
    pool.stop();
}

TEST_F(WorkerPoolTest, StopJoinsTheThreadsAndRunOrPostIsInlineAgain) {
    WorkerPool pool(3, cfg, counters);
    pool.start();
    std::atomic<int> ran{0};
    for (size_t i = 0; i < pool.size(); i++) pool.runOn(pool.at(i), [&] { ran++; });
    EXPECT_EQ(ran.load(), 3);
    pool.stop();
    EXPECT_FALSE(pool.started());
    for (size_t i = 0; i < pool.size(); i++) EXPECT_FALSE(pool.at(i).thread.joinable()) << i;
    pool.stop();  // a second stop does nothing
    bool inline_ = false;
    pool.runOrPost(pool.at(0), [&] { inline_ = true; });
    EXPECT_TRUE(inline_);
}

TEST_F(WorkerPoolTest, StartTwiceStartsOnce) {
    WorkerPool pool(1, cfg, counters);
    pool.start();
    std::thread::id first = pool.at(0).thread.get_id();
    pool.start();
    EXPECT_EQ(pool.at(0).thread.get_id(), first);
    pool.stop();
}

TEST_F(WorkerPoolTest, DestructorStopsAStartedPool) {
    Shared<void> ran;
    {
        WorkerPool pool(2, cfg, counters);
        pool.start();
        pool.runOrPost(pool.at(0), [p = ran.p] { p->set_value(); });
        ASSERT_TRUE(ran.ready());
    }  // joins; a thread left running would terminate the process
    SUCCEED();
}

}  // namespace
}  // namespace ngm::session
