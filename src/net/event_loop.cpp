#include "net/event_loop.h"

#include <liburing.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <string>

#include "common/log.h"

namespace ngm::net {

namespace {

struct WakeMarker : PollHandler {
    void onReadable() override {}
} g_wakeMarker;

std::atomic<bool> g_allowIoUring{true};

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
struct EventLoop::Uring {
    static constexpr unsigned kSqEntries = 256;
    static constexpr unsigned kCqEntries = 2048;
    static constexpr unsigned kBuffers = 512;       // provided receive buffers
    static constexpr unsigned kBufSize = 4096;      // recvmsg header + address + datagram
    static constexpr uint16_t kGroup = 0;

    struct Reg {
        DatagramHandler* handler = nullptr;
        int fd = -1;
        uint32_t gen = 0;
        bool armed = false;
        bool fixed = false;  // the fd is in the ring's file table at the registration's index
        uint64_t* sendErrors = nullptr;  // counts failed sends from the fd
    };
    // A queued send's copy of its datagram and destination, one per SQ entry.
    // Sends carry MSG_DONTWAIT, so the kernel issues them while it consumes
    // their entries (never later from a worker: a full socket buffer fails
    // the send instead), and an entry is handed out again only once the
    // kernel has consumed it: its buffer is free by then. No completion is
    // needed to reuse it, so successful sends post none.
    struct SendBuf {
        uint8_t data[kBufSize];
    };
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
    unsigned sqSize = 0;          // SQ entries the kernel gave
    SendBuf* sendBufs = nullptr;  // sqSize, mapped; pages are touched as sends use them
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

