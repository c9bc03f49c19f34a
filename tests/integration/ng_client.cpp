#include "ng_client.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "bencode/framing.h"

namespace ngm::itest {

using bencode::Value;
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

}  // namespace

bool inMediaArea(uint16_t port) {
    return (port >= kMediaPortFirst && port <= kMediaPortLast) ||
           (port >= kDiffPortFirst && port <= kDiffPortLast);
}

namespace {

// A socket bound to 127.0.0.1 on a kernel-chosen port outside the media
// area (ephemeral ports overlap it), so a client never steals a test's ports.
int bindOutsideMediaArea(int sockType) {
    std::vector<int> rejected;
    int result = -1;
    for (int attempt = 0; attempt < 64 && result < 0; attempt++) {
        int fd = socket(AF_INET, sockType | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        sockaddr_in sa = loopback(0);
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            close(fd);
            break;
        }
        if (inMediaArea(boundPort(fd)))
            rejected.push_back(fd);  // keep it so the next bind gets another port
        else
            result = fd;
    }
    for (int fd : rejected) close(fd);
    return result;
}

bool waitReadable(int fd, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left < 0) left = 0;
        pollfd p{fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

std::string describeStatus(int status) {
    if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace

std::string daemonPath() {
    if (const char* env = getenv("NGM_DAEMON"); env && *env) return env;
#ifdef NGM_DAEMON_PATH
    return NGM_DAEMON_PATH;
#else
    return "ngmediad";
#endif
}

bool daemonIsRtpengine() {
    std::string path = daemonPath();
    size_t slash = path.rfind('/');
    return path.substr(slash == std::string::npos ? 0 : slash + 1) == "rtpengine";
}

bool isNgmediadOnlyOption(std::string_view arg) {
    for (std::string_view opt : {"--no-io-uring", "--ng-reply-cache"})
        if (arg.substr(0, arg.find('=')) == opt) return true;
    return false;
}

uint16_t pickFreePort(int sockType) {
    int fd = bindOutsideMediaArea(sockType);
    if (fd < 0) return 0;
    uint16_t port = boundPort(fd);
    close(fd);
    return port;
}

bool portInUse(int sockType, uint16_t port) {
    int fd = socket(AF_INET, sockType | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in sa = loopback(port);
    bool inUse = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno == EADDRINUSE;
    close(fd);
    return inUse;
}

bool udpPortInUse(uint16_t port) { return portInUse(SOCK_DGRAM, port); }

// --- PortBlock ----------------------------------------------------------------

PortBlock::~PortBlock() { release(); }

bool PortBlock::claim() {
    release();
    const int blocks = (kMediaPortLast - kMediaPortFirst + 1) / kPortBlockSize;
    // Start somewhere pid-dependent so parallel tests rarely contend.
    int start = (int)(getpid() % blocks);
    for (int i = 0; i < blocks; i++) {
        int b = (start + i) % blocks;
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::string name = "ngmedia-integration-ports-" + std::to_string(b);
        memcpy(sa.sun_path + 1, name.data(), name.size());  // sun_path[0] == 0: abstract
        socklen_t len = (socklen_t)(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) == 0) {
            lockFd_ = fd;
            first_ = kMediaPortFirst + b * kPortBlockSize;
            index_ = b;
            return true;
        }
        close(fd);
    }
    return false;
}

void PortBlock::release() {
    if (lockFd_ >= 0) close(lockFd_);
    lockFd_ = -1;
}

// --- Daemon -------------------------------------------------------------------

Daemon::~Daemon() {
    stop();
    if (logFd_ >= 0) close(logFd_);
}

bool Daemon::start(const DaemonConfig& cfg) {
    if (pid_ > 0) {
        error_ = "already running";
        return false;
    }
    if (cfg.mediaPorts < 2 || cfg.mediaPorts > kPortBlockSize) {
        error_ = "mediaPorts must be 2.." + std::to_string(kPortBlockSize);
        return false;
    }
    if (!ports_.claim()) {
        error_ = "no free media port block in " + std::to_string(kMediaPortFirst) + "-" +
                 std::to_string(kMediaPortLast);
        return false;
    }
    portMin_ = ports_.first();
    portMax_ = portMin_ + cfg.mediaPorts - 1;
    // The block's own control ports; any free one if something else holds them.
    ngPort_ = ports_.controlPort();
    if (portInUse(SOCK_DGRAM, ngPort_)) ngPort_ = pickFreePort(SOCK_DGRAM);
    tcpNgPort_ = 0;
    if (cfg.tcp) {
        tcpNgPort_ = uint16_t(ports_.controlPort() + 1);
        if (portInUse(SOCK_STREAM, tcpNgPort_)) tcpNgPort_ = pickFreePort(SOCK_STREAM);
    }
    rtpproxyPort_ = cfg.rtpproxy ? pickFreePort(SOCK_DGRAM) : 0;
    httpPort_ = httpsPort_ = 0;
    if (cfg.http) {
        httpPort_ = ports_.httpPort();
        if (portInUse(SOCK_STREAM, httpPort_)) httpPort_ = pickFreePort(SOCK_STREAM);
    }
    if (!cfg.httpsPem.empty()) {
        httpsPort_ = uint16_t(ports_.httpPort() + 1);
        if (portInUse(SOCK_STREAM, httpsPort_)) httpsPort_ = pickFreePort(SOCK_STREAM);
    }
    if (!ngPort_ || (cfg.tcp && !tcpNgPort_) || (cfg.rtpproxy && !rtpproxyPort_) || (cfg.http && !httpPort_) ||
        (!cfg.httpsPem.empty() && !httpsPort_)) {
        error_ = "cannot find a free control port";
        return false;
    }

    // The log file is unlinked at once: only our descriptor keeps it, so
    // nothing stays behind even if the test process dies.
    char logTemplate[] = "/tmp/ngmedia-integration-XXXXXX";
    int logFd = mkostemp(logTemplate, O_CLOEXEC);
    if (logFd < 0) {
        error_ = std::string("mkostemp: ") + strerror(errno);
        return false;
    }
    unlink(logTemplate);
    if (logFd_ >= 0) close(logFd_);
    logFd_ = logFd;

    bool hasInterface = false;
    for (const auto& a : cfg.args)
        if (a.rfind("--interface", 0) == 0) hasInterface = true;
    argv_ = {daemonPath(),
             "--config-file=none",
             "--foreground",
             "--log-stderr",
             "--table=-1",
             "--listen-ng=127.0.0.1:" + std::to_string(ngPort_),
             "--port-min=" + std::to_string(portMin_),
             "--port-max=" + std::to_string(portMax_)};
    if (!hasInterface) argv_.push_back("--interface=127.0.0.1");
    if (cfg.tcp) argv_.push_back("--listen-tcp-ng=127.0.0.1:" + std::to_string(tcpNgPort_));
    if (cfg.rtpproxy) argv_.push_back("--listen-udp=127.0.0.1:" + std::to_string(rtpproxyPort_));
    if (cfg.http) argv_.push_back("--listen-http=127.0.0.1:" + std::to_string(httpPort_));
    if (!cfg.httpsPem.empty()) {
        argv_.push_back("--listen-https=127.0.0.1:" + std::to_string(httpsPort_));
        argv_.push_back("--https-cert=" + cfg.httpsPem);
    }
    for (const auto& a : cfg.args) argv_.push_back(a);
    // Runs a suite again with another daemon mode (see CMakeLists.txt).
    if (const char* extra = getenv("NGM_DAEMON_EXTRA_ARG"); extra && *extra) argv_.push_back(extra);

    std::vector<char*> cargv;
    for (auto& a : argv_) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        error_ = std::string("fork: ") + strerror(errno);
        return false;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
        if (getppid() != parent) _exit(126);
        dup2(logFd, STDOUT_FILENO);
        dup2(logFd, STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
#ifdef SYS_close_range
        if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
#endif
            for (int fd = 3; fd < 4096; fd++) close(fd);
        execv(cargv[0], cargv.data());
        const char msg[] = "integration test: execv of the daemon failed\n";
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        _exit(127);
    }
    pid_ = pid;
    cleanStop_ = false;
    endSignal_ = 0;
    exitDescription_.clear();

    // Up when it answers ping; give a slow (sanitizer) build 10 s.
    NgClient client(ngPort_);
    if (!client.ok()) {
        error_ = "cannot open a client socket";
        stop();
        return false;
    }
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
        if (!alive()) {
            error_ = "daemon " + exitDescription_ + " during start-up; log:\n" + log(16000);
            return false;
        }
        Reply r = client.request(Request("ping"), milliseconds(100));
        if (r.received()) {
            if (r.result() == "pong") {
                // UDP may come up before the stream listeners: ready when
                // all of them accept connections.
                std::vector<uint16_t> streams;
                for (uint16_t p : {tcpNgPort_, httpPort_, httpsPort_})
                    if (p) streams.push_back(p);
                while (!streams.empty() && Clock::now() < deadline) {
                    if (NgTcpClient(streams.back()).ok())
                        streams.pop_back();
                    else
                        std::this_thread::sleep_for(milliseconds(5));
                }
                if (streams.empty()) return true;
                error_ = "port " + std::to_string(streams.back()) +
                         " never accepted connections; log:\n" + log(16000);
                stop();
                return false;
            }
            error_ = "ping answered with " + r.describe();
            stop();
            return false;
        }
        std::this_thread::sleep_for(milliseconds(5));  // refused: not listening yet
    }
    error_ = "daemon did not answer ping within 10 s; log:\n" + log(16000);
    stop();
    return false;
}

bool Daemon::alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    exitDescription_ = r == pid_ ? describeStatus(status) : std::string("vanished");
    endSignal_ = r == pid_ && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    pid_ = -1;
    ports_.release();
    return false;
}

std::string Daemon::stop() {
    if (pid_ <= 0) return {};
    if (!alive()) return exitDescription_ + " (before being stopped)";
    kill(pid_, SIGTERM);
    auto deadline = Clock::now() + std::chrono::seconds(3);
    int status = 0;
    while (Clock::now() < deadline) {
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exitDescription_ = describeStatus(status);
            cleanStop_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            endSignal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            pid_ = -1;
            ports_.release();
            return exitDescription_;
        }
        if (r < 0) break;
        std::this_thread::sleep_for(milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    exitDescription_ = describeStatus(status) + " after not exiting within 3 s of SIGTERM";
    cleanStop_ = false;
    endSignal_ = SIGKILL;
    pid_ = -1;
    ports_.release();
    return exitDescription_;
}

long Daemon::rssKiB() const {
    if (pid_ <= 0) return -1;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return strtol(line.c_str() + 6, nullptr, 10);
    }
    return -1;
}

int Daemon::openFds() const {
    if (pid_ <= 0) return -1;
    DIR* d = opendir(("/proc/" + std::to_string(pid_) + "/fd").c_str());
    if (!d) return -1;
    int n = 0;
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

std::string Daemon::log(size_t maxBytes) const {
    struct stat st;
    if (logFd_ < 0 || fstat(logFd_, &st) != 0) return {};
    size_t size = (size_t)st.st_size;
    size_t from = size > maxBytes ? size - maxBytes : 0;
    std::string s(size - from, '\0');
    ssize_t n = pread(logFd_, s.data(), s.size(), (off_t)from);
    s.resize(n > 0 ? (size_t)n : 0);
    return from > 0 ? "[...]\n" + s : s;
}

// --- Request ------------------------------------------------------------------

Request::Request(std::string_view command) {
    doc_.root = Value::dict();
    doc_.root.add("command", Value::string(doc_.intern(command)));
}

Request& Request::set(std::string_view key, std::string_view value) {
    return setValue(key, Value::string(doc_.intern(value)));
}

Request& Request::setInt(std::string_view key, int64_t value) {
    return setValue(key, Value::integer(value));
}

Request& Request::setList(std::string_view key, std::initializer_list<std::string_view> items) {
    Value l = Value::list();
    for (auto i : items) l.push(Value::string(doc_.intern(i)));
    return setValue(key, std::move(l));
}

Request& Request::setListIfAny(std::string_view key, const std::vector<std::string>& items) {
    if (items.empty()) return *this;
    Value l = Value::list();
    for (const auto& i : items) l.push(Value::string(doc_.intern(i)));
    return setValue(key, std::move(l));
}

Request& Request::setValue(std::string_view key, Value v) {
    doc_.root.add(doc_.intern(key), std::move(v));
    return *this;
}

std::string Request::bencode() const {
    std::string out;
    bencode::encode(doc_.root, out);
    return out;
}

std::string Request::json() const {
    std::string out;
    bencode::encodeJson(doc_.root, out);
    return out;
}

// --- Reply --------------------------------------------------------------------

Reply::Reply(std::string body)
    : body_(std::make_shared<const std::string>(std::move(body))),
      doc_(std::make_shared<bencode::Document>()) {
    std::string_view b = *body_;
    size_t first = b.find_first_not_of(" \t\r\n");
    bool json = first != std::string_view::npos && b[first] == '{';
    auto decoded = json ? bencode::decodeJson(b, *doc_) : bencode::decode(b, *doc_);
    if (!decoded)
        decodeError_ = decoded.error().reason.empty() ? "decode error" : decoded.error().reason;
}

const Value& Reply::root() const {
    static const Value empty = Value::dict();
    return decoded() ? doc_->root : empty;
}

const Value* lookup(const Value& v, std::initializer_list<std::string_view> path) {
    const Value* cur = &v;
    for (auto key : path) {
        if (!cur->isDict()) return nullptr;
        cur = cur->find(key);
        if (!cur) return nullptr;
    }
    return cur;
}

const Value* Reply::get(std::initializer_list<std::string_view> path) const {
    return lookup(root(), path);
}

std::string Reply::str(std::initializer_list<std::string_view> path) const {
    const Value* v = get(path);
    return v && v->isString() ? std::string(v->str()) : std::string();
}

int64_t Reply::integer(std::initializer_list<std::string_view> path, int64_t dflt) const {
    const Value* v = get(path);
    return v && v->isInteger() ? v->integer() : dflt;
}

std::string printable(std::string_view bytes, size_t maxLen) {
    std::string out;
    for (unsigned char c : bytes) {
        if (out.size() >= maxLen) {
            out += "...";
            break;
        }
        if (c == '\\')
            out += "\\\\";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\n')
            out += "\\n";
        else if (c >= 0x20 && c < 0x7f)
            out += (char)c;
        else {
            char buf[8];
            snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

std::string Reply::describe(size_t maxLen) const {
    if (!received()) return "<no reply>";
    std::string s = "\"" + printable(*body_, maxLen) + "\"";
    if (!decodeError_.empty()) s += " (undecodable: " + decodeError_ + ")";
    return s;
}

// --- NgClient -----------------------------------------------------------------

NgClient::NgClient(uint16_t ngPort) {
    fd_ = bindOutsideMediaArea(SOCK_DGRAM);
    if (fd_ < 0) return;
    int buf = 1 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    sockaddr_in sa = loopback(ngPort);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        close(fd_);
        fd_ = -1;
        return;
    }
    localPort_ = boundPort(fd_);
    // A client closed and a new one can get the same local port (the start-up
    // check's client and the test's): the daemon's reply cache would answer a
    // repeated cookie from it. The instance number keeps cookies apart.
    static std::atomic<unsigned> instances{0};
    cookiePrefix_ = std::to_string(getpid()) + "_" + std::to_string(localPort_) + "_" +
                    std::to_string(instances.fetch_add(1)) + "_";
}

NgClient::~NgClient() {
    if (fd_ >= 0) close(fd_);
}

std::string NgClient::newCookie() { return cookiePrefix_ + std::to_string(nextCookie_++); }

bool NgClient::send(std::string_view datagram) {
    for (;;) {
        ssize_t n = ::send(fd_, datagram.data(), datagram.size(), 0);
        if (n == (ssize_t)datagram.size()) return true;
        // An ICMP port unreachable from an earlier send surfaces here; retry.
        if (n < 0 && (errno == ECONNREFUSED || errno == EINTR)) continue;
        if (n < 0 && errno == ENOBUFS) {
            std::this_thread::sleep_for(milliseconds(1));
            continue;
        }
        return false;
    }
}

std::optional<std::string> NgClient::receive(milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::string buf(65536, '\0');
    for (;;) {
        if (!waitReadable(fd_, deadline)) return std::nullopt;
        ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
        if (n >= 0) {
            buf.resize((size_t)n);
            return buf;
        }
        // ECONNREFUSED: nothing listens (yet) on the daemon's port.
        if (errno != EAGAIN && errno != EINTR) return std::nullopt;
    }
}

std::optional<std::string> NgClient::exchange(std::string_view cookie, std::string_view body,
                                              milliseconds timeout) {
    std::string msg(cookie);
    msg += ' ';
    msg += body;
    if (!send(msg)) return std::nullopt;
    auto deadline = Clock::now() + timeout;
    std::string prefix(cookie);
    prefix += ' ';
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() < 0) return std::nullopt;
        auto r = receive(left);
        if (!r) return std::nullopt;
        if (r->compare(0, prefix.size(), prefix) == 0) return r;
        // A late reply to an earlier request: not ours.
    }
}

Reply NgClient::requestRaw(std::string_view body, milliseconds timeout) {
    std::string cookie = newCookie();
    auto r = exchange(cookie, body, timeout);
    if (!r) return Reply();
    return Reply(r->substr(cookie.size() + 1));
}

Reply NgClient::request(const Request& req, milliseconds timeout) {
    return requestRaw(req.bencode(), timeout);
}

Reply NgClient::requestJson(const Request& req, milliseconds timeout) {
    return requestRaw(req.json(), timeout);
}

// --- NgTcpClient --------------------------------------------------------------

NgTcpClient::NgTcpClient(uint16_t port) {
    fd_ = bindOutsideMediaArea(SOCK_STREAM);
    if (fd_ < 0) return;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa = loopback(port);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        close(fd_);
        fd_ = -1;
    }
}

NgTcpClient::~NgTcpClient() {
    if (fd_ >= 0) close(fd_);
}

bool NgTcpClient::write(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix((size_t)n);
    }
    return true;
}

