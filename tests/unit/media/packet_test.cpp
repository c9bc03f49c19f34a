#include "media/packet.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace ngm::media {
namespace {

using Bytes = std::vector<uint8_t>;

// Copies the first `n` bytes into an allocation of exactly `n` bytes, so that
// AddressSanitizer reports any read past the end.
Bytes prefix(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + n); }

// ---- Fixtures ----

// V=2, PT=0 (PCMU), seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344, 8-byte payload.
const Bytes kPlainRtp = {
    0x80, 0x00, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44,  // fixed header
    0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA, 0xF9, 0xF8,                          // payload
};

// V=2 P=1 X=1 CC=2, M=1 PT=111, two CSRCs, RFC 8285 one-byte extension of one
// word, 5-byte payload, 3 bytes of padding.
const Bytes kFullRtp = {
    0xB2, 0xEF, 0x00, 0x01, 0x00, 0x00, 0x03, 0xC0, 0xCA, 0xFE, 0xBA, 0xBE,  // fixed header
    0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x0B,                          // CSRCs
    0xBE, 0xDE, 0x00, 0x01,                                                  // extension header
    0x10, 0x7F, 0x00, 0x00,                                                  // extension body
    0x01, 0x02, 0x03, 0x04, 0x05,                                            // payload
    0x00, 0x00, 0x03,                                                        // padding
};

// STUN binding request (RFC 5389) with a 12-byte transaction ID, no attributes.
const Bytes kStunBinding = {
    0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 0x01, 0x02,
    0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
};

// SR, SSRC 0x01020304, one report block (length 12 words => 52 bytes).
const Bytes kSr = {
    0x81, 0xC8, 0x00, 0x0C, 0x01, 0x02, 0x03, 0x04,  // header, SSRC
    0xE9, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,  // NTP timestamp
    0x00, 0x00, 0x03, 0xC0, 0x00, 0x00, 0x00, 0x32,  // RTP timestamp, packet count
    0x00, 0x00, 0x1F, 0x40,                          // octet count
    0xCA, 0xFE, 0xBA, 0xBE, 0x00, 0x00, 0x00, 0x00,  // report block: SSRC, lost
    0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x10,  // highest seq, jitter
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // LSR, DLSR
};

// RR without report blocks (8 bytes) + SDES with one chunk carrying a CNAME
// (16 bytes).
const Bytes kRrSdes = {
    0x80, 0xC9, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD,  // RR, SSRC
    0x81, 0xCA, 0x00, 0x03, 0xAA, 0xBB, 0xCC, 0xDD,  // SDES, chunk SSRC
    0x01, 0x05, 'a',  'b',  'c',  'd',  'e',  0x00,  // CNAME "abcde", end
};

// Reduced-size RTCP (RFC 5506): a lone PSFB PLI (FMT 1).
const Bytes kPsfbPli = {
    0x81, 0xCE, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22,
};

// Reduced-size RTCP: a lone RTPFB generic NACK (FMT 1).
const Bytes kRtpfbNack = {
    0x81, 0xCD, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0x00, 0x10, 0x00, 0x00,
};

// ---- classify ----

TEST(Classify, EmptyIsUnknown) { EXPECT_EQ(classify({}), PacketKind::Unknown); }

TEST(Classify, StunBindingRequest) { EXPECT_EQ(classify(kStunBinding), PacketKind::Stun); }

TEST(Classify, StunAcceptsEveryFirstByteUpTo3) {
    for (uint8_t b : {0, 1, 2, 3}) {
        Bytes p = kStunBinding;
        p[0] = b;
        EXPECT_EQ(classify(p), PacketKind::Stun) << int(b);
    }
}

TEST(Classify, StunShorterThanHeaderIsUnknown) {
    EXPECT_EQ(classify(prefix(kStunBinding, 19)), PacketKind::Unknown);
    EXPECT_EQ(classify(prefix(kStunBinding, 1)), PacketKind::Unknown);
}