    ~Uring() {
        if (ringUp) io_uring_queue_exit(&ring);
        if (bufRing) munmap(bufRing, bufRingBytes);
        if (sendBufs) munmap(sendBufs, sizeof(SendBuf) * sqSize);
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
        void* sb = mmap(nullptr, sizeof(SendBuf) * sqSize, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        if (sb == MAP_FAILED) return fail("mmap", errno);
        sendBufs = static_cast<SendBuf*>(sb);
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
        for (unsigned i = 0; i < kBuffers; i++)
            io_uring_buf_ring_add(bufRing, buffers + (size_t)i * kBufSize, kBufSize, (uint16_t)i,
                                  io_uring_buf_ring_mask(kBuffers), (int)i);
        io_uring_buf_ring_advance(bufRing, kBuffers);
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
            io_uring_submit(&ring);
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

    void recycle(uint16_t bid) {
        io_uring_buf_ring_add(bufRing, buffers + (size_t)bid * kBufSize, kBufSize, bid,
                              io_uring_buf_ring_mask(kBuffers), 0);
        io_uring_buf_ring_advance(bufRing, 1);
    }

};

void EventLoop::allowIoUring(bool allow) { g_allowIoUring.store(allow); }

EventLoop::EventLoop(TimerWheel::Duration timerTick) : timers_(timerTick) {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd_ < 0 || wakeFd_ < 0) throw std::runtime_error("cannot create event loop");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &g_wakeMarker;
    epoll_ctl(epfd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

EventLoop::~EventLoop() {
    uring_.reset();
    if (epfd_ >= 0) close(epfd_);
    if (wakeFd_ >= 0) close(wakeFd_);
}

bool EventLoop::add(int fd, PollHandler* h, bool exclusive) {
    epoll_event ev{};
    ev.events = EPOLLIN | (exclusive ? (uint32_t)EPOLLEXCLUSIVE : 0u);
    ev.data.ptr = h;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::addDatagram(int fd, DatagramHandler* h) {
    if (!uring_ || uring_->recvUnsupported || fd < 0 || !inLoopThread()) return add(fd, h);
    Uring& u = *uring_;
    uint32_t idx;
    if (!u.freeRegs.empty()) {
        idx = u.freeRegs.back();
        u.freeRegs.pop_back();
    } else {
        if (u.regs.size() > kIndexMask) return add(fd, h);
        u.regs.emplace_back();
        idx = (uint32_t)u.regs.size() - 1;
    }
    Uring::Reg& r = u.regs[idx];
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
        return add(fd, h);
    }
    return true;
}

void EventLoop::remove(int fd) {
    if (uring_ && fd >= 0) {
        Uring& u = *uring_;
        if ((size_t)fd < u.regOfFd.size() && u.regOfFd[fd]) {
            uint32_t idx = u.regOfFd[fd] - 1;
            u.regOfFd[fd] = 0;
            Uring::Reg& r = u.regs[idx];
            // Cancel the receive and empty the file-table slot now, while
            // the fd is still open: the ring holds the socket (and its port)
            // through both. Getting events runs the cancelled request's
            // completion, which lets go of the file. One system call.
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
            if (submit) io_uring_submit_and_get_events(&u.ring);
            r.handler = nullptr;
            r.fd = -1;
            r.armed = false;
            r.fixed = false;
            r.sendErrors = nullptr;
            r.gen = 0;  // late completions of the old registration are dropped
            u.freeRegs.push_back(idx);
            // All gone (calls ended): give the tables' memory back.
            if (u.freeRegs.size() == u.regs.size()) {
                PageVector<Uring::Reg>().swap(u.regs);
                PageVector<uint32_t>().swap(u.freeRegs);
                PageVector<uint32_t>().swap(u.regOfFd);
            }
            return;
        }
    }
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

bool EventLoop::sendTo(int fd, const uint8_t* data, size_t len, const sockaddr* to, socklen_t toLen,
                       uint64_t* errors) {
    io_uring_sqe* q = nullptr;
    Uring::Reg* r = nullptr;
    // Through the ring only from a socket registered on it (its failures
    // are counted through the registration, which remove() ends).
    if (uring_ && len <= Uring::kBufSize && toLen <= sizeof(sockaddr_storage) && (size_t)fd < uring_->regOfFd.size() &&
        uring_->regOfFd[fd]) {
        r = &uring_->regs[uring_->regOfFd[fd] - 1];
        q = uring_->sqe();
    }
    if (!q) {  // no ring, or no room in it: at once
        if (::sendto(fd, data, len, MSG_DONTWAIT, to, toLen) >= 0) return true;
        if (errors) (*errors)++;
        return false;
    }
    Uring& u = *uring_;
    unsigned k = (unsigned)(q - u.ring.sq.sqes);
    uint8_t* buf = u.sendBufs[k].data;
    Uring::SendAddr& a = u.sendAddrs[k];
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

// The tick is one more timer on the wheel rather than a clock of its own:
// the wheel's next expiry is then the loop's only deadline, which both paths
// already turn into their wait (epoll_wait's timeout; one timeout request on
// the ring, moved earlier only when a timer is due before it).
void EventLoop::setTick(std::chrono::milliseconds interval, Task tick) {
    tickInterval_ = interval;
    tick_ = std::move(tick);
    tickTimer_.setCallback([this] {
        timers_.arm(tickTimer_, tickInterval_);  // first: tick_ may call setTick
        if (tick_) tick_();
    });
    if (tick_)
        timers_.arm(tickTimer_, tickInterval_);
    else
        tickTimer_.cancel();
}

void EventLoop::post(Task t) {
    {
        std::lock_guard lk(tasksMutex_);
        tasks_.push_back(std::move(t));
    }
    uint64_t one = 1;
    ssize_t r = write(wakeFd_, &one, sizeof one);
    (void)r;
}

void EventLoop::stop() {
    stop_.store(true);
    uint64_t one = 1;
    ssize_t r = write(wakeFd_, &one, sizeof one);
    (void)r;
}

void EventLoop::drainTasks() {
    uint64_t v;
    while (read(wakeFd_, &v, sizeof v) > 0) {
    }
    {
        std::lock_guard lk(tasksMutex_);
        running_.swap(tasks_);
    }
    for (auto& t : running_) t();
    running_.clear();
}

int EventLoop::pollEpoll(int timeoutMs) {
    epoll_event events[64];
    int n = epoll_wait(epfd_, events, 64, timeoutMs);
    // I/O first, tasks after: a task may destroy handlers that still have
    // events later in this batch.
    bool tasks = false;
    for (int i = 0; i < n; i++) {
        auto* h = static_cast<PollHandler*>(events[i].data.ptr);
        if (h == &g_wakeMarker)
            tasks = true;
        else
            h->onReadable();
    }
    if (tasks) drainTasks();
    return n < 0 ? 0 : n;
}

// Timers first: what their callbacks defer runs in the same round.
void EventLoop::runDeferredAndTimers() {
    timers_.advance(std::chrono::steady_clock::now());  // O(1) when none is due
    while (!deferred_.empty()) {
        runningDeferred_.swap(deferred_);
        for (auto& t : runningDeferred_) t();
        runningDeferred_.clear();
    }
}

void EventLoop::runEpoll() {
    while (!stop_.load()) {
        int timeoutMs = -1;  // no timer armed: until an event or a task
        if (auto due = timers_.nextExpiry()) {
            auto now = std::chrono::steady_clock::now();
            timeoutMs = *due <= now ? 0 : (int)std::chrono::ceil<std::chrono::milliseconds>(*due - now).count();
        }
        pollEpoll(timeoutMs);
        runDeferredAndTimers();
    }
}

// One round: submit what the last round queued (sends, re-arms) and wait for
// completions in the same system call, hand each received datagram to its
// handler, then poll the epoll set if the ring said it is readable.
void EventLoop::runUring() {
    Uring& u = *uring_;
    auto armEpoll = [&] {
        if (io_uring_sqe* s = u.sqe()) {
            io_uring_prep_poll_multishot(s, epfd_, POLLIN);
            io_uring_sqe_set_data64(s, kEpoll << 56);
        }
    };
    // The next timer's expiry is a timeout request of the ring, so the waits
    // themselves carry no timer: arming and cancelling one per sleep costs a
    // timer reprogramming each time (a VM exit on virtual machines). It stays
    // armed across rounds until it fires, and is moved (IORING_TIMEOUT_UPDATE,
    // Linux 5.11, as old as IORING_FEAT_EXT_ARG) only when a timer becomes
    // due before it; a timer cancelled meanwhile costs one early wake-up.
    __kernel_timespec wakeTs{};
    bool wakeArmed = false;
    std::chrono::steady_clock::time_point wakeAt{};
    auto setWake = [&](std::chrono::steady_clock::time_point at, std::chrono::steady_clock::time_point now) {
        auto in = std::chrono::duration_cast<std::chrono::nanoseconds>(at - now);
        wakeTs.tv_sec = (long long)(in.count() / 1000000000);
        wakeTs.tv_nsec = (long long)(in.count() % 1000000000);
        if (io_uring_sqe* s = u.sqe()) {
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
    };
    armEpoll();
    bool epollReady = true;  // look once before the first wait
    while (!stop_.load()) {
        if (epollReady) epollReady = pollEpoll(0) > 0;  // level-triggered: until drained
        bool busy = epollReady || !deferred_.empty() || stop_.load();
        auto due = busy ? std::nullopt : timers_.nextExpiry();
        auto now = due ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        if (busy || (due && *due <= now)) {
            io_uring_submit_and_get_events(&u.ring);
        } else {
            if (due && (!wakeArmed || *due < wakeAt)) setWake(*due, now);
            io_uring_submit_and_wait(&u.ring, 1);
        }
        unsigned head, seen = 0;
        io_uring_cqe* cqe;
        io_uring_for_each_cqe(&u.ring, head, cqe) {
            seen++;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            uint64_t kind = ud >> 56;
            if (kind == kRecv) {
                uint32_t idx = (uint32_t)(ud & kIndexMask);
                uint32_t gen = (uint32_t)(ud >> 24);
                bool hasBuf = cqe->flags & IORING_CQE_F_BUFFER;
                uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
                auto live = [&] { return idx < u.regs.size() && u.regs[idx].gen == gen && u.regs[idx].handler; };
                if (hasBuf && cqe->res > 0 && live()) {
                    uint8_t* buf = u.buffers + (size_t)bid * Uring::kBufSize;
                    if (auto* out = io_uring_recvmsg_validate(buf, cqe->res, &u.recvTemplate)) {
                        auto* payload = static_cast<uint8_t*>(io_uring_recvmsg_payload(out, &u.recvTemplate));
                        size_t len = io_uring_recvmsg_payload_length(out, cqe->res, &u.recvTemplate);
                        auto* from = out->namelen ? static_cast<const sockaddr*>(io_uring_recvmsg_name(out)) : nullptr;
                        if (from) u.regs[idx].handler->onDatagram(payload, len, out->flags & MSG_TRUNC, from);
                    }
                }
                if (hasBuf) u.recycle(bid);
                if (!(cqe->flags & IORING_CQE_F_MORE) && live()) {
                    Uring::Reg& r = u.regs[idx];
                    r.armed = false;
                    if (cqe->res == -EINVAL || cqe->res == -EOPNOTSUPP) {
                        // A kernel without multishot receive: epoll from now on.
                        u.recvUnsupported = true;
                        int fd = r.fd;
                        DatagramHandler* h = r.handler;
                        remove(fd);
                        add(fd, h);
                    } else {
                        // A file-table update that did not take: the plain fd.
                        if (cqe->res == -EBADF) r.fixed = false;
                        u.arm(idx);  // out of buffers or CQ space: receive again
                    }
                }
            } else if (kind == kSend) {
                // A failed send (or any send, without IORING_FEAT_CQE_SKIP),
                // counted while the socket is still registered.
                uint32_t idx = (uint32_t)(ud & kIndexMask);
                uint32_t gen = (uint32_t)(ud >> 24);
                if (cqe->res < 0 && idx < u.regs.size() && u.regs[idx].gen == gen && u.regs[idx].sendErrors)
                    (*u.regs[idx].sendErrors)++;
            } else if (kind == kEpoll) {
                epollReady = true;
                if (!(cqe->flags & IORING_CQE_F_MORE)) armEpoll();
            } else if (kind == kTick) {
                wakeArmed = false;  // -ETIME: due; armed again before the next wait
            }
        }
        io_uring_cq_advance(&u.ring, seen);
        runDeferredAndTimers();
    }
}

void EventLoop::run() {
    owner_.store(std::this_thread::get_id());
    if (g_allowIoUring.load()) {
        auto u = std::make_unique<Uring>();
        if (u->init())
            uring_ = std::move(u);
        else
            NGM_LOG_NOTICE("io_uring not available (%s): media goes through epoll", u->failure.c_str());
    }
    if (uring_)
        runUring();
    else
        runEpoll();
    drainTasks();
    if (uring_) {
        io_uring_submit_and_get_events(&uring_->ring);  // sends still queued
        uring_.reset();
    }
}

}  // namespace ngm::net
