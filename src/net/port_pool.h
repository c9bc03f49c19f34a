// Port range of one local address: hands out RTP/RTCP pairs (even/odd).
#pragma once

#include <cstdint>
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
    PortPool(IpAddress address, int portMin, int portMax);

    // Binds an even RTP port and the odd port above it. Ports that another
    // process holds are skipped. nullopt when the range is exhausted.
    std::optional<SocketPair> allocatePair();
    void release(uint16_t port);
    void releasePair(SocketPair& pair);

    size_t inUse() const;
    size_t capacity() const { return (portMax_ - portMin_ + 1) / 2; }
    int portMin() const { return portMin_; }
    int portMax() const { return portMax_; }
    // The RTP port of the latest pair handed out; 0 before the first.
    int lastAllocated() const;
    const IpAddress& address() const { return address_; }

private:
    IpAddress address_;
    int portMin_, portMax_;  // portMin_ even
    mutable std::mutex mutex_;
    std::vector<uint8_t> used_;  // index = port - portMin_
    int next_;
    size_t inUse_ = 0;
    int last_ = 0;
};

}  // namespace ngm::net
