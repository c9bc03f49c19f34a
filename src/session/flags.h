// What an ng offer/answer/delete/... asks for, decoded from the request by
// control/ and acted on by session/. Plain data: no bencode here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/manipulate.h"
#include "net/address.h"

namespace ngm::session {

enum class RtcpMuxMode : uint8_t { Default, Offer, Require, Demux, Accept, Reject };

// The `bundle` list (RFC 9143; rtpengine mr14.0's key, absent from 10.5):
// see docs/bundle.md. All false: BUNDLE is ignored as 10.5 ignores it.
struct BundleFlags {
    bool accept = false;   // a bundled offer is understood; the answer to it bundled
    bool offer = false;    // the outgoing offer is bundled (unique ports)
    bool require = false;  // ... with the shared port on every section and bundle-only
    bool strict = false;   // with require: bundle-only sections with port 0
    bool reject = false;   // an existing group is broken up
    bool any() const { return accept || offer || require || strict || reject; }
    bool offers() const { return offer || require || strict; }
};

struct Flags {
    // Identity
    std::string callId, fromTag, toTag, viaBranch, label, setLabel;
    std::string sdp;
    bool hasSdp = false;

    // `flags` list
    bool sipSourceAddress = false, trustAddress = false, symmetric = false, asymmetric = false;
    bool unidirectional = false, strictSource = false, mediaHandover = false, reset = false;
    bool portLatching = false, noPortLatching = false, noRtcpAttribute = false;
    bool fullRtcpAttribute = false, loopProtect = false, alwaysTranscode = false;
    bool singleCodec = false, reuseCodecs = false, allowTranscoding = false, all = false;
    bool generateMid = false, stripExtmap = false, originalSendrecv = false, injectDtmf = false;
    bool debug = false, pierceNat = false, natWait = false, trickleIce = false, fatal = false;
    bool loadLimitSupported = false;
    bool fragment = false;  // the SDP is a trickle ICE fragment (RFC 8840)

    // `replace` list
    bool replaceOrigin = false, replaceSessionConnection = false, replaceSdpVersion = false;
    bool replaceUsername = false, replaceSessionName = false, replaceZeroAddress = false;

    std::vector<std::string> direction;  // 0..2 interface names
    std::string interface;
    std::optional<net::IpAddress> receivedFrom;
    std::optional<net::IpAddress> mediaAddress;
    std::optional<net::IpAddress> address;  // participant selector of block/silence commands
    net::Family addressFamily = net::Family::None;
    RtcpMuxMode rtcpMux = RtcpMuxMode::Default;
    std::vector<RtcpMuxMode> rtcpMuxList;  // all values given, in order
    BundleFlags bundle;
    int tos = -1;                          // -1 = not given
    bool tosGiven = false;
    std::string dropTraffic;               // "", "start", "stop"
    std::string mediaEcho;
    int deleteDelay = -1;                  // -1 = not given
    int64_t limit = 32;                    // list
    // Set by the transport, not the message: who sent the command
    // ("address:port"), recorded on the call it creates (the CLI's `proxy`).
    std::string controlSource;
    // Set by the transport: keep the SDP of this message on its sender
    // (Participant::lastSdpIn; the rtpproxy protocol builds its next SDP
    // from it). ng commands do not need it, and a call holds less without.
    bool keepSdpIn = false;

    // Later capabilities: parsed and validated, carried here, not acted on yet.
    std::string ice, iceLite, transportProtocol, dtls, dtlsReverse, dtlsFingerprint;
    std::vector<std::string> sdes, osrtp, t38;
    std::string recordCall, metadata, xmlrpcCallback, generateRtcp;
    ngm::codec::CodecFlags codec;
    int ptime = 0, ptimeReverse = 0;

    // Names of requested features that ngmedia does not implement yet; the
    // reply carries them in `warning`.
    std::vector<std::string> notImplemented;
};

}  // namespace ngm::session
