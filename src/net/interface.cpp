#include "net/interface.h"

namespace ngm::net {

LocalInterface* LogicalInterface::forFamily(Family f) const {
    for (const auto& a : addresses)
        if (a->address.family() == f) return a.get();
    return nullptr;
}

void InterfaceTable::build(const std::vector<InterfaceConfig>& specs, int portMin, int portMax) {
    interfaces_.clear();
    for (const auto& s : specs) {
        std::string name = s.suffix.empty() ? s.name : s.name + ":" + s.suffix;
        LogicalInterface* li = nullptr;
        for (auto& i : interfaces_)
            if (i->name == name) li = i.get();
        if (!li) {
            interfaces_.push_back(std::make_unique<LogicalInterface>());
            li = interfaces_.back().get();
            li->name = name;
            li->base = s.name;
        }
        auto local = std::make_unique<LocalInterface>();
        local->address = s.address;
        local->advertised = s.advertised.valid() ? s.advertised : s.address;
        local->ports = std::make_unique<PortPool>(s.address, portMin, portMax);
        li->addresses.push_back(std::move(local));
    }
}

LogicalInterface* InterfaceTable::select(std::string_view name, Family preferred) {
    for (auto& i : interfaces_)
        if (i->name == name) return i.get();
    // Round-robin group: the member with the most free ports.
    LogicalInterface* best = nullptr;
    size_t bestFree = 0;
    for (auto& i : interfaces_) {
        if (i->base != name || i->base == i->name) continue;
        LocalInterface* l = preferred != Family::None ? i->forFamily(preferred) : nullptr;
        if (!l && !i->addresses.empty()) l = i->addresses.front().get();
        if (!l) continue;
        size_t free = l->ports->capacity() * 2 - l->ports->inUse();
        if (!best || free > bestFree) {
            best = i.get();
            bestFree = free;
        }
    }
    return best;
}

LogicalInterface* InterfaceTable::nextRoundRobin() {
    if (interfaces_.empty()) return nullptr;
    return interfaces_[roundRobin_++ % interfaces_.size()].get();
}

}  // namespace ngm::net
