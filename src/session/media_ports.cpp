#include "session/media_ports.h"

#include <algorithm>

namespace ngm::session {

namespace {
// A bound on what a peer that keeps moving can hold: the oldest go.
constexpr size_t kMaxRetiredPairs = 8;
}  // namespace

void MediaPorts::release(const Hooks& hooks) {
    if (!local_) return;
    hooks.detach();
    local_->ports->releasePair(sockets_);
    local_ = nullptr;
    key_.reset();
}

void MediaPorts::releaseAll(const Hooks& hooks) {
    for (auto& r : retired_) r.local->ports->releasePair(r.sockets);
    retired_.clear();
    release(hooks);
}

// Packets that still arrive on a pair kept aside are not read.
void MediaPorts::retire(const Hooks& hooks) {
    if (!local_) return;
    if (!key_) {
        release(hooks);  // no endpoint will ever ask for it again
        return;
    }
    hooks.detach();
    retired_.push_back(Retired{key_, seq_, local_, std::move(sockets_)});
    sockets_ = {};
    local_ = nullptr;
    key_.reset();
    while (retired_.size() > kMaxRetiredPairs) {
        auto oldest = std::min_element(retired_.begin(), retired_.end(),
                                       [](const auto& a, const auto& b) { return a.seq < b.seq; });
        oldest->local->ports->releasePair(oldest->sockets);
        retired_.erase(oldest);
    }
}

// The pair to return to for `ep` among the current one and those kept aside
// on `local`: exact endpoint first, then (zero address, a hold) the newest
// with that port. seq 0 is never used, so 0 = none.
uint32_t MediaPorts::pairFor(const net::Endpoint& ep, const net::LocalInterface* local) const {
    bool current = local_ == local && hasPair();
    uint32_t best = 0;
    auto consider = [&](const std::optional<net::Endpoint>& key, uint32_t seq) {
        if (key && *key == ep) best = seq;
    };
    if (current) consider(key_, seq_);
    for (const auto& r : retired_)
        if (r.local == local) consider(r.key, r.seq);
    if (!best && ep.address.isAny()) {
        auto samePort = [&](const std::optional<net::Endpoint>& key, uint32_t seq) {
            if (key && key->port == ep.port && seq > best) best = seq;
        };
        if (current) samePort(key_, seq_);
        for (const auto& r : retired_)
            if (r.local == local) samePort(r.key, r.seq);
    }
    return best;
}

// Makes the kept-aside pair `seq` on `local` current again.
void MediaPorts::takeBack(uint32_t seq, net::LogicalInterface* li, const net::LocalInterface* local,
                          const Hooks& hooks) {
    auto it = std::find_if(retired_.begin(), retired_.end(),
                           [&](const auto& r) { return r.seq == seq && r.local == local; });
    Retired back = std::move(*it);
    retired_.erase(it);
    retire(hooks);
    sockets_ = std::move(back.sockets);
    local_ = back.local;
    iface_ = li;
    key_ = back.key;
    seq_ = back.seq;
    hooks.attach();
}

// As rtpengine 10.5 hands out ports for owner->endpoint:
//  - the first endpoint seen names ports taken before it was known;
//  - `latch` (`port latching`; ICE media) keeps the current ports, under
//    their old endpoint;
//  - otherwise the pair of exactly that endpoint, if any; for a zero address
//    (hold) the newest pair of an endpoint with the same port;
//  - otherwise a new pair, and the current one is kept aside.
// The media direction plays no part (sendonly or inactive move like sendrecv).
bool MediaPorts::ensure(net::LogicalInterface* li, net::Family family, const PortsOwner* owner,
                        const Hooks& hooks) {
    net::LocalInterface* local = li->forFamily(family);
    if (!local && !li->addresses.empty()) local = li->addresses.front().get();
    if (!local) return false;
    bool current = local_ == local && hasPair();
    if (current && !owner) return true;
    if (current && !key_) {
        key_ = owner->endpoint;
        return true;
    }
    if (current && (owner->latch || *key_ == owner->endpoint)) return true;

    if (owner) {
        uint32_t best = pairFor(owner->endpoint, local);
        if (best && current && best == seq_) return true;
        if (best) {
            takeBack(best, li, local, hooks);
            return true;
        }
    }

    retire(hooks);
    auto pair = local->ports->allocatePair();
    if (!pair) return false;
    sockets_ = std::move(*pair);
    local_ = local;
    iface_ = li;
    if (owner)
        key_ = owner->endpoint;
    else
        key_.reset();
    seq_ = ++nextSeq_;
    hooks.attach();
    return true;
}

}  // namespace ngm::session
