#include "session/sdes_negotiation.h"

#include <gtest/gtest.h>

namespace ngm::session {
namespace {

crypto::SdesCrypto line(const char* v) {
    auto c = crypto::parseCrypto(v);
    EXPECT_TRUE(c) << v;
    return *c;
}

constexpr const char* kA80 = "1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:4";
constexpr const char* kB80 = "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";

TEST(SdesOptions, ValuesOfTheKeyAndTheFlags) {
    auto o = sdesOptions({"off", "pad", "lifetime", "static", "UNENCRYPTED_SRTP", "encrypted_srtcp",
                          "no-NULL_HMAC_SHA1_32", "Unauthenticated_srtp"});
    EXPECT_TRUE(o.off && o.pad && o.lifetime && o.staticKeys);
    EXPECT_EQ(o.unencryptedSrtp, true);
    EXPECT_EQ(o.unencryptedSrtcp, false);
    EXPECT_FALSE(o.unauthenticatedSrtp) << "mixed case is not taken";
    EXPECT_TRUE(o.excludes("NULL_HMAC_SHA1_32"));
    EXPECT_FALSE(o.excludes("NULL_HMAC_SHA1_80"));
}

TEST(SdesNegotiation, OfferCopiesTheOfferersLinesThenAddsTheOtherSuitesInOrder) {
    MediaSdes a, b;
    a.in = {line(kA80)};
    offerSdes(a, b, {});
    ASSERT_EQ(b.out.size(), 12u);
    EXPECT_EQ(b.out[0].tag, 1u);
    EXPECT_EQ(b.out[0].keyParams[0].keySalt, a.in[0].keyParams[0].keySalt) << "the offerer's key";
    EXPECT_FALSE(b.out[0].keyParams[0].lifetime) << "lifetime dropped";
    EXPECT_TRUE(b.out[0].keyParams[0].mki) << "MKI kept";
    EXPECT_EQ(b.out[1].suiteName, "AEAD_AES_256_GCM");
    EXPECT_EQ(b.out[1].tag, 2u);
    EXPECT_EQ(b.out[11].suiteName, "NULL_HMAC_SHA1_32");
    EXPECT_NE(b.out[1].keyParams[0].keySalt, b.out[2].keyParams[0].keySalt);
}

TEST(SdesNegotiation, AnswerWithTheOfferersKeyIsPassThrough) {
    MediaSdes a, b;
    a.in = {line(kA80)};
    offerSdes(a, b, {});
    b.in = {line(kB80)};
    answerSdes(b, true, a, true);
    EXPECT_TRUE(a.passthrough && b.passthrough);
    ASSERT_TRUE(a.send && b.send);
    EXPECT_EQ(a.send->keyParams[0].keySalt, b.in[0].keyParams[0].keySalt);
    EXPECT_EQ(b.send->keyParams[0].keySalt, a.in[0].keyParams[0].keySalt);
}

TEST(SdesNegotiation, PlainAnswererGetsTheOffererAKeyOfOursKeptAcrossReAnswers) {
    MediaSdes a, b;
    a.in = {line(kA80)};
    offerSdes(a, b, {});
    answerSdes(b, false, a, true);
    EXPECT_FALSE(a.passthrough);
    ASSERT_TRUE(a.send && a.recv);
    EXPECT_EQ(a.send->tag, 1u);
    EXPECT_NE(a.send->keyParams[0].keySalt, a.in[0].keyParams[0].keySalt);
    auto first = *a.send;
    offerSdes(a, b, {});
    answerSdes(b, false, a, true);
    EXPECT_EQ(*a.send, first);
    EXPECT_EQ(cryptoAttributes(a, false).size(), 1u);
}

TEST(SdesNegotiation, OffOffersNothingAndLifetimeMarksGeneratedKeys) {
    MediaSdes a, b;
    SdesOptions off;
    off.off = true;
    offerSdes(a, b, off);
    EXPECT_TRUE(b.out.empty());
    SdesOptions lt;
    lt.lifetime = true;
    offerSdes(a, b, lt);
    ASSERT_FALSE(b.out.empty());
    std::string w = crypto::writeCrypto(b.out[0]);
    EXPECT_TRUE(w.ends_with("|2^31")) << w;
}

}  // namespace
}  // namespace ngm::session
