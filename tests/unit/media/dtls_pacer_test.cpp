// DtlsPacer (media/dtls_transport.h): the DTLS work of a worker is spread
// over loop rounds, so that what the loop receives between rounds is handled
// before the rest of a burst of handshakes.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "media/dtls_transport.h"
#include "net/event_loop.h"

namespace ngm::media {
namespace {

using namespace std::chrono_literals;

// Holds `n` records; each takes `costUs` of the pacer's budget (reported,
// not spent) and logs which client ran in which round.
struct FakeClient : DtlsPacer::Client {
    FakeClient(DtlsPacer& p, int id, int n, uint64_t costUs, std::vector<std::pair<int, int>>& log,
               const int& round)
        : pacer(p), id(id), held(n), costUs(costUs), log(log), round(round) {}
    bool runHeld() override {
        if (held == 0) return false;
        --held;
        log.emplace_back(round, id);
        pacer.spent(costUs);
        return held > 0;
    }
    DtlsPacer& pacer;
    int id, held;
    uint64_t costUs;
    std::vector<std::pair<int, int>>& log;
    const int& round;
};

// Runs `fn` on the loop thread of a running loop and waits for `done`.
TEST(DtlsPacer, WorkBeyondTheRoundsBudgetRunsInLaterRoundsInTurn) {
    net::EventLoop loop;
    auto pacer = DtlsPacer::create(loop, 1000us);
    std::vector<std::pair<int, int>> log;  // (round, client)
    int round = 0;
    // A round counter: each round's deferred work ticks it (the loop runs
    // put-off work of the previous round before this round's deferred).
    std::function<void()> tick = [&] {
        ++round;
        loop.nextRound([&] { loop.defer(tick); });
    };
    FakeClient a(*pacer, 1, 3, 600, log, round), b(*pacer, 2, 3, 600, log, round);
    std::promise<void> done;
    std::thread t([&] { loop.run(); });
    loop.post([&] {
        loop.defer(tick);
        // Round 0: one record of a spends 600 us of 1000; the second still
        // may run (budget left), the third not.
        EXPECT_TRUE(pacer->mayRun());
        pacer->spent(600);
        EXPECT_TRUE(pacer->mayRun());
        pacer->spent(600);
        EXPECT_FALSE(pacer->mayRun());
        pacer->wait(a);
        pacer->wait(b);
        EXPECT_FALSE(pacer->mayRun());  // others wait: new work queues behind
    });
    for (int i = 0; i < 200 && (a.held || b.held); i++) std::this_thread::sleep_for(5ms);
    loop.post([&] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(2s), std::future_status::ready);
    loop.stop();
    t.join();
    EXPECT_EQ(a.held, 0);
    EXPECT_EQ(b.held, 0);
    ASSERT_EQ(log.size(), 6u);
    // In turn (a, b, a, b, ...), at most two records of 600 us per round,
    // none in the round that spent the budget.
    std::vector<int> order;
    for (auto& [r, id] : log) order.push_back(id);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
    for (size_t i = 0; i < log.size(); i++) {
        EXPECT_GE(log[i].first, 1) << i;
        size_t same = 0;
        for (auto& e : log) same += e.first == log[i].first;
        EXPECT_LE(same, 2u) << "round " << log[i].first;
    }
    EXPECT_EQ(pacer->putOff(), 2u);
}

TEST(DtlsPacer, AClientThatGoesAwayIsForgotten) {
    net::EventLoop loop;
    auto pacer = DtlsPacer::create(loop, 100us);
    std::vector<std::pair<int, int>> log;
    int round = 0;
    auto a = std::make_unique<FakeClient>(*pacer, 1, 5, 200, log, round);
    FakeClient b(*pacer, 2, 2, 200, log, round);
    std::thread t([&] { loop.run(); });
    std::promise<void> done;
    loop.post([&] {
        pacer->spent(200);
        pacer->wait(*a);
        pacer->wait(b);
        pacer->forget(*a);
        a.reset();
    });
    for (int i = 0; i < 200 && b.held; i++) std::this_thread::sleep_for(5ms);
    loop.post([&] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(2s), std::future_status::ready);
    loop.stop();
    t.join();
    EXPECT_EQ(b.held, 0);
    for (auto& [r, id] : log) EXPECT_EQ(id, 2);
}

TEST(DtlsPacer, ZeroBudgetNeverHoldsBack) {
    net::EventLoop loop;
    auto pacer = DtlsPacer::create(loop, 0us);
    pacer->spent(1000000);
    EXPECT_TRUE(pacer->mayRun());
}

}  // namespace
}  // namespace ngm::media
