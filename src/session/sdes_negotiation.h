// SDES (RFC 4568) offer/answer as rtpengine 10.5 negotiates it: which
// a=crypto lines go to each side, and which key each side sends with and
// receives with once the answer is in. Pure signalling: the media path gets
// the chosen keys through Media::sdes (session/call_store.cpp makes the
// SRTP stages from them).
//
// What rtpengine 10.5 does, recorded in tests/diff/scenarios/sdes_*.json:
// - An offer to a secure profile (RTP/SAVP, RTP/SAVPF) carries first the
//   line negotiated with that side before (a re-offer), then the offerer's
//   own lines with the offerer's keys (tags, MKI and session parameters kept,
//   the lifetime dropped) so that the two ends can talk SRTP end to end,
//   then every other suite rtpengine knows, in its order, with new keys and
//   tags counting on from the highest so far.
// - The answerer's line names one of those tags. If that line carried the
//   offerer's own key, the answer to the offerer passes the answerer's line
//   on (pass-through: nothing to decrypt or encrypt). Otherwise the offerer
//   gets its first line's tag and suite with a key of ours (the same key as
//   last time if tag and suite did not change).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sdes.h"
#include "sdp/sdp.h"

namespace ngm::session {

// The `SDES` key's values and the `SDES-` flags.
struct SdesOptions {
    bool off = false;       // off, no, disable, disabled
    bool pad = false;       // base64 with '=' padding
    bool lifetime = false;  // |2^31 on generated keys
    bool staticKeys = false;
    // unencrypted_srtp / encrypted_srtp etc.: set, cleared, or as offered.
    std::optional<bool> unencryptedSrtp, unencryptedSrtcp, unauthenticatedSrtp;
    std::vector<std::string> noSuites;  // no-SUITE
    bool excludes(std::string_view suite) const;
};

SdesOptions sdesOptions(const std::vector<std::string>& items);

struct MediaSdes {
    // The usable a=crypto lines of this side's last SDP, in its order
    // (malformed lines and suites rtpengine does not know are skipped).
    std::vector<crypto::SdesCrypto> in;
    // The lines of the last offer we wrote to this side.
    std::vector<crypto::SdesCrypto> out;
    // Negotiated: the key this side sends with (we decrypt with it) and the
    // key we send to it with (we encrypt with it).
    std::optional<crypto::SdesCrypto> recv, send;
    bool pad = false;  // write keys with '=' padding
    // The offer we wrote to this side was an OSRTP one (RFC 8643: SDES on
    // a plain RTP/AVP(F) profile).
    bool osrtpOut = false;

    bool negotiated() const { return recv || send; }
    // The suite `query` shows for this side's streams.
    std::string_view suiteName() const;
    // Both directions carry the other side's keys unchanged: packets pass
    // without decryption or encryption.
    bool passthrough = false;
    // Answered without a=crypto: rtpengine 10.5 still shows the first line
    // it offered as this side's suite (so does `query` here), but media to
    // and from it stay plain RTP (RFC 8643 for OSRTP; a SAVP answer without
    // keys has none to use).
    bool keyless = false;
};

// The `OSRTP` key's values and the `OSRTP-` flags.
struct OsrtpOptions {
    bool offer = false;   // turn a plain offer into an OSRTP one
    bool accept = false;  // take a plain answer to an OSRTP offer as SRTP
};
OsrtpOptions osrtpOptions(const std::vector<std::string>& items);

// True for the profiles that carry SRTP.
bool isSecureProfile(std::string_view proto);

// Reads the a=crypto lines of a received media section.
void readSdes(const sdp::MediaSection& m, MediaSdes& sdes);

// The lines of an offer to a secure profile, from the offerer's lines
// (`from`) and what was negotiated with the receiver before (`to`).
void offerSdes(const MediaSdes& from, MediaSdes& to, const SdesOptions& opts);

// The answer from `answerer` (whose lines are in its `in`) to what we
// offered it; then what goes back to `offerer`. `answererSecure` and
// `offererSecure`: the profile of each side is a secure one.
void answerSdes(MediaSdes& answerer, bool answererSecure, MediaSdes& offerer, bool offererSecure);

// The a=crypto attribute values to write to a side: its offer's lines, or
// in an answer its negotiated send line.
std::vector<std::string> cryptoAttributes(const MediaSdes& sdes, bool isOffer);

}  // namespace ngm::session
