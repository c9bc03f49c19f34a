#include "media/quality.h"

#include <algorithm>

namespace ngm::media {

double mosEstimate(double rttMs, double jitterMs, double lossPercent) {
    double latency = rttMs + 2 * jitterMs + 10;
    double r = latency < 160 ? 93.2 - latency / 40 : 93.2 - (latency - 120) / 10;
    r -= 2.5 * lossPercent;
    r = std::clamp(r, 0.0, 100.0);
    double mos = 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r);
    return std::clamp(mos, 1.0, 4.5);
}

// RFC 3550 §A.1: a jump this far is a restart of the sequence, not a gap.
constexpr uint16_t kMaxDropout = 3000;

void RtpReception::onPacket(uint32_t ssrc, uint16_t seq, uint32_t timestamp, int64_t arrivalUs,
                            uint32_t clockRate) {
    if (!started_ || ssrc != ssrc_ || clockRate != clockRate_) {
        *this = RtpReception();
        started_ = true;
        ssrc_ = ssrc;
        clockRate_ = clockRate;
        baseSeq_ = seq;
        maxSeq_ = seq;
    } else {
        uint16_t delta = uint16_t(seq - maxSeq_);
        if (delta != 0 && delta < kMaxDropout) {
            if (seq < maxSeq_) cycles_ += 1u << 16;
            maxSeq_ = seq;
        } else if (delta >= uint16_t(65536 - 100)) {
            // A late or duplicated packet: counted, the highest stays.
        } else if (delta != 0) {
            // The sender restarted its sequence: start counting again.
            uint32_t keep = ssrc_;
            *this = RtpReception();
            started_ = true;
            ssrc_ = keep;
            clockRate_ = clockRate;
            baseSeq_ = seq;
            maxSeq_ = seq;
        }
    }
    received_++;
    lastTimestamp_ = timestamp;
    lastArrivalUs_ = arrivalUs;
    if (!clockRate_) return;
    // RFC 3550 §A.8: transit in timestamp units; J += (|D| - J) / 16.
    int64_t arrival = arrivalUs * int64_t(clockRate_) / 1000000;
    int64_t transit = arrival - int64_t(timestamp);
    if (haveTransit_) {
        int64_t d = transit - lastTransit_;
        // Timestamps wrap at 2^32: the difference of two transits is small.
        d = int64_t(int32_t(uint32_t(d)));
        if (d < 0) d = -d;
        int64_t j = int64_t(jitterQ4_);
        j += d - ((j + 8) >> 4);
        jitterQ4_ = uint64_t(std::max<int64_t>(0, j));
    }
    lastTransit_ = transit;
    haveTransit_ = true;
}

RtpReception::State RtpReception::state() const {
    State s;
    s.started = started_;
    s.ssrc = ssrc_;
    s.clockRate = clockRate_;
    s.baseSeq = baseSeq_;
    s.cycles = cycles_;
    s.maxSeq = maxSeq_;
    s.received = received_;
    s.lastTransit = lastTransit_;
    s.haveTransit = haveTransit_;
    s.jitterQ4 = jitterQ4_;
    return s;
}

void RtpReception::restore(const State& s) {
    started_ = s.started;
    ssrc_ = s.ssrc;
    clockRate_ = s.clockRate;
    baseSeq_ = s.baseSeq;
    cycles_ = s.cycles;
    maxSeq_ = s.maxSeq;
    received_ = s.received;
    lastTransit_ = s.lastTransit;
    haveTransit_ = s.haveTransit;
    jitterQ4_ = s.jitterQ4;
}

uint64_t RtpReception::expected() const {
    if (!started_) return 0;
    uint64_t extendedMax = uint64_t(cycles_) + maxSeq_;
    return extendedMax - baseSeq_ + 1;
}

uint64_t RtpReception::lost() const {
    uint64_t e = expected();
    return e > received_ ? e - received_ : 0;
}

double RtpReception::jitterMs() const {
    if (!clockRate_) return 0;
    return double(jitterQ4_) / 16.0 * 1000.0 / double(clockRate_);
}

// Packets an interval needs for a MOS sample of its own.
constexpr uint64_t kMinSamplePackets = 10;

