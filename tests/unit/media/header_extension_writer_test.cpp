// setHeaderExtension (media/bundle.h): the MID header extension written
// into RTP we send into a bundle, read back with findHeaderExtension.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "media/bundle.h"
#include "media/packet.h"

namespace ngm::media {
namespace {

std::vector<uint8_t> plainRtp(size_t payload = 4) {
    std::vector<uint8_t> b{0x80, 0, 0, 1, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44};
    for (size_t i = 0; i < payload; i++) b.push_back(uint8_t(0xa0 + i));
    return b;
}

std::span<const uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string valueOf(std::span<const uint8_t> pkt, uint8_t id) {
    std::span<const uint8_t> v;
    if (!findHeaderExtension(pkt, id, v)) return "<none>";
    return std::string(v.begin(), v.end());
}

// The buffer a packet lies in, with room to grow.
struct Buffer {
    std::array<uint8_t, 512> b{};
    size_t len = 0;
    explicit Buffer(const std::vector<uint8_t>& p) : len(p.size()) {
        std::copy(p.begin(), p.end(), b.begin());
    }
    std::span<uint8_t> all() { return b; }
    std::span<const uint8_t> pkt() const { return {b.data(), len}; }
    std::vector<uint8_t> payload(size_t n) const {
        return std::vector<uint8_t>(b.begin() + long(len - n), b.begin() + long(len));
    }
};

TEST(HeaderExtensionWriter, AddsOneByteBlockToPacketWithout) {
    Buffer x(plainRtp());
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 3, bytes("audio0")));
    RtpHeader h;
    ASSERT_TRUE(parseRtp(x.pkt(), h));
    EXPECT_EQ(x.b[0] & 0x10, 0x10);
    EXPECT_EQ(x.b[12], 0xBE);
    EXPECT_EQ(x.b[13], 0xDE);
    EXPECT_EQ(h.headerLength, 12 + 4 + 8);  // 1 + 6 octets, padded to 8
    EXPECT_EQ(h.payloadLength, 4);
    EXPECT_EQ(valueOf(x.pkt(), 3), "audio0");
    EXPECT_EQ(x.payload(4), (std::vector<uint8_t>{0xa0, 0xa1, 0xa2, 0xa3}));
    EXPECT_EQ(h.ssrc, 0x11223344u);
}

TEST(HeaderExtensionWriter, IdAbove14OrLongValueTakesTwoByteForm) {
    Buffer x(plainRtp());
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 20, bytes("v")));
    EXPECT_EQ(x.b[12], 0x10);
    EXPECT_EQ(x.b[13] & 0xf0, 0x00);
    EXPECT_EQ(valueOf(x.pkt(), 20), "v");
    Buffer y(plainRtp());
    std::string mid(17, 'm');
    ASSERT_TRUE(setHeaderExtension(y.all(), y.len, 1, bytes(mid)));
    EXPECT_EQ(y.b[12], 0x10);
    EXPECT_EQ(valueOf(y.pkt(), 1), mid);
    RtpHeader h;
    ASSERT_TRUE(parseRtp(y.pkt(), h));
    EXPECT_EQ(h.payloadLength, 4);
}

TEST(HeaderExtensionWriter, KeepsOtherOneByteElementsAndReplacesOurs) {
    // ssrc-audio-level (id 1, 1 octet) and an old MID (id 3, "x").
    std::vector<uint8_t> p{0x90, 0,    0,    1, 0, 0,    0,    160,  0x11, 0x22, 0x33,
                           0x44, 0xBE, 0xDE, 0, 1, 0x10, 0x85, 0x30, 'x',  0xca, 0xfe};
    Buffer x(p);
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 3, bytes("1")));
    EXPECT_EQ(valueOf(x.pkt(), 1), "\x85");
    EXPECT_EQ(valueOf(x.pkt(), 3), "1");
    EXPECT_EQ(x.payload(2), (std::vector<uint8_t>{0xca, 0xfe}));
    // Longer than before: still both, payload moved.
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 3, bytes("video12")));
    EXPECT_EQ(valueOf(x.pkt(), 1), "\x85");
    EXPECT_EQ(valueOf(x.pkt(), 3), "video12");
    EXPECT_EQ(x.payload(2), (std::vector<uint8_t>{0xca, 0xfe}));
    RtpHeader h;
    ASSERT_TRUE(parseRtp(x.pkt(), h));
    EXPECT_EQ(h.payloadLength, 2);
}

TEST(HeaderExtensionWriter, SameValueAlreadyThereLeavesPacketAsItIs) {
    Buffer x(plainRtp());
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 3, bytes("a1")));
    auto before = std::vector<uint8_t>(x.b.begin(), x.b.begin() + long(x.len));
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 3, bytes("a1")));
    EXPECT_EQ(std::vector<uint8_t>(x.b.begin(), x.b.begin() + long(x.len)), before);
}

TEST(HeaderExtensionWriter, KeepsTwoByteBlockAndItsElements) {
    // Two-byte form (0x1000): id 7 with 0 octets, id 30 with 2 octets.
    std::vector<uint8_t> p{0x90, 0, 0, 1, 0, 0,  0, 160,  0x11, 0x22, 0x33, 0x44, 0x10,
                           0x00, 0, 2, 7, 0, 30, 2, 0xab, 0xcd, 0,    0,    0x99};
    Buffer x(p);
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 4, bytes("m")));
    EXPECT_EQ(x.b[12], 0x10);
    EXPECT_EQ(valueOf(x.pkt(), 30), "\xab\xcd");
    EXPECT_EQ(valueOf(x.pkt(), 7), "");
    EXPECT_EQ(valueOf(x.pkt(), 4), "m");
    EXPECT_EQ(x.payload(1), (std::vector<uint8_t>{0x99}));
}

