#include "session/load_limits.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "session/runtime_params.h"

namespace ngm::session {

std::optional<CpuTimes> parseProcStatCpu(std::string_view text) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
    if (text.substr(0, 4) != "cpu ") return std::nullopt;
    text.remove_prefix(4);
    CpuTimes t;
    int fields = 0;
    while (!text.empty() && text.front() != '\n') {
        if (text.front() == ' ') {
            text.remove_prefix(1);
            continue;
        }
        uint64_t v = 0;
        size_t n = 0;
        while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
            if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
            v = v * 10 + uint64_t(text[n] - '0');
            n++;
        }
        if (n == 0) return std::nullopt;
        text.remove_prefix(n);
        fields++;
        // guest and guest_nice are already inside user and nice.
        if (fields <= 8) t.total += v;
        if (fields == 4 || fields == 5) t.idle += v;
    }
    if (fields < 4) return std::nullopt;
    return t;
}

double cpuPercent(const CpuTimes& before, const CpuTimes& after) {
    if (after.total <= before.total || after.idle < before.idle) return 0;
    uint64_t total = after.total - before.total, idle = after.idle - before.idle;
    if (idle > total) return 0;
    return 100.0 * double(total - idle) / double(total);
}

std::string_view loadLimitMessage(LoadLimit l) {
    switch (l) {
        case LoadLimit::Load: return "Load limit exceeded";
        case LoadLimit::Cpu: return "CPU usage limit exceeded";
        case LoadLimit::Bandwidth: return "Bandwidth limit exceeded";
        case LoadLimit::None: break;
    }
    return "";
}

namespace {

std::optional<CpuTimes> readProcStat() {
    int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[512];  // the first line is all we need
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0) return std::nullopt;
    return parseProcStatCpu(std::string_view(buf, size_t(n)));
}

}  // namespace

void LoadMonitor::sample(Clock::time_point now, uint64_t receivedBytes) {
    double avg[1] = {0};
    if (getloadavg(avg, 1) != 1) avg[0] = 0;
    record(avg[0], readProcStat(), now, receivedBytes);
}

void LoadMonitor::record(double loadAverage, std::optional<CpuTimes> cpu, Clock::time_point now,
                         uint64_t receivedBytes) {
    constexpr auto r = std::memory_order_relaxed;
    load_.store(loadAverage, r);
    if (cpu && lastCpu_) cpu_.store(cpuPercent(*lastCpu_, *cpu), r);
    if (cpu) lastCpu_ = cpu;
    double secs = std::chrono::duration<double>(now - lastAt_).count();
    if (lastAt_ != Clock::time_point{} && secs > 0.1 && receivedBytes >= lastBytes_)
        bandwidth_.store(int64_t(double(receivedBytes - lastBytes_) / secs), r);
    lastAt_ = now;
    lastBytes_ = receivedBytes;
}

LoadMonitor::Verdict LoadMonitor::exceeded(const RuntimeParams& limits) const {
    constexpr auto r = std::memory_order_relaxed;
    if (double max = limits.maxLoad.load(r); max > 0 && loadAverage() > max)
        return {LoadLimit::Load, loadAverage(), max};
    if (double max = limits.maxCpu.load(r); max > 0 && cpuUsage() > max)
        return {LoadLimit::Cpu, cpuUsage(), max};
    if (int64_t max = limits.maxBandwidth.load(r); max > 0 && bandwidth() > max)
        return {LoadLimit::Bandwidth, double(bandwidth()), double(max)};
    return {};
}

void LoadMonitor::countRefused(LoadLimit l) {
    switch (l) {
        case LoadLimit::Load: refusedLoad++; break;
        case LoadLimit::Cpu: refusedCpu++; break;
        case LoadLimit::Bandwidth: refusedBandwidth++; break;
        case LoadLimit::None: break;
    }
}

}  // namespace ngm::session
