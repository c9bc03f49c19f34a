// --max-load, --max-cpu and --max-bandwidth: the figures they are checked
// against, sampled off the packet path (about once a second, on worker 0's
// tick), and the check an offer for a new call makes. As rtpengine 10.5:
// the 1-minute load average (getloadavg), the whole system's CPU usage in
// percent from /proc/stat (not only ours), and the bytes per second media
// sockets received (userspace and in-kernel path together).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ngm::session {

struct RuntimeParams;

// The jiffies of /proc/stat's first ("cpu") line: all of them, and the idle
// ones (idle and iowait).
struct CpuTimes {
    uint64_t total = 0, idle = 0;
};
// Parses the aggregate "cpu " line at the start of /proc/stat's text.
std::optional<CpuTimes> parseProcStatCpu(std::string_view text);
// Busy share between two readings, in percent (0 when no time passed).
double cpuPercent(const CpuTimes& before, const CpuTimes& after);

// Which limit refused an offer: its message in a `load limit` reply.
enum class LoadLimit { None, Load, Cpu, Bandwidth };
std::string_view loadLimitMessage(LoadLimit l);

class LoadMonitor {
  public:
    using Clock = std::chrono::steady_clock;

    // Takes a sample: the load average and /proc/stat now, and the media
    // bytes received so far (for the rate since the previous sample).
    void sample(Clock::time_point now, uint64_t receivedBytes);
    // The same with the figures given (unit tests, and sample()'s worker).
    void record(double loadAverage, std::optional<CpuTimes> cpu, Clock::time_point now,
                uint64_t receivedBytes);

    double loadAverage() const { return load_.load(std::memory_order_relaxed); }
    double cpuUsage() const { return cpu_.load(std::memory_order_relaxed); }
    int64_t bandwidth() const { return bandwidth_.load(std::memory_order_relaxed); }

    // The first limit of load, CPU and bandwidth (rtpengine's order) that
    // the last sample exceeds, with the figure and the limit; a limit of 0
    // (or less) is off.
    struct Verdict {
        LoadLimit limit = LoadLimit::None;
        double value = 0, max = 0;
    };
    Verdict exceeded(const RuntimeParams& limits) const;
    // Counts an offer refused for `l`.
    void countRefused(LoadLimit l);

    // Offers refused by each limit (not counted in `rejectedsessions`, as
    // rtpengine does not).
    std::atomic<int64_t> refusedLoad{0}, refusedCpu{0}, refusedBandwidth{0};

  private:
    std::atomic<double> load_{0}, cpu_{0};
    std::atomic<int64_t> bandwidth_{0};
    // The previous sample's readings; only the sampling thread touches them.
    std::optional<CpuTimes> lastCpu_;
    Clock::time_point lastAt_{};
    uint64_t lastBytes_ = 0;
};

}  // namespace ngm::session
