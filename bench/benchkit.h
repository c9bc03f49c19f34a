// Small pieces the ng load generators share (dtlsload, webrtcload): clocks,
// a process's CPU from /proc, loopback UDP sockets, and just enough bencode
// and SDP reading for the replies of an rtpengine-compatible daemon.
// Header-only so that each generator stays one translation unit.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace benchkit {

inline int64_t monoNs() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
inline uint64_t nowMs() { return uint64_t(monoNs() / 1'000'000); }

// utime + stime of process `pid` in clock ticks; -1 when it is gone.
inline int64_t procCpuTicks(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    if (!std::getline(f, s)) return -1;
    auto close = s.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    int64_t utime = 0, stime = 0;
    for (int i = 3; i <= 15 && (in >> field); ++i) {
        if (i == 14) utime = std::strtoll(field.c_str(), nullptr, 10);
        if (i == 15) stime = std::strtoll(field.c_str(), nullptr, 10);
    }
    return utime + stime;
}

inline int64_t procRssKb(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
    return -1;
}

// This process's user + system CPU seconds.
inline double selfCpuS() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

inline sockaddr_in loopbackAddr(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// Binds a non-blocking UDP socket on 127.0.0.1 to the next free port from
// `next` up to `max`; -1 when none is left (or no descriptor).
inline int bindNext(uint16_t& next, uint16_t max, uint16_t& port) {
    while (next <= max && next != 0) {
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fd < 0) return -1;
        sockaddr_in a = loopbackAddr(next);
        port = next++;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
        ::close(fd);
    }
    return -1;
}

// A bencoded string.
inline std::string bstr(std::string_view s) {
    return std::to_string(s.size()) + ":" + std::string(s);
}

// The value of the bencoded string after KEY in a reply (good enough for ng
// replies: keys are searched as "<len>:<key>").
inline std::optional<std::string> bvalue(std::string_view msg, std::string_view key) {
    const std::string k = bstr(key);
    size_t at = msg.find(k);
    if (at == std::string_view::npos) return std::nullopt;
    at += k.size();
    size_t colon = msg.find(':', at);
    if (colon == std::string_view::npos) return std::nullopt;
    size_t len = std::strtoul(std::string(msg.substr(at, colon - at)).c_str(), nullptr, 10);
    if (colon + 1 + len > msg.size()) return std::nullopt;
    return std::string(msg.substr(colon + 1, len));
}

// The value of the first "a=NAME:" line, empty without one.
inline std::string sdpAttr(const std::string& sdp, std::string_view name) {
    const std::string k = "a=" + std::string(name) + ":";
    size_t at = sdp.find(k);
    if (at == std::string::npos) return {};
    at += k.size();
    size_t end = sdp.find_first_of("\r\n", at);
    return sdp.substr(at, end - at);
}

// The values of every "a=NAME:" line.
inline std::vector<std::string> sdpAttrs(const std::string& sdp, std::string_view name) {
    std::vector<std::string> out;
    const std::string k = "a=" + std::string(name) + ":";
    for (size_t at = sdp.find(k); at != std::string::npos; at = sdp.find(k, at)) {
        at += k.size();
        size_t end = sdp.find_first_of("\r\n", at);
        out.push_back(sdp.substr(at, end - at));
    }
    return out;
}

inline uint16_t sdpAudioPort(const std::string& sdp) {
    size_t at = sdp.find("m=audio ");
    if (at == std::string::npos) return 0;
    return uint16_t(std::strtoul(sdp.c_str() + at + 8, nullptr, 10));
}

// The address of the first c= line (IPv4 only), nullopt without one.
inline std::optional<in_addr> sdpConnection(const std::string& sdp) {
    size_t at = sdp.find("c=IN IP4 ");
    if (at == std::string::npos) return std::nullopt;
    at += 9;
    size_t end = sdp.find_first_of("\r\n/", at);
    in_addr a{};
    if (::inet_pton(AF_INET, sdp.substr(at, end - at).c_str(), &a) != 1) return std::nullopt;
    return a;
}

// The p-th percentile (0..100) of `v` in ms, `v` in ns; 0 when empty.
inline double percentileMs(std::vector<int64_t> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t i = size_t(p / 100 * double(v.size() - 1) + 0.5);
    return double(v[std::min(i, v.size() - 1)]) / 1e6;
}

}  // namespace benchkit