TEST(Classify, StunWithoutMagicCookieIsUnknown) {
    Bytes p = kStunBinding;
    p[7] = 0x43;
    EXPECT_EQ(classify(p), PacketKind::Unknown);
}

TEST(Classify, FirstByteRangesFollowRfc7983) {
    // A 32-byte buffer whose second byte is an RTP payload type, so 128-191
    // classify as RTP; STUN is covered above.
    for (int b = 4; b < 256; ++b) {
        Bytes p(32, 0);
        p[0] = static_cast<uint8_t>(b);
        PacketKind expected = PacketKind::Unknown;
        if (b >= 16 && b <= 19) {
            expected = PacketKind::Zrtp;
        } else if (b >= 20 && b <= 63) {
            expected = PacketKind::Dtls;
        } else if (b >= 128 && b <= 191) {
            expected = PacketKind::Rtp;
        }
        EXPECT_EQ(classify(p), expected) << "first byte " << b;
    }
}

TEST(Classify, ZrtpAndDtlsNeedOnlyTheFirstByte) {
    EXPECT_EQ(classify(Bytes{0x10}), PacketKind::Zrtp);
    EXPECT_EQ(classify(Bytes{0x16}), PacketKind::Dtls);  // handshake record
}

TEST(Classify, SecondByteSeparatesRtpFromRtcpPerRfc5761) {
    // Second byte = M bit | PT: 64-95 and 192-223 are RTCP, the rest RTP.
    for (int b1 = 0; b1 < 256; ++b1) {
        Bytes p(12, 0);
        p[0] = 0x80;
        p[1] = static_cast<uint8_t>(b1);
        const int pt = b1 & 0x7f;
        const PacketKind expected = (pt >= 64 && pt <= 95) ? PacketKind::Rtcp : PacketKind::Rtp;
        EXPECT_EQ(classify(p), expected) << "second byte " << b1;
    }
}

TEST(Classify, RtpNeedsTwelveBytes) {
    EXPECT_EQ(classify(kPlainRtp), PacketKind::Rtp);
    EXPECT_EQ(classify(prefix(kPlainRtp, 12)), PacketKind::Rtp);
    EXPECT_EQ(classify(prefix(kPlainRtp, 11)), PacketKind::Unknown);
    EXPECT_EQ(classify(prefix(kPlainRtp, 1)), PacketKind::Unknown);
}

TEST(Classify, RtcpNeedsEightBytes) {
    EXPECT_EQ(classify(kSr), PacketKind::Rtcp);
    EXPECT_EQ(classify(prefix(kRrSdes, 8)), PacketKind::Rtcp);
    EXPECT_EQ(classify(prefix(kRrSdes, 7)), PacketKind::Unknown);
}

TEST(Classify, RtpWithOtherVersionIsUnknown) {
    Bytes p = kPlainRtp;
    p[0] = 0x40;  // version 1
    EXPECT_EQ(classify(p), PacketKind::Unknown);
    p[0] = 0xC0;  // version 3
    EXPECT_EQ(classify(p), PacketKind::Unknown);
}

// ---- parseRtp ----

TEST(ParseRtp, PlainPacket) {
    RtpHeader h;
    ASSERT_TRUE(parseRtp(kPlainRtp, h));
    EXPECT_EQ(h.payloadType, 0);
    EXPECT_FALSE(h.marker);
    EXPECT_EQ(h.seq, 0x1234);
    EXPECT_EQ(h.timestamp, 0xDEADBEEFu);
    EXPECT_EQ(h.ssrc, 0x11223344u);
    EXPECT_EQ(h.headerLength, 12);
    EXPECT_EQ(h.payloadLength, 8);
    EXPECT_EQ(h.paddingLength, 0);
}

