#include "offload/forward_table.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <cstring>

namespace ngm::offload {

bool BpfForwardTable::put(const ForwardKey& k, const ForwardValue& v) {
    return bpf_map_update_elem(fd_, &k, &v, BPF_ANY) == 0;
}

bool BpfForwardTable::get(const ForwardKey& k, ForwardValue& v) const {
    return bpf_map_lookup_elem(fd_, &k, &v) == 0;
}

bool BpfForwardTable::remove(const ForwardKey& k, ForwardValue* last) {
    ForwardValue scratch;
    // One call, so nothing the program counts between a read and a delete
    // is lost (hash maps have it since Linux 5.14).
    if (bpf_map_lookup_and_delete_elem(fd_, &k, last ? last : &scratch) == 0) return true;
    if (last && bpf_map_lookup_elem(fd_, &k, last) != 0) return false;
    return bpf_map_delete_elem(fd_, &k) == 0;
}

void putAddress(const net::IpAddress& a, uint8_t (&out)[16]) {
    std::memset(out, 0, sizeof out);
    std::memcpy(out, a.bytes(), a.family() == net::Family::V6 ? 16 : 4);
}

ForwardKey keyOf(const net::Endpoint& local) {
    ForwardKey k{};
    putAddress(local.address, k.addr);
    k.port = htons(local.port);
    k.family = local.address.family() == net::Family::V6 ? NGM_FWD_FAMILY_V6 : NGM_FWD_FAMILY_V4;
    return k;
}

}  // namespace ngm::offload
