#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "bencode/value.h"

namespace ngm::bencode {
namespace {

using namespace std::string_literals;

std::string bencodeOf(const Value& v) {
    std::string out;
    encode(v, out);
    return out;
}

std::string jsonOf(const Value& v) {
    std::string out;
    encodeJson(v, out);
    return out;
}

std::string jsonOfString(std::string_view s) { return jsonOf(Value::string(s)); }

// ---- bencode ----

TEST(BencodeEncode, Scalars) {
    EXPECT_EQ(bencodeOf(Value::string("")), "0:");
    EXPECT_EQ(bencodeOf(Value::string("spam")), "4:spam");
    EXPECT_EQ(bencodeOf(Value::string("a\0b"s)), "3:a\0b"s);
    EXPECT_EQ(bencodeOf(Value::string(std::string(1234, 'x'))), "1234:" + std::string(1234, 'x'));
    EXPECT_EQ(bencodeOf(Value::integer(0)), "i0e");
    EXPECT_EQ(bencodeOf(Value::integer(9)), "i9e");
    EXPECT_EQ(bencodeOf(Value::integer(10)), "i10e");
    EXPECT_EQ(bencodeOf(Value::integer(-1)), "i-1e");
    EXPECT_EQ(bencodeOf(Value::integer(-10)), "i-10e");
    EXPECT_EQ(bencodeOf(Value::integer(std::numeric_limits<int64_t>::max())),
              "i9223372036854775807e");
    EXPECT_EQ(bencodeOf(Value::integer(std::numeric_limits<int64_t>::min())),
              "i-9223372036854775808e");
}

TEST(BencodeEncode, DefaultValueIsEmptyDict) {
    EXPECT_EQ(bencodeOf(Value()), "de");
    EXPECT_EQ(bencodeOf(Value::list()), "le");
}

TEST(BencodeEncode, DictKeysStayInInsertionOrder) {
    Value v = Value::dict();
    v.add("result", Value::string("ok"));
    v.add("created", Value::integer(1700000000));
    v.add("b", Value::integer(1));
    v.add("a", Value::integer(2));
    EXPECT_EQ(bencodeOf(v), "d6:result2:ok7:createdi1700000000e1:bi1e1:ai2ee");
}

TEST(BencodeEncode, NestedReplyBuiltWithInternedStrings) {
    Document doc;
    doc.root = Value::dict();
    doc.root.add("result", Value::string("ok"));
    Value& tags = doc.root.add("tags", Value::dict());
    std::string tag = "from-" + std::to_string(42);
    Value& t = tags.add(doc.intern(tag), Value::dict());
    tag.assign("clobbered");  // interned copies must not follow the source
    Value& medias = t.add("medias", Value::list());
    medias.push(Value::integer(1));
    medias.push(Value::list()).push(Value::string(doc.intern(std::string_view("x"))));
    EXPECT_EQ(bencodeOf(doc.root), "d6:result2:ok4:tagsd7:from-42d6:mediasli1el1:xeeeee");
}

TEST(BencodeEncode, AppendsToExistingOutput) {
    std::string out = "5323_1 ";
    Value v = Value::dict();
    v.add("result", Value::string("pong"));
    encode(v, out);
    EXPECT_EQ(out, "5323_1 d6:result4:ponge");
}

// ---- JSON ----

TEST(JsonEncode, ScalarsAndContainersAreCompact) {
    EXPECT_EQ(jsonOf(Value::integer(0)), "0");
    EXPECT_EQ(jsonOf(Value::integer(-42)), "-42");
    EXPECT_EQ(jsonOf(Value::integer(std::numeric_limits<int64_t>::min())), "-9223372036854775808");
    EXPECT_EQ(jsonOf(Value::string("")), "\"\"");
    EXPECT_EQ(jsonOf(Value::list()), "[]");
    EXPECT_EQ(jsonOf(Value::dict()), "{}");

    Value v = Value::dict();
    v.add("result", Value::string("ok"));
    v.add("", Value::integer(1));
    Value& l = v.add("list", Value::list());
    l.push(Value::integer(1));
    l.push(Value::string("two"));
    l.push(Value::dict());
    l.push(Value::list());
    EXPECT_EQ(jsonOf(v), R"({"result":"ok","":1,"list":[1,"two",{},[]]})");
}

TEST(JsonEncode, EscapesQuoteBackslashAndControlCharacters) {
    EXPECT_EQ(jsonOfString("a\"b\\c/d"), R"("a\"b\\c/d")");
    EXPECT_EQ(jsonOfString("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(jsonOfString("\x01\x1f"), R"("\u0001\u001f")");
    EXPECT_EQ(jsonOfString("a\0b"s), R"("a\u0000b")");
    EXPECT_EQ(jsonOfString("\x7f"), "\"\x7f\"");  // DEL needs no escape
    EXPECT_EQ(jsonOfString("v=0\r\nm=audio 9 RTP/AVP 0\r\n"),
              R"("v=0\r\nm=audio 9 RTP/AVP 0\r\n")");
}

TEST(JsonEncode, EscapesKeysToo) {
    Value v = Value::dict();
    v.add("a\"\n", Value::integer(1));
    EXPECT_EQ(jsonOf(v), R"({"a\"\n":1})");
}

TEST(JsonEncode, ValidUtf8PassesThrough) {
    const char* valid[] = {
        "\xc3\xa9",          // U+00E9
        "\xc2\x80",          // U+0080, smallest 2-byte
        "\xdf\xbf",          // U+07FF
        "\xe0\xa0\x80",      // U+0800, smallest 3-byte
        "\xe2\x82\xac",      // U+20AC
        "\xed\x9f\xbf",      // U+D7FF, just below surrogates
        "\xee\x80\x80",      // U+E000, just above surrogates
        "\xef\xbf\xbf",      // U+FFFF
        "\xf0\x90\x80\x80",  // U+10000, smallest 4-byte
        "\xf0\x9f\x98\x80",  // U+1F600
        "\xf4\x8f\xbf\xbf",  // U+10FFFF
    };
    for (const char* s : valid) EXPECT_EQ(jsonOfString(s), "\"" + std::string(s) + "\"") << s;
}

TEST(JsonEncode, InvalidUtf8BytesAreEscaped) {
    struct Case {
        std::string in;
        std::string want;
    } cases[] = {
        {"\x80", R"("\u0080")"},  // lone continuation
        {"\xff", R"("\u00ff")"},  // never valid
        {"\xfe", R"("\u00fe")"},
        {"\xc0\xaf", R"("\u00c0\u00af")"},                      // overlong '/'
        {"\xc1\xbf", R"("\u00c1\u00bf")"},                      // overlong
        {"\xe0\x80\xaf", R"("\u00e0\u0080\u00af")"},            // overlong 3-byte
        {"\xed\xa0\x80", R"("\u00ed\u00a0\u0080")"},            // UTF-16 surrogate D800
        {"\xf0\x80\x80\xaf", R"("\u00f0\u0080\u0080\u00af")"},  // overlong 4-byte
        {"\xf4\x90\x80\x80", R"("\u00f4\u0090\u0080\u0080")"},  // above U+10FFFF
        {"\xf5\x80\x80\x80", R"("\u00f5\u0080\u0080\u0080")"},
        {"\xc3", R"("\u00c3")"},  // truncated at end
        {"\xe2\x82", R"("\u00e2\u0082")"},
        {"\xf0\x9f\x98", R"("\u00f0\u009f\u0098")"},
        {"\xc3"
         "A",
         R"("\u00c3A")"},  // bad continuation
        {"\xe2\x82"
         "A",
         R"("\u00e2\u0082A")"},
        {"\xf0\x9f\x98"
         "A",
         R"("\u00f0\u009f\u0098A")"},
        {"\xf0\x9f"
         "AB",
         R"("\u00f0\u009fAB")"},
        {"a\xff\xc3\xa9z", "\"a\\u00ff\xc3\xa9z\""},  // mixed
    };
    for (const auto& c : cases) EXPECT_EQ(jsonOfString(c.in), c.want);
}

TEST(JsonEncode, BinaryFromBencodeBecomesDecodableJson) {
    std::string in =
        "d3:key6:\x00\xff\"\\\n\x80"
        "e"s;
    Document doc;
    ASSERT_TRUE(decode(in, doc));
    std::string json;
    encodeJson(doc.root, json);
    EXPECT_EQ(json, R"({"key":"\u0000\u00ff\"\\\n\u0080"})");
    Document back;
    auto r = decodeJson(json, back);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(back.root.find("key")->str(), "\0\xc3\xbf\"\\\n\xc2\x80"s);
}

TEST(JsonEncode, AppendsToExistingOutput) {
    std::string out = "prefix ";
    encodeJson(Value::integer(5), out);
    EXPECT_EQ(out, "prefix 5");
}

TEST(JsonEncode, LongStringWithManyEscapesGrowsPastEstimate) {
    std::string s(10000, '\x01');
    std::string out;
    encodeJson(Value::string(s), out);
    ASSERT_EQ(out.size(), 2 + 6 * s.size());
    EXPECT_EQ(out.substr(0, 13), "\"\\u0001\\u0001");
}

}  // namespace
}  // namespace ngm::bencode
