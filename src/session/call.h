// Call → Participant (SIP tag) → Media (m= line) → Stream (RTP, RTCP).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "media/bundle.h"
#include "media/dtls_transport.h"
#include "media/packet_stream.h"
#include "media/srtp_stage.h"
#include "net/interface.h"
#include "net/port_pool.h"
#include "net/timer_wheel.h"
#include "session/flags.h"
#include "session/media_ports.h"
#include "session/dtls_negotiation.h"
#include "media/ice_transport.h"
#include "session/ice_negotiation.h"
#include "session/sdes_negotiation.h"

namespace ngm::session {

using StreamStats = media::StreamStats;
// One transport flow of a media section (see media::PacketStream): the
// participant sends to its socket; `advertised()` is where its SDP says it
// receives, `endpoint()` where we actually send (learned). Session says what
// it wants of a stream in the stream's own media::StreamConfig
// (Stream::editConfig) and hands it over with CallStore::applyStreams.
using Stream = media::PacketStream;

struct Media {
    int index = 0;  // 1-based, m= order
    std::string type;
    std::string proto;
    bool send = true, recv = true;
    bool rejected = false;    // m= port 0
    bool zeroAddress = false; // c= 0.0.0.0 / ::
    bool rtcpMux = false;     // RTCP on the RTP port towards this side (one port)
    bool rtcpMuxOut = false;  // a=rtcp-mux in the SDP written to this side
    bool rtcpMuxOffered = false;  // this side's SDP carried a=rtcp-mux
    bool muxOnlyPorts = false;    // ports taken while muxed (one port to rtpengine)
    RtcpMuxMode offerMuxKey = RtcpMuxMode::Default;  // `rtcp-mux` of this side's offer
    std::vector<std::string> maskSpecs;  // codecs masked in this side's offer
    net::Family sdpFamily = net::Family::None;  // family of the address in this side's SDP
    bool initialized = false;
    std::string mid;
    // BUNDLE (docs/bundle.md): the 0-based index of the media whose
    // transport this section shares towards this side (itself for the
    // tagged one); -1: not in a group. Used while Participant::bundled.
    int bundleHead = -1;
    // The extmap id of the MID header extension in this side's SDP (0: none).
    uint8_t midExtId = 0;
    // The SSRCs this side's SDP says it sends in this section (a=ssrc,
    // RFC 5576): a bundled side's packets without MID go by them.
    std::vector<uint32_t> sdpSsrcs;
    // On the tagged media of a bundled side: what tells its packets apart.
    std::unique_ptr<media::BundleDemux> bundleDemux;
    MediaPorts ports;  // our ports towards this side
    // What signalling wants of them is in each one's editConfig(), applied
    // with CallStore::applyStreams.
    Stream rtp{false}, rtcp{true};
    codec::CodecList codecs;
    // The codecs of the last offer written to this side: its answer may only
    // pick from them.
    std::optional<codec::CodecList> offeredCodecs;
    int ptime = 0;
    std::string sdpDirection;  // as last received ("" if none)
    // What rtpengine's `query` shows as the media's "send"/"recv" flags:
    // media may go to / come from this side. Set by the side's own SDP
    // direction and, until it answers, mirrored from the offer it received.
    bool shownSend = true, shownRecv = true;
    // Created on the receiving side of an offer: rtpengine marks such media
    // "ICE controlling" (it is the controlling agent towards that side),
    // whether or not ICE is in use.
    bool iceControlling = false;
    // SDES towards this side (session/sdes_negotiation.h) and the SRTP
    // stages made from its keys: decrypt what it sends, encrypt what goes to
    // it. A stage is kept while its key stays, with its rollover counters
    // and replay window.
    MediaSdes sdes;
    MediaDtls dtls;  // DTLS-SRTP towards this side (session/dtls_negotiation.h)
    MediaIce ice;    // ICE towards this side (session/ice_negotiation.h)
    // While ICE is in use towards this side: a port pair on every other
    // address of the logical interface (ports.local() has the first), for
    // the host candidates written there. The agent owns no sockets of its
    // own; it reads them here.
    struct IcePorts {
        net::LocalInterface* local = nullptr;
        net::SocketPair sockets;
    };
    std::vector<IcePorts> iceExtraPorts;
    std::unique_ptr<media::SrtpStage> decrypt, encrypt;
    // The DTLS-SRTP handshake towards this side, when dtls.inUse; its stages
    // replace the SDES ones once it is Connected.
    std::unique_ptr<media::DtlsTransport> dtlsTransport;
    // Without rtcp-mux the RTCP component has a handshake of its own (RFC
    // 5764 §4.1: one association per component), keying SRTCP.
    std::unique_ptr<media::DtlsTransport> dtlsRtcpTransport;
    // The ICE agent on this side's streams while ice.inUse
    // (session/ice_agent.cpp). Declared after the streams: it goes first.
    std::unique_ptr<media::IceTransport> iceTransport;

