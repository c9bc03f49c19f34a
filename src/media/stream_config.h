// What signalling wants of one stream, as a value: session/ fills it in and
// hands it over with PacketStream::configure on the owning worker; media/
// applies it. Nothing else writes a stream's state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "media/learning.h"
#include "media/stage.h"
#include "net/address.h"

namespace ngm::media {

class BundleDemux;
class DtlsHandler;
class IceHandler;

// The in-call controls on what the stream receives (the Controls slot's
// built-in stage runs them when any is on).
struct Controls {
    bool blockMedia = false, blockDtmf = false;
    bool silence = false;    // G.711/G.722 payloads replaced by silence
    bool dropAll = false;    // nothing received is forwarded
    uint32_t echoSsrc = 0;   // != 0: RTP goes out under this SSRC (media echo)
    int dtmfPayloadType = -1;  // telephone-event PT towards us, -1 if none
    bool any() const { return blockMedia || blockDtmf || silence || dropAll || echoSsrc; }
    bool operator==(const Controls&) const = default;
};

// Forwarding targets: the streams a packet leaves through, in order.
class SinkList {
  public:
    static constexpr size_t kMax = 4;
    void clear() { n_ = 0; }
    bool add(PacketStream* s) {
        if (!s || n_ == kMax) return false;
        for (size_t i = 0; i < n_; i++)
            if (at_[i] == s) return true;
        at_[n_++] = s;
        return true;
    }
    void remove(const PacketStream* s) {
        size_t k = 0;
        for (size_t i = 0; i < n_; i++)
            if (at_[i] != s) at_[k++] = at_[i];
        n_ = k;
    }
    bool contains(const PacketStream* s) const {
        for (size_t i = 0; i < n_; i++)
            if (at_[i] == s) return true;
        return false;
    }
    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    PacketStream* operator[](size_t i) const { return at_[i]; }
    PacketStream* const* begin() const { return at_.data(); }
    PacketStream* const* end() const { return at_.data() + n_; }
    bool operator==(const SinkList& o) const {
        if (n_ != o.n_) return false;
        for (size_t i = 0; i < n_; i++)
            if (at_[i] != o.at_[i]) return false;
        return true;
    }

  private:
    std::array<PacketStream*, kMax> at_{};
    size_t n_ = 0;
};

struct StreamConfig {
    // Where the participant's SDP says it receives. A change means learning
    // again from it (a re-INVITE to a new address).
    net::Endpoint advertised;
    // The participant can be sent to: its media is not rejected and its SDP
    // address is not a zero (c=0.0.0.0) hold. A sendonly or inactive
    // direction does not stop media, as with rtpengine.
    bool receives = true;
    Learning learning = Learning::Delayed;
    bool asymmetric = false, strictSource = false, mediaHandover = false;
    // `unidirectional`: a packet from the participant settles the endpoint of
    // the stream it goes out on (rtpengine confirms the sinks so that one-way
    // media can go to its kernel path), so the receiver is learned no more.
    bool unidirectional = false;
    bool natWait = false;    // send nothing to the participant before it sent something
    bool pierceNat = false;  // send empty datagrams to it until it sends something
    Controls controls;
    // The RTP clock rate of the stream's first codec (the jitter's unit);
    // 0: unknown, no jitter measured.
    uint32_t clockRate = 0;
    // The RTP payload types the call negotiated for this media (both
    // sides' SDP; bit n of word n / 64): the in-kernel path forwards RTP of
    // these and hands any other up to userspace, which forwards it too.
    // All set when unknown.
    std::array<uint64_t, 2> payloadTypes{~0ULL, ~0ULL};
    SinkList rtpSinks;   // RTP received here leaves through these streams
    SinkList rtcpSinks;  // RTCP received here leaves through these
    // Stages in the receiving chain's slots (Controls: the built-in one is
    // used when this slot is empty and a control is on).
    StageSlots stages{};
    // Run on packets leaving through this stream (SRTP encrypt towards its
    // participant), once per packet and sink.
    Stage* egress = nullptr;
    // DTLS records received on this stream go here (media/dtls_transport.h);
    // without a handler they are dropped as errors.
    DtlsHandler* dtls = nullptr;
    // ICE in use towards the participant (media/ice_transport.h): STUN
    // received here goes to it, and the pair it selects, not learning, says
    // where media goes and whence it is taken. Without a handler STUN is
    // dropped as an error.
    IceHandler* ice = nullptr;
    // SDES pass-through: RTCP from the participant is SRTCP that is not
    // decrypted here; the octets that follow its RTCP (index, MKI, tag), so
    // that only its head is checked (validSrtcpHead). 0: plain RTCP.
    uint8_t srtcpTrailer = 0;
    // RTCP from the participant goes to one that speaks an AVP profile while
    // it speaks AVPF: its feedback packets (RTPFB, PSFB) are taken out, as
    // rtpengine 10.5 does (stripRtcpFeedback). Keeps the stream in
    // userspace (the kernel path does not filter).
    bool stripRtcpFeedback = false;
    // BUNDLE (media/bundle.h): this stream is the participant's bundled
    // transport, and the demux picks each packet's sinks by section (the
    // rtpSinks/rtcpSinks above are then unused). Keeps the stream in
    // userspace.
    BundleDemux* bundle = nullptr;
    // RTP received here goes to a participant's bundled transport as its
    // section `bundleSection`: its SSRCs are noted there, for routing the
    // RTCP that reports on them.
    BundleDemux* bundleOut = nullptr;
    uint8_t bundleSection = 0;
    // `generate RTCP`: RTCP from the participant is consumed here (its
    // sender reports noted for the reports we write, nothing forwarded);
    // the proxy writes its own (media/rtcp_generator.h). Keeps the stream
    // in userspace.
    bool generateRtcp = false;
};

}  // namespace ngm::media
