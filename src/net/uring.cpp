#include "net/uring.h"

#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <new>
#include <vector>

namespace ngm::net {

namespace {

// user_data of a ring request: kind in the top byte; for receives and sends
// the generation and index of the socket's registration.
enum Kind : uint64_t { kRecv = 1, kSend = 2, kEpoll = 3, kIgnore = 4, kTick = 5 };
constexpr uint64_t kIndexMask = (1ull << 24) - 1;
uint64_t regData(Kind k, uint32_t idx, uint32_t gen) { return (k << 56) | ((uint64_t)gen << 24) | idx; }
uint64_t recvData(uint32_t idx, uint32_t gen) { return regData(kRecv, idx, gen); }

// Storage straight from the kernel: the registration tables grow with the
// calls in progress and are dropped when the last call ends, and memory
// handed back with munmap leaves the process at once instead of lingering in
// a malloc arena.
template <class T>
struct PageAllocator {
    using value_type = T;
    PageAllocator() = default;
    template <class U>
    PageAllocator(const PageAllocator<U>&) {}
    T* allocate(size_t n) {
        void* p = mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t n) { munmap(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const PageAllocator<U>&) const { return true; }
};
template <class T>
using PageVector = std::vector<T, PageAllocator<T>>;

}  // namespace

// The ring of one loop. Created on the loop thread (the kernel binds a
// single-issuer ring with deferred task work to its creator) when run() starts.
struct Uring::Ring {
    static constexpr unsigned kSqEntries = 256;
    static constexpr unsigned kCqEntries = 2048;
    static constexpr unsigned kBuffers = 512;       // provided receive buffers, at most
    static constexpr unsigned kFirstBuffers = 32;   // provided at the start
    static constexpr unsigned kBufSize = 4096;      // recvmsg header + address + datagram
    // Queued sends' datagrams, packed one after the other (see SendAddr).
    static constexpr size_t kSendArena = 128 * 1024;
    static constexpr uint16_t kGroup = 0;

    Uring* owner = nullptr;
    UringCounters* counters = nullptr;
    LoopTimes* times = nullptr;
    // io_uring_submit*'s result: the requests it handed over.
    void submitted(int n) {
        if (counters && n > 0) counters->add(counters->submitted, (uint64_t)n);
    }

    struct Reg {
        DatagramHandler* handler = nullptr;
        int fd = -1;
        uint32_t gen = 0;
        bool armed = false;
        bool fixed = false;  // the fd is in the ring's file table at the registration's index
        uint64_t* sendErrors = nullptr;  // counts failed sends from the fd
    };
    // Queued sends copy their datagrams into one arena, packed. Sends carry
    // MSG_DONTWAIT, so the kernel issues them while it consumes their
    // entries (never later from a worker: a full socket buffer fails the
    // send instead): once no entry waits in the SQ, the whole arena is free
    // again. No completion is needed for that, so successful sends post
    // none. Packed, a round's sends touch a few pages instead of one page
    // per SQ entry (256 entries of 4 KiB were 1 MiB of resident memory per
    // worker as soon as media flowed).
    struct SendAddr {
        sockaddr_storage to;
        msghdr msg;  // without sendWithAddress
        iovec iov;
    };

    io_uring ring{};
    bool ringUp = false;
    io_uring_buf_ring* bufRing = nullptr;
    size_t bufRingBytes = 0;
    uint8_t* buffers = nullptr;
    msghdr recvTemplate{};
    PageVector<Reg> regs;
    PageVector<uint32_t> freeRegs;
    PageVector<uint32_t> regOfFd;  // fd → registration index + 1; 0: not on the ring
    unsigned sqSize = 0;            // SQ entries the kernel gave
    uint8_t* sendArena = nullptr;   // kSendArena, mapped; pages are touched as sends use them
    size_t sendUsed = 0;            // of the arena, by entries not yet consumed
    // Receive buffers put in the ring so far (ids 0..provided-1), and how
    // many of them this round's receives took. Buffers go round the ring in
    // order, so each one provided becomes a resident page once media flows:
    // the ring gets more only when a round takes half of them, or the
    // kernel ran out.
    unsigned provided = 0;
    unsigned takenThisRound = 0;
    std::unique_ptr<SendAddr[]> sendAddrs;
    bool skipSendCqes = false;  // IORING_FEAT_CQE_SKIP: only failed sends complete
    bool recvUnsupported = false;
    unsigned fixedFiles = 0;  // size of the registered file table
    uint32_t nextGen = 0;     // generations are unique per loop, so tables can shrink
    int noFile = -1;          // file-table updates that empty a slot
    // The values queued file-table updates install, read by the kernel at
    // submission: stable storage (not inside `regs`, which may move when it
    // grows), reused only after more updates than the SQ holds.
    int updateFds[2 * kSqEntries] = {};
    unsigned nextUpdateFd = 0;
    int* stableFd(int fd) {
        int* p = &updateFds[nextUpdateFd++ % (2 * kSqEntries)];
        *p = fd;
        return p;
    }
    bool sendWithAddress = false;  // IORING_OP_SEND takes a destination (Linux 6.0)
    int watchFd = -1;
    // The next timer's expiry is a timeout request of the ring, so the waits
    // themselves carry no timer: arming and cancelling one per sleep costs a
    // timer reprogramming each time (a VM exit on virtual machines). It stays
    // armed across rounds until it fires, and is moved (IORING_TIMEOUT_UPDATE,
    // Linux 5.11, as old as IORING_FEAT_EXT_ARG) only when a timer becomes
    // due before it; a timer cancelled meanwhile costs one early wake-up.
    __kernel_timespec wakeTs{};
    bool wakeArmed = false;
    Clock::time_point wakeAt{};

