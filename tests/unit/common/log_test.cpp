// Log levels per subsystem (common/log.h): a line is written when its level
// is within its subsystem's level; --log-level sets them all, internals
// stays off unless asked for; NGM_LOG takes the subsystem the file names.
#include "common/log.h"

#include <gtest/gtest.h>

#include <string>

namespace ngm {
namespace {

class LogLevels : public ::testing::Test {
  protected:
    void SetUp() override {
        log::Config c;
        c.level = log::Info;
        c.toStderr = true;
        log::init(c);
    }
    void TearDown() override { log::init(log::Config{}); }
};

TEST_F(LogLevels, InitSetsEverySubsystemButInternals) {
    for (size_t i = 0; i < log::kSubsystems; i++) {
        auto s = log::Subsystem(i);
        EXPECT_EQ(log::level(s), s == log::Subsystem::Internals ? -1 : log::Info)
            << log::subsystemName(s);
    }
}

TEST_F(LogLevels, NamesAreRtpenginesInItsOrder) {
    const char* names[] = {"core", "spandsp", "ffmpeg", "transcoding", "codec",   "rtcp", "ice",
                           "crypto", "srtp", "internals", "http",       "control", "dtx"};
    ASSERT_EQ(std::size(names), log::kSubsystems);
    for (size_t i = 0; i < log::kSubsystems; i++) {
        EXPECT_EQ(log::subsystemName(log::Subsystem(i)), names[i]);
        EXPECT_EQ(log::subsystemByName(names[i]), log::Subsystem(i));
    }
    EXPECT_FALSE(log::subsystemByName("foo").has_value());
}

TEST_F(LogLevels, ASubsystemLevelFiltersOnlyItsLines) {
    log::setLevel(log::Subsystem::Ice, log::Warning);
    log::setLevel(log::Subsystem::Control, log::Debug);
    EXPECT_FALSE(log::enabled(log::Info, log::Subsystem::Ice));
    EXPECT_TRUE(log::enabled(log::Warning, log::Subsystem::Ice));
    EXPECT_TRUE(log::enabled(log::Debug, log::Subsystem::Control));
    EXPECT_TRUE(log::enabled(log::Info, log::Subsystem::Core));
    EXPECT_FALSE(log::enabled(log::Debug, log::Subsystem::Core));
    EXPECT_FALSE(log::enabled(log::Emerg, log::Subsystem::Internals));
    // `set loglevel N`: all of them, internals too.
    log::setLevel(log::Notice);
    EXPECT_TRUE(log::enabled(log::Notice, log::Subsystem::Internals));
    EXPECT_FALSE(log::enabled(log::Info, log::Subsystem::Control));
}

std::string logged(void (*fn)()) {
    ::testing::internal::CaptureStderr();
    fn();
    return ::testing::internal::GetCapturedStderr();
}

void coreLine() { NGM_LOG(log::Info, "", "a core line"); }

}  // namespace

namespace ice_like {
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Ice;
void iceLine() { NGM_LOG(log::Info, "ctx", "an ice line"); }
}  // namespace
}  // namespace ice_like

namespace {

TEST_F(LogLevels, NgLogTakesTheSubsystemTheFileNames) {
    log::setLevel(log::Subsystem::Ice, log::Warning);
    EXPECT_EQ(logged(ice_like::iceLine), "");
    EXPECT_NE(logged(coreLine).find("INFO: a core line"), std::string::npos);
    log::setLevel(log::Subsystem::Ice, log::Info);
    log::setLevel(log::Subsystem::Core, log::Notice);
    EXPECT_NE(logged(ice_like::iceLine).find("INFO: [ctx] an ice line"), std::string::npos);
    EXPECT_EQ(logged(coreLine), "");
}

}  // namespace
}  // namespace ngm
