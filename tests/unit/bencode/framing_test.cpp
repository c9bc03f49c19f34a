// bencodeExtent/jsonExtent/messageExtent: how the TCP listener finds the end
// of one ng message.
#include "bencode/framing.h"

#include <gtest/gtest.h>

#include <string>

#include "bencode/value.h"

namespace ngm::bencode {
namespace {

// The extent as one number: -1 for an error.
long extentOf(const Result<size_t>& r) { return r ? static_cast<long>(*r) : -1; }

std::string reasonOf(const Result<size_t>& r) { return r ? "" : r.error().reason; }

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

// Error reasons say where and what, in the decoders' words.
TEST(BencodeExtent, ErrorsNameWhatAndWhere) {
    EXPECT_EQ(reasonOf(bencodeExtent("d3:fooxe")), "bencode: unexpected byte 'x' at offset 6");
    EXPECT_EQ(reasonOf(bencodeExtent("e")), "bencode: unexpected byte 'e' at offset 0");
    EXPECT_EQ(reasonOf(bencodeExtent("llleee", 2)), "bencode: nesting deeper than 2 at offset 2");
}

// Regressions (tests/fuzz/regressions/framing/, each input is the file of that
// name): the scanner framed messages the decoder then rejected, so the
// listener dispatched as a message what could never be one.

// bencode_key_without_value.ben, found by the fuzzer: a dictionary closed
// right after a key.
TEST(BencodeExtent, DictionaryKeyWithoutValueIsRejected) {
    EXPECT_EQ(reasonOf(bencodeExtent("d7:comWmage")),
              "bencode: dictionary key without value at offset 10");
    EXPECT_EQ(extentOf(bencodeExtent("d1:ai1e1:be")), -1);
    EXPECT_EQ(extentOf(bencodeExtent("d1:ai1e1:b")), 0);  // the value may still come
}

TEST(BencodeExtent, DictionaryKeyThatIsNoStringIsRejected) {
    EXPECT_EQ(reasonOf(bencodeExtent("dlee")),
              "bencode: dictionary key must be a string, found 'l' at offset 1");
    EXPECT_EQ(extentOf(bencodeExtent("di1ei2ee")), -1);
    EXPECT_EQ(extentOf(bencodeExtent("d1:ali1eee")), 10);  // a list as a value is fine
}

TEST(BencodeExtent, NonCanonicalIntegersAreRejectedAsTheDecoderDoes) {
    EXPECT_EQ(extentOf(bencodeExtent("d3:fooi01ee")), -1);
    EXPECT_EQ(extentOf(bencodeExtent("d3:fooi-0ee")), -1);
    EXPECT_EQ(extentOf(bencodeExtent("d3:fooi9223372036854775808ee")), -1);
    for (const char* bad : {"ie", "i-e", "i1xe", "i--1e", "i 1e", "i00e"})
        EXPECT_EQ(extentOf(bencodeExtent(bad)), -1) << bad;
    EXPECT_EQ(extentOf(bencodeExtent("i0e")), 3);
    EXPECT_EQ(extentOf(bencodeExtent("i9223372036854775807e")), 21);
    EXPECT_EQ(extentOf(bencodeExtent("i-9223372036854775808e")), 22);
    // Prefixes that can still become an integer wait.
    for (const char* part : {"i", "i-", "i0", "i-1", "i922337203685477580"})
        EXPECT_EQ(extentOf(bencodeExtent(part)), 0) << part;
}

TEST(BencodeExtent, StringLengthWithLeadingZeroIsRejected) {
    EXPECT_EQ(reasonOf(bencodeExtent("03:abc")),
              "bencode: string length with leading zero at offset 0");
    EXPECT_EQ(extentOf(bencodeExtent("0:")), 2);
    EXPECT_EQ(extentOf(bencodeExtent("0")), 0);
}

// An over-long integer was "need more" while its 'e' was missing and more
// than 24 bytes long "invalid", but complete once the 'e' came: the answer
// depended on how TCP split the bytes. It is now invalid as soon as it
// overflows int64, as the decoder says.
TEST(BencodeExtent, OverlongIntegerIsRejectedHoweverItArrives) {
    std::string in = "i1234567890123456789012345e";
    ASSERT_EQ(in.back(), 'e');
    for (size_t n = 0; n <= in.size(); n++) {
        long want = n <= 20 ? 0 : -1;  // "i" and 19 digits may still fit
        EXPECT_EQ(extentOf(bencodeExtent(std::string_view(in).substr(0, n))), want) << n;
    }
}

TEST(BencodeExtent, EveryMessageThatDecodesIsFramedWhole) {
    for (const char* msg :
         {"d7:command4:pinge", "li1ei-2e0:de3:abce", "d1:ad1:bl1:ceee", "d3:key5:edlie3:fooi1ee"}) {
        Document doc;
        ASSERT_TRUE(decode(msg, doc)) << msg;
        EXPECT_EQ(extentOf(bencodeExtent(msg)), (long)std::string_view(msg).size()) << msg;
    }
}

TEST(JsonExtent, EveryPrefixOfAnObjectIsIncomplete) {
    std::string msg = R"( {"command":"offer","flags":["a]","b\"}"],"n":{}})";
    for (size_t n = 0; n < msg.size(); n++)
        EXPECT_EQ(extentOf(jsonExtent(std::string_view(msg).substr(0, n))), 0) << n;
    EXPECT_EQ(extentOf(jsonExtent(msg)), (long)msg.size());
}

