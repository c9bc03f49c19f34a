#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "bencode/value.h"

namespace ngm::bencode {
namespace {

using namespace std::string_literals;

std::string decodeError(std::string_view in, const DecodeLimits& limits = {}) {
    Document doc;
    auto r = decodeJson(in, doc, limits);
    return r ? "" : r.error().reason;
}

// Decodes and re-encodes compactly.
std::string normalize(std::string_view in) {
    Document doc;
    auto r = decodeJson(in, doc);
    EXPECT_TRUE(r) << in << ": " << r.error().reason;
    std::string out;
    encodeJson(doc.root, out);
    return out;
}

// Decodes a single JSON string literal and returns its bytes.
std::string stringValue(std::string_view in) {
    Document doc;
    auto r = decodeJson(in, doc);
    EXPECT_TRUE(r) << in << ": " << r.error().reason;
    EXPECT_TRUE(doc.root.isString()) << in;
    return std::string(doc.root.str());
}

bool pointsInto(std::string_view view, std::string_view buffer) {
    return view.data() >= buffer.data() &&
           view.data() + view.size() <= buffer.data() + buffer.size();
}

// ---- values ----

TEST(JsonDecode, PingObject) {
    std::string in = R"({"command":"ping"})";
    Document doc;
    ASSERT_TRUE(decodeJson(in, doc));
    ASSERT_TRUE(doc.root.isDict());
    ASSERT_EQ(doc.root.entries().size(), 1u);
    EXPECT_EQ(doc.root.find("command")->str(), "ping");
}

TEST(JsonDecode, StringsWithoutEscapesAreViewsIntoInput) {
    std::string in = R"({"sdp":"v=0 caf)"
                     "\xc3\xa9"
                     R"("})";
    Document doc;
    ASSERT_TRUE(decodeJson(in, doc));
    EXPECT_TRUE(pointsInto(doc.root.entries()[0].first, in));
    EXPECT_TRUE(pointsInto(doc.root.find("sdp")->str(), in));
    EXPECT_EQ(doc.root.find("sdp")->str(), "v=0 caf\xc3\xa9");
}

TEST(JsonDecode, EscapedStringsLiveInTheArena) {
    std::string in = R"({"k\n":"a\"b"})";
    Document doc;
    ASSERT_TRUE(decodeJson(in, doc));
    EXPECT_EQ(doc.root.entries()[0].first, "k\n");
    EXPECT_FALSE(pointsInto(doc.root.entries()[0].first, in));
    EXPECT_EQ(doc.root.find("k\n")->str(), "a\"b");
    EXPECT_FALSE(pointsInto(doc.root.find("k\n")->str(), in));
    in.assign(in.size(), 'x');  // arena strings do not depend on the input
    EXPECT_EQ(doc.root.find("k\n")->str(), "a\"b");
}

