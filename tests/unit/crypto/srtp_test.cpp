#include "crypto/srtp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "crypto/openssl.h"
#include "hex.h"

using namespace ngm::crypto;
using ngm::crypto::test::hex;
using ngm::crypto::test::toHex;

namespace {

std::string derive(std::string_view key, std::string_view salt, KeyLabel label, size_t n) {
    std::vector<uint8_t> out(n);
    auto r = deriveSessionKey(hex(key), hex(salt), label, out);
    EXPECT_TRUE(r) << (r ? "" : r.error().reason);
    return toHex(out);
}

std::unique_ptr<SrtpContext> context(SrtpSuite suite, std::string_view key, std::string_view salt) {
    auto c = SrtpContext::create(suite, hex(key), hex(salt));
    EXPECT_TRUE(c) << (c ? "" : c.error().reason);
    return c ? std::move(*c) : nullptr;
}

// A packet in a buffer with room for what protect appends.
struct Packet {
    std::array<uint8_t, 256> buf{};
    size_t len = 0;
    explicit Packet(const std::vector<uint8_t>& bytes) {
        std::memcpy(buf.data(), bytes.data(), bytes.size());
        len = bytes.size();
    }
    std::string hex() const { return toHex(std::span(buf.data(), len)); }
    std::vector<uint8_t> bytes() const { return {buf.begin(), buf.begin() + len}; }
};

std::vector<uint8_t> rtp(uint16_t seq, uint32_t ssrc = 0xcafebabe, size_t payload = 20) {
    std::vector<uint8_t> p = {0x80,
                              0x00,
                              uint8_t(seq >> 8),
                              uint8_t(seq),
                              0,
                              0,
                              0x12,
                              0x34,
                              uint8_t(ssrc >> 24),
                              uint8_t(ssrc >> 16),
                              uint8_t(ssrc >> 8),
                              uint8_t(ssrc)};
    for (size_t i = 0; i < payload; ++i) p.push_back(uint8_t(i * 7 + seq));
    return p;
}

// An RTCP receiver report with one block (32 octets).
std::vector<uint8_t> rtcp(uint32_t ssrc = 0xcafebabe) {
    std::vector<uint8_t> p = {0x81,
                              0xc9,
                              0x00,
                              0x07,
                              uint8_t(ssrc >> 24),
                              uint8_t(ssrc >> 16),
                              uint8_t(ssrc >> 8),
                              uint8_t(ssrc)};
    for (int i = 0; i < 24; ++i) p.push_back(uint8_t(0x40 + i));
    return p;
}

// The libsrtp test keys (srtp_driver.c), used by its reference packets.
constexpr std::string_view kKey128 = "e1f97a0d3e018be0d64fa32c06de4139";
constexpr std::string_view kSalt14 = "0ec675ad498afeebb6960b3aabe6";
constexpr std::string_view kKey256 =
    "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6";
constexpr std::string_view kSalt256 = "3b04803de51ee7c96423ab5b78d2";
constexpr std::string_view kGcmKey128 = "000102030405060708090a0b0c0d0e0f";
constexpr std::string_view kGcmKey256 =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kGcmSalt = "a0a1a2a3a4a5a6a7a8a9aaab";
constexpr std::string_view kReferenceRtp =
    "800f1234decafbadcafebabe abababababababababababababababab";
constexpr std::string_view kReferenceRtcp = "81c8000bcafebabe abababababababababababababababab";

}  // namespace

// ---- key derivation ----

TEST(SrtpKeyDerivation, MatchesRfc3711AppendixB3) {
    const auto key = "E1F97A0D3E018BE0D64FA32C06DE4139", salt = "0EC675AD498AFEEBB6960B3AABE6";
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpEncryption, 16), "C61E7A93744F39EE10734AFE3FF7A087");
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpSalt, 14), "30CBBC08863D8C85D49DB34A9AE1");
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpAuth, 94),
              "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
              "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
              "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2");
}

TEST(SrtpKeyDerivation, Aes256PrfMatchesRfc6188Section7_2) {
    EXPECT_EQ(derive(kKey256, kSalt256, KeyLabel::RtpEncryption, 32),
              "5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4");
    EXPECT_EQ(derive(kKey256, kSalt256, KeyLabel::RtpSalt, 14), "FA31791685CA444A9E07C6C64E93");
    EXPECT_EQ(derive(kKey256, kSalt256, KeyLabel::RtpAuth, 20),
              "FD9C32D39ED5FBB5A9DC96B30818454D1313DC05");
}

TEST(SrtpKeyDerivation, Aes192PrfMatchesRfc6188Section7_4) {
    const auto key = "73edc66c4fa15776fb57f9505c17136550ffda71f3e8e5f1";
    const auto salt = "c8522f3acd4ce86d5add78edbb11";
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpEncryption, 24),
              "31874736A8F1143870C26E4857D8A5B2C4A354407FAADABB");
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpSalt, 14), "2372B82D639B6D8503A47ADC0A6C");
    EXPECT_EQ(derive(key, salt, KeyLabel::RtpAuth, 20), "355B10973CD95B9EACF4061C7E1A7151E7CFBFCB");
}

