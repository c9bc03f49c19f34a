// The `statistics` reply, built from the objects that hold the figures, so
// any surface (ng, CLI, Prometheus) can build or read it without the
// dispatcher.
#pragma once

#include <cstdint>

#include "bencode/value.h"
#include "control/control_statistics.h"
#include "session/worker.h"

namespace ngm::net {
class InterfaceTable;
}

namespace ngm::control {

struct StatisticsSources {
    session::WorkerPool& workers;
    const session::SessionCounters& counters;
    const net::InterfaceTable* interfaces;  // may be null
    const ControlStatistics& control;
    int64_t startTime;  // wall-clock seconds
};

// The packet totals of all workers.
ControlStatistics::MediaTotals mediaTotals(session::WorkerPool& workers);

// rtpengine 10.5's `statistics` reply, strings interned in `d`.
bencode::Value buildStatistics(const StatisticsSources& s, bencode::Document& d);

}  // namespace ngm::control
