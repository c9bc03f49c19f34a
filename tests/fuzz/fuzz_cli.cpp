// The CLI's command parser and every command it runs (control/cli.cpp), on
// a daemon built for each input with its workers not started (commands run
// inline). An input is lines: a line "ng COOKIE DICT" is an ng request (to
// set up calls the commands can find), any other line a CLI command.
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/log.h"
#include "control/cli.h"
#include "control/ng_dispatcher.h"
#include "net/interface.h"
#include "session/registry.h"
#include "session/worker.h"

using namespace ngm;

namespace {
struct Daemon {
    net::InterfaceTable interfaces;
    session::CallRegistry registry;
    session::RuntimeValues start;
    session::RuntimeParams params;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::WorkerPool> workers;
    std::unique_ptr<control::NgDispatcher> dispatcher;
    std::unique_ptr<control::Cli> cli;
    Daemon() {
        interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}}, 61100, 61199);
        params.store(start);
        cfg.interfaces = &interfaces;
        cfg.registry = &registry;
        cfg.runtime = &params;
        cfg.instanceToken = "fuzz";
        workers = std::make_unique<session::WorkerPool>(1, cfg, counters);
        dispatcher = std::make_unique<control::NgDispatcher>(*workers, counters, cfg);
        cli = std::make_unique<control::Cli>(control::CliSources{
            *workers, counters, &interfaces, *dispatcher, params, start, {}, {}});
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    log::setLevel(log::Crit);
    Daemon d;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    net::Endpoint from{*net::IpAddress::parse("127.0.0.1"), 5060};
    while (!input.empty()) {
        size_t eol = input.find('\n');
        std::string_view line = input.substr(0, eol);
        input = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);
        // The process's own limits are not the fuzzer's to change.
        if (line.find("maxopenfiles") != std::string_view::npos) continue;
        if (line.rfind("ng ", 0) == 0)
            d.dispatcher->handle(line.substr(3), from);
        else
            d.cli->run(line);
    }
    return 0;
}
