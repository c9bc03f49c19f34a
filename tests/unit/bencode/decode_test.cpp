#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "bencode/value.h"

namespace ngm::bencode {
namespace {

using namespace std::string_literals;

// The error reason, or "" when decoding succeeded.
std::string decodeError(std::string_view in, const DecodeLimits& limits = {}) {
    Document doc;
    auto r = decode(in, doc, limits);
    return r ? "" : r.error().reason;
}

std::string reencode(std::string_view in) {
    Document doc;
    auto r = decode(in, doc);
    EXPECT_TRUE(r) << r.error().reason;
    std::string out;
    encode(doc.root, out);
    return out;
}

bool pointsInto(std::string_view view, std::string_view buffer) {
    return view.data() >= buffer.data() &&
           view.data() + view.size() <= buffer.data() + buffer.size();
}

// ---- values ----

TEST(BencodeDecode, PingDictHasCommandViewIntoInput) {
    std::string in = "d7:command4:pinge";
    Document doc;
    ASSERT_TRUE(decode(in, doc));
    ASSERT_TRUE(doc.root.isDict());
    ASSERT_EQ(doc.root.entries().size(), 1u);
    const Value* cmd = doc.root.find("command");
    ASSERT_NE(cmd, nullptr);
    ASSERT_TRUE(cmd->isString());
    EXPECT_EQ(cmd->str(), "ping");
    EXPECT_TRUE(pointsInto(cmd->str(), in));
    EXPECT_TRUE(pointsInto(doc.root.entries()[0].first, in));
}

TEST(BencodeDecode, IntegersIncludingInt64Bounds) {
    struct Case {
        const char* in;
        int64_t want;
    } cases[] = {
        {"i0e", 0},
        {"i7e", 7},
        {"i-7e", -7},
        {"i1234567890e", 1234567890},
        {"i9223372036854775807e", std::numeric_limits<int64_t>::max()},
        {"i-9223372036854775808e", std::numeric_limits<int64_t>::min()},
    };
    for (const auto& c : cases) {
        Document doc;
        auto r = decode(c.in, doc);
        ASSERT_TRUE(r) << c.in << ": " << r.error().reason;
        ASSERT_TRUE(doc.root.isInteger()) << c.in;
        EXPECT_EQ(doc.root.integer(), c.want) << c.in;
    }
}

TEST(BencodeDecode, StringsEmptyBinaryAndEmbeddedNul) {
    Document doc;
    std::string in =
        "l0:3:a\0b4:\xff\x00\x80\x01"
        "e"s;
    ASSERT_TRUE(decode(in, doc));
    ASSERT_TRUE(doc.root.isList());
    ASSERT_EQ(doc.root.items().size(), 3u);
    EXPECT_EQ(doc.root.items()[0].str(), "");
    EXPECT_EQ(doc.root.items()[1].str(), "a\0b"s);
    EXPECT_EQ(doc.root.items()[2].str(), "\xff\x00\x80\x01"s);
}

TEST(BencodeDecode, StringMayContainBencodeSyntax) {
    Document doc;
    ASSERT_TRUE(decode("5:i1e:e", doc));
    EXPECT_EQ(doc.root.str(), "i1e:e");
}

TEST(BencodeDecode, EmptyAndNestedContainers) {
    Document doc;
    ASSERT_TRUE(decode("ld1:alee1:bdee", doc));
    ASSERT_TRUE(doc.root.isList());
    ASSERT_EQ(doc.root.items().size(), 3u);
    const Value& d = doc.root.items()[0];
    ASSERT_TRUE(d.isDict());
    ASSERT_TRUE(d.find("a")->isList());
    EXPECT_TRUE(d.find("a")->items().empty());
    EXPECT_EQ(doc.root.items()[1].str(), "b");
    EXPECT_TRUE(doc.root.items()[2].isDict());

    ASSERT_TRUE(decode("de", doc));
    EXPECT_TRUE(doc.root.isDict());
    EXPECT_TRUE(doc.root.entries().empty());
    ASSERT_TRUE(decode("le", doc));
    EXPECT_TRUE(doc.root.isList());
}

TEST(BencodeDecode, DictKeepsInsertionOrderAndDuplicates) {
    Document doc;
    ASSERT_TRUE(decode("d1:bi1e1:ai2e1:bi3ee", doc));
    const auto& e = doc.root.entries();
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].first, "b");
    EXPECT_EQ(e[1].first, "a");
    EXPECT_EQ(e[2].first, "b");
    EXPECT_EQ(doc.root.find("b")->integer(), 1);  // first wins
    EXPECT_EQ(doc.root.find("missing"), nullptr);
}