TEST(JsonExtent, OnlyAnObjectOrArrayIsFramed) {
    EXPECT_EQ(reasonOf(jsonExtent(R"( "x"{})")),
              "JSON: expected '{' or '[', found '\"' at offset 1");
    EXPECT_EQ(extentOf(jsonExtent("1")), -1);
    EXPECT_EQ(extentOf(jsonExtent("[1,[2]]x")), 7);
}

TEST(JsonExtent, MismatchedBracketIsRejectedWhereItIs) {
    EXPECT_EQ(reasonOf(jsonExtent(R"({"a":[1}])")), "JSON: unexpected byte '}' at offset 7");
    EXPECT_EQ(extentOf(jsonExtent("[}")), -1);
    EXPECT_EQ(extentOf(jsonExtent("{]")), -1);
}

TEST(JsonExtent, ContentErrorsAreLeftToTheDecoder) {
    // Framed as a whole, so the dispatcher answers with an error reply and the
    // connection goes on.
    EXPECT_EQ(extentOf(jsonExtent(R"({"a":1,})")), 8);
    EXPECT_EQ(extentOf(jsonExtent(R"({"a":tru})")), 9);
}

TEST(JsonExtent, NestingBoundCountsBothBracketKinds) {
    std::string deep =
        std::string(32, '[') + std::string(32, '{') + std::string(32, '}') + std::string(32, ']');
    EXPECT_EQ(extentOf(jsonExtent(deep)), 128);
    EXPECT_EQ(extentOf(jsonExtent("[" + deep + "]")), -1);
}

TEST(MessageExtent, PicksJsonByTheFirstNonWhitespaceByte) {
    EXPECT_EQ(extentOf(messageExtent(R"({"command":"ping"}x)")), 18);
    EXPECT_EQ(extentOf(messageExtent(" \r\n\t{}")), 6);
    EXPECT_EQ(extentOf(messageExtent("d7:command4:pingex")), 17);
    // A leading space is no bencode, and '[' does not select JSON.
    EXPECT_EQ(extentOf(messageExtent(" d7:command4:pinge")), -1);
    EXPECT_EQ(extentOf(messageExtent("[]")), -1);
    EXPECT_EQ(extentOf(messageExtent("")), 0);
}

}  // namespace
}  // namespace ngm::bencode
