#include "control/reply_cache.h"

#include "common/memory.h"

namespace ngm::control {

std::string ReplyCache::keyFor(std::string_view cookie, const net::Endpoint& from) {
    std::string key(cookie);
    key += '|';
    key += from.toString();
    return key;
}

ReplyCache::Lookup ReplyCache::begin(const std::string& key, Clock::time_point now) {
    std::lock_guard lk(mutex_);
    if (now - lastPurge_ > std::chrono::seconds(1) || order_.size() > maxEntries_) purgeLocked(now);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        if (!it->second.done) return {State::InProgress, {}};
        return {State::Done, it->second.reply};
    }
    entries_.emplace(key, Entry{{}, false});
    order_.emplace_back(now, key);
    return {};
}

void ReplyCache::complete(const std::string& key, const std::string& reply) {
    std::lock_guard lk(mutex_);
    // (Gone already if the size bound evicted it while in progress.)
    auto it = entries_.find(key);
    if (it != entries_.end()) {
        it->second.reply = reply;
        it->second.done = true;
    }
}

void ReplyCache::purge(Clock::time_point now) {
    std::lock_guard lk(mutex_);
    purgeLocked(now);
}

size_t ReplyCache::size() const {
    std::lock_guard lk(mutex_);
    return entries_.size();
}

void ReplyCache::purgeLocked(Clock::time_point now) {
    size_t freed = 0;
    while (!order_.empty() &&
           (now - order_.front().first > lifetime_ || order_.size() > maxEntries_)) {
        entries_.erase(order_.front().second);
        order_.pop_front();
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
