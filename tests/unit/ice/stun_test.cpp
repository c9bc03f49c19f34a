// STUN codec: the RFC 5769 test vectors, round trips, and malformed input.
#include "ice/stun.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "alloc_counter.h"

using namespace ngm;
using namespace ngm::ice;
using namespace ngm::ice::stun;

namespace {

std::vector<uint8_t> hex(std::string_view s) {
    std::vector<uint8_t> out;
    int hi = -1;
    for (char c : s) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
        const int v = std::isdigit(static_cast<unsigned char>(c))
                          ? c - '0'
                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(uint8_t(hi << 4 | v));
            hi = -1;
        }
    }
    return out;
}

// RFC 5769 §2.1: sample request (short-term credentials).
const std::vector<uint8_t> kRequest =
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
        "00 24 00 04 6e 00 01 ff"
        "80 29 00 08 93 2f f9 b1 51 26 3b 36"
        "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
        "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
        "80 28 00 04 e5 7a 3b cf");
// §2.2: sample IPv4 response.
const std::vector<uint8_t> kResponseV4 =
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 08 00 01 a1 47 e1 12 a6 43"
        "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
        "80 28 00 04 c0 7d 4c 96");
// §2.3: sample IPv6 response.
const std::vector<uint8_t> kResponseV6 =
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
        "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
        "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
        "80 28 00 04 c8 fb 0b 4c");
// §2.4: sample request with long-term authentication (the key is
// MD5(username ":" realm ":" SASLprep(password)), computed beforehand).
const std::vector<uint8_t> kLongTermRequest =
    hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
        "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
        "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 "
        "73 41"
        "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
        "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");
const char kPassword[] = "VOkJxbRl1RmTxUk/WvJxBt";

IntegrityKey key(std::string_view pw) { return IntegrityKey::create(pw).value(); }

TransactionId rfcTid() {
    TransactionId t;
    const auto b = hex("b7 e7 a7 01 bc 34 d6 86 fa 87 df ae");
    std::copy(b.begin(), b.end(), t.bytes.begin());
    return t;
}

}  // namespace

TEST(Stun, Rfc5769SampleRequestParsesAndVerifies) {
    auto m = parse(kRequest);
    ASSERT_TRUE(m.ok()) << m.error().reason;
    EXPECT_EQ(m->cls, Class::Request);
    EXPECT_EQ(m->method, kMethodBinding);
    EXPECT_EQ(m->transactionId, rfcTid());
    EXPECT_EQ(m->username, "evtj:h6vY");
    ASSERT_TRUE(m->priority);
    EXPECT_EQ(*m->priority, 0x6e0001ffu);
    ASSERT_TRUE(m->iceControlled);
    EXPECT_EQ(*m->iceControlled, 0x932ff9b151263b36ull);
    EXPECT_FALSE(m->iceControlling);
    EXPECT_FALSE(m->useCandidate);
    EXPECT_NE(m->fingerprintOffset, 0u);
    EXPECT_EQ(m->unknownCount, 0);
    auto k = key(kPassword);
    EXPECT_TRUE(verifyIntegrity(*m, k));
    auto wrong = key("VOkJxbRl1RmTxUk/WvJxBT");
    EXPECT_FALSE(verifyIntegrity(*m, wrong));
}

TEST(Stun, Rfc5769Ipv4ResponseParsesAndVerifies) {
    auto m = parse(kResponseV4);
    ASSERT_TRUE(m.ok()) << m.error().reason;
    EXPECT_EQ(m->cls, Class::Success);
    ASSERT_TRUE(m->xorMappedAddress);
    EXPECT_EQ(m->xorMappedAddress->toString(), "192.0.2.1:32853");
    auto k = key(kPassword);
    EXPECT_TRUE(verifyIntegrity(*m, k));
}

