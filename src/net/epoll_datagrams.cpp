#include "net/epoll_datagrams.h"

#include <cstring>

#include "net/event_loop.h"

namespace ngm::net {

namespace {

constexpr int kBatch = 32;
constexpr size_t kMaxPacket = 4096;

}  // namespace

// Receive and send buffers of one loop, allocated when its first socket
// comes (a loop that reads through io_uring never needs them).
struct EpollDatagrams::Batch {
    uint8_t data[kBatch][kMaxPacket];
    mmsghdr in[kBatch];
    iovec inIov[kBatch];
    sockaddr_storage from[kBatch];
    // Sends queued during the batch. A datagram sent from the receive
    // buffers (forwarded in place) is not copied; others go to `copy`.
    uint8_t copy[kBatch][kMaxPacket];
    mmsghdr out[kBatch];
    iovec outIov[kBatch];
    sockaddr_storage to[kBatch];
    int outFd[kBatch];
    uint64_t* outErrors[kBatch];
    int outCount = 0;
    bool holds(const uint8_t* p) const { return p >= &data[0][0] && p < &data[0][0] + sizeof data; }
};

struct EpollDatagrams::Reader : PollHandler {
    EpollDatagrams* owner;
    int fd;
    DatagramHandler* handler;
    Reader(EpollDatagrams* o, int f, DatagramHandler* h) : owner(o), fd(f), handler(h) {}
    void onReadable() override { owner->readBatch(fd, handler); }
};

EpollDatagrams::EpollDatagrams() = default;
EpollDatagrams::~EpollDatagrams() = default;

PollHandler* EpollDatagrams::add(int fd, DatagramHandler* h) {
    if (fd < 0) return nullptr;
    if (!batch_) batch_ = std::make_unique<Batch>();
    if ((size_t)fd >= readers_.size()) readers_.resize((size_t)fd + 1);
    readers_[fd] = std::make_unique<Reader>(this, fd, h);
    return readers_[fd].get();
}

bool EpollDatagrams::remove(int fd) {
    if (fd < 0 || (size_t)fd >= readers_.size() || !readers_[fd]) return false;
    readers_[fd].reset();
    return true;
}

bool EpollDatagrams::queueSend(int fd, const uint8_t* data, size_t len, const sockaddr* to,
                               socklen_t toLen, uint64_t* errors) {
    if (!inBatch_ || len > kMaxPacket || toLen > sizeof(sockaddr_storage)) return false;
    Batch& b = *batch_;
    if (b.outCount == kBatch) flush();
    int i = b.outCount++;
    const uint8_t* bytes = data;
    if (!b.holds(data)) {
        std::memcpy(b.copy[i], data, len);
        bytes = b.copy[i];
    }
    b.outIov[i] = {const_cast<uint8_t*>(bytes), len};
    mmsghdr& m = b.out[i];
    m.msg_hdr = {};
    m.msg_hdr.msg_iov = &b.outIov[i];
    m.msg_hdr.msg_iovlen = 1;
    if (toLen) {
        std::memcpy(&b.to[i], to, toLen);
        m.msg_hdr.msg_name = &b.to[i];
        m.msg_hdr.msg_namelen = toLen;
    }
    b.outFd[i] = fd;
    b.outErrors[i] = errors;
    return true;
}

// One sendmmsg per run of sends from the same socket (a batch of one
// stream has at most its RTP and its RTCP sink).
void EpollDatagrams::flush() {
    Batch& b = *batch_;
    int start = 0;
    while (start < b.outCount) {
        int fd = b.outFd[start];
        int end = start;
        while (end < b.outCount && b.outFd[end] == fd) end++;
        int sent = 0;
        while (sent < end - start) {
            int r = sendmmsg(fd, b.out + start + sent, end - start - sent, MSG_DONTWAIT);
            if (r <= 0) {
                for (int i = start + sent; i < end; i++)
                    if (b.outErrors[i]) (*b.outErrors[i])++;
                break;
            }
            sent += r;
        }
        start = end;
    }
    b.outCount = 0;
}

// Hot path (epoll): one batch of a readable socket.
void EpollDatagrams::readBatch(int fd, DatagramHandler* h) {
    Batch& b = *batch_;
    for (int i = 0; i < kBatch; i++) {
        b.inIov[i] = {b.data[i], kMaxPacket};
        b.in[i].msg_hdr = {};
        b.in[i].msg_hdr.msg_iov = &b.inIov[i];
        b.in[i].msg_hdr.msg_iovlen = 1;
        b.in[i].msg_hdr.msg_name = &b.from[i];
        b.in[i].msg_hdr.msg_namelen = sizeof b.from[i];
    }
    int n = recvmmsg(fd, b.in, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    inBatch_ = true;
    for (int i = 0; i < n; i++) {
        Datagram d;
        d.data = b.data[i];
        d.len = b.in[i].msg_len;
        d.capacity = kMaxPacket;
        d.truncated = b.in[i].msg_hdr.msg_flags & MSG_TRUNC;
        d.from = reinterpret_cast<const sockaddr*>(&b.from[i]);
        h->onDatagram(d);
    }
    flush();
    inBatch_ = false;
}

}  // namespace ngm::net
