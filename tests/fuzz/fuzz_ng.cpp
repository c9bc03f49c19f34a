// The whole ng request path: cookie, decoding, flags, offer/answer/delete
// and the SDP rewriting, run inline (workers not started) on loopback ports.
#include <cstdint>
#include <memory>
#include <string_view>

#include "control/ng_dispatcher.h"
#include "net/interface.h"
#include "session/registry.h"

using namespace ngm;

namespace {
struct Daemon {
    net::InterfaceTable interfaces;
    session::CallRegistry registry;
    session::SessionConfig cfg;
    session::SessionCounters counters;
    std::unique_ptr<session::WorkerPool> workers;
    std::unique_ptr<control::NgDispatcher> dispatcher;
    Daemon() {
        interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}},
                          {"pub", "", *net::IpAddress::parse("127.0.0.1"), {}}},
                         61000, 61099);
        cfg.interfaces = &interfaces;
        cfg.registry = &registry;
        cfg.deleteDelay = 0;
        cfg.instanceToken = "fuzz";
        workers = std::make_unique<session::WorkerPool>(1, cfg, counters);
        dispatcher = std::make_unique<control::NgDispatcher>(*workers, counters, cfg);
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Daemon d;
    std::string_view msg(reinterpret_cast<const char*>(data), size);
    net::Endpoint from{*net::IpAddress::parse("127.0.0.1"), 5060};
    static uint64_t n = 0;
    // A fresh cookie each time so the retransmission cache does not hide input.
    std::string m = std::to_string(n++) + " ";
    auto sp = msg.find(' ');
    m.append(sp == std::string_view::npos ? msg : msg.substr(sp + 1));
    (void)d.dispatcher->handle(m, from);
    // Keep the port range from filling up across inputs.
    if (n % 64 == 0) d.workers->at(0).store.clear();
    return 0;
}
