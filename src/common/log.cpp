#include "common/log.h"

#include <syslog.h>
#include <sys/time.h>

#include <cstdio>
#include <mutex>

namespace ngm::log {

std::atomic<int> g_level{Info};
namespace {
Config g_cfg;
std::mutex g_stderrMutex;
const char* const kLevelNames[] = {"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"};
}  // namespace

void init(const Config& cfg) {
    g_cfg = cfg;
    g_level.store(cfg.level);
    if (!cfg.toStderr) openlog(cfg.ident, LOG_PID | LOG_NDELAY, cfg.facility);
}

void setLevel(int level) { g_level.store(level); }

void write(int level, std::string_view context, const char* fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level < 0) level = 0;
    if (level > 7) level = 7;
    if (g_cfg.toStderr) {
        timeval tv;
        gettimeofday(&tv, nullptr);
        std::lock_guard lk(g_stderrMutex);
        if (context.empty())
            fprintf(stderr, "[%ld.%06ld] %s: %s\n", (long)tv.tv_sec, (long)tv.tv_usec, kLevelNames[level], msg);
        else
            fprintf(stderr, "[%ld.%06ld] %s: [%.*s] %s\n", (long)tv.tv_sec, (long)tv.tv_usec,
                    kLevelNames[level], (int)context.size(), context.data(), msg);
    } else {
        if (context.empty())
            syslog(level, "%s: %s", kLevelNames[level], msg);
        else
            syslog(level, "%s: [%.*s] %s", kLevelNames[level], (int)context.size(), context.data(), msg);
    }
}

}  // namespace ngm::log