std::vector<std::string> NgTcpClient::readReplies(size_t count, milliseconds timeout) {
    std::vector<std::string> out;
    auto deadline = Clock::now() + timeout;
    char chunk[65536];
    for (;;) {
        // Take every complete reply out of the buffer.
        for (;;) {
            size_t sp = buffered_.find(' ');
            if (sp == std::string::npos) break;
            // The daemon's own framing (src/bencode/framing.h).
            auto len = bencode::messageExtent(std::string_view(buffered_).substr(sp + 1));
            if (!len || *len == 0) break;
            size_t total = sp + 1 + *len;
            out.push_back(buffered_.substr(0, total));
            buffered_.erase(0, total);
        }
        if (out.size() >= count) return out;
        if (!waitReadable(fd_, deadline)) return out;
        ssize_t n = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0) return out;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return out;
        }
        buffered_.append(chunk, (size_t)n);
    }
}

// --- SDP ----------------------------------------------------------------------

std::string audioSdp(uint16_t port, std::string_view addr, int version) {
    std::string a(addr);
    std::string s = "v=0\r\n";
    s += "o=- 1545997027 " + std::to_string(version) + " IN IP4 " + a + "\r\n";
    s += "s=tester\r\n";
    s += "c=IN IP4 " + a + "\r\n";
    s += "t=0 0\r\n";
    s += "m=audio " + std::to_string(port) + " RTP/AVP 0 8\r\n";
    s += "a=rtpmap:0 PCMU/8000\r\n";
    s += "a=rtpmap:8 PCMA/8000\r\n";
    s += "a=sendrecv\r\n";
    return s;
}

