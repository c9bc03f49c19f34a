// Hot path: called for every received datagram; see packet.h for the rules.
#include "media/packet.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace ngm::media {

namespace {

constexpr size_t kRtpFixedHeader = 12;
constexpr size_t kRtcpHeader = 4;
constexpr size_t kRtcpMinPacket = 8;  // header + sender SSRC
constexpr size_t kStunHeader = 20;
constexpr uint32_t kStunMagicCookie = 0x2112A442;  // RFC 5389 §6
constexpr size_t kMaxDatagram = 65535;

uint16_t be16(const uint8_t* b) { return static_cast<uint16_t>((b[0] << 8) | b[1]); }

uint32_t be32(const uint8_t* b) {
    return (static_cast<uint32_t>(b[0]) << 24) | (static_cast<uint32_t>(b[1]) << 16) |
           (static_cast<uint32_t>(b[2]) << 8) | static_cast<uint32_t>(b[3]);
}

unsigned version(uint8_t firstByte) { return firstByte >> 6; }
bool paddingBit(uint8_t firstByte) { return (firstByte & 0x20) != 0; }

}  // namespace

PacketKind classify(std::span<const uint8_t> p) {
    if (p.empty()) return PacketKind::Unknown;
    const uint8_t b = p[0];
    // RFC 7983 §7: the first byte selects the protocol family.
    if (b <= 3) {
        if (p.size() >= kStunHeader && be32(p.data() + 4) == kStunMagicCookie)
            return PacketKind::Stun;
        return PacketKind::Unknown;
    }
    if (b >= 16 && b <= 19) return PacketKind::Zrtp;
    if (b >= 20 && b <= 63) return PacketKind::Dtls;
    if (b < 128 || b > 191) return PacketKind::Unknown;  // includes TURN channels 64-79

    // 128-191 means version 2. RFC 5761 §4: payload types 64-95 (second
    // byte 192-223 with the marker bit set) are RTCP packet types.
    if (p.size() < 2) return PacketKind::Unknown;
    const uint8_t pt = p[1] & 0x7f;
    if (pt >= 64 && pt <= 95)
        return p.size() >= kRtcpMinPacket ? PacketKind::Rtcp : PacketKind::Unknown;
    return p.size() >= kRtpFixedHeader ? PacketKind::Rtp : PacketKind::Unknown;
}

bool parseRtp(std::span<const uint8_t> p, RtpHeader& out) {
    const size_t size = p.size();
    // The length fields below are 16-bit; nothing larger fits in UDP anyway.
    if (size < kRtpFixedHeader || size > kMaxDatagram) return false;
    const uint8_t* d = p.data();
    if (version(d[0]) != 2) return false;

    // RFC 3550 §5.1: CSRC list of CC 32-bit entries follows the fixed header.
    size_t header = kRtpFixedHeader + 4 * static_cast<size_t>(d[0] & 0x0f);
    if (header > size) return false;

    // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words not
    // counting the 4-byte extension header itself.
    if (d[0] & 0x10) {
        if (header + 4 > size) return false;
        header += 4 + 4 * static_cast<size_t>(be16(d + header + 2));
        if (header > size) return false;
    }

    // RFC 3550 §5.1: the last byte counts the padding, itself included; it
    // can only cover bytes after the header.
    size_t padding = 0;
    if (paddingBit(d[0])) {
        padding = d[size - 1];
        if (padding == 0 || padding > size - header) return false;
    }

    out.payloadType = d[1] & 0x7f;
    out.marker = (d[1] & 0x80) != 0;
    out.seq = be16(d + 2);
    out.timestamp = be32(d + 4);
    out.ssrc = be32(d + 8);
    out.headerLength = static_cast<uint16_t>(header);
    out.payloadLength = static_cast<uint16_t>(size - header - padding);
    out.paddingLength = static_cast<uint8_t>(padding);
    return true;
}

