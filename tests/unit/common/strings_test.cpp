#include "common/strings.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ngm {
namespace {

using Parts = std::vector<std::string_view>;

TEST(Strings, TrimRemovesSpacesAndTabsAtBothEnds) {
    EXPECT_EQ(trim("  \tabc d\t "), "abc d");
    EXPECT_EQ(trim("   "), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim("\nx\n"), "\nx\n");  // only spaces and tabs
}

TEST(Strings, SplitKeepsEmptyFields) {
    EXPECT_EQ(split("a/b/c", '/'), (Parts{"a", "b", "c"}));
    EXPECT_EQ(split("a//c/", '/'), (Parts{"a", "", "c", ""}));
    EXPECT_EQ(split("", '/'), Parts{""});
    EXPECT_EQ(split("abc", '/'), Parts{"abc"});
}

TEST(Strings, ParseIntAcceptsOnlyWholeNumbers) {
    EXPECT_EQ(parseInt<int>("42"), 42);
    EXPECT_EQ(parseInt<int>("-7"), -7);
    EXPECT_EQ(parseInt<int64_t>("9223372036854775807"), std::numeric_limits<int64_t>::max());
    EXPECT_FALSE(parseInt<int>(""));
    EXPECT_FALSE(parseInt<int>("4x"));
    EXPECT_FALSE(parseInt<int>(" 4"));
    EXPECT_FALSE(parseInt<int>("+4"));
    EXPECT_FALSE(parseInt<uint16_t>("65536"));
    EXPECT_FALSE(parseInt<uint16_t>("-1"));
}

TEST(Strings, IequalsIgnoresAsciiCase) {
    EXPECT_TRUE(iequals("PCMU", "pcmu"));
    EXPECT_TRUE(iequals("Telephone-Event", "telephone-EVENT"));
    EXPECT_FALSE(iequals("PCMU", "PCMA"));
    EXPECT_FALSE(iequals("PCM", "PCMU"));
    EXPECT_TRUE(iequals("", ""));
}

TEST(Strings, AppendIntWritesDecimal) {
    std::string s = "port ";
    appendInt(s, 0);
    s += ' ';
    appendInt(s, -12);
    s += ' ';
    appendInt(s, std::numeric_limits<int64_t>::min());
    EXPECT_EQ(s, "port 0 -12 -9223372036854775808");
}

}  // namespace
}  // namespace ngm