    ~Ring() {
        if (ringUp) io_uring_queue_exit(&ring);
        if (bufRing) munmap(bufRing, bufRingBytes);
        if (sendArena) munmap(sendArena, kSendArena);
    }

    std::string failure;
    bool fail(const char* what, int err) {
        failure = err ? std::string(what) + ": " + strerror(err) : what;
        return false;
    }

    bool init() {
        io_uring_params p{};
        // Deferred task work: completions are gathered only when the loop
        // asks for them, so the thread is not interrupted per packet.
        const unsigned tries[] = {
            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE,
            IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE,
            IORING_SETUP_CQSIZE,
        };
        int rc = 0;
        for (unsigned flags : tries) {
            p = {};
            p.flags = flags;
            p.cq_entries = kCqEntries;
            if ((rc = io_uring_queue_init_params(kSqEntries, &ring, &p)) == 0) {
                ringUp = true;
                break;
            }
        }
        if (!ringUp) return fail("io_uring_setup", -rc);
        if (!(p.features & IORING_FEAT_EXT_ARG)) return fail("no IORING_FEAT_EXT_ARG", 0);

        skipSendCqes = p.features & IORING_FEAT_CQE_SKIP;
        sqSize = ring.sq.ring_entries;
        void* sb = mmap(nullptr, kSendArena, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (sb == MAP_FAILED) return fail("mmap", errno);
        sendArena = static_cast<uint8_t*>(sb);
        sendAddrs = std::make_unique<SendAddr[]>(sqSize);

        bufRingBytes = (sizeof(io_uring_buf) + kBufSize) * kBuffers;
        void* m = mmap(nullptr, bufRingBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (m == MAP_FAILED) {
            bufRing = nullptr;
            return fail("mmap", errno);
        }
        bufRing = static_cast<io_uring_buf_ring*>(m);
        io_uring_buf_ring_init(bufRing);
        io_uring_buf_reg reg{};
        reg.ring_addr = (unsigned long)bufRing;
        reg.ring_entries = kBuffers;
        reg.bgid = kGroup;
        if ((rc = io_uring_register_buf_ring(&ring, &reg, 0)) != 0) return fail("buffer ring", -rc);
        buffers = reinterpret_cast<uint8_t*>(bufRing) + sizeof(io_uring_buf) * kBuffers;
        provide(kFirstBuffers);
        recvTemplate.msg_namelen = sizeof(sockaddr_in6);
        // Registered files spare a file lookup per request. The table may not
        // exceed the open-file limit.
        rlimit rl{};
        unsigned want = 1u << 16;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) want = (unsigned)rl.rlim_cur;
        if (io_uring_register_files_sparse(&ring, want) == 0) fixedFiles = want;
        utsname un{};
        int major = 0, minor = 0;
        if (uname(&un) == 0 && sscanf(un.release, "%d.%d", &major, &minor) == 2)
            sendWithAddress = major >= 6;
        return true;
    }

    // The request's file: the registered slot when there is one.
    void setFile(io_uring_sqe* s, int fd) {
        if (fixedFiles && (size_t)fd < regOfFd.size() && regOfFd[fd]) {
            const Reg& r = regs[regOfFd[fd] - 1];
            if (r.fixed) {
                s->fd = (int)(regOfFd[fd] - 1);
                s->flags |= IOSQE_FIXED_FILE;
            }
        }
    }

    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&ring);
        if (!s) {
            submitted(io_uring_submit(&ring));
            s = io_uring_get_sqe(&ring);
        }
        return s;
    }

