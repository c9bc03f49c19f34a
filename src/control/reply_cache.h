// The ng retransmission cache: a request repeated with the same cookie from
// the same source gets the first copy's reply instead of running again.
// Thread-safe; any surface may read its size.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "net/address.h"

namespace ngm::control {

class ReplyCache {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr size_t kDefaultMaxEntries = 200000;

    explicit ReplyCache(std::chrono::seconds lifetime, size_t maxEntries = kDefaultMaxEntries)
        : lifetime_(lifetime), maxEntries_(maxEntries) {}

    // The key of a request: its cookie and where it came from (the same
    // cookie from another source is another request). Binary: the cookie,
    // then the address bytes and the port, no text formatting.
    static std::string keyFor(std::string_view cookie, const net::Endpoint& from);

    enum class State { New, InProgress, Done };
    struct Lookup {
        State state = State::New;
        std::string reply;  // when Done
    };
    // Looks `key` up at `now`; when it is unknown, records it as in progress
    // (State::New: the caller runs the request and calls complete()).
    // Purges first when a second has passed or the size bound is exceeded.
    Lookup begin(const std::string& key, Clock::time_point now);
    // Stores the reply of a request begin() returned New for (dropped when
    // the entry has been evicted meanwhile).
    void complete(const std::string& key, std::string reply);
    // Drops expired entries and the oldest beyond the size bound.
    void purge(Clock::time_point now);

    size_t size() const;
    // Lookups since start by what they found (under the same lock).
    struct Counts {
        uint64_t hits = 0;        // a retransmission answered from the cache
        uint64_t inProgress = 0;  // a retransmission of a request still running (not answered)
        uint64_t misses = 0;      // a new request
        uint64_t evicted = 0;     // entries dropped by the size bound before they expired
    };
    Counts counts() const;

  private:
    struct Entry {
        std::string reply;
        bool done = false;
    };
    // Lookups by string_view too (the arrival-order queue holds views of
    // the map's own keys, which stay put while their node lives).
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    void purgeLocked(Clock::time_point now);

    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
    // Keys in arrival order, for expiry and for the size bound (a flood of
    // unique cookies must not grow memory without limit).
    std::deque<std::pair<Clock::time_point, std::string_view>> order_;
    std::chrono::seconds lifetime_;
    size_t maxEntries_;
    Clock::time_point lastPurge_;
    size_t freedSinceTrim_ = 0;
    Counts counts_;  // cached replies dropped since memory was last given back
};

}  // namespace ngm::control