TEST(Stun, Rfc5769Ipv6ResponseParsesAndVerifies) {
    auto m = parse(kResponseV6);
    ASSERT_TRUE(m.ok()) << m.error().reason;
    ASSERT_TRUE(m->xorMappedAddress);
    EXPECT_EQ(m->xorMappedAddress->toString(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    auto k = key(kPassword);
    EXPECT_TRUE(verifyIntegrity(*m, k));
}

TEST(Stun, Rfc5769LongTermRequestVerifiesWithTheMd5Key) {
    auto m = parse(kLongTermRequest);
    ASSERT_TRUE(m.ok()) << m.error().reason;
    const auto md5 = hex("e8ca7ad59d5eb0518e312911d2dab2a9");
    auto k = key(std::string_view(reinterpret_cast<const char*>(md5.data()), md5.size()));
    EXPECT_TRUE(verifyIntegrity(*m, k));
    EXPECT_EQ(m->fingerprintOffset, 0u);
}

TEST(Stun, BuilderReproducesTheRfc5769RequestByteForByte) {
    uint8_t buf[kMaxMessage];
    Builder b(buf, Class::Request, rfcTid());
    b.addSoftware("STUN test client");
    b.addPriority(0x6e0001ff);
    b.addIceControlled(0x932ff9b151263b36ull);
    const auto user = hex("65 76 74 6a 3a 68 36 76 59 20 20 20");
    b.addAttribute(attr::Username, std::span(user).first(9));
    ASSERT_TRUE(b.ok());
    const size_t len = b.finish().size();
    ASSERT_EQ(len, kRequest.size() - 24 - 8);
    // The RFC's padding octets are spaces; the integrity covers them.
    buf[len - 3] = buf[len - 2] = buf[len - 1] = 0x20;
    auto k = key(kPassword);
    b.addMessageIntegrity(k);
    b.addFingerprint();
    auto wire = b.finish();
    ASSERT_FALSE(wire.empty());
    EXPECT_EQ(std::vector<uint8_t>(wire.begin(), wire.end()), kRequest);
}

TEST(Stun, BuilderReproducesTheRfc5769Ipv4And6Responses) {
    for (const auto* vec : {&kResponseV4, &kResponseV6}) {
        const bool v6 = vec == &kResponseV6;
        uint8_t buf[kMaxMessage];
        Builder b(buf, Class::Success, rfcTid());
        b.addSoftware("test vector");
        // The vector pads SOFTWARE with a space.
        buf[kHeaderSize + 4 + 11] = 0x20;
        const auto ep =
            v6 ? net::Endpoint{*net::IpAddress::parse("2001:db8:1234:5678:11:2233:4455:6677"),
                               32853}
               : net::Endpoint{*net::IpAddress::parse("192.0.2.1"), 32853};
        b.addXorMappedAddress(ep);
        auto k = key(kPassword);
        b.addMessageIntegrity(k);
        b.addFingerprint();
        auto wire = b.finish();
        EXPECT_EQ(std::vector<uint8_t>(wire.begin(), wire.end()), *vec) << (v6 ? "v6" : "v4");
    }
}

TEST(Stun, RoundTripOfEveryIceAttribute) {
    uint8_t buf[kMaxMessage];
    const auto tid = TransactionId::random();
    Builder b(buf, Class::Request, tid);
    b.addUsername("remoteufrag", "localufrag");
    b.addPriority(1845501695);
    b.addUseCandidate();
    b.addIceControlling(0x0102030405060708ull);
    auto k = key("a-password-of-22-chars");
    b.addMessageIntegrity(k);
    b.addMessageIntegritySha256(k);
    b.addFingerprint();
    auto m = parse(b.finish());
    ASSERT_TRUE(m.ok()) << m.error().reason;
    EXPECT_EQ(m->transactionId, tid);
    EXPECT_EQ(m->username, "remoteufrag:localufrag");
    EXPECT_EQ(*m->priority, 1845501695u);
    EXPECT_TRUE(m->useCandidate);
    EXPECT_EQ(*m->iceControlling, 0x0102030405060708ull);
    EXPECT_NE(m->integrityOffset, 0u);
    EXPECT_NE(m->integritySha256Offset, 0u);
    EXPECT_EQ(m->integritySha256Length, 32);
    EXPECT_TRUE(verifyIntegrity(*m, k));
    auto other = key("another-password-here!");
    EXPECT_FALSE(verifyIntegrity(*m, other));
}

TEST(Stun, RoundTripOfErrorResponses) {
    for (uint16_t code :
         {error::BadRequest, error::Unauthorized, error::UnknownAttribute, error::RoleConflict}) {
        uint8_t buf[kMaxMessage];
        Builder b(buf, Class::Error, TransactionId::random());
        b.addErrorCode(code, errorReasonFor(code));
        const uint16_t unknown[] = {0x0033, 0x7777};
        if (code == error::UnknownAttribute) b.addUnknownAttributes(unknown);
        b.addFingerprint();
        auto m = parse(b.finish());
        ASSERT_TRUE(m.ok()) << m.error().reason;
        EXPECT_EQ(m->cls, Class::Error);
        EXPECT_EQ(*m->errorCode, code);
        EXPECT_EQ(m->errorReason, errorReasonFor(code));
    }
}

TEST(Stun, IndicationRoundTrips) {
    uint8_t buf[kMaxMessage];
    Builder b(buf, Class::Indication, TransactionId::random());
    b.addFingerprint();
    auto m = parse(b.finish());
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->cls, Class::Indication);
    EXPECT_FALSE(m->hasIntegrity());
}

TEST(Stun, UnknownComprehensionRequiredAttributesAreListed) {
    uint8_t buf[kMaxMessage];
    Builder b(buf, Class::Request, TransactionId::random());
    const uint8_t v[3] = {1, 2, 3};
    b.addAttribute(0x0042, v);
    b.addAttribute(0x8042, v);  // comprehension-optional: ignored
    b.addAttribute(0x0042, v);  // listed once
    b.addAttribute(0x7fff, {});
    auto m = parse(b.finish());
    ASSERT_TRUE(m.ok());
    ASSERT_EQ(m->unknownCount, 2);
    EXPECT_EQ(m->unknown[0], 0x0042);
    EXPECT_EQ(m->unknown[1], 0x7fff);
}

TEST(Stun, AttributesAfterIntegrityAreIgnored) {
    uint8_t buf[kMaxMessage];
    Builder b(buf, Class::Request, TransactionId::random());
    b.addUsername("a", "b");
    auto k = key("pw");
    b.addMessageIntegrity(k);
    b.addPriority(5);  // after integrity: not to be believed
    b.addAttribute(0x0042, {});
    auto m = parse(b.finish());
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(m->priority);
    EXPECT_EQ(m->unknownCount, 0);
    EXPECT_TRUE(verifyIntegrity(*m, k));
}

TEST(Stun, EveryTruncationOfTheVectorsIsRejected) {
    for (const auto* vec : {&kRequest, &kResponseV4, &kResponseV6, &kLongTermRequest}) {
        for (size_t n = 0; n < vec->size(); n++) {
            auto m = parse(std::span(*vec).first(n));
            EXPECT_FALSE(m.ok()) << "length " << n;
        }
    }
}

TEST(Stun, TruncationsWithAFixedUpLengthFieldAreRejectedOrVerifyNothing) {
    // A prefix whose header length is patched to match: every attribute cut
    // in the middle is refused; cuts on attribute boundaries parse but the
    // fingerprint (and so the message as sent) is gone.
    for (size_t n = kHeaderSize; n < kRequest.size(); n += 1) {
        std::vector<uint8_t> cut(kRequest.begin(), kRequest.begin() + long(n));
        cut[2] = uint8_t((n - kHeaderSize) >> 8);
        cut[3] = uint8_t(n - kHeaderSize);
        auto m = parse(cut);
        if (m.ok()) {
            EXPECT_EQ(m->fingerprintOffset, 0u);
            auto k = key(kPassword);
            // Integrity still verifies when the cut is after it.
            if (m->integrityOffset) {
                EXPECT_TRUE(verifyIntegrity(*m, k));
            }
        }
    }
}

TEST(Stun, MalformedHeadersAreRejected) {
    auto v = kRequest;
    v[0] |= 0x80;
    EXPECT_EQ(parse(v).error().reason, "not STUN");
    v = kRequest;
    v[5] ^= 1;
    EXPECT_EQ(parse(v).error().reason, "no cookie");
    v = kRequest;
    v[3] += 1;
    EXPECT_FALSE(parse(v).ok());
    v = kRequest;
    v.push_back(0);
    v.push_back(0);
    v.push_back(0);
    v.push_back(0);
    EXPECT_FALSE(parse(v).ok()) << "trailing octets not covered by the length";
}

TEST(Stun, WrongFingerprintIsRejected) {
    auto v = kRequest;
    v.back() ^= 1;
    EXPECT_EQ(parse(v).error().reason, "bad fingerprint");
}

TEST(Stun, TamperedContentFailsIntegrity) {
    auto v = kRequest;
    v[kHeaderSize + 4] ^= 0x20;  // inside SOFTWARE; fingerprint redone
    v.resize(v.size() - 8);
    v[3] -= 8;
    auto k = key(kPassword);
    auto m = parse(v);
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(verifyIntegrity(*m, k));
}

TEST(Stun, KnownAttributesOfTheWrongSizeAreRejected) {
    struct Case {
        uint16_t type;
        size_t len;
    } cases[] = {{attr::Priority, 3},
                 {attr::Priority, 8},
                 {attr::UseCandidate, 4},
                 {attr::IceControlling, 4},
                 {attr::IceControlled, 12},
                 {attr::MessageIntegrity, 16},
                 {attr::MessageIntegritySha256, 12},
                 {attr::MessageIntegritySha256, 36},
                 {attr::MessageIntegritySha256, 18},
                 {attr::XorMappedAddress, 4},
                 {attr::Fingerprint, 8},
                 {attr::ErrorCode, 2},
                 {attr::UnknownAttributes, 3},
                 {attr::Username, 514}};
    for (const auto& c : cases) {
        uint8_t buf[1024];
        Builder b(buf, Class::Request, TransactionId::random());
        std::vector<uint8_t> value(c.len, 0);
        if (c.type == attr::XorMappedAddress && c.len >= 2) value[1] = 1;
        b.addAttribute(c.type, value);
        ASSERT_TRUE(b.ok());
        EXPECT_FALSE(parse(b.finish()).ok()) << std::hex << c.type << " len " << std::dec << c.len;
    }
}

TEST(Stun, BadErrorCodesAndAddressFamiliesAreRejected) {
    uint8_t buf[kMaxMessage];
    {
        Builder b(buf, Class::Error, TransactionId::random());
        const uint8_t v[4] = {0, 0, 2, 99};  // class 2 is not an error
        b.addAttribute(attr::ErrorCode, v);
        EXPECT_FALSE(parse(b.finish()).ok());
    }
    {
        Builder b(buf, Class::Error, TransactionId::random());
        EXPECT_EQ(parse(b.finish()).error().reason, "no error code");
    }
    {
        Builder b(buf, Class::Success, TransactionId::random());
        const uint8_t v[8] = {0, 3, 0, 0, 0, 0, 0, 0};
        b.addAttribute(attr::XorMappedAddress, v);
        EXPECT_FALSE(parse(b.finish()).ok());
    }
}

TEST(Stun, AnythingAfterFingerprintIsRejected) {
    uint8_t buf[kMaxMessage];
    Builder b(buf, Class::Request, TransactionId::random());
    b.addFingerprint();
    b.addPriority(1);
    EXPECT_FALSE(parse(b.finish()).ok());
}

TEST(Stun, BuilderRefusesWhatDoesNotFit) {
    uint8_t buf[40];
    Builder b(buf, Class::Request, TransactionId::random());
    b.addUsername("a-long-username-that-is", "longer-than-the-buffer");
    EXPECT_FALSE(b.ok());
    EXPECT_TRUE(b.finish().empty());
}

TEST(Stun, Crc32MatchesTheCheckValue) {
    const std::string s = "123456789";
    EXPECT_EQ(crc32(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size())), 0xCBF43926u);
}

TEST(Stun, LooksLikeStunNeedsTheCookie) {
    EXPECT_TRUE(looksLikeStun(kRequest));
    auto v = kRequest;
    v[4] = 0;
    EXPECT_FALSE(looksLikeStun(v));
    EXPECT_FALSE(looksLikeStun(std::span(kRequest).first(19)));
}

TEST(Stun, ParsingAllocatesNothingAlsoOnError) {
    auto k = key(kPassword);
    std::vector<std::vector<uint8_t>> inputs = {kRequest, kResponseV4, kResponseV6,
                                                kLongTermRequest};
    for (size_t n = 0; n < kRequest.size(); n += 7)
        inputs.emplace_back(kRequest.begin(), kRequest.begin() + long(n));
    auto bad = kRequest;
    bad.back() ^= 1;
    inputs.push_back(bad);
    const auto before = test::allocations();
    for (const auto& in : inputs) {
        auto m = parse(in);
        if (m) (void)verifyIntegrity(*m, k);
    }
    EXPECT_EQ(test::allocations(), before);
}
