// ng over UDP. (TCP: ng_tcp_transport.cpp.)
#include "control/ng_transport.h"

#include <sys/socket.h>

#include <cstring>
#include <string>

#include "net/event_loop.h"

namespace ngm::control {

namespace {
constexpr size_t kMaxDatagram = 65536;
constexpr int kBatch = 8;
constexpr int kReceiveBuffer = 4 << 20;
}  // namespace

struct NgUdpListener::Reader : net::PollHandler {
    NgDispatcher* dispatcher = nullptr;
    int fd = -1;
    std::vector<char> bufs = std::vector<char>(kBatch * kMaxDatagram);

    void onReadable() override {
        mmsghdr msgs[kBatch];
        iovec iovs[kBatch];
        sockaddr_storage addrs[kBatch];
        memset(msgs, 0, sizeof msgs);
        for (int i = 0; i < kBatch; i++) {
            iovs[i] = {bufs.data() + i * kMaxDatagram, kMaxDatagram};
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &addrs[i];
            msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
        }
        int n = recvmmsg(fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
        for (int i = 0; i < n; i++) {
            std::string_view msg(bufs.data() + i * kMaxDatagram, msgs[i].msg_len);
            sockaddr_storage to = addrs[i];
            socklen_t toLen = msgs[i].msg_hdr.msg_namelen;
            auto from = net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&to));
            int sock = fd;
            dispatcher->handleAsync(msg, from, [sock, to, toLen](const std::string& reply) {
                sendto(sock, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                       toLen);
            });
        }
    }
};

NgUdpListener::NgUdpListener(NgDispatcher& d, session::WorkerPool& workers, int tos)
    : dispatcher_(d), workers_(workers), tos_(tos) {}

bool NgUdpListener::start(const net::Endpoint& ep) {
    // Not shared with another process (SO_REUSEADDR would let a second
    // daemon bind the same UDP port and take requests at random).
    if (!socket_.bind(ep, /*reuseAddr*/ false)) return false;
    socket_.setReceiveBuffer(kReceiveBuffer);
    if (tos_ > 0) socket_.setTos(tos_);
    for (size_t i = 0; i < workers_.size(); i++) {
        auto r = std::make_unique<Reader>();
        r->dispatcher = &dispatcher_;
        r->fd = socket_.fd();
        workers_.at(i).loop.add(socket_.fd(), r.get(), true);
        readers_.push_back(std::move(r));
    }
    return true;
}

NgUdpListener::~NgUdpListener() {
    for (size_t i = 0; i < readers_.size(); i++) workers_.at(i).loop.remove(socket_.fd());
}

}  // namespace ngm::control
