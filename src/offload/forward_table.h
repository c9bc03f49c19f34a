// The forwarding map of the in-kernel path as userspace sees it: one entry
// per offloaded stream, keyed by where its packets arrive (bpf/forward_map.h
// has the layout both sides share). BpfForwardTable is the kernel's map;
// tests put a fake behind the same interface.
#pragma once

#include <cstdint>

#include "net/address.h"
#include "offload/bpf/forward_map.h"

namespace ngm::offload {

using ForwardKey = ngm_fwd_key;
using ForwardValue = ngm_fwd_value;

class ForwardTable {
  public:
    virtual ~ForwardTable() = default;
    // Inserts the entry or replaces it whole (its counters included).
    virtual bool put(const ForwardKey& k, const ForwardValue& v) = 0;
    virtual bool get(const ForwardKey& k, ForwardValue& v) const = 0;
    // Removes the entry; `last` (if given) gets its final value.
    virtual bool remove(const ForwardKey& k, ForwardValue* last) = 0;
};

// A BPF hash map (its descriptor stays owned by the caller).
class BpfForwardTable final : public ForwardTable {
  public:
    explicit BpfForwardTable(int mapFd) : fd_(mapFd) {}
    bool put(const ForwardKey& k, const ForwardValue& v) override;
    bool get(const ForwardKey& k, ForwardValue& v) const override;
    bool remove(const ForwardKey& k, ForwardValue* last) override;

  private:
    int fd_;
};

// The map's view of an address and a port (network byte order inside).
ForwardKey keyOf(const net::Endpoint& local);
void putAddress(const net::IpAddress& a, uint8_t (&out)[16]);

}  // namespace ngm::offload
