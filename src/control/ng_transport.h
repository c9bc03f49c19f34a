// ng over UDP and TCP: each listener has its own thread that reads
// requests, hands them to the dispatcher and writes the replies.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "control/ng_dispatcher.h"
#include "net/address.h"
#include "net/event_loop.h"
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

private:
    struct Reader;
    NgDispatcher& dispatcher_;
    session::WorkerPool& workers_;
    int tos_;
    int fd_ = -1;
    std::vector<std::unique_ptr<Reader>> readers_;
};

// TCP: a stream of "COOKIE BENCODED-DICT" (or "COOKIE {JSON}") messages;
// each message's end is found by scanning its structure.
class NgTcpListener {
public:
    explicit NgTcpListener(NgDispatcher& d) : dispatcher_(d) {}
    ~NgTcpListener() { stop(); }
    bool start(const net::Endpoint& ep);
    void stop();

private:
    void run();
    NgDispatcher& dispatcher_;
    int fd_ = -1;
    int stopFd_ = -1;
    std::thread thread_;
};

}  // namespace ngm::control
