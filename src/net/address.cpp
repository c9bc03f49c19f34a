#include "net/address.h"

#include <arpa/inet.h>

#include "common/strings.h"

namespace ngm::net {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    char buf[64];
    memcpy(buf, text.data(), text.size());
    buf[text.size()] = 0;
    if (text.find(':') == std::string_view::npos) {
        in_addr v4;
        if (inet_pton(AF_INET, buf, &v4) != 1) return std::nullopt;
        return fromV4(v4);
    }
    in6_addr v6;
    if (inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
    return fromV6(v6);
}

IpAddress IpAddress::fromV4(const in_addr& v) {
    IpAddress a;
    a.family_ = Family::V4;
    memcpy(a.bytes_.data(), &v, 4);
    return a;
}

IpAddress IpAddress::fromV6(const in6_addr& v) {
    IpAddress a;
    a.family_ = Family::V6;
    memcpy(a.bytes_.data(), &v, 16);
    return a;
}

IpAddress IpAddress::any(Family f) {
    IpAddress a;
    a.family_ = f;
    return a;
}

bool IpAddress::isAny() const {
    size_t n = family_ == Family::V6 ? 16 : 4;
    for (size_t i = 0; i < n; i++)
        if (bytes_[i]) return false;
    return family_ != Family::None;
}

std::string IpAddress::toString() const {
    char buf[INET6_ADDRSTRLEN];
    if (family_ == Family::V4) return inet_ntop(AF_INET, bytes_.data(), buf, sizeof buf);
    if (family_ == Family::V6) return inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    return {};
}

std::string Endpoint::toString() const {
    std::string s;
    if (address.family() == Family::V6) {
        s = "[" + address.toString() + "]";
    } else {
        s = address.toString();
    }
    s += ':';
    appendInt(s, port);
    return s;
}

socklen_t Endpoint::toSockaddr(sockaddr_storage& ss) const {
    memset(&ss, 0, sizeof ss);
    if (address.family() == Family::V6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, address.bytes(), 16);
        return sizeof(sockaddr_in6);
    }
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    memcpy(&s4->sin_addr, address.bytes(), 4);
    return sizeof(sockaddr_in);
}

Endpoint Endpoint::fromSockaddr(const sockaddr* sa) {
    Endpoint e;
    if (sa->sa_family == AF_INET) {
        auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
        e.address = IpAddress::fromV4(s4->sin_addr);
        e.port = ntohs(s4->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
        e.address = IpAddress::fromV6(s6->sin6_addr);
        e.port = ntohs(s6->sin6_port);
    }
    return e;
}

std::optional<Endpoint> Endpoint::parseListen(std::string_view text, std::string_view defaultAddr) {
    std::string_view addr = defaultAddr, port = text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        addr = text.substr(1, close - 1);
        if (close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        port = text.substr(close + 2);
    } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
        if (text.find(':') != colon) return std::nullopt;  // bare IPv6 needs brackets
        addr = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    auto p = parseInt<uint16_t>(port);
    if (!p || *p == 0) return std::nullopt;
    auto ip = IpAddress::parse(addr);
    if (!ip) {
        if (addr == "localhost") ip = IpAddress::parse("127.0.0.1");
        else if (addr == "*" || addr.empty()) ip = IpAddress::parse("0.0.0.0");
        if (!ip) return std::nullopt;
    }
    return Endpoint{*ip, *p};
}

}  // namespace ngm::net
