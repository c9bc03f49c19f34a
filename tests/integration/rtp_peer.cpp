#include "rtp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "ng_client.h"

namespace ngm::itest {

using Clock = std::chrono::steady_clock;

namespace {

// Fills `ss` for address:port; 0 when the address is no IPv4/IPv6 literal.
socklen_t toSockaddr(const Endpoint& e, sockaddr_storage& ss) {
    ss = {};
    if (isIpv6(e.address)) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(e.port);
        if (inet_pton(AF_INET6, e.address.c_str(), &s6->sin6_addr) != 1) return 0;
        return sizeof *s6;
    }
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(e.port);
    if (inet_pton(AF_INET, e.address.c_str(), &s4->sin_addr) != 1) return 0;
    return sizeof *s4;
}

Endpoint fromSockaddr(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET6) {
        const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof buf);
        return {buf, ntohs(s6->sin6_port)};
    }
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf);
    return {buf, ntohs(s4->sin_port)};
}

uint16_t boundPort(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    return fromSockaddr(ss).port;
}

int bindUdp(const std::string& address, uint16_t port) {
    sockaddr_storage ss;
    socklen_t len = toSockaddr({address, port}, ss);
    if (len == 0) return -1;
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    // An IPv6 peer is an IPv6 endpoint only, never reached through a mapped
    // IPv4 address.
    int one = 1;
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        close(fd);
        return -1;
    }
    // Room for a burst of relayed packets while a test is busy sending.
    int rcvbuf = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    return fd;
}

// Ephemeral ports overlap the media port area: keep rebinding until the
// kernel hands out one outside it.
int bindOutsideMediaArea(const std::string& address) {
    std::vector<int> rejected;
    int result = -1;
    for (int attempt = 0; attempt < 64 && result < 0; attempt++) {
        int fd = bindUdp(address, 0);
        if (fd < 0) break;
        if (inMediaArea(boundPort(fd)))
            rejected.push_back(fd);  // held so the next bind gets another port
        else
            result = fd;
    }
    for (int fd : rejected) close(fd);
    return result;
}

void put16(Bytes& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}

void put32(Bytes& b, uint32_t v) {
    put16(b, uint16_t(v >> 16));
    put16(b, uint16_t(v));
}

}  // namespace

Bytes rtpPacket(uint8_t payloadType, uint16_t seq, uint32_t timestamp, uint32_t ssrc,
                std::span<const uint8_t> payload, bool marker) {
    Bytes b;
    b.reserve(12 + payload.size());
    b.push_back(0x80);  // V=2, P=0, X=0, CC=0
    b.push_back(uint8_t((marker ? 0x80 : 0) | (payloadType & 0x7f)));
    put16(b, seq);
    put32(b, timestamp);
    put32(b, ssrc);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes patternPayload(size_t size, uint8_t seed) {
    Bytes b(size);
    for (size_t i = 0; i < size; i++) b[i] = uint8_t(seed + i);
    return b;
}

Bytes rtcpReceiverReport(uint32_t ssrc, uint32_t sourceSsrc, uint8_t seed) {
    Bytes b = {0x81, 0xc9, 0x00, 0x07};  // V=2, RC=1, PT=201 (RR), length 7 words
    put32(b, ssrc);
    // Report block: SSRC_1, fraction lost + cumulative lost, extended highest
    // sequence number, jitter, LSR, DLSR.
    put32(b, sourceSsrc);
    put32(b, 0x00000000);
    put32(b, 0x00010000u + seed);
    put32(b, 0x00000010);
    put32(b, 0x00000000);
    put32(b, 0x00000000);
    return b;
}

bool isIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

std::ostream& operator<<(std::ostream& o, const Endpoint& e) {
    if (isIpv6(e.address)) return o << "[" << e.address << "]:" << e.port;
    return o << e.address << ":" << e.port;
}

RtpPeer::RtpPeer(std::string address, uint16_t port) : address_(std::move(address)) {
    fd_ = port == 0 ? bindOutsideMediaArea(address_) : bindUdp(address_, port);
    if (fd_ >= 0) port_ = boundPort(fd_);
}

RtpPeer::~RtpPeer() {
    if (fd_ >= 0) close(fd_);
}

bool RtpPeer::sendTo(const Endpoint& to, std::span<const uint8_t> bytes) {
    sockaddr_storage ss;
    socklen_t len = toSockaddr(to, ss);
    if (fd_ < 0 || len == 0) return false;
    ssize_t n = sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    return n == (ssize_t)bytes.size();
}

bool RtpPeer::sendTo(uint16_t toPort, std::span<const uint8_t> bytes) {
    return sendTo(Endpoint{isIpv6(address_) ? "::1" : "127.0.0.1", toPort}, bytes);
}

bool RtpPeer::reportTos() {
    int one = 1;
    if (isIpv6(address_))
        return setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one) == 0;
    return setsockopt(fd_, IPPROTO_IP, IP_RECVTOS, &one, sizeof one) == 0;
}

std::optional<Datagram> RtpPeer::receive(milliseconds timeout) {
    if (fd_ < 0) return std::nullopt;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left < 0) left = 0;
        pollfd p{fd_, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return std::nullopt;
        uint8_t buf[65536];
        alignas(cmsghdr) uint8_t control[256];
        sockaddr_storage from{};
        iovec iov{buf, sizeof buf};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof from;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        ssize_t n = recvmsg(fd_, &mh, MSG_DONTWAIT);
        // ICMP errors of earlier sends (ECONNREFUSED) are not datagrams.
        if (n < 0) {
            if (Clock::now() >= deadline) return std::nullopt;
            continue;
        }
        Datagram d;
        d.bytes.assign(buf, buf + n);
        Endpoint source = fromSockaddr(from);
        d.address = std::move(source.address);
        d.port = source.port;
        for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            // IP_TOS comes as one byte, IPV6_TCLASS as an int.
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && c->cmsg_len >= CMSG_LEN(1))
                d.tos = *CMSG_DATA(c);
            if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS &&
                c->cmsg_len >= CMSG_LEN(sizeof(int))) {
                int tclass;
                memcpy(&tclass, CMSG_DATA(c), sizeof tclass);
                d.tos = tclass;
            }
        }
        return d;
    }
}

std::vector<Datagram> RtpPeer::drain(milliseconds quiet) {
    std::vector<Datagram> out;
    while (auto d = receive(quiet)) out.push_back(std::move(*d));
    return out;
}

bool RtpRtcpPeer::bind(const std::string& address) {
    std::vector<std::unique_ptr<RtpPeer>> tried;  // held so the kernel moves on
    for (int attempt = 0; attempt < 64; attempt++) {
        auto first = std::make_unique<RtpPeer>(address);
        if (!first->ok()) return false;
        uint16_t next = uint16_t(first->port() + 1);
        if (first->port() < 65535 && !inMediaArea(next)) {
            auto second = std::make_unique<RtpPeer>(address, next);
            if (second->ok()) {
                rtp = std::move(first);
                rtcp = std::move(second);
                return true;
            }
        }
        tried.push_back(std::move(first));
    }
    return false;
}

}  // namespace ngm::itest
