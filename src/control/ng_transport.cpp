#include "control/ng_transport.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>

#include "bencode/framing.h"
#include "common/log.h"

namespace ngm::control {

namespace {
constexpr size_t kMaxDatagram = 65536;
constexpr int kBatch = 8;

int bindSocket(const net::Endpoint& ep, int type) {
    int fd = socket(ep.address.af(), type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ep.address.family() == net::Family::V6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_storage ss;
    socklen_t len = ep.toSockaddr(ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void wake(int fd) {
    uint64_t one = 1;
    ssize_t r = write(fd, &one, sizeof one);
    (void)r;
}
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
                sendto(sock, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&to), toLen);
            });
        }
    }
};

NgUdpListener::NgUdpListener(NgDispatcher& d, session::WorkerPool& workers, int tos)
    : dispatcher_(d), workers_(workers), tos_(tos) {}

bool NgUdpListener::start(const net::Endpoint& ep) {
    fd_ = bindSocket(ep, SOCK_DGRAM | SOCK_NONBLOCK);
    if (fd_ < 0) return false;
    int buf = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (tos_ > 0) setsockopt(fd_, IPPROTO_IP, IP_TOS, &tos_, sizeof tos_);
    for (size_t i = 0; i < workers_.size(); i++) {
        auto r = std::make_unique<Reader>();
        r->dispatcher = &dispatcher_;
        r->fd = fd_;
        workers_.at(i).loop.add(fd_, r.get(), true);
        readers_.push_back(std::move(r));
    }
    return true;
}

NgUdpListener::~NgUdpListener() {
    for (size_t i = 0; i < readers_.size(); i++) workers_.at(i).loop.remove(fd_);
    if (fd_ >= 0) close(fd_);
}

bool NgTcpListener::start(const net::Endpoint& ep) {
    fd_ = bindSocket(ep, SOCK_STREAM);
    if (fd_ < 0) return false;
    if (listen(fd_, 64) != 0) return false;
    stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    thread_ = std::thread([this] { run(); });
    return true;
}

void NgTcpListener::stop() {
    if (thread_.joinable()) {
        wake(stopFd_);
        thread_.join();
    }
    if (fd_ >= 0) close(fd_);
    if (stopFd_ >= 0) close(stopFd_);
    fd_ = stopFd_ = -1;
}

void NgTcpListener::run() {
    struct Client {
        std::string buf;
        net::Endpoint peer;
    };
    constexpr size_t kMaxBuffered = 1 << 20;
    std::map<int, Client> clients;
    std::vector<pollfd> pfds;
    char chunk[65536];
    for (;;) {
        pfds.clear();
        pfds.push_back({stopFd_, POLLIN, 0});
        pfds.push_back({fd_, POLLIN, 0});
        for (auto& [cfd, c] : clients) pfds.push_back({cfd, POLLIN, 0});
        if (poll(pfds.data(), pfds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfds[0].revents) break;
        if (pfds[1].revents) {
            sockaddr_storage ss;
            socklen_t l = sizeof ss;
            int cfd = accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &l, SOCK_CLOEXEC);
            if (cfd >= 0) clients[cfd].peer = net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
        }
        for (size_t k = 2; k < pfds.size(); k++) {
            if (!pfds[k].revents) continue;
            int cfd = pfds[k].fd;
            auto& c = clients[cfd];
            ssize_t n = read(cfd, chunk, sizeof chunk);
            bool drop = n <= 0;
            if (n > 0) c.buf.append(chunk, (size_t)n);
            while (!drop) {
                auto sp = c.buf.find(' ');
                if (sp == std::string::npos) {
                    drop = c.buf.size() > 256;
                    break;
                }
                auto ext = bencode::messageExtent(std::string_view(c.buf).substr(sp + 1));
                if (!ext) {
                    // Framing is lost: answer once with an error, then close.
                    NGM_LOG_WARN("Closing ng TCP connection from %s: %s", c.peer.toString().c_str(),
                                 ext.error().reason.c_str());
                    std::string reply = dispatcher_.handle(c.buf, c.peer);
                    if (!reply.empty()) (void)!write(cfd, reply.data(), reply.size());
                    drop = true;
                    break;
                }
                if (*ext == 0) {
                    drop = c.buf.size() > kMaxBuffered;
                    break;
                }
                size_t total = sp + 1 + *ext;
                std::string reply = dispatcher_.handle(std::string_view(c.buf).substr(0, total), c.peer);
                if (!reply.empty()) (void)!write(cfd, reply.data(), reply.size());
                c.buf.erase(0, total);
            }
            if (drop) {
                close(cfd);
                clients.erase(cfd);
            }
        }
    }
    for (auto& [cfd, c] : clients) close(cfd);
}

}  // namespace ngm::control
