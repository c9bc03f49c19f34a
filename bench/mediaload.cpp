// mediaload: a G.711 media load generator for an rtpengine-compatible relay.
//
// It sets up N calls over the ng protocol, each between two local UDP sockets
// A and B (offer from A with A's address, answer from B with B's), then sends
// from every socket one 172-byte RTP packet (12-byte header, 160 bytes of
// PCMU payload) every 20 ms for a given time, paced evenly across the 20 ms,
// and receives what the relay forwards on all sockets. It measures loss per
// direction (a packet that never arrives, or arrives more than --late-ms
// after it was sent: a relay short of CPU builds a backlog of seconds in its
// per-call socket queues before it drops anything), duplicates and
// misrouted packets, the relay latency (kernel
// receive stamp of the forwarded packet minus the send time written into its
// payload, on CLOCK_MONOTONIC), and its own CPU. Given --daemon-pid it also
// reads the daemon's CPU time and RSS over the same steady-state window.
// Finally it deletes the calls.
//
// With --srtp SUITE each call's A leg is SDES-SRTP (B stays plain RTP): the
// offer carries RTP/SAVP and one a=crypto line with a random key of A's
// (transport-protocol RTP/AVP and DTLS off towards B), A protects what it
// sends with that key and unprotects what it receives with the key the
// relay's answer gives it. The SRTP at the generator is libsrtp2's, an
// implementation independent of the relays'. A packet to A that fails to
// unprotect is an error (`srtp_errors`), a replayed one a duplicate.
//
// One thread: sleep to the next tick, drain every readable socket
// (epoll + recvmmsg), send what is due. Since the latency is taken from the
// kernel's arrival stamp, the tick does not add to it.
//
// stdout: key=value lines; stderr: a readable summary.
// Exit status: 0 all well; 1 some calls failed to set up or delete (media ran
// on the others); 2 fatal error; 3 not enough file descriptors or local
// ports for the calls (`limit=` says which); 4 the daemon went away.

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cinttypes>
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

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <srtp2/srtp.h>

#include "benchkit.h"

namespace {

constexpr int64_t kPtimeNs = 20'000'000;  // one packet every 20 ms per stream
constexpr std::size_t kRtpHeader = 12;
constexpr std::size_t kPayload = 160;     // 20 ms of G.711 at 8 kHz
constexpr std::size_t kPacket = kRtpHeader + kPayload;
constexpr uint32_t kMagic = 0x4d4c4431;  // "MLD1"
constexpr std::size_t kRecvBatch = 8;
constexpr std::size_t kRecvBuf = 512;
constexpr uint32_t kHistUs = 100'000;  // latency histogram: 1 us bins up to 100 ms
constexpr std::size_t kSendBuf = kPacket + SRTP_MAX_TRAILER_LEN;

int64_t clockNs(clockid_t c) {
    timespec ts{};
    ::clock_gettime(c, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t monoNs() { return clockNs(CLOCK_MONOTONIC); }

[[noreturn]] void die(const std::string& what, int code = 2) {
    std::fprintf(stderr, "mediaload: %s\n", what.c_str());
    std::fflush(stdout);
    std::exit(code);
}
[[noreturn]] void dieErrno(const std::string& what) { die(what + ": " + std::strerror(errno)); }

// CLOCK_MONOTONIC ns of the last SIGUSR1 / SIGUSR2 (0: none yet); set from
// the signal handler, read by the receive path.
std::atomic<int64_t> gBurstStartNs{0}, gBurstEndNs{0};
static_assert(std::atomic<int64_t>::is_always_lock_free);

void onBurstSignal(int sig) {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const int64_t t = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
    (sig == SIGUSR1 ? gBurstStartNs : gBurstEndNs).store(t, std::memory_order_relaxed);
}

void sleepUntil(int64_t monoDeadline) {
    timespec ts{time_t(monoDeadline / 1'000'000'000), long(monoDeadline % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

double tvSeconds(const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; }

// ---------------------------------------------------------------------------
// Addresses.

struct Addr {
    sockaddr_in sa{};
    bool operator==(const Addr& o) const {
        return sa.sin_addr.s_addr == o.sa.sin_addr.s_addr && sa.sin_port == o.sa.sin_port;
    }
    uint16_t port() const { return ntohs(sa.sin_port); }
    std::string str() const {
        char buf[INET_ADDRSTRLEN] = "?";
        ::inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(port());
    }
};

std::optional<Addr> parseAddr(const std::string& host, const std::string& port) {
    Addr a;
    a.sa.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host.c_str(), &a.sa.sin_addr) != 1) return std::nullopt;
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
        return std::nullopt;
    a.sa.sin_port = htons(uint16_t(p));
    return a;
}

std::optional<Addr> parseHostPort(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    return parseAddr(text.substr(0, colon), text.substr(colon + 1));
}

// ---------------------------------------------------------------------------
// /proc readings.

// utime + stime of all threads of `pid`, in clock ticks; -1 when it is gone
// (benchkit.h, shared with dtlsload and webrtcload); VmRSS in KiB.
using benchkit::procCpuTicks;
using benchkit::procRssKb;

// Times the threads of `pid` went to sleep and were woken again (voluntary
// context switches, summed over /proc/PID/task/*/status); -1 when it is gone.
int64_t procWakeups(int pid) {
    std::string dir = "/proc/" + std::to_string(pid) + "/task";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return -1;
    int64_t sum = 0;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream f(dir + "/" + e->d_name + "/status");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
                sum += std::strtoll(line.c_str() + 24, nullptr, 10);
    }
    ::closedir(d);
    return sum;
}

// Steal ticks of every CPU (/proc/stat), in CPU order.
std::vector<int64_t> readSteal() {
    std::ifstream f("/proc/stat");
    std::string line;
    std::vector<int64_t> out;
    while (std::getline(f, line)) {
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
        std::istringstream in(line);
        std::string name;
        int64_t v = 0, steal = 0;
        in >> name;
        for (int i = 1; i <= 8 && (in >> v); ++i)
            if (i == 8) steal = v;
        out.push_back(steal);
    }
    return out;
}

// Ticks each CPU was not busy (/proc/stat idle + iowait + steal), in CPU
// order. Busy time is taken as wall - these: the tick-sampled user, system
// and softirq columns alias with a sender on a fixed grid, idle does not
// (NO_HZ accounts it from timestamps).
std::vector<int64_t> readNotBusy() {
    std::ifstream f("/proc/stat");
    std::string line;
    std::vector<int64_t> out;
    while (std::getline(f, line)) {
        if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ') continue;
        std::istringstream in(line);
        std::string name;
        int64_t v = 0, sum = 0;
        in >> name;
        for (int i = 1; i <= 8 && (in >> v); ++i)
            if (i == 4 || i == 5 || i == 8) sum += v;
        out.push_back(sum);
    }
    return out;
}

// Udp counters of /proc/net/snmp (system-wide).
struct UdpCounters {
    int64_t rcvbufErrors = 0, sndbufErrors = 0, noPorts = 0, inErrors = 0;
};

UdpCounters readUdpCounters() {
    std::ifstream f("/proc/net/snmp");
    std::string header, values, line;
    while (std::getline(f, line)) {
        if (line.rfind("Udp:", 0) != 0) continue;
        if (header.empty())
            header = line;
        else {
            values = line;
            break;
        }
    }
    UdpCounters c;
    std::istringstream h(header), v(values);
    std::string name, value;
    while (h >> name && v >> value) {
        int64_t x = std::strtoll(value.c_str(), nullptr, 10);
        if (name == "RcvbufErrors") c.rcvbufErrors = x;
        if (name == "SndbufErrors") c.sndbufErrors = x;
        if (name == "NoPorts") c.noPorts = x;
        if (name == "InErrors") c.inErrors = x;
    }
    return c;
}

// ---------------------------------------------------------------------------
// Options.

struct Options {
    std::string target;
    uint32_t calls = 100;
    double duration = 10;
    double warmup = 1;
    double drain = 0.5;
    uint16_t localPort = 0;
    std::string mediaAddress = "127.0.0.1";
    uint16_t portMin = 2000, portMax = 18999;
    int daemonPid = 0;
    uint32_t inflight = 16;
    uint32_t tickUs = 200;
    double lateMs = 100;  // a packet relayed later than this counts as lost
    double timelineMs = 0;  // > 0: print slices of this length with a slow packet
    std::string srtp;       // SDES suite of the A legs; empty: plain RTP on both
    bool srtpLibsrtp = false;  // --srtp-impl libsrtp2: every packet through libsrtp2
};

// ---------------------------------------------------------------------------
// SDES-SRTP on the A legs (libsrtp2).

struct SrtpSuite {
    const char* name;        // as in a=crypto (RFC 4568)
    std::size_t keyLen;      // master key, octets
    std::size_t keySaltLen;  // master key + master salt, octets
    std::size_t tagLen;      // SRTP authentication tag, octets
    bool gcm;                // AEAD (RFC 7714) instead of AES-CM + HMAC-SHA1
    void (*policy)(srtp_crypto_policy_t*);
};

constexpr SrtpSuite kSuites[] = {
    // libsrtp2 names this policy only by a macro for the default one.
    {"AES_CM_128_HMAC_SHA1_80", 16, 30, 10, false, srtp_crypto_policy_set_rtp_default},
    {"AES_CM_128_HMAC_SHA1_32", 16, 30, 4, false, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32},
    {"AES_256_CM_HMAC_SHA1_80", 32, 46, 10, false, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80},
    {"AEAD_AES_128_GCM", 16, 28, 16, true, srtp_crypto_policy_set_aes_gcm_128_16_auth},
    {"AEAD_AES_256_GCM", 32, 44, 16, true, srtp_crypto_policy_set_aes_gcm_256_16_auth},
};

const SrtpSuite* suiteByName(std::string_view name) {
    for (const auto& s : kSuites)
        if (name == s.name) return &s;
    return nullptr;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(const std::vector<uint8_t>& in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        uint32_t v = uint32_t(in[i]) << 16;
        if (i + 1 < in.size()) v |= uint32_t(in[i + 1]) << 8;
        if (i + 2 < in.size()) v |= in[i + 2];
        out += kB64[v >> 18 & 63];
        out += kB64[v >> 12 & 63];
        out += i + 1 < in.size() ? kB64[v >> 6 & 63] : '=';
        out += i + 2 < in.size() ? kB64[v & 63] : '=';
    }
    return out;
}

std::optional<std::vector<uint8_t>> unbase64(std::string_view in) {
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const char* pos = std::strchr(kB64, c);
        if (c == '\0' || pos == nullptr) return std::nullopt;
        acc = acc << 6 | uint32_t(pos - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t(acc >> bits));
        }
    }
    return out;
}

// One direction of one A leg's keys: outbound protects what A sends,
// inbound unprotects what A receives. nullptr on failure.
srtp_t makeSession(const SrtpSuite& suite, std::vector<uint8_t>& keySalt, bool outbound) {
    srtp_policy_t p;
    std::memset(&p, 0, sizeof p);
    suite.policy(&p.rtp);
    suite.policy(&p.rtcp);
    p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    p.key = keySalt.data();
    p.window_size = 128;
    srtp_t s = nullptr;
    if (srtp_create(&s, &p) != srtp_err_status_ok) return nullptr;
    return s;
}

// The generator's own SRTP (RFC 3711 AES-CM + HMAC-SHA1, RFC 7714 AES-GCM)
// over OpenSSL's EVP: one direction of one A leg, RTP only. Debian's
// libsrtp2 is built on NSS and costs about 20 us per packet pair once
// hundreds of sessions are open (a 500-call load would take most of the
// generator's core), so by default the generator uses this, checked against
// libsrtp2 at start-up (crossCheck below) on every run.
class SrtpLeg {
  public:
    static std::unique_ptr<SrtpLeg> create(const SrtpSuite& suite, const std::vector<uint8_t>& keySalt,
                                           bool outbound) {
        if (keySalt.size() != suite.keySaltLen) return nullptr;
        std::unique_ptr<SrtpLeg> leg(new SrtpLeg(suite));
        const uint8_t* mk = keySalt.data();
        const uint8_t* ms = mk + suite.keyLen;
        const std::size_t msLen = suite.keySaltLen - suite.keyLen;
        uint8_t key[32], auth[20];
        // RFC 3711 §4.3.3 labels: 0 encryption key, 1 authentication key, 2 salt.
        if (!prf(mk, suite.keyLen, ms, msLen, 0, key, suite.keyLen) ||
            !prf(mk, suite.keyLen, ms, msLen, 2, leg->salt_, suite.gcm ? 12 : 14))
            return nullptr;
        const EVP_CIPHER* c = suite.gcm ? (suite.keyLen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm())
                                        : (suite.keyLen == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr());
        leg->cipher_ = EVP_CIPHER_CTX_new();
        if (!leg->cipher_ ||
            EVP_CipherInit_ex2(leg->cipher_, c, key, nullptr, suite.gcm ? int(outbound) : 1,
                               nullptr) != 1)
            return nullptr;
        if (!suite.gcm) {
            if (!prf(mk, suite.keyLen, ms, msLen, 1, auth, sizeof auth)) return nullptr;
            static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
            char digest[] = "SHA1";
            OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                   OSSL_PARAM_construct_end()};
            leg->mac_ = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
            if (!leg->mac_ || EVP_MAC_init(leg->mac_, auth, sizeof auth, params) != 1) return nullptr;
        }
        OPENSSL_cleanse(key, sizeof key);
        OPENSSL_cleanse(auth, sizeof auth);
        return leg;
    }
    ~SrtpLeg() {
        EVP_CIPHER_CTX_free(cipher_);
        EVP_MAC_CTX_free(mac_);
    }
    SrtpLeg(const SrtpLeg&) = delete;
    SrtpLeg& operator=(const SrtpLeg&) = delete;