    bool arm(uint32_t idx) {
        io_uring_sqe* s = sqe();
        if (!s) return false;
        Reg& r = regs[idx];
        io_uring_prep_recvmsg_multishot(s, r.fd, &recvTemplate, 0);
        setFile(s, r.fd);
        s->flags |= IOSQE_BUFFER_SELECT;
        s->buf_group = kGroup;
        io_uring_sqe_set_data64(s, recvData(idx, r.gen));
        r.armed = true;
        return true;
    }

    // More receive buffers in the ring, up to `upTo` (never above kBuffers:
    // every buffer is either in the ring or being handled).
    void provide(unsigned upTo) {
        if (upTo > kBuffers) upTo = kBuffers;
        if (upTo <= provided) return;
        for (unsigned i = provided; i < upTo; i++)
            io_uring_buf_ring_add(bufRing, buffers + (size_t)i * kBufSize, kBufSize, (uint16_t)i,
                                  io_uring_buf_ring_mask(kBuffers), (int)(i - provided));
        io_uring_buf_ring_advance(bufRing, (int)(upTo - provided));
        provided = upTo;
    }
    // After a round's completions: a round that took half of the buffers
    // (or ran out) doubles them.
    void endOfRound() {
        if (takenThisRound * 2 >= provided) provide(provided * 2);
        takenThisRound = 0;
    }

    void recycle(uint16_t bid) {
        io_uring_buf_ring_add(bufRing, buffers + (size_t)bid * kBufSize, kBufSize, bid,
                              io_uring_buf_ring_mask(kBuffers), 0);
        io_uring_buf_ring_advance(bufRing, 1);
    }


    void armWatch() {
        if (io_uring_sqe* s = sqe()) {
            io_uring_prep_poll_multishot(s, watchFd, POLLIN);
            io_uring_sqe_set_data64(s, kEpoll << 56);
        }
    }

    void setWake(Clock::time_point at, Clock::time_point now) {
        auto in = std::chrono::duration_cast<std::chrono::nanoseconds>(at - now);
        wakeTs.tv_sec = (long long)(in.count() / 1000000000);
        wakeTs.tv_nsec = (long long)(in.count() % 1000000000);
        if (io_uring_sqe* s = sqe()) {
            if (wakeArmed) {
                // A timeout that fired meanwhile fails this (-ENOENT) and
                // completes by itself.
                io_uring_prep_timeout_update(s, &wakeTs, kTick << 56, 0);
                io_uring_sqe_set_data64(s, kIgnore << 56);
            } else {
                io_uring_prep_timeout(s, &wakeTs, 0, 0);
                io_uring_sqe_set_data64(s, kTick << 56);
                wakeArmed = true;
            }
            wakeAt = at;
        }
    }