TEST(SrtpKeyDerivation, RejectsBadKeyAndSaltLengths) {
    std::vector<uint8_t> out(16);
    EXPECT_FALSE(deriveSessionKey(hex("0011"), hex(kSalt14), KeyLabel::RtpEncryption, out));
    EXPECT_FALSE(
        deriveSessionKey(hex(kKey128), std::vector<uint8_t>(15, 0), KeyLabel::RtpEncryption, out));
    EXPECT_FALSE(SrtpContext::create(SrtpSuite::AesCm128HmacSha1_80, hex(kKey256), hex(kSalt14)));
    EXPECT_FALSE(SrtpContext::create(SrtpSuite::AeadAes128Gcm, hex(kGcmKey128), hex(kSalt14)));
}

TEST(SrtpSuites, NamesRoundTrip) {
    for (int i = 0; i <= int(SrtpSuite::AeadAes256Gcm); ++i) {
        const auto s = SrtpSuite(i);
        EXPECT_EQ(suiteByName(suiteInfo(s).name), s);
    }
    EXPECT_FALSE(suiteByName("AES_CM_128_HMAC_SHA1_81"));
}

// ---- reference packets (libsrtp's srtp_validate*) ----

TEST(SrtpReference, AesCm128HmacSha1_80MatchesLibsrtp) {
    auto tx = context(SrtpSuite::AesCm128HmacSha1_80, kKey128, kSalt14);
    auto rx = context(SrtpSuite::AesCm128HmacSha1_80, kKey128, kSalt14);
    Packet p(hex(kReferenceRtp));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402"
                                 "b78d6acc99ea179b8dbb")));
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex(kReferenceRtp)));

    Packet c(hex(kReferenceRtcp));
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.hex(), toHex(hex("81c8000bcafebabe7128035be487b9bdbef89041f977a5a8"
                                 "80000001993e08cd54d6c1230798")));
    ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.hex(), toHex(hex(kReferenceRtcp)));
}

TEST(SrtpReference, AesCm256HmacSha1_80MatchesLibsrtp) {
    auto tx = context(SrtpSuite::AesCm256HmacSha1_80, kKey256, kSalt256);
    Packet p(hex(kReferenceRtp));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex("800f1234decafbadcafebabef1d9de17ff251ff1aa007774"
                                 "b0b4b40da08d9d9a5b3a55d8873b")));
}

TEST(SrtpReference, NullHmacSha1_80RtcpMatchesLibsrtp) {
    auto tx = context(SrtpSuite::NullHmacSha1_80, kKey128, kSalt14);
    Packet c(hex(kReferenceRtcp));
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.hex(), toHex(hex("81c8000bcafebabeabababababababababababababababab"
                                 "00000001fe88c7fdfd37ebce615d")));
}

TEST(SrtpReference, AeadAes128GcmMatchesLibsrtp) {
    auto tx = context(SrtpSuite::AeadAes128Gcm, kGcmKey128, kGcmSalt);
    auto rx = context(SrtpSuite::AeadAes128Gcm, kGcmKey128, kGcmSalt);
    Packet p(hex(kReferenceRtp));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex("800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06e"
                                 "d2976826f796b201df3131a127e8a392")));
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex(kReferenceRtp)));

    Packet c(hex(kReferenceRtcp));
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.hex(), toHex(hex("81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025"
                                 "c52c6fbea2b3b446ea31123ba88ce61e80000001")));
    ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.hex(), toHex(hex(kReferenceRtcp)));
}

TEST(SrtpReference, AeadAes256GcmMatchesAPublishedPacket) {
    auto tx = context(SrtpSuite::AeadAes256Gcm, kGcmKey256, kGcmSalt);
    Packet p(hex(kReferenceRtp));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.hex(), toHex(hex("800f1234decafbadcafebabe0af7f21e8a90bdad7a425c9c31ed4bb1"
                                 "d90238917e7390a2793500e1681acaea")));
}

// ---- AES-f8 (RFC 3711 §4.1.2) ----

// RFC 3711 appendix B.1: the SRTP IV from the packet's header and ROC, and
// the f8 keystream from the session key and (4-octet) salt.
TEST(SrtpF8, MatchesRfc3711AppendixB1) {
    const auto header = hex("806e5cba50681de55c621599");
    uint8_t iv[kAesBlock];
    detail::f8SrtpIv(header.data(), 0xd462564a, iv);
    EXPECT_EQ(toHex(iv), toHex(hex("006e5cba50681de55c621599d462564a")));

    auto f8 = AesF8::create(hex("234829008467be186c3de14aae72d62c"), hex("32f2870d"));
    ASSERT_TRUE(f8);
    auto data =
        hex("70736575646f72616e646f6d6e65737320697320746865206e6578742062657374207468696e67");
    ASSERT_TRUE(f8->apply(iv, data));
    EXPECT_EQ(toHex(data), toHex(hex("019ce7a26e7854014a6366aa95d4eefd1ad4172a14f9faf455b7f1d4b6"
                                     "2bd08f562c0eef7c4802")));
    // The context is reused: the same IV again gives the plaintext back.
    ASSERT_TRUE(f8->apply(iv, data));
    EXPECT_EQ(std::string(data.begin(), data.end()), "pseudorandomness is the next best thing");
}