    // RFC 3711 §3.3 / RFC 7714 §8: protects the RTP packet p[0..len) in
    // place (p has room for the tag) as packet number `index` (ROC << 16 |
    // SEQ) of its SSRC.
    bool protect(uint8_t* p, std::size_t& len, uint64_t index) {
        std::size_t h = headerLen(p, len);
        if (h == 0) return false;
        if (!crypt(p, h, len - h, index, p + len, true)) return false;
        len += suite_.tagLen;
        return true;
    }

    // RFC 3711 §3.3.1: the index from the highest one seen (one SSRC per
    // leg), then authenticate and decrypt. False: the packet must not be used.
    bool unprotect(uint8_t* p, std::size_t& len) {
        if (len < 12 + suite_.tagLen) return false;
        std::size_t body = len - suite_.tagLen;
        std::size_t h = headerLen(p, body);
        if (h == 0) return false;
        uint16_t seq = uint16_t(p[2] << 8 | p[3]);
        uint64_t index = seq;
        if (seen_) {
            int64_t roc = int64_t(highest_ >> 16), v = roc;
            uint32_t sl = uint32_t(highest_ & 0xffff);
            if (sl < 32768) {
                if (seq > sl && seq - sl > 32768) v = roc - 1;
            } else if (sl - 32768 > seq) {
                v = roc + 1;
            }
            if (v < 0) return false;
            index = uint64_t(v) << 16 | seq;
        }
        if (!crypt(p, h, body - h, index, p + body, false)) return false;
        if (!seen_ || index > highest_) highest_ = index;
        seen_ = true;
        len = body;
        return true;
    }

  private:
    explicit SrtpLeg(const SrtpSuite& s) : suite_(s) {}

    static std::size_t headerLen(const uint8_t* p, std::size_t n) {
        if (n < 12) return 0;
        std::size_t h = 12 + 4 * std::size_t(p[0] & 0x0f);
        if ((p[0] & 0x10) && n >= h + 4) h += 4 + 4 * std::size_t(p[h + 2] << 8 | p[h + 3]);
        return h <= n ? h : 0;
    }

    // RFC 3711 §4.3.1 (key_derivation_rate 0): the AES-CM keystream under the
    // master key from IV = (master_salt XOR label << 48) || 0x0000; a 12-octet
    // master salt (RFC 7714) is padded with zeros to the 14 octets.
    static bool prf(const uint8_t* mk, std::size_t mkLen, const uint8_t* ms, std::size_t msLen,
                    uint8_t label, uint8_t* out, std::size_t n) {
        uint8_t iv[16] = {};
        std::memcpy(iv, ms, std::min<std::size_t>(msLen, 14));
        iv[7] ^= label;
        EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
        std::memset(out, 0, n);
        int l = 0;
        bool ok = c &&
                  EVP_EncryptInit_ex2(c, mkLen == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr(), mk, iv,
                                      nullptr) == 1 &&
                  EVP_EncryptUpdate(c, out, &l, out, int(n)) == 1;
        EVP_CIPHER_CTX_free(c);
        return ok;
    }

