// The rtpproxy protocol (control/rtpproxy.cpp): every line of the input is
// one datagram, parsed and, when it parses, run on a CallStore without a
// loop (signalling only), so U/L/D/Q on the calls earlier lines set up are
// reached too. Also the SDP helpers on the SDP the commands build.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/log.h"
#include "control/rtpproxy.h"
#include "control/rtpproxy_transport.h"
#include "net/interface.h"
#include "session/call_store.h"
#include "session/registry.h"

using namespace ngm;
namespace rp = control::rtpproxy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    log::setLevel(log::Crit);
    net::InterfaceTable interfaces;
    interfaces.build({{"default", "", *net::IpAddress::parse("127.0.0.1"), {}}}, 64760, 64799);
    session::CallRegistry registry;
    session::SessionConfig cfg;
    cfg.interfaces = &interfaces;
    cfg.registry = &registry;
    cfg.deleteDelay = 0;
    session::SessionCounters counters;
    session::CallStore store(cfg, counters);
    control::RtpproxyContext ctx{"127.0.0.1:5060", 3600, *net::IpAddress::parse("127.0.0.1")};

    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        size_t eol = input.find('\n');
        std::string_view line = input.substr(0, eol);
        input = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);
        (void)rp::cookieOf(line);
        auto c = rp::parse(line);
        if (!c) continue;
        std::string reply = control::runRtpproxyCommand(store, *c, ctx);
        if (reply.empty() || reply.back() != '\n') __builtin_trap();
        if (c->address) {
            std::string sdp = rp::describeMedia(line, c->mediaNum, *c->address, c->port);
            uint16_t port = 0;
            std::optional<net::IpAddress> addr;
            if (c->mediaNum > 0 &&
                (!rp::mediaEndpoint(sdp, c->mediaNum, port, addr) || port != c->port))
                __builtin_trap();
        }
    }
    return 0;
}
