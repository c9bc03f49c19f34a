// The epoll backend of the datagram path: a readable socket is read in a
// batch with recvmmsg, each datagram goes to its handler, and what the
// handlers send meanwhile leaves with sendmmsg, one call per run of the
// same socket, when the batch is done.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "net/datagram_io.h"

namespace ngm::net {

class PollHandler;

class EpollDatagrams {
  public:
    EpollDatagrams();
    ~EpollDatagrams();
    EpollDatagrams(const EpollDatagrams&) = delete;
    EpollDatagrams& operator=(const EpollDatagrams&) = delete;

    // The readiness handler to register for `fd` (owned here until remove).
    PollHandler* add(int fd, DatagramHandler* h);
    // False when `fd` was not added here.
    bool remove(int fd);
    // Inside a batch: queues the send (sent when the batch is done) and
    // returns true; outside one returns false (the caller sends at once).
    bool queueSend(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                   uint64_t* errors);

  private:
    struct Reader;
    struct Batch;
    void readBatch(int fd, DatagramHandler* h);
    void flush();
    std::vector<std::unique_ptr<Reader>> readers_;  // by fd
    std::unique_ptr<Batch> batch_;
    bool inBatch_ = false;
};

}  // namespace ngm::net
