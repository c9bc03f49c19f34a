#include "net/timer_wheel.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

namespace ngm::net {
namespace {

using namespace std::chrono_literals;
using TimePoint = TimerWheel::TimePoint;

// Time is injected: every test starts its wheel at t0 and says what `now` is.
const TimePoint t0 = TimePoint{} + 1000h;

TEST(TimerWheel, FiresNoEarlierThanItsDelayAndWithinOneTick) {
    // Every arm time within a tick and delays around tick multiples, the
    // wheel advanced in 1 ms steps as a loop would.
    for (int armMs = 0; armMs < 10; armMs++) {
        for (int delayMs : {0, 1, 9, 10, 11, 25, 630, 640, 641, 700}) {
            TimerWheel wheel(10ms, t0);
            wheel.advance(t0 + std::chrono::milliseconds(armMs));
            bool fired = false;
            Timer timer([&] { fired = true; });
            TimePoint deadline = t0 + std::chrono::milliseconds(armMs + delayMs);
            wheel.arm(timer, std::chrono::milliseconds(delayMs),
                      t0 + std::chrono::milliseconds(armMs));
            TimePoint firedAt{};
            for (auto now = t0 + std::chrono::milliseconds(armMs); now < deadline + 20ms && !fired;
                 now += 1ms) {
                wheel.advance(now);
                if (fired) firedAt = now;
            }
            ASSERT_TRUE(fired) << "arm at " << armMs << " ms, delay " << delayMs << " ms";
            EXPECT_GE(firedAt, deadline) << "arm at " << armMs << " ms, delay " << delayMs << " ms";
            EXPECT_LT(firedAt, deadline + 10ms)
                << "arm at " << armMs << " ms, delay " << delayMs << " ms";
            EXPECT_FALSE(timer.armed());
        }
    }
}

TEST(TimerWheel, NeverFiresOneNanosecondBeforeItsDeadline) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.arm(timer, 30ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 30ms - 1ns), 0u);
    EXPECT_EQ(fired, 0);
    EXPECT_EQ(wheel.advance(t0 + 30ms), 1u);
    EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, FiresOnlyOnce) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.arm(timer, 20ms, t0);
    wheel.advance(t0 + 20ms);
    wheel.advance(t0 + 1s);
    wheel.advance(t0 + 1h);
    EXPECT_EQ(fired, 1);
    EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, CancelPreventsFiring) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.arm(timer, 50ms, t0);
    EXPECT_TRUE(timer.armed());
    EXPECT_EQ(wheel.size(), 1u);
    timer.cancel();
    EXPECT_FALSE(timer.armed());
    EXPECT_EQ(wheel.size(), 0u);
    wheel.advance(t0 + 1s);
    EXPECT_EQ(fired, 0);
}

TEST(TimerWheel, CancelOfAnUnarmedTimerIsANoOp) {
    TimerWheel wheel(10ms, t0);
    Timer timer([] {});
    timer.cancel();
    wheel.cancel(timer);
    EXPECT_FALSE(timer.armed());
    EXPECT_TRUE(wheel.empty());
    wheel.arm(timer, 10ms, t0);
    wheel.advance(t0 + 10ms);  // fired: unarmed again
    timer.cancel();
    wheel.cancel(timer);
    EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, RearmMovesTheDeadlineLater) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.arm(timer, 20ms, t0);
    wheel.arm(timer, 100ms, t0 + 10ms);
    EXPECT_EQ(wheel.size(), 1u);
    wheel.advance(t0 + 109ms);
    EXPECT_EQ(fired, 0);
    wheel.advance(t0 + 110ms);
    EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, RearmMovesTheDeadlineEarlier) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.arm(timer, 60s, t0);  // on a higher level
    wheel.arm(timer, 30ms, t0);
    EXPECT_EQ(wheel.size(), 1u);
    wheel.advance(t0 + 30ms);
    EXPECT_EQ(fired, 1);
    wheel.advance(t0 + 61s);
    EXPECT_EQ(fired, 1);
}

TEST(TimerWheel, DeadlineInThePastFiresInTheNextAdvance) {
    TimerWheel wheel(10ms, t0);
    wheel.advance(t0 + 100ms);
    int fired = 0;
    Timer timer([&] { fired++; });
    wheel.armAt(timer, t0 + 50ms);
    ASSERT_TRUE(wheel.nextExpiry());
    EXPECT_LE(*wheel.nextExpiry(), t0 + 100ms);
    wheel.advance(t0 + 100ms);
    EXPECT_EQ(fired, 1);
}