TEST(BencodeDecode, OfferWithSdpAndFlags) {
    std::string sdp =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        "m=audio 30000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    std::string in = "d3:sdp" + std::to_string(sdp.size()) + ":" + sdp +
                     "5:flagsl13:trust-addresse7:replacel6:origin18:session-connectione"
                     "7:call-id9:abc@host18:from-tag3:t013:ICE6:remove7:command5:offere";
    Document doc;
    auto r = decode(in, doc);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(doc.root.find("sdp")->str(), sdp);
    EXPECT_EQ(doc.root.find("command")->str(), "offer");
    EXPECT_EQ(doc.root.find("call-id")->str(), "abc@host1");
    EXPECT_EQ(doc.root.find("from-tag")->str(), "t01");
    ASSERT_EQ(doc.root.find("replace")->items().size(), 2u);
    EXPECT_EQ(doc.root.find("replace")->items()[1].str(), "session-connection");
    EXPECT_EQ(reencode(in), in);
}

TEST(BencodeDecode, CanonicalInputReencodesToSameBytes) {
    for (const char* in : {"i0e", "i-1e", "0:", "le", "de", "d1:ad1:bl1:ci5eeee",
                           "d7:command4:ping6:result4:ponge", "lllleeee"}) {
        EXPECT_EQ(reencode(in), in);
    }
}

TEST(BencodeDecode, DepthUpToLimitIsAccepted) {
    std::string in = std::string(32, 'l') + std::string(32, 'e');
    EXPECT_EQ(decodeError(in), "");
    EXPECT_EQ(decodeError("i1e", DecodeLimits{0, 10}), "");
}

TEST(BencodeDecode, NestingBeyondLimitIsRejectedWithOffset) {
    std::string in = std::string(33, 'l') + std::string(33, 'e');
    EXPECT_EQ(decodeError(in), "bencode: nesting deeper than 32 at offset 32");
    EXPECT_EQ(decodeError("d1:ad1:bdeee", DecodeLimits{2, 100}),
              "bencode: nesting deeper than 2 at offset 8");
    EXPECT_EQ(decodeError("le", DecodeLimits{0, 100}),
              "bencode: nesting deeper than 0 at offset 0");
}

TEST(BencodeDecode, DeepNestingWithHighLimitDoesNotUseCallStack) {
    const size_t depth = 1000;
    std::string in = std::string(depth, 'l') + std::string(depth, 'e');
    EXPECT_EQ(decodeError(in, DecodeLimits{depth, 1000000}), "");
    EXPECT_EQ(decodeError(std::string(depth, 'l'), DecodeLimits{depth, 1000000}),
              "bencode: unterminated list at offset 999");
}

TEST(BencodeDecode, MaxItemsCountsEveryValueButNotKeys) {
    // list + 3 integers = 4 values
    EXPECT_EQ(decodeError("li1ei2ei3ee", DecodeLimits{32, 4}), "");
    EXPECT_EQ(decodeError("li1ei2ei3ee", DecodeLimits{32, 3}),
              "bencode: more than 3 values at offset 7");
    // dict + 2 values; keys are not values
    EXPECT_EQ(decodeError("d1:ai1e1:bi2ee", DecodeLimits{32, 3}), "");
    EXPECT_EQ(decodeError("d1:ai1e1:bi2ee", DecodeLimits{32, 2}),
              "bencode: more than 2 values at offset 10");
}

TEST(BencodeDecode, FailureLeavesEmptyRoot) {
    Document doc;
    ASSERT_TRUE(decode("li1ei2ee", doc));
    ASSERT_FALSE(decode("li1ei2e", doc));
    EXPECT_TRUE(doc.root.isDict());
    EXPECT_TRUE(doc.root.entries().empty());
}

// ---- errors ----

struct ErrorCase {
    std::string in;
    std::string reason;
};

void expectErrors(const std::vector<ErrorCase>& cases) {
    for (const auto& c : cases) EXPECT_EQ(decodeError(c.in), c.reason) << "input: " << c.in;
}

TEST(BencodeDecode, EmptyInputIsAnError) { expectErrors({{"", "bencode: empty input"}}); }

