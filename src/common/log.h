// Logging: syslog or stderr, rtpengine's numeric levels (syslog priorities).
#pragma once

#include <atomic>
#include <cstdarg>
#include <string_view>

namespace ngm::log {

enum Level : int {
    Emerg = 0, Alert = 1, Crit = 2, Err = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7
};

struct Config {
    int level = Info;
    bool toStderr = true;
    int facility = 3 << 3;  // LOG_DAEMON
    const char* ident = "ngmediad";
};

void init(const Config& cfg);
void setLevel(int level);
// SIGHUP: closes and opens the log target again (syslog's connection; a no-op
// for stderr, which the process does not own).
void reopen();
extern std::atomic<int> g_level;

inline bool enabled(int level) { return level <= g_level.load(std::memory_order_relaxed); }

// printf-style; `context` (may be empty) is shown as "[context] ".
void write(int level, std::string_view context, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace ngm::log

#define NGM_LOG(level, ctx, ...)                                      \
    do {                                                              \
        if (::ngm::log::enabled(level)) ::ngm::log::write(level, ctx, __VA_ARGS__); \
    } while (0)
#define NGM_LOG_ERR(...) NGM_LOG(::ngm::log::Err, "", __VA_ARGS__)
#define NGM_LOG_WARN(...) NGM_LOG(::ngm::log::Warning, "", __VA_ARGS__)
#define NGM_LOG_NOTICE(...) NGM_LOG(::ngm::log::Notice, "", __VA_ARGS__)
#define NGM_LOG_INFO(...) NGM_LOG(::ngm::log::Info, "", __VA_ARGS__)
#define NGM_LOG_DEBUG(...) NGM_LOG(::ngm::log::Debug, "", __VA_ARGS__)