    // What of the streams' counters has gone into the traffic counters of
    // the local address (net::InterfaceTraffic), so that only growth is
    // added; `lost` is of the RTP stream's SSRC `ssrc`.
    struct TrafficReported {
        uint64_t packets = 0, bytes = 0, errors = 0, lost = 0;
        uint64_t ssrcs = 0;  // which SSRCs `lost` was summed over (SsrcReceptions::ssrcSet)
    };
    TrafficReported trafficReported;

    // `generate RTCP`: our reports towards this side (CallStore::generateRtcp):
    // when the next is due (monotonic ms; 0: not yet scheduled), the loss
    // interval's start (RFC 3550 §A.3), and our SSRC for receiver reports
    // when no media goes to the side.
    struct RtcpReports {
        int64_t nextMs = 0;
        uint64_t expectedPrior = 0, receivedPrior = 0;
        uint32_t ownSsrc = 0;
    };
    RtcpReports rtcpReports;

    bool hasPorts() const { return ports.hasPair(); }
};

struct Participant {
    std::string tag;
    std::string label;
    std::string viaBranch;
    int64_t created = 0;
    int seq = 0;                  // creation order within the call, from 0
    Participant* peer = nullptr;  // in dialogue with
    // Whose media this participant receives, latest offer/answer partner
    // first (rtpengine's `subscriptions`; its `subscribers` are the
    // participants that list this one here).
    std::vector<Participant*> subscriptions;
    std::vector<std::unique_ptr<Media>> media;
    bool deleted = false;
    int64_t deleteAt = 0;  // wall seconds: a branch deleted with a delay; 0 = not scheduled

    // In-call controls on media this participant sends (block/silence
    // commands, `media echo`).
    bool blockMedia = false, blockDtmf = false, silence = false;
    bool echo = false;       // its media goes back to it
    bool blackhole = false;  // its media goes nowhere
    // Its last SDP had a=rtcp-mux in some media section: offers to it then
    // mux every section on one port (rtpengine sticks to a peer that talks
    // rtcp-mux, whatever the offerer or the offer's `rtcp-mux` key says).
    bool speaksRtcpMux = false;
    // BUNDLE (docs/bundle.md): its media in a group share one transport (the
    // tagged media's ports): its packets arrive there and are told apart by
    // section, and media for all of them leaves from there.
    bool bundled = false;
    // How the last offer written to it was bundled (`bundle` offer,
    // require, strict), until its answer says whether it took the group.
    enum class BundleOffer : uint8_t { None, Offer, Require, Strict };
    BundleOffer bundleOffer = BundleOffer::None;
    // It was offered the shared port on every section (`require`) and
    // answered without the group: what it sends to that port is still told
    // apart by section (never taken as the first section's), while media to
    // it goes to each section's own address.
    bool bundleDemuxOnly = false;

    // What we wrote towards this participant, for `replace` handling.
    std::string outOriginUsername, outSessionName;
    // The last SDP written to it, as a hash (a new text bumps the o=
    // version; the text itself is not kept).
    std::optional<uint64_t> lastSdpOutHash;
    std::optional<uint64_t> outSdpVersion;
    // The last SDP it sent, kept only for the rtpproxy protocol
    // (Flags::keepSdpIn), which builds its next SDP from it.
    std::string lastSdpIn;

    Media* mediaAt(size_t i) { return i < media.size() ? media[i].get() : nullptr; }
};

struct Call {
    std::string callId;
    int64_t created = 0, createdUs = 0, lastSignal = 0;
    std::map<std::string, std::unique_ptr<Participant>> participants;  // by tag ("" = unknown yet)
    int nextParticipantSeq = 0;
    int64_t deleteAt = 0;     // wall seconds; 0 = not scheduled
    bool answered = false;
    bool foreign = false;
    std::string loopToken;
    int tos = -1;  // -1: the --tos default
    std::string proxy;   // the control client that created it ("address:port")
    bool debug = false;  // `debug` flag or CLI `debug on` (shown only, for now)
    // `generate RTCP` (on for both sides): the proxy writes the RTCP.
    bool generateRtcp = false;
    std::string rtcpCname;  // the CNAME of the reports it writes
    // Call-wide in-call controls (commands without a participant selector,
    // `drop-traffic`).
    bool blockMedia = false, blockDtmf = false, silence = false, dropTraffic = false;
    // Fires at the call's earliest deadline (CallStore::schedule), the wall
    // second in `timerAt` (0: not armed). Last member: it goes first.
    int64_t timerAt = 0;
    net::Timer timer;

    Participant* find(const std::string& tag) {
        auto it = participants.find(tag);
        return it == participants.end() ? nullptr : it->second.get();
    }
};

}  // namespace ngm::session
