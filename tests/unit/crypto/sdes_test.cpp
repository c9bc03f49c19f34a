#include "crypto/sdes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hex.h"

using namespace ngm::crypto;
using ngm::crypto::test::hex;

namespace {

constexpr std::string_view kRfcKey = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
constexpr std::string_view kRfcKeyHex =
    "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051";

SdesCrypto parseOk(std::string_view v) {
    auto r = parseCrypto(v);
    EXPECT_TRUE(r) << v << ": " << (r ? "" : r.error().reason);
    return r ? *r : SdesCrypto{};
}

void expectRoundTrip(std::string_view v) {
    auto a = parseCrypto(v);
    ASSERT_TRUE(a) << v << ": " << a.error().reason;
    const std::string w = writeCrypto(*a);
    auto b = parseCrypto(w);
    ASSERT_TRUE(b) << w << ": " << b.error().reason;
    EXPECT_EQ(*a, *b) << v << " -> " << w;
    EXPECT_EQ(writeCrypto(*b), w);
}

}  // namespace

// RFC 4568 §8.1's example.
TEST(Sdes, RfcExample) {
    const auto c = parseOk(
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4");
    EXPECT_EQ(c.tag, 1u);
    EXPECT_EQ(c.suiteName, "AES_CM_128_HMAC_SHA1_80");
    ASSERT_TRUE(c.suite);
    EXPECT_EQ(*c.suite, SrtpSuite::AesCm128HmacSha1_80);
    ASSERT_EQ(c.keyParams.size(), 1u);
    const auto& kp = c.keyParams[0];
    EXPECT_EQ(kp.keySalt, hex(kRfcKeyHex));
    ASSERT_TRUE(kp.lifetime);
    EXPECT_EQ(kp.lifetime->value, 20u);
    EXPECT_TRUE(kp.lifetime->powerOfTwo);
    ASSERT_TRUE(kp.mki);
    EXPECT_EQ(kp.mki->value, 1u);
    EXPECT_EQ(kp.mki->length, 4u);
    EXPECT_EQ(c.params, SdesSessionParams{});
    EXPECT_EQ(writeCrypto(c),
              "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4");
}

TEST(Sdes, RfcExampleMkiLength32AndSha1_32) {
    const auto c = parseOk(
        "1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32");
    ASSERT_TRUE(c.suite);
    EXPECT_EQ(*c.suite, SrtpSuite::AesCm128HmacSha1_32);
    ASSERT_TRUE(c.keyParams[0].mki);
    EXPECT_EQ(c.keyParams[0].mki->length, 32u);
}

TEST(Sdes, KeyOnlyAndDecimalLifetime) {
    auto c = parseOk("7 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    EXPECT_EQ(c.tag, 7u);
    EXPECT_FALSE(c.keyParams[0].lifetime);
    EXPECT_FALSE(c.keyParams[0].mki);

    c = parseOk(
        "2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1048576");
    ASSERT_TRUE(c.keyParams[0].lifetime);
    EXPECT_EQ(c.keyParams[0].lifetime->value, 1048576u);
    EXPECT_FALSE(c.keyParams[0].lifetime->powerOfTwo);
    EXPECT_FALSE(c.keyParams[0].mki);

    // MKI without a lifetime.
    c = parseOk("2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|5:2");
    EXPECT_FALSE(c.keyParams[0].lifetime);
    ASSERT_TRUE(c.keyParams[0].mki);
    EXPECT_EQ(c.keyParams[0].mki->value, 5u);
    EXPECT_EQ(c.keyParams[0].mki->length, 2u);
}

TEST(Sdes, SeveralKeyParams) {
    const auto c = parseOk(
        "1 AES_CM_128_HMAC_SHA1_80 "
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^20|2:4;"
        "inline:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB|2^20|3:4");
    ASSERT_EQ(c.keyParams.size(), 3u);
    EXPECT_EQ(c.keyParams[0].keySalt, hex(kRfcKeyHex));
    EXPECT_EQ(c.keyParams[1].keySalt[0], 0);
    EXPECT_EQ(c.keyParams[1].keySalt[29], 29);
    EXPECT_EQ(c.keyParams[2].keySalt[0], 100);
    EXPECT_EQ(c.keyParams[2].mki->value, 3u);
    expectRoundTrip(
        "1 AES_CM_128_HMAC_SHA1_80 "
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
        "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^20|2:4");
}

TEST(Sdes, SessionParams) {
    const auto c = parseOk(
        "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR "
        "UNENCRYPTED_SRTCP KDR=24  UNAUTHENTICATED_SRTP\tFEC_ORDER=SRTP_FEC WSH=128 "
        "UNENCRYPTED_SRTP FEC_KEY=inline:x|1 X-FOO=bar");
    const auto& p = c.params;
    EXPECT_TRUE(p.unencryptedSrtp);
    EXPECT_TRUE(p.unencryptedSrtcp);
    EXPECT_TRUE(p.unauthenticatedSrtp);
    EXPECT_EQ(p.kdr, 24);
    EXPECT_EQ(p.fecOrder, SdesFecOrder::SrtpFec);
    EXPECT_EQ(p.wsh, 128u);
    EXPECT_EQ(p.other, (std::vector<std::string>{"FEC_KEY=inline:x|1", "X-FOO=bar"}));
    EXPECT_EQ(writeCrypto(c),
              "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR "
              "UNENCRYPTED_SRTP UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP KDR=24 "
              "FEC_ORDER=SRTP_FEC WSH=128 FEC_KEY=inline:x|1 X-FOO=bar");
    expectRoundTrip(writeCrypto(c));
}

TEST(Sdes, EverySuiteKeyLength) {
    // rtpengine's own offer lines (see sdes.h), unpadded base64.
    const char* lines[] = {
        "1 AEAD_AES_256_GCM inline:ya9oBEoVlT6yf8p+NgB6s20PCl/OZj6qKu7SZ8/43tlwyLSNDiGqvQLljjo",
        "2 AEAD_AES_128_GCM inline:eLvd0JeOsrLdejEYwpJ3YO/sMF4KrH5AV4EWAA",
        "3 AES_256_CM_HMAC_SHA1_80 "
        "inline:4qpclLXGZkL8mUt2/tU0P7dpg9iiFFBukRoyJneGpOHA4BNxqpL9jDBx4Y8ipg",
        "4 AES_256_CM_HMAC_SHA1_32 "
        "inline:WSPjzBW3wt8jhykWzROGnBsE9RdiG1VKcfk3VcqFpbfLyaNndBfhu43sM5z45Q",
        "5 AES_192_CM_HMAC_SHA1_80 inline:iYu+76gKqrtiRvfJXrHkHMyJRnMIkYGhVXjYhjcXYhtsoLEIaQM",
        "6 AES_192_CM_HMAC_SHA1_32 inline:3C0y5bdYyPrgMN4AgV7qqlkrHH1+ISjMwCTwAmGu7+6U3emrJYs",
        "7 AES_CM_128_HMAC_SHA1_80 inline:Rruv+zhmKFi8zkoQTq3mf5F1DFkJ+6UJHV1z05pG",
        "8 AES_CM_128_HMAC_SHA1_32 inline:aMu68ygor5qvWMfiqXjcV0LMiFXcf6/dhVEnp0UO",
        "9 F8_128_HMAC_SHA1_80 inline:6IHUJr2ewqpvzxHLSeoiCbwZo2q485dZ6LcyxkpS",
        "10 F8_128_HMAC_SHA1_32 inline:gQ94NpWL4oVRiwx+38ruIcirDHmrrbfdLQQtWbzF",
        "11 NULL_HMAC_SHA1_80 inline:6oeOfIZpN/kuF2R/ZXG2WWdoH6je4r/v+J7pRRAH",
        "12 NULL_HMAC_SHA1_32 inline:jI75iSfYyfvGDlj7ZinGSv00+lZRyoFVXo81r/oO",
    };
    uint32_t tag = 1;
    for (const char* line : lines) {
        const auto c = parseOk(line);
        EXPECT_EQ(c.tag, tag);
        EXPECT_EQ(c.suiteName, offeredSuites()[tag - 1]);
        ++tag;
        // Written back exactly as rtpengine wrote it.
        EXPECT_EQ(writeCrypto(c), line);
        ASSERT_TRUE(c.suite) << line;
        const auto& info = suiteInfo(*c.suite);
        EXPECT_EQ(c.keyParams[0].keySalt.size(), size_t(info.masterKeyLen) + info.masterSaltLen);
    }
}

TEST(Sdes, PaddedBase64Accepted) {
    const auto c = parseOk("2 AEAD_AES_128_GCM inline:eLvd0JeOsrLdejEYwpJ3YO/sMF4KrH5AV4EWAA==");
    EXPECT_EQ(c.keyParams[0].keySalt,
              hex("78bbddd0978eb2b2dd7a3118c2927760efec305e0aac7e4057811600"));
    EXPECT_EQ(writeCrypto(c), "2 AEAD_AES_128_GCM inline:eLvd0JeOsrLdejEYwpJ3YO/sMF4KrH5AV4EWAA");
}

// rtpengine 10.5.3.5's offer for RTP/AVP -> RTP/SAVP, recorded (see sdes.h).
TEST(Sdes, OfferedSuitesAreRtpengines) {
    const std::vector<std::string_view> expected = {
        "AEAD_AES_256_GCM",        "AEAD_AES_128_GCM",        "AES_256_CM_HMAC_SHA1_80",
        "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32",
        "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "F8_128_HMAC_SHA1_80",
        "F8_128_HMAC_SHA1_32",     "NULL_HMAC_SHA1_80",       "NULL_HMAC_SHA1_32",
    };
    const auto got = offeredSuites();
    EXPECT_EQ(std::vector<std::string_view>(got.begin(), got.end()), expected);
    for (auto name : got) EXPECT_TRUE(suiteByName(name).has_value()) << name;
}

TEST(Sdes, UnknownSuiteIsFlaggedNotFatal) {
    const auto c = parseOk("5 FOO_BAR_99 inline:QUJD|2^10");
    EXPECT_FALSE(c.known());
    EXPECT_EQ(c.suiteName, "FOO_BAR_99");
    EXPECT_EQ(c.keyParams[0].keySalt, (std::vector<uint8_t>{'A', 'B', 'C'}));
    expectRoundTrip("5 FOO_BAR_99 inline:QUJD|2^10");
    // Syntax is still checked.
    EXPECT_FALSE(parseCrypto("5 FOO_BAR_99 key:QUJD"));
    EXPECT_FALSE(parseCrypto("5 FOO-BAR inline:QUJD"));
}

TEST(Sdes, GenerateCrypto) {
    std::vector<uint8_t> bytes(30);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i);
    auto c = generateCrypto(7, SrtpSuite::AesCm128HmacSha1_80, bytes);
    ASSERT_TRUE(c);
    EXPECT_EQ(writeCrypto(*c),
              "7 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
    expectRoundTrip(writeCrypto(*c));
    EXPECT_FALSE(generateCrypto(7, SrtpSuite::AeadAes128Gcm, bytes));  // wants 28
    bytes.resize(28);
    auto g = generateCrypto(2, SrtpSuite::AeadAes128Gcm, bytes);
    ASSERT_TRUE(g);
    EXPECT_EQ(writeCrypto(*g).size(), std::string("2 AEAD_AES_128_GCM inline:").size() + 38);
}

TEST(Sdes, Base64) {
    for (size_t n = 0; n < 40; ++n) {
        std::vector<uint8_t> d(n);
        for (size_t i = 0; i < n; ++i) d[i] = uint8_t(i * 37 + 11);
        for (bool pad : {false, true}) {
            const auto e = base64Encode(d, pad);
            if (pad) {
                EXPECT_EQ(e.size() % 4, 0u);
            }
            auto back = base64Decode(e);
            ASSERT_TRUE(back) << e;
            EXPECT_EQ(*back, d);
        }
    }
    EXPECT_FALSE(base64Decode("A"));
    EXPECT_FALSE(base64Decode("AB="));  // padding not completing a group
    EXPECT_FALSE(base64Decode("A==="));
    EXPECT_FALSE(base64Decode("AB=C"));
    EXPECT_FALSE(base64Decode("ABC=="));
    EXPECT_FALSE(base64Decode("AB-_"));  // URL alphabet
    EXPECT_FALSE(base64Decode("AB C"));
}

TEST(Sdes, RoundTrips) {
    for (const char* v : {
             "0 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
             "999999999 AES_CM_128_HMAC_SHA1_80 "
             "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|281474976710656",
             "1 AES_CM_128_HMAC_SHA1_80 "
             "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^48|18446744073709551615:128",
             "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^0|255:1 "
             "KDR=0 WSH=64",
             "01 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR "
             "FEC_ORDER=FEC_SRTP  ",
         })
        expectRoundTrip(v);
}

TEST(Sdes, MalformedIsAnError) {
    const std::string k(kRfcKey);
    const std::string s = "1 AES_CM_128_HMAC_SHA1_80 ";
    const std::vector<std::string> bad = {
        "",
        "   ",
        "1",
        "1 AES_CM_128_HMAC_SHA1_80",
        // tag
        "x " + s.substr(2) + "inline:" + k,
        "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + k,  // huge tag (10 digits)
        "99999999999999999999999 AES_CM_128_HMAC_SHA1_80 inline:" + k,
        "-1 AES_CM_128_HMAC_SHA1_80 inline:" + k,
        // key
        s + k,                                                      // missing inline:
        s + "inline:",                                              // empty key
        s + "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",      // bad base64
        s + "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB",       // 29 octets + 6 bits
        s + "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRAAAA",  // 33 octets
        s + "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYX",              // 24 octets
        "1 AEAD_AES_128_GCM inline:" + k,                           // 30, wants 28
        // lifetime
        s + "inline:" + k + "|",
        s + "inline:" + k + "|2^",
        s + "inline:" + k + "|2^x",
        s + "inline:" + k + "|2^49",
        s + "inline:" + k + "|3^20",
        s + "inline:" + k + "|0",
        s + "inline:" + k + "|abc",
        s + "inline:" + k + "|281474976710657",
        s + "inline:" + k + "|99999999999999999999999",
        s + "inline:" + k + "|2^20|2^20",
        // MKI
        s + "inline:" + k + "|2^20|:4",
        s + "inline:" + k + "|2^20|1:0",
        s + "inline:" + k + "|2^20|1:129",
        s + "inline:" + k + "|2^20|256:1",
        s + "inline:" + k + "|2^20|a:4",
        s + "inline:" + k + "|2^20|1:4:5",
        s + "inline:" + k + "|2^20|99999999999999999999999:16",
        s + "inline:" + k + "|1:4|2^20",
        // trailing garbage
        s + "inline:" + k + "|2^20|1:4|x",
        s + "inline:" + k + "|2^20|1:4garbage",
        s + "inline:" + k + ";",
        s + "inline:" + k + ";garbage",
        s + "inline:" + k + "\r\n",
        s + "inline:" + k + " \x01",
        std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + k + '\0',
        // session params
        s + "inline:" + k + " KDR=25",
        s + "inline:" + k + " KDR=",
        s + "inline:" + k + " KDR=1 KDR=1",
        s + "inline:" + k + " WSH=63",
        s + "inline:" + k + " WSH=99999999999",
        s + "inline:" + k + " FEC_ORDER=X",
    };
    for (const auto& v : bad) {
        auto r = parseCrypto(v);
        EXPECT_FALSE(r) << "accepted: " << v;
        if (!r) {
            EXPECT_TRUE(r.error().reason.starts_with("a=crypto: ")) << r.error().reason;
        }
    }
}

TEST(Sdes, Bounds) {
    std::string v = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey);
    for (size_t i = 1; i < kSdesMaxKeyParams; ++i) v += ";inline:" + std::string(kRfcKey);
    EXPECT_TRUE(parseCrypto(v));
    EXPECT_FALSE(parseCrypto(v + ";inline:" + std::string(kRfcKey)));

    std::string w = "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kRfcKey);
    for (size_t i = 0; i < kSdesMaxSessionParams; ++i) w += " X" + std::to_string(i);
    EXPECT_TRUE(parseCrypto(w));
    EXPECT_FALSE(parseCrypto(w + " Y"));
}

// rtpengine 10.5 takes an MKI field without a length ("|1:") as no MKI.
TEST(Sdes, MkiWithoutLengthIsTakenAsNoMki) {
    auto c = parseCrypto("4 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|1:");
    ASSERT_TRUE(c) << c.error().reason;
    ASSERT_EQ(c->keyParams.size(), 1u);
    EXPECT_FALSE(c->keyParams[0].mki);
}

// The SrtpOptions an a=crypto line gives its SrtpContext.
TEST(Sdes, SrtpOptionsFromKeyParamAndSessionParams) {
    const auto c = parseOk(
        "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4 "
        "UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP");
    const SrtpOptions o = srtpOptions(c, c.keyParams[0]);
    EXPECT_EQ(o.mki, (std::vector<uint8_t>{0, 0, 0, 1}));
    EXPECT_EQ(o.lifetime, uint64_t(1) << 20);
    EXPECT_FALSE(o.unencryptedSrtp);
    EXPECT_TRUE(o.unencryptedSrtcp);
    EXPECT_TRUE(o.unauthenticatedSrtp);

    const auto d = parseOk(
        "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1066|258:2 "
        "UNENCRYPTED_SRTP");
    const SrtpOptions p = srtpOptions(d, d.keyParams[0]);
    EXPECT_EQ(p.mki, (std::vector<uint8_t>{0x01, 0x02}));
    EXPECT_EQ(p.lifetime, 1066u);
    EXPECT_TRUE(p.unencryptedSrtp);
    EXPECT_FALSE(p.unencryptedSrtcp);

    const auto e =
        parseOk("3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    const SrtpOptions q = srtpOptions(e, e.keyParams[0]);
    EXPECT_TRUE(q.mki.empty());
    EXPECT_EQ(q.lifetime, 0u);
    // A 32-octet MKI: the value in the last octets.
    const auto f = parseOk(
        "1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|513:32");
    const SrtpOptions r = srtpOptions(f, f.keyParams[0]);
    std::vector<uint8_t> mki32(32, 0);
    mki32[30] = 2;
    mki32[31] = 1;
    EXPECT_EQ(r.mki, mki32);
    // And an SrtpContext takes them.
    EXPECT_TRUE(SrtpContext::create(*f.suite, std::span(f.keyParams[0].keySalt).first(16),
                                    std::span(f.keyParams[0].keySalt).subspan(16), r));
}

// The F8 suites resolve (AES-f8 is implemented) and key a context.
TEST(Sdes, F8SuitesResolve) {
    const auto c = parseOk("9 F8_128_HMAC_SHA1_80 inline:6IHUJr2ewqpvzxHLSeoiCbwZo2q485dZ6LcyxkpS");
    ASSERT_TRUE(c.suite);
    EXPECT_EQ(*c.suite, SrtpSuite::F8_128HmacSha1_80);
    const auto d =
        parseOk("10 F8_128_HMAC_SHA1_32 inline:gQ94NpWL4oVRiwx+38ruIcirDHmrrbfdLQQtWbzF");
    ASSERT_TRUE(d.suite);
    EXPECT_EQ(*d.suite, SrtpSuite::F8_128HmacSha1_32);
    const auto& kp = c.keyParams[0].keySalt;
    EXPECT_TRUE(SrtpContext::create(*c.suite, std::span(kp).first(16), std::span(kp).subspan(16)));
}
