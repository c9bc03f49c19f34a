// What the ng control surface has done: per command and per control client
// (proxy) counts and time spent, delays, request rates, and the media packet
// rates sampled alongside them. Thread-safe; ng `statistics`, a CLI or a
// Prometheus endpoint read it through snapshot().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/address.h"

namespace ngm::control {

struct DelayStats {
    int64_t count = 0;
    double sum = 0, min = 0, max = 0;
    void add(double s) {
        if (count == 0 || s < min) min = s;
        if (count == 0 || s > max) max = s;
        sum += s;
        count++;
    }
};

// Requests per second of one command, sampled about once a second.
struct RateStats {
    bool sampled = false;
    int64_t min = 0, max = 0;
    void add(int64_t r) {
        if (!sampled || r < min) min = r;
        if (!sampled || r > max) max = r;
        sampled = true;
    }
};

// One row of controlstatistics.proxies: what one control client sent.
struct ProxyRow {
    std::vector<int64_t> count;   // per command column
    std::vector<double> seconds;  // time spent on them
    int64_t errors = 0;
};

class ControlStatistics {
  public:
    using Clock = std::chrono::steady_clock;

    // `columns`: the number of commands counted in columns of their own.
    explicit ControlStatistics(size_t columns);

    size_t columns() const { return columns_; }

    // Counts one finished command from `proxy` (its address) that took
    // `seconds`: in `column`, or, when negative (a command without a column
    // of its own, or no command at all), only in the proxy's errors when
    // `error`. `sessions` is the number of sessions now, for the min/max.
    void record(int column, const std::string& proxy, double seconds, bool error, int64_t sessions);
    // The same for a proxy given by its address: its row is found without
    // formatting the address when it is the previous command's proxy.
    void record(int column, const net::IpAddress& proxy, double seconds, bool error, int64_t sessions);

    struct MediaTotals {
        uint64_t packets = 0, bytes = 0, errors = 0;
    };
    // Samples the request rates and the media rates (from the packet totals
    // of all workers); called about once a second.
    void sample(Clock::time_point now, const MediaTotals& media);

    struct Snapshot {
        std::map<std::string, ProxyRow> proxies;
        std::vector<DelayStats> delays;
        std::vector<int64_t> totals;  // commands per column since start
        std::vector<RateStats> rates;
        int64_t packetRate = 0, byteRate = 0, errorRate = 0;
        int64_t minSessions = 0, maxSessions = 0;
    };
    Snapshot snapshot() const;

  private:
    void recordLocked(ProxyRow& row, int column, double seconds, bool error, int64_t sessions);
    ProxyRow& rowLocked(const std::string& proxy);

    size_t columns_;
    mutable std::mutex mutex_;
    std::map<std::string, ProxyRow> perProxy_;
    // The row of the proxy last recorded by address (map nodes stay put).
    net::IpAddress lastProxy_;
    ProxyRow* lastRow_ = nullptr;
    std::vector<DelayStats> delays_;
    std::vector<int64_t> totals_, totalsAtSample_;
    std::vector<RateStats> rates_;
    // Packet totals at the last sample, and the rates since.
    MediaTotals lastMedia_;
    Clock::time_point lastSample_;
    int64_t packetRate_ = 0, byteRate_ = 0, errorRate_ = 0;
    int64_t minSessions_ = 0, maxSessions_ = 0;
};

}  // namespace ngm::control
