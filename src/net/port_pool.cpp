#include "net/port_pool.h"

namespace ngm::net {

PortPool::PortPool(IpAddress address, int portMin, int portMax)
    : address_(address), portMin_(portMin + (portMin & 1)), portMax_(portMax) {
    if (portMax_ < portMin_ + 1) portMax_ = portMin_ + 1;
    used_.assign(portMax_ - portMin_ + 1, 0);
    next_ = portMin_;
}

std::optional<SocketPair> PortPool::allocatePair() {
    std::lock_guard lk(mutex_);
    const int pairs = (portMax_ - portMin_ + 1) / 2;
    for (int tried = 0; tried < pairs; tried++) {
        int port = next_;
        next_ += 2;
        if (next_ + 1 > portMax_) next_ = portMin_;
        if (port + 1 > portMax_) continue;
        size_t i = port - portMin_;
        if (used_[i] || used_[i + 1]) continue;
        SocketPair p;
        if (!p.rtp.bind(Endpoint{address_, (uint16_t)port})) continue;
        if (!p.rtcp.bind(Endpoint{address_, (uint16_t)(port + 1)})) continue;
        used_[i] = used_[i + 1] = 1;
        inUse_ += 2;
        last_ = port;
        return p;
    }
    return std::nullopt;
}

void PortPool::release(uint16_t port) {
    std::lock_guard lk(mutex_);
    if (port < portMin_ || port > portMax_) return;
    auto& u = used_[port - portMin_];
    if (u) {
        u = 0;
        inUse_--;
    }
}

void PortPool::releasePair(SocketPair& pair) {
    // Close before un-marking so a concurrent allocation never fails to bind.
    int rtp = pair.rtp.isOpen() ? pair.rtp.local().port : -1;
    int rtcp = pair.rtcp.isOpen() ? pair.rtcp.local().port : -1;
    pair.rtp.close();
    pair.rtcp.close();
    if (rtp >= 0) release((uint16_t)rtp);
    if (rtcp >= 0) release((uint16_t)rtcp);
}

size_t PortPool::inUse() const {
    std::lock_guard lk(mutex_);
    return inUse_;
}

int PortPool::lastAllocated() const {
    std::lock_guard lk(mutex_);
    return last_;
}

}  // namespace ngm::net
