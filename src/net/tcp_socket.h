// Owned, non-blocking TCP sockets for the control surfaces (ng over TCP
// now; HTTP/WebSocket and the CLI later): a listening socket and a
// connection with an output buffer for what the socket did not take yet.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "net/address.h"

namespace ngm::net {

class TcpConnection {
  public:
    enum class ReadStatus { Data, WouldBlock, Closed };

    TcpConnection() = default;
    // Takes a connected, non-blocking socket.
    TcpConnection(int fd, const Endpoint& peer) : fd_(fd), peer_(peer) {}
    ~TcpConnection() { close(); }
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;
    TcpConnection(TcpConnection&& o) noexcept;
    TcpConnection& operator=(TcpConnection&& o) noexcept;

    // Connects (waiting for it), then makes the socket non-blocking: for
    // clients and tests. False (errno set) on failure.
    bool connect(const Endpoint& peer);

    // Appends at most `max` bytes to `into`. Closed: the peer closed the
    // connection or it failed (errno set for a failure, 0 for an orderly end).
    ReadStatus read(std::string& into, size_t max = 65536);
    // Sends what the socket takes now and keeps the rest, in order, for
    // flush(). False when the connection failed (errno set); what was not
    // sent then stays unsent.
    bool write(std::string_view data);
    // Sends as much of the kept output as the socket takes. False on failure.
    bool flush();
    // Bytes kept by write() and not sent yet.
    size_t pending() const { return out_.size() - sent_; }

    void close();
    bool isOpen() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const Endpoint& peer() const { return peer_; }

  private:
    int fd_ = -1;
    Endpoint peer_;
    std::string out_;
    size_t sent_ = 0;  // of out_
};

class TcpListener {
  public:
    TcpListener() = default;
    ~TcpListener() { close(); }
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    // Non-blocking listening socket on `local` (SO_REUSEADDR; an IPv6
    // address takes IPv6 only). Port 0: local() has the kernel's choice.
    // False (errno set) on failure.
    bool listen(const Endpoint& local, int backlog = 64);
    // The next waiting connection, non-blocking and close-on-exec; a closed
    // one when none is waiting (errno EAGAIN) or accepting failed.
    TcpConnection accept();

    void close();
    bool isOpen() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    const Endpoint& local() const { return local_; }

  private:
    int fd_ = -1;
    Endpoint local_;
};

}  // namespace ngm::net
