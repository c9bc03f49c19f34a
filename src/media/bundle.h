// BUNDLE (RFC 9143) demultiplexing: the packets a participant sends on its
// one bundled transport, told apart by media section (m= line) so that each
// goes on to the de-bundled leg of its section.
//
// RFC 9143 §9.2 order: the MID header extension (RFC 8843 §15, RFC 8285
// one- and two-byte forms), then an SSRC learned for a section, then a
// payload type that only one section lists. RTCP goes by SSRC: the sender
// SSRC of its packets (learned from the participant's RTP), else the
// source SSRCs of report blocks and feedback (learned from what we sent it
// for each section). What matches nothing is dropped and counted, never
// guessed.
//
// Hot path: route*() and noteSent() allocate nothing and log nothing; the
// tables are fixed-size. Parsers never read outside the span they get.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <span>
#include <string_view>

#include "media/stream_config.h"

namespace ngm::media {

// RFC 8285: the value of header extension element `id` (1-14 in the
// one-byte form, 1-255 in the two-byte form) of an RTP packet. False when
// the packet has no extension block, no such element, or is malformed
// (the element or block running past the packet).
bool findHeaderExtension(std::span<const uint8_t> rtp, uint8_t id, std::span<const uint8_t>& value);

// RFC 8285: sets element `id` of the RTP packet in buf[0, len) to `value`
// (1-16 octets in the one-byte form, up to 255 in the two-byte form),
// adding an extension block when there is none; the other elements are
// kept in their order (padding between them is dropped), the payload moves
// up. The one-byte form is kept or chosen when `id` (1-14) and `value` fit
// it, else the block becomes two-byte (RFC 8285 §4.3). False, the packet
// untouched, when it is malformed, has another kind of extension block, or
// would outgrow `buf`. Hot path: no allocation.
bool setHeaderExtension(std::span<uint8_t> buf, size_t& len, uint8_t id,
                        std::span<const uint8_t> value);

class BundleDemux {
  public:
    static constexpr size_t kMaxSections = 16;
    static constexpr size_t kMaxMid = 32;   // RFC 8843: a mid is a short token
    static constexpr size_t kMaxSsrcs = 8;  // learned per section and direction

    struct Section {
        std::array<char, kMaxMid> mid{};
        uint8_t midLen = 0;
        std::bitset<128> payloadTypes;
        SinkList rtpSinks, rtcpSinks;  // where this section's packets go
        std::array<uint32_t, kMaxSsrcs> inSsrc{}, outSsrc{};
        uint8_t inCount = 0, outCount = 0, inNext = 0, outNext = 0;
        std::string_view midView() const { return {mid.data(), midLen}; }
    };

    // --- signalling, on the owning worker ---
    // The extmap id of urn:ietf:params:rtp-hdrext:sdes:mid (0: none).
    void setMidExtension(uint8_t id) { midExtId_ = id; }
    uint8_t midExtension() const { return midExtId_; }
    // Starts a new table; sections keep the SSRCs learned under their mid.
    void beginSections();
    // Adds a section (in m= order); false when the table is full or the mid
    // too long. Sinks are copied.
    bool addSection(std::string_view mid, const std::bitset<128>& payloadTypes,
                    const SinkList& rtpSinks, const SinkList& rtcpSinks);
    // An SSRC the participant's SDP names for section `i` (a=ssrc), taken
    // as if learned from its RTP.
    void signalSsrc(size_t i, uint32_t ssrc) {
        if (i < count_) learnIn(i, ssrc);
    }
    void endSections();
    size_t size() const { return count_; }
    const Section& section(size_t i) const { return sections_[i]; }

    // --- hot path ---
    // The section of an RTP / RTCP datagram, or -1 (dropped).
    int routeRtp(std::span<const uint8_t> pkt);
    int routeRtcp(std::span<const uint8_t> pkt) const;
    // RTP we sent the participant for section `i` under `ssrc` (its RTCP
    // reports name it).
    void noteSent(size_t i, uint32_t ssrc);
    int sectionOfInSsrc(uint32_t ssrc) const;
    int sectionOfOutSsrc(uint32_t ssrc) const;

  private:
    int sectionOfMid(std::span<const uint8_t> mid) const;
    void learnIn(size_t i, uint32_t ssrc);

    std::array<Section, kMaxSections> sections_{};
    size_t count_ = 0;
    // The previous table while a new one is built (learned SSRCs carried).
    std::array<Section, kMaxSections> old_{};
    size_t oldCount_ = 0;
    uint8_t midExtId_ = 0;
};

}  // namespace ngm::media