std::string noPortsSdp(std::string_view addr) {
    std::string a(addr);
    return "v=0\r\no=- 1545997027 1 IN IP4 " + a + "\r\ns=tester\r\nc=IN IP4 " + a +
           "\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
}

std::optional<SdpMediaPorts> sdpMediaPorts(std::string_view sdp, size_t index) {
    SdpMediaPorts out;
    std::string sessionAddr;
    size_t media = 0;
    bool inWanted = false;
    std::istringstream in{std::string(sdp)};
    std::string line;
    bool found = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("m=", 0) == 0) {
            if (inWanted) break;
            if (media++ == index) {
                inWanted = found = true;
                std::istringstream m(line.substr(2));
                std::string type;
                m >> type >> out.rtp;
                out.address = sessionAddr;
            }
            continue;
        }
        bool sessionLevel = media == 0;
        if (line.rfind("c=", 0) == 0 && (sessionLevel || inWanted)) {
            auto sp = line.rfind(' ');
            std::string addr = sp == std::string::npos ? std::string() : line.substr(sp + 1);
            if (sessionLevel)
                sessionAddr = addr;
            else
                out.address = addr;
        }
        if (inWanted && line.rfind("a=rtcp:", 0) == 0) out.rtcp = atoi(line.c_str() + 7);
    }
    if (!found) return std::nullopt;
    return out;
}

}  // namespace ngm::itest

namespace ngm::itest {

const Value* queriedStream(const Reply& q, const std::string& tag, size_t index) {
    const auto* medias = q.get({"tags", tag, "medias"});
    if (!medias || !medias->isList() || medias->items().empty()) return nullptr;
    const auto* streams = lookup(medias->items()[0], {"streams"});
    if (!streams || !streams->isList() || streams->items().size() <= index) return nullptr;
    return &streams->items()[index];
}

int64_t queriedStat(const Reply& q, const std::string& tag, size_t index, std::string_view key) {
    const Value* s = queriedStream(q, tag, index);
    const Value* v = s ? lookup(*s, {"stats", key}) : nullptr;
    return v && v->isInteger() ? v->integer() : -1;
}

}  // namespace ngm::itest
