// What the proxy itself sees of a received RTP stream's quality, with no
// RTCP needed: loss from sequence-number gaps (RFC 3550 §A.3) and the
// interarrival jitter (RFC 3550 §6.4.1, §A.8) in the codec's clock. The
// per-packet update is a handful of integer operations (hot path); MOS
// estimates are made from the counters off it, once a second and at query
// time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ngm::media {

// MOS (1.0 to 4.5) with the simplified E-model rtpengine 10.5 uses (the
// published PingPlotter formula): effective latency = round-trip time +
// 2 * jitter + 10 ms; R = 93.2 - latency / 40, or 93.2 - (latency - 120) / 10
// from 160 ms on; less 2.5 per percent of packets lost;
// MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R). `rttMs` 0: unknown (as
// rtpengine's `--mos=LQ` leaves it out).
double mosEstimate(double rttMs, double jitterMs, double lossPercent);

// RFC 3550 §A.3 and §A.8 for one SSRC at a time: a new SSRC starts over.
class RtpReception {
  public:
    // Hot path: one RTP packet of `ssrc` with `seq` and `timestamp`, arrived
    // at `arrivalUs` (a monotonic clock in microseconds). `clockRate` 0: no
    // jitter (unknown codec clock).
    void onPacket(uint32_t ssrc, uint16_t seq, uint32_t timestamp, int64_t arrivalUs,
                  uint32_t clockRate);

    // The whole state, as the in-kernel path carries it on for a stream it
    // forwards (src/offload/: seeded from here, read back into here).
    struct State {
        bool started = false;
        uint32_t ssrc = 0, clockRate = 0, baseSeq = 0, cycles = 0;
        uint16_t maxSeq = 0;
        uint64_t received = 0;
        int64_t lastTransit = 0;
        bool haveTransit = false;
        uint64_t jitterQ4 = 0;
    };
    State state() const;
    void restore(const State& s);

    bool started() const { return started_; }
    uint32_t ssrc() const { return ssrc_; }
    uint64_t received() const { return received_; }
    // Packets expected from the first to the highest sequence number seen.
    uint64_t expected() const;
    // expected - received, 0 when duplicates outnumber the gaps.
    uint64_t lost() const;
    // The interarrival jitter in milliseconds (0 without a clock rate).
    double jitterMs() const;
    // RFC 3550 §6.4.1 report block fields: the extended highest sequence
    // number received, and the jitter in timestamp units.
    uint32_t extendedMax() const { return cycles_ + maxSeq_; }
    uint32_t jitterUnits() const { return uint32_t(jitterQ4_ >> 4); }
    // The newest packet's RTP timestamp and arrival (monotonic us; 0 when
    // it came without a clock rate): a sender report's RTP timestamp is
    // extrapolated from them.
    uint32_t lastTimestamp() const { return lastTimestamp_; }
    int64_t lastArrivalUs() const { return lastArrivalUs_; }

  private:
    // Widest first: four of these are in every stream (SsrcReceptions).
    uint64_t received_ = 0;
    int64_t lastTransit_ = 0;   // arrival - timestamp, in clock units
    uint64_t jitterQ4_ = 0;     // J * 16 in clock units (RFC 3550 §A.8)
    int64_t lastArrivalUs_ = 0;
    uint32_t ssrc_ = 0;
    uint32_t clockRate_ = 0;
    uint32_t baseSeq_ = 0;      // extended sequence number of the first packet
    uint32_t cycles_ = 0;       // sequence number wraps, shifted by 16
    uint32_t lastTimestamp_ = 0;
    uint16_t maxSeq_ = 0;
    bool started_ = false;
    bool haveTransit_ = false;
};

// The RTP reception of every SSRC a stream receives, up to kSlots at once,
// each as RtpReception keeps it: a stream that interleaves SSRCs (or comes
// back to an earlier one) carries each one's sequence state on rather than
// starting over. A new SSRC takes a free slot or the one heard least
// recently. The in-kernel path keeps the same slots by the same rule
// (offload/bpf/forward_map.h, NGM_FWD_SSRCS), so query's per-SSRC figures
// are the same whichever path carried the packets.
class SsrcReceptions {
  public:
    static constexpr size_t kSlots = 4;
    // Every slot's state from the one heard least recently to the one heard
    // last; unused slots (started false) first.
    using States = std::array<RtpReception::State, kSlots>;

    // Hot path: as RtpReception::onPacket, in the slot of `ssrc`.
    void onPacket(uint32_t ssrc, uint16_t seq, uint32_t timestamp, int64_t arrivalUs,
                  uint32_t clockRate);
    // The SSRC heard last (not started before any RTP).
    const RtpReception& current() const { return slots_[current_]; }
    // Slot i (0 <= i < kSlots) and whether it is in use.
    const RtpReception& slot(size_t i) const { return slots_[i]; }

    // The loss of every SSRC kept, summed.
    uint64_t lost() const;
    // Which SSRCs are kept, as one number (in any order; 0: none).
    uint64_t ssrcSet() const;

    States states() const;
    // Takes over `s` (as states() orders them).
    void restore(const States& s);

  private:
    std::array<RtpReception, kSlots> slots_{};
    // When each slot was heard (0: free), by a count of packets: 32 bits
    // order 2^32 packets, years of one stream.
    std::array<uint32_t, kSlots> heard_{};
    uint32_t clock_ = 0;
    uint8_t current_ = 0;
};

// MOS samples of one stream, as rtpengine keeps them per SSRC: lowest,
// highest and the sum for the average, each with the figures it came from.
struct MosSample {
    double mos = 0, rttMs = 0, jitterMs = 0, lossPercent = 0;
    int64_t at = 0;  // wall seconds
    // The round trip of the proxy's leg to the sender alone (rttMs: both
    // legs, the one the MOS takes), as rtpengine's "round-trip time leg".
    double rttLegMs = 0;
};
class MosRecord {
  public:
    // Takes one sample from the figures since the previous one (loss over
    // the interval; jitter as it stands now). Nothing when no packet came.
    // `rttMs`: the round trip between the two parties (0: unknown),
    // `rttLegMs` its part between the proxy and the sender.
    void sample(const RtpReception& r, double rttMs, int64_t nowWall, double rttLegMs = 0);

    uint64_t samples() const { return samples_; }
    const MosSample& lowest() const { return lowest_; }
    const MosSample& highest() const { return highest_; }
    const MosSample& last() const { return last_; }
    // The averages of every figure over the samples.
    MosSample average() const;
    uint32_t ssrc() const { return ssrc_; }

  private:
    uint32_t ssrc_ = 0;
    uint64_t samples_ = 0;
    uint64_t lastExpected_ = 0, lastReceived_ = 0;
    MosSample lowest_, highest_, last_, sum_;
};

}  // namespace ngm::media
