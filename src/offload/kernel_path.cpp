#include "offload/kernel_path.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "offload/forward.skel.h"

namespace ngm::offload {

namespace {

// Our filter at TC ingress: a fixed handle and priority, so a daemon that
// starts after one that died replaces its program (and its stale map).
constexpr uint32_t kTcHandle = 0x6e676d;  // "ngm"
constexpr uint32_t kTcPriority = 1;

int quietLibbpf(libbpf_print_level level, const char*, va_list) {
    (void)level;
    return 0;
}

std::string errorText(int err) {
    if (err < 0) err = -err;
    return strerror(err);
}

}  // namespace

struct KernelPath::Skeleton {
    ngm_forward* obj = nullptr;
    ~Skeleton() {
        if (obj) ngm_forward::destroy(obj);
    }
};

KernelPath::KernelPath() : skel_(std::make_unique<Skeleton>()) {}

KernelPath::~KernelPath() {
    if (!skel_ || !skel_->obj) return;
    for (const Device& d : devices_) {
        LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)d.ifindex, .attach_point = BPF_TC_INGRESS);
        LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
        bpf_tc_detach(&hook, &opts);
        if (d.createdHook) bpf_tc_hook_destroy(&hook);
    }
}

std::unique_ptr<KernelPath> KernelPath::open(const std::vector<net::IpAddress>& addresses,
                                             std::string& error) {
    libbpf_set_print(quietLibbpf);
    std::unique_ptr<KernelPath> kp(new KernelPath());

    // The devices that carry the media addresses (loopback aside: nothing
    // there crosses a device).
    ifaddrs* ifs = nullptr;
    if (getifaddrs(&ifs) != 0) {
        error = std::string("cannot list network devices: ") + strerror(errno);
        return nullptr;
    }
    for (const net::IpAddress& want : addresses) {
        for (ifaddrs* i = ifs; i; i = i->ifa_next) {
            if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK)) continue;
            net::IpAddress have;
            if (i->ifa_addr->sa_family == AF_INET)
                have =
                    net::IpAddress::fromV4(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr);
            else if (i->ifa_addr->sa_family == AF_INET6)
                have =
                    net::IpAddress::fromV6(reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
            else
                continue;
            if (have != want) continue;
            uint32_t ifindex = if_nametoindex(i->ifa_name);
            if (!ifindex) continue;
            kp->addresses_.emplace_back(want, ifindex);
            bool known = false;
            for (const Device& d : kp->devices_) known |= d.ifindex == ifindex;
            if (!known) kp->devices_.push_back({i->ifa_name, ifindex, false});
            break;
        }
    }
    freeifaddrs(ifs);
    if (kp->devices_.empty()) {
        error = "no network device (other than loopback) carries a media address";
        return nullptr;
    }

    kp->skel_->obj = ngm_forward::open_and_load();
    if (!kp->skel_->obj) {
        int err = errno;
        error = "cannot load the eBPF program: " + errorText(err);
        if (err == EPERM || err == EACCES) error += " (bpf() is not permitted here)";
        return nullptr;
    }
    int progFd = bpf_program__fd(kp->skel_->obj->progs.ngm_forward);
    for (Device& d : kp->devices_) {
        LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)d.ifindex, .attach_point = BPF_TC_INGRESS);
        int err = bpf_tc_hook_create(&hook);
        if (err && err != -EEXIST) {
            error = "cannot add a clsact qdisc on " + d.name + ": " + errorText(err);
            return nullptr;  // the destructor detaches what was attached
        }
        d.createdHook = err == 0;
        LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = progFd, .flags = BPF_TC_F_REPLACE,
                    .handle = kTcHandle, .priority = kTcPriority);
        err = bpf_tc_attach(&hook, &opts);
        if (err) {
            error = "cannot attach the eBPF program to " + d.name + ": " + errorText(err);
            return nullptr;
        }
    }
    kp->table_ = std::make_unique<BpfForwardTable>(bpf_map__fd(kp->skel_->obj->maps.ngm_fwd));
    return kp;
}

std::string KernelPath::deviceNames() const {
    std::string s;
    for (const Device& d : devices_) s += (s.empty() ? "" : ", ") + d.name;
    return s;
}

uint32_t KernelPath::deviceOf(const net::IpAddress& a) const {
    for (const auto& [addr, ifindex] : addresses_)
        if (addr == a) return ifindex;
    return 0;
}

std::unique_ptr<EbpfForwarder> KernelPath::forwarder(uint8_t tos) {
    return std::make_unique<EbpfForwarder>(
        *table_, [this](const net::IpAddress& a) { return deviceOf(a); }, tos);
}

}  // namespace ngm::offload