    // Encrypts (protect) or authenticates and decrypts the payload p[h..h+n)
    // of the packet whose tag is (to be) at `tag`.
    bool crypt(uint8_t* p, std::size_t h, std::size_t n, uint64_t index, uint8_t* tag, bool out) {
        const uint32_t ssrc = uint32_t(p[8]) << 24 | uint32_t(p[9]) << 16 | uint32_t(p[10]) << 8 | p[11];
        const uint32_t roc = uint32_t(index >> 16);
        uint8_t iv[16];
        int l = 0;
        if (suite_.gcm) {
            // RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD the header.
            std::memcpy(iv, salt_, 12);
            for (int i = 0; i < 4; ++i) iv[2 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
            for (int i = 0; i < 6; ++i) iv[6 + i] ^= uint8_t(index >> (40 - 8 * i));
            if (EVP_CipherInit_ex2(cipher_, nullptr, nullptr, iv, int(out), nullptr) != 1 ||
                EVP_CipherUpdate(cipher_, nullptr, &l, p, int(h)) != 1)
                return false;
            if (!out && EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1) return false;
            if (EVP_CipherUpdate(cipher_, p + h, &l, p + h, int(n)) != 1) return false;
            uint8_t fin[16];
            if (EVP_CipherFinal_ex(cipher_, fin, &l) != 1) return false;  // !out: tag mismatch
            return !out || EVP_CIPHER_CTX_ctrl(cipher_, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
        }
        // RFC 3711 §4.2: the tag is HMAC-SHA1(header || payload || ROC),
        // over the encrypted payload.
        uint8_t rocBytes[4] = {uint8_t(roc >> 24), uint8_t(roc >> 16), uint8_t(roc >> 8), uint8_t(roc)};
        uint8_t mac[20];
        std::size_t macLen = 0;
        auto authenticate = [&] {
            return EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 &&
                   EVP_MAC_update(mac_, p, h + n) == 1 && EVP_MAC_update(mac_, rocBytes, 4) == 1 &&
                   EVP_MAC_final(mac_, mac, &macLen, sizeof mac) == 1;
        };
        if (!out && (!authenticate() || CRYPTO_memcmp(mac, tag, suite_.tagLen) != 0)) return false;
        // RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
        std::memcpy(iv, salt_, 14);
        iv[14] = iv[15] = 0;
        for (int i = 0; i < 4; ++i) iv[4 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
        for (int i = 0; i < 6; ++i) iv[8 + i] ^= uint8_t(index >> (40 - 8 * i));
        if (EVP_EncryptInit_ex2(cipher_, nullptr, nullptr, iv, nullptr) != 1 ||
            EVP_EncryptUpdate(cipher_, p + h, &l, p + h, int(n)) != 1)
            return false;
        if (out) {
            if (!authenticate()) return false;
            std::memcpy(tag, mac, suite_.tagLen);
        }
        return true;
    }

    const SrtpSuite& suite_;
    EVP_CIPHER_CTX* cipher_ = nullptr;
    EVP_MAC_CTX* mac_ = nullptr;
    uint8_t salt_[14] = {};
    bool seen_ = false;
    uint64_t highest_ = 0;
};

// The generator's SRTP against libsrtp2's, for `suite` with a random key:
// the same bytes protected, each one's output unprotected by the other,
// across a rollover of the sequence number. Empty when they agree.
std::string crossCheck(const SrtpSuite& suite) {
    std::vector<uint8_t> key(suite.keySaltLen);
    if (::getrandom(key.data(), key.size(), 0) != ssize_t(key.size())) return "getrandom failed";
    auto ours = SrtpLeg::create(suite, key, true);
    auto oursIn = SrtpLeg::create(suite, key, false);
    srtp_t theirs = makeSession(suite, key, true);
    srtp_t theirsIn = makeSession(suite, key, false);
    std::string why;
    if (!ours || !oursIn || !theirs || !theirsIn) why = "cannot create the sessions";
    for (uint32_t i = 0; i < 4 && why.empty(); ++i) {
        uint16_t seq = uint16_t(65534 + i);  // 65534, 65535, 0 (ROC 1), 1
        uint8_t a[kSendBuf], b[kSendBuf], plain[kPacket];
        plain[0] = 0x80;
        plain[1] = 0;
        plain[2] = uint8_t(seq >> 8);
        plain[3] = uint8_t(seq);
        for (std::size_t j = 4; j < kPacket; ++j) plain[j] = uint8_t(j * 7 + (j >= 12 ? i : 0));
        std::memcpy(a, plain, kPacket);
        std::memcpy(b, plain, kPacket);
        std::size_t la = kPacket;
        int lb = int(kPacket);
        if (!ours->protect(a, la, uint64_t(65534) + i)) why = "protect failed";
        else if (srtp_protect(theirs, b, &lb) != srtp_err_status_ok) why = "libsrtp2's protect failed";
        else if (la != std::size_t(lb) || std::memcmp(a, b, la) != 0) {
            why = "protected packets differ";
            for (std::size_t j = 0; j < la; ++j)
                if (a[j] != b[j]) {
                    why += " from octet " + std::to_string(j);
                    break;
                }
        }
        else if (!oursIn->unprotect(b, la)) why = "cannot unprotect libsrtp2's packet";
        else if (srtp_unprotect(theirsIn, a, &lb) != srtp_err_status_ok)
            why = "libsrtp2 cannot unprotect ours";
        else if (la != kPacket || lb != int(kPacket) || std::memcmp(a, plain, kPacket) != 0 ||
                 std::memcmp(b, plain, kPacket) != 0)
            why = "unprotected packets differ from the original";
        if (!why.empty()) why += " at SEQ " + std::to_string(seq);
    }
    if (theirs) srtp_dealloc(theirs);
    if (theirsIn) srtp_dealloc(theirsIn);
    return why;
}

void usage() {
    std::fprintf(stderr,
                 "usage: mediaload --target HOST:PORT --calls N [options]\n"
                 "       mediaload --srtp-check  (its SRTP against libsrtp2, every suite)\n"
                 "  --duration S        seconds of media (default 10)\n"
                 "  --warmup S          first seconds left out of CPU and latency (default 1)\n"
                 "  --drain S           wait for packets in flight after sending (default 0.5)\n"
                 "  --local-port P      ng client port\n"
                 "  --media-address A   local address of the call sockets (default 127.0.0.1)\n"
                 "  --port-min/--port-max  local ports of the call sockets (default 2000-18999)\n"
                 "  --daemon-pid PID    read the daemon's CPU and RSS over the window\n"
                 "  --inflight K        ng commands in flight during set-up/teardown (16)\n"
                 "  --tick-us T         pacing tick in microseconds (default 200)\n"
                 "  --late-ms L         packets relayed later than L ms count as lost (100)\n"
                 "  --timeline MS       print each MS-long slice of send time whose slowest\n"
                 "                      packet took over 10 ms, with the CPUs' steal time\n"
                 "  --srtp SUITE        A legs SDES-SRTP (libsrtp2), B legs plain: one of\n"
                 "                      AES_CM_128_HMAC_SHA1_80 (_32), AES_256_CM_HMAC_SHA1_80,\n"
                 "                      AEAD_AES_128_GCM, AEAD_AES_256_GCM\n"
                 "  SIGUSR1 / SIGUSR2   a burst of other work on the relay begins / ends:\n"
                 "                      latency also reported before, during and after it\n"
                 "  --srtp-impl I       openssl (default: the generator's own SRTP on OpenSSL,\n"
                 "                      checked against libsrtp2 at start) or libsrtp2 (every\n"
                 "                      packet through libsrtp2; slow with many calls)\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string value;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = std::string(arg.substr(eq + 1));
            arg = arg.substr(0, eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            std::fprintf(stderr, "mediaload: %s needs a value\n", argv[i]);
            return std::nullopt;
        }
        char* end = nullptr;
        auto num = [&] { return std::strtoul(value.c_str(), &end, 10); };
        auto real = [&] { return std::strtod(value.c_str(), &end); };
        if (arg == "--target") {
            o.target = value;
        } else if (arg == "--calls") {
            o.calls = uint32_t(num());
        } else if (arg == "--duration") {
            o.duration = real();
        } else if (arg == "--warmup") {
            o.warmup = real();
        } else if (arg == "--drain") {
            o.drain = real();
        } else if (arg == "--local-port") {
            o.localPort = uint16_t(num());
        } else if (arg == "--media-address") {
            o.mediaAddress = value;
        } else if (arg == "--port-min") {
            o.portMin = uint16_t(num());
        } else if (arg == "--port-max") {
            o.portMax = uint16_t(num());
        } else if (arg == "--daemon-pid") {
            o.daemonPid = int(num());
        } else if (arg == "--inflight") {
            o.inflight = uint32_t(std::max(1ul, num()));
        } else if (arg == "--tick-us") {
            o.tickUs = uint32_t(std::max(1ul, num()));
        } else if (arg == "--late-ms") {
            o.lateMs = real();
        } else if (arg == "--timeline") {
            o.timelineMs = real();
        } else if (arg == "--srtp-impl") {
            if (value != "openssl" && value != "libsrtp2") {
                std::fprintf(stderr, "mediaload: --srtp-impl is openssl or libsrtp2\n");
                return std::nullopt;
            }
            o.srtpLibsrtp = value == "libsrtp2";
        } else if (arg == "--srtp") {
            o.srtp = value;
            if (!suiteByName(value)) {
                std::fprintf(stderr, "mediaload: unknown SRTP suite %s\n", value.c_str());
                return std::nullopt;
            }
        } else {
            std::fprintf(stderr, "mediaload: unknown option %.*s\n", int(arg.size()), arg.data());
            return std::nullopt;
        }
        if (end != nullptr && *end != '\0') {
            std::fprintf(stderr, "mediaload: bad value for %.*s: %s\n", int(arg.size()),
                         arg.data(), value.c_str());
            return std::nullopt;
        }
    }
    if (o.target.empty() || o.calls == 0 || o.duration <= o.warmup || o.portMin > o.portMax) {
        std::fprintf(stderr, "mediaload: need --target, --calls > 0, --duration > --warmup\n");
        return std::nullopt;
    }
    return o;
}

// ---------------------------------------------------------------------------
// Bencode: writing a flat dict of strings, reading the top level of a reply.

void bstr(std::string& out, std::string_view s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
}

bool bskip(std::string_view s, std::size_t& p, int depth = 0) {
    if (p >= s.size() || depth > 32) return false;
    char c = s[p];
    if (c == 'i') {
        auto e = s.find('e', p);
        if (e == std::string_view::npos) return false;
        p = e + 1;
        return true;
    }
    if (c == 'l' || c == 'd') {
        ++p;
        while (p < s.size() && s[p] != 'e')
            if (!bskip(s, p, depth + 1)) return false;
        if (p >= s.size()) return false;
        ++p;
        return true;
    }
    std::size_t len = 0;
    auto [end, ec] = std::from_chars(s.data() + p, s.data() + s.size(), len);
    if (ec != std::errc() || end == s.data() + s.size() || *end != ':') return false;
    std::size_t start = std::size_t(end - s.data()) + 1;
    if (len > s.size() - start) return false;
    p = start + len;
    return true;
}

bool bstring(std::string_view s, std::size_t& p, std::string_view& out) {
    std::size_t len = 0;
    if (p >= s.size()) return false;
    auto [end, ec] = std::from_chars(s.data() + p, s.data() + s.size(), len);
    if (ec != std::errc() || end == s.data() + s.size() || *end != ':') return false;
    std::size_t start = std::size_t(end - s.data()) + 1;
    if (len > s.size() - start) return false;
    out = s.substr(start, len);
    p = start + len;
    return true;
}

// Top-level string value of `key` in a bencoded dict.
std::optional<std::string_view> bdictString(std::string_view s, std::string_view key) {
    std::size_t p = 0;
    if (s.empty() || s[0] != 'd') return std::nullopt;
    ++p;
    while (p < s.size() && s[p] != 'e') {
        std::string_view k;
        if (!bstring(s, p, k)) return std::nullopt;
        if (k == key && p < s.size() && s[p] >= '0' && s[p] <= '9') {
            std::string_view v;
            if (!bstring(s, p, v)) return std::nullopt;
            return v;
        }
        if (!bskip(s, p)) return std::nullopt;
    }
    return std::nullopt;
}

// Media address of the first audio section of an SDP: its c= (or the
// session's) and the m= port.
std::optional<Addr> sdpAudioAddr(std::string_view sdp) {
    std::string sessionC, mediaC, port;
    bool inAudio = false, seenAudio = false;
    std::size_t p = 0;
    while (p < sdp.size()) {
        auto e = sdp.find('\n', p);
        if (e == std::string_view::npos) e = sdp.size();
        std::string_view line = sdp.substr(p, e - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        p = e + 1;
        if (line.rfind("m=", 0) == 0) {
            if (seenAudio) break;
            inAudio = line.rfind("m=audio ", 0) == 0;
            if (inAudio) {
                seenAudio = true;
                auto rest = line.substr(8);
                port = std::string(rest.substr(0, rest.find_first_of(" /")));
            }
        } else if (line.rfind("c=IN IP4 ", 0) == 0) {
            std::string a(line.substr(9));
            a = a.substr(0, a.find('/'));
            if (inAudio)
                mediaC = a;
            else if (!seenAudio)
                sessionC = a;
        }
    }
    if (port.empty()) return std::nullopt;
    return parseAddr(mediaC.empty() ? sessionC : mediaC, port);
}

// The first a=crypto line of the first audio section: tag, suite, key.
struct SdesLine {
    std::string suite;
    std::vector<uint8_t> keySalt;
};

std::optional<SdesLine> sdpCrypto(std::string_view sdp) {
    bool inAudio = false;
    std::size_t p = 0;
    while (p < sdp.size()) {
        auto e = sdp.find('\n', p);
        if (e == std::string_view::npos) e = sdp.size();
        std::string_view line = sdp.substr(p, e - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        p = e + 1;
        if (line.rfind("m=", 0) == 0) {
            if (inAudio) break;
            inAudio = line.rfind("m=audio ", 0) == 0;
            continue;
        }
        if (!inAudio || line.rfind("a=crypto:", 0) != 0) continue;
        // a=crypto:TAG SUITE inline:KEY[|lifetime][|MKI:len] [session params]
        auto rest = line.substr(9);
        auto sp1 = rest.find(' ');
        if (sp1 == std::string_view::npos) return std::nullopt;
        auto sp2 = rest.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos) return std::nullopt;
        SdesLine out;
        out.suite = std::string(rest.substr(sp1 + 1, sp2 - sp1 - 1));
        auto params = rest.substr(sp2 + 1);
        if (params.rfind("inline:", 0) != 0) return std::nullopt;
        auto key = params.substr(7);
        key = key.substr(0, key.find_first_of("| "));
        auto bytes = unbase64(key);
        if (!bytes) return std::nullopt;
        out.keySalt = std::move(*bytes);
        return out;
    }
    return std::nullopt;
}

// `proto` RTP/AVP, or RTP/SAVP with `crypto` the a=crypto value.
std::string callSdp(const char* user, uint64_t session, const Addr& a,
                    const char* proto = "RTP/AVP", const std::string& crypto = {}) {
    char ip[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &a.sa.sin_addr, ip, sizeof ip);
    std::string cryptoLine = crypto.empty() ? std::string() : "a=crypto:" + crypto + "\r\n";
    char buf[640];
    int n = std::snprintf(buf, sizeof buf,
                          "v=0\r\n"
                          "o=%s %" PRIu64 " 1 IN IP4 %s\r\n"
                          "s=mediaload\r\n"
                          "c=IN IP4 %s\r\n"
                          "t=0 0\r\n"
                          "m=audio %u %s 0\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=ptime:20\r\n"
                          "%s"
                          "a=sendrecv\r\n",
                          user, session, ip, ip, unsigned(a.port()), proto, cryptoLine.c_str());
    return std::string(buf, std::size_t(n));
}

// ---------------------------------------------------------------------------
// The calls.

struct Call {
    Addr a, b;          // our sockets
    Addr relayA;        // where A sends (and what A should hear from)
    Addr relayB;        // where B sends
    std::vector<uint8_t> keyA;      // --srtp: A's master key and salt (offered)
    std::vector<uint8_t> keyRelay;  // --srtp: the relay's towards A (answered)
    bool offered = false, established = false, deleted = false;
};

// ---------------------------------------------------------------------------
// ng client: K commands in flight over one UDP socket, each resent after 1 s
// without reply, given up after 4 sends.

enum class Cmd { Offer, Answer, Delete };

const char* cmdName(Cmd c) {
    switch (c) {
        case Cmd::Offer: return "offer";
        case Cmd::Answer: return "answer";
        case Cmd::Delete: return "delete";
    }
    return "?";
}

class NgClient {
  public:
    NgClient(const Addr& target, uint16_t localPort, int daemonPid, const SrtpSuite* srtp)
        : daemonPid_(daemonPid), srtp_(srtp) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) dieErrno("socket");
        int size = 4 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (localPort) {
            sockaddr_in l{};
            l.sin_family = AF_INET;
            l.sin_port = htons(localPort);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&l), sizeof l) != 0) dieErrno("bind ng");
        }
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&target.sa), sizeof target.sa) != 0)
            dieErrno("connect ng");
        nonce_ = uint32_t(monoNs() ^ (int64_t(::getpid()) << 16));
        char buf[48];
        std::snprintf(buf, sizeof buf, "mload%x%" PRIx64, unsigned(::getpid()), uint64_t(monoNs()));
        prefix_ = buf;
    }
    ~NgClient() { ::close(fd_); }
    NgClient(const NgClient&) = delete;
    NgClient& operator=(const NgClient&) = delete;

    // Runs `cmd` for every call index in `which`, K in flight; `done(call, ok,
    // sdp)` gets each outcome and the reply's SDP.
    template <class Done>
    void run(Cmd cmd, const std::vector<std::size_t>& which, const std::vector<Call>& calls,
             uint32_t inflight, Done done) {
        slots_.assign(std::min<std::size_t>(inflight, which.size()), Slot{});
        std::size_t next = 0, busy = 0;
        auto start = [&](Slot& s) {
            s.busy = false;
            if (next >= which.size()) return;
            s.busy = true;
            ++busy;
            s.call = which[next++];
            s.seq = ++seq_;
            s.sends = 0;
            encode(s.wire, cmd, s.call, s.seq, calls[s.call]);
            transmit(s);
        };
        auto finish = [&](Slot& s, bool ok, std::string_view sdp) {
            --busy;
            done(s.call, ok, sdp);
            start(s);
        };
        for (auto& s : slots_) start(s);
        std::vector<char> buf(65536);
        while (busy > 0) {
            if (daemonPid_ && ::kill(daemonPid_, 0) != 0 && errno == ESRCH) {
                gone_ = true;
                return;
            }
            pollfd pfd{fd_, POLLIN, 0};
            ::poll(&pfd, 1, 50);
            for (;;) {
                ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
                if (n < 0) {
                    if (errno == ECONNREFUSED) continue;  // ICMP for an earlier send
                    break;
                }
                std::string_view d(buf.data(), std::size_t(n));
                auto sp = d.find(' ');
                if (sp == std::string_view::npos) continue;
                std::string_view cookie = d.substr(0, sp);
                auto us = cookie.find('_');
                if (us == std::string_view::npos) continue;
                uint32_t nonce = 0, seq = 0;
                std::from_chars(cookie.data(), cookie.data() + us, nonce, 16);
                std::from_chars(cookie.data() + us + 1, cookie.data() + cookie.size(), seq, 16);
                if (nonce != nonce_) continue;
                anyReply_ = true;
                for (auto& s : slots_) {
                    if (!s.busy || s.seq != seq) continue;
                    std::string_view body = d.substr(sp + 1);
                    auto result = bdictString(body, "result");
                    bool ok = result && *result == "ok";
                    if (!ok) {
                        ++errors_;
                        auto why = bdictString(body, "error-reason");
                        report(cmd, s.call, why ? *why : std::string_view("(no reason)"));
                    }
                    finish(s, ok, bdictString(body, "sdp").value_or(std::string_view{}));
                    break;
                }
            }
            int64_t now = monoNs();
            for (auto& s : slots_) {
                if (!s.busy || now - s.lastSent < 1'000'000'000) continue;
                if (s.sends >= 4) {
                    ++lost_;
                    if (!anyReply_ && lost_ >= slots_.size())
                        die("the daemon does not answer ng commands");
                    report(cmd, s.call, "no reply");
                    finish(s, false, {});
                } else {
                    ++retransmits_;
                    transmit(s);
                }
            }
        }
    }

    uint64_t retransmits() const { return retransmits_; }
    uint64_t lost() const { return lost_; }
    uint64_t errors() const { return errors_; }
    bool daemonGone() const { return gone_; }

  private:
    struct Slot {
        bool busy = false;
        std::size_t call = 0;
        uint32_t seq = 0;
        int sends = 0;
        int64_t lastSent = 0;
        std::string wire;
    };

    void transmit(Slot& s) {
        s.sends++;
        s.lastSent = monoNs();
        if (::send(fd_, s.wire.data(), s.wire.size(), 0) < 0 && errno != EAGAIN &&
            errno != ECONNREFUSED)
            dieErrno("send ng");
    }

    void report(Cmd cmd, std::size_t call, std::string_view why) {
        if (shown_ >= 5) return;
        ++shown_;
        std::fprintf(stderr, "mediaload: %s of call %zu failed: %.*s\n", cmdName(cmd), call,
                     int(why.size()), why.data());
    }

    void encode(std::string& out, Cmd cmd, std::size_t i, uint32_t seq, const Call& c) const {
        char cookie[32];
        int n = std::snprintf(cookie, sizeof cookie, "%x_%x ", nonce_, seq);
        out.assign(cookie, std::size_t(n));
        out += 'd';
        bstr(out, "command");
        bstr(out, cmdName(cmd));
        bstr(out, "call-id");
        bstr(out, prefix_ + "-" + std::to_string(i));
        bstr(out, "from-tag");
        bstr(out, "a" + std::to_string(i));
        if (cmd == Cmd::Answer) {
            bstr(out, "to-tag");
            bstr(out, "b" + std::to_string(i));
        }
        if (cmd == Cmd::Offer && srtp_) {
            // SDES-SRTP from A, plain RTP towards B (as tests/integration/srtp_test.cpp).
            bstr(out, "sdp");
            bstr(out, callSdp("alice", 1000000 + i, c.a, "RTP/SAVP",
                              "1 " + std::string(srtp_->name) + " inline:" + base64(c.keyA)));
            bstr(out, "transport-protocol");
            bstr(out, "RTP/AVP");
        } else if (cmd == Cmd::Offer) {
            bstr(out, "sdp");
            bstr(out, callSdp("alice", 1000000 + i, c.a));
        } else if (cmd == Cmd::Answer) {
            bstr(out, "sdp");
            bstr(out, callSdp("bob", 2000000 + i, c.b));
        }
        if (srtp_ && cmd != Cmd::Delete) {
            bstr(out, "DTLS");
            bstr(out, "off");
        }
        out += 'e';
    }

    int fd_ = -1;
    std::string prefix_;
    uint32_t nonce_ = 0;
    uint32_t seq_ = 0;
    uint64_t retransmits_ = 0, lost_ = 0, errors_ = 0;
    int shown_ = 0;
    int daemonPid_ = 0;
    bool gone_ = false;
    bool anyReply_ = false;
    const SrtpSuite* srtp_ = nullptr;
    std::vector<Slot> slots_;
};

