// An NgDispatcher over a one-worker pool (not started), with the session
// objects it needs, for the control unit tests.
#pragma once

#include <memory>

#include "common/log.h"
#include "control/ng_dispatcher.h"
#include "session/registry.h"
#include "session/worker.h"

namespace ngm::control::testing {

struct DispatcherRig {
    DispatcherRig() {
        log::setLevel(log::Crit);
        cfg.registry = &registry;
        cfg.deleteDelay = 0;
        cfg.instanceToken = "unit";
        workers = std::make_unique<session::WorkerPool>(1, cfg, counters);
        dispatcher = std::make_unique<NgDispatcher>(*workers, counters, cfg);
    }

    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::WorkerPool> workers;
    std::unique_ptr<NgDispatcher> dispatcher;
};

}  // namespace ngm::control::testing
