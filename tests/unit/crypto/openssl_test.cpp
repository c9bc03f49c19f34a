#include "crypto/openssl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "hex.h"

using namespace ngm::crypto;
using ngm::crypto::test::hex;
using ngm::crypto::test::toHex;

namespace {

template <size_t N>
void copyTo(uint8_t (&dst)[N], const std::vector<uint8_t>& src) {
    ASSERT_EQ(src.size(), N);
    std::memcpy(dst, src.data(), N);
}

}  // namespace

// RFC 3711 appendix B.2: the AES-CM keystream of session key 2B7E..., with the
// (already shifted) session salt as the first counter block, over the whole
// 65282-block segment.
TEST(AesCtr, KeystreamMatchesRfc3711AppendixB2) {
    auto ctr = AesCtr::create(hex("2B7E151628AED2A6ABF7158809CF4F3C"));
    ASSERT_TRUE(ctr);
    uint8_t iv[kAesBlock];
    copyTo(iv, hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));
    std::vector<uint8_t> ks(65282 * kAesBlock, 0);
    ASSERT_TRUE(ctr->apply(iv, ks));
    auto block = [&](size_t i) { return toHex(std::span(ks).subspan(i * kAesBlock, kAesBlock)); };
    EXPECT_EQ(block(0x0000), "E03EAD0935C95E80E166B16DD92B4EB4");
    EXPECT_EQ(block(0x0001), "D23513162B02D0F72A43A2FE4A5F97AB");
    EXPECT_EQ(block(0x0002), "41E95B3BB0A2E8DD477901E4FCA894C0");
    EXPECT_EQ(block(0xFEFF), "EC8CDF7398607CB0F2D21675EA9EA1E4");
    EXPECT_EQ(block(0xFF00), "362B7C3C6773516318A077D7FC5073AE");
    EXPECT_EQ(block(0xFF01), "6A2CC3787889374FBEB4C81B17BA6C44");
}

