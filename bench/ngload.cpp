// ngload: a single-threaded load generator for the rtpengine ng control protocol.
//
// It keeps K "call slots" busy over one non-blocking UDP socket; each slot has at
// most one request in flight, matched to its reply by the cookie. Messages are
// bencoded by hand and replies are only parsed far enough to find the cookie and
// whether `result` is "ok", so the generator stays cheap next to the daemon.
//
// Modes (see usage()):
//   cycles  offer -> answer -> delete on fresh calls for a fixed time
//   churn   the same for a fixed number of cycles (memory creep)
//   hold    establish N calls, wait for "delete" on stdin, delete them all
//   ping    wait until the daemon answers a ping (for scripts)
//
// Machine-readable results go to stdout as key=value lines; the human summary
// goes to stderr.

#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ngm::bench {
namespace {

constexpr std::size_t kBatch = 64;          // datagrams per recvmmsg/sendmmsg
constexpr std::size_t kReplyBuffer = 8192;  // ng replies with one audio SDP are ~1 KB

int64_t nowNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "ngload: %s\n", what.c_str());
    std::exit(2);
}

[[noreturn]] void dieErrno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

// ---------------------------------------------------------------------------
// Bencode output, just what the three commands need.

class BencodeWriter {
  public:
    explicit BencodeWriter(std::string& out) : out_(out) {}

    void dictBegin() { out_ += 'd'; }
    void listBegin() { out_ += 'l'; }
    void end() { out_ += 'e'; }
    void string(std::string_view s) {
        appendNumber(s.size());
        out_ += ':';
        out_ += s;
    }
    void pair(std::string_view key, std::string_view value) {
        string(key);
        string(value);
    }

  private:
    void appendNumber(std::size_t n) {
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
        (void)ec;
        out_.append(buf, end);
    }

    std::string& out_;
};

// ---------------------------------------------------------------------------
// The calls and their SDP.

enum class Command : uint8_t { Offer = 0, Answer = 1, Delete = 2, Ping = 3 };
constexpr std::size_t kCommandKinds = 4;
constexpr std::array<const char*, kCommandKinds> kCommandNames{"offer", "answer", "delete", "ping"};

enum class Outcome : uint8_t { Ok, Error, Lost };

// A softphone-like offer: PCMU, PCMA and telephone-event, with the usual
// ptime/rtcp/ssrc decoration (~400 bytes).
std::string offerSdp(uint64_t callNo) {
    unsigned port = 10000 + unsigned(callNo % 20000) * 2;
    unsigned long long session = 1700000000ULL + callNo;
    char buf[768];
    int n = std::snprintf(buf, sizeof buf,
                          "v=0\r\n"
                          "o=alice %llu %llu IN IP4 127.0.0.1\r\n"
                          "s=Talk\r\n"
                          "i=ngload benchmark call\r\n"
                          "c=IN IP4 127.0.0.1\r\n"
                          "b=AS:84\r\n"
                          "t=0 0\r\n"
                          "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL\r\n"
                          "a=record:off\r\n"
                          "m=audio %u RTP/AVP 0 8 101\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:8 PCMA/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\n"
                          "a=fmtp:101 0-16\r\n"
                          "a=ptime:20\r\n"
                          "a=maxptime:150\r\n"
                          "a=silenceSupp:off - - - -\r\n"
                          "a=sendrecv\r\n"
                          "a=rtcp:%u\r\n"

                          "a=ssrc:%llu cname:alice-%llu@example.com\r\n",
                          session, session, port, port + 1, 100000000ULL + callNo,
                          (unsigned long long)callNo);
    return std::string(buf, std::size_t(n));
}

// The callee picks PCMU and keeps DTMF, from another address and port.
std::string answerSdp(uint64_t callNo) {
    unsigned port = 50000 + unsigned(callNo % 7000) * 2;
    unsigned long long session = 3800000000ULL + callNo;
    char buf[768];
    int n = std::snprintf(buf, sizeof buf,
                          "v=0\r\n"
                          "o=bob %llu %llu IN IP4 127.0.0.2\r\n"
                          "s=-\r\n"
                          "c=IN IP4 127.0.0.2\r\n"
                          "b=AS:80\r\n"
                          "t=0 0\r\n"
                          "m=audio %u RTP/AVP 0 101\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\n"
                          "a=fmtp:101 0-15\r\n"
                          "a=ptime:20\r\n"
                          "a=sendrecv\r\n"
                          "a=rtcp:%u IN IP4 127.0.0.2\r\n"
                          "a=ssrc:%llu cname:bob-%llu@example.org\r\n"
                          "a=label:1\r\n",
                          session, session, port, port + 1, 200000000ULL + callNo,
                          (unsigned long long)callNo);
    return std::string(buf, std::size_t(n));
}

class CallNaming {
  public:
    CallNaming() {
        // Unique per run so a daemon that outlives us never sees a reused call-id.
        char buf[48];
        std::snprintf(buf, sizeof buf, "ngl%x%" PRIx64, unsigned(::getpid()), uint64_t(nowNs()));
        prefix_ = buf;
    }
    std::string callId(uint64_t callNo) const {
        return prefix_ + "-" + std::to_string(callNo) + "@bench.invalid";
    }
    static std::string fromTag(uint64_t callNo) { return "ft" + std::to_string(callNo); }
    static std::string toTag(uint64_t callNo) { return "tt" + std::to_string(callNo); }

  private:
    std::string prefix_;
};

// Writes "<cookie> <bencoded dict>" for one command into `out`.
void encodeRequest(std::string& out, std::string_view cookie, Command cmd, uint64_t callNo,
                   const CallNaming& naming) {
    out.clear();
    out += cookie;
    out += ' ';
    BencodeWriter w(out);
    w.dictBegin();
    switch (cmd) {
        case Command::Offer:
            w.pair("command", "offer");
            w.pair("call-id", naming.callId(callNo));
            w.pair("from-tag", CallNaming::fromTag(callNo));
            // What a Kamailio rtpengine_offer() typically adds.
            w.string("replace");
            w.listBegin();
            w.string("origin");
            w.string("session-connection");
            w.end();
            w.pair("ICE", "remove");
            w.pair("sdp", offerSdp(callNo));
            break;
        case Command::Answer:
            w.pair("command", "answer");
            w.pair("call-id", naming.callId(callNo));
            w.pair("from-tag", CallNaming::fromTag(callNo));
            w.pair("to-tag", CallNaming::toTag(callNo));
            w.string("replace");
            w.listBegin();
            w.string("origin");
            w.string("session-connection");
            w.end();
            w.pair("ICE", "remove");
            w.pair("sdp", answerSdp(callNo));
            break;
        case Command::Delete:
            w.pair("command", "delete");
            w.pair("call-id", naming.callId(callNo));
            w.pair("from-tag", CallNaming::fromTag(callNo));
            break;
        case Command::Ping:
            w.pair("command", "ping");
            break;
    }
    w.end();
}

// ---------------------------------------------------------------------------
// Minimal reply parsing.

struct ParsedReply {
    uint32_t run = 0;
    uint32_t slot = 0;
    uint32_t seq = 0;
    bool ok = false;
    std::string_view errorReason;
};