TEST(ParseRtp, CsrcsExtensionAndPadding) {
    RtpHeader h;
    ASSERT_TRUE(parseRtp(kFullRtp, h));
    EXPECT_EQ(h.payloadType, 111);
    EXPECT_TRUE(h.marker);
    EXPECT_EQ(h.seq, 1);
    EXPECT_EQ(h.timestamp, 960u);
    EXPECT_EQ(h.ssrc, 0xCAFEBABEu);
    EXPECT_EQ(h.headerLength, 12 + 8 + 4 + 4);
    EXPECT_EQ(h.payloadLength, 5);
    EXPECT_EQ(h.paddingLength, 3);
}

TEST(ParseRtp, CsrcsWithoutExtension) {
    Bytes p = {0x83, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};  // CC=3, PT 8
    for (int i = 0; i < 3 * 4; ++i) p.push_back(static_cast<uint8_t>(i));
    p.push_back(0xD5);
    RtpHeader h;
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.headerLength, 24);
    EXPECT_EQ(h.payloadLength, 1);
}

TEST(ParseRtp, EmptyExtensionAndEmptyPayload) {
    const Bytes p = {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x00, 0x00, 0x00};
    RtpHeader h;
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.headerLength, 16);
    EXPECT_EQ(h.payloadLength, 0);
}

TEST(ParseRtp, FixedHeaderOnlyIsValid) {
    RtpHeader h;
    ASSERT_TRUE(parseRtp(prefix(kPlainRtp, 12), h));
    EXPECT_EQ(h.headerLength, 12);
    EXPECT_EQ(h.payloadLength, 0);
}

TEST(ParseRtp, RejectsVersionOtherThanTwo) {
    RtpHeader h;
    for (uint8_t v : {0x00, 0x40, 0xC0}) {
        Bytes p = kPlainRtp;
        p[0] = v;
        EXPECT_FALSE(parseRtp(p, h)) << int(v);
    }
}

TEST(ParseRtp, RejectsCsrcListPastTheEnd) {
    Bytes p = kPlainRtp;
    p[0] = 0x83;  // 3 CSRCs = 12 bytes, only 8 follow
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
    p[0] = 0x82;  // 2 CSRCs = exactly the 8 bytes
    EXPECT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.payloadLength, 0);
}

TEST(ParseRtp, RejectsTruncatedExtensionHeader) {
    const Bytes p = {0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0x00};
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
}

TEST(ParseRtp, RejectsExtensionLengthPastTheEnd) {
    Bytes p = kFullRtp;
    p[22] = 0x00;
    p[23] = 0x04;  // 16 bytes of extension, 12 bytes left after its header
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
    p[23] = 0x03;                  // exactly the 12 bytes left...
    EXPECT_FALSE(parseRtp(p, h));  // ...but P is set and no byte is left for padding
    p[0] &= ~0x20;
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.headerLength, p.size());
    EXPECT_EQ(h.payloadLength, 0);
}

TEST(ParseRtp, RejectsMaximalExtensionLength) {
    Bytes p = kFullRtp;
    p[22] = 0xFF;
    p[23] = 0xFF;
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
}

TEST(ParseRtp, RejectsZeroPaddingCount) {
    Bytes p = kFullRtp;
    p.back() = 0;
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
}

TEST(ParseRtp, RejectsPaddingLongerThanPayload) {
    Bytes p = kFullRtp;
    p.back() = 9;  // 5 payload + 3 padding bytes after the header = 8
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
}

TEST(ParseRtp, PaddingMayCoverTheWholePayload) {
    Bytes p = kFullRtp;
    p.back() = 8;
    RtpHeader h;
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.payloadLength, 0);
    EXPECT_EQ(h.paddingLength, 8);
}

TEST(ParseRtp, RejectsPaddingBitWithoutPayload) {
    Bytes p = prefix(kPlainRtp, 12);
    p[0] |= 0x20;
    p[11] = 1;  // the last header byte must not be taken as the count
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
}

