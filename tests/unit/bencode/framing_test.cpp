// bencodeExtent/jsonExtent: how the TCP listener finds the end of one ng message.
#include "bencode/framing.h"

#include <gtest/gtest.h>

#include <string>

namespace ngm::bencode {
namespace {

// The extent as one number: -1 for an error.
long extentOf(const Result<size_t>& r) { return r ? static_cast<long>(*r) : -1; }

TEST(BencodeExtent, CompleteDictionaryReturnsItsLength) {
    EXPECT_EQ(extentOf(bencodeExtent("d7:command4:pinge")), 17);
}

TEST(BencodeExtent, TrailingBytesAreNotCounted) {
    std::string two = "d7:command4:pinged7:command4:pinge";
    EXPECT_EQ(extentOf(bencodeExtent(two)), 17);
    EXPECT_EQ(extentOf(bencodeExtent("i5eXYZ")), 3);
}

TEST(BencodeExtent, ScalarsAndEmptyContainers) {
    EXPECT_EQ(extentOf(bencodeExtent("4:spam")), 6);
    EXPECT_EQ(extentOf(bencodeExtent("0:")), 2);
    EXPECT_EQ(extentOf(bencodeExtent("i-42e")), 5);
    EXPECT_EQ(extentOf(bencodeExtent("le")), 2);
    EXPECT_EQ(extentOf(bencodeExtent("de")), 2);
}

TEST(BencodeExtent, NestedValuesAreSpannedWhole) {
    std::string v = "d5:flagsl13:trust-addresse3:sdp10:v=0\r\nc=x\r\n4:lenei12ee";
    EXPECT_EQ(extentOf(bencodeExtent(v)), (long)v.size());
}

TEST(BencodeExtent, StringContentIsNotScanned) {
    // The 'e' and 'd' inside the string must not close or open anything.
    std::string v = "d3:key5:edlie3:fooi1ee";
    EXPECT_EQ(extentOf(bencodeExtent(v)), (long)v.size());
}

TEST(BencodeExtent, IncompleteInputNeedsMore) {
    for (const char* part : {"", "d", "d7:comm", "d7:command", "d7:command4:pin",
                             "d7:command4:ping", "l", "i12", "12", "d3:fooli1e"}) {
        EXPECT_EQ(extentOf(bencodeExtent(part)), 0) << '"' << part << '"';
    }
}

TEST(BencodeExtent, EveryPrefixOfAMessageIsIncomplete) {
    std::string msg = "d7:command5:offer5:flagsl5:fatalee";
    for (size_t n = 0; n < msg.size(); n++)
        EXPECT_EQ(extentOf(bencodeExtent(std::string_view(msg).substr(0, n))), 0) << n;
    EXPECT_EQ(extentOf(bencodeExtent(msg)), (long)msg.size());
}

TEST(BencodeExtent, InvalidInputIsRejected) {
    for (const char* bad :
         {"x", "e", "-1:a", "d3x:fooe", "1a:xyz", "{\"command\":\"ping\"}", "lxe"}) {
        EXPECT_EQ(extentOf(bencodeExtent(bad)), -1) << '"' << bad << '"';
    }
}

TEST(BencodeExtent, JunkAfterACompleteValueIsLeftForTheNextMessage) {
    EXPECT_EQ(extentOf(bencodeExtent("de e")), 2);
}

TEST(BencodeExtent, OverlongLengthOrIntegerIsRejected) {
    EXPECT_EQ(extentOf(bencodeExtent("1234567890:x")), -1);   // more than 9 length digits
    EXPECT_EQ(extentOf(bencodeExtent("1234567890123")), -1);  // digits without a colon, too many
    EXPECT_EQ(extentOf(bencodeExtent("i" + std::string(30, '1'))), -1);  // integer without an end
}

TEST(BencodeExtent, NestingWithinTheBoundIsAccepted) {
    std::string v = std::string(64, 'l') + std::string(64, 'e');
    EXPECT_EQ(extentOf(bencodeExtent(v)), 128);
}

TEST(BencodeExtent, NestingBeyondTheBoundIsRejected) {
    std::string v = std::string(65, 'l') + std::string(65, 'e');
    EXPECT_EQ(extentOf(bencodeExtent(v)), -1);
    EXPECT_EQ(extentOf(bencodeExtent("llleee", 2)), -1);
    EXPECT_EQ(extentOf(bencodeExtent("llee", 2)), 4);
}

TEST(BencodeExtent, DeepUnfinishedNestingIsRejectedBeforeItEnds) {
    // No need to wait for the closing bytes once the bound is passed.
    EXPECT_EQ(extentOf(bencodeExtent(std::string(100, 'l'))), -1);
}

TEST(JsonExtent, CompleteObjectEndsAtItsClosingBrace) {
    std::string_view in = R"({"command":"ping","x":["}",{"y":"\"{"}]}1 {)";
    EXPECT_EQ(extentOf(jsonExtent(in)), (long)in.find("}1") + 1);
}

TEST(JsonExtent, IncompleteObjectNeedsMoreInput) {
    EXPECT_EQ(extentOf(jsonExtent(R"({"command":"pi)")), 0);
    EXPECT_EQ(extentOf(jsonExtent("  {")), 0);
    EXPECT_EQ(extentOf(jsonExtent("")), 0);
}

TEST(JsonExtent, GarbageAndExcessNestingAreInvalid) {
    EXPECT_EQ(extentOf(jsonExtent("x{}")), -1);
    EXPECT_EQ(extentOf(jsonExtent("}")), -1);
    EXPECT_EQ(extentOf(jsonExtent(std::string(100, '['))), -1);
}

}  // namespace
}  // namespace ngm::bencode
