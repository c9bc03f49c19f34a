// The ng retransmission cache on its own: what counts as a retransmission,
// how long a reply is kept, and the bound on its size.
#include "control/reply_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace ngm::control {
namespace {

using namespace std::chrono_literals;
using State = ReplyCache::State;

net::Endpoint endpoint(const char* addr, uint16_t port) {
    return net::Endpoint{*net::IpAddress::parse(addr), port};
}

const ReplyCache::Clock::time_point t0 = ReplyCache::Clock::time_point{} + 1000s;

TEST(ReplyCache, FirstCopyIsNewAndRepeatWhileRunningIsInProgress) {
    ReplyCache cache(30s);
    std::string key = ReplyCache::keyFor("c1", endpoint("192.0.2.1", 5000));
    EXPECT_EQ(cache.begin(key, t0).state, State::New);
    EXPECT_EQ(cache.begin(key, t0).state, State::InProgress);
    EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplyCache, RetransmissionAfterCompletionGetsTheSameReply) {
    ReplyCache cache(30s);
    std::string key = ReplyCache::keyFor("c1", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(key, t0).state, State::New);
    cache.complete(key, "c1 d6:result4:ponge");
    ReplyCache::Lookup again = cache.begin(key, t0 + 5s);
    EXPECT_EQ(again.state, State::Done);
    EXPECT_EQ(again.reply, "c1 d6:result4:ponge");
}

TEST(ReplyCache, CountsHitsMissesInProgressAndEvictions) {
    ReplyCache cache(30s, 2);
    std::string a = ReplyCache::keyFor("a", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(a, t0).state, State::New);
    ASSERT_EQ(cache.begin(a, t0).state, State::InProgress);
    cache.complete(a, "a d6:result4:ponge");
    ASSERT_EQ(cache.begin(a, t0).state, State::Done);
    ASSERT_EQ(cache.begin(a, t0).state, State::Done);
    for (const char* c : {"b", "c", "d"})
        cache.begin(ReplyCache::keyFor(c, endpoint("192.0.2.1", 5000)), t0);
    ReplyCache::Counts n = cache.counts();
    EXPECT_EQ(n.misses, 4u);
    EXPECT_EQ(n.inProgress, 1u);
    EXPECT_EQ(n.hits, 2u);
    EXPECT_GE(n.evicted, 1u) << "the size bound of 2 dropped young entries";
    cache.purge(t0 + 60s);
    EXPECT_EQ(cache.counts().evicted, n.evicted) << "expiry is no eviction";
}

TEST(ReplyCache, SameCookieFromAnotherSourceIsNotAHit) {
    ReplyCache cache(30s);
    std::string a = ReplyCache::keyFor("c1", endpoint("192.0.2.1", 5000));
    std::string otherPort = ReplyCache::keyFor("c1", endpoint("192.0.2.1", 5001));
    std::string otherAddr = ReplyCache::keyFor("c1", endpoint("192.0.2.2", 5000));
    ASSERT_EQ(cache.begin(a, t0).state, State::New);
    cache.complete(a, "c1 reply");
    EXPECT_EQ(cache.begin(otherPort, t0).state, State::New);
    EXPECT_EQ(cache.begin(otherAddr, t0).state, State::New);
    EXPECT_EQ(cache.size(), 3u);
}

TEST(ReplyCache, ReplyExpiresAfterTheLifetime) {
    ReplyCache cache(30s);
    std::string key = ReplyCache::keyFor("c1", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(key, t0).state, State::New);
    cache.complete(key, "c1 reply");
    EXPECT_EQ(cache.begin(key, t0 + 30s).state, State::Done);  // not past the lifetime yet
    cache.purge(t0 + 31s);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.begin(key, t0 + 31s).state, State::New);
}

TEST(ReplyCache, LookupPurgesExpiredEntriesOnceASecond) {
    ReplyCache cache(30s);
    std::string old = ReplyCache::keyFor("old", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(old, t0).state, State::New);
    cache.complete(old, "old reply");
    std::string fresh = ReplyCache::keyFor("fresh", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(fresh, t0 + 40s).state, State::New);
    EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplyCache, OldestEntriesGoBeyondTheSizeBound) {
    ReplyCache cache(30s, 3);
    auto key = [](int i) {
        return ReplyCache::keyFor("c" + std::to_string(i), endpoint("192.0.2.1", 5000));
    };
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(cache.begin(key(i), t0).state, State::New);
        cache.complete(key(i), "reply " + std::to_string(i));
    }
    cache.purge(t0);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.begin(key(4), t0).state, State::Done);
    EXPECT_EQ(cache.begin(key(2), t0).state, State::Done);
    EXPECT_EQ(cache.begin(key(0), t0).state, State::New);  // evicted, runs again
}

TEST(ReplyCache, CompletingAnEvictedEntryStoresNothing) {
    ReplyCache cache(30s, 1);
    std::string a = ReplyCache::keyFor("a", endpoint("192.0.2.1", 5000));
    std::string b = ReplyCache::keyFor("b", endpoint("192.0.2.1", 5000));
    ASSERT_EQ(cache.begin(a, t0).state, State::New);
    ASSERT_EQ(cache.begin(b, t0).state, State::New);
    cache.purge(t0);  // over the bound: `a` goes while in progress
    cache.complete(a, "a reply");
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.begin(b, t0).state, State::InProgress);
}

}  // namespace
}  // namespace ngm::control
