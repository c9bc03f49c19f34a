// ng over UDP and TCP: each listener has its own thread that reads
// requests, hands them to the dispatcher and writes the replies.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "control/ng_dispatcher.h"
#include "net/address.h"

namespace ngm::control {

class NgUdpListener {
public:
    NgUdpListener(NgDispatcher& d, int tos) : dispatcher_(d), tos_(tos) {}
    ~NgUdpListener() { stop(); }
    bool start(const net::Endpoint& ep);  // false (errno set) if it cannot bind
    void stop();

private:
    void run();
    NgDispatcher& dispatcher_;
    int tos_;
    int fd_ = -1;
    int stopFd_ = -1;
    std::thread thread_;
};

// TCP: a stream of "COOKIE BENCODED-DICT" messages; each message's end is
// found by scanning the bencode structure.
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

// Length of the complete bencode value at the start of `in`, 0 if more
// input is needed, -1 if it can never be valid.
long bencodeExtent(std::string_view in, size_t maxDepth = 64);

}  // namespace ngm::control