// Longer than the keystream chunk AES-f8 computes at once (32 blocks): the
// chain carries on across chunks, as block-by-block f8 (ECB) gives it.
TEST(SrtpF8, LongDataMatchesBlockByBlockDefinition) {
    const auto key = hex("234829008467be186c3de14aae72d62c");
    const auto salt = hex("32f2870d");
    uint8_t iv[kAesBlock];
    for (size_t i = 0; i < kAesBlock; ++i) iv[i] = uint8_t(i * 17);
    std::vector<uint8_t> data(1500, 0);  // the keystream itself
    auto f8 = AesF8::create(key, salt);
    ASSERT_TRUE(f8);
    ASSERT_TRUE(f8->apply(iv, data));
    // The definition with single AES blocks: AES-CTR with a zero counter
    // block is E(k, 0), so E(k, x) is CTR's keystream from counter x.
    auto block = [](std::span<const uint8_t> k, const uint8_t(&x)[kAesBlock]) {
        auto ctr = AesCtr::create(k);
        EXPECT_TRUE(ctr);
        std::vector<uint8_t> out(kAesBlock, 0);
        EXPECT_TRUE(ctr->apply(x, out));
        return out;
    };
    std::vector<uint8_t> masked(kAesBlock, 0x55);
    std::copy(salt.begin(), salt.end(), masked.begin());
    for (size_t i = 0; i < kAesBlock; ++i) masked[i] ^= key[i];
    const auto ivPrime = block(masked, iv);
    std::vector<uint8_t> prev(kAesBlock, 0), expected;
    for (uint32_t j = 0; expected.size() < data.size(); ++j) {
        uint8_t x[kAesBlock];
        for (size_t i = 0; i < kAesBlock; ++i) x[i] = ivPrime[i] ^ prev[i];
        x[12] ^= uint8_t(j >> 24);
        x[13] ^= uint8_t(j >> 16);
        x[14] ^= uint8_t(j >> 8);
        x[15] ^= uint8_t(j);
        prev = block(key, x);
        expected.insert(expected.end(), prev.begin(), prev.end());
    }
    expected.resize(data.size());
    EXPECT_EQ(toHex(data), toHex(expected));
}

// RFC 3711 §4.1.2.3: 0^32 || E || index || first 8 octets of the packet.
TEST(SrtpF8, SrtcpIvLayout) {
    const auto header = hex("81c8000bcafebabe");
    uint8_t iv[kAesBlock];
    detail::f8SrtcpIv(header.data(), 0x80000005, iv);
    EXPECT_EQ(toHex(iv), toHex(hex("000000008000000581c8000bcafebabe")));
}

// An F8_128_HMAC_SHA1_80 packet from the context is the one the parts
// give: session keys of RFC 3711 §4.3 (labels 0, 1, 2), the f8 IV of the
// header and ROC, HMAC-SHA1 over header || ciphertext || ROC.
TEST(SrtpF8, ContextPacketIsBuiltFromTheDerivedKeys) {
    auto tx = context(SrtpSuite::F8_128HmacSha1_80, kKey128, kSalt14);
    Packet p(hex(kReferenceRtp));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);

    std::vector<uint8_t> ke(16), ks(14), ka(20);
    ASSERT_TRUE(deriveSessionKey(hex(kKey128), hex(kSalt14), KeyLabel::RtpEncryption, ke));
    ASSERT_TRUE(deriveSessionKey(hex(kKey128), hex(kSalt14), KeyLabel::RtpSalt, ks));
    ASSERT_TRUE(deriveSessionKey(hex(kKey128), hex(kSalt14), KeyLabel::RtpAuth, ka));
    auto expected = hex(kReferenceRtp);
    uint8_t iv[kAesBlock];
    detail::f8SrtpIv(expected.data(), 0, iv);
    auto f8 = AesF8::create(ke, ks);
    ASSERT_TRUE(f8);
    ASSERT_TRUE(f8->apply(iv, std::span(expected).subspan(12)));
    auto mac = HmacSha1::create(ka);
    ASSERT_TRUE(mac);
    const uint8_t roc[4] = {0, 0, 0, 0};
    uint8_t tag[kSha1Size];
    ASSERT_TRUE(mac->compute(expected, roc, tag));
    expected.insert(expected.end(), tag, tag + 10);
    EXPECT_EQ(p.hex(), toHex(expected));
}

// ---- behaviour of every suite ----

