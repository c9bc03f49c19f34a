#pragma once
#include <chrono>
#include <cstdint>
#include <ctime>

namespace ngm {
using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
inline MonoTime monoNow() { return MonoClock::now(); }
inline int64_t wallSeconds() { return (int64_t)::time(nullptr); }
inline int64_t wallMicros() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace ngm