// ---------------------------------------------------------------------------
// Media.

// One per socket. Stream s belongs to call s / 2, side s % 2 (0 = A, 1 = B);
// it sends to the relay and receives what stream s ^ 1 sent.
struct Stream {
    int fd = -1;
    sockaddr_in dest{};       // the relay port this side sends to
    uint32_t ssrc = 0;
    uint16_t seq0 = 0;
    uint32_t ts0 = 0;
    uint32_t sent = 0;        // packets sent from this socket
    uint32_t rxOverflow = 0;  // SO_RXQ_OVFL: datagrams this socket dropped
    std::vector<uint64_t> seen;  // packet numbers of the peer stream received here
    // --srtp, A side: what protects what it sends and unprotects what it
    // receives, the generator's own (SrtpLeg) or libsrtp2's.
    std::unique_ptr<SrtpLeg> txLeg, rxLeg;
    srtp_t tx = nullptr;
    srtp_t rx = nullptr;
};

struct Histogram {
    std::vector<uint64_t> bins = std::vector<uint64_t>(kHistUs + 1);
    uint64_t count = 0;
    int64_t maxNs = 0;
    void add(int64_t ns) {
        if (ns < 0) ns = 0;
        ++count;
        maxNs = std::max(maxNs, ns);
        bins[std::min<uint64_t>(uint64_t(ns / 1000), kHistUs)]++;
    }
    // Microseconds below which `p` % of the samples lie.
    double percentileUs(double p) const {
        if (count == 0) return 0;
        uint64_t want = std::max<uint64_t>(1, uint64_t(double(count) * p / 100.0 + 0.5));
        uint64_t acc = 0;
        for (std::size_t i = 0; i < bins.size(); ++i) {
            acc += bins[i];
            if (acc >= want) return double(i) + 0.5;
        }
        return double(kHistUs);
    }
};

