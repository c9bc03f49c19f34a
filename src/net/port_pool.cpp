#include "net/port_pool.h"

#include <algorithm>
#include <cerrno>

namespace ngm::net {

PortPool::PortPool(IpAddress address, int portMin, int portMax, size_t busyAllocations)
    : address_(address), portMin_(portMin + (portMin & 1)), portMax_(portMax), busyAt_(busyAllocations) {
    if (portMax_ < portMin_ + 1) portMax_ = portMin_ + 1;
    used_.assign(portMax_ - portMin_ + 1, Free);
    next_ = portMin_;
    maxIdle_ = std::min(kMaxIdlePairs, capacity() / 4);
    // Reuse starts when half the idle room is taken: then a pair waits, idle,
    // for at least that many releases before it serves again.
    reuseAt_ = std::max<size_t>(1, maxIdle_ / 2);
}

std::optional<SocketPair> PortPool::takeIdleLocked() {
    while (!idle_.empty()) {
        IdlePair p = std::move(idle_.front());
        idle_.pop_front();
        int port = p.sockets.rtp.local().port;
        size_t i = port - portMin_;
        if (p.parked) {
            parked_--;
            // Parked, it queued nothing since it was drained.
            if (!p.sockets.rtp.unpark() || !p.sockets.rtcp.unpark()) {
                closeIdleLocked(p);
                continue;
            }
        } else {
            // Whatever reached it while idle is not the new call's.
            UdpSocket::drainPair(p.sockets.rtp, p.sockets.rtcp);
        }
        used_[i] = used_[i + 1] = Used;
        inUse_ += 2;
        last_ = port;
        return std::move(p.sockets);
    }
    return std::nullopt;
}

void PortPool::closeIdleLocked(IdlePair& p) {
    int port = p.sockets.rtp.local().port;
    p.sockets.rtp.close();
    p.sockets.rtcp.close();
    size_t i = port - portMin_;
    used_[i] = used_[i + 1] = Free;
}

std::optional<SocketPair> PortPool::allocatePair() {
    std::lock_guard lk(mutex_);
    allocsNow_++;
    if (idle_.size() >= reuseAt_)
        if (auto p = takeIdleLocked()) return p;
    const int pairs = (portMax_ - portMin_ + 1) / 2;
    for (int tried = 0; tried < pairs; tried++) {
        int port = next_;
        next_ += 2;
        if (next_ + 1 > portMax_) next_ = portMin_;
        if (port + 1 > portMax_) continue;
        size_t i = port - portMin_;
        if (used_[i] || used_[i + 1]) continue;
        SocketPair p;
        if (!p.rtp.bind(Endpoint{address_, (uint16_t)port}) ||
            !p.rtcp.bind(Endpoint{address_, (uint16_t)(port + 1)})) {
            // Out of descriptors: an idle pair needs none.
            if ((errno == EMFILE || errno == ENFILE) && !idle_.empty()) break;
            continue;
        }
        used_[i] = used_[i + 1] = Used;
        inUse_ += 2;
        last_ = port;
        return p;
    }
    // Nothing free left to bind: the idle pairs are all there is.
    return takeIdleLocked();
}

void PortPool::release(uint16_t port) {
    std::lock_guard lk(mutex_);
    if (port < portMin_ || port > portMax_) return;
    auto& u = used_[port - portMin_];
    if (u == Used) {
        u = Free;
        inUse_--;
    }
}

void PortPool::releasePair(SocketPair& pair) {
    int rtp = pair.rtp.isOpen() ? pair.rtp.local().port : -1;
    int rtcp = pair.rtcp.isOpen() ? pair.rtcp.local().port : -1;
    if (rtp >= portMin_ && rtp + 1 <= portMax_ && (rtp & 1) == 0 && rtcp == rtp + 1 &&
        pair.rtp.local().address == address_) {
        std::unique_lock lk(mutex_);
        size_t i = rtp - portMin_;
        if (busyLocked() && idle_.size() < maxIdle_ && used_[i] == Used && used_[i + 1] == Used) {
            lk.unlock();
            bool ok = pair.rtp.resetCallOptions() & pair.rtcp.resetCallOptions();
            lk.lock();
            if (ok && idle_.size() < maxIdle_ && used_[i] == Used && used_[i + 1] == Used) {
                used_[i] = used_[i + 1] = Idle;
                inUse_ -= 2;
                idle_.push_back(IdlePair{std::move(pair), Clock::now()});
                return;
            }
        }
    }
    // Close before un-marking so a concurrent allocation never fails to bind.
    pair.rtp.close();
    pair.rtcp.close();
    if (rtp >= 0) release((uint16_t)rtp);
    if (rtcp >= 0) release((uint16_t)rtcp);
}

void PortPool::trimIdle(Clock::time_point now, Clock::duration lifetime, Clock::duration parkAfter) {
    std::lock_guard lk(mutex_);
    bool quiet = allocsNow_ == 0;
    allocsBefore_ = allocsNow_;
    allocsNow_ = 0;
    while (!idle_.empty() &&
           (quiet || lifetime <= Clock::duration::zero() || now - idle_.front().since >= lifetime)) {
        if (idle_.front().parked) parked_--;
        closeIdleLocked(idle_.front());
        idle_.pop_front();
    }
    if (idle_.empty()) {
        decltype(idle_)().swap(idle_);
        return;
    }
    // Released in order, so the ones to park follow the parked ones.
    while (parked_ < idle_.size() && now - idle_[parked_].since >= parkAfter) {
        IdlePair& p = idle_[parked_];
        if (!p.sockets.rtp.park() || !p.sockets.rtcp.park()) {
            closeIdleLocked(p);
            idle_.erase(idle_.begin() + (ptrdiff_t)parked_);
            continue;
        }
        UdpSocket::drainPair(p.sockets.rtp, p.sockets.rtcp);
        p.parked = true;
        parked_++;
    }
}

bool PortPool::busy() const {
    std::lock_guard lk(mutex_);
    return busyLocked();
}

size_t PortPool::parkedPairs() const {
    std::lock_guard lk(mutex_);
    return parked_;
}

size_t PortPool::inUse() const {
    std::lock_guard lk(mutex_);
    return inUse_;
}

size_t PortPool::idlePairs() const {
    std::lock_guard lk(mutex_);
    return idle_.size();
}

int PortPool::lastAllocated() const {
    std::lock_guard lk(mutex_);
    return last_;
}

}  // namespace ngm::net