TEST(HeaderExtensionWriter, OneByteBlockBecomesTwoByteForIdAbove14) {
    std::vector<uint8_t> p{0x90, 0,    0,    1, 0, 0,    0,    160, 0x11, 0x22, 0x33,
                           0x44, 0xBE, 0xDE, 0, 1, 0x10, 0x85, 0,   0,    0x77};
    Buffer x(p);
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 15, bytes("s")));
    EXPECT_EQ(x.b[12], 0x10);
    EXPECT_EQ(valueOf(x.pkt(), 1), "\x85");
    EXPECT_EQ(valueOf(x.pkt(), 15), "s");
    EXPECT_EQ(x.payload(1), (std::vector<uint8_t>{0x77}));
}

TEST(HeaderExtensionWriter, CsrcsAndPaddingSurvive) {
    // Two CSRCs and RTP padding of 4 octets (P bit).
    std::vector<uint8_t> p{0xa2, 0, 0, 1, 0, 0, 0, 160,  0x11, 0x22, 0x33, 0x44, 1,
                           1,    1, 1, 2, 2, 2, 2, 0x55, 0,    0,    0,    4};
    Buffer x(p);
    ASSERT_TRUE(setHeaderExtension(x.all(), x.len, 2, bytes("0")));
    RtpHeader h;
    ASSERT_TRUE(parseRtp(x.pkt(), h));
    EXPECT_EQ(h.paddingLength, 4);
    EXPECT_EQ(h.payloadLength, 1);
    EXPECT_EQ(valueOf(x.pkt(), 2), "0");
    EXPECT_EQ(x.b[12], 1);
    EXPECT_EQ(x.b[16], 2);
}

TEST(HeaderExtensionWriter, RefusesWhatItCannotDoAndLeavesPacket) {
    // No room.
    std::vector<uint8_t> p = plainRtp();
    std::vector<uint8_t> tight = p;
    size_t len = tight.size();
    EXPECT_FALSE(setHeaderExtension(tight, len, 3, bytes("a")));
    EXPECT_EQ(len, p.size());
    EXPECT_EQ(tight, p);
    // A non-RFC 8285 extension profile.
    std::vector<uint8_t> other{0x90, 0,    0,    1,    0, 0, 0, 160, 0x11, 0x22,
                               0x33, 0x44, 0x12, 0x34, 0, 1, 1, 2,   3,    4};
    Buffer x(other);
    EXPECT_FALSE(setHeaderExtension(x.all(), x.len, 3, bytes("a")));
    EXPECT_EQ(x.len, other.size());
    // Malformed: the block runs past the end; too short; id 0; empty value.
    std::vector<uint8_t> bad{0x90, 0, 0, 1, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44, 0xBE, 0xDE, 0, 9};
    Buffer y(bad);
    EXPECT_FALSE(setHeaderExtension(y.all(), y.len, 3, bytes("a")));
    // A one-byte element of id 0 with a length (0x01: id 0, 2 octets):
    // padding is a 0 octet alone; refused rather than rewritten into
    // something the parser reads differently (found by fuzz_bundle).
    std::vector<uint8_t> zeroId{0x90, 0,    0,    1, 0, 0,    0,    160,  0x11, 0x22, 0x33,
                                0x44, 0xBE, 0xDE, 0, 1, 0x01, 0x30, 0x31, 0x00, 0xaa};
    Buffer q(zeroId);
    EXPECT_FALSE(setHeaderExtension(q.all(), q.len, 20, bytes("a")));
    EXPECT_EQ(q.len, zeroId.size());
    Buffer z(std::vector<uint8_t>{0x80, 0, 0});
    EXPECT_FALSE(setHeaderExtension(z.all(), z.len, 3, bytes("a")));
    Buffer w(plainRtp());
    EXPECT_FALSE(setHeaderExtension(w.all(), w.len, 0, bytes("a")));
    EXPECT_FALSE(setHeaderExtension(w.all(), w.len, 3, bytes("")));
}

// Two elements of the id, the first one empty and the second already the
// value: a reader takes the first, so the packet is rewritten with one
// element of the id, the value (found by fuzz_bundle in CI).
TEST(HeaderExtensionWriter, ADifferentFirstElementOfTheIdIsReplacedEvenIfALaterOneMatches) {
    std::vector<uint8_t> pkt{0x90, 0,    0,    1,    0,    0,    0,    160,  0x11, 0x22, 0x33,
                             0x44, 0x10, 0x00, 0,    3,    0x04, 0x00, 0x00, 0x00, 0x04, 0x05,
                             'a',  'b',  'c',  'd',  'e',  0x00, 0xde, 0xad};
    Buffer b(pkt);
    ASSERT_TRUE(setHeaderExtension(b.all(), b.len, 4, bytes("abcde")));
    std::span<const uint8_t> v;
    ASSERT_TRUE(findHeaderExtension(std::span<const uint8_t>(b.all().data(), b.len), 4, v));
    EXPECT_EQ(std::string(v.begin(), v.end()), "abcde");
    // The payload is still there, last.
    EXPECT_EQ(b.all()[b.len - 2], 0xde);
    EXPECT_EQ(b.all()[b.len - 1], 0xad);
}

}  // namespace
}  // namespace ngm::media
