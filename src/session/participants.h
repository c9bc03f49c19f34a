// Who an offer or answer is between: the participant whose SDP it carries
// (`from`) and the one that gets the rewritten SDP (`to`), found or created
// by from-tag, to-tag and via-branch (forks), and how they are linked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "session/call.h"
#include "session/flags.h"

namespace ngm::session {

// Map key of a participant that an offer on one SIP branch (via-branch)
// created before its to-tag is known; tagged participants are keyed by tag.
std::string branchKey(const std::string& viaBranch);
// The key `p` is filed under in Call::participants.
std::string keyOf(const Participant& p);

// The participant filed under `key`, created (joining at `now`) if none is.
Participant& findOrAddParticipant(Call& c, const std::string& key, int64_t now);

struct OfferAnswerSides {
    Participant* from = nullptr;  // sent the SDP of this message
    Participant* to = nullptr;    // receives the rewritten SDP
    bool newAnswerer = false;     // the first answer from this to-tag
};

// Finds or creates both sides of an offer (from-tag; to-tag, or one
// answerer per via-branch until a to-tag names it) or an answer (to-tag;
// a first answer names the pending side, a forked one takes over its
// media). nullopt: an answer whose from-tag the call does not know.
std::optional<OfferAnswerSides> findSides(Call& c, const Flags& f, bool isOffer, int64_t now);

// Makes the two sides of an offer/answer each other's peer, revives a
// branch whose delete was delayed, takes the sender's `label`, and
// subscribes them (subscribeOfferAnswer).
void linkSides(Call& c, const OfferAnswerSides& s, const Flags& f, bool isOffer);

// As rtpengine 10.5 keeps subscriptions: the answerer receives only the
// offerer; the offerer receives the answerer first and keeps the branches
// it heard before (forks, early media).
void subscribeOfferAnswer(Call& c, Participant& offerer, Participant& answerer);

// Takes `p` out of the call model: no subscription or peer points at it any
// more, and the call no longer holds it. Its ports and streams are the
// caller's to release first.
void forgetParticipant(Call& c, Participant& p);

}  // namespace ngm::session
