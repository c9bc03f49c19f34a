#include "media/rtcp_timing.h"

namespace ngm::media {

namespace {

uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

constexpr uint8_t kSr = 200, kRr = 201;

// RFC 3550 §6.4.1: report blocks of 24 bytes; LSR and DLSR are the last two words.
void readBlocks(const uint8_t* p, size_t count, size_t room, RtcpTiming& out) {
    for (size_t i = 0; i < count && (i + 1) * 24 <= room; i++) {
        if (out.blockCount == RtcpTiming::kMaxBlocks) return;
        const uint8_t* b = p + i * 24;
        out.blocks[out.blockCount++] = {be32(b), be32(b + 16), be32(b + 20)};
    }
}

}  // namespace

bool parseRtcpTiming(std::span<const uint8_t> packet, RtcpTiming& out) {
    out = {};
    size_t off = 0;
    bool first = true;
    while (off + 4 <= packet.size()) {
        const uint8_t* h = packet.data() + off;
        if ((h[0] >> 6) != 2) return !first;
        size_t len = (size_t(h[2] << 8 | h[3]) + 1) * 4;
        // Every RTCP packet holds at least its sender's SSRC (RFC 3550 §6.4).
        if (len < 8 || off + len > packet.size()) return !first;
        uint8_t pt = h[1];
        size_t count = h[0] & 0x1f;
        if (first && pt != kSr && pt != kRr) return false;
        first = false;
        if (pt == kSr && len >= 28) {
            if (!out.hasSenderReport) {
                out.hasSenderReport = true;
                out.senderSsrc = be32(h + 4);
                // NTP seconds' low 16 bits and fraction's high 16 bits.
                out.ntpMiddle = be32(h + 8) << 16 | be32(h + 12) >> 16;
            }
            readBlocks(h + 28, count, len - 28, out);
        } else if (pt == kRr && len >= 8) {
            readBlocks(h + 8, count, len - 8, out);
        }
        off += len;
    }
    return !first;
}

size_t SenderReportLog::slot(uint32_t ssrc, uint32_t ntpMiddle) {
    uint32_t h = (ssrc * 0x9e3779b1u) ^ (ntpMiddle * 0x85ebca6bu);
    return (h ^ (h >> 15)) % kSlots;
}

void SenderReportLog::record(uint32_t ssrc, uint32_t ntpMiddle, int64_t atUs) {
    entries_[slot(ssrc, ntpMiddle)] = {ssrc, ntpMiddle, atUs};
}

std::optional<int64_t> SenderReportLog::passedAt(uint32_t ssrc, uint32_t ntpMiddle) const {
    const Entry& e = entries_[slot(ssrc, ntpMiddle)];
    if (e.atUs == 0 || e.ssrc != ssrc || e.ntpMiddle != ntpMiddle) return std::nullopt;
    return e.atUs;
}

std::optional<int64_t> roundTripUs(int64_t nowUs, int64_t srUs, uint32_t dlsr) {
    // DLSR in 1/65536 s.
    int64_t held = int64_t((uint64_t(dlsr) * 1000000u) >> 16);
    int64_t rtt = nowUs - srUs - held;
    if (rtt < 0 || rtt > 10'000'000) return std::nullopt;
    return rtt;
}

}  // namespace ngm::media
