// ng over UDP and TCP: the listeners read requests, hand them to the
// dispatcher (NgDispatcher::handleAsync) and write the replies.
#pragma once

#include <memory>
#include <vector>

#include "control/ng_dispatcher.h"
#include "net/address.h"
#include "net/udp_socket.h"
#include "session/worker.h"

namespace ngm::control {

// UDP: the socket is polled by every media worker's loop (EPOLLEXCLUSIVE,
// so one wakes per datagram); a request for a call on that worker runs
// there without any hand-off, others are posted to their worker, which
// sends the reply itself.
class NgUdpListener {
public:
    NgUdpListener(NgDispatcher& d, session::WorkerPool& workers, int tos);
    ~NgUdpListener();
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot bind
    // Stop the workers before destroying a listener.
    // The address it is bound to (the kernel's port when started on port 0).
    const net::Endpoint& local() const { return socket_.local(); }
    // The TOS of the replies from now on (CLI `set controltos`).
    void setTos(int tos) { socket_.setTos(tos); }

private:
    struct Reader;
    NgDispatcher& dispatcher_;
    session::WorkerPool& workers_;
    int tos_;
    net::UdpSocket socket_;
    std::vector<std::unique_ptr<Reader>> readers_;
};

// TCP: a stream of "COOKIE BENCODED-DICT" (or "COOKIE {JSON}") messages
// per connection (framed by NgStream). The listener runs an EventLoop on a
// thread of its own, one PollHandler per connection; commands run where
// handleAsync sends them and their replies come back to that loop.
class NgTcpListener {
public:
    explicit NgTcpListener(NgDispatcher& d);
    ~NgTcpListener();
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot listen
    void stop();
    // The address it listens on (the kernel's port when started on port 0).
    const net::Endpoint& local() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ngm::control