// Deadlines on every level of the wheel and on the edges between them: each
// fires in the tick of its deadline, not a revolution early or late.
TEST(TimerWheel, DelaysBeyondOneRevolutionFireInTheirOwnTick) {
    for (int64_t ticks :
         {1ll, 63ll, 64ll, 65ll, 127ll, 128ll, 4095ll, 4096ll, 4097ll, 262143ll, 262144ll, 262145ll,
          (1ll << 24) + 7, (1ll << 30) - 1, (1ll << 30) + 3, (1ll << 35) + 11}) {
        for (int64_t startTick : {0ll, 1ll, 63ll, 64ll, 4000ll, 4159ll}) {
            TimerWheel wheel(1ms, t0);
            wheel.advance(t0 + std::chrono::milliseconds(startTick));
            int fired = 0;
            Timer timer([&] { fired++; });
            TimePoint deadline = t0 + std::chrono::milliseconds(startTick + ticks);
            wheel.armAt(timer, deadline);
            wheel.advance(deadline - 1ms);
            EXPECT_EQ(fired, 0) << ticks << " ticks from tick " << startTick;
            wheel.advance(deadline);
            EXPECT_EQ(fired, 1) << ticks << " ticks from tick " << startTick;
        }
    }
}

TEST(TimerWheel, DelayBeyondTheWheelsReachFiresAtItsDeadline) {
    TimerWheel wheel(1ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    TimePoint deadline = t0 + std::chrono::milliseconds((1ll << 38) + 5);  // 4 wheel spans
    wheel.armAt(timer, deadline);
    wheel.advance(deadline - 1ms);
    EXPECT_EQ(fired, 0);
    wheel.advance(deadline);
    EXPECT_EQ(fired, 1);
}

// A loop sleeps until nextExpiry(): a long timer costs it a few wake-ups (one
// per level it moves down), not one per revolution, and the last one is its
// deadline.
TEST(TimerWheel, LongTimerWakesTheLoopAtMostOncePerLevel) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    TimePoint deadline = t0 + 2h + 3ms;
    wheel.armAt(timer, deadline);
    int wakeups = 0;
    TimePoint last{};
    while (auto next = wheel.nextExpiry()) {
        ASSERT_LT(++wakeups, 8);
        ASSERT_GT(*next, last);
        last = *next;
        wheel.advance(*next);
    }
    EXPECT_EQ(fired, 1);
    EXPECT_GE(last, deadline);
    EXPECT_LT(last, deadline + 10ms);
}

TEST(TimerWheel, NextExpiryIsEmptyWithoutArmedTimers) {
    TimerWheel wheel(10ms, t0);
    EXPECT_FALSE(wheel.nextExpiry());
    Timer timer([] {});
    wheel.arm(timer, 10ms, t0);
    timer.cancel();
    EXPECT_FALSE(wheel.nextExpiry());
}

TEST(TimerWheel, NextExpiryIsTheTickOfTheEarliestTimer) {
    TimerWheel wheel(10ms, t0);
    wheel.advance(t0 + 5ms);
    Timer a([] {}), b([] {});
    wheel.arm(a, 300ms, t0 + 5ms);
    wheel.arm(b, 42ms, t0 + 5ms);  // due at 47 ms: the tick at 50 ms
    ASSERT_TRUE(wheel.nextExpiry());
    EXPECT_EQ(*wheel.nextExpiry(), t0 + 50ms);
    b.cancel();
    EXPECT_EQ(*wheel.nextExpiry(), t0 + 310ms);
}

TEST(TimerWheel, ManyTimersInOneSlotAllFire) {
    TimerWheel wheel(10ms, t0);
    constexpr int kTimers = 1000;
    std::vector<int> fired(kTimers, 0);
    std::vector<std::unique_ptr<Timer>> timers;
    for (int i = 0; i < kTimers; i++) {
        timers.push_back(std::make_unique<Timer>([&fired, i] { fired[i]++; }));
        wheel.arm(*timers.back(), 70ms, t0);
    }
    for (int i = 0; i < kTimers; i += 3) timers[i]->cancel();
    EXPECT_EQ(wheel.advance(t0 + 69ms), 0u);
    EXPECT_EQ(wheel.advance(t0 + 70ms), (size_t)(kTimers - (kTimers + 2) / 3));
    for (int i = 0; i < kTimers; i++) EXPECT_EQ(fired[i], i % 3 ? 1 : 0) << "timer " << i;
    EXPECT_TRUE(wheel.empty());
}