TEST(BencodeDecode, MalformedIntegersAreRejected) {
    expectErrors({
        {"ie", "bencode: empty integer at offset 0"},
        {"i-e", "bencode: integer without digits at offset 0"},
        {"i-0e", "bencode: negative zero integer at offset 0"},
        {"i03e", "bencode: integer with leading zero at offset 0"},
        {"i-03e", "bencode: integer with leading zero at offset 0"},
        {"i00e", "bencode: integer with leading zero at offset 0"},
        {"i9223372036854775808e", "bencode: integer overflows int64 at offset 0"},
        {"i-9223372036854775809e", "bencode: integer overflows int64 at offset 0"},
        {"i99999999999999999999999999e", "bencode: integer overflows int64 at offset 0"},
        {"li18446744073709551616ee", "bencode: integer overflows int64 at offset 1"},
        {"i", "bencode: unterminated integer at offset 0"},
        {"i-", "bencode: unterminated integer at offset 0"},
        {"i12", "bencode: unterminated integer at offset 0"},
        {"i0", "bencode: unterminated integer at offset 0"},
        {"i1xe", "bencode: unexpected byte 'x' in integer at offset 2"},
        {"ixe", "bencode: unexpected byte 'x' in integer at offset 1"},
        {"i+1e", "bencode: unexpected byte '+' in integer at offset 1"},
        {"i 1e", "bencode: unexpected byte 0x20 in integer at offset 1"},
        {"i1.5e", "bencode: unexpected byte '.' in integer at offset 2"},
        {"i--1e", "bencode: unexpected byte '-' in integer at offset 2"},
    });
}

TEST(BencodeDecode, HugeLengthPrefixesAreRejectedWithoutAllocating) {
    expectErrors({
        {"99999999999:", "bencode: string length exceeds remaining input at offset 0"},
        {"99999999999:abc", "bencode: string length exceeds remaining input at offset 0"},
        // 2^64 and far beyond: would wrap a naive accumulator to a small length
        {"18446744073709551616:", "bencode: string length exceeds remaining input at offset 0"},
        {"18446744073709551619:abc", "bencode: string length exceeds remaining input at offset 0"},
        {std::string(5000, '9') + ":x",
         "bencode: string length exceeds remaining input at offset 0"},
        {"d7:command4:ping3:sdp12:v=0e",
         "bencode: string length exceeds remaining input at offset 21"},
        {"4:abc", "bencode: string length exceeds remaining input at offset 0"},
        {"1:", "bencode: string length exceeds remaining input at offset 0"},
    });
}

TEST(BencodeDecode, MalformedStringsAreRejected) {
    expectErrors({
        {"-1:a", "bencode: negative string length at offset 0"},
        {"l-5:abcdee", "bencode: negative string length at offset 1"},
        {"03:abc", "bencode: string length with leading zero at offset 0"},
        {"00:", "bencode: string length with leading zero at offset 0"},
        {"3", "bencode: unterminated string length at offset 0"},
        {"0", "bencode: unterminated string length at offset 0"},
        {"12", "bencode: unterminated string length at offset 0"},
        {"3x", "bencode: unexpected byte 'x' after string length at offset 1"},
        {"3 :abc", "bencode: unexpected byte 0x20 after string length at offset 1"},
    });
}

TEST(BencodeDecode, MalformedContainersAreRejected) {
    expectErrors({
        {"l", "bencode: unterminated list at offset 0"},
        {"li1e", "bencode: unterminated list at offset 0"},
        {"lli1ee", "bencode: unterminated list at offset 0"},
        {"d", "bencode: unterminated dictionary at offset 0"},
        {"d1:ai1e", "bencode: unterminated dictionary at offset 0"},
        {"ld1:ai1ee", "bencode: unterminated list at offset 0"},
        {"d1:ae", "bencode: dictionary key without value at offset 4"},
        {"d1:a", "bencode: dictionary key without value at offset 4"},
        {"di1ei2ee", "bencode: dictionary key must be a string, found 'i' at offset 1"},
        {"dlei1ee", "bencode: dictionary key must be a string, found 'l' at offset 1"},
        {"ddei1ee", "bencode: dictionary key must be a string, found 'd' at offset 1"},
        {"d\x01", "bencode: dictionary key must be a string, found 0x01 at offset 1"},
        {"d-1:ai1ee", "bencode: negative string length at offset 1"},
        {"d01:ai1ee", "bencode: string length with leading zero at offset 1"},
        {"d9:ai1ee", "bencode: string length exceeds remaining input at offset 1"},
        {"lxe", "bencode: unexpected byte 'x' at offset 1"},
    });
}

TEST(BencodeDecode, UnexpectedTopLevelBytesAreNamed) {
    expectErrors({
        {"e", "bencode: unexpected byte 'e' at offset 0"},
        {"x", "bencode: unexpected byte 'x' at offset 0"},
        {"\xff", "bencode: unexpected byte 0xff at offset 0"},
        {"\0"s, "bencode: unexpected byte 0x00 at offset 0"},
        {" de", "bencode: unexpected byte 0x20 at offset 0"},
    });
}

TEST(BencodeDecode, TrailingDataIsAnError) {
    expectErrors({
        {"i1ei2e", "bencode: trailing data after top-level value at offset 3"},
        {"dee", "bencode: trailing data after top-level value at offset 2"},
        {"d7:command4:pinge\n", "bencode: trailing data after top-level value at offset 17"},
        {"0:\0"s, "bencode: trailing data after top-level value at offset 2"},
    });
}

}  // namespace
}  // namespace ngm::bencode