class SrtpEverySuite : public ::testing::TestWithParam<SrtpSuite> {
  protected:
    void SetUp() override {
        const auto& info = suiteInfo(GetParam());
        std::vector<uint8_t> key(info.masterKeyLen), salt(info.masterSaltLen);
        for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(0x10 + i);
        for (size_t i = 0; i < salt.size(); ++i) salt[i] = uint8_t(0xa0 + i);
        auto t = SrtpContext::create(GetParam(), key, salt);
        auto r = SrtpContext::create(GetParam(), key, salt);
        ASSERT_TRUE(t && r);
        tx = std::move(*t);
        rx = std::move(*r);
    }
    Packet sent(uint16_t seq, uint32_t ssrc = 0xcafebabe) {
        Packet p(rtp(seq, ssrc));
        EXPECT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
        return p;
    }
    std::unique_ptr<SrtpContext> tx, rx;
};

TEST_P(SrtpEverySuite, RtpRoundTripAddsTheTagAndRestoresThePacket) {
    const auto plain = rtp(1000);
    Packet p(plain);
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.len, plain.size() + suiteInfo(GetParam()).rtpTagLen);
    EXPECT_EQ(std::memcmp(p.buf.data(), plain.data(), 12), 0);  // header stays clear
    const bool payloadChanged = std::memcmp(p.buf.data() + 12, plain.data() + 12, 20) != 0;
    EXPECT_EQ(payloadChanged, suiteInfo(GetParam()).encrypts);
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.bytes(), plain);
}

// SRTCP's keys are made on the first SRTCP packet, not with the context.
TEST_P(SrtpEverySuite, RtcpKeysAreMadeOnTheFirstRtcpPacket) {
    Packet p = sent(1);
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_FALSE(tx->hasRtcpKeys());
    EXPECT_FALSE(rx->hasRtcpKeys());
    Packet c(rtcp(0x11223344));
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_TRUE(tx->hasRtcpKeys());
    ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_TRUE(rx->hasRtcpKeys());
    EXPECT_EQ(c.bytes(), rtcp(0x11223344));
}

TEST_P(SrtpEverySuite, MatchesTheArgumentsItWasMadeWith) {
    const auto& info = suiteInfo(GetParam());
    std::vector<uint8_t> key(info.masterKeyLen), salt(info.masterSaltLen);
    for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(0x10 + i);
    for (size_t i = 0; i < salt.size(); ++i) salt[i] = uint8_t(0xa0 + i);
    SrtpOptions o;
    o.mki = {1, 2};
    o.lifetime = 1000;
    auto c = SrtpContext::create(GetParam(), key, salt, o);
    ASSERT_TRUE(c);
    EXPECT_TRUE((*c)->matches(GetParam(), key, salt, o));
    EXPECT_FALSE((*c)->matches(GetParam(), key, salt, {}));
    auto other = o;
    other.mki = {1, 3};
    EXPECT_FALSE((*c)->matches(GetParam(), key, salt, other));
    other = o;
    other.lifetime = 2000;
    EXPECT_FALSE((*c)->matches(GetParam(), key, salt, other));
    other = o;
    other.unencryptedSrtcp = true;
    EXPECT_EQ((*c)->matches(GetParam(), key, salt, other), !info.encrypts);
    auto key2 = key;
    key2.back() ^= 1;
    EXPECT_FALSE((*c)->matches(GetParam(), key2, salt, o));
    auto salt2 = salt;
    salt2[0] ^= 1;
    EXPECT_FALSE((*c)->matches(GetParam(), key, salt2, o));
    const auto otherSuite =
        GetParam() == SrtpSuite::AeadAes128Gcm ? SrtpSuite::AesCm128HmacSha1_80 : SrtpSuite::AeadAes128Gcm;
    EXPECT_FALSE((*c)->matches(otherSuite, key, salt, o));
}

TEST_P(SrtpEverySuite, RtpWithCsrcsAndExtensionRoundTrips) {
    std::vector<uint8_t> plain = {0x91, 0x60, 0x00, 0x05, 0, 0, 0,    1,    0xca, 0xfe,
                                  0xba, 0xbe, 1,    2,    3, 4, 0xbe, 0xde, 0,    1,
                                  0x10, 0xff, 0,    0,    9, 8, 7,    6,    5};
    Packet p(plain);
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(std::memcmp(p.buf.data(), plain.data(), 24), 0);
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.bytes(), plain);
}

TEST_P(SrtpEverySuite, TamperedOctetFailsAuthentication) {
    const Packet good = sent(7);
    for (size_t at : {size_t(1), size_t(12), good.len - 1}) {
        Packet p = good;
        p.buf[at] ^= 0x01;
        EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::AuthFailed) << "octet " << at;
    }
    Packet p = good;
    EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);  // failures left no state
}

TEST_P(SrtpEverySuite, ReplayedPacketIsRefused) {
    const Packet first = sent(100);
    Packet p = first;
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    p = first;
    EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Replayed);
}

TEST_P(SrtpEverySuite, ReorderedWithinTheWindowIsAcceptedOlderIsNot) {
    std::vector<Packet> pkts;
    for (uint16_t s = 1000; s < 1100; ++s) pkts.push_back(sent(s));
    // 1099 first, then 1040 (59 back: in the window), then 1030 (69 back: not).
    Packet p = pkts[99];
    ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    p = pkts[40];
    EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    p = pkts[40];
    EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Replayed);
    p = pkts[30];
    EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Replayed);
}

