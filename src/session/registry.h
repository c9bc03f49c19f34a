// Call-ids of every call on every worker: the one table shared between
// threads (sharded locks), for `list` and any lookup that must not ask each
// worker in turn.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ngm::session {

class CallRegistry {
public:
    void add(const std::string& callId) {
        auto& s = shard(callId);
        std::lock_guard lk(s.m);
        s.ids.insert(callId);
    }
    void remove(const std::string& callId) {
        auto& s = shard(callId);
        std::lock_guard lk(s.m);
        s.ids.erase(callId);
        if (s.ids.empty()) s.ids.rehash(0);  // an empty shard keeps no bucket array
    }
    std::vector<std::string> list(size_t limit) {
        std::vector<std::string> out;
        for (auto& s : shards_) {
            std::lock_guard lk(s.m);
            for (const auto& id : s.ids) {
                if (out.size() >= limit) return out;
                out.push_back(id);
            }
        }
        return out;
    }

private:
    struct Shard {
        std::mutex m;
        std::unordered_set<std::string> ids;
    };
    Shard& shard(std::string_view id) { return shards_[std::hash<std::string_view>{}(id) % shards_.size()]; }
    std::array<Shard, 16> shards_;
};

}  // namespace ngm::session