struct MediaStats {
    uint64_t sent[2] = {0, 0};      // by direction: 0 = A->B, 1 = B->A
    uint64_t received[2] = {0, 0};  // unique packets that arrived where they should
    uint64_t late[2] = {0, 0};      // of those, relayed after the deadline
    uint64_t duplicates = 0, misrouted = 0, corrupt = 0, foreign = 0, wrongSource = 0;
    uint64_t srtpErrors = 0;      // packets to an SRTP leg that did not unprotect
    uint64_t srtpSendErrors = 0;  // packets the generator failed to protect
    uint64_t sendErrors = 0;
    uint64_t lateSends = 0;  // sent more than 1 ms after their slot
    int64_t maxLateNs = 0;
    int64_t endLagNs = 0;    // how late the last packet was sent
    uint64_t noKernelStamp = 0;
    Histogram latency;  // of packets sent inside the window
    // After a SIGUSR1 (a burst of other work on the relay began, e.g.
    // dtlsload --notify-pid): the window's packets by send time, before the
    // burst, during it (until SIGUSR2) and after it.
    Histogram beforeBurst, inBurst, afterBurst;
    // --timeline: per slice of send time, the slowest packet and the steal
    // ticks per CPU read when the slice's sending began.
    std::vector<int64_t> sliceMaxNs;
    std::vector<std::vector<int64_t>> sliceSteal;
};

