// IP addresses and UDP endpoints.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ngm::net {

enum class Family : uint8_t { None = 0, V4 = 4, V6 = 6 };

// "IP4"/"IP6" as SDP writes them, "IPv4"/"IPv6" as ng query replies write them.
inline std::string_view sdpFamilyName(Family f) { return f == Family::V6 ? "IP6" : "IP4"; }
inline std::string_view ngFamilyName(Family f) { return f == Family::V6 ? "IPv6" : "IPv4"; }

class IpAddress {
public:
    IpAddress() = default;
    static std::optional<IpAddress> parse(std::string_view text);  // dotted quad or RFC 5952
    static IpAddress fromV4(const in_addr& a);
    static IpAddress fromV6(const in6_addr& a);
    static IpAddress any(Family f);

    Family family() const { return family_; }
    bool valid() const { return family_ != Family::None; }
    bool isAny() const;  // 0.0.0.0 or ::
    std::string toString() const;
    const uint8_t* bytes() const { return bytes_.data(); }
    int af() const { return family_ == Family::V6 ? AF_INET6 : AF_INET; }

    bool operator==(const IpAddress& o) const {
        return family_ == o.family_ && bytes_ == o.bytes_;
    }
    bool operator!=(const IpAddress& o) const { return !(*this == o); }

private:
    Family family_ = Family::None;
    std::array<uint8_t, 16> bytes_{};
};

struct Endpoint {
    IpAddress address;
    uint16_t port = 0;

    bool valid() const { return address.valid(); }
    bool operator==(const Endpoint& o) const { return address == o.address && port == o.port; }
    bool operator!=(const Endpoint& o) const { return !(*this == o); }
    std::string toString() const;  // 1.2.3.4:5 or [::1]:5

    // Fills `ss` and returns its length.
    socklen_t toSockaddr(sockaddr_storage& ss) const;
    static Endpoint fromSockaddr(const sockaddr* sa);
    // "[IP46:]PORT" as rtpengine's --listen-* options take it; `defaultAddr`
    // used when only a port is given.
    static std::optional<Endpoint> parseListen(std::string_view text, std::string_view defaultAddr);
};

}  // namespace ngm::net
