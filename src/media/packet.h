// Packet-level parsing for the media plane: RFC 7983 demultiplexing, RTP and
// RTCP headers, RFC 4733 telephone-events, and silence payloads.
//
// Hot path: every function here allocates nothing, throws nothing, logs
// nothing and never touches a byte outside the span it is given. Malformed
// input yields false / PacketKind::Unknown / 0; the caller counts the drop.
#pragma once

#include <cstdint>
#include <span>

namespace ngm::media {

enum class PacketKind : uint8_t { Rtp, Rtcp, Stun, Dtls, Zrtp, Unknown };

// RFC 7983 §7 first-byte demultiplexing, then RTP vs RTCP by RFC 5761 §4.
// Checks only what is needed to pick a parser (STUN magic cookie, minimum
// RTP/RTCP lengths); ZRTP and DTLS are classified by the first byte alone.
PacketKind classify(std::span<const uint8_t> p);

// RFC 3550 §5.1 fixed header plus what follows it. Lengths are in bytes and
// headerLength + payloadLength + paddingLength == the datagram size.
struct RtpHeader {
    uint8_t payloadType = 0;
    bool marker = false;
    uint16_t seq = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    uint16_t headerLength = 0;  // fixed header, CSRC list and header extension
    uint16_t payloadLength = 0;
    uint8_t paddingLength = 0;
};

// False on anything inconsistent: short packet, version != 2, CSRC list or
// extension running past the end, bad padding count, or a datagram larger
// than a UDP payload can be (> 65535 bytes). `out` is unspecified then.
bool parseRtp(std::span<const uint8_t> p, RtpHeader& out);

// RFC 3550 §6.4.1 / §A.2 compound validity of a plain (decrypted) RTCP
// datagram. The first packet may be SR/RR or, for RFC 5506 reduced-size
// RTCP, any of SDES, BYE, APP, RTPFB, PSFB, XR (202-207).
bool validRtcp(std::span<const uint8_t> p);

// An SRTCP datagram passed through undecrypted (SDES pass-through): the
// `trailer` octets after the RTCP (E flag and index, MKI, tag) cannot be
// checked, nor anything past the first 8 octets, which may be encrypted
// (RFC 3711 §3.4). So: the first packet's header as validRtcp() wants it,
// and that packet ends within the datagram before the trailer.
bool validSrtcpHead(std::span<const uint8_t> p, size_t trailer);

// RFC 4585 feedback packets (RTPFB 205, PSFB 206) taken out of a compound
// RTCP datagram in place, the others kept in their order: what rtpengine
// 10.5 forwards from an AVPF side to an AVP one. Returns the new length, 0
// when the datagram held nothing else; a compound whose lengths do not
// land on its end is left as it is (its length returned).
size_t stripRtcpFeedback(std::span<uint8_t> p);

// SSRC of the sender of the first RTCP packet (bytes 4-7); 0 if too short.
uint32_t rtcpSenderSsrc(std::span<const uint8_t> p);

// RFC 4733 §2.3 telephone-event payload.
struct DtmfEvent {
    uint8_t event = 0;
    bool end = false;
    uint8_t volume = 0;     // 0-63, -dBm0
    uint16_t duration = 0;  // in RTP timestamp units
};

// False if the payload is shorter than the 4-byte event block.
bool parseDtmf(std::span<const uint8_t> payload, DtmfEvent& out);

// Overwrites the SSRC of an RTP packet in place; no-op on packets shorter
// than the fixed header.
void rewriteSsrc(std::span<uint8_t> rtp, uint32_t ssrc);

// Codecs whose silence is a single repeated byte, for "silence media".
enum class SilenceCodec : uint8_t { Pcmu, Pcma, G722 };

// The byte that, repeated, is silence in codec `c` (see packet.cpp for why).
uint8_t silenceByte(SilenceCodec c);

// Fills an RTP payload with encoded silence.
void fillSilence(SilenceCodec c, std::span<uint8_t> payload);

}  // namespace ngm::media