class MediaEngine {
  public:
    MediaEngine(std::vector<Stream>& streams, const Options& o, uint32_t nonce)
        : streams_(streams), opts_(o), nonce_(nonce) {
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) dieErrno("epoll_create1");
        for (std::size_t s = 0; s < streams_.size(); ++s) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = s;
            if (::epoll_ctl(ep_, EPOLL_CTL_ADD, streams_[s].fd, &ev) != 0) dieErrno("epoll_ctl");
        }
        for (std::size_t i = 0; i < kRecvBatch; ++i) {
            iov_[i] = {rxData_[i].data(), kRecvBuf};
        }
    }
    ~MediaEngine() { ::close(ep_); }

    struct Window {
        int64_t startNs = 0, endNs = 0;
        rusage ruStart{}, ruEnd{};
        int64_t daemonTicksStart = -1, daemonTicksEnd = -1;
        int64_t daemonWakeupsStart = -1, daemonWakeupsEnd = -1;
        int64_t daemonRssKb = -1;
        UdpCounters udpStart, udpEnd;
        int64_t sendStartNs = 0, sendEndNs = 0;
        bool daemonGone = false;
        std::vector<int64_t> notBusyStart, notBusyEnd;  // readNotBusy() at the window's ends
    };

    Window run(MediaStats& st) {
        st_ = &st;
        const std::size_t S = streams_.size();
        const double spacing = double(kPtimeNs) / double(S);
        const int64_t tick = int64_t(opts_.tickUs) * 1000;
        const uint32_t perStream = uint32_t(opts_.duration * 1e9 / double(kPtimeNs)) + 2;
        for (auto& s : streams_) s.seen.assign((perStream + 63) / 64, 0);

        Window w;
        const int64_t t0 = monoNs() + 5'000'000;
        const int64_t tEnd = t0 + int64_t(opts_.duration * 1e9);
        t0_ = t0;
        sliceNs_ = int64_t(opts_.timelineMs * 1e6);
        if (sliceNs_ > 0) {
            std::size_t slices = std::size_t((tEnd - t0) / sliceNs_ + 2);
            st.sliceMaxNs.assign(slices, 0);
            st.sliceSteal.assign(slices + 1, {});
        }
        std::size_t nextSlice = 0;
        windowStart_ = t0 + int64_t(opts_.warmup * 1e9);
        windowEnd_ = tEnd;
        w.sendStartNs = t0;
        w.udpStart = readUdpCounters();
        bool windowOpen = false;
        int64_t nextCheck = t0 + 1'000'000'000;
        uint64_t k = 0;
        int64_t wake = t0;
        for (;;) {
            sleepUntil(wake);
            int64_t now = monoNs();
            offsetNs_ = clockNs(CLOCK_REALTIME) - now;
            receiveAll();
            if (!windowOpen && now >= windowStart_) {
                windowOpen = true;
                sample(w.startNs, w.ruStart, w.daemonTicksStart, w.daemonWakeupsStart);
                w.notBusyStart = readNotBusy();
            }
            if (opts_.daemonPid && now >= nextCheck) {
                nextCheck += 1'000'000'000;
                if (::kill(opts_.daemonPid, 0) != 0 && errno == ESRCH) {
                    w.daemonGone = true;
                    break;
                }
            }
            if (sliceNs_ > 0)
                while (nextSlice < st.sliceSteal.size() && t0 + int64_t(nextSlice) * sliceNs_ <= now)
                    st.sliceSteal[nextSlice++] = readSteal();
            int64_t due = t0 + int64_t(double(k) * spacing);
            while (due <= now && due < tEnd) {
                sendOne(streams_[k % S], k % S, due);
                ++k;
                due = t0 + int64_t(double(k) * spacing);
            }
            if (due >= tEnd) break;
            wake = std::max(wake + tick, due);
        }
        sleepUntil(tEnd);
        if (!windowOpen) {
            sample(w.startNs, w.ruStart, w.daemonTicksStart, w.daemonWakeupsStart);
            w.notBusyStart = readNotBusy();
        }
        sample(w.endNs, w.ruEnd, w.daemonTicksEnd, w.daemonWakeupsEnd);
        w.notBusyEnd = readNotBusy();
        w.sendEndNs = monoNs();
        if (opts_.daemonPid) w.daemonRssKb = procRssKb(opts_.daemonPid);
        // Packets still in flight.
        int64_t drainEnd = w.sendEndNs + int64_t(std::max(opts_.drain, opts_.lateMs / 1000) * 1e9);
        for (int64_t now = monoNs(); now < drainEnd; now = monoNs()) {
            offsetNs_ = clockNs(CLOCK_REALTIME) - now;
            receiveAll();
            sleepUntil(std::min(drainEnd, now + 2'000'000));
        }
        offsetNs_ = clockNs(CLOCK_REALTIME) - monoNs();
        receiveAll();
        w.udpEnd = readUdpCounters();
        return w;
    }

  private:
    void sample(int64_t& t, rusage& ru, int64_t& ticks, int64_t& wakeups) {
        t = monoNs();
        ::getrusage(RUSAGE_SELF, &ru);
        if (opts_.daemonPid) {
            ticks = procCpuTicks(opts_.daemonPid);
            wakeups = procWakeups(opts_.daemonPid);
        }
    }

    void sendOne(Stream& s, std::size_t idx, int64_t due) {
        uint8_t p[kSendBuf];
        uint32_t n = s.sent;
        uint16_t seq = uint16_t(s.seq0 + n);
        uint32_t ts = s.ts0 + n * uint32_t(kPayload);
        p[0] = 0x80;
        p[1] = n == 0 ? 0x80 : 0x00;  // PT 0 (PCMU), marker on the first packet
        p[2] = uint8_t(seq >> 8);
        p[3] = uint8_t(seq);
        uint32_t tsn = htonl(ts), ssrcn = htonl(s.ssrc);
        std::memcpy(p + 4, &tsn, 4);
        std::memcpy(p + 8, &ssrcn, 4);
        std::memset(p + kRtpHeader, 0xff, kPayload);  // PCMU silence
        uint32_t magic = kMagic, sender = uint32_t(idx);
        std::memcpy(p + 12, &magic, 4);
        std::memcpy(p + 16, &nonce_, 4);
        std::memcpy(p + 20, &sender, 4);
        std::memcpy(p + 24, &n, 4);
        int64_t now = monoNs();
        std::memcpy(p + 28, &now, 8);
        int len = int(kPacket);
        if (s.txLeg) {
            std::size_t l = kPacket;
            len = s.txLeg->protect(p, l, uint64_t(s.seq0) + n) ? int(l) : 0;
        } else if (s.tx && srtp_protect(s.tx, p, &len) != srtp_err_status_ok) {
            len = 0;
        }
        if (len == 0) st_->srtpSendErrors++;
        ssize_t r = len == 0 ? -1
                             : ::sendto(s.fd, p, std::size_t(len), 0,
                                        reinterpret_cast<const sockaddr*>(&s.dest), sizeof s.dest);
        s.sent++;
        st_->sent[idx & 1]++;
        if (r < 0) st_->sendErrors++;
        int64_t late = now - due;
        if (late > 1'000'000) st_->lateSends++;
        st_->maxLateNs = std::max(st_->maxLateNs, late);
        st_->endLagNs = late;
    }

    void receiveAll() {
        std::array<epoll_event, 512> evs;
        for (;;) {
            int n = ::epoll_wait(ep_, evs.data(), int(evs.size()), 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                dieErrno("epoll_wait");
            }
            for (int i = 0; i < n; ++i) receiveFrom(std::size_t(evs[std::size_t(i)].data.u64));
            if (n < int(evs.size())) return;
        }
    }

    void receiveFrom(std::size_t s) {
        Stream& me = streams_[s];
        for (;;) {
            for (std::size_t i = 0; i < kRecvBatch; ++i) {
                msgs_[i].msg_hdr = {};
                msgs_[i].msg_hdr.msg_iov = &iov_[i];
                msgs_[i].msg_hdr.msg_iovlen = 1;
                msgs_[i].msg_hdr.msg_name = &from_[i];
                msgs_[i].msg_hdr.msg_namelen = sizeof from_[i];
                msgs_[i].msg_hdr.msg_control = ctrl_[i].data();
                msgs_[i].msg_hdr.msg_controllen = ctrl_[i].size();
            }
            int n = ::recvmmsg(me.fd, msgs_.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
            if (n <= 0) return;
            for (int i = 0; i < n; ++i) handle(s, me, std::size_t(i));
            if (std::size_t(n) < kRecvBatch) return;
        }
    }

    void handle(std::size_t s, Stream& me, std::size_t i) {
        const msghdr& h = msgs_[i].msg_hdr;
        int64_t rxMono = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
            if (c->cmsg_level != SOL_SOCKET) continue;
            if (c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec ts;
                std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                rxMono = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec - offsetNs_;
            } else if (c->cmsg_type == SO_RXQ_OVFL) {
                uint32_t drops;
                std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
                me.rxOverflow = std::max(me.rxOverflow, drops);
            }
        }
        uint8_t* p = rxData_[i].data();
        std::size_t len = msgs_[i].msg_len;
        if (me.rxLeg) {
            // SRTP leg: what the relay protected towards A must unprotect.
            if ((h.msg_flags & MSG_TRUNC) || !me.rxLeg->unprotect(p, len)) {
                st_->srtpErrors++;
                return;
            }
        } else if (me.rx) {
            int l = int(std::min<std::size_t>(len, kRecvBuf));
            srtp_err_status_t e = (h.msg_flags & MSG_TRUNC) ? srtp_err_status_bad_param
                                                            : srtp_unprotect(me.rx, p, &l);
            if (e == srtp_err_status_replay_fail || e == srtp_err_status_replay_old) {
                st_->duplicates++;
                return;
            }
            if (e != srtp_err_status_ok) {
                st_->srtpErrors++;
                return;
            }
            len = std::size_t(l);
        }
        uint32_t magic = 0, nonce = 0, sender = 0, n = 0;
        int64_t sentAt = 0;
        if (len >= 36) {
            std::memcpy(&magic, p + 12, 4);
            std::memcpy(&nonce, p + 16, 4);
            std::memcpy(&sender, p + 20, 4);
            std::memcpy(&n, p + 24, 4);
            std::memcpy(&sentAt, p + 28, 8);
        }
        if (magic != kMagic || nonce != nonce_ || sender >= streams_.size()) {
            st_->foreign++;
            return;
        }
        if (sender != (s ^ 1)) {
            st_->misrouted++;
            return;
        }
        const Stream& peer = streams_[sender];
        uint32_t ssrc;
        std::memcpy(&ssrc, p + 8, 4);
        uint16_t seq = uint16_t(p[2] << 8 | p[3]);
        if (len != kPacket || (h.msg_flags & MSG_TRUNC) || p[0] != 0x80 || (p[1] & 0x7f) != 0 ||
            ntohl(ssrc) != peer.ssrc || seq != uint16_t(peer.seq0 + n) ||
            std::size_t(n / 64) >= me.seen.size()) {
            st_->corrupt++;
            return;
        }
        if (!(from_[i].sin_addr.s_addr == me.dest.sin_addr.s_addr &&
              from_[i].sin_port == me.dest.sin_port))
            st_->wrongSource++;
        uint64_t bit = uint64_t(1) << (n % 64);
        if (me.seen[n / 64] & bit) {
            st_->duplicates++;
            return;
        }
        me.seen[n / 64] |= bit;
        st_->received[sender & 1]++;
        if (rxMono == 0) {
            st_->noKernelStamp++;
            rxMono = monoNs();
        }
        if (rxMono - sentAt > lateNs_) st_->late[sender & 1]++;
        if (sentAt >= windowStart_ && sentAt < windowEnd_) {
            st_->latency.add(rxMono - sentAt);
            const int64_t b0 = gBurstStartNs.load(std::memory_order_relaxed);
            const int64_t b1 = gBurstEndNs.load(std::memory_order_relaxed);
            // Before SIGUSR1 every packet is "before" (reported only if it comes).
            if (b0 == 0 || sentAt < b0) st_->beforeBurst.add(rxMono - sentAt);
            else if (b1 < b0 || sentAt < b1) st_->inBurst.add(rxMono - sentAt);
            else st_->afterBurst.add(rxMono - sentAt);
        }
        if (sliceNs_ > 0 && sentAt >= t0_) {
            std::size_t i = std::size_t((sentAt - t0_) / sliceNs_);
            if (i < st_->sliceMaxNs.size())
                st_->sliceMaxNs[i] = std::max(st_->sliceMaxNs[i], rxMono - sentAt);
        }
    }

    std::vector<Stream>& streams_;
    const Options& opts_;
    uint32_t nonce_;
    int ep_ = -1;
    MediaStats* st_ = nullptr;
    int64_t windowStart_ = 0, windowEnd_ = 0;
    int64_t lateNs_ = int64_t(opts_.lateMs * 1e6);
    int64_t t0_ = 0, sliceNs_ = 0;
    int64_t offsetNs_ = 0;  // CLOCK_REALTIME - CLOCK_MONOTONIC
    std::array<mmsghdr, kRecvBatch> msgs_{};
    std::array<iovec, kRecvBatch> iov_{};
    std::array<sockaddr_in, kRecvBatch> from_{};
    std::array<std::array<uint8_t, kRecvBuf>, kRecvBatch> rxData_{};
    std::array<std::array<char, 128>, kRecvBatch> ctrl_{};
};

// ---------------------------------------------------------------------------

void kv(const char* k, uint64_t v) { std::printf("%s=%" PRIu64 "\n", k, v); }
void kv(const char* k, int64_t v) { std::printf("%s=%" PRId64 "\n", k, v); }
void kv(const char* k, double v) { std::printf("%s=%.2f\n", k, v); }
void kv(const char* k, const char* v) { std::printf("%s=%s\n", k, v); }

