// Round-trip time from RTCP as the proxy sees it (RFC 3550 §6.4.1): a
// receiver report's LSR names the sender report it answers (the middle 32
// bits of that SR's NTP timestamp) and DLSR how long the reporter held it.
// The proxy notes when each SR passed through it; when a report about that
// SR comes back, arrival − the SR's passage − DLSR is the round trip of the
// leg between the proxy and the reporter — with no need for synchronised
// clocks. Parsing and bookkeeping are fixed-size: hot path, no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ngm::media {

// The timing fields of one compound RTCP packet.
struct RtcpTiming {
    static constexpr size_t kMaxBlocks = 8;
    struct Block {
        uint32_t ssrc = 0;  // the source reported on
        uint32_t lsr = 0;   // middle 32 bits of its last SR's NTP time; 0: none
        uint32_t dlsr = 0;  // 1/65536 s since that SR was received
    };
    bool hasSenderReport = false;
    uint32_t senderSsrc = 0;  // of the SR
    uint32_t ntpMiddle = 0;   // of the SR
    std::array<Block, kMaxBlocks> blocks{};
    size_t blockCount = 0;  // the first kMaxBlocks of SR and RR packets
};

// Reads the SR and RR packets of a plain (decrypted) compound RTCP packet.
// False when the first packet is no SR or RR or a length runs past the end;
// the packets before a malformed one count.
bool parseRtcpTiming(std::span<const uint8_t> packet, RtcpTiming& out);

// When sender reports passed through the proxy, by (SSRC, NTP middle):
// direct-mapped, a newer report taking an older one's slot. One per worker.
class SenderReportLog {
  public:
    void record(uint32_t ssrc, uint32_t ntpMiddle, int64_t atUs);
    std::optional<int64_t> passedAt(uint32_t ssrc, uint32_t ntpMiddle) const;

  private:
    struct Entry {
        uint32_t ssrc = 0, ntpMiddle = 0;
        int64_t atUs = 0;
    };
    static constexpr size_t kSlots = 1024;
    static size_t slot(uint32_t ssrc, uint32_t ntpMiddle);
    std::array<Entry, kSlots> entries_{};
};

// The round trip in microseconds for a report block (lsr, dlsr) arriving
// at `nowUs` about an SR that passed at `srUs`; none when it is not
// plausible (negative, or over 10 s).
std::optional<int64_t> roundTripUs(int64_t nowUs, int64_t srUs, uint32_t dlsr);

}  // namespace ngm::media
