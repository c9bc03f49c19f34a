#include "media/controls.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace ngm::media {
namespace {

using Bytes = std::vector<uint8_t>;

// V=2, payload type `pt`, seq 1, ts 0, SSRC 0x11223344, 4 bytes of payload.
Bytes rtp(uint8_t pt) { return {0x80, pt, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4}; }
Bytes rtcp() { return {0x81, 201, 0, 1, 0x11, 0x22, 0x33, 0x44}; }

Verdict run(ControlsStage& s, Bytes& b, bool isRtp = true) {
    PacketContext p{b.data(), b.size(), b.size(), isRtp, 0, nullptr};
    return s.process(p);
}

ControlsStage with(Controls c) {
    ControlsStage s;
    s.set(c);
    return s;
}

TEST(ControlsStage, DropAllDropsRtpAndRtcp) {
    auto s = with({.dropAll = true});
    Bytes a = rtp(0), b = rtcp();
    EXPECT_EQ(run(s, a), Verdict::Drop);
    EXPECT_EQ(run(s, b, false), Verdict::Drop);
}

TEST(ControlsStage, BlockMediaLetsRtcpAndDtmfThrough) {
    auto s = with({.blockMedia = true, .dtmfPayloadType = 101});
    Bytes media = rtp(8), dtmf = rtp(101), report = rtcp();
    EXPECT_EQ(run(s, media), Verdict::Drop);
    EXPECT_EQ(run(s, dtmf), Verdict::Forward);
    EXPECT_EQ(run(s, report, false), Verdict::Forward);
}

TEST(ControlsStage, BlockDtmfWithoutATelephoneEventTypeBlocksNothing) {
    auto s = with({.blockDtmf = true});
    Bytes b = rtp(101);
    EXPECT_EQ(run(s, b), Verdict::Forward);
}

TEST(ControlsStage, SilenceWritesEachCodecsSilenceAndLeavesOthersAlone) {
    auto s = with({.silence = true});
    struct Case {
        uint8_t pt, fill;
    } cases[] = {{0, 0xff}, {8, 0xd5}, {9, 0xfd}};
    for (auto c : cases) {
        Bytes b = rtp(c.pt);
        EXPECT_EQ(run(s, b), Verdict::Forward);
        EXPECT_TRUE(std::all_of(b.begin() + 12, b.end(), [&](uint8_t x) { return x == c.fill; }))
            << "payload type " << int(c.pt);
    }
    Bytes opus = rtp(111);
    run(s, opus);
    EXPECT_EQ(opus, rtp(111));
}

TEST(ControlsStage, EchoRewritesTheSsrcOfRtpOnly) {
    auto s = with({.echoSsrc = 0x5eed0001});
    Bytes b = rtp(0), r = rtcp();
    run(s, b);
    EXPECT_EQ(Bytes(b.begin() + 8, b.begin() + 12), (Bytes{0x5e, 0xed, 0x00, 0x01}));
    run(s, r, false);
    EXPECT_EQ(r, rtcp());
}

TEST(Controls, AnyIsTrueOnlyForAControlThatActs) {
    EXPECT_FALSE(Controls{}.any());
    EXPECT_FALSE(Controls{.dtmfPayloadType = 101}.any());
    EXPECT_TRUE(Controls{.silence = true}.any());
    EXPECT_TRUE(Controls{.echoSsrc = 1}.any());
}

}  // namespace
}  // namespace ngm::media