TEST_P(SrtpEverySuite, TruncatedPacketIsTooShort) {
    const Packet good = sent(5);
    for (size_t len : {size_t(0), size_t(11), size_t(12 + suiteInfo(GetParam()).rtpTagLen - 1)}) {
        Packet p = good;
        p.len = len;
        EXPECT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::TooShort) << len;
    }
    // A header whose extension runs past the end.
    Packet x(rtp(6, 0xcafebabe, 0));
    x.buf[0] |= 0x10;
    EXPECT_EQ(tx->protectRtp(x.buf, x.len), SrtpStatus::TooShort);
}

TEST_P(SrtpEverySuite, ProtectWithoutRoomForTheTagFails) {
    Packet p(rtp(5));
    const size_t before = p.len;
    EXPECT_EQ(tx->protectRtp(std::span(p.buf.data(), p.len + 1), p.len), SrtpStatus::NoRoom);
    EXPECT_EQ(p.len, before);
}

TEST_P(SrtpEverySuite, SequenceWrapIncrementsTheRolloverCounter) {
    std::vector<Packet> pkts;
    for (uint32_t s = 65530; s < 65536 + 6; ++s) pkts.push_back(sent(uint16_t(s)));
    // Deliver with 0 before 65535 (reordered across the wrap).
    std::swap(pkts[5], pkts[6]);
    for (auto& p : pkts) {
        const auto plainSeq = toHex(std::span(p.buf.data() + 2, 2));
        ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok) << plainSeq;
    }
    EXPECT_EQ(rx->rolloverCounter(0xcafebabe), 1u);
    EXPECT_EQ(tx->rolloverCounter(0xcafebabe), 1u);
    // A packet of the next cycle still decrypts far past the wrap.
    for (uint32_t s = 6; s < 40000; s += 1000) {
        Packet p = sent(uint16_t(s));
        ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok) << s;
    }
    EXPECT_EQ(rx->rolloverCounter(0xcafebabe), 1u);
}

TEST_P(SrtpEverySuite, SsrcsAreFollowedSeparately) {
    Packet a = sent(10, 1), b = sent(10, 2);
    EXPECT_EQ(rx->unprotectRtp(a.buf, a.len), SrtpStatus::Ok);
    EXPECT_EQ(rx->unprotectRtp(b.buf, b.len), SrtpStatus::Ok);
}

TEST_P(SrtpEverySuite, RtcpRoundTripIncrementsTheIndex) {
    const auto plain = rtcp();
    const auto& info = suiteInfo(GetParam());
    for (uint32_t i = 1; i <= 3; ++i) {
        Packet c(plain);
        ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
        ASSERT_EQ(c.len, plain.size() + 4 + info.rtcpTagLen);
        const size_t indexAt = info.aead ? c.len - 4 : plain.size();
        const uint32_t e = uint32_t(c.buf[indexAt]) << 24 | uint32_t(c.buf[indexAt + 1]) << 16 |
                           uint32_t(c.buf[indexAt + 2]) << 8 | c.buf[indexAt + 3];
        EXPECT_EQ(e, (info.encrypts ? 0x80000000u : 0u) | i);
        ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);
        EXPECT_EQ(c.bytes(), plain);
    }
}

TEST_P(SrtpEverySuite, RtcpTamperedReplayedAndTruncatedAreRefused) {
    Packet good(rtcp());
    ASSERT_EQ(tx->protectRtcp(good.buf, good.len), SrtpStatus::Ok);
    Packet p = good;
    p.buf[10] ^= 0x80;
    EXPECT_EQ(rx->unprotectRtcp(p.buf, p.len), SrtpStatus::AuthFailed);
    p = good;
    p.len = 8 + 4 + suiteInfo(GetParam()).rtcpTagLen - 1;
    EXPECT_EQ(rx->unprotectRtcp(p.buf, p.len), SrtpStatus::TooShort);
    p = good;
    ASSERT_EQ(rx->unprotectRtcp(p.buf, p.len), SrtpStatus::Ok);
    p = good;
    EXPECT_EQ(rx->unprotectRtcp(p.buf, p.len), SrtpStatus::Replayed);
}

INSTANTIATE_TEST_SUITE_P(
    Suites, SrtpEverySuite,
    ::testing::Values(SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32,
                      SrtpSuite::AesCm192HmacSha1_80, SrtpSuite::AesCm192HmacSha1_32,
                      SrtpSuite::AesCm256HmacSha1_80, SrtpSuite::AesCm256HmacSha1_32,
                      SrtpSuite::F8_128HmacSha1_80, SrtpSuite::F8_128HmacSha1_32,
                      SrtpSuite::NullHmacSha1_80, SrtpSuite::NullHmacSha1_32,
                      SrtpSuite::AeadAes128Gcm, SrtpSuite::AeadAes256Gcm),
    [](const auto& info) {
        std::string n(suiteInfo(info.param).name);
        for (char& c : n)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return n;
    });