// Not a promise of the interface (timers moved down from a higher level may
// come after), but what a slot does with timers armed straight into it.
TEST(TimerWheel, TimersInOneSlotFireInArmingOrder) {
    TimerWheel wheel(10ms, t0);
    std::vector<int> order;
    Timer a([&] { order.push_back(0); }), b([&] { order.push_back(1); }),
        c([&] { order.push_back(2); });
    wheel.arm(a, 15ms, t0);
    wheel.arm(b, 20ms, t0);
    wheel.arm(c, 11ms, t0);
    wheel.advance(t0 + 20ms);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(TimerWheel, AllTimersDueByNowFireInOneAdvance) {
    TimerWheel wheel(10ms, t0);
    std::vector<int> order;
    Timer a([&] { order.push_back(0); }), b([&] { order.push_back(1); }),
        c([&] { order.push_back(2); });
    wheel.arm(c, 5s, t0);
    wheel.arm(b, 700ms, t0);
    wheel.arm(a, 10ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 10s), 3u);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));  // in deadline order
}

TEST(TimerWheel, CallbackCancellingAnotherDueTimerStopsIt) {
    TimerWheel wheel(10ms, t0);
    int bFired = 0;
    Timer b([&] { bFired++; });
    Timer a([&] { b.cancel(); });
    wheel.arm(a, 10ms, t0);
    wheel.arm(b, 10ms, t0);  // same slot, after a
    EXPECT_EQ(wheel.advance(t0 + 10ms), 1u);
    EXPECT_EQ(bFired, 0);
    EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, CallbackArmingAnotherTimerDueWithinThisAdvanceFiresIt) {
    TimerWheel wheel(10ms, t0);
    std::vector<int> order;
    Timer b([&] { order.push_back(1); });
    Timer a([&] {
        order.push_back(0);
        wheel.arm(b, 20ms, t0 + 10ms);
    });
    wheel.arm(a, 10ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 30ms), 2u);
    EXPECT_EQ(order, (std::vector<int>{0, 1}));
}

TEST(TimerWheel, CallbackMovingAnotherDueTimerLaterDefersIt) {
    TimerWheel wheel(10ms, t0);
    int bFired = 0;
    Timer b([&] { bFired++; });
    Timer a([&] { wheel.arm(b, 1s, t0 + 10ms); });
    wheel.arm(a, 10ms, t0);
    wheel.arm(b, 10ms, t0);
    wheel.advance(t0 + 10ms);
    EXPECT_EQ(bFired, 0);
    EXPECT_TRUE(b.armed());
    wheel.advance(t0 + 1010ms);
    EXPECT_EQ(bFired, 1);
}

TEST(TimerWheel, CallbackRearmingItselfMakesAPeriodicTimer) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer;
    timer.setCallback([&] {
        fired++;
        wheel.arm(timer, 20ms, t0 + std::chrono::milliseconds(20 * fired));
    });
    wheel.arm(timer, 20ms, t0);
    for (auto now = t0; now <= t0 + 1s; now += 1ms) wheel.advance(now);
    EXPECT_EQ(fired, 50);
    EXPECT_TRUE(timer.armed());
}

TEST(TimerWheel, CallbackRearmingItselfWithNoDelayFiresOncePerAdvance) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer timer;
    timer.setCallback([&] {
        fired++;
        wheel.arm(timer, 0ms, t0);
    });
    wheel.arm(timer, 10ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 10ms), 1u);
    EXPECT_EQ(wheel.advance(t0 + 10ms), 1u);
    EXPECT_EQ(fired, 2);
}

TEST(TimerWheel, CallbackDestroyingAnotherDueTimerStopsIt) {
    TimerWheel wheel(10ms, t0);
    int bFired = 0;
    auto b = std::make_unique<Timer>([&] { bFired++; });
    Timer a([&] { b.reset(); });
    wheel.arm(a, 10ms, t0);
    wheel.arm(*b, 10ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 10ms), 1u);
    EXPECT_EQ(bFired, 0);
    EXPECT_TRUE(wheel.empty());
}

TEST(TimerWheel, CallbackDestroyingItsOwnTimerIsSafe) {
    TimerWheel wheel(10ms, t0);
    int bFired = 0;
    std::unique_ptr<Timer> a;
    a = std::make_unique<Timer>([&] { a.reset(); });
    Timer b([&] { bFired++; });
    wheel.arm(*a, 10ms, t0);
    wheel.arm(b, 10ms, t0);
    EXPECT_EQ(wheel.advance(t0 + 10ms), 2u);
    EXPECT_EQ(a, nullptr);
    EXPECT_EQ(bFired, 1);
}

