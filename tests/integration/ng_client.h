// Test client for the integration suite: runs the real ngmediad on loopback
// and talks ng to it over UDP (bencode or JSON) and TCP.
//
// Nothing here depends on GoogleTest; the fixture in daemon_test.h does.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bencode/value.h"

namespace ngm::itest {

using std::chrono::milliseconds;

// Media ports of all integration tests live in 50000-59999, cut into blocks of
// this size; a running test holds one block exclusively (see PortBlock).
constexpr int kMediaPortFirst = 50000;
constexpr int kMediaPortLast = 59999;
constexpr int kPortBlockSize = 100;
// Each block also owns two control ports (ng over UDP, ng over TCP) in
// 31000-31199: below the kernel's ephemeral range (32768 up), so no client
// socket bound to port 0 can take one while the daemon is starting, or be
// given the daemon's own port and talk to itself.
constexpr int kControlPortFirst = 31000;
// And two for HTTP and HTTPS (--listen-http, --listen-https) in 31400-31599.
constexpr int kHttpPortFirst = 31400;

// The differential suite's daemons take their media ports from 41000-49999
// (PORT_BLOCKS in tests/diff/run_diff.py) while integration tests run beside
// it (ctest -j): a test socket there makes such a daemon skip a port, and
// its port numbering no longer matches the recorded replies.
constexpr int kDiffPortFirst = 41000;
constexpr int kDiffPortLast = 49999;

// Ports a test socket bound to port 0 must not keep: the media area and the
// differential suite's ports (both inside the kernel's ephemeral range).
bool inMediaArea(uint16_t port);

// The daemon binary: $NGM_DAEMON if set, else the one this build produced.
std::string daemonPath();
// True when that binary is rtpengine (by its file name): the suite then runs
// against the behavioural oracle instead of ngmediad.
bool daemonIsRtpengine();
// An option only ngmediad knows ("--no-io-uring", "--ng-reply-cache=1"):
// rtpengine refuses to start with it.
bool isNgmediadOnlyOption(std::string_view arg);

// A free port on 127.0.0.1 outside the media port area (SOCK_DGRAM or
// SOCK_STREAM), found by binding port 0. 0 on failure.
uint16_t pickFreePort(int sockType);

// True when 127.0.0.1:port (UDP) is taken: binding it fails with EADDRINUSE.
bool udpPortInUse(uint16_t port);
// The same for SOCK_DGRAM or SOCK_STREAM.
bool portInUse(int sockType, uint16_t port);

// An exclusive block of media ports, so tests running in parallel (ctest -j,
// other build trees) never hand the same ports to two daemons. The claim is an
// abstract-namespace unix socket: it vanishes with the process, leaving nothing
// on disk.
class PortBlock {
  public:
    PortBlock() = default;
    ~PortBlock();
    PortBlock(const PortBlock&) = delete;
    PortBlock& operator=(const PortBlock&) = delete;
    bool claim();
    void release();
    int first() const { return first_; }
    // The block's ng control port over UDP; the TCP one is the next.
    uint16_t controlPort() const { return uint16_t(kControlPortFirst + 2 * index_); }
    // The block's HTTP port; the HTTPS one is the next.
    uint16_t httpPort() const { return uint16_t(kHttpPortFirst + 2 * index_); }