std::optional<uint32_t> parseHex(std::string_view s) {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// Value of the bencoded string that follows `key` (e.g. "6:result") in `body`.
std::string_view stringAfter(std::string_view body, std::string_view key) {
    auto pos = body.find(key);
    if (pos == std::string_view::npos) return {};
    pos += key.size();
    std::size_t len = 0;
    auto [end, ec] = std::from_chars(body.data() + pos, body.data() + body.size(), len);
    if (ec != std::errc() || end == body.data() + body.size() || *end != ':') return {};
    std::size_t start = std::size_t(end - body.data()) + 1;
    if (len > body.size() - start) return {};
    return body.substr(start, len);
}

// Cookie is "<run hex>_<slot hex>_<request sequence hex>". The run nonce matters:
// daemons cache replies by cookie, and a later run from the same local port
// must not be answered from that cache.
std::optional<ParsedReply> parseReply(std::string_view datagram) {
    auto space = datagram.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    std::string_view cookie = datagram.substr(0, space);
    auto sep1 = cookie.find('_');
    if (sep1 == std::string_view::npos) return std::nullopt;
    auto sep2 = cookie.find('_', sep1 + 1);
    if (sep2 == std::string_view::npos) return std::nullopt;
    auto run = parseHex(cookie.substr(0, sep1));
    auto slot = parseHex(cookie.substr(sep1 + 1, sep2 - sep1 - 1));
    auto gen = parseHex(cookie.substr(sep2 + 1));
    if (!run || !slot || !gen) return std::nullopt;
    ParsedReply r;
    r.run = *run;
    r.slot = *slot;
    r.seq = *gen;
    std::string_view body = datagram.substr(space + 1);
    std::string_view result = stringAfter(body, "6:result");
    r.ok = result == "ok" || result == "pong";
    if (!r.ok) r.errorReason = stringAfter(body, "12:error-reason");
    return r;
}

// ---------------------------------------------------------------------------
// Statistics.

struct CommandStats {
    std::vector<uint32_t> latencyUs;  // of every command that got a reply
    uint64_t sent = 0;                // first transmissions
    uint64_t ok = 0;
    uint64_t errors = 0;       // replies whose result was not ok
    uint64_t lost = 0;         // no reply after all retransmissions
    uint64_t retransmits = 0;  // = timeouts of the 1 s retransmit timer

    uint32_t percentile(double p) const {
        if (latencyUs.empty()) return 0;
        std::vector<uint32_t> v = latencyUs;
        std::size_t k = std::min(v.size() - 1, std::size_t(p / 100.0 * double(v.size())));
        std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
        return v[k];
    }
    uint32_t maximum() const {
        return latencyUs.empty() ? 0 : *std::max_element(latencyUs.begin(), latencyUs.end());
    }
};

struct RunStats {
    std::array<CommandStats, kCommandKinds> perCommand;
    uint64_t staleReplies = 0;  // replies to a request that was already answered or abandoned
    uint64_t garbledReplies = 0;
    int64_t startNs = 0;
    int64_t endNs = 0;
    rusage usageStart{};
    rusage usageEnd{};

    CommandStats& of(Command c) { return perCommand[std::size_t(c)]; }
    const CommandStats& of(Command c) const { return perCommand[std::size_t(c)]; }
    uint64_t totalTimeouts() const {
        uint64_t n = 0;
        for (const auto& c : perCommand) n += c.retransmits;
        return n;
    }
    uint64_t totalErrors() const {
        uint64_t n = 0;
        for (const auto& c : perCommand) n += c.errors + c.lost;
        return n;
    }
};

double seconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

// ---------------------------------------------------------------------------
// Workloads decide what each slot does next.

struct Step {
    Command cmd;
    uint64_t callNo;
};

struct Finished {
    Command cmd;
    uint64_t callNo;
    Outcome outcome;
};

class Workload {
  public:
    virtual ~Workload() = default;
    // Next request for a slot whose previous request (if any) ended as `prev`;
    // nullopt leaves the slot idle for good.
    virtual std::optional<Step> next(const std::optional<Finished>& prev) = 0;
};

// offer -> answer -> delete, over and over, until a deadline or a cycle budget.
class CycleWorkload final : public Workload {
  public:
    CycleWorkload(int64_t deadlineNs, uint64_t maxCycles)
        : deadlineNs_(deadlineNs), maxCycles_(maxCycles) {}

    std::optional<Step> next(const std::optional<Finished>& prev) override {
        if (prev) {
            if (prev->outcome != Outcome::Ok) currentFailed_[prev->callNo % kFailWindow] = true;
            switch (prev->cmd) {
                case Command::Offer:
                    // Delete even after a failed offer so the daemon keeps no leftovers.
                    return Step{prev->outcome == Outcome::Ok ? Command::Answer : Command::Delete,
                                prev->callNo};
                case Command::Answer:
                    return Step{Command::Delete, prev->callNo};
                case Command::Delete:
                    if (currentFailed_[prev->callNo % kFailWindow]) {
                        ++failed_;
                    } else if (nowNs() <= deadlineNs_) {
                        ++completed_;
                    }
                    break;
                case Command::Ping:
                    break;
            }
        }
        if (started_ >= maxCycles_ || nowNs() > deadlineNs_) return std::nullopt;
        currentFailed_[started_ % kFailWindow] = false;
        return Step{Command::Offer, started_++};
    }

    uint64_t completed() const { return completed_; }
    uint64_t failed() const { return failed_; }

  private:
    int64_t deadlineNs_;
    uint64_t maxCycles_;
    uint64_t started_ = 0;
    uint64_t completed_ = 0;  // successful cycles that ended before the deadline
    uint64_t failed_ = 0;
    // Whether a command of the call failed, indexed by call number modulo a
    // window far larger than the number of calls that can be in flight.
    static constexpr uint64_t kFailWindow = 1 << 16;
    std::vector<bool> currentFailed_ = std::vector<bool>(kFailWindow);
};

// offer -> answer for `calls` calls; remembers every call to delete later.
class EstablishWorkload final : public Workload {
  public:
    explicit EstablishWorkload(uint64_t calls) : calls_(calls) {}

    std::optional<Step> next(const std::optional<Finished>& prev) override {
        if (prev) {
            if (prev->cmd == Command::Offer && prev->outcome == Outcome::Ok)
                return Step{Command::Answer, prev->callNo};
            // Anything that reached the daemon may have left state there.
            toDelete_.push_back(prev->callNo);
            if (prev->cmd == Command::Answer && prev->outcome == Outcome::Ok) ++established_;
        }
        if (started_ >= calls_) return std::nullopt;
        return Step{Command::Offer, started_++};
    }

    uint64_t established() const { return established_; }
    std::deque<uint64_t>& toDelete() { return toDelete_; }

  private:
    uint64_t calls_;
    uint64_t started_ = 0;
    uint64_t established_ = 0;
    std::deque<uint64_t> toDelete_;
};

class TeardownWorkload final : public Workload {
  public:
    explicit TeardownWorkload(std::deque<uint64_t>& calls) : calls_(calls) {}

    std::optional<Step> next(const std::optional<Finished>& prev) override {
        if (prev && prev->outcome == Outcome::Ok) ++deleted_;
        if (calls_.empty()) return std::nullopt;
        uint64_t c = calls_.front();
        calls_.pop_front();
        return Step{Command::Delete, c};
    }

    uint64_t deleted() const { return deleted_; }

  private:
    std::deque<uint64_t>& calls_;
    uint64_t deleted_ = 0;
};

class PingWorkload final : public Workload {
  public:
    std::optional<Step> next(const std::optional<Finished>& prev) override {
        if (prev) {
            answered_ = prev->outcome == Outcome::Ok;
            return std::nullopt;
        }
        return Step{Command::Ping, 0};
    }
    bool answered() const { return answered_; }

  private:
    bool answered_ = false;
};

// ---------------------------------------------------------------------------
// The event loop.

struct EngineOptions {
    sockaddr_storage target{};
    socklen_t targetLen = 0;
    uint16_t localPort = 0;
    int64_t retransmitNs = 1'000'000'000;
    int maxSends = 4;  // first transmission plus three retransmissions
};

// Runs a workload on K slots, each with at most one request in flight.
class Runner {
  public:
    virtual ~Runner() = default;
    virtual RunStats run(Workload& work, std::size_t inflight) = 0;
};

// ng over UDP: one socket, requests matched to replies by cookie,
// retransmitted with the same cookie.
class Engine final : public Runner {
  public:
    explicit Engine(const EngineOptions& opts) : opts_(opts), naming_() {
        fd_ = ::socket(opts.target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) dieErrno("socket");
        int size = 4 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        if (opts.localPort != 0) {
            sockaddr_storage local{};
            socklen_t len;
            if (opts.target.ss_family == AF_INET6) {
                auto* a = reinterpret_cast<sockaddr_in6*>(&local);
                a->sin6_family = AF_INET6;
                a->sin6_port = htons(opts.localPort);
                a->sin6_addr = in6addr_any;
                len = sizeof *a;
            } else {
                auto* a = reinterpret_cast<sockaddr_in*>(&local);
                a->sin_family = AF_INET;
                a->sin_port = htons(opts.localPort);
                a->sin_addr.s_addr = htonl(INADDR_ANY);
                len = sizeof *a;
            }
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), len) != 0) dieErrno("bind");
        }
        // Connected: the kernel filters strangers and we can send without addresses.
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&opts.target), opts.targetLen) != 0)
            dieErrno("connect");
        recvBuffers_.resize(kBatch * kReplyBuffer);
    }
    ~Engine() { ::close(fd_); }
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Runs `work` on `inflight` slots until every slot is idle.
    RunStats run(Workload& work, std::size_t inflight) override {
        RunStats stats;
        ::getrusage(RUSAGE_SELF, &stats.usageStart);
        stats.startNs = nowNs();
        slots_.assign(inflight, Slot{});
        busy_ = 0;
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            slots_[i].index = uint32_t(i);
            advance(slots_[i], work, std::nullopt, stats);
        }
        flush();
        while (busy_ > 0) {
            int timeoutMs = pollTimeoutMs(nowNs());
            pollfd pfd{fd_, short(POLLIN | (pendingSends_.empty() ? 0 : POLLOUT)), 0};
            int rc = ::poll(&pfd, 1, timeoutMs);
            if (rc < 0 && errno != EINTR) dieErrno("poll");
            receiveAll(work, stats);
            checkTimeouts(work, stats);
            flush();
        }
        stats.endNs = nowNs();
        ::getrusage(RUSAGE_SELF, &stats.usageEnd);
        return stats;
    }

  private:
    struct Slot {
        uint32_t index = 0;
        uint32_t seq = 0;
        bool busy = false;
        Command cmd = Command::Ping;
        uint64_t callNo = 0;
        int sends = 0;
        int64_t firstSentNs = 0;
        int64_t lastSentNs = 0;
        std::string wire;
    };

    void advance(Slot& slot, Workload& work, const std::optional<Finished>& prev, RunStats& stats) {
        if (slot.busy) {
            slot.busy = false;
            --busy_;
        }
        std::optional<Step> step = work.next(prev);
        if (!step) return;
        slot.busy = true;
        ++busy_;
        slot.cmd = step->cmd;
        slot.callNo = step->callNo;
        // Engine-wide, so cookies never repeat across runs (hold's two phases).
        slot.seq = ++requestSeq_;
        slot.sends = 0;
        char cookie[32];
        int n = std::snprintf(cookie, sizeof cookie, "%x_%x_%x", runNonce_, slot.index, slot.seq);
        encodeRequest(slot.wire, std::string_view(cookie, std::size_t(n)), slot.cmd, slot.callNo,
                      naming_);
        stats.of(slot.cmd).sent++;
        queueSend(slot);
    }

    void queueSend(Slot& slot) {
        int64_t now = nowNs();
        if (slot.sends == 0) slot.firstSentNs = now;
        slot.lastSentNs = now;
        slot.sends++;
        pendingSends_.push_back(slot.index);
    }

    void flush() {
        while (!pendingSends_.empty()) {
            std::array<mmsghdr, kBatch> msgs{};
            std::array<iovec, kBatch> iov{};
            std::size_t n = std::min(pendingSends_.size(), kBatch);
            for (std::size_t i = 0; i < n; ++i) {
                Slot& s = slots_[pendingSends_[i]];
                iov[i].iov_base = s.wire.data();
                iov[i].iov_len = s.wire.size();
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int sent = ::sendmmsg(fd_, msgs.data(), unsigned(n), 0);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
                // ECONNREFUSED (daemon not listening yet) and the like: the
                // retransmit timer will try again.
                if (errno == ECONNREFUSED) {
                    pendingSends_.erase(pendingSends_.begin());
                    continue;
                }
                dieErrno("sendmmsg");
            }
            pendingSends_.erase(pendingSends_.begin(), pendingSends_.begin() + sent);
        }
    }

    void receiveAll(Workload& work, RunStats& stats) {
        for (;;) {
            std::array<mmsghdr, kBatch> msgs{};
            std::array<iovec, kBatch> iov{};
            for (std::size_t i = 0; i < kBatch; ++i) {
                iov[i].iov_base = recvBuffers_.data() + i * kReplyBuffer;
                iov[i].iov_len = kReplyBuffer;
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int n = ::recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
                if (errno == ECONNREFUSED) continue;  // ICMP from an earlier send
                dieErrno("recvmmsg");
            }
            int64_t now = nowNs();
            for (int i = 0; i < n; ++i) {
                std::string_view dgram(static_cast<const char*>(iov[std::size_t(i)].iov_base),
                                       msgs[std::size_t(i)].msg_len);
                handleReply(dgram, now, work, stats);
            }
            if (std::size_t(n) < kBatch) return;
        }
    }

    void handleReply(std::string_view dgram, int64_t now, Workload& work, RunStats& stats) {
        auto reply = parseReply(dgram);
        if (!reply) {
            stats.garbledReplies++;
            return;
        }
        if (reply->run != runNonce_ || reply->slot >= slots_.size()) {
            stats.staleReplies++;
            return;
        }
        Slot& slot = slots_[reply->slot];
        if (!slot.busy || slot.seq != reply->seq) {
            stats.staleReplies++;
            return;
        }
        CommandStats& cs = stats.of(slot.cmd);
        int64_t us = (now - slot.firstSentNs) / 1000;
        cs.latencyUs.push_back(uint32_t(std::min<int64_t>(us, UINT32_MAX)));
        if (reply->ok) {
            cs.ok++;
        } else {
            cs.errors++;
            if (reportedErrors_ < 5) {
                reportedErrors_++;
                std::fprintf(stderr, "ngload: %s of call %" PRIu64 " failed: %.*s\n",
                             kCommandNames[std::size_t(slot.cmd)], slot.callNo,
                             int(reply->errorReason.size()), reply->errorReason.data());
            }
        }
        advance(slot, work,
                Finished{slot.cmd, slot.callNo, reply->ok ? Outcome::Ok : Outcome::Error}, stats);
    }

    void checkTimeouts(Workload& work, RunStats& stats) {
        int64_t now = nowNs();
        for (Slot& slot : slots_) {
            if (!slot.busy || now - slot.lastSentNs < opts_.retransmitNs) continue;
            if (slot.sends >= opts_.maxSends) {
                stats.of(slot.cmd).lost++;
                advance(slot, work, Finished{slot.cmd, slot.callNo, Outcome::Lost}, stats);
                continue;
            }
            // Same cookie: the daemon answers a duplicate from its reply cache.
            stats.of(slot.cmd).retransmits++;
            queueSend(slot);
        }
    }

    int pollTimeoutMs(int64_t now) const {
        int64_t earliest = INT64_MAX;
        for (const Slot& s : slots_)
            if (s.busy) earliest = std::min(earliest, s.lastSentNs + opts_.retransmitNs);
        if (earliest == INT64_MAX) return 100;
        int64_t ms = (earliest - now) / 1'000'000 + 1;
        return int(std::clamp<int64_t>(ms, 0, 100));
    }

    EngineOptions opts_;
    CallNaming naming_;
    int fd_ = -1;
    std::vector<Slot> slots_;
    std::size_t busy_ = 0;
    std::vector<uint32_t> pendingSends_;
    std::vector<char> recvBuffers_;
    int reportedErrors_ = 0;
    uint32_t requestSeq_ = 0;
    uint32_t runNonce_ = uint32_t(nowNs() ^ (int64_t(::getpid()) << 20));
};

