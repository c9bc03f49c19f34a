// DTLS-SRTP (RFC 5763, RFC 8842) in offer/answer as rtpengine 10.5
// negotiates it: a=setup and a=fingerprint towards each side, and which
// sides speak DTLS with which role once the answer is in. Pure signalling:
// the handshake runs in media/dtls_transport.h.
//
// Recorded in tests/diff/scenarios/dtls_*.json:
// - An offer to a secure profile (or an OSRTP one) carries a=setup:actpass
//   and our fingerprint (SHA-256, or the `DTLS-fingerprint` hash) after the
//   a=crypto lines, unless `DTLS=off`.
// - An offerer with a valid a=fingerprint gets DTLS in the answer, favoured
//   over its SDES: a=setup:active (passive if it offered active, or with
//   `DTLS-reverse=passive` / --dtls-passive) and our fingerprint in the hash
//   of its first one. A fingerprint that does not parse is not ours to
//   consume: it passes on as any unknown attribute, and DTLS is not used.
// - An answerer that answers our DTLS offer with a fingerprint and a setup
//   speaks DTLS; we take the other role.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/dtls.h"
#include "sdp/sdp.h"

namespace ngm::session {

struct DtlsOptions {
    bool off = false;                // DTLS=off/no/disable(d)
    bool passive = false;            // DTLS=passive (--dtls-passive; `active` clears)
    bool reversePassive = false;     // DTLS-reverse=passive
    std::optional<crypto::FingerprintHash> hash;  // DTLS-fingerprint
};

DtlsOptions dtlsOptions(const std::string& dtls, const std::string& reverse,
                        const std::string& fingerprint, bool daemonPassive);

struct MediaDtls {
    // This side's last SDP: its valid fingerprints (media level, else
    // session level) and its a=setup.
    std::vector<crypto::Fingerprint> peerFingerprints;
    std::optional<crypto::DtlsSetup> peerSetup;
    bool offered = false;  // our last offer to this side carried DTLS
    // That offer is not answered yet: the side may start its handshake (as
    // DTLS client) before its answer reaches us, so a passive association
    // waits for it (CallStore::applyDtls).
    bool awaitingAnswer = false;
    bool offerPassive = false;
    bool reversePassive = false;  // asked for this side when it offered
    // Negotiated.
    bool inUse = false;
    crypto::DtlsRole role = crypto::DtlsRole::Active;
    crypto::FingerprintHash hash = crypto::FingerprintHash::Sha256;  // of ours, to this side
};

// Reads a=fingerprint and a=setup of a received media section.
void readDtls(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, MediaDtls& d);
// True for a=fingerprint values this module consumes (valid ones).
bool isConsumedFingerprint(std::string_view value);

void offerDtls(MediaDtls& to, bool wanted, const DtlsOptions& opts);
// True while our DTLS offer to this side waits for its answer and no
// association is negotiated yet: we may be the DTLS server (we offered
// actpass or passive), and its ClientHello may come before its answer.
bool awaitsEarlyClientHello(const MediaDtls& d);
// `offererSecure`: the offerer's profile can carry SRTP.
void answerDtls(MediaDtls& answerer, MediaDtls& offerer, bool offererSecure, bool daemonPassive);

// a=setup and a=fingerprint values to write to a side.
std::vector<std::string> dtlsAttributes(const MediaDtls& d, bool isOffer,
                                        const crypto::DtlsCertificate* cert);

}  // namespace ngm::session
