// The eBPF program loaded and attached: `--table` >= 0 asks for it. open()
// loads the program shipped in the binary (a libbpf skeleton), attaches it
// at TC ingress of every network device that carries one of the media
// addresses, and says why not when it cannot (no BPF, no permission, old
// kernel, verifier refusal, no such device); the caller then forwards
// everything in userspace, or refuses to start (--no-fallback).
//
// Streams reach the map through EbpfForwarder, one per media worker
// (forwarder()). The destructor detaches the program again.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/address.h"
#include "offload/ebpf_forwarder.h"

namespace ngm::offload {

class KernelPath {
  public:
    static std::unique_ptr<KernelPath> open(const std::vector<net::IpAddress>& addresses,
                                            std::string& error);
    ~KernelPath();
    KernelPath(const KernelPath&) = delete;
    KernelPath& operator=(const KernelPath&) = delete;

    ForwardTable& table() { return *table_; }
    // The devices the program is attached to ("veth0, eth1").
    std::string deviceNames() const;
    // The attached device that carries `a`, 0 if none.
    uint32_t deviceOf(const net::IpAddress& a) const;
    // A hook for one media worker; `tos` as --tos gives it.
    std::unique_ptr<EbpfForwarder> forwarder(uint8_t tos = 0);

  private:
    struct Device {
        std::string name;
        uint32_t ifindex = 0;
        bool createdHook = false;  // we added the clsact qdisc
    };
    struct Skeleton;
    KernelPath();

    std::unique_ptr<Skeleton> skel_;
    std::unique_ptr<ForwardTable> table_;
    std::vector<Device> devices_;
    std::vector<std::pair<net::IpAddress, uint32_t>> addresses_;
};

}  // namespace ngm::offload
