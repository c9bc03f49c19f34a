#include "media/rtcp_generator.h"

#include <algorithm>
#include <cstring>

#include "media/quality.h"

namespace ngm::media {

namespace {

void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

constexpr uint8_t kSr = 200, kRr = 201, kSdes = 202, kCname = 1;

}  // namespace

size_t writeRtcpReport(const RtcpReport& r, std::span<uint8_t> out) {
    const size_t cnameLen = std::min<size_t>(r.cname.size(), 255);
    const size_t head = r.sender ? 28 : 8;
    const size_t report = head + (r.hasBlock ? 24 : 0);
    // SDES: header, SSRC, the CNAME item, at least one null octet ending
    // the item list, padded to a 32-bit boundary (RFC 3550 §6.5).
    const size_t sdes = (8 + 2 + cnameLen + 1 + 3) & ~size_t(3);
    if (out.size() < report + sdes) return 0;
    uint8_t* p = out.data();
    std::memset(p, 0, report + sdes);
    p[0] = uint8_t(0x80 | (r.hasBlock ? 1 : 0));
    p[1] = r.sender ? kSr : kRr;
    put16(p + 2, uint16_t(report / 4 - 1));
    put32(p + 4, r.ssrc);
    if (r.sender) {
        put32(p + 8, uint32_t(r.ntp >> 32));
        put32(p + 12, uint32_t(r.ntp));
        put32(p + 16, r.rtpTimestamp);
        put32(p + 20, r.packets);
        put32(p + 24, r.octets);
    }
    if (r.hasBlock) {
        uint8_t* b = p + head;
        const RtcpReport::Block& k = r.block;
        put32(b, k.ssrc);
        // Cumulative loss: 24-bit two's complement, clamped (RFC 3550 §6.4.1).
        int32_t lost = std::clamp<int32_t>(k.cumulativeLost, -0x800000, 0x7fffff);
        put32(b + 4, uint32_t(k.fractionLost) << 24 | (uint32_t(lost) & 0xffffff));
        put32(b + 8, k.extendedMax);
        put32(b + 12, k.jitter);
        put32(b + 16, k.lsr);
        put32(b + 20, k.dlsr);
    }
    uint8_t* s = p + report;
    s[0] = 0x81;  // one chunk
    s[1] = kSdes;
    put16(s + 2, uint16_t(sdes / 4 - 1));
    put32(s + 4, r.ssrc);
    s[8] = kCname;
    s[9] = uint8_t(cnameLen);
    if (cnameLen) std::memcpy(s + 10, r.cname.data(), cnameLen);
    return report + sdes;
}

uint64_t ntpFromUnixMicros(int64_t us) {
    // RFC 5905: the NTP era starts 70 years (2208988800 s) before 1970.
    constexpr uint64_t kEpochOffset = 2208988800ull;
    uint64_t secs = uint64_t(us / 1000000) + kEpochOffset;
    uint64_t frac = (uint64_t(us % 1000000) << 32) / 1000000;
    return secs << 32 | frac;
}

RtcpReport::Block reportBlock(const RtpReception& rx, uint64_t& expectedPrior,
                              uint64_t& receivedPrior, uint32_t lastSrMiddle, int64_t lastSrUs,
                              int64_t nowUs) {
    RtcpReport::Block b;
    b.ssrc = rx.ssrc();
    uint64_t expected = rx.expected(), received = rx.received();
    // A new SSRC or a restarted sequence began its counts again.
    if (expected < expectedPrior || received < receivedPrior) expectedPrior = receivedPrior = 0;
    // RFC 3550 §A.3: the fraction of the interval's expected packets lost.
    int64_t expectedInterval = int64_t(expected - expectedPrior);
    int64_t lostInterval = expectedInterval - int64_t(received - receivedPrior);
    if (expectedInterval > 0 && lostInterval > 0)
        b.fractionLost = uint8_t(std::min<int64_t>(255, (lostInterval << 8) / expectedInterval));
    expectedPrior = expected;
    receivedPrior = received;
    int64_t lost = int64_t(expected) - int64_t(received);
    b.cumulativeLost = int32_t(std::clamp<int64_t>(lost, -0x800000, 0x7fffff));
    b.extendedMax = rx.extendedMax();
    b.jitter = rx.jitterUnits();
    if (lastSrUs > 0 && nowUs >= lastSrUs) {
        b.lsr = lastSrMiddle;
        // DLSR in 1/65536 s.
        b.dlsr =
            uint32_t(std::min<uint64_t>(0xffffffffu, (uint64_t(nowUs - lastSrUs) << 16) / 1000000));
    }
    return b;
}

uint32_t extrapolateTimestamp(uint32_t lastTs, int64_t lastUs, int64_t nowUs, uint32_t clockRate) {
    if (!clockRate || lastUs <= 0 || nowUs <= lastUs) return lastTs;
    return lastTs + uint32_t(uint64_t(nowUs - lastUs) * clockRate / 1000000);
}

}  // namespace ngm::media
