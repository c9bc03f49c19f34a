// SRTP/SRTCP unprotect of arbitrary bytes with fixed keys: nothing reads or
// writes past the packet's buffer (ASan), and what the transforms accept is
// self-consistent.
//
// Input: one selector octet, then the packet. Selector: low nibble % 10 is
// the suite (crypto::SrtpSuite order); bit 4 set means RTCP. The keys of the
// 128-bit suites are libsrtp's test keys, so its reference packets (in the
// corpus) authenticate and reach the decrypting path.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "crypto/srtp.h"

using namespace ngm::crypto;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_srtp: %s\n", what);
        std::abort();
    }
}

constexpr uint8_t kKey128[] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                               0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
constexpr uint8_t kSalt14[] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                               0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
constexpr uint8_t kGcmSalt[] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5,
                                0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

std::unique_ptr<SrtpContext> makeContext(SrtpSuite suite) {
    const auto& info = suiteInfo(suite);
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; ++i) key[i] = uint8_t(i);  // libsrtp's GCM key
    if (!info.aead && info.masterKeyLen == 16) std::memcpy(key, kKey128, 16);
    const uint8_t* salt = info.aead ? kGcmSalt : kSalt14;
    auto ctx = SrtpContext::create(suite, {key, info.masterKeyLen}, {salt, info.masterSaltLen});
    check(bool(ctx), "context creation failed");
    return std::move(*ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const auto suite = SrtpSuite((data[0] & 0x0f) % 10);
    const bool isRtcp = data[0] & 0x10;
    const uint8_t* pkt = data + 1;
    const size_t n = size - 1;
    const auto& info = suiteInfo(suite);
    const size_t overhead = isRtcp ? 4 + info.rtcpTagLen : info.rtpTagLen;

    // Unprotect exactly the input's bytes: a buffer of its size, so ASan
    // sees any read or write past it.
    auto rx = makeContext(suite);
    std::vector<uint8_t> buf(pkt, pkt + n);
    size_t len = n;
    auto unprotect = [&](SrtpContext& c, std::vector<uint8_t>& b, size_t& l) {
        return isRtcp ? c.unprotectRtcp(b, l) : c.unprotectRtp(b, l);
    };
    const SrtpStatus st = unprotect(*rx, buf, len);
    if (st == SrtpStatus::Ok) {
        check(len + overhead == n, "unprotect removed other than the tag");
        std::vector<uint8_t> again(pkt, pkt + n);
        size_t len2 = n;
        check(unprotect(*rx, again, len2) == SrtpStatus::Replayed, "accepted twice");
    } else {
        check(len == n, "a refused packet changed its length");
    }

    // Protect the input as a plain packet, then unprotect it on a fresh
    // context: the same bytes come back.
    auto tx = makeContext(suite);
    auto rx2 = makeContext(suite);
    std::vector<uint8_t> plain(n + overhead);
    std::memcpy(plain.data(), pkt, n);
    size_t plen = n;
    const SrtpStatus pst = isRtcp ? tx->protectRtcp(plain, plen) : tx->protectRtp(plain, plen);
    if (pst == SrtpStatus::Ok) {
        check(plen == n + overhead, "protect added other than the tag");
        check(unprotect(*rx2, plain, plen) == SrtpStatus::Ok, "own packet refused");
        check(plen == n && std::memcmp(plain.data(), pkt, n) == 0, "round trip changed bytes");
    } else {
        check(pst == SrtpStatus::TooShort, "protect failed other than for a short packet");
    }
    return 0;
}