TEST(TimerWheel, DestroyingAnArmedTimerCancelsIt) {
    TimerWheel wheel(10ms, t0);
    int fired = 0;
    Timer keep([&] { fired += 10; });
    wheel.arm(keep, 10ms, t0);
    {
        Timer gone([&] { fired++; });
        wheel.arm(gone, 10ms, t0);
        EXPECT_EQ(wheel.size(), 2u);
    }
    EXPECT_EQ(wheel.size(), 1u);
    wheel.advance(t0 + 1s);
    EXPECT_EQ(fired, 10);
}

TEST(TimerWheel, DestroyingTheWheelLeavesItsTimersUnarmed) {
    Timer timer([] {});
    {
        TimerWheel wheel(10ms, t0);
        wheel.arm(timer, 10s, t0);
        EXPECT_TRUE(timer.armed());
    }
    EXPECT_FALSE(timer.armed());
    timer.cancel();  // and its destructor must not touch the wheel either
}

TEST(TimerWheel, ArmingOnAnotherWheelMovesTheTimer) {
    TimerWheel first(10ms, t0), second(10ms, t0);
    int fired = 0;
    Timer timer([&] { fired++; });
    first.arm(timer, 10ms, t0);
    second.arm(timer, 20ms, t0);
    EXPECT_TRUE(first.empty());
    EXPECT_EQ(second.size(), 1u);
    first.advance(t0 + 1s);
    EXPECT_EQ(fired, 0);
    second.advance(t0 + 1s);
    EXPECT_EQ(fired, 1);
}

// Against a plain model: after every advance(now), exactly the timers whose
// deadline (rounded up to a tick) is at or before `now` have fired, once.
TEST(TimerWheel, RandomArmsCancelsAndAdvancesMatchAModel) {
    std::mt19937_64 rng(20240611);
    constexpr int kTimers = 300;
    const auto tick = 1ms;
    TimerWheel wheel(tick, t0);
    std::vector<std::unique_ptr<Timer>> timers;
    std::vector<int> fired(kTimers, 0);
    std::map<int, int64_t> due;  // timer → deadline tick, while armed
    for (int i = 0; i < kTimers; i++)
        timers.push_back(std::make_unique<Timer>([&fired, &due, i] {
            fired[i]++;
            due.erase(i);
        }));
    int64_t nowTick = 0;
    auto randomDelay = [&]() -> int64_t {
        switch (rng() % 4) {
            case 0:
                return (int64_t)(rng() % 70);
            case 1:
                return (int64_t)(rng() % 5000);
            case 2:
                return (int64_t)(rng() % 300000);
            default:  // now and then beyond the wheel's reach (2^36 ticks)
                return (int64_t)(rng() % 8 ? rng() % 30000000 : rng() % (1ull << 38));
        }
    };
    for (int step = 0; step < 20000; step++) {
        int i = (int)(rng() % kTimers);
        switch (rng() % 5) {
            case 0:
            case 1: {
                int64_t at = nowTick + randomDelay();
                wheel.armAt(*timers[i], t0 + at * tick);
                due[i] = at;
                break;
            }
            case 2:
                timers[i]->cancel();
                due.erase(i);
                break;
            default: {
                // Mostly small steps, sometimes a long sleep of the loop.
                int64_t step = rng() % 10 ? (int64_t)(rng() % 50) : randomDelay();
                nowTick += step;
                std::vector<int> expected(fired);
                for (auto [t, at] : due)
                    if (at <= nowTick) expected[t]++;
                wheel.advance(t0 + nowTick * tick);
                ASSERT_EQ(fired, expected) << "step " << step << " now tick " << nowTick;
                break;
            }
        }
        ASSERT_EQ(wheel.size(), due.size());
        for (int t = 0; t < kTimers; t++) ASSERT_EQ(timers[t]->armed(), due.count(t) == 1);
        if (!due.empty()) {
            int64_t earliest = INT64_MAX;
            for (auto [t, at] : due) earliest = std::min(earliest, at);
            ASSERT_TRUE(wheel.nextExpiry());
            // A lower bound; exact once the timer is on the lowest level.
            ASSERT_LE(*wheel.nextExpiry(), t0 + std::max(earliest, nowTick + 1) * tick);
        }
    }
}

}  // namespace
}  // namespace ngm::net
