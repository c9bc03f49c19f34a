#include "net/tcp_socket.h"

#include "net/bound_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ngm::net {

namespace {

bool wouldBlock(int e) { return e == EAGAIN || e == EWOULDBLOCK; }

}  // namespace

TcpConnection::TcpConnection(TcpConnection&& o) noexcept
    : fd_(o.fd_), peer_(o.peer_), out_(std::move(o.out_)), sent_(o.sent_) {
    o.fd_ = -1;
    o.sent_ = 0;
}

TcpConnection& TcpConnection::operator=(TcpConnection&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = o.fd_;
        peer_ = o.peer_;
        out_ = std::move(o.out_);
        sent_ = o.sent_;
        o.fd_ = -1;
        o.sent_ = 0;
    }
    return *this;
}

bool TcpConnection::connect(const Endpoint& peer) {
    close();
    int fd = ::socket(peer.address.af(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_storage ss;
    socklen_t len = peer.toSockaddr(ss);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        return false;
    }
    fd_ = fd;
    peer_ = peer;
    return true;
}

TcpConnection::ReadStatus TcpConnection::read(std::string& into, size_t max) {
    if (fd_ < 0) {
        errno = EBADF;
        return ReadStatus::Closed;
    }
    size_t had = into.size();
    into.resize(had + max);
    ssize_t n;
    do n = ::recv(fd_, into.data() + had, max, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    into.resize(had + (n > 0 ? (size_t)n : 0));
    if (n > 0) return ReadStatus::Data;
    if (n < 0 && wouldBlock(errno)) return ReadStatus::WouldBlock;
    if (n == 0) errno = 0;
    return ReadStatus::Closed;
}

bool TcpConnection::write(std::string_view data) {
    if (fd_ < 0) {
        errno = EBADF;
        return false;
    }
    if (pending() == 0) {  // nothing queued ahead of it: try at once
        out_.clear();
        sent_ = 0;
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (wouldBlock(errno)) break;
                return false;
            }
            data.remove_prefix((size_t)n);
        }
    }
    out_.append(data);
    return true;
}

bool TcpConnection::flush() {
    if (fd_ < 0) {
        errno = EBADF;
        return false;
    }
    while (pending() > 0) {
        ssize_t n = ::send(fd_, out_.data() + sent_, pending(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (wouldBlock(errno)) break;
            return false;
        }
        sent_ += (size_t)n;
    }
    if (pending() == 0) {
        out_.clear();
        sent_ = 0;
    } else if (sent_ > out_.size() / 2) {  // keep the buffer from growing without end
        out_.erase(0, sent_);
        sent_ = 0;
    }
    return true;
}

void TcpConnection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    out_.clear();
    sent_ = 0;
}

bool TcpListener::listen(const Endpoint& local, int backlog) {
    close();
    int fd = detail::openBound(SOCK_STREAM, local, /*reuseAddr*/ true, backlog, local_);
    if (fd < 0) return false;
    fd_ = fd;
    return true;
}

TcpConnection TcpListener::accept() {
    if (fd_ < 0) {
        errno = EBADF;
        return {};
    }
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd;
    do fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return {};
    return TcpConnection(fd, Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)));
}

void TcpListener::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace ngm::net
