#include "control/control_statistics.h"

namespace ngm::control {

ControlStatistics::ControlStatistics(size_t columns)
    : columns_(columns),
      delays_(columns),
      totals_(columns),
      totalsAtSample_(columns),
      rates_(columns) {}

ProxyRow& ControlStatistics::rowLocked(const std::string& proxy) {
    auto& row = perProxy_[proxy];
    if (row.count.empty()) {
        row.count.resize(columns_);
        row.seconds.resize(columns_);
    }
    return row;
}

void ControlStatistics::recordLocked(ProxyRow& row, int column, double seconds, bool error,
                                     int64_t sessions) {
    if (column >= 0 && (size_t)column < columns_) {
        row.count[column]++;
        row.seconds[column] += seconds;
        delays_[column].add(seconds);
        totals_[column]++;
    }
    if (error) row.errors++;
    if (sessions < minSessions_) minSessions_ = sessions;
    if (sessions > maxSessions_) maxSessions_ = sessions;
}

void ControlStatistics::record(int column, const std::string& proxy, double seconds, bool error,
                               int64_t sessions) {
    std::lock_guard lk(mutex_);
    recordLocked(rowLocked(proxy), column, seconds, error, sessions);
}

void ControlStatistics::record(int column, const net::IpAddress& proxy, double seconds, bool error,
                               int64_t sessions) {
    std::lock_guard lk(mutex_);
    if (!lastRow_ || !(proxy == lastProxy_)) {
        lastRow_ = &rowLocked(proxy.toString());
        lastProxy_ = proxy;
    }
    recordLocked(*lastRow_, column, seconds, error, sessions);
}

void ControlStatistics::sample(Clock::time_point now, const MediaTotals& media) {
    std::lock_guard lk(mutex_);
    double secs = std::chrono::duration<double>(now - lastSample_).count();
    if (lastSample_.time_since_epoch().count() && secs > 0.1) {
        packetRate_ = (int64_t)((double)(media.packets - lastMedia_.packets) / secs);
        byteRate_ = (int64_t)((double)(media.bytes - lastMedia_.bytes) / secs);
        errorRate_ = (int64_t)((double)(media.errors - lastMedia_.errors) / secs);
        for (size_t i = 0; i < columns_; i++)
            rates_[i].add((int64_t)((double)(totals_[i] - totalsAtSample_[i]) / secs));
    }
    totalsAtSample_ = totals_;
    lastMedia_ = media;
    lastSample_ = now;
}

ControlStatistics::Snapshot ControlStatistics::snapshot() const {
    std::lock_guard lk(mutex_);
    Snapshot s;
    s.proxies = perProxy_;
    s.delays = delays_;
    s.totals = totals_;
    s.rates = rates_;
    s.packetRate = packetRate_;
    s.byteRate = byteRate_;
    s.errorRate = errorRate_;
    s.minSessions = minSessions_;
    s.maxSessions = maxSessions_;
    return s;
}

}  // namespace ngm::control
