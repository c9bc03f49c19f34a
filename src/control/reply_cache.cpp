#include "control/reply_cache.h"

#include "common/memory.h"

namespace ngm::control {

std::string ReplyCache::keyFor(std::string_view cookie, const net::Endpoint& from) {
    const size_t n = from.address.family() == net::Family::V6 ? 16 : 4;
    std::string key;
    key.reserve(cookie.size() + 1 + n + 2);
    key.append(cookie);
    key += '\0';  // (a cookie has no NUL, ng ends it at the first space)
    key.append(reinterpret_cast<const char*>(from.address.bytes()), n);
    key += (char)(from.port >> 8);
    key += (char)(from.port & 0xff);
    return key;
}

ReplyCache::Lookup ReplyCache::begin(const std::string& key, Clock::time_point now) {
    std::lock_guard lk(mutex_);
    if (now - lastPurge_ > std::chrono::seconds(1) || order_.size() > maxEntries_) purgeLocked(now);
    auto [it, inserted] = entries_.try_emplace(key);
    if (!inserted) {
        if (!it->second.done) {
            counts_.inProgress++;
            return {State::InProgress, {}};
        }
        counts_.hits++;
        return {State::Done, it->second.reply};
    }
    counts_.misses++;
    order_.emplace_back(now, std::string_view(it->first));
    return {};
}

void ReplyCache::complete(const std::string& key, std::string reply) {
    std::lock_guard lk(mutex_);
    // (Gone already if the size bound evicted it while in progress.)
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        it->second.reply = std::move(reply);
        it->second.done = true;
    }
}

void ReplyCache::purge(Clock::time_point now) {
    std::lock_guard lk(mutex_);
    purgeLocked(now);
}

ReplyCache::Counts ReplyCache::counts() const {
    std::lock_guard lk(mutex_);
    return counts_;
}

size_t ReplyCache::size() const {
    std::lock_guard lk(mutex_);
    return entries_.size();
}

void ReplyCache::purgeLocked(Clock::time_point now) {
    size_t freed = 0;
    while (!order_.empty() &&
           (now - order_.front().first > lifetime_ || order_.size() > maxEntries_)) {
        if (now - order_.front().first <= lifetime_) counts_.evicted++;
        auto it = entries_.find(order_.front().second);
        order_.pop_front();
        if (it != entries_.end()) entries_.erase(it);
        freed++;
    }
    lastPurge_ = now;
    // Give freed memory back so RSS follows the load: whenever the last
    // cached reply has gone (the replies outlive their calls by the cache
    // lifetime, so the daemon has been idle that long and the calls' memory
    // is free too), once a burst of expiries is over, or after a great many
    // under steady load. Not at every purge of a busy daemon: trimming walks
    // the heap, and the pages are faulted in again.
    freedSinceTrim_ += freed;
    if ((freedSinceTrim_ > 0 && entries_.empty()) ||
        (freedSinceTrim_ > 1000 && (freed == 0 || freedSinceTrim_ > 200000))) {
        if (entries_.empty()) {
            decltype(entries_)().swap(entries_);
            decltype(order_)().swap(order_);
        }
        releaseFreeMemory();
        freedSinceTrim_ = 0;
    }
}

}  // namespace ngm::control