TEST(JsonDecode, SimpleEscapes) {
    EXPECT_EQ(stringValue(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
    EXPECT_EQ(stringValue(R"("pre\npost")"), "pre\npost");
    EXPECT_EQ(stringValue(R"("v=0\r\nm=audio 9 RTP/AVP 0\r\n")"), "v=0\r\nm=audio 9 RTP/AVP 0\r\n");
}

TEST(JsonDecode, UnicodeEscapesBecomeUtf8) {
    EXPECT_EQ(stringValue(R"("\u0041")"), "A");
    EXPECT_EQ(stringValue(R"("\u0000")"), "\0"s);
    EXPECT_EQ(stringValue(R"("a\u0000b")"), "a\0b"s);
    EXPECT_EQ(stringValue(R"("\u007f")"), "\x7f");
    EXPECT_EQ(stringValue(R"("\u0080")"), "\xc2\x80");
    EXPECT_EQ(stringValue(R"("\u00e9\u00E9")"), "\xc3\xa9\xc3\xa9");
    EXPECT_EQ(stringValue(R"("\u07ff")"), "\xdf\xbf");
    EXPECT_EQ(stringValue(R"("\u0800")"), "\xe0\xa0\x80");
    EXPECT_EQ(stringValue(R"("\u20AC")"), "\xe2\x82\xac");
    EXPECT_EQ(stringValue(R"("\uffff")"), "\xef\xbf\xbf");
}

TEST(JsonDecode, SurrogatePairsBecomeFourByteUtf8) {
    EXPECT_EQ(stringValue(R"("\ud800\udc00")"), "\xf0\x90\x80\x80");  // U+10000
    EXPECT_EQ(stringValue(R"("\uD83D\uDE00")"), "\xf0\x9f\x98\x80");  // U+1F600
    EXPECT_EQ(stringValue(R"("\udbff\udfff")"), "\xf4\x8f\xbf\xbf");  // U+10FFFF
    EXPECT_EQ(stringValue(R"("x\ud83d\ude00y")"), "x\xf0\x9f\x98\x80y");
}

TEST(JsonDecode, RawUtf8IsAcceptedInBothPaths) {
    EXPECT_EQ(stringValue("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
              "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    EXPECT_EQ(stringValue("\"\\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
              "\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    EXPECT_EQ(stringValue("\"\x7f\""), "\x7f");
}

TEST(JsonDecode, IntegersInInt64RangeAreIntegers) {
    struct Case {
        const char* in;
        int64_t want;
    } cases[] = {
        {"0", 0},
        {"-0", 0},
        {"7", 7},
        {"-7", -7},
        {"1700000000", 1700000000},
        {"9223372036854775807", std::numeric_limits<int64_t>::max()},
        {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
    };
    for (const auto& c : cases) {
        Document doc;
        auto r = decodeJson(c.in, doc);
        ASSERT_TRUE(r) << c.in << ": " << r.error().reason;
        ASSERT_TRUE(doc.root.isInteger()) << c.in;
        EXPECT_EQ(doc.root.integer(), c.want) << c.in;
    }
}

TEST(JsonDecode, OtherNumbersKeepTheirTextAsString) {
    for (const char* in :
         {"9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "1.5",
          "-0.0", "0.25", "1e5", "1E+5", "-2.5e-3", "0e0", "10.0"}) {
        Document doc;
        auto r = decodeJson(in, doc);
        ASSERT_TRUE(r) << in << ": " << r.error().reason;
        ASSERT_TRUE(doc.root.isString()) << in;
        EXPECT_EQ(doc.root.str(), in);
    }
    Document doc;
    ASSERT_TRUE(decodeJson(R"({"ptime":[20.5,30]})", doc));
    const auto& items = doc.root.find("ptime")->items();
    EXPECT_EQ(items[0].str(), "20.5");
    EXPECT_EQ(items[1].integer(), 30);
}

TEST(JsonDecode, LiteralsMapToIntegersAndEmptyString) {
    Document doc;
    ASSERT_TRUE(decodeJson("[true,false,null]", doc));
    const auto& items = doc.root.items();
    ASSERT_EQ(items.size(), 3u);
    EXPECT_TRUE(items[0].isInteger());
    EXPECT_EQ(items[0].integer(), 1);
    EXPECT_TRUE(items[1].isInteger());
    EXPECT_EQ(items[1].integer(), 0);
    EXPECT_TRUE(items[2].isString());
    EXPECT_EQ(items[2].str(), "");
}

TEST(JsonDecode, WhitespaceAnywhereBetweenTokens) {
    EXPECT_EQ(normalize(" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\"\n:\t{ } , \"c\" : [ ] } \n"),
              R"({"a":[1,2],"b":{},"c":[]})");
    EXPECT_EQ(normalize("  42  "), "42");
}

TEST(JsonDecode, ObjectKeepsInsertionOrderAndDuplicates) {
    Document doc;
    ASSERT_TRUE(decodeJson(R"({"b":1,"a":2,"b":3})", doc));
    const auto& e = doc.root.entries();
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].first, "b");
    EXPECT_EQ(e[1].first, "a");
    EXPECT_EQ(e[2].first, "b");
    EXPECT_EQ(doc.root.find("b")->integer(), 1);
}

TEST(JsonDecode, OfferMessageMatchesBencodeForm) {
    std::string json =
        R"({"command":"offer","call-id":"abc@host1","from-tag":"t01",)"
        R"("sdp":"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 30000 RTP/AVP 0\r\n",)"
        R"("flags":["trust-address"],"replace":["origin","session-connection"],"ICE":"remove"})";
    Document doc;
    auto r = decodeJson(json, doc);
    ASSERT_TRUE(r) << r.error().reason;
    std::string bencoded;
    encode(doc.root, bencoded);
    EXPECT_EQ(bencoded,
              "d7:command5:offer7:call-id9:abc@host18:from-tag3:t01"
              "3:sdp50:v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 30000 RTP/AVP 0\r\n"
              "5:flagsl13:trust-addresse7:replacel6:origin18:session-connectione"
              "3:ICE6:removee");
    EXPECT_EQ(normalize(json), json);
}

TEST(JsonDecode, CompactEncodingIsAFixedPoint) {
    for (const char* in : {R"({"a":[1,-2,"x",{},[]],"b":"\u00e9\n\"","c":"1.5"})", R"([[[[]]]])",
                           R"("")", R"({"":""})", R"("\u0000\u001f")"}) {
        std::string once = normalize(in);
        EXPECT_EQ(normalize(once), once) << in;
    }
    EXPECT_EQ(normalize(R"("\u0000\u001f\/")"), R"("\u0000\u001f/")");
    EXPECT_EQ(normalize(R"([1.5,true,false,null,1e5,-2E-1])"), R"(["1.5",1,0,"","1e5","-2E-1"])");
}

