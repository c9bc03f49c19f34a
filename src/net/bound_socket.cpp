#include "net/bound_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ngm::net::detail {

int openBound(int type, const Endpoint& local, bool reuseAddr, int backlog, Endpoint& bound) {
    int fd = ::socket(local.address.af(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (reuseAddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (local.address.family() == Family::V6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_storage ss;
    socklen_t len = local.toSockaddr(ss);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || (backlog >= 0 && ::listen(fd, backlog) != 0)) {
        int e = errno;
        ::close(fd);
        errno = e;
        return -1;
    }
    bound = local;
    if (bound.port == 0) {
        socklen_t l = sizeof ss;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &l) == 0)
            bound = Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
    }
    return fd;
}

}  // namespace ngm::net::detail