  private:
    int lockFd_ = -1;
    int first_ = 0;
    int index_ = 0;
};

struct DaemonConfig {
    // Extra command-line arguments, e.g. "--delete-delay=0".
    std::vector<std::string> args;
    // Size of the media port range (taken from the start of the claimed block).
    int mediaPorts = kPortBlockSize;
    // Also listen for ng over TCP (--listen-tcp-ng).
    bool tcp = false;
    // Also listen for HTTP/WebSocket (--listen-http) and, with a PEM file
    // holding certificate and key, HTTPS/WSS (--listen-https).
    bool http = false;
    std::string httpsPem = {};
    // Also listen for the rtpproxy protocol (--listen-udp).
    bool rtpproxy = false;
};

// One ngmediad process. Always started with --config-file=none --foreground
// --log-stderr --table=-1, ng on a free UDP port of 127.0.0.1, media on
// 127.0.0.1 in a claimed port block; stdout and stderr go to a temp file.
class Daemon {
  public:
    Daemon() = default;
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Spawns the daemon and waits until it answers `ping`. On failure returns
    // false; error() says why.
    bool start(const DaemonConfig& cfg);
    // SIGTERM, then SIGKILL after 3 s; reaps the process. Returns how it ended
    // ("exited 0", "killed by signal 9 after SIGTERM timeout", ...); empty if
    // it was not running. Idempotent.
    std::string stop();
    // True while the process exists (has not exited on its own). Reaps it if
    // it has, remembering how it ended in exitDescription().
    bool alive();
    bool stoppedCleanly() const { return cleanStop_; }
    // The signal that ended the process (0 if it exited or still runs).
    int endSignal() const { return endSignal_; }
    const std::string& exitDescription() const { return exitDescription_; }

    pid_t pid() const { return pid_; }
    uint16_t ngPort() const { return ngPort_; }
    uint16_t tcpNgPort() const { return tcpNgPort_; }
    uint16_t rtpproxyPort() const { return rtpproxyPort_; }
    uint16_t httpPort() const { return httpPort_; }
    uint16_t httpsPort() const { return httpsPort_; }
    int portMin() const { return portMin_; }
    int portMax() const { return portMax_; }
    const std::string& error() const { return error_; }
    const std::vector<std::string>& argv() const { return argv_; }

    // Resident set size from /proc/PID/status (VmRSS), in KiB; -1 if unknown.
    long rssKiB() const;
    // Number of entries in /proc/PID/fd; -1 if unknown.
    int openFds() const;
    // What the daemon printed (stdout and stderr); at most the last maxBytes.
    std::string log(size_t maxBytes = 1 << 20) const;

  private:
    pid_t pid_ = -1;
    uint16_t ngPort_ = 0;
    uint16_t tcpNgPort_ = 0;
    uint16_t rtpproxyPort_ = 0;
    uint16_t httpPort_ = 0, httpsPort_ = 0;
    int portMin_ = 0;
    int portMax_ = 0;
    PortBlock ports_;
    int logFd_ = -1;  // the daemon's stdout/stderr (an unlinked temp file)
    std::string error_;
    std::string exitDescription_;
    bool cleanStop_ = false;
    int endSignal_ = 0;
    std::vector<std::string> argv_;
};

// An ng request dictionary under construction. Keys and values are copied
// into its document. Not copyable: the values point into the document.
class Request {
  public:
    explicit Request(std::string_view command);
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    Request& set(std::string_view key, std::string_view value);
    Request& setInt(std::string_view key, int64_t value);
    Request& setList(std::string_view key, std::initializer_list<std::string_view> items);
    // The list under `key`; nothing at all when `items` is empty.
    Request& setListIfAny(std::string_view key, const std::vector<std::string>& items);
    // Any value; its strings must come from doc().intern() or be static.
    Request& setValue(std::string_view key, bencode::Value v);
    bencode::Document& doc() { return doc_; }

    std::string bencode() const;
    std::string json() const;

  private:
    bencode::Document doc_;
};

// A reply: its body (after "COOKIE ") decoded as bencode or, when it starts
// with '{', as JSON.
class Reply {
  public:
    Reply() = default;  // "no reply"
    explicit Reply(std::string body);

    bool received() const { return body_ != nullptr; }
    bool decoded() const { return received() && decodeError_.empty(); }
    std::string_view body() const { return body_ ? std::string_view(*body_) : std::string_view(); }
    const std::string& decodeError() const { return decodeError_; }
    const bencode::Value& root() const;