// ---- SrtpOptions: MKI, lifetime, session parameters, state hand-over ----

namespace {

constexpr SrtpSuite kEverySuite[] = {
    SrtpSuite::AesCm128HmacSha1_80, SrtpSuite::AesCm128HmacSha1_32, SrtpSuite::AesCm192HmacSha1_80,
    SrtpSuite::AesCm192HmacSha1_32, SrtpSuite::AesCm256HmacSha1_80, SrtpSuite::AesCm256HmacSha1_32,
    SrtpSuite::F8_128HmacSha1_80,   SrtpSuite::F8_128HmacSha1_32,   SrtpSuite::NullHmacSha1_80,
    SrtpSuite::NullHmacSha1_32,     SrtpSuite::AeadAes128Gcm,       SrtpSuite::AeadAes256Gcm,
};

std::unique_ptr<SrtpContext> withOptions(SrtpSuite suite, const SrtpOptions& o,
                                         uint8_t keyBase = 0x10) {
    const auto& info = suiteInfo(suite);
    std::vector<uint8_t> key(info.masterKeyLen), salt(info.masterSaltLen);
    for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(keyBase + i);
    for (size_t i = 0; i < salt.size(); ++i) salt[i] = uint8_t(0xa0 + i);
    auto c = SrtpContext::create(suite, key, salt, o);
    EXPECT_TRUE(c) << (c ? "" : c.error().reason);
    return c ? std::move(*c) : nullptr;
}

uint32_t load32At(const Packet& p, size_t at) {
    return uint32_t(p.buf[at]) << 24 | uint32_t(p.buf[at + 1]) << 16 |
           uint32_t(p.buf[at + 2]) << 8 | p.buf[at + 3];
}

}  // namespace

class SrtpOptionsEverySuite : public ::testing::TestWithParam<SrtpSuite> {};

// RFC 3711 §3.1/§3.4 (RFC 7714 §8/§9 for AEAD): where the MKI goes, that
// it is checked, and that a packet with another MKI leaves no state.
TEST_P(SrtpOptionsEverySuite, MkiIsAppendedAndChecked) {
    const auto& info = suiteInfo(GetParam());
    SrtpOptions o;
    o.mki = {0x01, 0x02, 0x03};
    auto tx = withOptions(GetParam(), o), rx = withOptions(GetParam(), o);
    SrtpOptions other = o;
    other.mki = {0x01, 0x02, 0x04};
    auto rxOther = withOptions(GetParam(), other), rxNone = withOptions(GetParam(), {});
    ASSERT_TRUE(tx && rx && rxOther && rxNone);
    EXPECT_EQ(tx->rtpOverhead(), 3u + info.rtpTagLen);
    EXPECT_EQ(tx->rtcpOverhead(), 4u + 3u + info.rtcpTagLen);

    const auto plain = rtp(42);
    Packet p(plain);
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    ASSERT_EQ(p.len, plain.size() + 3 + info.rtpTagLen);
    const size_t mkiAt = info.aead ? plain.size() + info.rtpTagLen : plain.size();
    EXPECT_EQ(toHex(std::span(p.buf.data() + mkiAt, 3)), "010203");
    Packet q = p;
    EXPECT_EQ(rxOther->unprotectRtp(q.buf, q.len), SrtpStatus::UnknownMki);
    q = p;
    EXPECT_NE(rxNone->unprotectRtp(q.buf, q.len), SrtpStatus::Ok);
    q = p;
    ASSERT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::Ok);
    EXPECT_EQ(q.bytes(), plain);
    // The MKI is not authenticated but must match.
    q = p;
    q.buf[mkiAt] ^= 0xff;
    EXPECT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::UnknownMki);

    const auto plainRtcp = rtcp();
    Packet c(plainRtcp);
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    ASSERT_EQ(c.len, plainRtcp.size() + 4 + 3 + info.rtcpTagLen);
    const size_t indexAt = info.aead ? plainRtcp.size() + info.rtcpTagLen : plainRtcp.size();
    EXPECT_EQ(load32At(c, indexAt) & 0x7fffffffu, 1u);
    EXPECT_EQ(toHex(std::span(c.buf.data() + indexAt + 4, 3)), "010203");
    Packet d = c;
    EXPECT_EQ(rxOther->unprotectRtcp(d.buf, d.len), SrtpStatus::UnknownMki);
    d = c;
    ASSERT_EQ(rx->unprotectRtcp(d.buf, d.len), SrtpStatus::Ok);
    EXPECT_EQ(d.bytes(), plainRtcp);
}

