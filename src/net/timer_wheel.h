// A hierarchical timer wheel: one per event loop, for everything a worker
// schedules (call timeouts now; ICE checks, DTLS retransmits, RTCP reports
// and jitter buffers later).
//
// Timers are intrusive: a `Timer` lives in its owner (a call, a stream, a
// DTLS session) and the wheel links it into a slot list, so arming and
// cancelling are O(1) and allocate nothing. Time is counted in ticks
// (10 ms by default) from the wheel's start; a timer fires in the first
// advance() whose `now` has passed its deadline rounded up to a tick: never
// before its deadline, and at most one tick after it when the loop wakes on
// nextExpiry().
//
// Loop thread only: neither the wheel nor its timers are thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace ngm::net {

class TimerWheel;

namespace detail {
// A node of a slot's circular list; each slot's head is one too.
struct TimerLink {
    TimerLink* prev = nullptr;
    TimerLink* next = nullptr;
};
}  // namespace detail

class Timer : private detail::TimerLink {
  public:
    using Callback = std::function<void()>;

    Timer() = default;
    explicit Timer(Callback cb) : callback_(std::move(cb)) {}
    // Destroying an armed timer cancels it.
    ~Timer() { cancel(); }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Set once, before arming: arming itself copies nothing.
    void setCallback(Callback cb) { callback_ = std::move(cb); }
    bool armed() const { return wheel_ != nullptr; }
    // No-op when not armed.
    void cancel();

  private:
    friend class TimerWheel;
    Callback callback_;
    TimerWheel* wheel_ = nullptr;  // set while armed
    uint64_t expires_ = 0;         // tick at which it is due
    uint16_t where_ = 0;           // level * 64 + slot, or one of TimerWheel's lists
};

class TimerWheel {
  public:
    using Clock = std::chrono::steady_clock;
    using TimePoint = Clock::time_point;
    using Duration = Clock::duration;

    static constexpr std::chrono::milliseconds kDefaultTick{10};

    // Ticks are counted from `start`.
    explicit TimerWheel(Duration tick = kDefaultTick, TimePoint start = Clock::now());
    ~TimerWheel();  // leaves its timers unarmed
    TimerWheel(const TimerWheel&) = delete;
    TimerWheel& operator=(const TimerWheel&) = delete;

    // Arms (or moves) `t` to fire once `when` is reached. A deadline already
    // passed fires in the next advance(), never in the one running now, so a
    // callback re-arming itself with no delay cannot spin. O(1).
    void armAt(Timer& t, TimePoint when);
    void arm(Timer& t, Duration delay, TimePoint now) { armAt(t, now + delay); }
    void arm(Timer& t, Duration delay) { arm(t, delay, Clock::now()); }
    // O(1); no-op when not armed.
    void cancel(Timer& t);

    // Fires every timer due by `now`, tick by tick (in no set order within
    // a tick), and returns how many fired. Callbacks may arm, cancel or
    // destroy any timer, their own included (that as their last act: it
    // destroys the callback too). O(1) between due ticks, otherwise
    // O(timers fired or moved down + levels per tick that holds work);
    // ticks with nothing due or to move down are skipped.
    size_t advance(TimePoint now);

    // The earliest time at which advance() has work: a timer due, or a
    // long timer to move down a level (at most one such wake-up per level in
    // a timer's life). In the past when a timer is already due; empty when
    // none is armed.
    std::optional<TimePoint> nextExpiry() const;

    size_t size() const { return count_; }  // armed timers
    bool empty() const { return count_ == 0; }
    Duration tick() const { return tick_; }

  private:
    // Six levels of 64 slots: a slot of level L spans 64^L ticks, so the
    // wheel covers 2^36 ticks (21 years at 10 ms) with each timer moved down
    // at most five times; a longer delay waits at the top for more turns.
    static constexpr unsigned kBits = 6;
    static constexpr unsigned kSlots = 1u << kBits;
    static constexpr unsigned kLevels = 6;
    static constexpr uint16_t kPending = kLevels * kSlots;  // due, fires next advance()
    static constexpr uint16_t kFiring = kPending + 1;       // taken out for this advance()

    using Link = detail::TimerLink;
    static Timer* timerOf(Link* l) { return static_cast<Timer*>(l); }
    static bool listEmpty(const Link& head) { return head.next == &head; }
    static void append(Link& head, Link* l);
    static void spliceAll(Link& from, Link& to);

    uint64_t tickAtOrAfter(TimePoint when) const;
    void place(Timer& t);
    void unlink(Timer& t);
    uint64_t visitTick(unsigned level, unsigned slot) const;
    uint64_t nextWorkTick() const;  // UINT64_MAX: no timer in a slot
    void cascade(unsigned level, unsigned slot);
    size_t fireAll();

    Duration tick_;
    TimePoint origin_;
    uint64_t next_ = 0;  // the first tick not yet processed
    // No work in the slots before this tick: exact after advance(), lowered
    // by arming, left alone by cancelling. Lets advance() return at once on
    // the loop rounds between timers.
    uint64_t due_ = UINT64_MAX;
    size_t count_ = 0;
    bool advancing_ = false;
    std::array<uint64_t, kLevels> occupied_{};  // bit per non-empty slot
    std::array<std::array<Link, kSlots>, kLevels> slots_;
    Link pending_, firing_;
};

inline void Timer::cancel() {
    if (wheel_) wheel_->cancel(*this);
}

}  // namespace ngm::net