void MosRecord::sample(const RtpReception& r, double rttMs, int64_t nowWall, double rttLegMs) {
    if (!r.started()) return;
    if (r.ssrc() != ssrc_ || r.expected() < lastExpected_ || r.received() < lastReceived_) {
        // Another SSRC (or a restarted sequence): a new interval base.
        ssrc_ = r.ssrc();
        lastExpected_ = lastReceived_ = 0;
    }
    uint64_t expected = r.expected() - lastExpected_, received = r.received() - lastReceived_;
    // A second with a handful of packets (the stream's first or last) says
    // little about loss: it joins the next interval instead.
    if (received == 0 || expected < kMinSamplePackets) return;
    lastExpected_ = r.expected();
    lastReceived_ = r.received();
    double loss = expected > received ? 100.0 * double(expected - received) / double(expected) : 0;
    MosSample s{mosEstimate(rttMs, r.jitterMs(), loss), rttMs, r.jitterMs(), loss, nowWall, rttLegMs};
    if (!samples_ || s.mos < lowest_.mos) lowest_ = s;
    if (!samples_ || s.mos > highest_.mos) highest_ = s;
    last_ = s;
    sum_.mos += s.mos;
    sum_.rttMs += s.rttMs;
    sum_.rttLegMs += s.rttLegMs;
    sum_.jitterMs += s.jitterMs;
    sum_.lossPercent += s.lossPercent;
    samples_++;
}

MosSample MosRecord::average() const {
    if (!samples_) return {};
    double n = double(samples_);
    return {sum_.mos / n,         sum_.rttMs / n, sum_.jitterMs / n,
            sum_.lossPercent / n, last_.at,       sum_.rttLegMs / n};
}

void SsrcReceptions::onPacket(uint32_t ssrc, uint16_t seq, uint32_t timestamp, int64_t arrivalUs,
                              uint32_t clockRate) {
    // The kernel's rule (track() in offload/bpf/forward.bpf.c): the SSRC's
    // slot, else the first free one, else the one heard least recently.
    size_t at = kSlots, spare = kSlots;
    for (size_t i = 0; i < kSlots; i++) {
        if (heard_[i] && slots_[i].ssrc() == ssrc) {
            at = i;
            break;
        }
        if (spare == kSlots || (heard_[spare] && (!heard_[i] || heard_[i] < heard_[spare])))
            spare = i;
    }
    if (at == kSlots) {
        at = spare;
        slots_[at] = RtpReception();
    }
    slots_[at].onPacket(ssrc, seq, timestamp, arrivalUs, clockRate);
    if (++clock_ == 0) clock_ = 1;  // 0 marks a free slot
    heard_[at] = clock_;
    current_ = uint8_t(at);
}

uint64_t SsrcReceptions::lost() const {
    uint64_t n = 0;
    for (size_t i = 0; i < kSlots; i++)
        if (heard_[i]) n += slots_[i].lost();
    return n;
}

uint64_t SsrcReceptions::ssrcSet() const {
    uint64_t set = 0;
    for (size_t i = 0; i < kSlots; i++)
        if (heard_[i]) set ^= (uint64_t(slots_[i].ssrc()) + 1) * 0x9e3779b97f4a7c15ULL;
    return set;
}

SsrcReceptions::States SsrcReceptions::states() const {
    std::array<size_t, kSlots> order;
    for (size_t i = 0; i < kSlots; i++) order[i] = i;
    for (size_t i = 1; i < kSlots; i++)
        for (size_t j = i; j > 0 && heard_[order[j]] < heard_[order[j - 1]]; j--)
            std::swap(order[j], order[j - 1]);
    States out{};
    for (size_t i = 0; i < kSlots; i++)
        if (heard_[order[i]]) out[i] = slots_[order[i]].state();
    return out;
}

void SsrcReceptions::restore(const States& s) {
    *this = SsrcReceptions();
    for (size_t i = 0; i < kSlots; i++) {
        if (!s[i].started) continue;
        slots_[i].restore(s[i]);
        heard_[i] = ++clock_;
        current_ = uint8_t(i);
    }
}

}  // namespace ngm::media
