// Writes the SDP that goes to `to`, from the SDP that `from` sent, the way
// rtpengine 10.5 lays it out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sdp/sdp.h"
#include "session/call.h"
#include "session/call_store.h"
#include "session/flags.h"

namespace ngm::session {

// Reads a received media section into the sender's Media (advertised
// endpoints, protocol, direction, codecs, rtcp-mux, ptime).
void readMediaSection(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, Media& media,
                      const Flags& f, const SessionConfig& cfg);

std::string rewriteSdp(const sdp::SessionDescription& in, Participant& from, Participant& to,
                       const Flags& f, const Call& call, const SessionConfig& cfg, bool isOffer);

// The spelling rtpengine writes for a known RTP profile, any letter case.
std::optional<std::string_view> knownRtpProtocol(std::string_view proto);
bool isRtpProtocol(const std::string& proto);
// False when an RTP m= line has a format entry that reads no payload type
// (rtpengine answers "Incomplete SDP specification").
bool hasValidPayloadTypes(const sdp::MediaLine& m);
// RTP/AVP or RTP/AVPF: what `transport protocol` can switch between without
// SRTP (the secure profiles come with SDES/DTLS).
bool isPlainRtpProtocol(std::string_view proto);
// Media that is passed through untouched, without ports of ours (MSRP).
bool isPassthroughProtocol(const std::string& proto);

}  // namespace ngm::session
