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
    UdpSocket(UdpSocket&& o) noexcept
        : fd_(o.fd_), local_(o.local_), tosSet_(o.tosSet_), reusePort_(o.reusePort_) {
        o.fd_ = -1;
    }
    UdpSocket& operator=(UdpSocket&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = o.fd_;
            local_ = o.local_;
            tosSet_ = o.tosSet_;
            reusePort_ = o.reusePort_;
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

    // For a socket kept bound between calls (net::PortPool):
    // resetCallOptions() undoes what a call may have set: TOS back to the
    // OS default, SO_REUSEPORT off (system calls only for what was set).
    bool resetCallOptions();
    // park() connects the socket to its own address, so that no datagram
    // from anyone else is queued while it waits (the kernel answers them as
    // for a closed port); unpark() disconnects it again (the port stays).
    // False when the system call failed.
    bool park();
    bool unpark();
    // Reads and drops every datagram queued on the socket; how many.
    size_t drain();
    // drain() for both sockets of a pair, after one poll() for which need it.
    static size_t drainPair(UdpSocket& a, UdpSocket& b);

private:
    int fd_ = -1;
    Endpoint local_;
    bool tosSet_ = false;             // setTos() was called since bind or park
    mutable bool reusePort_ = false;  // openTwin() turned SO_REUSEPORT on
};

}  // namespace ngm::net