TEST_P(SrtpOptionsEverySuite, MkiNeedsRoomAndLength) {
    SrtpOptions o;
    o.mki.assign(128, 0x5a);
    auto tx = withOptions(GetParam(), o);
    ASSERT_TRUE(tx);
    Packet p(rtp(1, 0xcafebabe, 0));  // 12 octets + 128 + tag fit in 256
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    Packet small(rtp(2));
    EXPECT_EQ(
        tx->protectRtp(std::span(small.buf.data(), small.len + tx->rtpOverhead() - 1), small.len),
        SrtpStatus::NoRoom);
    auto rx = withOptions(GetParam(), o);
    Packet shortOne = p;
    shortOne.len = 12 + tx->rtpOverhead() - 1;
    EXPECT_EQ(rx->unprotectRtp(shortOne.buf, shortOne.len), SrtpStatus::TooShort);
    o.mki.assign(129, 0);
    const auto& info = suiteInfo(GetParam());
    EXPECT_FALSE(SrtpContext::create(GetParam(), std::vector<uint8_t>(info.masterKeyLen),
                                     std::vector<uint8_t>(info.masterSaltLen), o));
}

// RFC 4568 §6.1 lifetime as a packet count per master key, SRTP and SRTCP
// each; refused packets do not count.
TEST_P(SrtpOptionsEverySuite, LifetimeEndsInKeyExpired) {
    SrtpOptions o;
    o.lifetime = 3;
    auto tx = withOptions(GetParam(), o), rx = withOptions(GetParam(), o);
    ASSERT_TRUE(tx && rx);
    std::vector<Packet> sent;
    for (uint16_t seq = 1; seq <= 3; ++seq) {
        Packet p(rtp(seq));
        ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok) << seq;
        sent.push_back(p);
    }
    Packet fourth(rtp(4));
    EXPECT_EQ(tx->protectRtp(fourth.buf, fourth.len), SrtpStatus::KeyExpired);
    EXPECT_EQ(fourth.bytes(), rtp(4));

    Packet bad = sent[0];
    bad.buf[bad.len - 1] ^= 1;
    EXPECT_EQ(rx->unprotectRtp(bad.buf, bad.len), SrtpStatus::AuthFailed);
    for (auto& p : sent) ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    // A fourth packet (from a sender with a fresh count) is refused.
    auto tx2 = withOptions(GetParam(), {});
    Packet more(rtp(9));
    ASSERT_EQ(tx2->protectRtp(more.buf, more.len), SrtpStatus::Ok);
    EXPECT_EQ(rx->unprotectRtp(more.buf, more.len), SrtpStatus::KeyExpired);

    // SRTCP has its own count.
    for (int i = 0; i < 3; ++i) {
        Packet c(rtcp());
        ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok) << i;
        ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok) << i;
    }
    Packet c(rtcp());
    EXPECT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::KeyExpired);
}

// UNENCRYPTED_SRTP / UNENCRYPTED_SRTCP: payload in clear, still
// authenticated; SRTCP's E bit is 0, and a receiver without the option
// follows it.
TEST_P(SrtpOptionsEverySuite, UnencryptedKeepsThePayloadClearAndAuthenticated) {
    const auto& info = suiteInfo(GetParam());
    SrtpOptions o;
    o.unencryptedSrtp = true;
    o.unencryptedSrtcp = true;
    auto tx = withOptions(GetParam(), o), rx = withOptions(GetParam(), o);
    auto rxDefault = withOptions(GetParam(), {});
    ASSERT_TRUE(tx && rx && rxDefault);
    const auto plain = rtp(77);
    Packet p(plain);
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.len, plain.size() + info.rtpTagLen);
    EXPECT_EQ(std::memcmp(p.buf.data(), plain.data(), plain.size()), 0);
    Packet q = p;
    q.buf[20] ^= 1;
    EXPECT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::AuthFailed);
    q = p;
    ASSERT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::Ok);
    EXPECT_EQ(q.bytes(), plain);

    const auto plainRtcp = rtcp();
    Packet c(plainRtcp);
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(std::memcmp(c.buf.data(), plainRtcp.data(), plainRtcp.size()), 0);
    const size_t indexAt = info.aead ? plainRtcp.size() + info.rtcpTagLen : plainRtcp.size();
    EXPECT_EQ(load32At(c, indexAt), 1u);  // E = 0
    Packet d = c;
    d.buf[12] ^= 1;
    EXPECT_EQ(rxDefault->unprotectRtcp(d.buf, d.len), SrtpStatus::AuthFailed);
    d = c;
    ASSERT_EQ(rxDefault->unprotectRtcp(d.buf, d.len), SrtpStatus::Ok);
    EXPECT_EQ(d.bytes(), plainRtcp);
}

