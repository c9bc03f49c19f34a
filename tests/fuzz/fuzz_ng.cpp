// The whole ng request path: cookie, decoding, flags, offer/answer/delete
// and the SDP rewriting, run inline (workers not started) on loopback ports.
// Each input runs on a daemon built for it alone, so a saved crash input
// reproduces by itself. An input may hold several requests one after the
// other ("COOKIE DICT COOKIE DICT ...", framed as the TCP transport frames
// them) to reach states that take a sequence (offer, answer, re-offer,
// delete).
#include <cstdint>
#include <memory>
#include <string_view>

#include "bencode/framing.h"
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

namespace {
// The first request of `input` and what follows it.
std::string_view nextRequest(std::string_view& input) {
    std::string_view msg = input;
    input = {};
    auto sp = msg.find(' ');
    if (sp == std::string_view::npos) return msg;
    std::string_view body = msg.substr(sp + 1);
    auto ext = bencode::messageExtent(body);
    if (!ext || *ext == 0 || *ext >= body.size()) return msg;
    input = body.substr(*ext);
    while (!input.empty() && (input.front() == '\n' || input.front() == ' ')) input.remove_prefix(1);
    return msg.substr(0, sp + 1 + *ext);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Daemon d;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    net::Endpoint from{*net::IpAddress::parse("127.0.0.1"), 5060};
    // At most 8 requests an input, so that one input stays quick.
    for (int i = 0; i < 8 && !input.empty(); i++) (void)d.dispatcher->handle(nextRequest(input), from);
    return 0;
}