    // Hot path: a receive completion. Hands the datagram to its handler and
    // keeps the receive armed.
    void received(io_uring_cqe* cqe, uint64_t ud, Events& events) {
        uint32_t idx = (uint32_t)(ud & kIndexMask);
        uint32_t gen = (uint32_t)(ud >> 24);
        bool hasBuf = cqe->flags & IORING_CQE_F_BUFFER;
        uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
        auto live = [&] { return idx < regs.size() && regs[idx].gen == gen && regs[idx].handler; };
        if (hasBuf && cqe->res > 0 && live()) {
            uint8_t* buf = buffers + (size_t)bid * kBufSize;
            if (auto* out = io_uring_recvmsg_validate(buf, cqe->res, &recvTemplate)) {
                auto* payload = static_cast<uint8_t*>(io_uring_recvmsg_payload(out, &recvTemplate));
                Datagram d;
                d.data = payload;
                d.len = io_uring_recvmsg_payload_length(out, cqe->res, &recvTemplate);
                d.capacity = kBufSize - (size_t)(payload - buf);
                d.truncated = out->flags & MSG_TRUNC;
                d.from = out->namelen ? static_cast<const sockaddr*>(io_uring_recvmsg_name(out)) : nullptr;
                if (d.from) regs[idx].handler->onDatagram(d);
            }
        }
        if (hasBuf) {
            recycle(bid);
            takenThisRound++;
        }
        // The ring was empty: more buffers before receiving again.
        if (cqe->res == -ENOBUFS) provide(provided * 2);
        if (!(cqe->flags & IORING_CQE_F_MORE) && live()) {
            Reg& r = regs[idx];
            r.armed = false;
            if (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP) {
                // A kernel without multishot receive: epoll from now on.
                recvUnsupported = true;
                int fd = r.fd;
                DatagramHandler* h = r.handler;
                owner->removeDatagram(fd);
                events.fallback(fd, h);
            } else {
                // A file-table update that did not take: the plain fd.
                if (cqe->res == -EBADF) r.fixed = false;
                arm(idx);  // out of buffers or CQ space: receive again
            }
        }
    }
};

std::unique_ptr<Uring> Uring::create(std::string& failure, UringCounters* counters, LoopTimes* times) {
    auto r = std::make_unique<Ring>();
    r->counters = counters;
    r->times = times;
    if (!r->init()) {
        failure = r->failure;
        return nullptr;
    }
    Ring* raw = r.get();
    auto u = std::unique_ptr<Uring>(new Uring(std::move(r)));
    raw->owner = u.get();
    return u;
}

Uring::Uring(std::unique_ptr<Ring> r) : r_(std::move(r)) {}
Uring::~Uring() = default;

bool Uring::addDatagram(int fd, DatagramHandler* h) {
    Ring& u = *r_;
    if (u.recvUnsupported || fd < 0) return false;
    uint32_t idx;
    if (!u.freeRegs.empty()) {
        idx = u.freeRegs.back();
        u.freeRegs.pop_back();
    } else {
        if (u.regs.size() > kIndexMask) return false;
        u.regs.emplace_back();
        idx = (uint32_t)u.regs.size() - 1;
    }
    Ring::Reg& r = u.regs[idx];
    r.handler = h;
    r.fd = fd;
    r.gen = ++u.nextGen;
    r.fixed = false;
    // The file-table update is a request too: it goes with the round's next
    // submission, ahead of the receive that uses it (requests are issued in
    // order), instead of a system call of its own.
    if (idx < u.fixedFiles) {
        if (io_uring_sqe* s = u.sqe()) {
            io_uring_prep_files_update(s, u.stableFd(fd), 1, (int)idx);
            io_uring_sqe_set_data64(s, kIgnore << 56);
            r.fixed = true;
        }
    }
    if ((size_t)fd >= u.regOfFd.size()) u.regOfFd.resize((size_t)fd + 1024, 0);
    u.regOfFd[fd] = idx + 1;
    if (!u.arm(idx)) {
        // No room even after submitting: epoll instead (an installed file
        // slot is simply overwritten by the next registration at idx).
        u.regOfFd[fd] = 0;
        r.fixed = false;
        r.handler = nullptr;
        r.fd = -1;
        u.freeRegs.push_back(idx);
        return false;
    }
    return true;
}

bool Uring::removeDatagram(int fd) {
    Ring& u = *r_;
    if (fd < 0 || (size_t)fd >= u.regOfFd.size() || !u.regOfFd[fd]) return false;
    uint32_t idx = u.regOfFd[fd] - 1;
    u.regOfFd[fd] = 0;
    Ring::Reg& r = u.regs[idx];
    // Cancel the receive and empty the file-table slot now, while the fd is
    // still open: the ring holds the socket (and its port) through both.
    // Getting events runs the cancelled request's completion, which lets go
    // of the file. One system call.
    bool submit = false;
    if (r.armed) {
        if (io_uring_sqe* s = u.sqe()) {
            io_uring_prep_cancel64(s, recvData(idx, r.gen), 0);
            io_uring_sqe_set_data64(s, kIgnore << 56);
            submit = true;
        }
    }
    if (r.fixed) {
        if (io_uring_sqe* s = u.sqe()) {
            io_uring_prep_files_update(s, &u.noFile, 1, (int)idx);
            io_uring_sqe_set_data64(s, kIgnore << 56);
            submit = true;
        }
    }
    if (submit) u.submitted(io_uring_submit_and_get_events(&u.ring));
    r.handler = nullptr;
    r.fd = -1;
    r.armed = false;
    r.fixed = false;
    r.sendErrors = nullptr;
    r.gen = 0;  // late completions of the old registration are dropped
    u.freeRegs.push_back(idx);
    return true;
}

// Not at the last removeDatagram: calls come and go in a trickle, and
// freeing and faulting the tables in again for each lull cost more than the
// commands around them.
void Uring::compact() {
    Ring& u = *r_;
    if (u.freeRegs.size() != u.regs.size()) return;
    PageVector<Ring::Reg>().swap(u.regs);
    PageVector<uint32_t>().swap(u.freeRegs);
    PageVector<uint32_t>().swap(u.regOfFd);
}

bool Uring::queueSend(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                      uint64_t* errors) {
    Ring& u = *r_;
    // Through the ring only from a socket registered on it (its failures
    // are counted through the registration, which removeDatagram ends).
    if (len > Ring::kBufSize || toLen > sizeof(sockaddr_storage) || fd < 0 ||
        (size_t)fd >= u.regOfFd.size() || !u.regOfFd[fd])
        return false;
    Ring::Reg* r = &u.regs[u.regOfFd[fd] - 1];
    // The arena is free whenever the SQ is empty; when it is full, the
    // entries using it are handed to the kernel first.
    const size_t room = (len + 15) & ~size_t(15);
    if (io_uring_sq_ready(&u.ring) == 0) u.sendUsed = 0;
    if (u.sendUsed + room > Ring::kSendArena) {
        u.submitted(io_uring_submit(&u.ring));
        if (io_uring_sq_ready(&u.ring) != 0) return false;
        u.sendUsed = 0;
    }
    io_uring_sqe* q = u.sqe();
    if (!q) return false;
    unsigned k = (unsigned)(q - u.ring.sq.sqes);
    uint8_t* buf = u.sendArena + u.sendUsed;
    u.sendUsed += room;
    Ring::SendAddr& a = u.sendAddrs[k];
    std::memcpy(buf, data, len);
    if (toLen) std::memcpy(&a.to, to, toLen);
    r->sendErrors = errors;
    // MSG_DONTWAIT: a full socket buffer fails the send at once instead of
    // parking it in the kernel, so the entry's buffer is free once consumed.
    if (u.sendWithAddress) {
        io_uring_prep_send(q, fd, buf, len, MSG_DONTWAIT);
        if (toLen) {
            q->addr2 = (uint64_t)(uintptr_t)&a.to;
            q->addr_len = (uint16_t)toLen;
        }
    } else {
        a.iov = {buf, len};
        a.msg = {};
        a.msg.msg_name = toLen ? &a.to : nullptr;
        a.msg.msg_namelen = toLen;
        a.msg.msg_iov = &a.iov;
        a.msg.msg_iovlen = 1;
        io_uring_prep_sendmsg(q, fd, &a.msg, MSG_DONTWAIT);
    }
    u.setFile(q, fd);
    if (u.skipSendCqes) q->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(q, regData(kSend, (uint32_t)(r - u.regs.data()), r->gen));
    return true;
}

void Uring::watch(int fd) {
    r_->watchFd = fd;
    r_->armWatch();
}

void Uring::flush() { r_->submitted(io_uring_submit_and_get_events(&r_->ring)); }

bool Uring::round(bool wait, std::optional<Clock::time_point> due, Events& events) {
    Ring& u = *r_;
    auto now = due ? Clock::now() : Clock::time_point{};
    if (!wait || (due && *due <= now)) {
        u.submitted(io_uring_submit_and_get_events(&u.ring));
    } else {
        if (due && (!u.wakeArmed || *due < u.wakeAt)) u.setWake(*due, now);
        if (u.times) u.times->beforeWait();
        u.submitted(io_uring_submit_and_wait(&u.ring, 1));
        if (u.times) u.times->afterWait();
        if (u.counters) u.counters->add(u.counters->waits, 1);
    }
    bool watchReady = false;
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&u.ring, head, cqe) {
        seen++;
        uint64_t ud = io_uring_cqe_get_data64(cqe);
        uint64_t kind = ud >> 56;
        if (kind == kRecv) {
            u.received(cqe, ud, events);
        } else if (kind == kSend) {
            // A failed send (or any send, without IORING_FEAT_CQE_SKIP),
            // counted while the socket is still registered.
            uint32_t idx = (uint32_t)(ud & kIndexMask);
            uint32_t gen = (uint32_t)(ud >> 24);
            if (cqe->res < 0 && idx < u.regs.size() && u.regs[idx].gen == gen && u.regs[idx].sendErrors)
                (*u.regs[idx].sendErrors)++;
        } else if (kind == kEpoll) {
            watchReady = true;
            if (!(cqe->flags & IORING_CQE_F_MORE)) u.armWatch();
        } else if (kind == kTick) {
            u.wakeArmed = false;  // -ETIME: due; armed again before the next wait
        }
    }
    io_uring_cq_advance(&u.ring, seen);
    u.endOfRound();
    if (u.counters && seen) u.counters->add(u.counters->completed, seen);
    return watchReady;
}

}  // namespace ngm::net
