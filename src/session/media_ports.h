// The local ports of one media section towards one side: the current pair
// and the pairs it held before and may get back. Ports belong to the
// endpoint the other side advertised when they were handed out
// (rtpengine's "endpoint maps").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "net/address.h"
#include "net/interface.h"
#include "net/port_pool.h"

namespace ngm::session {

// Where an SDP's sender is: the ports towards its receiver belong to it.
struct PortsOwner {
    net::Endpoint endpoint;  // the sender's advertised RTP endpoint
    bool latch = false;      // keep the current ports even if it moved
};

class MediaPorts {
  public:
    // What the user of the ports does when the current pair changes:
    // `detach` before the current pair is put aside or released, `attach`
    // once a new current pair is in place.
    struct Hooks {
        std::function<void()> detach, attach;
    };

    MediaPorts() = default;
    MediaPorts(const MediaPorts&) = delete;
    MediaPorts& operator=(const MediaPorts&) = delete;

    // Makes sure the current pair is on `li` in `family` (or the interface's
    // first address). Without `owner` (the sender's own side) the pair stays
    // as long as the local address does; with it, the pair is the one handed
    // out for owner->endpoint (see media_ports.cpp). False when no port
    // could be had.
    bool ensure(net::LogicalInterface* li, net::Family family, const PortsOwner* owner,
                const Hooks& hooks);
    // Gives up the current pair: kept aside when it belongs to an endpoint,
    // released otherwise.
    void retire(const Hooks& hooks);
    // Returns the current pair to its pool.
    void release(const Hooks& hooks);
    // The current pair and every one kept aside.
    void releaseAll(const Hooks& hooks);
    // The current pair belongs to no endpoint yet: the next owner names it.
    void forgetOwner() { key_.reset(); }

    bool hasPair() const { return sockets_.rtp.isOpen(); }
    net::SocketPair& sockets() { return sockets_; }
    const net::SocketPair& sockets() const { return sockets_; }
    // The local address of the current pair; null without one.
    net::LocalInterface* local() const { return local_; }
    // The logical interface of the last pair taken (kept after a release,
    // so that new ports come from the same place).
    net::LogicalInterface* iface() const { return iface_; }
    // Creation order of the current pair among this media's pairs (from 1),
    // and of the newest pair ever taken.
    uint32_t seq() const { return seq_; }
    uint32_t newestSeq() const { return nextSeq_; }
    size_t retiredCount() const { return retired_.size(); }

  private:
    struct Retired {
        std::optional<net::Endpoint> key;
        uint32_t seq = 0;
        net::LocalInterface* local = nullptr;
        net::SocketPair sockets;
    };
    uint32_t pairFor(const net::Endpoint& ep, const net::LocalInterface* local) const;
    void takeBack(uint32_t seq, net::LogicalInterface* li, const net::LocalInterface* local,
                  const Hooks& hooks);

    net::SocketPair sockets_;
    net::LocalInterface* local_ = nullptr;
    net::LogicalInterface* iface_ = nullptr;
    // The other side's advertised RTP endpoint that the current pair was
    // handed out for (none yet when it was taken before that side's SDP).
    std::optional<net::Endpoint> key_;
    uint32_t seq_ = 0, nextSeq_ = 0;
    // Pairs given up when the other side moved, kept (off the loop) until
    // the media goes.
    std::vector<Retired> retired_;
};

}  // namespace ngm::session