TEST(ParseRtp, RejectsDatagramsLargerThanUdpAllows) {
    Bytes p(65536, 0);
    p[0] = 0x80;
    RtpHeader h;
    EXPECT_FALSE(parseRtp(p, h));
    p.resize(65535);
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.payloadLength, 65535 - 12);
}

// Every prefix is parsed from its own exactly-sized allocation: ASan catches
// any read past the end. A prefix that cuts into the header must fail; a
// longer one is a legitimate (shorter) packet, but if accepted its lengths
// must add up to its size.
void checkTruncations(const Bytes& full, size_t headerLength) {
    for (size_t n = 0; n <= full.size(); ++n) {
        const Bytes p = prefix(full, n);
        RtpHeader h;
        const bool ok = parseRtp(p, h);
        if (n < headerLength) {
            EXPECT_FALSE(ok) << "prefix " << n;
        }
        if (ok) {
            EXPECT_EQ(h.headerLength + h.payloadLength + h.paddingLength, n) << "prefix " << n;
            EXPECT_EQ(h.headerLength, headerLength) << "prefix " << n;
        }
    }
}

TEST(ParseRtp, TruncatedPlainPacketNeverOverreads) { checkTruncations(kPlainRtp, 12); }

TEST(ParseRtp, TruncatedFullPacketNeverOverreads) { checkTruncations(kFullRtp, 28); }

TEST(ParseRtp, TruncatedFullPacketWithHeaderOnlyPrefixFailsOnPadding) {
    // The 28-byte header prefix has P set and nothing left to pad.
    RtpHeader h;
    EXPECT_FALSE(parseRtp(prefix(kFullRtp, 28), h));
}

// ---- validRtcp ----

TEST(ValidRtcp, SenderReport) { EXPECT_TRUE(validRtcp(kSr)); }

TEST(ValidRtcp, ReceiverReportPlusSdesCompound) { EXPECT_TRUE(validRtcp(kRrSdes)); }

TEST(ValidRtcp, ReducedSizeFeedbackAlone) {
    EXPECT_TRUE(validRtcp(kPsfbPli));
    EXPECT_TRUE(validRtcp(kRtpfbNack));
}

TEST(ValidRtcp, FirstPacketTypeMustBe200To207) {
    for (int type = 0; type < 256; ++type) {
        Bytes p = kPsfbPli;
        p[1] = static_cast<uint8_t>(type);
        EXPECT_EQ(validRtcp(p), type >= 200 && type <= 207) << "type " << type;
    }
}

TEST(ValidRtcp, LaterPacketsMayHaveAnyType) {
    Bytes p = kRrSdes;
    p[9] = 0xD0;  // 208, RFC 6051 RSI
    EXPECT_TRUE(validRtcp(p));
}

TEST(ValidRtcp, RejectsShortDatagrams) {
    EXPECT_FALSE(validRtcp({}));
    EXPECT_FALSE(validRtcp(prefix(kSr, 4)));
    EXPECT_FALSE(validRtcp(prefix(kSr, 7)));
}

TEST(ValidRtcp, RejectsHeaderOnlyFirstPacket) {
    // Length 0 (4 bytes) leaves no sender SSRC in the first packet.
    const Bytes p = {0x80, 0xCB, 0x00, 0x00, 0x80, 0xCB, 0x00, 0x00};  // BYE, BYE
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, AcceptsHeaderOnlyLaterPacket) {
    Bytes p = prefix(kRrSdes, 8);
    for (uint8_t b : {0x80, 0xCB, 0x00, 0x00}) p.push_back(b);  // BYE with no SSRC
    EXPECT_TRUE(validRtcp(p));
}

