#include "net/udp_socket.h"

#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ngm::net {

bool UdpSocket::bind(const Endpoint& local, bool reuseAddr) {
    close();
    int fd = ::socket(local.address.af(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    if (reuseAddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (local.address.family() == Family::V6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_storage ss;
    socklen_t len = local.toSockaddr(ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        return false;
    }
    fd_ = fd;
    local_ = local;
    if (local_.port == 0) {
        socklen_t l = sizeof ss;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &l) == 0)
            local_ = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    }
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
    if (local_.address.family() == Family::V6)
        setsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    else
        setsockopt(fd_, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
}

bool UdpSocket::setReceiveBuffer(int bytes) {
    return fd_ >= 0 && setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0;
}

}  // namespace ngm::net
