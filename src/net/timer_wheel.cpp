#include "net/timer_wheel.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace ngm::net {

// How it works (Varghese & Lauck's hierarchical wheel, as Linux had it before
// 4.8, but without its loss of precision): a timer due at tick e, armed when
// next_ is the first tick not yet processed, goes to the lowest level L whose
// span 64^(L+1) exceeds e - next_, in slot (e >> 6L) & 63. Processing tick t
// first moves ("cascades") level 1's slot for t down when t is a multiple of
// 64, level 2's when t is a multiple of 4096, and so on; those timers are due
// within the block that starts at t and land lower. Then level 0's slot for t
// fires. The bound on e - next_ guarantees that a slot is visited first at
// the start of the timer's own block, not a revolution early.

TimerWheel::TimerWheel(Duration tick, TimePoint start) : tick_(tick), origin_(start) {
    if (tick_.count() <= 0) tick_ = kDefaultTick;
    for (auto& level : slots_)
        for (Link& head : level) head.prev = head.next = &head;
    pending_.prev = pending_.next = &pending_;
    firing_.prev = firing_.next = &firing_;
}

TimerWheel::~TimerWheel() {
    auto release = [](Link& head) {
        for (Link* l = head.next; l != &head;) {
            Link* next = l->next;
            Timer* t = timerOf(l);
            t->prev = t->next = nullptr;
            t->wheel_ = nullptr;
            l = next;
        }
        head.prev = head.next = &head;
    };
    for (auto& level : slots_)
        for (Link& head : level) release(head);
    release(pending_);
    release(firing_);
}

void TimerWheel::append(Link& head, Link* l) {
    l->prev = head.prev;
    l->next = &head;
    head.prev->next = l;
    head.prev = l;
}

void TimerWheel::spliceAll(Link& from, Link& to) {
    if (listEmpty(from)) return;
    from.next->prev = to.prev;
    to.prev->next = from.next;
    from.prev->next = &to;
    to.prev = from.prev;
    from.prev = from.next = &from;
}

uint64_t TimerWheel::tickAtOrAfter(TimePoint when) const {
    auto d = (when - origin_).count();
    if (d <= 0) return 0;
    auto t = tick_.count();
    return (uint64_t)(d / t) + (d % t ? 1 : 0);
}

void TimerWheel::place(Timer& t) {
    if (t.expires_ < next_) {
        t.where_ = kPending;
        append(pending_, &t);
        return;
    }
    uint64_t delta = t.expires_ - next_;
    unsigned level = delta ? (unsigned)(std::bit_width(delta) - 1) / kBits : 0;
    if (level >= kLevels) level = kLevels - 1;
    // Beyond the top level's reach (2^36 ticks), a timer comes round in its
    // slot once per revolution before its own and is simply placed again.
    unsigned slot = (unsigned)(t.expires_ >> (kBits * level)) & (kSlots - 1);
    t.where_ = (uint16_t)(level * kSlots + slot);
    append(slots_[level][slot], &t);
    occupied_[level] |= uint64_t{1} << slot;
    due_ = std::min(due_, visitTick(level, slot));
}

void TimerWheel::unlink(Timer& t) {
    t.prev->next = t.next;
    t.next->prev = t.prev;
    t.prev = t.next = nullptr;
    if (t.where_ < kPending) {
        unsigned level = t.where_ / kSlots, slot = t.where_ % kSlots;
        if (listEmpty(slots_[level][slot])) occupied_[level] &= ~(uint64_t{1} << slot);
    }
}

void TimerWheel::armAt(Timer& t, TimePoint when) {
    if (t.wheel_) t.wheel_->cancel(t);
    t.wheel_ = this;
    t.expires_ = tickAtOrAfter(when);
    count_++;
    place(t);
}

void TimerWheel::cancel(Timer& t) {
    if (t.wheel_ != this) return;
    unlink(t);
    t.wheel_ = nullptr;
    count_--;
}

// The first block of a level that starts at or after next_ (level 0: next_
// itself): its slot is the next one of the level that is visited.
static uint64_t firstBlock(uint64_t next, unsigned shift) {
    return shift && next ? ((next - 1) >> shift) + 1 : next;
}