TEST(ValidRtcp, RejectsLengthPastTheEnd) {
    Bytes p = kSr;
    p[3] = 0x0D;
    EXPECT_FALSE(validRtcp(p));
    p = kRrSdes;
    p[11] = 0x04;  // SDES claims 20 bytes, 16 present
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, RejectsLengthsNotAddingUpToDatagram) {
    Bytes p = kSr;
    p[3] = 0x0B;  // claims 48 bytes of 52; the rest starts with a non-v2 byte
    EXPECT_FALSE(validRtcp(p));
    p = kPsfbPli;
    p.push_back(0x80);
    p.push_back(0xC9);  // two trailing bytes: not even a header
    EXPECT_FALSE(validRtcp(p));
    p = kPsfbPli;
    p.push_back(0);  // size not a multiple of 4
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, RejectsBadVersionInFirstPacket) {
    Bytes p = kRrSdes;
    p[0] = 0x40;
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, RejectsBadVersionInSecondPacket) {
    Bytes p = kRrSdes;
    p[8] = 0x41;  // version 1, SC 1
    EXPECT_FALSE(validRtcp(p));
    p[8] = 0xC1;  // version 3
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, RejectsPaddingInNonLastPacket) {
    Bytes p = kRrSdes;
    p[0] |= 0x20;
    EXPECT_FALSE(validRtcp(p));
}

TEST(ValidRtcp, AcceptsPaddingInLastPacket) {
    // SDES whose last word is padding: CNAME "ab", end, then 3 pad bytes.
    const Bytes p = {
        0x80, 0xC9, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD,  // RR
        0xA1, 0xCA, 0x00, 0x03, 0xAA, 0xBB, 0xCC, 0xDD,  // SDES, P=1
        0x01, 0x02, 'a',  'b',  0x00, 0x00, 0x00, 0x04,  // CNAME, end, padding(4)
    };
    EXPECT_TRUE(validRtcp(p));
}

TEST(ValidRtcp, RejectsBadPaddingCounts) {
    Bytes p = kPsfbPli;
    p[0] |= 0x20;
    p.back() = 0;
    EXPECT_FALSE(validRtcp(p));
    p.back() = 9;  // more than the 8 bytes after the header
    EXPECT_FALSE(validRtcp(p));
    p.back() = 8;
    EXPECT_TRUE(validRtcp(p));
}

TEST(ValidRtcp, TruncatedCompoundIsValidOnlyOnPacketBoundaries) {
    for (size_t n = 0; n <= kRrSdes.size(); ++n) {
        const Bytes p = prefix(kRrSdes, n);
        EXPECT_EQ(validRtcp(p), n == 8 || n == kRrSdes.size()) << "prefix " << n;
    }
    for (size_t n = 0; n <= kSr.size(); ++n) {
        const Bytes p = prefix(kSr, n);
        EXPECT_EQ(validRtcp(p), n == kSr.size()) << "prefix " << n;
    }
}

// ---- validSrtcpHead ----

// An SRTCP packet as it passes through undecrypted: the RTCP (here an SR
// whose body would be encrypted), E flag + index, and a tag of `tag` octets.
Bytes srtcpOf(const Bytes& rtcp, size_t tag) {
    Bytes p = rtcp;
    for (uint8_t b : {0x80, 0x00, 0x00, 0x02}) p.push_back(b);
    for (size_t i = 0; i < tag; ++i) p.push_back(static_cast<uint8_t>(0xA5 ^ i));
    return p;
}

TEST(ValidSrtcpHead, SrtcpWithItsTrailerIsAccepted) {
    EXPECT_TRUE(validSrtcpHead(srtcpOf(kSr, 10), 14));
    EXPECT_TRUE(validSrtcpHead(srtcpOf(kRrSdes, 16), 20));
}

// The reason it exists: the trailer does not walk as compound RTCP.
TEST(ValidSrtcpHead, TheSameSrtcpFailsThePlainRtcpCheck) {
    EXPECT_FALSE(validRtcp(srtcpOf(kSr, 10)));
}