TEST(JsonDecode, DepthUpToLimitIsAccepted) {
    // 16 arrays and 16 objects: exactly the default limit of 32.
    std::string in(16, '[');
    for (int i = 0; i < 16; ++i) in += R"({"k":)";
    in += "1";
    in += std::string(16, '}') + std::string(16, ']');
    EXPECT_EQ(decodeError(in), "");
    EXPECT_EQ(decodeError("1", DecodeLimits{0, 10}), "");
}

TEST(JsonDecode, NestingBeyondLimitIsRejectedWithOffset) {
    EXPECT_EQ(decodeError(std::string(33, '[') + std::string(33, ']')),
              "JSON: nesting deeper than 32 at offset 32");
    EXPECT_EQ(decodeError(R"({"a":{"b":{}}})", DecodeLimits{2, 100}),
              "JSON: nesting deeper than 2 at offset 10");
    EXPECT_EQ(decodeError("[]", DecodeLimits{0, 100}), "JSON: nesting deeper than 0 at offset 0");
}

TEST(JsonDecode, DeepNestingWithHighLimitDoesNotUseCallStack) {
    const size_t depth = 1000;
    EXPECT_EQ(decodeError(std::string(depth, '[') + std::string(depth, ']'),
                          DecodeLimits{depth, 1000000}),
              "");
    EXPECT_EQ(decodeError(std::string(depth, '['), DecodeLimits{depth, 1000000}),
              "JSON: unterminated array at offset 999");
}

TEST(JsonDecode, MaxItemsCountsEveryValueButNotKeys) {
    EXPECT_EQ(decodeError("[1,2,3]", DecodeLimits{32, 4}), "");
    EXPECT_EQ(decodeError("[1,2,3]", DecodeLimits{32, 3}), "JSON: more than 3 values at offset 5");
    EXPECT_EQ(decodeError(R"({"a":1,"b":2})", DecodeLimits{32, 3}), "");
    EXPECT_EQ(decodeError(R"({"a":1,"b":2})", DecodeLimits{32, 2}),
              "JSON: more than 2 values at offset 11");
}

TEST(JsonDecode, FailureLeavesEmptyRoot) {
    Document doc;
    ASSERT_TRUE(decodeJson("[1,2]", doc));
    ASSERT_FALSE(decodeJson("[1,2", doc));
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

TEST(JsonDecode, EmptyInputIsAnError) {
    expectErrors({
        {"", "JSON: empty input at offset 0"},
        {" \r\n\t", "JSON: empty input at offset 4"},
    });
}

TEST(JsonDecode, MalformedStringsAreRejected) {
    expectErrors({
        {R"({"a":"bc)", "JSON: unterminated string at offset 5"},
        {R"(")", "JSON: unterminated string at offset 0"},
        {R"("ab\)", "JSON: unterminated string at offset 0"},
        {R"("ab\n)", "JSON: unterminated string at offset 0"},
        {"\"a\nb\"", "JSON: unescaped control character 0x0a in string at offset 2"},
        {"\"a\0b\""s, "JSON: unescaped control character 0x00 in string at offset 2"},
        {"\"\\n\x1f\"", "JSON: unescaped control character 0x1f in string at offset 3"},
        {"\"a\xff\"", "JSON: invalid UTF-8 in string at offset 2"},
        {"\"\xc0\xaf\"", "JSON: invalid UTF-8 in string at offset 1"},
        {"\"\xed\xa0\x80\"", "JSON: invalid UTF-8 in string at offset 1"},
        {"\"\xe2\x82\"", "JSON: invalid UTF-8 in string at offset 1"},
        {"\"\xe2\x82", "JSON: invalid UTF-8 in string at offset 1"},
        {"\"\\t\x80\"", "JSON: invalid UTF-8 in string at offset 3"},
        {R"("\x")", "JSON: invalid escape 'x' after backslash at offset 1"},
        {R"("\')", "JSON: invalid escape ''' after backslash at offset 1"},
        {"\"\\\0\""s, "JSON: invalid escape 0x00 after backslash at offset 1"},
        {R"("\U0041")", "JSON: invalid escape 'U' after backslash at offset 1"},
        {R"("\u12")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u12G4")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u)", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u+000")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u00:0")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u00g0")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("\u00G0")", "JSON: invalid \\u escape (need 4 hex digits) at offset 1"},
        {R"("x\udc00")", "JSON: unpaired low surrogate in \\u escape at offset 2"},
        {R"("\ud800")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800x")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800\n")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800\u0041")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800\ud800")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800\ue000")", "JSON: unpaired high surrogate in \\u escape at offset 1"},
        {R"("\ud800\uZZZZ")", "JSON: invalid \\u escape (need 4 hex digits) at offset 7"},
    });
}

