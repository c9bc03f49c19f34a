#include "media/bundle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ngm::media {
namespace {

void put32(std::vector<uint8_t>& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

// An RTP packet (RFC 3550) with an optional RFC 8285 header extension block
// (`ext`: the elements, padded to 32 bits here) and a 4-byte payload.
std::vector<uint8_t> rtp(uint8_t pt, uint32_t ssrc, std::vector<uint8_t> ext = {},
                         uint16_t profile = 0xBEDE) {
    std::vector<uint8_t> b{uint8_t(ext.empty() ? 0x80 : 0x90), pt, 0, 1, 0, 0, 0, 160};
    put32(b, ssrc);
    if (!ext.empty()) {
        while (ext.size() % 4) ext.push_back(0);
        b.push_back(uint8_t(profile >> 8));
        b.push_back(uint8_t(profile));
        b.push_back(0);
        b.push_back(uint8_t(ext.size() / 4));
        b.insert(b.end(), ext.begin(), ext.end());
    }
    b.insert(b.end(), {0xde, 0xad, 0xbe, 0xef});
    return b;
}

// One-byte element: id, then len-1 in the low nibble.
std::vector<uint8_t> oneByteMid(uint8_t id, const std::string& mid) {
    std::vector<uint8_t> e;
    e.reserve(1 + mid.size());
    e.push_back(uint8_t(id << 4 | (mid.size() - 1)));
    for (char c : mid) e.push_back(uint8_t(c));
    return e;
}

std::bitset<128> pts(std::initializer_list<int> l) {
    std::bitset<128> b;
    for (int p : l) b.set(size_t(p));
    return b;
}

class BundleDemuxTest : public ::testing::Test {
  protected:
    void SetUp() override {
        d.beginSections();
        ASSERT_TRUE(d.addSection("a0", pts({111, 0}), {}, {}));
        ASSERT_TRUE(d.addSection("a1", pts({111, 8}), {}, {}));
        d.endSections();
        d.setMidExtension(4);
    }
    BundleDemux d;
};

TEST(HeaderExtension, FindsOneByteElementAmongOthers) {
    std::vector<uint8_t> ext{0x10, 0xaa, 0x00};  // id 1 len 1, padding
    auto mid = oneByteMid(4, "a1");
    ext.insert(ext.end(), mid.begin(), mid.end());
    auto p = rtp(111, 1, ext);
    std::span<const uint8_t> v;
    ASSERT_TRUE(findHeaderExtension(p, 4, v));
    EXPECT_EQ(std::string(v.begin(), v.end()), "a1");
    EXPECT_FALSE(findHeaderExtension(p, 5, v));
    EXPECT_TRUE(findHeaderExtension(p, 1, v));
    EXPECT_EQ(v.size(), 1u);
}

TEST(HeaderExtension, FindsTwoByteElement) {
    std::vector<uint8_t> ext{7, 0, 200, 3, 'x', 'y', 'z'};  // id 7 empty, id 200 "xyz"
    auto p = rtp(0, 1, ext, 0x1000);
    std::span<const uint8_t> v;
    ASSERT_TRUE(findHeaderExtension(p, 200, v));
    EXPECT_EQ(std::string(v.begin(), v.end()), "xyz");
    ASSERT_TRUE(findHeaderExtension(p, 7, v));
    EXPECT_TRUE(v.empty());
}

TEST(HeaderExtension, RejectsMalformedBlocks) {
    std::span<const uint8_t> v;
    // An element longer than its block.
    auto p = rtp(0, 1, {0x4f, 'a', 'b', 'c'});
    EXPECT_FALSE(findHeaderExtension(p, 4, v));
    // A block longer than the packet.
    auto q = rtp(0, 1, oneByteMid(4, "a"));
    q[15] = 40;
    EXPECT_FALSE(findHeaderExtension(q, 4, v));
    // No extension, unknown profile, id 15 (stop), id 0.
    EXPECT_FALSE(findHeaderExtension(rtp(0, 1), 4, v));
    EXPECT_FALSE(findHeaderExtension(rtp(0, 1, oneByteMid(4, "a"), 0x1234), 4, v));
    EXPECT_FALSE(findHeaderExtension(rtp(0, 1, {0xf0, 0x41, 'a', 'b'}), 4, v));
    EXPECT_FALSE(findHeaderExtension(rtp(0, 1, oneByteMid(4, "a")), 0, v));
    // Truncated before the extension header.
    auto t = rtp(0, 1, oneByteMid(4, "a"));
    t.resize(13);
    EXPECT_FALSE(findHeaderExtension(t, 4, v));
}

TEST_F(BundleDemuxTest, MidExtensionPicksTheSectionAndTeachesItsSsrc) {
    EXPECT_EQ(d.routeRtp(rtp(111, 0x1111, oneByteMid(4, "a1"))), 1);
    EXPECT_EQ(d.routeRtp(rtp(111, 0x2222, oneByteMid(4, "a0"))), 0);
    // Later packets without the extension go by the SSRC learnt.
    EXPECT_EQ(d.routeRtp(rtp(111, 0x1111)), 1);
    EXPECT_EQ(d.routeRtp(rtp(111, 0x2222)), 0);
    EXPECT_EQ(d.sectionOfInSsrc(0x1111), 1);
}

TEST_F(BundleDemuxTest, UnknownMidIsDroppedNotGuessed) {
    EXPECT_EQ(d.routeRtp(rtp(0, 0x3333, oneByteMid(4, "zz"))), -1);
    EXPECT_EQ(d.sectionOfInSsrc(0x3333), -1);
}

TEST_F(BundleDemuxTest, MidMovesAnSsrcToItsSection) {
    EXPECT_EQ(d.routeRtp(rtp(0, 0x4444)), 0);  // by payload type
    EXPECT_EQ(d.routeRtp(rtp(8, 0x4444, oneByteMid(4, "a1"))), 1);
    EXPECT_EQ(d.sectionOfInSsrc(0x4444), 1);
}

TEST_F(BundleDemuxTest, PayloadTypeOfOneSectionDecidesASharedOneDoesNot) {
    EXPECT_EQ(d.routeRtp(rtp(0, 0x10)), 0);
    EXPECT_EQ(d.routeRtp(rtp(8, 0x20)), 1);
    EXPECT_EQ(d.routeRtp(rtp(111, 0x30)), -1);  // both sections list 111
    EXPECT_EQ(d.routeRtp(rtp(9, 0x40)), -1);    // none does
    // Learnt from the unique type: the SSRC now decides even with a shared one.
    EXPECT_EQ(d.routeRtp(rtp(111, 0x20)), 1);
    EXPECT_EQ(d.routeRtp({}), -1);
}

TEST_F(BundleDemuxTest, WithoutMidExtensionTheElementIsIgnored) {
    d.setMidExtension(0);
    EXPECT_EQ(d.routeRtp(rtp(8, 0x55, oneByteMid(4, "a0"))), 1);
}

TEST_F(BundleDemuxTest, RtcpGoesBySenderSsrcThenByReportedSsrc) {
    d.routeRtp(rtp(0, 0xa0a0a0a0));  // section 0 sends under this SSRC
    d.noteSent(1, 0xb1b1b1b1);       // we send section 1 under this one
    // SR from section 0's sender.
    std::vector<uint8_t> sr{0x80, 200, 0, 6};
    put32(sr, 0xa0a0a0a0);
    sr.resize(28, 0);
    EXPECT_EQ(d.routeRtcp(sr), 0);
    // RR from an unknown sender about section 1's media.
    std::vector<uint8_t> rr{0x81, 201, 0, 7};
    put32(rr, 0x99);
    put32(rr, 0xb1b1b1b1);
    rr.resize(32, 0);
    EXPECT_EQ(d.routeRtcp(rr), 1);
    // PLI (PSFB) about section 1's media.
    std::vector<uint8_t> pli{0x81, 206, 0, 2};
    put32(pli, 0x99);
    put32(pli, 0xb1b1b1b1);
    EXPECT_EQ(d.routeRtcp(pli), 1);
    // A compound: RR about nothing known, then SDES from section 0's sender.
    std::vector<uint8_t> compound{0x80, 201, 0, 1};
    put32(compound, 0x99);
    compound.insert(compound.end(), {0x81, 202, 0, 1});
    put32(compound, 0xa0a0a0a0);
    EXPECT_EQ(d.routeRtcp(compound), 0);
    // Nothing known.
    std::vector<uint8_t> other{0x80, 201, 0, 1};
    put32(other, 0x77);
    EXPECT_EQ(d.routeRtcp(other), -1);
    // A report block count running past the packet is not read.
    std::vector<uint8_t> bad{0x9f, 201, 0, 1};
    put32(bad, 0x77);
    EXPECT_EQ(d.routeRtcp(bad), -1);
}

TEST_F(BundleDemuxTest, NewTableKeepsWhatWasLearntUnderTheSameMid) {
    d.routeRtp(rtp(8, 0x66));
    d.noteSent(0, 0x77);
    d.beginSections();
    ASSERT_TRUE(d.addSection("a1", pts({8}), {}, {}));
    ASSERT_TRUE(d.addSection("a0", pts({0}), {}, {}));
    ASSERT_TRUE(d.addSection("new", pts({9}), {}, {}));
    d.endSections();
    EXPECT_EQ(d.sectionOfInSsrc(0x66), 0);
    EXPECT_EQ(d.sectionOfOutSsrc(0x77), 1);
    EXPECT_EQ(d.size(), 3u);
}

TEST_F(BundleDemuxTest, LearntSsrcsAreBounded) {
    for (uint32_t s = 1; s <= 100; s++) EXPECT_EQ(d.routeRtp(rtp(0, s)), 0);
    for (uint32_t s = 1; s <= 100; s++) d.noteSent(1, s);
    // The newest are kept.
    EXPECT_EQ(d.sectionOfInSsrc(100), 0);
    EXPECT_EQ(d.sectionOfOutSsrc(100), 1);
    EXPECT_EQ(d.sectionOfInSsrc(1), -1);
}

TEST(BundleDemux, TableAndMidLimits) {
    BundleDemux d;
    d.beginSections();
    EXPECT_FALSE(d.addSection(std::string(BundleDemux::kMaxMid + 1, 'm'), {}, {}, {}));
    for (size_t i = 0; i < BundleDemux::kMaxSections; i++)
        EXPECT_TRUE(d.addSection(std::to_string(i), {}, {}, {}));
    EXPECT_FALSE(d.addSection("x", {}, {}, {}));
    d.endSections();
    EXPECT_EQ(d.routeRtcp({}), -1);
}

}  // namespace
}  // namespace ngm::media