TEST(ValidSrtcpHead, FirstPacketMustEndBeforeTheTrailer) {
    EXPECT_FALSE(validSrtcpHead(srtcpOf(kSr, 10), 15));
    EXPECT_FALSE(validSrtcpHead(kSr, 14));
}

TEST(ValidSrtcpHead, FirstHeaderIsCheckedAsForRtcp) {
    Bytes p = srtcpOf(kSr, 10);
    p[0] = 0x40;  // version 1
    EXPECT_FALSE(validSrtcpHead(p, 14));
    p = srtcpOf(kSr, 10);
    p[1] = 199;
    EXPECT_FALSE(validSrtcpHead(p, 14));
    EXPECT_FALSE(validSrtcpHead({}, 0));
    EXPECT_FALSE(validSrtcpHead(prefix(kSr, 7), 0));
}

// ---- rtcpSenderSsrc ----

// ---- stripRtcpFeedback: AVPF towards AVP, as rtpengine 10.5 forwards it ----

const Bytes kRr = {0x80, 0xC9, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11};
const Bytes kSdes = {0x81, 0xCA, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                     0x01, 0x02, 'a',  'b',  0,    0,    0,    0};
const Bytes kPli = {0x81, 0xCE, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22};
const Bytes kNack = {0x81, 0xCD, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                     0x22, 0x22, 0x22, 0x22, 0x00, 0x07, 0x00, 0x00};

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

Bytes stripped(Bytes b) {
    b.resize(stripRtcpFeedback(b));
    return b;
}

TEST(StripRtcpFeedback, TakesRtpfbAndPsfbOutOfACompoundKeepingTheRestInOrder) {
    EXPECT_EQ(stripped(cat({kRr, kPli})), kRr);
    EXPECT_EQ(stripped(cat({kRr, kSdes, kPli, kNack})), cat({kRr, kSdes}));
    EXPECT_EQ(stripped(cat({kPli, kRr, kNack, kSdes})), cat({kRr, kSdes}));
}

TEST(StripRtcpFeedback, FeedbackAloneLeavesNothing) {
    Bytes pli = kPli, both = cat({kNack, kPli});
    EXPECT_EQ(stripRtcpFeedback(pli), 0u);
    EXPECT_EQ(stripRtcpFeedback(both), 0u);
}

TEST(StripRtcpFeedback, WithoutFeedbackOrWhenLengthsDoNotAddUpNothingChanges) {
    EXPECT_EQ(stripped(cat({kRr, kSdes})), cat({kRr, kSdes}));
    // rtpengine passes such a compound on as it came.
    Bytes bad = cat({kRr, Bytes(kPli.begin(), kPli.end() - 4)});
    EXPECT_EQ(stripped(bad), bad);
    Bytes tail = cat({kRr, kPli, Bytes{0x81, 0xCE}});
    EXPECT_EQ(stripped(tail), tail);
}

TEST(RtcpSenderSsrc, ReadsFirstPacketSsrc) {
    EXPECT_EQ(rtcpSenderSsrc(kSr), 0x01020304u);
    EXPECT_EQ(rtcpSenderSsrc(kRrSdes), 0xAABBCCDDu);
    EXPECT_EQ(rtcpSenderSsrc(kPsfbPli), 0x11111111u);
}

TEST(RtcpSenderSsrc, ZeroWhenTooShort) {
    EXPECT_EQ(rtcpSenderSsrc({}), 0u);
    EXPECT_EQ(rtcpSenderSsrc(prefix(kSr, 7)), 0u);
    EXPECT_EQ(rtcpSenderSsrc(prefix(kSr, 8)), 0x01020304u);
}

// ---- parseDtmf ----

TEST(ParseDtmf, EventInProgress) {
    const Bytes p = {0x05, 0x0A, 0x03, 0x20};  // digit 5, volume 10, 800 units
    DtmfEvent e;
    ASSERT_TRUE(parseDtmf(p, e));
    EXPECT_EQ(e.event, 5);
    EXPECT_FALSE(e.end);
    EXPECT_EQ(e.volume, 10);
    EXPECT_EQ(e.duration, 800);
}

