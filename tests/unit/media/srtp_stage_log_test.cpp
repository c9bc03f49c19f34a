// SrtpStage's log line (common/log.h): a packet that fails SRTP is one
// debug line of the `srtp` subsystem, so --log-level-srtp alone decides
// whether it shows; at the default level (6) nothing is logged.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/log.h"
#include "crypto/sdes.h"
#include "media/srtp_stage.h"

namespace ngm::media {
namespace {

class SrtpStageLog : public ::testing::Test {
  protected:
    void SetUp() override {
        for (size_t i = 0; i < log::kSubsystems; i++) saved[i] = log::level(log::Subsystem(i));
        auto key = crypto::parseCrypto(
            "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");
        ASSERT_TRUE(key) << key.error().reason;
        auto made = SrtpStage::fromSdes(SrtpStage::Direction::Decrypt, *key);
        ASSERT_TRUE(made) << made.error().reason;
        stage = std::move(*made);
    }
    void TearDown() override {
        for (size_t i = 0; i < log::kSubsystems; i++) log::setLevel(log::Subsystem(i), saved[i]);
    }

    // An RTP packet whose tag authenticates nothing; what was logged.
    std::string refuseOne() {
        uint8_t buf[256] = {0x80, 0x00, 0x00, 0x01, 0, 0, 0, 1, 0x11, 0x22, 0x33, 0x44};
        PacketContext p{buf, 12 + 20 + 10, sizeof buf, true};
        ::testing::internal::CaptureStderr();
        EXPECT_EQ(stage->process(p), Verdict::Error);
        return ::testing::internal::GetCapturedStderr();
    }

    std::unique_ptr<SrtpStage> stage;
    int saved[log::kSubsystems] = {};
};

TEST_F(SrtpStageLog, ARefusedPacketIsADebugLineOfSrtpOnly) {
    log::setLevel(log::Info);
    EXPECT_EQ(refuseOne(), "") << "nothing at the default level";
    // srtp at err, everything else at debug: still nothing.
    log::setLevel(log::Debug);
    log::setLevel(log::Subsystem::Srtp, log::Err);
    EXPECT_EQ(refuseOne(), "");
    // srtp at debug, everything else at err: the line.
    log::setLevel(log::Err);
    log::setLevel(log::Subsystem::Srtp, log::Debug);
    std::string line = refuseOne();
    EXPECT_NE(line.find("DEBUG: SRTP decryption failed: authentication failed"), std::string::npos)
        << line;
    EXPECT_EQ(stage->failures(), 3u);
}

}  // namespace
}  // namespace ngm::media
