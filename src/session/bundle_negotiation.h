// BUNDLE (RFC 9143) on the SDP side: reading a group, making a bundled
// offer's sections usable on their own (de-bundling), the MID header
// extension's id. See docs/bundle.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sdp/sdp.h"

namespace ngm::session {

// The mids of the first session's a=group:BUNDLE (empty: none).
std::vector<std::string> bundleGroupMids(const sdp::SessionDescription& sdp);

// The sections (0-based, first session) named by the group, in group order,
// the tagged one (the first named section with a port) first. Empty when
// there is no group or no named section has a port.
std::vector<size_t> bundleGroupSections(const sdp::SessionDescription& sdp);

// `bundle=accept` on an offer: each RTP section of the group other than
// the tagged one takes the tagged section's port and address, so that it is
// negotiated (and offered on) as a section of its own: one that came with
// port 0 and a=bundle-only (RFC 9143 §7.3.3, what Firefox sends with
// max-bundle) also loses a=bundle-only; one with a port of its own keeps
// nothing of it (Chromium's max-bundle offers give the other sections port
// 9 and c=0.0.0.0 as placeholders, which read as they stand are a section
// on hold; once the answer is bundled the offerer uses the tagged transport
// only, RFC 9143 §7.3.1). Returns bundleGroupSections().
std::vector<size_t> acceptBundledOffer(sdp::SessionDescription& sdp);

// RFC 5576 §4.1: the SSRCs named by a section's a=ssrc lines, each once,
// in order (malformed lines are skipped).
std::vector<uint32_t> sdpSsrcs(const sdp::MediaSection& m);

// RFC 8843 §15: the extmap id of urn:ietf:params:rtp-hdrext:sdes:mid in a
// section (0: none).
uint8_t midExtensionId(const sdp::MediaSection& m);

}  // namespace ngm::session
