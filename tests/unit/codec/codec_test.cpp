#include "codec/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec_fixtures.h"

namespace ngm::codec {
namespace {

using testing::codec;

// ---- static payload types ----

TEST(StaticPayloadType, Rfc3551TableAsRtpengineWritesIt) {
    struct Row {
        int pt;
        const char* rtpmap;
    } rows[] = {
        {0, "PCMU/8000"},   {3, "GSM/8000"},     {4, "G723/8000"},   {5, "DVI4/8000"},
        {6, "DVI4/16000"},  {7, "LPC/8000"},     {8, "PCMA/8000"},   {9, "G722/8000"},
        {10, "L16/44100"},  {11, "L16/44100/2"}, {12, "QCELP/8000"}, {13, "CN/8000"},
        {14, "MPA/90000"},  {15, "G728/8000"},   {16, "DVI4/11025"}, {17, "DVI4/22050"},
        {18, "G729/8000"},  {25, "CelB/90000"},  {26, "JPEG/90000"}, {28, "nv/90000"},
        {31, "H261/90000"}, {32, "MPV/90000"},   {33, "MP2T/90000"}, {34, "H263/90000"},
    };
    for (const auto& r : rows) {
        Codec c;
        ASSERT_TRUE(staticPayloadType(r.pt, c)) << r.pt;
        EXPECT_EQ(c.rtpmapValue(), r.rtpmap) << r.pt;
    }
}

TEST(StaticPayloadType, Pt10IsMonoAndPt11IsStereoL16At44100) {
    Codec ten, eleven;
    ASSERT_TRUE(staticPayloadType(10, ten));
    ASSERT_TRUE(staticPayloadType(11, eleven));
    EXPECT_EQ(ten.encoding, "L16");
    EXPECT_EQ(ten.clockRate, 44100);
    EXPECT_EQ(ten.params, "");
    EXPECT_EQ(eleven.encoding, "L16");
    EXPECT_EQ(eleven.clockRate, 44100);
    EXPECT_EQ(eleven.params, "2");
}

TEST(StaticPayloadType, UnassignedAndDynamicTypesAreUnknown) {
    for (int pt : {1, 2, 19, 20, 24, 27, 29, 30, 35, 96, 127, -1}) {
        Codec c;
        EXPECT_FALSE(staticPayloadType(pt, c)) << pt;
        EXPECT_EQ(c.encoding, "") << pt;
    }
}

TEST(CodecRtpmap, ChannelsAreAppendedWhenGiven) {
    EXPECT_EQ(codec("96", "opus", 48000, "2").rtpmapValue(), "opus/48000/2");
    EXPECT_EQ(codec("0", "PCMU", 8000).rtpmapValue(), "PCMU/8000");
}

// ---- codecMatches ----

TEST(CodecMatches, NamesMatchCaseInsensitively) {
    EXPECT_TRUE(codecMatches(codec("8", "PCMA", 8000), "pcma"));
    EXPECT_TRUE(codecMatches(codec("8", "PCMA", 8000), "PCMA"));
    EXPECT_TRUE(codecMatches(codec("96", "opus", 48000, "2"), "Opus"));
    EXPECT_FALSE(codecMatches(codec("8", "PCMA", 8000), "PCMU"));
    EXPECT_FALSE(codecMatches(codec("8", "PCMA", 8000), "PCM"));
}

TEST(CodecMatches, RateFormMustMatchClockRate) {
    EXPECT_TRUE(codecMatches(codec("0", "PCMU", 8000), "PCMU/8000"));
    EXPECT_FALSE(codecMatches(codec("0", "PCMU", 8000), "PCMU/16000"));
    EXPECT_FALSE(codecMatches(codec("0", "PCMU", 8000), "PCMU/abc"));
    EXPECT_TRUE(codecMatches(codec("0", "PCMU", 8000), "PCMU/"));  // empty rate: any
}

TEST(CodecMatches, ChannelFormMustMatchChannelsDefaultingToOne) {
    Codec opus = codec("96", "opus", 48000, "2");
    EXPECT_TRUE(codecMatches(opus, "opus/48000/2"));
    EXPECT_FALSE(codecMatches(opus, "opus/48000/1"));
    EXPECT_TRUE(codecMatches(opus, "opus//2"));
    Codec mono = codec("0", "PCMU", 8000);
    EXPECT_TRUE(codecMatches(mono, "PCMU/8000/1"));
    EXPECT_FALSE(codecMatches(mono, "PCMU/8000/2"));
}

TEST(CodecMatches, PayloadTypeNumbersNeverMatch) {
    Codec pcma = codec("8", "PCMA", 8000);
    EXPECT_FALSE(codecMatches(pcma, "8"));
    EXPECT_FALSE(codecMatches(pcma, "#8"));
    Codec unknown;
    unknown.format = "96";
    unknown.payloadType = 96;
    EXPECT_FALSE(codecMatches(unknown, "96"));
    EXPECT_FALSE(codecMatches(unknown, ""));
}

TEST(CodecMatches, AllAndFullMatchEveryCodecEvenUnknownOnes) {
    Codec unknown;
    unknown.format = "97";
    EXPECT_TRUE(codecMatches(unknown, "all"));
    EXPECT_TRUE(codecMatches(codec("0", "PCMU", 8000), "full"));
}

}  // namespace
}  // namespace ngm::codec
