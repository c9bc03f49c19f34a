// The packet path's view of the network: datagrams handed in one at a time,
// sends queued for the round. Two backends sit behind it in the event loop:
// io_uring (net/uring.h) and epoll with recvmmsg/sendmmsg batches
// (net/epoll_datagrams.h). media/ sees only this interface, so it makes no
// system call of its own and the same stages run whatever the backend.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace ngm::net {

// One received datagram. `data` may be modified in place, up to `capacity`
// bytes (room for an SRTP tag); it is valid only during onDatagram.
struct Datagram {
    uint8_t* data = nullptr;
    size_t len = 0;
    size_t capacity = 0;
    bool truncated = false;
    const sockaddr* from = nullptr;
};

class DatagramHandler {
  public:
    virtual ~DatagramHandler() = default;
    virtual void onDatagram(Datagram& d) = 0;
};

class DatagramIo {
  public:
    virtual ~DatagramIo() = default;
    // Registers a datagram socket: its datagrams go to `h` on the loop
    // thread. False when it could not be registered at all.
    virtual bool addDatagram(int fd, DatagramHandler* h) = 0;
    virtual void removeDatagram(int fd) = 0;
    // Sends a datagram from `fd` (`toLen` 0: to its connected peer). Queued
    // with the round's other sends where the backend batches them, at once
    // otherwise; the bytes are copied or sent before the current handler
    // returns control to the loop. `errors`, if given, counts a failed send
    // and must stay valid until removeDatagram(fd). False if it failed at once.
    virtual bool sendTo(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                        uint64_t* errors = nullptr) = 0;
    // Connected "twin" sockets pay off only where sends are queued on a ring.
    virtual bool usesIoUring() const = 0;
};

}  // namespace ngm::net
