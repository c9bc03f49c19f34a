// SRTP/SRTCP unprotect of arbitrary bytes with fixed keys: nothing reads or
// writes past the packet's buffer (ASan), and what the transforms accept is
// self-consistent.
//
// Input: one selector octet, then the packet. Selector: low nibble % 12 is
// the suite (crypto::SrtpSuite order); bit 4 set means RTCP; bit 5: the
// contexts carry a 2-octet MKI (ab cd); bit 6: UNAUTHENTICATED_SRTP (not
// for AEAD suites); bit 7: UNENCRYPTED_SRTP and UNENCRYPTED_SRTCP. The keys
// of the 128-bit suites are libsrtp's test keys, so its reference packets
// (in the corpus) authenticate and reach the decrypting path.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
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

std::unique_ptr<SrtpContext> makeContext(SrtpSuite suite, const SrtpOptions& options) {
    const auto& info = suiteInfo(suite);
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; ++i) key[i] = uint8_t(i);  // libsrtp's GCM key
    if (!info.aead && info.masterKeyLen == 16) std::memcpy(key, kKey128, 16);
    const uint8_t* salt = info.aead ? kGcmSalt : kSalt14;
    auto ctx =
        SrtpContext::create(suite, {key, info.masterKeyLen}, {salt, info.masterSaltLen}, options);
    check(bool(ctx), "context creation failed");
    return std::move(*ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const auto suite = SrtpSuite((data[0] & 0x0f) % 12);
    const bool isRtcp = data[0] & 0x10;
    const uint8_t* pkt = data + 1;
    const size_t n = size - 1;
    const auto& info = suiteInfo(suite);
    SrtpOptions options;
    if (data[0] & 0x20) options.mki = {0xab, 0xcd};
    options.unauthenticatedSrtp = (data[0] & 0x40) && !info.aead;
    options.unencryptedSrtp = options.unencryptedSrtcp = data[0] & 0x80;

    // Unprotect exactly the input's bytes: a buffer of its size, so ASan
    // sees any read or write past it.
    auto rx = makeContext(suite, options);
    const size_t overhead = isRtcp ? rx->rtcpOverhead() : rx->rtpOverhead();
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
    auto tx = makeContext(suite, options);
    auto rx2 = makeContext(suite, options);
    // Never empty: with UNAUTHENTICATED_SRTP and no MKI nothing is added,
    // and an empty vector's data() may be null.
    std::vector<uint8_t> plain(n + overhead + 1);
    if (n) std::memcpy(plain.data(), pkt, n);
    size_t plen = n;
    const std::span<uint8_t> room(plain.data(), n + overhead);
    const SrtpStatus pst = isRtcp ? tx->protectRtcp(room, plen) : tx->protectRtp(room, plen);
    if (pst == SrtpStatus::Ok) {
        check(plen == n + overhead, "protect added other than the tag");
        const SrtpStatus ust =
            isRtcp ? rx2->unprotectRtcp(room, plen) : rx2->unprotectRtp(room, plen);
        check(ust == SrtpStatus::Ok, "own packet refused");
        check(plen == n && (n == 0 || std::memcmp(plain.data(), pkt, n) == 0),
              "round trip changed bytes");
    } else {
        check(pst == SrtpStatus::TooShort, "protect failed other than for a short packet");
    }
    return 0;
}