    // Nested dictionary lookup; nullptr when any step is missing or not a dict.
    const bencode::Value* get(std::initializer_list<std::string_view> path) const;
    // The string at path, or "" (also for a missing key).
    std::string str(std::initializer_list<std::string_view> path) const;
    // The integer at path, or `dflt`.
    int64_t integer(std::initializer_list<std::string_view> path, int64_t dflt = -1) const;

    std::string result() const { return str({"result"}); }
    std::string errorReason() const { return str({"error-reason"}); }
    std::string warning() const { return str({"warning"}); }
    std::string sdp() const { return str({"sdp"}); }

    // For assertion messages: the body, non-printable bytes escaped, shortened.
    std::string describe(size_t maxLen = 2000) const;

  private:
    std::shared_ptr<const std::string> body_;
    std::shared_ptr<bencode::Document> doc_;
    std::string decodeError_;
};

// Lookup helpers on any decoded value.
const bencode::Value* lookup(const bencode::Value& v, std::initializer_list<std::string_view> path);
// In a `query` reply: the tag's first media section's stream `index` (0 RTP,
// 1 RTCP), and one of that stream's `stats` counters (-1 when missing).
const bencode::Value* queriedStream(const Reply& q, const std::string& tag, size_t index);
int64_t queriedStat(const Reply& q, const std::string& tag, size_t index, std::string_view key);
std::string printable(std::string_view bytes, size_t maxLen = 2000);

// ng over UDP from a socket of its own on 127.0.0.1.
class NgClient {
  public:
    explicit NgClient(uint16_t ngPort);
    ~NgClient();
    NgClient(const NgClient&) = delete;
    NgClient& operator=(const NgClient&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    uint16_t localPort() const { return localPort_; }

    // A cookie not used before by this client.
    std::string newCookie();

    // Raw datagrams.
    bool send(std::string_view datagram);
    std::optional<std::string> receive(milliseconds timeout);

    // Sends "COOKIE BODY" and waits for the reply carrying that cookie
    // (replies to other cookies are dropped). Returns the whole reply datagram.
    std::optional<std::string> exchange(std::string_view cookie, std::string_view body,
                                        milliseconds timeout = milliseconds(2000));

    // Request/reply with a fresh cookie.
    Reply request(const Request& req, milliseconds timeout = milliseconds(2000));
    Reply requestJson(const Request& req, milliseconds timeout = milliseconds(2000));
    Reply requestRaw(std::string_view body, milliseconds timeout = milliseconds(2000));

  private:
    int fd_ = -1;
    uint16_t localPort_ = 0;
    uint64_t nextCookie_ = 1;
    std::string cookiePrefix_;
};

// ng over one TCP connection.
class NgTcpClient {
  public:
    explicit NgTcpClient(uint16_t port);
    ~NgTcpClient();
    NgTcpClient(const NgTcpClient&) = delete;
    NgTcpClient& operator=(const NgTcpClient&) = delete;

    bool ok() const { return fd_ >= 0; }
    bool write(std::string_view bytes);
    // Reads until `count` complete replies ("COOKIE BENCODE" or "COOKIE {JSON}") have arrived or
    // the timeout passes; returns the complete ones, in order.
    std::vector<std::string> readReplies(size_t count, milliseconds timeout = milliseconds(2000));

  private:
    int fd_ = -1;
    std::string buffered_;
};

// --- SDP helpers -----------------------------------------------------------

// A one-stream audio offer from `addr`:`port` (PCMU/PCMA).
std::string audioSdp(uint16_t port, std::string_view addr = "192.0.2.10", int version = 1);
// One rejected (port 0) audio stream: calls made with it hold no ports.
std::string noPortsSdp(std::string_view addr = "192.0.2.10");

struct SdpMediaPorts {
    std::string address;  // c= of the media (or session)
    int rtp = -1;         // m= port
    int rtcp = -1;        // a=rtcp port, -1 if absent
};
// Ports of the index-th m= section.
std::optional<SdpMediaPorts> sdpMediaPorts(std::string_view sdp, size_t index = 0);

}  // namespace ngm::itest