// ---------------------------------------------------------------------------
// ng over HTTP (POST /ng) and WebSocket (subprotocol ng.rtpengine.com): one
// TCP connection per slot with one request in flight on each, as a
// signalling server with a pool of connections drives the daemon. A
// benchmark client, not a general HTTP/WebSocket implementation: replies
// with Content-Length, chunked or ended by a close; unfragmented or
// fragmented server frames; no TLS.

enum class Transport : uint8_t { Udp, Http, Ws };

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

struct HttpResponse {
    int status = 0;
    std::string body;
    bool close = false;  // the server closes the connection after it
};

// One whole response from the front of `rx` (removed from it), or nullopt
// while it is incomplete. `eof`: the peer closed, which ends a body without
// a length. `failed` is set when the bytes are no HTTP response.
std::optional<HttpResponse> takeHttpResponse(std::string& rx, bool eof, bool& failed) {
    auto headEnd = rx.find("\r\n\r\n");
    if (headEnd == std::string::npos) return std::nullopt;
    std::string_view head(rx.data(), headEnd);
    HttpResponse r;
    if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
        failed = true;
        return std::nullopt;
    }
    r.status = std::atoi(std::string(head.substr(9, 3)).c_str());
    std::optional<std::size_t> length;
    bool chunked = false;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
        std::size_t next = head.find("\r\n", pos + 2);
        std::string_view line = head.substr(pos + 2, (next == std::string_view::npos ? head.size() : next) - pos - 2);
        pos = next;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name = lower(line.substr(0, colon));
        std::string value = lower(line.substr(colon + 1));
        value.erase(0, value.find_first_not_of(' '));
        if (name == "content-length") length = std::strtoull(value.c_str(), nullptr, 10);
        if (name == "transfer-encoding" && value.find("chunked") != std::string::npos) chunked = true;
        if (name == "connection" && value.find("close") != std::string::npos) r.close = true;
    }
    std::size_t bodyStart = headEnd + 4;
    if (chunked) {
        std::size_t at = bodyStart;
        for (;;) {
            auto eol = rx.find("\r\n", at);
            if (eol == std::string::npos) return std::nullopt;
            std::size_t n = std::strtoull(rx.c_str() + at, nullptr, 16);
            if (n == 0) {
                auto end = rx.find("\r\n", eol + 2);  // trailers (none) end with an empty line
                if (end == std::string::npos) return std::nullopt;
                rx.erase(0, end + 2);
                return r;
            }
            if (rx.size() < eol + 2 + n + 2) return std::nullopt;
            r.body.append(rx, eol + 2, n);
            at = eol + 2 + n + 2;
        }
    }
    if (length) {
        if (rx.size() < bodyStart + *length) return std::nullopt;
        r.body.assign(rx, bodyStart, *length);
        rx.erase(0, bodyStart + *length);
        return r;
    }
    if (!eof) return std::nullopt;
    r.body.assign(rx, bodyStart);
    r.close = true;
    rx.clear();
    return r;
}

// A connected TCP socket to `target` (blocking), or -1 with errno set.
int connectTcp(const EngineOptions& opts) {
    int fd = ::socket(opts.target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) dieErrno("socket");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&opts.target), opts.targetLen) != 0) {
        int e = errno;
        ::close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

bool writeAllBlocking(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 1000);
                continue;
            }
            return false;
        }
        data.remove_prefix(std::size_t(n));
    }
    return true;
}

// Reads what is there (non-blocking) into `rx`; false on EOF or an error.
bool readAvailable(int fd, std::string& rx) {
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            rx.append(buf, std::size_t(n));
            continue;
        }
        if (n == 0) return false;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

// The WebSocket opening handshake (RFC 6455 §4.1) for subprotocol `proto`;
// what the server sent after its 101 stays in `rx`.
bool wsHandshake(int fd, const std::string& host, std::string_view proto, std::string& rx) {
    std::string req = "GET /ng HTTP/1.1\r\nHost: " + host +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: bmdsb2FkIGJlbmNobWFyaw==\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
                      std::string(proto) + "\r\n\r\n";
    if (!writeAllBlocking(fd, req)) return false;
    int64_t deadline = nowNs() + 5'000'000'000;
    for (;;) {
        auto end = rx.find("\r\n\r\n");
        if (end != std::string::npos) {
            bool ok = rx.compare(0, 12, "HTTP/1.1 101") == 0;
            if (!ok) std::fprintf(stderr, "ngload: WebSocket handshake refused: %.*s\n", int(std::min<std::size_t>(end, 200)), rx.data());
            rx.erase(0, end + 4);
            return ok;
        }
        int64_t left = (deadline - nowNs()) / 1'000'000;
        if (left <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, int(left)) < 0 && errno != EINTR) return false;
        if (!readAvailable(fd, rx)) return false;
    }
}

// A client frame (masked, RFC 6455 §5.3) with `opcode`, FIN set.
void wsFrame(std::string& out, uint8_t opcode, std::string_view payload, uint32_t maskKey) {
    out.clear();
    out += char(0x80 | opcode);
    std::size_t n = payload.size();
    if (n < 126) {
        out += char(0x80 | n);
    } else if (n <= 0xffff) {
        out += char(0x80 | 126);
        out += char(n >> 8);
        out += char(n & 0xff);
    } else {
        out += char(0x80 | 127);
        for (int i = 7; i >= 0; --i) out += char((uint64_t(n) >> (8 * i)) & 0xff);
    }
    uint8_t key[4] = {uint8_t(maskKey >> 24), uint8_t(maskKey >> 16), uint8_t(maskKey >> 8), uint8_t(maskKey)};
    out.append(reinterpret_cast<const char*>(key), 4);
    std::size_t start = out.size();
    out += payload;
    for (std::size_t i = 0; i < n; ++i) out[start + i] = char(out[start + i] ^ key[i % 4]);
}

enum class WsTake { Incomplete, Message, Control, Closed, Bad };

// One frame from the front of `rx`: data frames are added to `msg` (a
// message is whole at FIN), pings answered into `pong`.
WsTake takeWsFrame(std::string& rx, std::string& msg, std::string& pong, uint32_t maskKey) {
    if (rx.size() < 2) return WsTake::Incomplete;
    auto b0 = uint8_t(rx[0]), b1 = uint8_t(rx[1]);
    bool fin = b0 & 0x80, masked = b1 & 0x80;
    uint8_t opcode = b0 & 0x0f;
    uint64_t len = b1 & 0x7f;
    std::size_t at = 2;
    if (len == 126) {
        if (rx.size() < 4) return WsTake::Incomplete;
        len = (uint64_t(uint8_t(rx[2])) << 8) | uint8_t(rx[3]);
        at = 4;
    } else if (len == 127) {
        if (rx.size() < 10) return WsTake::Incomplete;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(rx[2 + std::size_t(i)]);
        at = 10;
    }
    if (len > (64u << 20)) return WsTake::Bad;
    uint8_t key[4] = {};
    if (masked) {
        if (rx.size() < at + 4) return WsTake::Incomplete;
        std::memcpy(key, rx.data() + at, 4);
        at += 4;
    }
    if (rx.size() < at + len) return WsTake::Incomplete;
    std::string payload = rx.substr(at, std::size_t(len));
    if (masked)
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = char(payload[i] ^ key[i % 4]);
    rx.erase(0, at + std::size_t(len));
    switch (opcode) {
        case 0x0:
        case 0x1:
        case 0x2:
            msg += payload;
            return fin ? WsTake::Message : WsTake::Control;
        case 0x8:
            return WsTake::Closed;
        case 0x9: {
            std::string frame;
            wsFrame(frame, 0xA, payload, maskKey);
            pong += frame;
            return WsTake::Control;
        }
        default:
            return WsTake::Control;  // pong and the like
    }
}

class StreamEngine final : public Runner {
  public:
    StreamEngine(const EngineOptions& opts, Transport transport, std::string host)
        : opts_(opts), transport_(transport), host_(std::move(host)) {}
    ~StreamEngine() override {
        for (Slot& s : slots_) closeConn(s);
    }
    StreamEngine(const StreamEngine&) = delete;
    StreamEngine& operator=(const StreamEngine&) = delete;

    // Opens `n` connections (and their WebSocket handshakes), retrying
    // refused connects for `waitS` seconds (a daemon still starting).
    bool prepare(std::size_t n, double waitS) {
        int64_t deadline = nowNs() + int64_t(waitS * 1e9);
        if (slots_.size() < n) slots_.resize(n);
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            slots_[i].index = uint32_t(i);
            while (slots_[i].fd < 0) {
                if (open(slots_[i])) break;
                if (nowNs() > deadline) return false;
                ::usleep(100'000);
            }
        }
        return true;
    }

    RunStats run(Workload& work, std::size_t inflight) override {
        RunStats stats;
        if (!prepare(inflight, 5)) dieErrno("cannot connect to the daemon");
        ::getrusage(RUSAGE_SELF, &stats.usageStart);
        stats.startNs = nowNs();
        busy_ = 0;
        for (std::size_t i = 0; i < inflight; ++i) advance(slots_[i], work, std::nullopt, stats);
        std::vector<pollfd> pfds;
        std::vector<uint32_t> which;
        while (busy_ > 0) {
            pfds.clear();
            which.clear();
            for (Slot& s : slots_) {
                if (!s.busy || s.fd < 0) continue;
                pfds.push_back(pollfd{s.fd, short(POLLIN | (s.txOff < s.tx.size() ? POLLOUT : 0)), 0});
                which.push_back(s.index);
            }
            int rc = ::poll(pfds.data(), pfds.size(), pollTimeoutMs(nowNs()));
            if (rc < 0 && errno != EINTR) dieErrno("poll");
            for (std::size_t i = 0; rc > 0 && i < pfds.size(); ++i) {
                if (!pfds[i].revents) continue;
                Slot& s = slots_[which[i]];
                if (pfds[i].revents & POLLOUT) flushTx(s);
                if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) receive(s, work, stats);
            }
            checkTimeouts(work, stats);
        }
        stats.endNs = nowNs();
        ::getrusage(RUSAGE_SELF, &stats.usageEnd);
        return stats;
    }

  private:
    struct Slot {
        uint32_t index = 0;
        uint32_t seq = 0;
        bool busy = false;
        Command cmd = Command::Ping;
        uint64_t callNo = 0;
        int64_t sentNs = 0;
        int fd = -1;
        std::string rx, tx, msg, body;
        std::size_t txOff = 0;
    };

    bool open(Slot& s) {
        s.fd = connectTcp(opts_);
        if (s.fd < 0) return false;
        s.rx.clear();
        s.msg.clear();
        if (transport_ == Transport::Ws && !wsHandshake(s.fd, host_, "ng.rtpengine.com", s.rx)) {
            closeConn(s);
            return false;
        }
        int flags = ::fcntl(s.fd, F_GETFL);
        ::fcntl(s.fd, F_SETFL, flags | O_NONBLOCK);
        return true;
    }

    void closeConn(Slot& s) {
        if (s.fd >= 0) ::close(s.fd);
        s.fd = -1;
    }

    void reopen(Slot& s) {
        closeConn(s);
        for (int tries = 0; tries < 50 && !open(s); ++tries) ::usleep(100'000);
        if (s.fd < 0) dieErrno("cannot reconnect to the daemon");
    }

    void advance(Slot& slot, Workload& work, const std::optional<Finished>& prev, RunStats& stats) {
        if (slot.busy) {
            slot.busy = false;
            --busy_;
        }
        std::optional<Step> step = work.next(prev);
        if (!step) return;
        slot.busy = true;
        ++busy_;
        slot.cmd = step->cmd;
        slot.callNo = step->callNo;
        slot.seq = ++requestSeq_;
        char cookie[32];
        int n = std::snprintf(cookie, sizeof cookie, "%x_%x_%x", runNonce_, slot.index, slot.seq);
        encodeRequest(slot.body, std::string_view(cookie, std::size_t(n)), slot.cmd, slot.callNo, naming_);
        if (transport_ == Transport::Ws) {
            wsFrame(slot.tx, 0x1, slot.body, maskKey_);
        } else {
            slot.tx = "POST /ng HTTP/1.1\r\nHost: " + host_ +
                      "\r\nContent-Type: application/x-rtpengine-ng\r\nContent-Length: " +
                      std::to_string(slot.body.size()) + "\r\n\r\n";
            slot.tx += slot.body;
        }
        slot.txOff = 0;
        stats.of(slot.cmd).sent++;
        slot.sentNs = nowNs();
        flushTx(slot);
    }

    void flushTx(Slot& s) {
        while (s.txOff < s.tx.size() && s.fd >= 0) {
            ssize_t n = ::send(s.fd, s.tx.data() + s.txOff, s.tx.size() - s.txOff, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR) continue;
                return;  // EAGAIN: POLLOUT; errors show up on the read side
            }
            s.txOff += std::size_t(n);
        }
    }

    void receive(Slot& s, Workload& work, RunStats& stats) {
        bool open = readAvailable(s.fd, s.rx);
        for (;;) {
            std::optional<std::string> reply;
            bool closeAfter = false;
            if (transport_ == Transport::Http) {
                bool failed = false;
                auto r = takeHttpResponse(s.rx, !open, failed);
                if (failed) {
                    stats.garbledReplies++;
                    fail(s, work, stats);
                    return;
                }
                if (r) {
                    if (r->status != 200) {
                        r->body.clear();  // counted as garbled below
                        std::fprintf(stderr, "ngload: HTTP status %d\n", r->status);
                    }
                    reply = std::move(r->body);
                    closeAfter = r->close;
                }
            } else {
                std::string pong;
                WsTake t = takeWsFrame(s.rx, s.msg, pong, maskKey_);
                if (!pong.empty()) writeAllBlocking(s.fd, pong);
                if (t == WsTake::Control) continue;
                if (t == WsTake::Closed || t == WsTake::Bad) {
                    fail(s, work, stats);
                    return;
                }
                if (t == WsTake::Message) {
                    reply = std::move(s.msg);
                    s.msg.clear();
                }
            }
            if (!reply) break;
            complete(s, *reply, work, stats);
            if (closeAfter) {
                reopen(s);
                return;
            }
        }
        if (!open) {
            if (s.busy) {
                fail(s, work, stats);
            } else {
                reopen(s);
            }
        }
    }

    void complete(Slot& slot, std::string_view body, Workload& work, RunStats& stats) {
        auto reply = parseReply(body);
        if (!reply) {
            stats.garbledReplies++;
            return;
        }
        if (!slot.busy || reply->run != runNonce_ || reply->slot != slot.index || reply->seq != slot.seq) {
            stats.staleReplies++;
            return;
        }
        CommandStats& cs = stats.of(slot.cmd);
        int64_t us = (nowNs() - slot.sentNs) / 1000;
        cs.latencyUs.push_back(uint32_t(std::min<int64_t>(us, UINT32_MAX)));
        if (reply->ok) {
            cs.ok++;
        } else {
            cs.errors++;
            if (reportedErrors_ < 5) {
                reportedErrors_++;
                std::fprintf(stderr, "ngload: %s of call %" PRIu64 " failed: %.*s\n",
                             kCommandNames[std::size_t(slot.cmd)], slot.callNo, int(reply->errorReason.size()),
                             reply->errorReason.data());
            }
        }
        advance(slot, work, Finished{slot.cmd, slot.callNo, reply->ok ? Outcome::Ok : Outcome::Error}, stats);
    }

    // The request of a slot whose connection broke or timed out is lost
    // (TCP has no retransmission of ours); the slot goes on a new connection.
    void fail(Slot& s, Workload& work, RunStats& stats) {
        reopen(s);
        if (!s.busy) return;
        stats.of(s.cmd).lost++;
        advance(s, work, Finished{s.cmd, s.callNo, Outcome::Lost}, stats);
    }

    int64_t timeoutNs() const { return opts_.retransmitNs * opts_.maxSends; }

    void checkTimeouts(Workload& work, RunStats& stats) {
        int64_t now = nowNs();
        for (Slot& s : slots_)
            if (s.busy && now - s.sentNs >= timeoutNs()) {
                stats.of(s.cmd).retransmits++;  // shown as a timeout
                fail(s, work, stats);
            }
    }

    int pollTimeoutMs(int64_t now) const {
        int64_t earliest = INT64_MAX;
        for (const Slot& s : slots_)
            if (s.busy) earliest = std::min(earliest, s.sentNs + timeoutNs());
        if (earliest == INT64_MAX) return 100;
        return int(std::clamp<int64_t>((earliest - now) / 1'000'000 + 1, 0, 100));
    }

    EngineOptions opts_;
    Transport transport_;
    std::string host_;
    CallNaming naming_;
    std::vector<Slot> slots_;
    std::size_t busy_ = 0;
    int reportedErrors_ = 0;
    uint32_t requestSeq_ = 0;
    uint32_t runNonce_ = uint32_t(nowNs() ^ (int64_t(::getpid()) << 20));
    uint32_t maskKey_ = uint32_t(nowNs()) * 2654435761u;
};

// ---------------------------------------------------------------------------
// /metrics scrapes: GET on one keep-alive connection, timed from the request
// to the last byte of the reply.

// SIGTERM ends a scrape loop that runs until told (the result is printed).
volatile std::sig_atomic_t g_stopScraping = 0;
void stopScraping(int) { g_stopScraping = 1; }

struct ScrapeResult {
    std::vector<double> ms;
    uint64_t errors = 0;
    uint64_t bytes = 0;  // of the last scrape
};

ScrapeResult scrape(const EngineOptions& opts, const std::string& host, std::string_view path,
                    uint64_t count, double durationS, double intervalS) {
    ScrapeResult res;
    int fd = -1;
    std::string rx;
    std::string req = "GET " + std::string(path) + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
    int64_t end = durationS > 0 ? nowNs() + int64_t(durationS * 1e9) : INT64_MAX;
    for (uint64_t i = 0; (count == 0 || i < count) && nowNs() < end && !g_stopScraping; ++i) {
        if (i > 0 && intervalS > 0) ::usleep(useconds_t(intervalS * 1e6));
        if (g_stopScraping) break;
        if (fd < 0) {
            fd = connectTcp(opts);
            if (fd < 0) {
                res.errors++;
                continue;
            }
            rx.clear();
        }
        int64_t t0 = nowNs();
        bool ok = writeAllBlocking(fd, req);
        std::optional<HttpResponse> r;
        bool failed = false, open = true;
        while (ok && !r && !failed) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 10'000) <= 0) break;
            open = readAvailable(fd, rx);
            r = takeHttpResponse(rx, !open, failed);
            if (!open && !r) break;
        }
        int64_t t1 = nowNs();
        if (!r || r->status != 200) {
            if (g_stopScraping) break;  // interrupted, not failed
            res.errors++;
            ::close(fd);
            fd = -1;
            continue;
        }
        res.ms.push_back(double(t1 - t0) / 1e6);
        res.bytes = r->body.size();
        if (r->close || !open) {
            ::close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) ::close(fd);
    return res;
}

// ---------------------------------------------------------------------------
// Reporting.

void printKv(const char* key, double value) { std::printf("%s=%.2f\n", key, value); }
void printKv(const char* key, uint64_t value) { std::printf("%s=%" PRIu64 "\n", key, value); }

struct CpuUse {
    double user = 0, sys = 0, wall = 0;
    double pct() const { return wall > 0 ? (user + sys) / wall * 100.0 : 0; }
};

CpuUse cpuUse(const RunStats& s) {
    CpuUse c;
    c.user = seconds(s.usageEnd.ru_utime) - seconds(s.usageStart.ru_utime);
    c.sys = seconds(s.usageEnd.ru_stime) - seconds(s.usageStart.ru_stime);
    c.wall = double(s.endNs - s.startNs) / 1e9;
    return c;
}

// key=value lines for every command that was used, with `prefix` before each key.
void printCommandKv(const RunStats& s, const std::string& prefix) {
    for (std::size_t i = 0; i < kCommandKinds; ++i) {
        const CommandStats& c = s.perCommand[i];
        if (c.sent == 0) continue;
        std::string k = prefix + kCommandNames[i];
        printKv((k + "_sent").c_str(), c.sent);
        printKv((k + "_ok").c_str(), c.ok);
        printKv((k + "_errors").c_str(), c.errors);
        printKv((k + "_lost").c_str(), c.lost);
        printKv((k + "_timeouts").c_str(), c.retransmits);
        printKv((k + "_p50_us").c_str(), uint64_t(c.percentile(50)));
        printKv((k + "_p99_us").c_str(), uint64_t(c.percentile(99)));
        printKv((k + "_max_us").c_str(), uint64_t(c.maximum()));
    }
    printKv((prefix + "timeouts").c_str(), s.totalTimeouts());
    printKv((prefix + "errors").c_str(), s.totalErrors());
    printKv((prefix + "stale_replies").c_str(), s.staleReplies);
    CpuUse cpu = cpuUse(s);
    printKv((prefix + "wall_s").c_str(), cpu.wall);
    printKv((prefix + "cpu_user_s").c_str(), cpu.user);
    printKv((prefix + "cpu_sys_s").c_str(), cpu.sys);
    printKv((prefix + "cpu_pct").c_str(), cpu.pct());
}

void printCommandSummary(const RunStats& s) {
    std::fprintf(stderr, "  %-7s %9s %9s %9s %9s %7s %7s %7s\n", "command", "replies", "p50 us",
                 "p99 us", "max us", "errors", "lost", "retx");
    for (std::size_t i = 0; i < kCommandKinds; ++i) {
        const CommandStats& c = s.perCommand[i];
        if (c.sent == 0) continue;
        std::fprintf(stderr, "  %-7s %9zu %9u %9u %9u %7" PRIu64 " %7" PRIu64 " %7" PRIu64 "\n",
                     kCommandNames[i], c.latencyUs.size(), c.percentile(50), c.percentile(99),
                     c.maximum(), c.errors, c.lost, c.retransmits);
    }
    CpuUse cpu = cpuUse(s);
    std::fprintf(stderr,
                 "  generator CPU: %.2f s user + %.2f s sys over %.2f s = %.1f%% of a core\n",
                 cpu.user, cpu.sys, cpu.wall, cpu.pct());
}

// ---------------------------------------------------------------------------
// Command line.

struct Options {
    std::string mode;
    std::string target;
    std::size_t inflight = 0;  // 0: the mode's default
    double duration = 10;
    uint64_t calls = 1000;
    uint64_t cycles = 20000;
    uint16_t localPort = 0;
    double retransmitSeconds = 1.0;
    double waitSeconds = 10;  // ping mode
    Transport transport = Transport::Udp;
    uint64_t count = 20;       // scrape mode
    double interval = 0;       // scrape mode: seconds between scrapes
    std::string path = "/metrics";
};

void usage() {
    std::fprintf(
        stderr,
        "usage: ngload MODE --target HOST:PORT [options]\n"
        "modes:\n"
        "  cycles --inflight K --duration S   K slots loop offer/answer/delete for S seconds\n"
        "  churn  --cycles N [--inflight K]   N offer/answer/delete cycles (K default 16)\n"
        "  hold   --calls N [--inflight K]    establish N calls, print ESTABLISHED n, wait for a\n"
        "                                     line on stdin, delete them, print DELETED, wait EOF\n"
        "  ping   [--wait S]                  exit 0 once the daemon answers a ping\n"
        "  scrape [--count N] [--duration S] [--interval S] [--path P]\n"
        "                                     time N GET P (/metrics) on one HTTP connection\n"
        "                                     (--count 0: until --duration runs out)\n"
        "options:\n"
        "  --transport T       udp (default), http (POST /ng, one connection per slot) or ws\n"
        "                      (WebSocket ng.rtpengine.com, one connection per slot); HOST:PORT\n"
        "                      is then the daemon's --listen-http\n"
        "  --local-port P      bind the client socket to port P (keep it out of media ranges; udp)\n"
        "  --retransmit S      retransmit timeout in seconds (default 1; http/ws: a request is\n"
        "                      lost after 4 times this)\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    if (argc < 2) return std::nullopt;
    Options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            std::fprintf(stderr, "ngload: %s needs a value\n", argv[i]);
            return std::nullopt;
        }
        char* end = nullptr;
        if (arg == "--target") {
            o.target = value;
        } else if (arg == "--inflight") {
            o.inflight = std::strtoul(value.c_str(), &end, 10);
        } else if (arg == "--duration") {
            o.duration = std::strtod(value.c_str(), &end);
        } else if (arg == "--calls") {
            o.calls = std::strtoull(value.c_str(), &end, 10);
        } else if (arg == "--cycles") {
            o.cycles = std::strtoull(value.c_str(), &end, 10);
        } else if (arg == "--local-port") {
            o.localPort = uint16_t(std::strtoul(value.c_str(), &end, 10));
        } else if (arg == "--retransmit") {
            o.retransmitSeconds = std::strtod(value.c_str(), &end);
        } else if (arg == "--wait") {
            o.waitSeconds = std::strtod(value.c_str(), &end);
        } else if (arg == "--count") {
            o.count = std::strtoull(value.c_str(), &end, 10);
        } else if (arg == "--interval") {
            o.interval = std::strtod(value.c_str(), &end);
        } else if (arg == "--path") {
            o.path = value;
        } else if (arg == "--transport") {
            if (value == "udp") {
                o.transport = Transport::Udp;
            } else if (value == "http") {
                o.transport = Transport::Http;
            } else if (value == "ws") {
                o.transport = Transport::Ws;
            } else {
                std::fprintf(stderr, "ngload: --transport is udp, http or ws\n");
                return std::nullopt;
            }
        } else {
            std::fprintf(stderr, "ngload: unknown option %.*s\n", int(arg.size()), arg.data());
            return std::nullopt;
        }
        if (end != nullptr && *end != '\0') {
            std::fprintf(stderr, "ngload: bad value for %.*s: %s\n", int(arg.size()), arg.data(),
                         value.c_str());
            return std::nullopt;
        }
    }
    if (o.target.empty()) {
        std::fprintf(stderr, "ngload: --target HOST:PORT is required\n");
        return std::nullopt;
    }
    return o;
}

