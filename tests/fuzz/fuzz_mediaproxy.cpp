// OpenSER's mediaproxy protocol (--listen-tcp, control/mediaproxy.cpp):
// every line of the input is one command line, parsed and, when it parses,
// run on a CallStore without a loop (signalling only), so lookup and delete
// reach the calls earlier lines set up. The replies are checked for form.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "control/mediaproxy.h"
#include "control/mediaproxy_transport.h"
#include "net/interface.h"
#include "session/call_store.h"
#include "session/registry.h"

using namespace ngm;
namespace mp = control::mediaproxy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    log::setLevel(log::Crit);
    net::InterfaceTable interfaces;
    interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}}, 61790, 61799);
    session::CallRegistry registry;
    session::SessionConfig cfg;
    cfg.interfaces = &interfaces;
    cfg.registry = &registry;
    cfg.deleteDelay = 0;
    session::SessionCounters counters;
    session::CallStore store(cfg, counters);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        size_t eol = input.find('\n');
        std::string_view line = input.substr(0, eol);
        input = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);
        auto c = mp::parse(line);
        if (!c) continue;
        if (c->streams.size() > mp::kMaxStreams) __builtin_trap();
        auto reply = control::runMediaproxyCommand(store, *c, "127.0.0.1:5060");
        if (reply && (reply->empty() || reply->back() != '\n')) __builtin_trap();
        if (reply && c->verb == mp::Verb::Delete) __builtin_trap();
    }
    return 0;
}