// UNAUTHENTICATED_SRTP: no SRTP tag (encrypted all the same); SRTCP keeps
// its tag (RFC 4568 §6.3.3). Not possible with AEAD.
TEST_P(SrtpOptionsEverySuite, UnauthenticatedSrtpHasNoTag) {
    const auto& info = suiteInfo(GetParam());
    SrtpOptions o;
    o.unauthenticatedSrtp = true;
    if (info.aead) {
        EXPECT_FALSE(SrtpContext::create(GetParam(), std::vector<uint8_t>(info.masterKeyLen),
                                         std::vector<uint8_t>(info.masterSaltLen), o));
        return;
    }
    auto tx = withOptions(GetParam(), o), rx = withOptions(GetParam(), o);
    ASSERT_TRUE(tx && rx);
    EXPECT_EQ(tx->rtpOverhead(), 0u);
    const auto plain = rtp(300);
    Packet p(plain);
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    EXPECT_EQ(p.len, plain.size());
    EXPECT_EQ(std::memcmp(p.buf.data() + 12, plain.data() + 12, 20) != 0, info.encrypts);
    Packet q = p;
    ASSERT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::Ok);
    EXPECT_EQ(q.bytes(), plain);
    q = p;
    EXPECT_EQ(rx->unprotectRtp(q.buf, q.len), SrtpStatus::Replayed);

    const auto plainRtcp = rtcp();
    Packet c(plainRtcp);
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.len, plainRtcp.size() + 4 + info.rtcpTagLen);
    Packet d = c;
    d.buf[9] ^= 1;
    EXPECT_EQ(rx->unprotectRtcp(d.buf, d.len), SrtpStatus::AuthFailed);
    ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);
    EXPECT_EQ(c.bytes(), plainRtcp);
}

// A re-offer that keeps the keys: the new contexts take over ROC, replay
// window and SRTCP index, so a sender's next packet is accepted, a
// replayed one is not, and SRTCP's index does not restart at 1.
TEST_P(SrtpOptionsEverySuite, AdoptStateFromKeepsRocReplayAndIndex) {
    auto tx = withOptions(GetParam(), {}), rx = withOptions(GetParam(), {});
    ASSERT_TRUE(tx && rx);
    Packet last(rtp(0));
    for (uint32_t s = 65530; s < 65536 + 3; ++s) {
        Packet p(rtp(uint16_t(s)));
        ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
        last = p;
        ASSERT_EQ(rx->unprotectRtp(p.buf, p.len), SrtpStatus::Ok);
    }
    Packet c(rtcp());
    ASSERT_EQ(tx->protectRtcp(c.buf, c.len), SrtpStatus::Ok);
    ASSERT_EQ(rx->unprotectRtcp(c.buf, c.len), SrtpStatus::Ok);

    auto tx2 = withOptions(GetParam(), {}), rx2 = withOptions(GetParam(), {});
    ASSERT_TRUE(tx2->adoptStateFrom(*tx));
    ASSERT_TRUE(rx2->adoptStateFrom(*rx));
    EXPECT_EQ(rx2->rolloverCounter(0xcafebabe), 1u);
    EXPECT_EQ(rx2->unprotectRtp(last.buf, last.len), SrtpStatus::Replayed);
    Packet next(rtp(3));
    ASSERT_EQ(tx2->protectRtp(next.buf, next.len), SrtpStatus::Ok);
    ASSERT_EQ(rx2->unprotectRtp(next.buf, next.len), SrtpStatus::Ok);  // ROC 1 on both
    Packet c2(rtcp());
    ASSERT_EQ(tx2->protectRtcp(c2.buf, c2.len), SrtpStatus::Ok);
    const auto& info = suiteInfo(GetParam());
    const size_t indexAt = info.aead ? rtcp().size() + info.rtcpTagLen : rtcp().size();
    EXPECT_EQ(load32At(c2, indexAt) & 0x7fffffffu, 2u);
    ASSERT_EQ(rx2->unprotectRtcp(c2.buf, c2.len), SrtpStatus::Ok);

    // Other keys: nothing taken.
    auto otherKeys = withOptions(GetParam(), {}, 0x20);
    EXPECT_FALSE(otherKeys->adoptStateFrom(*rx));
    EXPECT_FALSE(otherKeys->rolloverCounter(0xcafebabe));
}

// The lifetime count goes over with the state.
TEST(SrtpOptions, AdoptStateFromCarriesTheLifetimeCount) {
    SrtpOptions o;
    o.lifetime = 2;
    auto tx = withOptions(SrtpSuite::AesCm128HmacSha1_80, o);
    Packet p(rtp(1));
    ASSERT_EQ(tx->protectRtp(p.buf, p.len), SrtpStatus::Ok);
    auto tx2 = withOptions(SrtpSuite::AesCm128HmacSha1_80, o);
    ASSERT_TRUE(tx2->adoptStateFrom(*tx));
    Packet q(rtp(2)), r(rtp(3));
    EXPECT_EQ(tx2->protectRtp(q.buf, q.len), SrtpStatus::Ok);
    EXPECT_EQ(tx2->protectRtp(r.buf, r.len), SrtpStatus::KeyExpired);
    // Another suite with the same key bytes: refused.
    auto f8 = withOptions(SrtpSuite::F8_128HmacSha1_80, o);
    EXPECT_FALSE(f8->adoptStateFrom(*tx));
}

INSTANTIATE_TEST_SUITE_P(Suites, SrtpOptionsEverySuite, ::testing::ValuesIn(kEverySuite),
                         [](const auto& info) {
                             std::string n(suiteInfo(info.param).name);
                             for (char& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });
