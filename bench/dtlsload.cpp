// dtlsload: DTLS-SRTP handshake load for an rtpengine-compatible relay.
//
// It sets up N calls over the ng protocol whose A leg is DTLS-SRTP (offer
// UDP/TLS/RTP/SAVP with a=setup:SETUP and the fingerprint of a certificate
// of its own, transport-protocol RTP/AVP towards the plain B leg), then runs
// the N handshakes at once on the A sockets with crypto::DtlsConnection as
// the peer, as fast as the daemon answers, and measures how many complete
// per second and per CPU second of the daemon (from /proc/PID/stat over the
// handshake phase only). Finally it deletes the calls.
//
// --setup actpass (default, what browsers offer): the daemon answers
// active and sends the ClientHello; --setup active: we send it.
//
// With --notify-pid PID it sends PID SIGUSR1 before the first offer and
// SIGUSR2 after the last handshake ended (mediaload's burst window).
//
// stdout: key=value lines; stderr: a readable summary.
// Exit status: 0 all handshakes completed; 1 some failed; 2 fatal error.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "benchkit.h"
#include "crypto/dtls.h"

namespace {

using namespace ngm::crypto;
using namespace benchkit;

struct Options {
    std::string target;
    uint32_t calls = 0;
    uint32_t inflight = 16;  // ng commands in flight
    bool weActive = false;   // --setup active
    uint16_t localPort = 0;
    uint16_t portMin = 2000, portMax = 18999;
    int daemonPid = 0;
    int notifyPid = 0;
    double timeout = 30;
};

std::string audioSdp(uint16_t port, std::string_view proto, const std::string& extra) {
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " " + std::string(proto) +
           " 0\r\na=rtpmap:0 PCMU/8000\r\na=rtcp-mux\r\n" + extra + "a=sendrecv\r\n";
}

struct Call {
    int fdA = -1, fdB = -1;
    uint16_t portA = 0, portB = 0;
    std::string callId;
    int stage = 0;  // 0 offer, 1 answer, 2 set up, 3 delete sent, 4 done; -1 failed
    int sends = 0;
    int64_t sentNs = 0;
    std::string request;
    uint16_t daemonPort = 0;
    bool daemonActive = false;
    std::optional<Fingerprint> peerFp;
    std::unique_ptr<DtlsConnection> conn;
    int64_t hsStartNs = 0, hsEndNs = 0;
};

// Runs ng requests for every call in `stage` (offer, answer or delete) with
// up to `inflight` at once; `make` builds the request, `done` takes the reply.
template <typename Make, typename Done>
void ngRound(int fd, const Options& o, std::vector<Call>& calls, uint32_t nonce, int stage,
             Make make, Done done, uint64_t& seq, uint64_t& retransmits) {
    std::vector<size_t> pending;
    for (size_t i = 0; i < calls.size(); ++i)
        if (calls[i].stage == stage) pending.push_back(i);
    size_t next = 0, active = 0;
    std::vector<std::pair<std::string, size_t>> inFlight;  // cookie -> call
    char buf[65536];
    while (next < pending.size() || active > 0) {
        while (active < o.inflight && next < pending.size()) {
            Call& c = calls[pending[next++]];
            std::string cookie = std::to_string(nonce) + "_" + std::to_string(seq++);
            c.request = cookie + " " + make(c);
            c.sends = 1;
            c.sentNs = monoNs();
            ::send(fd, c.request.data(), c.request.size(), 0);
            inFlight.emplace_back(cookie, size_t(&c - calls.data()));
            ++active;
        }
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, 50);
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) break;
            std::string_view msg(buf, size_t(n));
            size_t sp = msg.find(' ');
            if (sp == std::string_view::npos) continue;
            auto it = std::find_if(inFlight.begin(), inFlight.end(),
                                   [&](auto& e) { return e.first == msg.substr(0, sp); });
            if (it == inFlight.end()) continue;
            Call& c = calls[it->second];
            inFlight.erase(it);
            --active;
            auto result = bvalue(msg.substr(sp + 1), "result");
            done(c, result && *result == "ok", std::string(msg.substr(sp + 1)));
        }
        const int64_t now = monoNs();
        for (auto it = inFlight.begin(); it != inFlight.end();) {
            Call& c = calls[it->second];
            if (now - c.sentNs < 1'000'000'000) {
                ++it;
                continue;
            }
            if (c.sends >= 4) {
                done(c, false, "no reply");
                it = inFlight.erase(it);
                --active;
                continue;
            }
            ++c.sends;
            ++retransmits;
            c.sentNs = now;
            ::send(fd, c.request.data(), c.request.size(), 0);
            ++it;
        }
    }
}

