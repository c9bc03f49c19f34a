// Logical interfaces (--interface): named groups of local addresses, each
// with its own port pool and an optional advertised address.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/port_pool.h"

namespace ngm::net {

// Media received on one local address's ports, for /metrics (per interface
// packet, error and loss rates). The media workers add their streams' growth
// about once a second and when media goes (session::CallStore), off the
// packet path; any thread reads.
struct InterfaceTraffic {
    std::atomic<uint64_t> packets{0}, bytes{0};
    std::atomic<uint64_t> errors{0};  // received and not relayed
    std::atomic<uint64_t> lost{0};    // RTP never received (sequence-number gaps)
};

struct LocalInterface {
    IpAddress address;     // bound
    IpAddress advertised;  // written into SDP (== address unless given)
    std::unique_ptr<PortPool> ports;
    InterfaceTraffic traffic;
};

struct LogicalInterface {
    std::string name;    // "pub", or "pub:1" for a round-robin member
    std::string base;    // "pub" for "pub:1"; == name otherwise
    std::vector<std::unique_ptr<LocalInterface>> addresses;  // in configuration order

    // First address of that family, or nullptr.
    LocalInterface* forFamily(Family f) const;
    bool hasFamily(Family f) const { return forFamily(f) != nullptr; }
};

struct InterfaceConfig {
    std::string name;
    std::string suffix;
    IpAddress address;
    IpAddress advertised;
};

class InterfaceTable {
public:
    void build(const std::vector<InterfaceConfig>& specs, int portMin, int portMax);

    // By exact name, or a round-robin group by its base name (picks the
    // member with the most free ports of the wanted family). nullptr if none.
    LogicalInterface* select(std::string_view name, Family preferred = Family::None);
    LogicalInterface* defaultInterface() const {
        return interfaces_.empty() ? nullptr : interfaces_.front().get();
    }
    // Next interface for the legacy `round-robin-calls` direction.
    LogicalInterface* nextRoundRobin();
    const std::vector<std::unique_ptr<LogicalInterface>>& all() const { return interfaces_; }

private:
    std::vector<std::unique_ptr<LogicalInterface>> interfaces_;
    size_t roundRobin_ = 0;
};

}  // namespace ngm::net
