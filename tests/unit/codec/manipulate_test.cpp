#include "codec/manipulate.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec_fixtures.h"

namespace ngm::codec {
namespace {

using testing::codec;

// PCMU, PCMA, G722, opus, telephone-event: a typical offer.
CodecList offerList() {
    return {codec("0", "PCMU", 8000), codec("8", "PCMA", 8000), codec("9", "G722", 8000),
            codec("96", "opus", 48000, "2"), codec("101", "telephone-event", 8000)};
}

std::string formats(const CodecList& l) {
    std::string s;
    for (const auto& c : l) {
        if (!s.empty()) s += ' ';
        s += c.format;
    }
    return s;
}

// ---- manipulateCodecs ----

TEST(ManipulateCodecs, NoFlagsKeepsList) {
    EXPECT_EQ(formats(manipulateCodecs(offerList(), {})), "0 8 9 96 101");
}

TEST(ManipulateCodecs, StripRemovesNamedCodecsCaseInsensitively) {
    CodecFlags f;
    f.strip = {"pcma", "OPUS"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 9 101");
}

TEST(ManipulateCodecs, StripByFullFormRemovesOnlyMatchingRate) {
    CodecFlags f;
    f.strip = {"opus/48000/2", "PCMU/16000"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 101");
}

TEST(ManipulateCodecs, StripTelephoneEventRemovesIt) {
    CodecFlags f;
    f.strip = {"telephone-event"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96");
}

TEST(ManipulateCodecs, StripByPayloadNumberOrAbsentNameHasNoEffect) {
    CodecFlags f;
    f.strip = {"8", "#8", "G729"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96 101");
}

TEST(ManipulateCodecs, StripAllAloneKeepsOriginalList) {
    CodecFlags f;
    f.strip = {"all"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96 101");
}

TEST(ManipulateCodecs, StrippingEveryCodecByNameKeepsOriginalList) {
    CodecFlags f;
    f.strip = {"PCMU", "PCMA"};
    CodecList two{codec("0", "PCMU", 8000), codec("8", "PCMA", 8000)};
    EXPECT_EQ(formats(manipulateCodecs(two, f)), "0 8");
}

TEST(ManipulateCodecs, StripAllWithExceptKeepsListedInOriginalOrder) {
    CodecFlags f;
    f.strip = {"all"};
    f.except = {"telephone-event", "PCMA", "opus"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "8 96 101");
}

TEST(ManipulateCodecs, ExceptWithoutStripAllHasNoEffect) {
    CodecFlags f;
    f.except = {"PCMA"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96 101");
}

TEST(ManipulateCodecs, OfferWithoutStripAllDoesNotReorder) {
    CodecFlags f;
    f.offer = {"opus", "PCMA"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96 101");
}

TEST(ManipulateCodecs, StripAllWithOfferUsesOfferOrderAndIgnoresAbsent) {
    CodecFlags f;
    f.strip = {"all"};
    f.offer = {"opus", "G729", "PCMA"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "96 8");
}

TEST(ManipulateCodecs, StripAllOfferedCodecsComeBeforeExceptedOnes) {
    CodecFlags f;
    f.strip = {"all"};
    f.offer = {"G722"};
    f.except = {"PCMU", "telephone-event", "G722"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "9 0 101");
}

TEST(ManipulateCodecs, StripAllWithOnlyAbsentCodecsKeepsOriginalList) {
    CodecFlags f;
    f.strip = {"full"};
    f.offer = {"G729"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "0 8 9 96 101");
}

TEST(ManipulateCodecs, MaskRemovesLikeStrip) {
    CodecFlags f;
    f.mask = {"PCMU"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "8 9 96 101");
}

TEST(ManipulateCodecs, MaskAllActsAsStripAll) {
    CodecFlags f;
    f.mask = {"all"};
    f.except = {"PCMA"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "8");
}

TEST(ManipulateCodecs, KeptCodecsCarryTheirAttributes) {
    CodecList in = offerList();
    in[4].fmtp = "0-16";
    in[3].rtcpFb = {"nack"};
    CodecFlags f;
    f.strip = {"PCMU"};
    CodecList out = manipulateCodecs(in, f);
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[2].rtcpFb, std::vector<std::string>{"nack"});
    EXPECT_EQ(out[3].fmtp, "0-16");
}

TEST(ManipulateCodecs, StripKeepsTheOrderOfTheRest) {
    CodecList in{codec("101", "telephone-event", 8000), codec("9", "G722", 8000),
                 codec("8", "PCMA", 8000), codec("0", "PCMU", 8000)};
    CodecFlags f;
    f.strip = {"PCMA"};
    EXPECT_EQ(formats(manipulateCodecs(in, f)), "101 9 0");
}

TEST(ManipulateCodecs, StripAndMaskTogetherRemoveBoth) {
    CodecFlags f;
    f.strip = {"PCMU"};
    f.mask = {"opus"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "8 9 101");
}

TEST(ManipulateCodecs, StripAllWithTranscodeKeepsItLikeExcept) {
    CodecFlags f;
    f.strip = {"all"};
    f.transcode = {"G722"};
    EXPECT_EQ(formats(manipulateCodecs(offerList(), f)), "9");
}

// ---- sameCodec ----

TEST(SameCodec, SamePayloadTypeAndCodecAnyCaseWithDefaultChannels) {
    EXPECT_TRUE(sameCodec(codec("96", "opus", 48000, "2"), codec("96", "OPUS", 48000, "2")));
    EXPECT_TRUE(sameCodec(codec("0", "PCMU", 8000), codec("0", "PCMU", 8000, "1")));
    EXPECT_FALSE(sameCodec(codec("96", "opus", 48000, "2"), codec("97", "opus", 48000, "2")));
    EXPECT_FALSE(sameCodec(codec("96", "opus", 48000, "2"), codec("96", "opus", 48000, "1")));
    EXPECT_FALSE(sameCodec(codec("96", "opus", 48000), codec("96", "opus", 16000)));
}

TEST(SameCodec, UnknownEncodingsMatchOnlyEachOther) {
    Codec unknown = codec("96", "", 0);
    EXPECT_TRUE(sameCodec(unknown, unknown));
    EXPECT_FALSE(sameCodec(unknown, codec("96", "opus", 48000)));
}

// ---- offeredOnly ----

TEST(OfferedOnly, KeepsAnsweredCodecsThatWereOfferedInAnswerOrder) {
    CodecList answer{codec("101", "telephone-event", 8000), codec("18", "G729", 8000),
                     codec("8", "PCMA", 8000), codec("0", "PCMU", 8000)};
    EXPECT_EQ(formats(offeredOnly(answer, offerList())), "101 8 0");
}

TEST(OfferedOnly, ThePayloadTypeMustNameTheSameCodec) {
    CodecList answer{codec("96", "opus", 48000, "1"), codec("8", "PCMA", 8000)};
    EXPECT_EQ(formats(offeredOnly(answer, offerList())), "8");
}

TEST(OfferedOnly, NothingInCommonFallsBackToTheFirstOfferedMediaCodec) {
    CodecList offered{codec("101", "telephone-event", 8000), codec("13", "CN", 8000),
                      codec("8", "PCMA", 8000), codec("0", "PCMU", 8000)};
    CodecList answer{codec("18", "G729", 8000)};
    EXPECT_EQ(formats(offeredOnly(answer, offered)), "8");
}

TEST(OfferedOnly, NothingInCommonAndNoMediaCodecOfferedIsEmpty) {
    CodecList offered{codec("101", "telephone-event", 8000)};
    EXPECT_EQ(formats(offeredOnly({codec("0", "PCMU", 8000)}, offered)), "");
}

// ---- firstCodecAndDtmf ----

TEST(FirstCodecAndDtmf, KeepsTheFirstCodecAndTelephoneEvents) {
    EXPECT_EQ(formats(firstCodecAndDtmf(offerList())), "0 101");
    EXPECT_EQ(formats(firstCodecAndDtmf({codec("8", "PCMA", 8000)})), "8");
    EXPECT_EQ(formats(firstCodecAndDtmf({})), "");
}

}  // namespace
}  // namespace ngm::codec