TEST(ParseDtmf, EndBitAndMaximalValues) {
    const Bytes p = {0xFF, 0xBF, 0xFF, 0xFF};
    DtmfEvent e;
    ASSERT_TRUE(parseDtmf(p, e));
    EXPECT_EQ(e.event, 255);
    EXPECT_TRUE(e.end);
    EXPECT_EQ(e.volume, 63);
    EXPECT_EQ(e.duration, 65535);
}

TEST(ParseDtmf, ReservedBitIsIgnored) {
    const Bytes p = {0x0B, 0x4A, 0x00, 0xA0};  // '#', R set, volume 10
    DtmfEvent e;
    ASSERT_TRUE(parseDtmf(p, e));
    EXPECT_EQ(e.event, 11);
    EXPECT_FALSE(e.end);
    EXPECT_EQ(e.volume, 10);
    EXPECT_EQ(e.duration, 160);
}

TEST(ParseDtmf, LongerPayloadParsesFirstBlock) {
    const Bytes p = {0x01, 0x80, 0x01, 0x40, 0x02, 0x00, 0x00, 0xA0};
    DtmfEvent e;
    ASSERT_TRUE(parseDtmf(p, e));
    EXPECT_EQ(e.event, 1);
    EXPECT_TRUE(e.end);
    EXPECT_EQ(e.duration, 320);
}

TEST(ParseDtmf, RejectsShortPayload) {
    const Bytes p = {0x05, 0x0A, 0x03, 0x20};
    DtmfEvent e;
    for (size_t n = 0; n < 4; ++n) EXPECT_FALSE(parseDtmf(prefix(p, n), e)) << n;
}

// ---- rewriteSsrc ----

TEST(RewriteSsrc, ChangesOnlyTheSsrc) {
    Bytes p = kFullRtp;
    rewriteSsrc(p, 0x0BADF00D);
    RtpHeader h;
    ASSERT_TRUE(parseRtp(p, h));
    EXPECT_EQ(h.ssrc, 0x0BADF00Du);
    Bytes expected = kFullRtp;
    expected[8] = 0x0B;
    expected[9] = 0xAD;
    expected[10] = 0xF0;
    expected[11] = 0x0D;
    EXPECT_EQ(p, expected);
}

TEST(RewriteSsrc, LeavesShortPacketsAlone) {
    for (size_t n = 0; n < 12; ++n) {
        Bytes p = prefix(kPlainRtp, n);
        rewriteSsrc(p, 0);
        EXPECT_EQ(p, prefix(kPlainRtp, n)) << n;
    }
}

// ---- fillSilence ----

TEST(FillSilence, SilenceBytesPerCodec) {
    EXPECT_EQ(silenceByte(SilenceCodec::Pcmu), 0xFF);
    EXPECT_EQ(silenceByte(SilenceCodec::Pcma), 0xD5);
    EXPECT_EQ(silenceByte(SilenceCodec::G722), 0xFD);
}

TEST(FillSilence, FillsTheWholePayloadAndNothingElse) {
    for (auto c : {SilenceCodec::Pcmu, SilenceCodec::Pcma, SilenceCodec::G722}) {
        std::array<uint8_t, 172> packet{};
        packet.fill(0x11);
        fillSilence(c, std::span<uint8_t>(packet).subspan(12, 160));
        for (size_t i = 0; i < packet.size(); ++i) {
            const uint8_t expected = (i >= 12 && i < 172) ? silenceByte(c) : 0x11;
            ASSERT_EQ(packet[i], expected) << "byte " << i;
        }
    }
}

TEST(FillSilence, EmptyPayloadIsFine) { fillSilence(SilenceCodec::G722, {}); }

}  // namespace
}  // namespace ngm::media