// The tick at which advance() next visits a slot.
uint64_t TimerWheel::visitTick(unsigned level, unsigned slot) const {
    unsigned shift = kBits * level;
    uint64_t block = firstBlock(next_, shift);
    return (block + ((slot - (unsigned)block) & (kSlots - 1))) << shift;
}

uint64_t TimerWheel::nextWorkTick() const {
    uint64_t best = std::numeric_limits<uint64_t>::max();
    for (unsigned level = 0; level < kLevels; level++) {
        if (!occupied_[level]) continue;
        unsigned shift = kBits * level;
        uint64_t block = firstBlock(next_, shift);
        unsigned from = (unsigned)block & (kSlots - 1);
        unsigned ahead = (unsigned)std::countr_zero(std::rotr(occupied_[level], (int)from));
        uint64_t at = (block + ahead) << shift;
        if (at < best) best = at;
    }
    return best;
}

void TimerWheel::cascade(unsigned level, unsigned slot) {
    Link& head = slots_[level][slot];
    if (listEmpty(head)) return;
    Link moving;
    moving.prev = moving.next = &moving;
    spliceAll(head, moving);
    occupied_[level] &= ~(uint64_t{1} << slot);
    while (!listEmpty(moving)) {
        Timer* t = timerOf(moving.next);
        moving.next = t->next;
        t->next->prev = &moving;
        place(*t);
    }
}

size_t TimerWheel::fireAll() {
    size_t fired = 0;
    while (!listEmpty(firing_)) {
        Timer* t = timerOf(firing_.next);
        unlink(*t);
        t->wheel_ = nullptr;
        count_--;
        fired++;
        // Unlinked and unarmed before the call: the callback may re-arm or
        // destroy it, and any other timer it cancels leaves firing_ too.
        if (t->callback_) t->callback_();
    }
    return fired;
}

size_t TimerWheel::advance(TimePoint now) {
    if (advancing_) return 0;  // from a callback: the outer call carries on
    auto d = (now - origin_).count();
    if (count_ == 0) {
        // Keep next_ close to now, so the next timer armed lands low.
        if (d >= 0 && (uint64_t)(d / tick_.count()) + 1 > next_)
            next_ = (uint64_t)(d / tick_.count()) + 1;
        due_ = UINT64_MAX;
        return 0;
    }
    bool nothingPending = listEmpty(pending_) && listEmpty(firing_);
    if (nothingPending && (d < 0 || (uint64_t)(d / tick_.count()) < due_)) return 0;
    advancing_ = true;
    struct Done {
        bool& flag;
        ~Done() { flag = false; }
    } done{advancing_};
    auto markFiring = [this](Link& head) {
        for (Link* l = head.next; l != &head; l = l->next) timerOf(l)->where_ = kFiring;
        spliceAll(head, firing_);
    };
    // What was armed already due since the last call, and what a throwing
    // callback left behind.
    markFiring(pending_);
    size_t fired = fireAll();
    if (d < 0) return fired;
    uint64_t target = (uint64_t)(d / tick_.count());  // ticks up to here are due
    while (next_ <= target) {
        uint64_t t = nextWorkTick();
        due_ = t;
        if (t > target) break;
        next_ = t;
        if ((t & (kSlots - 1)) == 0) {
            for (unsigned level = 1; level < kLevels; level++) {
                unsigned slot = (unsigned)(t >> (kBits * level)) & (kSlots - 1);
                cascade(level, slot);
                if (slot) break;
            }
        }
        Link& due = slots_[0][t & (kSlots - 1)];
        occupied_[0] &= ~(uint64_t{1} << (t & (kSlots - 1)));
        markFiring(due);
        next_ = t + 1;
        fired += fireAll();
    }
    if (next_ <= target) next_ = target + 1;
    due_ = nextWorkTick();
    return fired;
}

std::optional<TimerWheel::TimePoint> TimerWheel::nextExpiry() const {
    if (count_ == 0) return std::nullopt;
    if (!listEmpty(pending_) || !listEmpty(firing_))
        return origin_ + tick_ * (int64_t)next_ - tick_;
    // Exact even after cancels (due_ may be early then): the loop asks only
    // when it is about to sleep.
    uint64_t t = nextWorkTick();
    if (t == UINT64_MAX) return std::nullopt;
    return origin_ + tick_ * (int64_t)t;
}

}  // namespace ngm::net