TEST(JsonDecode, MalformedNumbersAreRejected) {
    expectErrors({
        {"-", "JSON: expected digit in number at offset 1"},
        {"-a", "JSON: expected digit in number at offset 1"},
        {"[-]", "JSON: expected digit in number at offset 2"},
        {"01", "JSON: number with leading zero at offset 0"},
        {"-01", "JSON: number with leading zero at offset 0"},
        {"1.", "JSON: expected digit after decimal point at offset 2"},
        {"1.e5", "JSON: expected digit after decimal point at offset 2"},
        {"1e", "JSON: expected digit in exponent at offset 2"},
        {"1e+", "JSON: expected digit in exponent at offset 3"},
        {"1E-x", "JSON: expected digit in exponent at offset 3"},
        {"+1", "JSON: unexpected byte '+' at offset 0"},
        {".5", "JSON: unexpected byte '.' at offset 0"},
        {"1.5.2", "JSON: trailing data after top-level value at offset 3"},
        {"0x10", "JSON: trailing data after top-level value at offset 1"},
    });
}

TEST(JsonDecode, MalformedLiteralsAreRejected) {
    expectErrors({
        {"tru", "JSON: invalid literal (expected true) at offset 0"},
        {"True", "JSON: unexpected byte 'T' at offset 0"},
        {"fals", "JSON: invalid literal (expected false) at offset 0"},
        {"[nul]", "JSON: invalid literal (expected null) at offset 1"},
        {"nulL", "JSON: invalid literal (expected null) at offset 0"},
        {"falsey", "JSON: trailing data after top-level value at offset 5"},
    });
}

TEST(JsonDecode, MalformedContainersAreRejected) {
    expectErrors({
        {"[", "JSON: unterminated array at offset 0"},
        {"[1", "JSON: unterminated array at offset 0"},
        {"[1,", "JSON: unterminated array at offset 0"},
        {"[1, ", "JSON: unterminated array at offset 0"},
        {" [[]", "JSON: unterminated array at offset 1"},
        {"[1,]", "JSON: trailing comma at offset 3"},
        {"[1 2]", "JSON: expected ',' or ']', found '2' at offset 3"},
        {"[1}", "JSON: expected ',' or ']', found '}' at offset 2"},
        {"[,1]", "JSON: unexpected byte ',' at offset 1"},
        {"{", "JSON: unterminated object at offset 0"},
        {R"({"a")", "JSON: unterminated object at offset 0"},
        {R"({"a":)", "JSON: unexpected end of input at offset 5"},
        {R"({"a":1)", "JSON: unterminated object at offset 0"},
        {R"({"a":1,)", "JSON: unterminated object at offset 0"},
        {R"({"a":1,})", "JSON: trailing comma at offset 7"},
        {R"({"a" 1})", "JSON: expected ':' after object key, found '1' at offset 5"},
        {R"({"a":})", "JSON: unexpected byte '}' at offset 5"},
        {R"({"a":1 "b":2})", "JSON: expected ',' or '}', found '\"' at offset 7"},
        {R"({"a":1])", "JSON: expected ',' or '}', found ']' at offset 6"},
        {"{1:2}", "JSON: object key must be a string, found '1' at offset 1"},
        {"{a:2}", "JSON: object key must be a string, found 'a' at offset 1"},
        {"{,}", "JSON: object key must be a string, found ',' at offset 1"},
        {R"({"a\x":1})", "JSON: invalid escape 'x' after backslash at offset 3"},
        {"]", "JSON: unexpected byte ']' at offset 0"},
        {"}", "JSON: unexpected byte '}' at offset 0"},
    });
}

TEST(JsonDecode, UnexpectedBytesAreNamed) {
    expectErrors({
        {"x", "JSON: unexpected byte 'x' at offset 0"},
        {"\xef\xbb\xbf{}", "JSON: unexpected byte 0xef at offset 0"},  // BOM is not JSON
        {"\x0b{}", "JSON: unexpected byte 0x0b at offset 0"},
        {"'a'", "JSON: unexpected byte ''' at offset 0"},
    });
}

TEST(JsonDecode, TrailingDataIsAnError) {
    expectErrors({
        {"1 2", "JSON: trailing data after top-level value at offset 2"},
        {"{}x", "JSON: trailing data after top-level value at offset 2"},
        {"{} {}", "JSON: trailing data after top-level value at offset 3"},
        {"\"a\"\0"s, "JSON: trailing data after top-level value at offset 3"},
    });
}

}  // namespace
}  // namespace ngm::bencode
