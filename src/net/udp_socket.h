// Owned UDP socket bound to a local endpoint.
#pragma once

#include <cstdint>
#include <string>

#include "net/address.h"

namespace ngm::net {

class UdpSocket {
public:
    UdpSocket() = default;
    ~UdpSocket() { close(); }
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;
    UdpSocket(UdpSocket&& o) noexcept : fd_(o.fd_), local_(o.local_) { o.fd_ = -1; }
    UdpSocket& operator=(UdpSocket&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = o.fd_;
            local_ = o.local_;
            o.fd_ = -1;
        }
        return *this;
    }

    // Non-blocking socket bound to `local`. Returns false (errno set) on failure.
    bool bind(const Endpoint& local, bool reuseAddr = false);
    void close();
    bool isOpen() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const Endpoint& local() const { return local_; }
    // IP_TOS, or the traffic class on an IPv6 socket.
    void setTos(int tos);
    // SO_RCVBUF; the kernel may round or cap it. False (errno set) on failure.
    bool setReceiveBuffer(int bytes);
    // Opens `twin` on this socket's local address and port, connected to
    // `peer` (both get SO_REUSEPORT; this one only now, so the port was ours
    // alone when it was allocated). The kernel prefers the connected socket
    // for the peer's datagrams, and sending through it needs no route lookup.
    // The twin gets this socket's TOS. Fails rather than take a descriptor
    // above `maxFd`, so twins never starve the allocation of call ports.
    bool openTwin(UdpSocket& twin, const Endpoint& peer, int maxFd) const;

private:
    int fd_ = -1;
    Endpoint local_;
};

}  // namespace ngm::net