// "HOST:PORT" or "[V6]:PORT", numeric hosts only.
bool resolveTarget(const std::string& text, EngineOptions& eo) {
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) return false;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr)
        return false;
    std::memcpy(&eo.target, res->ai_addr, res->ai_addrlen);
    eo.targetLen = socklen_t(res->ai_addrlen);
    ::freeaddrinfo(res);
    return true;
}

int runCycles(Runner& engine, const Options& o, bool churn) {
    std::size_t inflight = o.inflight ? o.inflight : (churn ? 16 : 1);
    int64_t start = nowNs();
    int64_t deadline = churn ? INT64_MAX : start + int64_t(o.duration * 1e9);
    CycleWorkload work(deadline, churn ? o.cycles : UINT64_MAX);
    RunStats s = engine.run(work, inflight);
    double measured = churn ? double(s.endNs - s.startNs) / 1e9 : o.duration;
    double rate = measured > 0 ? double(work.completed()) / measured : 0;

    std::printf("mode=%s\n", churn ? "churn" : "cycles");
    std::printf("transport=%s\n", o.transport == Transport::Udp ? "udp" : o.transport == Transport::Http ? "http" : "ws");
    printKv("inflight", uint64_t(inflight));
    printKv("duration_s", measured);
    printKv("cycles", work.completed());
    printKv("failed_cycles", work.failed());
    printKv("cycles_per_s", rate);
    printCommandKv(s, "");
    std::fflush(stdout);

    std::fprintf(stderr,
                 "ngload %s: %" PRIu64
                 " cycles in %.1f s at %zu in flight = %.0f cycles/s"
                 " (%" PRIu64 " failed, %" PRIu64 " timeouts)\n",
                 churn ? "churn" : "cycles", work.completed(), measured, inflight, rate,
                 work.failed(), s.totalTimeouts());
    printCommandSummary(s);
    return 0;
}

int runHold(Runner& engine, const Options& o) {
    std::size_t inflight = o.inflight ? o.inflight : 16;
    EstablishWorkload establish(o.calls);
    RunStats up = engine.run(establish, inflight);
    printKv("calls_requested", o.calls);
    printKv("calls_established", establish.established());
    printCommandKv(up, "establish_");
    std::printf("ESTABLISHED %" PRIu64 "\n", establish.established());
    std::fflush(stdout);
    std::fprintf(stderr, "ngload hold: %" PRIu64 " of %" PRIu64 " calls established in %.2f s\n",
                 establish.established(), o.calls, double(up.endNs - up.startNs) / 1e9);
    printCommandSummary(up);

    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "delete") break;
    }

    TeardownWorkload teardown(establish.toDelete());
    RunStats down = engine.run(teardown, inflight);
    printKv("calls_deleted", teardown.deleted());
    printCommandKv(down, "teardown_");
    std::printf("DELETED %" PRIu64 "\n", teardown.deleted());
    std::fflush(stdout);
    std::fprintf(stderr, "ngload hold: %" PRIu64 " calls deleted in %.2f s\n", teardown.deleted(),
                 double(down.endNs - down.startNs) / 1e9);
    printCommandSummary(down);

    while (std::getline(std::cin, line)) {
    }
    return establish.established() == o.calls && teardown.deleted() == o.calls ? 0 : 1;
}

// Retransmits every 100 ms (see main) until the daemon answers or --wait runs out.
int runPing(Runner& engine) {
    PingWorkload ping;
    engine.run(ping, 1);
    std::printf("ping=%s\n", ping.answered() ? "ok" : "timeout");
    return ping.answered() ? 0 : 1;
}

double percentileOf(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::size_t k = std::min(v.size() - 1, std::size_t(p / 100.0 * double(v.size())));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

int runScrape(const EngineOptions& eo, const Options& o) {
    struct sigaction sa {};
    sa.sa_handler = stopScraping;
    ::sigaction(SIGTERM, &sa, nullptr);
    ScrapeResult r = scrape(eo, o.target, o.path, o.count, o.count ? 0 : o.duration, o.interval);
    double mx = r.ms.empty() ? 0 : *std::max_element(r.ms.begin(), r.ms.end());
    std::printf("mode=scrape\n");
    printKv("scrapes", uint64_t(r.ms.size()));
    printKv("scrape_errors", r.errors);
    printKv("scrape_bytes", r.bytes);
    printKv("scrape_p50_ms", percentileOf(r.ms, 50));
    printKv("scrape_p90_ms", percentileOf(r.ms, 90));
    printKv("scrape_max_ms", mx);
    std::fflush(stdout);
    std::fprintf(stderr, "ngload scrape: %zu scrapes of %s (%" PRIu64 " bytes), p50 %.2f ms, max %.2f ms, %" PRIu64 " errors\n",
                 r.ms.size(), o.path.c_str(), r.bytes, percentileOf(r.ms, 50), mx, r.errors);
    return r.ms.empty() ? 1 : 0;
}

}  // namespace
}  // namespace ngm::bench

int main(int argc, char** argv) {
    using namespace ngm::bench;
    auto opts = parseOptions(argc, argv);
    if (!opts) {
        usage();
        return 2;
    }
    EngineOptions eo;
    if (!resolveTarget(opts->target, eo)) die("bad --target " + opts->target);
    eo.localPort = opts->localPort;
    eo.retransmitNs = int64_t(opts->retransmitSeconds * 1e9);
    if (opts->mode == "ping") {
        eo.retransmitNs = 100'000'000;
        eo.maxSends = std::max(1, int(opts->waitSeconds * 10));
    }
    if (opts->mode == "scrape") return runScrape(eo, *opts);
    std::unique_ptr<Runner> runner;
    if (opts->transport == Transport::Udp) {
        runner = std::make_unique<Engine>(eo);
    } else {
        auto stream = std::make_unique<StreamEngine>(eo, opts->transport, opts->target);
        std::size_t slots = opts->inflight ? opts->inflight : (opts->mode == "churn" || opts->mode == "hold" ? 16 : 1);
        if (!stream->prepare(slots, opts->mode == "ping" ? opts->waitSeconds : 5)) {
            if (opts->mode == "ping") {
                std::printf("ping=timeout\n");
                return 1;
            }
            dieErrno("cannot connect to " + opts->target);
        }
        runner = std::move(stream);
    }
    Runner& engine = *runner;

    if (opts->mode == "cycles") return runCycles(engine, *opts, false);
    if (opts->mode == "churn") return runCycles(engine, *opts, true);
    if (opts->mode == "hold") return runHold(engine, *opts);
    if (opts->mode == "ping") return runPing(engine);
    usage();
    return 2;
}
