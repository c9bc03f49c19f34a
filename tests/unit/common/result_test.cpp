#include "common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ngm {
namespace {

Result<int> half(int n) {
    if (n % 2) return Error{"odd: " + std::to_string(n)};
    return n / 2;
}

Result<void> check(bool good) {
    if (!good) return Error{"not good"};
    return {};
}

TEST(Result, SuccessHoldsTheValue) {
    auto r = half(8);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r);
    EXPECT_EQ(r.value(), 4);
    EXPECT_EQ(*r, 4);
}

TEST(Result, FailureHoldsTheReason) {
    auto r = half(7);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error().reason, "odd: 7");
    EXPECT_EQ(r.error(), Error{"odd: 7"});
}

TEST(Result, AskingForTheWrongSideIsAProgrammingError) {
    auto bad = half(7);
    EXPECT_THROW((void)bad.value(), std::logic_error);
    try {
        (void)bad.value();
    } catch (const std::logic_error& e) {
        EXPECT_NE(std::string(e.what()).find("odd: 7"), std::string::npos) << e.what();
    }
    auto good = half(2);
    EXPECT_THROW((void)good.error(), std::logic_error);
}

TEST(Result, ValueOrFallsBackOnlyOnError) {
    EXPECT_EQ(half(8).valueOr(-1), 4);
    EXPECT_EQ(half(7).valueOr(-1), -1);
}

TEST(Result, StringValuesAreBuiltFromAnythingAStringIsMadeOf) {
    Result<std::string> s = "text";
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, "text");
    EXPECT_EQ(s->size(), 4u);
    // An Error is never taken for a value, even where T could hold text.
    Result<std::string> e = Error{"text"};
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().reason, "text");
}

TEST(Result, MoveOnlyValuesMoveOut) {
    Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
    ASSERT_TRUE(r);
    std::unique_ptr<int> p = std::move(r).value();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, 5);
}

TEST(Result, ArrowReachesMembers) {
    Result<std::vector<int>> r = std::vector<int>{1, 2, 3};
    ASSERT_TRUE(r);
    EXPECT_EQ(r->size(), 3u);
    r->push_back(4);
    EXPECT_EQ(r.value().back(), 4);
}

TEST(Result, CopiesAreIndependent) {
    Result<std::string> a = std::string("one");
    Result<std::string> b = a;
    *b = "two";
    EXPECT_EQ(*a, "one");
    Result<std::string> c = Error{"bad"};
    b = c;
    EXPECT_FALSE(b);
    EXPECT_EQ(b.error().reason, "bad");
}

TEST(ResultVoid, DefaultIsSuccess) {
    auto r = check(true);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r);
    EXPECT_NO_THROW(r.value());
    EXPECT_THROW((void)r.error(), std::logic_error);
}

TEST(ResultVoid, FailureHoldsTheReason) {
    auto r = check(false);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error().reason, "not good");
    EXPECT_THROW(r.value(), std::logic_error);
}

TEST(ResultVoid, FailurePropagatesUnchanged) {
    auto outer = [](bool good) -> Result<void> {
        if (auto r = check(good); !r) return r;
        return {};
    };
    EXPECT_TRUE(outer(true));
    EXPECT_EQ(outer(false).error().reason, "not good");
}

}  // namespace
}  // namespace ngm
