#include "rtp_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "ng_client.h"

namespace ngm::itest {

using Clock = std::chrono::steady_clock;

namespace {

sockaddr_in loopback(uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

uint16_t boundPort(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return 0;
    return ntohs(sa.sin_port);
}

bool inMediaArea(uint16_t port) { return port >= kMediaPortFirst && port <= kMediaPortLast; }

int bindUdp(uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in sa = loopback(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
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
int bindOutsideMediaArea() {
    std::vector<int> rejected;
    int result = -1;
    for (int attempt = 0; attempt < 64 && result < 0; attempt++) {
        int fd = bindUdp(0);
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

RtpPeer::RtpPeer(uint16_t port) {
    fd_ = port == 0 ? bindOutsideMediaArea() : bindUdp(port);
    if (fd_ >= 0) port_ = boundPort(fd_);
}

RtpPeer::~RtpPeer() {
    if (fd_ >= 0) close(fd_);
}

bool RtpPeer::sendTo(uint16_t toPort, std::span<const uint8_t> bytes) {
    if (fd_ < 0) return false;
    sockaddr_in sa = loopback(toPort);
    ssize_t n =
        sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    return n == (ssize_t)bytes.size();
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
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n =
            recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
        // ICMP errors of earlier sends (ECONNREFUSED) are not datagrams.
        if (n < 0) {
            if (Clock::now() >= deadline) return std::nullopt;
            continue;
        }
        Datagram d;
        d.bytes.assign(buf, buf + n);
        char addr[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &from.sin_addr, addr, sizeof addr);
        d.address = addr;
        d.port = ntohs(from.sin_port);
        return d;
    }
}

std::vector<Datagram> RtpPeer::drain(milliseconds quiet) {
    std::vector<Datagram> out;
    while (auto d = receive(quiet)) out.push_back(std::move(*d));
    return out;
}

bool RtpRtcpPeer::bind() {
    std::vector<std::unique_ptr<RtpPeer>> tried;  // held so the kernel moves on
    for (int attempt = 0; attempt < 64; attempt++) {
        auto first = std::make_unique<RtpPeer>();
        if (!first->ok()) return false;
        uint16_t next = uint16_t(first->port() + 1);
        if (first->port() < 65535 && !inMediaArea(next)) {
            auto second = std::make_unique<RtpPeer>(next);
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