// Opens and binds a non-blocking UDP socket on the next free port of the
// range; -1 when the range is used up.
int openMediaSocket(const Addr& base, uint32_t& nextPort, uint16_t portMax, Addr& bound) {
    for (; nextPort <= portMax; ++nextPort) {
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) dieErrno("socket");
        bound = base;
        bound.sa.sin_port = htons(uint16_t(nextPort));
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&bound.sa), sizeof bound.sa) == 0) {
            ++nextPort;
            int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
            ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
            return fd;
        }
        int e = errno;
        ::close(fd);
        if (e != EADDRINUSE && e != EACCES) {
            errno = e;
            dieErrno("bind " + bound.str());
        }
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    // The generator's SRTP against libsrtp2 for every suite, and nothing
    // else (a test: tests/CMakeLists.txt).
    if (argc == 2 && std::string_view(argv[1]) == "--srtp-check") {
        if (srtp_init() != srtp_err_status_ok) die("libsrtp2 did not initialise");
        int bad = 0;
        for (const auto& suite : kSuites) {
            std::string why = crossCheck(suite);
            std::printf("%s: %s\n", suite.name, why.empty() ? "same as libsrtp2" : why.c_str());
            bad += !why.empty();
        }
        return bad ? 2 : 0;
    }
    auto parsed = parseOptions(argc, argv);
    if (!parsed) {
        usage();
        return 2;
    }
    const Options& o = *parsed;
    // The burst window (see MediaStats::inBurst).
    struct sigaction sa {};
    sa.sa_handler = onBurstSignal;
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGUSR1, &sa, nullptr);
    ::sigaction(SIGUSR2, &sa, nullptr);
    auto target = parseHostPort(o.target);
    if (!target) die("bad --target " + o.target);
    auto base = parseAddr(o.mediaAddress, "1");
    if (!base) die("bad --media-address " + o.mediaAddress);
    ::prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us: the pacing tick is short

    // Two sockets per call, plus the ng socket, epoll and stdio.
    const uint64_t need = uint64_t(o.calls) * 2 + 32;
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < need) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, std::max<rlim_t>(need, rl.rlim_cur));
        ::setrlimit(RLIMIT_NOFILE, &rl);
        ::getrlimit(RLIMIT_NOFILE, &rl);
    }
    kv("calls_requested", uint64_t(o.calls));
    kv("fd_limit", uint64_t(rl.rlim_cur));
    if (rl.rlim_cur < need) {
        kv("limit", "fd");
        std::fflush(stdout);
        die("open-file limit " + std::to_string(rl.rlim_cur) + " is below the " +
                std::to_string(need) + " that " + std::to_string(o.calls) + " calls need",
            3);
    }

    std::vector<Call> calls(o.calls);
    std::vector<int> fds(std::size_t(o.calls) * 2, -1);
    uint32_t nextPort = o.portMin;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        fds[2 * i] = openMediaSocket(*base, nextPort, o.portMax, calls[i].a);
        fds[2 * i + 1] = openMediaSocket(*base, nextPort, o.portMax, calls[i].b);
        if (fds[2 * i] < 0 || fds[2 * i + 1] < 0) {
            kv("limit", "ports");
            std::fflush(stdout);
            die("no free local port left in " + std::to_string(o.portMin) + "-" +
                    std::to_string(o.portMax) + " for call " + std::to_string(i),
                3);
        }
    }

    // --srtp: a random master key and salt for each A leg.
    const SrtpSuite* suite = o.srtp.empty() ? nullptr : suiteByName(o.srtp);
    if (suite) {
        if (srtp_init() != srtp_err_status_ok) die("libsrtp2 did not initialise");
        if (!o.srtpLibsrtp) {
            std::string why = crossCheck(*suite);
            if (!why.empty())
                die(std::string("the generator's SRTP disagrees with libsrtp2 for ") + suite->name +
                    ": " + why);
        }
        for (auto& c : calls) {
            c.keyA.resize(suite->keySaltLen);
            if (::getrandom(c.keyA.data(), c.keyA.size(), 0) != ssize_t(c.keyA.size()))
                dieErrno("getrandom");
        }
    }

    // Set-up: offer from A, answer from B.
    NgClient ng(*target, o.localPort, o.daemonPid, suite);
    std::vector<std::size_t> all(calls.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    int64_t setupStart = monoNs();
    std::vector<std::size_t> offered;
    uint64_t badSdp = 0;
    ng.run(Cmd::Offer, all, calls, o.inflight, [&](std::size_t i, bool ok, std::string_view sdp) {
        calls[i].offered = true;  // even a failed offer may have left state
        if (!ok) return;
        auto a = sdpAudioAddr(sdp);
        if (!a) {
            ++badSdp;
            return;
        }
        calls[i].relayB = *a;
        offered.push_back(i);
    });
    std::vector<std::size_t> answered;
    uint64_t badCrypto = 0;
    ng.run(Cmd::Answer, offered, calls, o.inflight,
           [&](std::size_t i, bool ok, std::string_view sdp) {
               if (!ok) return;
               auto a = sdpAudioAddr(sdp);
               if (!a) {
                   ++badSdp;
                   return;
               }
               calls[i].relayA = *a;
               if (suite) {
                   // The relay's key towards A, in the suite A offered.
                   auto c = sdpCrypto(sdp);
                   if (!c || c->suite != suite->name || c->keySalt.size() != suite->keySaltLen) {
                       ++badSdp;
                       if (badCrypto++ < 3)
                           std::fprintf(stderr, "mediaload: answer of call %zu without a usable "
                                        "a=crypto line for %s\n", i, suite->name);
                       return;
                   }
                   calls[i].keyRelay = std::move(c->keySalt);
               }
               calls[i].established = true;
               answered.push_back(i);
           });
    double setupS = double(monoNs() - setupStart) / 1e9;
    std::sort(answered.begin(), answered.end());

    // The media streams of the established calls.
    uint32_t nonce = uint32_t(monoNs() * 2654435761u) ^ uint32_t(::getpid());
    uint64_t rng = uint64_t(nonce) * 0x9e3779b97f4a7c15ull + 1;
    auto rand32 = [&] {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return uint32_t(rng >> 16);
    };
    std::vector<Stream> streams(answered.size() * 2);
    for (std::size_t j = 0; j < answered.size(); ++j) {
        const Call& c = calls[answered[j]];
        for (int side = 0; side < 2; ++side) {
            Stream& s = streams[2 * j + std::size_t(side)];
            s.fd = fds[2 * answered[j] + std::size_t(side)];
            s.dest = (side == 0 ? c.relayA : c.relayB).sa;
            s.ssrc = rand32();
            s.seq0 = uint16_t(rand32());
            s.ts0 = rand32();
        }
    }
    if (suite) {
        for (std::size_t j = 0; j < answered.size(); ++j) {
            Call& c = calls[answered[j]];
            Stream& a = streams[2 * j];
            if (o.srtpLibsrtp) {
                a.tx = makeSession(*suite, c.keyA, true);
                a.rx = makeSession(*suite, c.keyRelay, false);
            } else {
                a.txLeg = SrtpLeg::create(*suite, c.keyA, true);
                a.rxLeg = SrtpLeg::create(*suite, c.keyRelay, false);
            }
            if (!(a.tx && a.rx) && !(a.txLeg && a.rxLeg)) die("libsrtp2 refused the keys of call " + std::to_string(answered[j]));
        }
    }

    MediaStats st;
    MediaEngine::Window w;
    bool ran = !streams.empty() && !ng.daemonGone();
    if (ran) {
        MediaEngine engine(streams, o, nonce);
        w = engine.run(st);
    }

    // Teardown: everything that reached the daemon.
    std::vector<std::size_t> toDelete;
    for (std::size_t i = 0; i < calls.size(); ++i)
        if (calls[i].offered) toDelete.push_back(i);
    uint64_t deleted = 0;
    if (!w.daemonGone)
        ng.run(Cmd::Delete, toDelete, calls, o.inflight,
               [&](std::size_t, bool ok, std::string_view) { deleted += ok; });
    for (int fd : fds)
        if (fd >= 0) ::close(fd);
    for (auto& s : streams) {
        if (s.tx) srtp_dealloc(s.tx);
        if (s.rx) srtp_dealloc(s.rx);
    }

    // --- results ---
    const double sendS = double(w.sendEndNs - w.sendStartNs) / 1e9;
    const double windowS = double(w.endNs - w.startNs) / 1e9;
    uint64_t sent = st.sent[0] + st.sent[1], recv = st.received[0] + st.received[1];
    uint64_t late = st.late[0] + st.late[1];
    // Lost: never arrived, or arrived after the deadline.
    auto lossPct = [](uint64_t s, uint64_t r, uint64_t l) {
        uint64_t ok = r - std::min(r, l);
        return s ? double(s - std::min(s, ok)) * 100.0 / double(s) : 0.0;
    };
    const double nominalPps = double(streams.size()) * 1e9 / double(kPtimeNs);
    double genUser = tvSeconds(w.ruEnd.ru_utime) - tvSeconds(w.ruStart.ru_utime);
    double genSys = tvSeconds(w.ruEnd.ru_stime) - tvSeconds(w.ruStart.ru_stime);
    double genPct = windowS > 0 ? (genUser + genSys) / windowS * 100.0 : 0;
    long hz = ::sysconf(_SC_CLK_TCK);
    double daemonPct = -1;
    if (w.daemonTicksStart >= 0 && w.daemonTicksEnd >= 0 && windowS > 0)
        daemonPct = double(w.daemonTicksEnd - w.daemonTicksStart) / double(hz) / windowS * 100.0;
    uint64_t genDrops = 0;
    for (const auto& s : streams) genDrops += s.rxOverflow;

    kv("calls", uint64_t(answered.size()));
    kv("calls_failed", uint64_t(calls.size() - answered.size()));
    kv("setup_s", setupS);
    kv("ng_retransmits", ng.retransmits());
    kv("ng_errors", ng.errors() + ng.lost() + badSdp);
    kv("calls_deleted", deleted);
    kv("duration_s", sendS);
    kv("window_s", windowS);
    // Every CPU's busy share over the window, wall - idle - iowait - steal
    // (softirq included, whoever it was charged to), and their sum in % of
    // one core.
    if (windowS > 0 && w.notBusyStart.size() == w.notBusyEnd.size()) {
        double hz = double(::sysconf(_SC_CLK_TCK));
        double all = 0;
        for (std::size_t c = 0; c < w.notBusyEnd.size(); ++c) {
            double idle = double(w.notBusyEnd[c] - w.notBusyStart[c]) / hz;
            double pct = std::clamp((windowS - idle) / windowS * 100.0, 0.0, 100.0);
            all += pct;
            kv(("busy_pct_cpu" + std::to_string(c)).c_str(), pct);
        }
        kv("busy_pct_all", all);
    }
    kv("sent_ab", st.sent[0]);
    kv("sent_ba", st.sent[1]);
    kv("received_ab", st.received[0]);
    kv("received_ba", st.received[1]);
    kv("late_ab", st.late[0]);
    kv("late_ba", st.late[1]);
    std::printf("loss_ab_pct=%.4f\n", lossPct(st.sent[0], st.received[0], st.late[0]));
    std::printf("loss_ba_pct=%.4f\n", lossPct(st.sent[1], st.received[1], st.late[1]));
    kv("never_arrived", sent - std::min(sent, recv));
    kv("late", late);
    kv("late_ms", o.lateMs);
    std::printf("loss_pct=%.4f\n", lossPct(sent, recv, late));
    kv("pps_nominal", nominalPps);
    kv("pps_sent", sendS > 0 ? double(sent) / sendS : 0.0);
    kv("send_rate_pct", sendS > 0 && nominalPps > 0 ? double(sent) / sendS / nominalPps * 100 : 0.0);
    kv("pps_relayed", sendS > 0 ? double(recv) / sendS : 0.0);
    kv("duplicates", st.duplicates);
    kv("misrouted", st.misrouted);
    kv("wrong_source", st.wrongSource);
    kv("corrupt", st.corrupt);
    kv("foreign", st.foreign);
    kv("srtp", suite ? suite->name : "off");
    kv("srtp_impl", !suite ? "-" : o.srtpLibsrtp ? "libsrtp2" : "openssl (checked against libsrtp2)");
    kv("srtp_errors", st.srtpErrors);
    kv("srtp_send_errors", st.srtpSendErrors);
    kv("send_errors", st.sendErrors);
    kv("late_sends", st.lateSends);
    kv("late_sends_pct", sent ? double(st.lateSends) * 100.0 / double(sent) : 0.0);
    kv("max_late_us", double(st.maxLateNs) / 1000.0);
    kv("end_lag_ms", double(st.endLagNs) / 1e6);
    kv("tick_us", uint64_t(o.tickUs));
    kv("latency_samples", st.latency.count);
    kv("latency_p50_us", st.latency.percentileUs(50));
    kv("latency_p90_us", st.latency.percentileUs(90));
    kv("latency_p99_us", st.latency.percentileUs(99));
    kv("latency_p999_us", st.latency.percentileUs(99.9));
    kv("latency_max_us", double(st.latency.maxNs) / 1000.0);
    kv("latency_unstamped", st.noKernelStamp);
    if (gBurstStartNs.load() != 0) {
        const int64_t b0 = gBurstStartNs.load(), b1 = gBurstEndNs.load();
        kv("burst_start_s", double(b0 - w.sendStartNs) / 1e9);
        kv("burst_len_s", b1 > b0 ? double(b1 - b0) / 1e9 : -1.0);
        const std::pair<const char*, const Histogram*> parts[] = {
            {"before", &st.beforeBurst}, {"burst", &st.inBurst}, {"after", &st.afterBurst}};
        for (const auto& [name, h] : parts) {
            const std::string k(name);
            kv((k + "_latency_samples").c_str(), h->count);
            kv((k + "_latency_p50_us").c_str(), h->percentileUs(50));
            kv((k + "_latency_p99_us").c_str(), h->percentileUs(99));
            kv((k + "_latency_max_us").c_str(), double(h->maxNs) / 1000.0);
        }
    }
    kv("gen_cpu_user_s", genUser);
    kv("gen_cpu_sys_s", genSys);
    kv("gen_cpu_pct", genPct);
    rusage total{};
    ::getrusage(RUSAGE_SELF, &total);
    kv("gen_total_cpu_s", tvSeconds(total.ru_utime) + tvSeconds(total.ru_stime));
    kv("gen_rx_drops", genDrops);
    kv("udp_rcvbuf_errors", w.udpEnd.rcvbufErrors - w.udpStart.rcvbufErrors);
    kv("udp_sndbuf_errors", w.udpEnd.sndbufErrors - w.udpStart.sndbufErrors);
    kv("udp_noports", w.udpEnd.noPorts - w.udpStart.noPorts);
    if (daemonPct >= 0) kv("daemon_cpu_pct", daemonPct);
    if (w.daemonWakeupsStart >= 0 && w.daemonWakeupsEnd >= 0 && windowS > 0)
        kv("daemon_wakeups_per_s", double(w.daemonWakeupsEnd - w.daemonWakeupsStart) / windowS);
    if (w.daemonRssKb >= 0) kv("daemon_rss_kb", w.daemonRssKb);
    if (ng.daemonGone()) w.daemonGone = true;
    if (w.daemonGone) kv("daemon_gone", uint64_t(1));
    std::fflush(stdout);

    std::fprintf(stderr,
                 "mediaload: %zu of %u calls (set up in %.1f s), %.1f s of media, "
                 "%zu streams at 50 pps\n",
                 answered.size(), o.calls, setupS, sendS, streams.size());
    std::fprintf(stderr,
                 "  sent %" PRIu64 " (%.0f pps), relayed back %" PRIu64
                 " (%.0f pps); loss A->B %.3f%%, B->A %.3f%% (%" PRIu64
                 " never arrived, %" PRIu64 " later than %.0f ms)\n",
                 sent, sendS > 0 ? double(sent) / sendS : 0.0, recv,
                 sendS > 0 ? double(recv) / sendS : 0.0,
                 lossPct(st.sent[0], st.received[0], st.late[0]),
                 lossPct(st.sent[1], st.received[1], st.late[1]), sent - std::min(sent, recv),
                 late, o.lateMs);
    std::fprintf(stderr,
                 "  duplicates %" PRIu64 ", misrouted %" PRIu64 ", wrong source %" PRIu64
                 ", corrupt %" PRIu64 ", foreign %" PRIu64 ", send errors %" PRIu64 "\n",
                 st.duplicates, st.misrouted, st.wrongSource, st.corrupt, st.foreign,
                 st.sendErrors);
    if (suite)
        std::fprintf(stderr,
                     "  SRTP on the A legs (%s, %s): %" PRIu64 " failed to unprotect, %" PRIu64
                     " failed to protect\n",
                     suite->name, o.srtpLibsrtp ? "libsrtp2" : "OpenSSL, checked against libsrtp2",
                     st.srtpErrors, st.srtpSendErrors);
    std::fprintf(stderr,
                 "  relay latency (kernel arrival - send stamp): p50 %.0f us, p99 %.0f us, "
                 "p99.9 %.0f us, max %.0f us\n",
                 st.latency.percentileUs(50), st.latency.percentileUs(99),
                 st.latency.percentileUs(99.9), double(st.latency.maxNs) / 1000.0);
    std::fprintf(stderr,
                 "  generator: %.1f%% of a core (%.2f s user, %.2f s sys over %.2f s), "
                 "%" PRIu64 " sends > 1 ms late (max %.1f ms, last %.1f ms), %" PRIu64
                 " dropped at its sockets\n",
                 genPct, genUser, genSys, windowS, st.lateSends, double(st.maxLateNs) / 1e6,
                 double(st.endLagNs) / 1e6, genDrops);
    if (daemonPct >= 0)
        std::fprintf(stderr, "  daemon: %.1f%% of a core, RSS %" PRId64 " KiB\n", daemonPct,
                     w.daemonRssKb);
    std::fprintf(stderr,
                 "  UDP receive-buffer errors (system-wide) %" PRId64 "; %" PRIu64
                 " calls deleted\n",
                 w.udpEnd.rcvbufErrors - w.udpStart.rcvbufErrors, deleted);
    for (std::size_t i = 0; i < st.sliceMaxNs.size(); ++i) {
        if (st.sliceMaxNs[i] < 10'000'000) continue;
        std::fprintf(stderr, "  slice at %.1f s: slowest packet %.1f ms; steal ticks in slice per CPU:",
                     double(i) * o.timelineMs / 1000, double(st.sliceMaxNs[i]) / 1e6);
        const auto& a = st.sliceSteal[i];
        const auto& b = st.sliceSteal[i + 1];
        for (std::size_t c = 0; c < a.size() && c < b.size(); ++c)
            std::fprintf(stderr, " %" PRId64, b[c] - a[c]);
        std::fprintf(stderr, "\n");
    }
    if (w.daemonGone) {
        std::fprintf(stderr, "mediaload: the daemon went away\n");
        return 4;
    }
    if (!ran) return 2;
    return answered.size() == calls.size() && deleted == toDelete.size() ? 0 : 1;
}