TEST(AesCtr, ContextIsReusedAcrossIvs) {
    auto ctr = AesCtr::create(hex("2B7E151628AED2A6ABF7158809CF4F3C"));
    ASSERT_TRUE(ctr);
    uint8_t iv[kAesBlock];
    copyTo(iv, hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"));
    std::vector<uint8_t> a(16, 0), b(16, 0), c(16, 0);
    ASSERT_TRUE(ctr->apply(iv, a));
    iv[15] = 1;
    ASSERT_TRUE(ctr->apply(iv, b));
    iv[15] = 0;
    ASSERT_TRUE(ctr->apply(iv, c));
    EXPECT_EQ(toHex(a), "E03EAD0935C95E80E166B16DD92B4EB4");
    EXPECT_EQ(toHex(b), "D23513162B02D0F72A43A2FE4A5F97AB");
    EXPECT_EQ(a, c);
}

// The counter is the whole block as a big-endian integer: past a low half
// of all ones the carry goes into the high half (apply() builds the counter
// blocks itself and has OpenSSL's AES-ECB encrypt them).
TEST(AesCtr, CounterCarriesIntoTheHighHalf) {
    auto ctr = AesCtr::create(hex("2B7E151628AED2A6ABF7158809CF4F3C"));
    ASSERT_TRUE(ctr);
    uint8_t iv[kAesBlock];
    copyTo(iv, hex("000000000000000AFFFFFFFFFFFFFFFF"));
    std::vector<uint8_t> two(32, 0), next(16, 0), odd(21, 0x5a), oddRef(21, 0x5a);
    ASSERT_TRUE(ctr->apply(iv, two));
    uint8_t iv2[kAesBlock];
    copyTo(iv2, hex("000000000000000B0000000000000000"));
    ASSERT_TRUE(ctr->apply(iv2, next));
    EXPECT_EQ(toHex(std::span(two).subspan(16)), toHex(next));
    // A length that is not whole blocks: the keystream's first octets.
    ASSERT_TRUE(ctr->apply(iv, odd));
    for (size_t i = 0; i < odd.size(); ++i) oddRef[i] ^= two[i];
    EXPECT_EQ(odd, oddRef);
}

// The inline AES-NI path (16-octet keys on such CPUs) gives OpenSSL's
// keystream for random keys, counters (a carry into the high half among
// them) and lengths around the four-block stride and a packet's size.
TEST(AesCtr, AesNiKeystreamEqualsOpenSslsForRandomKeysCountersAndLengths) {
    uint32_t seed = 12345;
    auto next = [&] {
        seed = seed * 1664525u + 1013904223u;
        return uint8_t(seed >> 24);
    };
    bool sawAesNi = false;
    for (int round = 0; round < 200; ++round) {
        std::vector<uint8_t> key(16);
        for (auto& b : key) b = next();
        auto fast = AesCtr::create(key);
        auto ref = AesCtr::createWithOpenSsl(key);
        ASSERT_TRUE(fast);
        ASSERT_TRUE(ref);
        sawAesNi |= fast->usesAesNi();
        EXPECT_FALSE(ref->usesAesNi());
        uint8_t iv[kAesBlock];
        for (auto& b : iv) b = next();
        if (round % 4 == 0) std::memset(iv + 8, 0xff, 7);  // lo near its wrap
        const size_t lengths[] = {0, 1, 15, 16, 17, 63, 64, 65, 79, 160, 172, 1500};
        const size_t len = lengths[round % (sizeof lengths / sizeof lengths[0])];
        std::vector<uint8_t> a(len), b(len);
        for (size_t i = 0; i < len; ++i) a[i] = b[i] = next();
        ASSERT_TRUE(fast->apply(iv, a));
        ASSERT_TRUE(ref->apply(iv, b));
        ASSERT_EQ(toHex(a), toHex(b)) << "round " << round << " length " << len;
    }
    if (!sawAesNi) GTEST_SKIP() << "this CPU has no AES-NI: only OpenSSL's path ran";
}

TEST(AesCtr, RejectsKeysOfOtherLengths) {
    EXPECT_FALSE(AesCtr::create(hex("00112233")));
    EXPECT_TRUE(AesCtr::create(std::vector<uint8_t>(24, 1)));
    EXPECT_TRUE(AesCtr::create(std::vector<uint8_t>(32, 1)));
}

// RFC 2202 test case 1.
TEST(HmacSha1, MatchesRfc2202TestCase1AndReusesTheKey) {
    auto mac = HmacSha1::create(std::vector<uint8_t>(20, 0x0b));
    ASSERT_TRUE(mac);
    const std::string_view hi = "Hi There";
    std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(hi.data()), hi.size());
    uint8_t out[kSha1Size];
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(mac->compute(data.first(3), data.subspan(3), out));
        EXPECT_EQ(toHex(out), "B617318655057264E28BC0B6FB378C8EF146BE00");
    }
}

// The GCM specification's test case 2 (McGrew/Viega): zero key, IV and block.
TEST(AesGcm, SealsAndOpensTheGcmSpecTestCase2) {
    auto gcm = AesGcm::create(std::vector<uint8_t>(16, 0));
    ASSERT_TRUE(gcm);
    uint8_t iv[AesGcm::kIvSize] = {};
    std::vector<uint8_t> data(16, 0);
    uint8_t tag[AesGcm::kTagSize];
    ASSERT_TRUE(gcm->seal(iv, {}, {}, data, tag));
    EXPECT_EQ(toHex(data), "0388DACE60B6A392F328C2B971B2FE78");
    EXPECT_EQ(toHex(tag), "AB6E47D42CEC13BDF53A67B21257BDDF");
    ASSERT_TRUE(gcm->open(iv, {}, {}, data, tag));
    EXPECT_EQ(data, std::vector<uint8_t>(16, 0));
    tag[0] ^= 1;
    EXPECT_FALSE(gcm->open(iv, {}, {}, data, tag));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    const auto a = hex("0102"), b = hex("0102"), c = hex("0103"), d = hex("01");
    EXPECT_TRUE(constantTimeEqual(a, b));
    EXPECT_FALSE(constantTimeEqual(a, c));
    EXPECT_FALSE(constantTimeEqual(a, d));
}
