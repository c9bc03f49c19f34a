// The ICE agent of each media that speaks ICE towards its side (MediaIce,
// negotiated in session/ice_negotiation.cpp), put on the media's streams as
// a media::IceTransport: made when ICE starts, fed the peer's credentials and
// candidates on every offer and answer, restarted when credentials change,
// dropped when ICE stops.
#include <algorithm>
#include <vector>

#include "common/log.h"
#include "media/ice_transport.h"
#include "session/call_store.h"

namespace ngm::session {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Ice;
}  // namespace

namespace {

// A peer candidate the agent can check: UDP, a literal address (mDNS
// ".local" names are never resolved: the peer's own checks reveal it as
// peer-reflexive), component 1 or 2.
std::optional<ice::Candidate> agentCandidate(const IceCandidate& c, int components) {
    if (c.component < 1 || c.component > components) return std::nullopt;
    if (c.transport != "UDP" && c.transport != "udp") return std::nullopt;
    auto addr = net::IpAddress::parse(c.address);
    if (!addr || c.port == 0) return std::nullopt;
    ice::Candidate out;
    out.foundation = ice::Foundation(c.foundation);
    out.component = (uint8_t)c.component;
    out.priority = c.priority;
    out.address = {*addr, c.port};
    out.type = c.type == "srflx"   ? ice::CandidateType::ServerReflexive
               : c.type == "prflx" ? ice::CandidateType::PeerReflexive
               : c.type == "relay" ? ice::CandidateType::Relayed
                                   : ice::CandidateType::Host;
    return out;
}

}  // namespace

void CallStore::applyIce(Call& c) {
    for (auto& [tag, p] : c.participants)
        for (auto& mp : p->media)
            if (mp) updateIce(*mp, c.callId + "/" + p->tag);
}

void CallStore::updateIce(Media& m, const std::string& ctx) {
    const MediaIce& ice = m.ice;
    // Not before our credentials towards it exist: the side of an offer
    // gets them with the answer.
    bool want = ice.inUse && !ice.ufrag.empty() && !ice.pwd.empty() && m.hasPorts() &&
                m.rtp.attached() && !m.rejected;
    int components = m.rtcpMux || !m.rtcp.attached() ? 1 : 2;
    // A peer that offered rtcp-mux and signalled no RTCP candidate (RFC 8858
    // rtcp-mux-only, as browsers do) has one component, even where our
    // answer to it demultiplexes: a second one would fail ICE at once.
    if (components == 2 && m.rtcpMuxOffered && !ice.peerCandidates.empty() &&
        std::none_of(ice.peerCandidates.begin(), ice.peerCandidates.end(),
                     [](const IceCandidate& c) { return c.component == 2; }))
        components = 1;
    auto& t = m.iceTransport;
    // A new shape (components, lite, role) needs a new agent; new local
    // credentials are a restart of ours.
    bool controlling = m.iceControlling || ice.peerLite;
    ice::Mode mode = ice.liteSelf ? ice::Mode::Lite : ice::Mode::Full;
    // The further addresses' sockets as they are now (syncIcePorts).
    std::vector<media::IceTransport::ExtraAddress> extras;
    std::vector<int> extraFds;
    for (const Media::IcePorts& p : m.iceExtraPorts) {
        media::IceTransport::ExtraAddress x;
        x.rtpFd = p.sockets.rtp.fd();
        x.rtpLocal = p.sockets.rtp.local();
        if (components == 2) {
            x.rtcpFd = p.sockets.rtcp.fd();
            x.rtcpLocal = p.sockets.rtcp.local();
        }
        x.foundation = ice::Foundation(iceFoundation(p.local->address));
        extras.push_back(x);
        extraFds.push_back(x.rtpFd);
        if (components == 2) extraFds.push_back(x.rtcpFd);
    }
    std::sort(extraFds.begin(), extraFds.end());
    // Other sockets (new ports, an address more or less) are other local
    // candidates: a new agent, as for a new shape.
    if (t && (!want || t->agent().mode() != mode || t->components() != components ||
              t->extraFds() != extraFds || t->agent().localCandidates().empty() ||
              t->agent().localCandidates()[0].address != m.rtp.local()))
        t.reset();
    if (!want) return;
    MonoTime now = monoNow();
    if (!t) {
        media::IceTransport::Options o;
        o.agent.mode = mode;
        o.agent.role = mode == ice::Mode::Lite ? ice::Role::Controlled
                       : controlling           ? ice::Role::Controlling
                                               : ice::Role::Controlled;
        o.agent.components = (uint8_t)components;
        o.local = {ice.ufrag, ice.pwd};
        o.timers = &timers();
        o.logContext = ctx;
        Media* media = &m;
        t = std::make_unique<media::IceTransport>(std::move(o), [this, media] { iceChanged(*media); });
        t->attach(m.rtp, components == 2 ? &m.rtcp : nullptr,
                  ice::Foundation(iceFoundation(m.rtp.local().address)), extras);
    } else if (t->agent().localCredentials().ufrag != ice.ufrag) {
        t->agent().restart({ice.ufrag, ice.pwd}, now);
    }
    ice::Agent& a = t->agent();
    a.setRemoteLite(ice.peerLite);
    if (!ice.peerUfrag.empty()) {
        if (auto r = a.setRemoteCredentials(ice.peerUfrag, ice.peerPwd, now); !r)
            NGM_LOG(log::Warning, ctx, "ICE: peer credentials refused: %s", r.error().reason.c_str());
        for (const IceCandidate& c : ice.peerCandidates)
            if (auto cand = agentCandidate(c, components)) (void)a.addRemoteCandidate(*cand, now);
        // Without trickle the SDP had them all.
        if (ice.peerEndOfCandidates || !ice.peerTrickle) a.endOfRemoteCandidates(now);
    }
    t->kick();
}

// A pair was selected (or lost) or the agent's state changed: the streams
// follow, and an active DTLS association starts on the selected pair.
void CallStore::iceChanged(Media& m) {
    configureMedia(m);
    if (!m.iceTransport || !m.iceTransport->agent().selected(1)) return;
    if (m.dtlsTransport && m.dtlsTransport->state() == crypto::DtlsState::New) m.dtlsTransport->start(m.rtp);
    if (m.dtlsRtcpTransport && m.dtlsRtcpTransport->state() == crypto::DtlsState::New &&
        m.iceTransport->agent().selected(2))
        m.dtlsRtcpTransport->start(m.rtcp);
}

}  // namespace ngm::session
