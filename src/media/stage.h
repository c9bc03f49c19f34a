// What happens to a packet between receive and send: an ordered chain of
// stages. The built-in steps of every stream (demux by RFC 7983, source
// checks and learning, counting) come first and the egress queue last; in
// between run the stages a stream's configuration puts in its slots, in slot
// order. An empty slot is not in the chain at all, so features that are off
// cost nothing per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ngm::media {

class PacketStream;

// Slots of the receiving stream's chain, in the order they run.
enum class Slot : uint8_t {
    Decrypt,    // SRTP/SRTCP → plain (secure media)
    Rtcp,       // RTCP handling (generation, feedback)
    Controls,   // in-call controls: block, silence, echo, drop (built in)
    Dtmf,       // DTMF detection and injection
    Transcode,  // codec conversion
    Record,     // recording taps
};
constexpr size_t kIngressSlots = 6;

// One packet on its way through a chain.
struct PacketContext {
    uint8_t* data = nullptr;
    size_t len = 0;
    size_t capacity = 0;  // bytes `data` may grow to (an SRTP tag)
    bool rtp = false;     // RTP (else RTCP)
    int64_t nowMs = 0;    // monotonic, coarse
    PacketStream* stream = nullptr;  // the stream running the chain
};

enum class Verdict : uint8_t {
    Forward,  // on to the next stage and the sinks
    Drop,     // not forwarded, by decision (blocked media); counted as received
    Error,    // not forwarded: bad or unauthentic; counted as an error
};

// A stage is owned by whoever configures it (session/, or the feature
// module session asks) and borrowed by the streams whose chain holds it.
class Stage {
  public:
    virtual ~Stage() = default;
    virtual Verdict process(PacketContext& p) = 0;
};

using StageSlots = std::array<Stage*, kIngressSlots>;

// Refuses everything as an Error: media of a DTLS-SRTP stream before its
// keys are there (nothing goes through in plain, either way).
class RefuseStage final : public Stage {
  public:
    Verdict process(PacketContext&) override { return Verdict::Error; }
};

// Forwards everything untouched: the cost of one enabled stage, measured by
// the benchmark (`NGMEDIA_NOOP_STAGE`, bench/README.md).
class NoopStage final : public Stage {
  public:
    Verdict process(PacketContext& p) override;
};

}  // namespace ngm::media
