// Micro-benchmark of crypto::SrtpContext (issue 11 §8), apart from any
// socket: N pairs of contexts (one protects, the other unprotects, as the
// relay's two stages of a bridged call), a 172-octet G.711 packet per pair
// and round, round-robin over the pairs so that with many pairs each
// context is cold in the cache, as in the daemon between packets.
//
//   srtpbench [--suite NAME] [--pairs N] [--rounds R] [--rtcp]
//
// Prints ns per protect + unprotect pair and the heap bytes (mallinfo2) a
// context holds after create() and after its first packets. Run under
// `valgrind --tool=callgrind` with small N and R for instruction counts.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/srtp.h"

using namespace ngm::crypto;

namespace {

size_t heapInUse() { return mallinfo2().uordblks; }

}  // namespace

int main(int argc, char** argv) {
    std::string suiteName = "AES_CM_128_HMAC_SHA1_80";
    size_t pairs = 2000, rounds = 50;
    bool rtcp = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--suite" && i + 1 < argc) suiteName = argv[++i];
        else if (a == "--pairs" && i + 1 < argc) pairs = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--rounds" && i + 1 < argc) rounds = std::strtoul(argv[++i], nullptr, 10);
        else if (a == "--rtcp") rtcp = true;
        else {
            std::fprintf(stderr, "usage: srtpbench [--suite NAME] [--pairs N] [--rounds R] [--rtcp]\n");
            return 2;
        }
    }
    auto suite = suiteByName(suiteName);
    if (!suite || pairs == 0) {
        std::fprintf(stderr, "unknown suite %s\n", suiteName.c_str());
        return 2;
    }
    const auto& info = suiteInfo(*suite);
    std::vector<uint8_t> key(info.masterKeyLen), salt(info.masterSaltLen);

    std::vector<std::unique_ptr<SrtpContext>> tx, rx;
    tx.reserve(pairs);
    rx.reserve(pairs);
    const size_t before = heapInUse();
    for (size_t i = 0; i < pairs; ++i) {
        randomBytes(key);
        randomBytes(salt);
        auto a = SrtpContext::create(*suite, key, salt);
        auto b = SrtpContext::create(*suite, key, salt);
        if (!a || !b) {
            std::fprintf(stderr, "create failed\n");
            return 1;
        }
        tx.push_back(std::move(*a));
        rx.push_back(std::move(*b));
    }
    const size_t created = heapInUse();

    uint8_t pkt[256];
    uint64_t errors = 0;
    auto onePass = [&](uint32_t r) {
        for (size_t i = 0; i < pairs; ++i) {
            size_t len;
            if (!rtcp) {
                std::memset(pkt, 0xd5, sizeof pkt);
                pkt[0] = 0x80;
                pkt[1] = 8;
                pkt[2] = uint8_t(r >> 8);
                pkt[3] = uint8_t(r);
                std::memcpy(pkt + 8, &i, 4);
                len = 172;
                if (tx[i]->protectRtp(pkt, len) != SrtpStatus::Ok) ++errors;
                if (rx[i]->unprotectRtp(pkt, len) != SrtpStatus::Ok) ++errors;
            } else {
                std::memset(pkt, 0, sizeof pkt);
                pkt[0] = 0x80;
                pkt[1] = 200;
                pkt[3] = 6;
                std::memcpy(pkt + 4, &i, 4);
                len = 28;
                if (tx[i]->protectRtcp(pkt, len) != SrtpStatus::Ok) ++errors;
                if (rx[i]->unprotectRtcp(pkt, len) != SrtpStatus::Ok) ++errors;
            }
        }
    };
    onePass(0);
    const size_t used = heapInUse();
    const auto t0 = std::chrono::steady_clock::now();
    for (uint32_t r = 1; r <= rounds; ++r) onePass(r);
    const auto t1 = std::chrono::steady_clock::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    std::printf("suite=%s pairs=%zu rounds=%zu %s\n", info.name.data(), pairs, rounds,
                rtcp ? "rtcp" : "rtp");
    std::printf("ns_per_pair=%.1f\n", ns / double(pairs * rounds));
    std::printf("heap_per_context_created=%.0f\n", double(created - before) / double(2 * pairs));
    std::printf("heap_per_context_used=%.0f\n", double(used - before) / double(2 * pairs));
    std::printf("sizeof_SrtpContext=%zu\n", sizeof(SrtpContext));
    std::printf("errors=%llu\n", (unsigned long long)errors);
    return errors ? 1 : 0;
}
