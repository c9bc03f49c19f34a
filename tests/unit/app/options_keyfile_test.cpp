// Keyfile reader and value syntax.
#include <gtest/gtest.h>

#include "options_test_util.h"

namespace ngm::app {
namespace {

using detail::KeyFile;
using detail::parseBool;
using detail::parseDouble;
using detail::parseInteger;
using detail::parseKeyFile;
using detail::splitKeyFileList;
using detail::unescapeKeyFileValue;

TEST(KeyFile, SectionsKeysAndValues) {
    KeyFile kf;
    std::string error;
    ASSERT_TRUE(parseKeyFile("[a]\nx = 1\ny=two words \n[b]\nx = 3\n", kf, error)) << error;
    const auto* a = kf.section("a");
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->size(), 2u);
    EXPECT_EQ((*a)[0].key, "x");
    EXPECT_EQ((*a)[0].rawValue, "1");
    EXPECT_EQ((*a)[0].line, 2);
    EXPECT_EQ((*a)[1].rawValue, "two words");
    EXPECT_EQ(kf.section("b")->at(0).rawValue, "3");
    EXPECT_EQ(kf.section("c"), nullptr);
}

TEST(KeyFile, SectionNameIsTrimmed) {
    KeyFile kf;
    std::string error;
    ASSERT_TRUE(parseKeyFile("[ rtpengine ]\nx=1\n", kf, error)) << error;
    EXPECT_NE(kf.section("rtpengine"), nullptr);
}

TEST(KeyFile, ValueMayContainEqualsAndHash) {
    KeyFile kf;
    std::string error;
    ASSERT_TRUE(parseKeyFile("[a]\nq = select x from t where a=%llu # not a comment\n", kf, error));
    EXPECT_EQ(kf.section("a")->at(0).rawValue, "select x from t where a=%llu # not a comment");
}

TEST(KeyFile, LocalizedKeysAreSkipped) {
    KeyFile kf;
    std::string error;
    ASSERT_TRUE(parseKeyFile("[a]\nx = 1\nx[de] = 2\n", kf, error)) << error;
    ASSERT_EQ(kf.section("a")->size(), 1u);
    EXPECT_EQ(kf.section("a")->at(0).rawValue, "1");
}

TEST(KeyFile, SyntaxErrors) {
    for (const char* text : {"[a\nx=1\n", "[a]\njust words\n", "[a]\n= 1\n", "x = 1\n", "[]\n"}) {
        KeyFile kf;
        std::string error;
        EXPECT_FALSE(parseKeyFile(text, kf, error)) << text;
        EXPECT_EQ(error.rfind("line ", 0), 0u) << error;
    }
}

TEST(KeyFile, Escapes) {
    EXPECT_EQ(unescapeKeyFileValue("a\\sb\\tc\\nd\\re\\\\f"), "a b\tc\nd\re\\f");
    EXPECT_EQ(unescapeKeyFileValue("keep\\x"), "keep\\x");
    EXPECT_EQ(unescapeKeyFileValue("a\\;b"), "a\\;b");
    EXPECT_EQ(unescapeKeyFileValue("a\\;b", true), "a;b");
    EXPECT_EQ(unescapeKeyFileValue("trailing\\"), "trailing\\");
}

TEST(KeyFile, ListSplitting) {
    using V = std::vector<std::string>;
    EXPECT_EQ(splitKeyFileList("a;b;c"), (V{"a", "b", "c"}));
    EXPECT_EQ(splitKeyFileList("a ; b;"), (V{"a", "b"}));
    EXPECT_EQ(splitKeyFileList("a;;b"), (V{"a", "", "b"}));
    EXPECT_EQ(splitKeyFileList("a\\;b;c"), (V{"a;b", "c"}));
    EXPECT_EQ(splitKeyFileList(""), V{});
    EXPECT_EQ(splitKeyFileList("single"), V{"single"});
    EXPECT_EQ(splitKeyFileList("x\\s;y"), (V{"x ", "y"}));
}

TEST(ValueSyntax, Integers) {
    EXPECT_EQ(parseInteger("0"), 0);
    EXPECT_EQ(parseInteger("-12"), -12);
    EXPECT_EQ(parseInteger("+12"), 12);
    EXPECT_EQ(parseInteger("010"), 10);
    EXPECT_EQ(parseInteger("0x1F"), 31);
    EXPECT_EQ(parseInteger("-0x10"), -16);
    EXPECT_EQ(parseInteger("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(parseInteger("-9223372036854775808"), INT64_MIN);
    for (const char* bad : {"", "-", "+", "x", "1x", " 1", "1 ", "1.0", "0x", "--1", "+-1",
                            "9223372036854775808", "0xg"})
        EXPECT_FALSE(parseInteger(bad)) << bad;
}

TEST(ValueSyntax, Doubles) {
    EXPECT_EQ(parseDouble("1.5"), 1.5);
    EXPECT_EQ(parseDouble("-2"), -2.0);
    EXPECT_EQ(parseDouble("+0.25"), 0.25);
    EXPECT_EQ(parseDouble("1e2"), 100.0);
    for (const char* bad : {"", "1,5", "abc", "inf", "nan", "1.5x", "++1"})
        EXPECT_FALSE(parseDouble(bad)) << bad;
}

TEST(ValueSyntax, Booleans) {
    for (const char* t : {"true", "True", "YES", "yes", "1"}) EXPECT_EQ(parseBool(t), true) << t;
    for (const char* f : {"false", "FALSE", "no", "No", "0"}) EXPECT_EQ(parseBool(f), false) << f;
    for (const char* bad : {"", "on", "off", "2", "y"}) EXPECT_FALSE(parseBool(bad)) << bad;
}

}  // namespace
}  // namespace ngm::app
