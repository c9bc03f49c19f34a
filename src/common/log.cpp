#include "common/log.h"

#include <syslog.h>
#include <sys/time.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace ngm::log {

// Internals (the tenth) is off unless asked for, as in rtpengine.
std::array<std::atomic<int>, kSubsystems> g_levels{
    {{Info}, {Info}, {Info}, {Info}, {Info}, {Info}, {Info}, {Info}, {Info}, {-1}, {Info}, {Info}, {Info}}};
namespace {
constexpr std::string_view kSubsystemNames[kSubsystems] = {
    "core", "spandsp", "ffmpeg",    "transcoding", "codec",   "rtcp", "ice",
    "crypto", "srtp", "internals", "http",        "control", "dtx"};
Config g_cfg;
std::mutex g_stderrMutex;
const char* const kLevelNames[] = {"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"};
}  // namespace

void init(const Config& cfg) {
    g_cfg = cfg;
    for (auto& l : g_levels) l.store(cfg.level);
    g_levels[size_t(Subsystem::Internals)].store(-1);
    if (!cfg.toStderr) openlog(cfg.ident, LOG_PID | LOG_NDELAY, cfg.facility);
}

void setLevel(int level) {
    for (auto& l : g_levels) l.store(level);
}

void setLevel(Subsystem s, int level) { g_levels[size_t(s)].store(level); }

int level(Subsystem s) { return g_levels[size_t(s)].load(); }

std::string_view subsystemName(Subsystem s) { return kSubsystemNames[size_t(s)]; }

std::optional<Subsystem> subsystemByName(std::string_view name) {
    for (size_t i = 0; i < kSubsystems; i++)
        if (kSubsystemNames[i] == name) return Subsystem(i);
    return std::nullopt;
}

void reopen() {
    if (g_cfg.toStderr) return;
    // A restarted syslog daemon (or a rotated /dev/log) gets a fresh
    // connection; LOG_NDELAY connects now rather than at the next line.
    closelog();
    openlog(g_cfg.ident, LOG_PID | LOG_NDELAY, g_cfg.facility);
}

void write(int level, std::string_view context, const char* fmt, ...) {
    if (level < 0) level = 0;
    if (level > 7) level = 7;
    if (g_cfg.toStderr) {
        // The whole line formatted once into one buffer and written with one
        // system call (stdio's unbuffered stderr formats twice to do that).
        char line[600 + 2048 + 1];
        timeval tv;
        gettimeofday(&tv, nullptr);
        int n = context.empty()
                    ? snprintf(line, 600, "[%ld.%06ld] %s: ", (long)tv.tv_sec, (long)tv.tv_usec, kLevelNames[level])
                    : snprintf(line, 600, "[%ld.%06ld] %s: [%.*s] ", (long)tv.tv_sec, (long)tv.tv_usec,
                               kLevelNames[level], (int)std::min<size_t>(context.size(), 512), context.data());
        if (n < 0) return;
        if (n > 599) n = 599;
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, 2048, fmt, ap);  // the message, at most 2047 bytes as before
        va_end(ap);
        if (m < 0) m = 0;
        if (m > 2047) m = 2047;
        n += m;
        line[n++] = '\n';
        std::lock_guard lk(g_stderrMutex);
        fflush(stderr);  // (anything stdio still holds goes first)
        for (size_t off = 0; off < (size_t)n;) {
            ssize_t w = ::write(STDERR_FILENO, line + off, (size_t)n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
        return;
    }
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (context.empty())
        syslog(level, "%s: %s", kLevelNames[level], msg);
    else
        syslog(level, "%s: [%.*s] %s", kLevelNames[level], (int)context.size(), context.data(), msg);
}

}  // namespace ngm::log
