// Port range of one local address: hands out RTP/RTCP pairs (even/odd).
//
// While the pool is busy (at least busyAllocations() pairs handed out since
// the previous trimIdle(), i.e. within about a second, or in the second
// before), released pairs are not closed at once: up to maxIdlePairs() of them stay
// bound ("idle"), with the options a call set reset, and a later allocation
// takes the oldest of them instead of creating, binding and later closing
// two sockets. An idle port stays reserved: no other process can bind it.
// What an idle socket received is drained (poll, then read) when it is
// handed out again, so a call never reads a datagram queued before it got
// the port. Idle pairs that wait longer than kParkAfter are parked
// (UdpSocket::park: connected to themselves, so nothing more is queued and
// senders get ICMP port unreachable as from a closed port, then drained);
// after kIdleLifetime they are closed, and all of them once a whole
// trimIdle() interval passed without an allocation. All three happen in
// trimIdle(), which the daemon runs once a second. A pool that is not busy
// closes what is released, as before: a few calls a second never leave a
// port bound after its call.
// While fewer than reuseThreshold() pairs are idle, allocation walks the
// range round-robin as before (skipping idle ports), so a quiet daemon
// hands out the ports rtpengine would; under load the idle pairs are taken
// oldest first, each after at least reuseThreshold() other releases.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "net/udp_socket.h"

namespace ngm::net {

struct SocketPair {
    UdpSocket rtp, rtcp;
};

class PortPool {
public:
    using Clock = std::chrono::steady_clock;
    // Pairs kept idle at most: a quarter of the range, at most this many.
    static constexpr size_t kMaxIdlePairs = 2048;
    // How long trimIdle() lets an idle pair wait unparked, and at all.
    static constexpr std::chrono::seconds kParkAfter{1};
    static constexpr std::chrono::seconds kIdleLifetime{10};

    // Allocations per trimIdle() interval from which released pairs are kept.
    static constexpr size_t kBusyAllocations = 64;

    PortPool(IpAddress address, int portMin, int portMax,
             size_t busyAllocations = kBusyAllocations);

    // An even RTP port and the odd port above it, both bound. Ports that
    // another process holds are skipped. nullopt when the range is exhausted.
    std::optional<SocketPair> allocatePair();
    // Marks one port free (its socket closed by the caller).
    void release(uint16_t port);
    // Gives a pair back: kept idle for reuse when there is room, else closed.
    // Either way `pair` is left closed.
    void releasePair(SocketPair& pair);
    // Closes the pairs idle since before `now - lifetime` (all with zero, or
    // when nothing was allocated since the previous call), parks those idle
    // since before `now - parkAfter`; starts a new interval for busy().
    void trimIdle(Clock::time_point now, Clock::duration lifetime = kIdleLifetime,
                  Clock::duration parkAfter = kParkAfter);

    // Ports held by calls (idle ports are not counted).
    size_t inUse() const;
    // Pairs kept idle; of them parked.
    size_t idlePairs() const;
    size_t parkedPairs() const;
    size_t capacity() const { return (portMax_ - portMin_ + 1) / 2; }
    size_t maxIdlePairs() const { return maxIdle_; }
    size_t reuseThreshold() const { return reuseAt_; }
    size_t busyAllocations() const { return busyAt_; }
    // Whether released pairs are kept now.
    bool busy() const;
    int portMin() const { return portMin_; }
    int portMax() const { return portMax_; }
    // The RTP port of the latest pair handed out; 0 before the first.
    int lastAllocated() const;
    const IpAddress& address() const { return address_; }

private:
    enum : uint8_t { Free = 0, Used = 1, Idle = 2 };
    struct IdlePair {
        SocketPair sockets;
        Clock::time_point since;
        bool parked = false;
    };
    std::optional<SocketPair> takeIdleLocked();
    void closeIdleLocked(IdlePair& p);

    IpAddress address_;
    int portMin_, portMax_;  // portMin_ even
    mutable std::mutex mutex_;
    std::vector<uint8_t> used_;  // index = port - portMin_: Free, Used or Idle
    int next_;
    size_t inUse_ = 0;
    int last_ = 0;
    std::deque<IdlePair> idle_;  // oldest first; the parked ones first of all
    size_t parked_ = 0;
    size_t busyAt_;
    size_t allocsNow_ = 0, allocsBefore_ = 0;  // in this trimIdle() interval and the one before
    bool busyLocked() const { return allocsNow_ >= busyAt_ || allocsBefore_ >= busyAt_; }
    size_t maxIdle_, reuseAt_;
};

}  // namespace ngm::net