void usage() {
    std::fprintf(stderr,
                 "usage: dtlsload --target HOST:PORT --calls N [options]\n"
                 "  --setup S          actpass (default: the daemon is the DTLS client) or\n"
                 "                     active (we are)\n"
                 "  --inflight K       ng commands in flight during set-up/teardown (16)\n"
                 "  --local-port P     ng client port\n"
                 "  --port-min/--port-max  local ports of the call sockets (2000-18999)\n"
                 "  --daemon-pid PID   read the daemon's CPU over the handshake phase\n"
                 "  --notify-pid PID   SIGUSR1 to PID before the first offer, SIGUSR2 after\n"
                 "                     the last handshake\n"
                 "  --timeout S        give up on handshakes after S seconds (30)\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view arg = argv[i];
        std::string v = argv[i + 1];
        auto num = [&] { return std::strtoul(v.c_str(), nullptr, 10); };
        if (arg == "--target") o.target = v;
        else if (arg == "--calls") o.calls = uint32_t(num());
        else if (arg == "--inflight") o.inflight = uint32_t(std::max(1ul, num()));
        else if (arg == "--local-port") o.localPort = uint16_t(num());
        else if (arg == "--port-min") o.portMin = uint16_t(num());
        else if (arg == "--port-max") o.portMax = uint16_t(num());
        else if (arg == "--daemon-pid") o.daemonPid = int(num());
        else if (arg == "--notify-pid") o.notifyPid = int(num());
        else if (arg == "--timeout") o.timeout = std::strtod(v.c_str(), nullptr);
        else if (arg == "--setup") {
            if (v != "actpass" && v != "active") return std::nullopt;
            o.weActive = v == "active";
        } else {
            std::fprintf(stderr, "dtlsload: unknown option %s\n", argv[i]);
            return std::nullopt;
        }
    }
    if (o.target.empty() || o.calls == 0 || o.target.find(':') == std::string::npos)
        return std::nullopt;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    auto opts = parseOptions(argc, argv);
    if (!opts) {
        usage();
        return 2;
    }
    const Options& o = *opts;
    ::signal(SIGPIPE, SIG_IGN);
    auto cert = DtlsCertificate::create({});
    if (!cert) {
        std::fprintf(stderr, "dtlsload: certificate: %s\n", cert.error().reason.c_str());
        return 2;
    }
    const std::string ourFp = writeFingerprint((*cert)->fingerprint(FingerprintHash::Sha256));

    // The ng socket, connected to the daemon.
    const std::string host = o.target.substr(0, o.target.rfind(':'));
    const uint16_t ngPort = uint16_t(std::strtoul(o.target.c_str() + o.target.rfind(':') + 1, nullptr, 10));
    int ng = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in la = loopbackAddr(o.localPort);
    sockaddr_in ta{};
    ta.sin_family = AF_INET;
    ta.sin_port = htons(ngPort);
    if (ng < 0 || ::inet_pton(AF_INET, host.c_str(), &ta.sin_addr) != 1 ||
        ::bind(ng, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0 ||
        ::connect(ng, reinterpret_cast<sockaddr*>(&ta), sizeof ta) != 0) {
        std::fprintf(stderr, "dtlsload: ng socket to %s: %s\n", o.target.c_str(), std::strerror(errno));
        return 2;
    }
    int rcv = 4 << 20;
    ::setsockopt(ng, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);

    uint32_t nonce = 0;
    if (::getrandom(&nonce, sizeof nonce, 0) != sizeof nonce) nonce = uint32_t(::getpid());
    std::vector<Call> calls(o.calls);
    uint16_t nextPort = o.portMin;
    for (uint32_t i = 0; i < o.calls; ++i) {
        Call& c = calls[i];
        c.fdA = bindNext(nextPort, o.portMax, c.portA);
        c.fdB = bindNext(nextPort, o.portMax, c.portB);
        if (c.fdA < 0 || c.fdB < 0) {
            std::fprintf(stderr, "dtlsload: no local ports or descriptors for %u calls\n", o.calls);
            return 2;
        }
        c.callId = "dtls-" + std::to_string(nonce) + "-" + std::to_string(i);
    }

    if (o.notifyPid) ::kill(o.notifyPid, SIGUSR1);
    const int64_t tStart = monoNs();
    uint64_t seq = 0, ngRetransmits = 0;
    std::string firstError;
    auto fail = [&](Call& c, const std::string& why) {
        c.stage = -1;
        if (firstError.empty()) firstError = c.callId + ": " + why.substr(0, 300);
    };
    const std::string setupAttr = o.weActive ? "active" : "actpass";
    ngRound(ng, o, calls, nonce, 0,
            [&](Call& c) {
                return "d7:command5:offer7:call-id" + bstr(c.callId) + "8:from-tag1:a" +
                       "18:transport-protocol7:RTP/AVP3:sdp" +
                       bstr(audioSdp(c.portA, "UDP/TLS/RTP/SAVP",
                                     "a=setup:" + setupAttr + "\r\na=fingerprint:" + ourFp + "\r\n")) +
                       "e";
            },
            [&](Call& c, bool ok, const std::string& r) {
                if (ok) c.stage = 1;
                else fail(c, "offer: " + r);
            },
            seq, ngRetransmits);
    const int64_t daemonTicks0 = o.daemonPid ? procCpuTicks(o.daemonPid) : -1;
    ngRound(ng, o, calls, nonce, 1,
            [&](Call& c) {
                return "d7:command6:answer7:call-id" + bstr(c.callId) + "8:from-tag1:a6:to-tag1:b3:sdp" +
                       bstr(audioSdp(c.portB, "RTP/AVP", "")) + "e";
            },
            [&](Call& c, bool ok, const std::string& r) {
                if (!ok) return fail(c, "answer: " + r);
                auto sdp = bvalue(r, "sdp");
                if (!sdp) return fail(c, "answer without SDP");
                c.daemonPort = sdpAudioPort(*sdp);
                const std::string setup = sdpAttr(*sdp, "setup");
                c.daemonActive = setup == "active";
                auto fp = parseFingerprint(sdpAttr(*sdp, "fingerprint"));
                if (!fp || c.daemonPort == 0 || (setup != "active" && setup != "passive"))
                    return fail(c, "answer SDP without port, setup or fingerprint: " + *sdp);
                if (c.daemonActive == o.weActive) return fail(c, "answer a=setup:" + setup);
                c.peerFp = *fp;
                c.stage = 2;
            },
            seq, ngRetransmits);
    const int64_t tSetUp = monoNs();
    const int64_t daemonTicks1 = o.daemonPid ? procCpuTicks(o.daemonPid) : -1;
    const double genCpu0 = selfCpuS();

    // The handshakes, all at once.
    int ep = ::epoll_create1(0);
    uint32_t running = 0;
    for (size_t i = 0; i < calls.size(); ++i) {
        Call& c = calls[i];
        if (c.stage != 2) continue;
        DtlsConnectionOptions co;
        co.role = o.weActive ? DtlsRole::Active : DtlsRole::Passive;
        auto conn = DtlsConnection::create(*cert, co);
        if (!conn) {
            fail(c, "DtlsConnection: " + conn.error().reason);
            continue;
        }
        c.conn = std::move(*conn);
        c.conn->setPeerFingerprints({*c.peerFp}, nowMs());
        c.hsStartNs = monoNs();
        if (o.weActive) c.conn->start(nowMs());
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fdA, &ev);
        ++running;
    }
    auto flush = [](Call& c) {
        static std::vector<uint8_t> out;
        sockaddr_in to = loopbackAddr(c.daemonPort);
        while (c.conn->popOutgoing(out))
            ::sendto(c.fdA, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    };
    for (auto& c : calls)
        if (c.conn) flush(c);
    const int64_t deadline = tSetUp + int64_t(o.timeout * 1e9);
    uint32_t ok = 0, failed = 0;
    std::vector<epoll_event> evs(256);
    uint8_t buf[4096];
    auto settle = [&](Call& c) {
        if (c.hsEndNs != 0) return;
        const DtlsState s = c.conn->state();
        if (s == DtlsState::Connected) ++ok;
        else if (s == DtlsState::Failed || s == DtlsState::Closed) ++failed;
        else return;
        if (s != DtlsState::Connected && firstError.empty())
            firstError = c.callId + ": handshake: " + c.conn->failureReason();
        c.hsEndNs = monoNs();
        --running;
    };
    int64_t nextTimerScan = monoNs() + 10'000'000;
    while (running > 0 && monoNs() < deadline) {
        int n = ::epoll_wait(ep, evs.data(), int(evs.size()), 10);
        for (int e = 0; e < n; ++e) {
            Call& c = calls[evs[size_t(e)].data.u64];
            for (;;) {
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                ssize_t len = ::recvfrom(c.fdA, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
                if (len <= 0) break;
                if (buf[0] < 20 || buf[0] > 63) continue;  // RFC 7983: DTLS only
                c.daemonPort = ntohs(from.sin_port);
                c.conn->feed(std::span<const uint8_t>(buf, size_t(len)), nowMs());
            }
            flush(c);
            settle(c);
        }
        if (monoNs() >= nextTimerScan) {
            nextTimerScan = monoNs() + 10'000'000;
            for (auto& c : calls) {
                if (!c.conn || c.hsEndNs != 0) continue;
                auto t = c.conn->nextTimeoutMs(nowMs());
                if (t && *t == 0) {
                    c.conn->onTimeout(nowMs());
                    flush(c);
                    settle(c);
                }
            }
        }
    }
    const int64_t tDone = monoNs();
    const int64_t daemonTicks2 = o.daemonPid ? procCpuTicks(o.daemonPid) : -1;
    const double genCpu = selfCpuS() - genCpu0;
    if (o.notifyPid) ::kill(o.notifyPid, SIGUSR2);
    uint64_t hsRetransmits = 0;
    std::vector<int64_t> hsNs;
    for (auto& c : calls) {
        if (!c.conn) continue;
        hsRetransmits += c.conn->stats().retransmitTimeouts;
        if (c.conn->state() == DtlsState::Connected) hsNs.push_back(c.hsEndNs - c.hsStartNs);
        c.conn->close();
        flush(c);
    }
    const uint32_t timedOut = running;

    // Every call the daemon may hold, failed ones too.
    for (auto& c : calls) c.stage = 3;
    uint32_t deleted = 0;
    ngRound(ng, o, calls, nonce, 3,
            [&](Call& c) { return "d7:command6:delete7:call-id" + bstr(c.callId) + "8:from-tag1:ae"; },
            [&](Call& c, bool good, const std::string&) {
                c.stage = 4;
                deleted += good;
            },
            seq, ngRetransmits);

    const double hsSeconds = double(tDone - tSetUp) / 1e9;
    const long hz = ::sysconf(_SC_CLK_TCK);
    const double daemonHsCpu = daemonTicks2 >= 0 ? double(daemonTicks2 - daemonTicks1) / double(hz) : -1;
    const double daemonAnswerCpu = daemonTicks1 >= 0 ? double(daemonTicks1 - daemonTicks0) / double(hz) : -1;
    uint32_t setUp = 0;
    for (auto& c : calls) setUp += c.conn != nullptr;
    auto kv = [](const char* k, double v) { std::printf("%s=%.2f\n", k, v); };
    std::printf("calls=%u\ncalls_set_up=%u\nhandshakes_ok=%u\nhandshakes_failed=%u\nhandshakes_timed_out=%u\n",
                o.calls, setUp, ok, failed, timedOut);
    std::printf("calls_deleted=%u\nng_retransmits=%llu\ndtls_retransmits=%llu\n", deleted,
                (unsigned long long)ngRetransmits, (unsigned long long)hsRetransmits);
    kv("setup_s", double(tSetUp - tStart) / 1e9);
    kv("hs_s", hsSeconds);
    kv("hs_per_s", hsSeconds > 0 ? ok / hsSeconds : 0);
    if (daemonHsCpu >= 0) {
        kv("daemon_hs_cpu_s", daemonHsCpu);
        kv("daemon_hs_cpu_pct", hsSeconds > 0 ? 100 * daemonHsCpu / hsSeconds : 0);
        kv("hs_per_core", daemonHsCpu > 0 ? ok / daemonHsCpu : 0);
        kv("daemon_answer_cpu_s", daemonAnswerCpu);
        // The answers, where an active daemon creates its side and sends its
        // ClientHello, counted too.
        kv("hs_per_core_with_answer",
           daemonHsCpu + daemonAnswerCpu > 0 ? ok / (daemonHsCpu + daemonAnswerCpu) : 0);
    }
    kv("gen_hs_cpu_pct", hsSeconds > 0 ? 100 * genCpu / hsSeconds : 0);
    kv("hs_p50_ms", percentileMs(hsNs, 50));
    kv("hs_p99_ms", percentileMs(hsNs, 99));
    kv("hs_max_ms", percentileMs(hsNs, 100));
    kv("burst_s", double(tDone - tStart) / 1e9);
    std::fprintf(stderr,
                 "dtlsload: %u calls set up in %.2f s; %u/%u handshakes in %.3f s (%.0f/s), %u failed, "
                 "%u timed out; daemon CPU %.2f s -> %.0f handshakes per core-second; "
                 "handshake p50 %.1f ms p99 %.1f ms%s%s\n",
                 setUp, double(tSetUp - tStart) / 1e9, ok, setUp, hsSeconds,
                 hsSeconds > 0 ? ok / hsSeconds : 0, failed, timedOut, daemonHsCpu,
                 daemonHsCpu > 0 ? ok / daemonHsCpu : 0, percentileMs(hsNs, 50),
                 percentileMs(hsNs, 99), firstError.empty() ? "" : "; first error: ",
                 firstError.c_str());
    return ok == o.calls ? 0 : 1;
}
