#include "session/participants.h"

#include <algorithm>
#include <memory>

namespace ngm::session {

std::string branchKey(const std::string& viaBranch) { return "\x1f" + viaBranch; }

std::string keyOf(const Participant& p) {
    return p.tag.empty() && !p.viaBranch.empty() ? branchKey(p.viaBranch) : p.tag;
}

Participant& findOrAddParticipant(Call& c, const std::string& key, int64_t now) {
    if (auto* p = c.find(key)) return *p;
    auto p = std::make_unique<Participant>();
    p->tag = key;
    p->created = now;
    p->seq = c.nextParticipantSeq++;
    auto* raw = p.get();
    c.participants.emplace(key, std::move(p));
    return *raw;
}

namespace {

// An offer: from-tag sends; the receiver is named by to-tag, or is the
// via-branch's answerer, or the current peer, or a new unnamed one.
OfferAnswerSides offerSides(Call& c, const Flags& f, int64_t now) {
    OfferAnswerSides s;
    s.from = &findOrAddParticipant(c, f.fromTag, now);
    if (!f.toTag.empty()) {
        s.to = &findOrAddParticipant(c, f.toTag, now);
    } else if (!f.viaBranch.empty()) {
        // One answerer per SIP branch, each with its own ports, until a
        // to-tag names it.
        if (s.from->peer && s.from->peer->viaBranch == f.viaBranch) {
            s.to = s.from->peer;
        } else {
            s.to = c.find(branchKey(f.viaBranch));
            if (!s.to) {
                s.to = &findOrAddParticipant(c, branchKey(f.viaBranch), now);
                s.to->tag.clear();
                s.to->viaBranch = f.viaBranch;
            }
        }
    } else if (s.from->peer) {
        s.to = s.from->peer;
    } else {
        s.to = &findOrAddParticipant(c, "", now);
    }
    return s;
}

// An answer's sender, named by to-tag for the first time: the side the
// offer was sent to (on this via-branch) takes that tag, or a forked answer
// takes over its media.
Participant& firstAnswerer(Call& c, Participant& offerer, const Flags& f, int64_t now) {
    Participant* pending = offerer.peer;
    if (!f.viaBranch.empty())
        if (auto* b = c.find(branchKey(f.viaBranch))) pending = b;
    if (pending && pending->tag.empty()) {
        // First answer (on this branch): the unnamed side gets its tag.
        auto node = c.participants.extract(keyOf(*pending));
        node.key() = f.toTag;
        node.mapped()->tag = f.toTag;
        c.participants.insert(std::move(node));
        return *c.find(f.toTag);
    }
    Participant& from = findOrAddParticipant(c, f.toTag, now);
    if (pending) {
        // Forked answer: the new branch takes over the offered ports.
        from.media = std::move(pending->media);
        pending->media.clear();
        pending->peer = nullptr;
    }
    return from;
}

}  // namespace

std::optional<OfferAnswerSides> findSides(Call& c, const Flags& f, bool isOffer, int64_t now) {
    if (isOffer) return offerSides(c, f, now);
    // Answer: from-tag is the offerer (receives this SDP), to-tag the answerer.
    OfferAnswerSides s;
    s.to = c.find(f.fromTag);
    if (!s.to) return std::nullopt;
    s.from = c.find(f.toTag);
    if (!s.from) {
        s.newAnswerer = true;
        s.from = &firstAnswerer(c, *s.to, f, now);
    }
    return s;
}

void linkSides(Call& c, const OfferAnswerSides& s, const Flags& f, bool isOffer) {
    Participant& from = *s.from;
    Participant& to = *s.to;
    from.deleteAt = to.deleteAt = 0;  // signalling revives a branch whose delete was delayed
    // rtpengine 10.5 takes only `label` here (for the sender of the SDP);
    // `set-label` is for the commands that select a participant by label.
    if (!f.label.empty()) from.label = f.label;
    from.peer = &to;
    to.peer = &from;
    subscribeOfferAnswer(c, isOffer ? from : to, isOffer ? to : from);
}

void subscribeOfferAnswer(Call& c, Participant& offerer, Participant& answerer) {
    // The offerer's media go to the answerer only.
    answerer.subscriptions.assign(1, &offerer);
    auto& subs = offerer.subscriptions;
    std::erase(subs, &answerer);
    subs.insert(subs.begin(), &answerer);
    for (auto& [tag, q] : c.participants)
        if (q.get() != &answerer) std::erase(q->subscriptions, &offerer);
}

void forgetParticipant(Call& c, Participant& p) {
    for (auto& [tag, q] : c.participants) {
        std::erase(q->subscriptions, &p);
        if (q->peer == &p) q->peer = nullptr;
    }
    c.participants.erase(keyOf(p));
}

}  // namespace ngm::session