bool validRtcp(std::span<const uint8_t> p) {
    const size_t size = p.size();
    if (size < kRtcpMinPacket) return false;
    const uint8_t* d = p.data();

    // RFC 3550 §6.4.1 wants SR or RR first; RFC 5506 §3.4.2 lifts that for
    // reduced-size RTCP, so any type from SR (200) to XR (207) may lead.
    const uint8_t firstType = d[1];
    if (firstType < 200 || firstType > 207) return false;
    // Every type that may lead carries an SSRC after its header, and the
    // caller reads it with rtcpSenderSsrc().
    if ((static_cast<size_t>(be16(d + 2)) + 1) * 4 < kRtcpMinPacket) return false;

    // RFC 3550 §A.2: walk the compound packet; version 2 everywhere, the
    // lengths must land exactly on the end of the datagram, and only the
    // last packet may be padded.
    size_t offset = 0;
    while (offset < size) {
        if (size - offset < kRtcpHeader) return false;
        const uint8_t* sub = d + offset;
        if (version(sub[0]) != 2) return false;
        const size_t length = (static_cast<size_t>(be16(sub + 2)) + 1) * 4;
        if (length > size - offset) return false;
        if (paddingBit(sub[0])) {
            if (offset + length != size) return false;
            const uint8_t padding = sub[length - 1];
            if (padding == 0 || padding > length - kRtcpHeader) return false;
        }
        offset += length;
    }
    return true;
}

size_t stripRtcpFeedback(std::span<uint8_t> p) {
    const size_t size = p.size();
    uint8_t* d = p.data();
    bool any = false;
    for (size_t offset = 0; offset < size;) {
        if (size - offset < kRtcpHeader) return size;
        const size_t length = (static_cast<size_t>(be16(d + offset + 2)) + 1) * 4;
        if (length > size - offset) return size;
        any = any || d[offset + 1] == 205 || d[offset + 1] == 206;
        offset += length;
    }
    if (!any) return size;
    size_t out = 0;
    for (size_t offset = 0; offset < size;) {
        const size_t length = (static_cast<size_t>(be16(d + offset + 2)) + 1) * 4;
        if (d[offset + 1] != 205 && d[offset + 1] != 206) {
            if (out != offset) std::memmove(d + out, d + offset, length);
            out += length;
        }
        offset += length;
    }
    return out;
}

bool validSrtcpHead(std::span<const uint8_t> p, size_t trailer) {
    if (p.size() < kRtcpMinPacket + trailer) return false;
    const uint8_t* d = p.data();
    if (version(d[0]) != 2 || d[1] < 200 || d[1] > 207) return false;
    const size_t first = (static_cast<size_t>(be16(d + 2)) + 1) * 4;
    return first >= kRtcpMinPacket && first <= p.size() - trailer;
}

uint32_t rtcpSenderSsrc(std::span<const uint8_t> p) {
    if (p.size() < kRtcpMinPacket) return 0;
    return be32(p.data() + 4);
}

bool parseDtmf(std::span<const uint8_t> payload, DtmfEvent& out) {
    if (payload.size() < 4) return false;
    // RFC 4733 §2.3: event(8) | E(1) R(1) volume(6) | duration(16).
    out.event = payload[0];
    out.end = (payload[1] & 0x80) != 0;
    out.volume = payload[1] & 0x3f;
    out.duration = be16(payload.data() + 2);
    return true;
}

void rewriteSsrc(std::span<uint8_t> rtp, uint32_t ssrc) {
    if (rtp.size() < kRtpFixedHeader) return;
    rtp[8] = static_cast<uint8_t>(ssrc >> 24);
    rtp[9] = static_cast<uint8_t>(ssrc >> 16);
    rtp[10] = static_cast<uint8_t>(ssrc >> 8);
    rtp[11] = static_cast<uint8_t>(ssrc);
}

uint8_t silenceByte(SilenceCodec c) {
    switch (c) {
        case SilenceCodec::Pcmu:
            return 0xFF;  // G.711 µ-law code of +0
        case SilenceCodec::Pcma:
            return 0xD5;  // G.711 A-law code of the smallest positive level (0x80 ^ 0x55)
        case SilenceCodec::G722:
            // G.722 (64 kbit/s, RFC 3551 §4.5.2) byte = IH(2) | IL(6).
            // 0xFD is IH=3, the smallest positive high-band level, and IL=61,
            // the smallest positive low-band level. Its 4-bit core code
            // (IL >> 2 = 15) has a zero inverse-quantised value, so the
            // decoder's ADPCM predictors get no input and a stream of it
            // decodes to exactly 0 from reset (checked with spandsp's
            // decoder). 0xFA, which encoders emit for digital silence and
            // rtpengine uses, has core code 14 with a non-zero value; as a
            // constant stream it decodes to a DC offset of ~200 (-44 dBFS)
            // within 50 ms, since nothing corrects the predictor drift.
            return 0xFD;
    }
    return 0;
}

void fillSilence(SilenceCodec c, std::span<uint8_t> payload) {
    std::fill(payload.begin(), payload.end(), silenceByte(c));
}

}  // namespace ngm::media
