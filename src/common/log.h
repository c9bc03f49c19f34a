// Logging: syslog or stderr, rtpengine's numeric levels (syslog priorities),
// one level per subsystem (rtpengine's --log-level-<subsystem>).
//
// NGM_LOG tags a line with the subsystem named by `kNgmLogSubsystem` where
// the macro is used: Core unless the file declares its own, e.g.
//   namespace ngm::ice { namespace { constexpr auto kNgmLogSubsystem = log::Subsystem::Ice; } }
// NGM_LOG_SUB names one explicitly.
#pragma once

#include <array>
#include <atomic>
#include <cstdarg>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ngm::log {

enum Level : int {
    Emerg = 0, Alert = 1, Crit = 2, Err = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7
};

// rtpengine 10.5's subsystems, in its order (`list loglevels`).
enum class Subsystem : uint8_t {
    Core, Spandsp, Ffmpeg, Transcoding, Codec, Rtcp, Ice, Crypto, Srtp, Internals, Http, Control, Dtx
};
constexpr size_t kSubsystems = 13;
// "core", "ice", ... as in the option names and the CLI.
std::string_view subsystemName(Subsystem s);
std::optional<Subsystem> subsystemByName(std::string_view name);

struct Config {
    int level = Info;
    bool toStderr = true;
    int facility = 3 << 3;  // LOG_DAEMON
    const char* ident = "ngmediad";
};

// Sets every subsystem to cfg.level, internals to -1 (off, as rtpengine).
void init(const Config& cfg);
// Every subsystem, internals included (the CLI's `set loglevel N`).
void setLevel(int level);
void setLevel(Subsystem s, int level);
int level(Subsystem s);
// SIGHUP: closes and opens the log target again (syslog's connection; a no-op
// for stderr, which the process does not own).
void reopen();
extern std::array<std::atomic<int>, kSubsystems> g_levels;

inline bool enabled(int level, Subsystem s = Subsystem::Core) {
    return level <= g_levels[size_t(s)].load(std::memory_order_relaxed);
}

// printf-style; `context` (may be empty) is shown as "[context] ".
void write(int level, std::string_view context, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace ngm::log

// The subsystem of log lines of files that name none.
inline constexpr ::ngm::log::Subsystem kNgmLogSubsystem = ::ngm::log::Subsystem::Core;

#define NGM_LOG_SUB(sub, level, ctx, ...)                                          \
    do {                                                                           \
        if (::ngm::log::enabled(level, sub)) ::ngm::log::write(level, ctx, __VA_ARGS__); \
    } while (0)
#define NGM_LOG(level, ctx, ...) NGM_LOG_SUB(kNgmLogSubsystem, level, ctx, __VA_ARGS__)
#define NGM_LOG_ERR(...) NGM_LOG(::ngm::log::Err, "", __VA_ARGS__)
#define NGM_LOG_WARN(...) NGM_LOG(::ngm::log::Warning, "", __VA_ARGS__)
#define NGM_LOG_NOTICE(...) NGM_LOG(::ngm::log::Notice, "", __VA_ARGS__)
#define NGM_LOG_INFO(...) NGM_LOG(::ngm::log::Info, "", __VA_ARGS__)
#define NGM_LOG_DEBUG(...) NGM_LOG(::ngm::log::Debug, "", __VA_ARGS__)
