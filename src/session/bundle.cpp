// BUNDLE (RFC 9143) in the session: which participants are bundled after
// an offer or answer, and the demux tables of their shared transports.
// See docs/bundle.md.
#include <bitset>

#include "common/log.h"
#include "sdp/sdp.h"
#include "session/call_store.h"
#include "session/sdp_rewrite.h"

namespace ngm::session {

namespace {

// Marks the members of a group on one side (all others out of any group).
void markGroup(Participant& p, const std::vector<size_t>& members) {
    for (auto& m : p.media)
        if (m) m->bundleHead = -1;
    if (members.empty()) return;
    int head = (int)members[0];
    for (size_t i : members)
        if (Media* m = p.mediaAt(i)) m->bundleHead = head;
}

Participant::BundleOffer bundleOfferOf(const BundleFlags& b) {
    if (b.reject) return Participant::BundleOffer::None;
    if (b.strict) return Participant::BundleOffer::Strict;
    if (b.require) return Participant::BundleOffer::Require;
    if (b.offer) return Participant::BundleOffer::Offer;
    return Participant::BundleOffer::None;
}

}  // namespace

void CallStore::settleBundle(Participant& from, Participant& to, const sdp::SessionDescription& in,
                             const Flags& f, bool isOffer, const std::vector<size_t>& group) {
    using BO = Participant::BundleOffer;
    if (isOffer) {
        // `accept`: the offerer's group is taken (acceptBundledOffer found
        // it); without it (or with `reject`) the offer is read as 10.5 reads it.
        from.bundled = !group.empty();
        from.bundleDemuxOnly = false;
        markGroup(from, group);
        if (f.bundle.reject) to.bundled = to.bundleDemuxOnly = false;
        to.bundleOffer = bundleOfferOf(f.bundle);
        if (to.bundleOffer != BO::None) {
            // Every relayed RTP section of the offer goes into the group,
            // the first one tagged.
            std::vector<size_t> members;
            for (size_t i = 0; i < in.media.size(); i++) {
                const sdp::MediaSection& sm = in.media[i];
                Media* m = to.mediaAt(i);
                if (sm.session == 0 && sm.m.port != 0 && isRtpProtocol(sm.m.proto) && m &&
                    m->hasPorts())
                    members.push_back(i);
            }
            if (members.size() < 1) to.bundleOffer = BO::None;
            markGroup(to, members);
        } else if (!to.bundled) {
            markGroup(to, {});
        }
    } else if (from.bundleOffer != BO::None || from.bundled) {
        // The answer says whether its sender took the group we offered (or
        // keeps the one it had).
        bool sharedOffered = from.bundleOffer == BO::Require || from.bundleOffer == BO::Strict;
        from.bundled = !group.empty();
        from.bundleDemuxOnly = !from.bundled && sharedOffered;
        if (!from.bundleDemuxOnly) markGroup(from, group);
        if (from.bundled)
            NGM_LOG(log::Info, f.callId + "/" + f.fromTag, "BUNDLE group of %zu sections accepted",
                    group.size());
    }
    if (!isOffer) from.bundleOffer = BO::None;

    // A shared transport is muxed (RFC 9143 §9.3: rtcp-mux is required), and
    // its ICE and DTLS run on the tagged section only.
    for (Participant* p : {&from, &to}) {
        if (p->bundleDemuxOnly) continue;  // its sections keep their own transports
        bool shared = p->bundled || p->bundleOffer == BO::Require || p->bundleOffer == BO::Strict;
        if (!shared && p->bundleOffer != BO::Offer) continue;
        for (size_t i = 0; i < p->media.size(); i++) {
            Media* m = p->media[i].get();
            if (!m || m->bundleHead < 0 || !m->hasPorts()) continue;
            m->rtcpMuxOut = true;
            if (!shared) continue;
            m->rtcpMux = true;
            if ((size_t)m->bundleHead == i) continue;
            m->ice.inUse = false;
            m->dtls.inUse = false;
            m->dtls.offered = false;
            releaseIcePorts(*m);
        }
    }
}

void CallStore::applyBundles(Call& c) {
    for (auto& [tag, p] : c.participants)
        for (auto& m : p->media)
            if (m)
                for (media::StreamConfig* sc : {&m->rtp.editConfig(), &m->rtcp.editConfig()}) {
                    sc->bundle = nullptr;
                    sc->bundleOut = nullptr;
                    sc->bundleSection = 0;
                }
    for (auto& [tag, p] : c.participants) {
        if (!p->bundled && !p->bundleDemuxOnly) continue;
        for (size_t h = 0; h < p->media.size(); h++) {
            Media* head = p->media[h].get();
            if (!head || head->bundleHead != (int)h || !head->hasPorts()) continue;
            if (!head->bundleDemux) head->bundleDemux = std::make_unique<media::BundleDemux>();
            media::BundleDemux& d = *head->bundleDemux;
            d.beginSections();
            d.setMidExtension(0);
            for (size_t i = 0; i < p->media.size(); i++) {
                Media* m = p->media[i].get();
                if (!m || m->bundleHead != (int)h || m->rejected || !m->hasPorts()) continue;
                std::bitset<128> pts;
                for (const auto& codec : m->codecs)
                    if (codec.payloadType >= 0 && codec.payloadType < 128)
                        pts.set((size_t)codec.payloadType);
                size_t k = d.size();
                if (!d.addSection(m->mid, pts, m->rtp.config().rtpSinks, m->rtp.config().rtcpSinks))
                    continue;
                if (!d.midExtension() && m->midExtId) d.setMidExtension(m->midExtId);
                // RFC 9143 §9.2: SSRCs signalled for a section name it.
                for (uint32_t ssrc : m->sdpSsrcs) d.signalSsrc(k, ssrc);
                // The legs whose media for this section leaves through the
                // shared transport: what they send names the section.
                for (auto& [qtag, q] : c.participants) {
                    if (q.get() == p.get()) continue;
                    Media* qm = q->mediaAt(i);
                    if (qm && (qm->rtp.config().rtpSinks.contains(&head->rtp) ||
                               qm->rtp.config().rtpSinks.contains(&m->rtp))) {
                        qm->rtp.editConfig().bundleOut = &d;
                        qm->rtp.editConfig().bundleSection = (uint8_t)k;
                    }
                }
            }
            d.endSections();
            head->rtp.editConfig().bundle = head->rtcp.editConfig().bundle = &d;
        }
    }
}

}  // namespace ngm::session
