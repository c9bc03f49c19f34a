// `generate RTCP`: the reports the proxy writes itself towards a
// participant in place of the RTCP it would otherwise pass through
// (RFC 3550 §6.4). One compound packet per report: an SR when media went
// to the participant (else an RR), with at most one report block about what
// the participant sends us, then an SDES with our CNAME (RFC 3550 §6.1: a
// compound starts with SR/RR and carries a CNAME).
//
// Built from the streams' own counters (media/quality.h); pure functions on
// caller-owned buffers: nothing allocated, nothing logged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ngm::media {

class RtpReception;

struct RtcpReport {
    // SR: media was sent to the participant under `ssrc`; RR otherwise.
    bool sender = false;
    uint32_t ssrc = 0;
    uint64_t ntp = 0;  // NTP timestamp (RFC 3550 §4), 32.32 fixed point
    uint32_t rtpTimestamp = 0;
    uint32_t packets = 0, octets = 0;
    // The report block about the participant's own stream.
    bool hasBlock = false;
    struct Block {
        uint32_t ssrc = 0;
        uint8_t fractionLost = 0;    // 1/256 units
        int32_t cumulativeLost = 0;  // 24-bit signed on the wire
        uint32_t extendedMax = 0, jitter = 0, lsr = 0, dlsr = 0;
    } block;
    std::string_view cname;  // at most 255 octets
};

// The largest packet writeRtcpReport makes: SR 28 + one block 24 + SDES
// header 8 + CNAME item 2 + 255 + end and padding 4.
constexpr size_t kMaxRtcpReport = 28 + 24 + 8 + 2 + 255 + 4;

// Writes `r` into `out`: the packet's length, or 0 when `out` is too small.
size_t writeRtcpReport(const RtcpReport& r, std::span<uint8_t> out);

// Wall-clock microseconds (since 1970) as an NTP timestamp.
uint64_t ntpFromUnixMicros(int64_t us);

// The report block fields of what arrived in `rx` since the previous
// report (RFC 3550 §A.3): `expectedPrior` / `receivedPrior` carry the
// interval's start from one report to the next. `lastSrMiddle` and
// `lastSrUs`: the middle 32 bits of the participant's last SR and its
// arrival (monotonic us; 0: none came), `nowUs` on the same clock.
RtcpReport::Block reportBlock(const RtpReception& rx, uint64_t& expectedPrior,
                              uint64_t& receivedPrior, uint32_t lastSrMiddle, int64_t lastSrUs,
                              int64_t nowUs);

// The RTP timestamp of "now" for a stream whose newest packet (`lastTs`)
// arrived at `lastUs`: extrapolated by its clock rate (RFC 3550 §6.4.1).
uint32_t extrapolateTimestamp(uint32_t lastTs, int64_t lastUs, int64_t nowUs, uint32_t clockRate);

}  // namespace ngm::media
