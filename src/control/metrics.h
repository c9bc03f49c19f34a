// Prometheus /metrics: rtpengine 10.5's metric families (names, types and
// labels as it exports them, so dashboards and alerts keep working), read
// from the `statistics` reply (buildStatistics) so both surfaces always show
// the same figures; plus ngmedia_* families of our own. Every family and
// what it counts: docs/metrics.md.
#pragma once

#include <string>

#include "control/ng_statistics.h"

namespace ngm::session {
class LoadMonitor;
}

namespace ngm::control {

class HttpServer;
class ReplyCache;
struct MediaproxyCounters;
struct RtpproxyCounters;

struct MetricsSources {
    StatisticsSources statistics;
    const ReplyCache* replies = nullptr;       // may be null
    const session::LoadMonitor* load = nullptr;  // may be null
    const HttpServer* http = nullptr;            // may be null
    const RtpproxyCounters* rtpproxy = nullptr;  // null: no --listen-udp
    const MediaproxyCounters* mediaproxy = nullptr;  // null: no --listen-tcp
};

// The Prometheus text exposition format (version 0.0.4).
std::string renderMetrics(const MetricsSources& s);

}  // namespace ngm::control
