// Address forms of --interface and --listen-*: literal addresses, network
// device names, "any", and DNS names resolved once at start-up.
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>

#include <cstring>

#include "app/options_detail.h"
#include "common/strings.h"

namespace ngm::app::detail {

namespace {

bool isLinkLocalV6(const net::IpAddress& a) {
    return a.family() == net::Family::V6 && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

// A literal address, IPv6 optionally in brackets.
std::optional<net::IpAddress> parseLiteral(std::string_view s) {
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    return net::IpAddress::parse(s);
}

// Port as rtpengine's listeners take it: decimal 0..65535 (0 lets the kernel pick).
std::optional<uint16_t> parsePort(std::string_view s, std::string& error) {
    auto v = parseInteger(s);
    if (!v || s.find_first_not_of("0123456789") != std::string_view::npos) {
        error = "'" + std::string(s) + "' is not a port number";
        return std::nullopt;
    }
    if (*v < 0 || *v > 65535) {
        error = "port " + std::string(s) + " is out of range 0-65535";
        return std::nullopt;
    }
    return static_cast<uint16_t>(*v);
}

// Splits "HOST:PORT", "[V6]:PORT" or "V6:PORT" (the last colon separates).
bool splitHostPort(std::string_view text, std::string_view& host, std::string_view& port) {
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        return true;
    }
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    return true;
}

}  // namespace

std::vector<LocalAddress> systemLocalAddresses() {
    std::vector<LocalAddress> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || !ifa->ifa_name) continue;
        int family = ifa->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) continue;
        LocalAddress la;
        la.device = ifa->ifa_name;
        la.address = net::Endpoint::fromSockaddr(ifa->ifa_addr).address;
        la.up = (ifa->ifa_flags & IFF_UP) != 0;
        la.loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
        out.push_back(std::move(la));
    }
    freeifaddrs(list);
    return out;
}

std::optional<net::IpAddress> resolveHost(std::string_view host, std::string& error) {
    if (auto ip = parseLiteral(host)) return ip;
    if (host.empty()) {
        error = "empty address";
        return std::nullopt;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    std::string name(host);
    int rc = getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (rc != 0) {
        error = "cannot resolve '" + name + "': " + gai_strerror(rc);
        return std::nullopt;
    }
    std::optional<net::IpAddress> found;
    for (addrinfo* r = res; r && !found; r = r->ai_next)
        if (r->ai_family == AF_INET || r->ai_family == AF_INET6)
            found = net::Endpoint::fromSockaddr(r->ai_addr).address;
    freeaddrinfo(res);
    if (!found) error = "'" + name + "' has no IPv4 or IPv6 address";
    return found;
}

bool parseInterface(std::string_view text, const std::vector<LocalAddress>& local,
                    std::vector<InterfaceSpec>& out, std::string& error) {
    std::string_view name = "default";
    std::string_view rest = text;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        name = text.substr(0, slash);
        rest = text.substr(slash + 1);
    }
    std::string_view addrText = rest;
    std::optional<std::string_view> advText;
    if (auto bang = rest.find('!'); bang != std::string_view::npos) {
        addrText = rest.substr(0, bang);
        advText = rest.substr(bang + 1);
    }

    InterfaceSpec proto;
    if (auto colon = name.find(':'); colon != std::string_view::npos) {
        proto.name = std::string(name.substr(0, colon));
        proto.suffix = std::string(name.substr(colon + 1));
    } else {
        proto.name = std::string(name);
    }

    // Local addresses: literal, "any", a device name, or a DNS name.
    std::vector<net::IpAddress> addrs;
    bool expanded = false;  // from a device or "any": several families possible
    if (auto ip = parseLiteral(addrText)) {
        if (ip->isAny()) {
            error = "the unspecified address " + ip->toString() +
                    " cannot be a media address (use 'any' for all addresses)";
            return false;
        }
        addrs.push_back(*ip);
    } else if (addrText == "any") {
        expanded = true;
        for (const auto& la : local)
            if (la.up && !la.loopback && !isLinkLocalV6(la.address)) addrs.push_back(la.address);
        if (addrs.empty()) {
            error = "'any' found no usable non-loopback address";
            return false;
        }
    } else {
        for (const auto& la : local)
            if (la.device == addrText && la.up && !isLinkLocalV6(la.address))
                addrs.push_back(la.address);
        expanded = !addrs.empty();
        if (addrs.empty()) {
            std::string why;
            auto ip = resolveHost(addrText, why);
            if (!ip) {
                error =
                    "not an address, an active network device or a known host name (" + why + ")";
                return false;
            }
            if (ip->isAny()) {
                error = "'" + std::string(addrText) + "' resolves to the unspecified address";
                return false;
            }
            addrs.push_back(*ip);
        }
    }

    std::optional<net::IpAddress> adv;
    if (advText) {
        std::string why;
        adv = resolveHost(*advText, why);
        if (!adv) {
            error = "advertised address: " + why;
            return false;
        }
        if (adv->isAny()) {
            error = "the advertised address cannot be " + adv->toString();
            return false;
        }
    }

    size_t before = out.size();
    for (const auto& a : addrs) {
        InterfaceSpec s = proto;
        s.address = a;
        if (adv) {
            // An SDP c= line cannot mix families: a device's addresses of the
            // other family advertise themselves.
            if (adv->family() == a.family()) {
                s.advertised = adv;
            } else if (!expanded) {
                error = "advertised address " + adv->toString() + " is not of the same family as " +
                        a.toString();
                return false;
            }
        }
        out.push_back(std::move(s));
    }
    if (adv) {
        bool used = false;
        for (size_t i = before; i < out.size(); i++) used = used || out[i].advertised.has_value();
        if (!used) {
            out.resize(before);
            error = "advertised address " + adv->toString() + " matches the family of none of " +
                    std::string(addrText) + "'s addresses";
            return false;
        }
    }
    return true;
}

bool parseListen(std::string_view text, std::vector<net::Endpoint>& out, std::string& error) {
    std::string_view host, port;
    if (!splitHostPort(text, host, port)) {
        auto p = parsePort(text, error);
        if (!p) return false;
        out.push_back({net::IpAddress::any(net::Family::V4), *p});
        out.push_back({net::IpAddress::any(net::Family::V6), *p});
        return true;
    }
    auto p = parsePort(port, error);
    if (!p) return false;
    auto ip = resolveHost(host, error);
    if (!ip) return false;
    out.push_back({*ip, *p});
    return true;
}

bool parseHostPort(std::string_view text, net::Endpoint& out, std::string& error) {
    std::string_view host, port;
    if (!splitHostPort(text, host, port) || host.empty()) {
        error = "expected HOST:PORT";
        return false;
    }
    auto p = parsePort(port, error);
    if (!p) return false;
    auto ip = resolveHost(host, error);
    if (!ip) return false;
    out = {*ip, *p};
    return true;
}

}  // namespace ngm::app::detail
