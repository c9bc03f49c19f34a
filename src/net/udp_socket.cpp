#include "net/udp_socket.h"

#include "net/bound_socket.h"

#include <netinet/ip.h>
#include <cerrno>
#include <poll.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ngm::net {

bool UdpSocket::bind(const Endpoint& local, bool reuseAddr) {
    close();
    int fd = detail::openBound(SOCK_DGRAM, local, reuseAddr, -1, local_);
    if (fd < 0) return false;
    fd_ = fd;
    tosSet_ = reusePort_ = false;
    return true;
}

void UdpSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool UdpSocket::openTwin(UdpSocket& twin, const Endpoint& peer, int maxFd) const {
    twin.close();
    if (fd_ < 0 || peer.address.family() != local_.address.family()) return false;
    int one = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) return false;
    reusePort_ = true;
    int fd = ::socket(local_.address.af(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    if (fd > maxFd) {
        ::close(fd);
        return false;
    }
    bool v6 = local_.address.family() == Family::V6;
    int tos = 0;
    socklen_t tl = sizeof tos;
    if (v6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (getsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &tos, &tl) == 0 && tos > 0)
            setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    } else if (getsockopt(fd_, IPPROTO_IP, IP_TOS, &tos, &tl) == 0 && tos > 0) {
        setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    }
    sockaddr_storage ss, ps;
    socklen_t len = local_.toSockaddr(ss), plen = peer.toSockaddr(ps);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&ps), plen) != 0) {
        ::close(fd);
        return false;
    }
    twin.fd_ = fd;
    twin.local_ = local_;
    return true;
}

void UdpSocket::setTos(int tos) {
    if (fd_ < 0) return;
    tosSet_ = true;
    if (local_.address.family() == Family::V6)
        setsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    else
        setsockopt(fd_, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
}

bool UdpSocket::setReceiveBuffer(int bytes) {
    return fd_ >= 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0;
}

bool UdpSocket::resetCallOptions() {
    if (fd_ < 0) return false;
    bool ok = true;
    if (tosSet_) {
        int tos = 0;  // the OS default
        if (local_.address.family() == Family::V6)
            ok = setsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) == 0;
        else
            ok = setsockopt(fd_, IPPROTO_IP, IP_TOS, &tos, sizeof tos) == 0;
        tosSet_ = false;
    }
    if (reusePort_) {
        // Cleared, the port is ours alone again: no other socket can bind it
        // (a bind only shares a port when both sides have the flag).
        int zero = 0;
        if (setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof zero) != 0) ok = false;
        reusePort_ = false;
    }
    return ok;
}

bool UdpSocket::park() {
    if (fd_ < 0) return false;
    // Connected to itself, the socket matches no one else's datagrams.
    Endpoint self = local_;
    if (self.address.isAny())
        self.address = *IpAddress::parse(self.address.family() == Family::V6 ? "::1" : "127.0.0.1");
    sockaddr_storage ss;
    socklen_t len = self.toSockaddr(ss);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0;
}

size_t UdpSocket::drainPair(UdpSocket& a, UdpSocket& b) {
    // One look at both, a read only where something waits.
    pollfd p[2] = {{a.fd_, POLLIN, 0}, {b.fd_, POLLIN, 0}};
    size_t n = 0;
    if (::poll(p, 2, 0) > 0) {
        if (p[0].revents) n += a.drain();
        if (p[1].revents) n += b.drain();
    }
    return n;
}

bool UdpSocket::unpark() {
    if (fd_ < 0) return false;
    sockaddr_storage ss{};
    ss.ss_family = AF_UNSPEC;
    // Disconnecting a bound UDP socket keeps its local port (the kernel
    // only drops a port that was bound implicitly).
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), sizeof(sockaddr)) == 0;
}

size_t UdpSocket::drain() {
    if (fd_ < 0) return 0;
    constexpr unsigned kBatch = 16;
    static thread_local char sink[kBatch][64];
    mmsghdr msgs[kBatch];
    iovec iov[kBatch];
    size_t total = 0;
    int errors = 0;
    for (;;) {
        for (unsigned i = 0; i < kBatch; i++) {
            iov[i] = {sink[i], sizeof sink[i]};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = ::recvmmsg(fd_, msgs, kBatch, MSG_DONTWAIT, nullptr);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errors++ < 4) continue;  // a pending error, now read
        if (n <= 0) break;  // empty
        total += (size_t)n;
        if ((unsigned)n < kBatch) break;
    }
    return total;
}

}  // namespace ngm::net
