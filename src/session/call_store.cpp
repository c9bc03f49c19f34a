#include "session/call_store.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"
#include "common/strings.h"
#include "crypto/srtp.h"
#include "net/event_loop.h"
#include "sdp/sdp.h"
#include "session/bundle_negotiation.h"
#include "session/rtcp_reports.h"
#include "session/load_limits.h"
#include "session/participants.h"
#include "session/registry.h"
#include "session/sdp_rewrite.h"

namespace ngm::session {

namespace {

// The round trip between the two parties of media `m` of `p`: the legs the
// proxy measured from their RTCP (media/rtcp_timing.h), each on the stream
// the RTCP arrives on (the RTP one when muxed, else the RTCP one).
double legRttMs(const Media& m) { return std::max(m.rtp.rttLegMs(), m.rtcp.rttLegMs()); }
double callRttMs(const Participant& p, const Media& m) {
    double rtt = legRttMs(m);
    if (p.peer)
        for (size_t i = 0; i < p.media.size() && i < p.peer->media.size(); i++)
            if (p.media[i].get() == &m && p.peer->media[i]) rtt += legRttMs(*p.peer->media[i]);
    return rtt;
}
enum EndReason { Regular, Forced, Timeout, SilentTimeout, FinalTimeout, OfferTimeout, Aborted };

std::string ctx(const Flags& f) { return f.callId + "/" + f.fromTag; }

// Whether a move of the sender keeps the ports towards the receiver (`dst`):
// always with `port latching`; by default when `dst` speaks ICE, where
// `no port latching` turns that off (rtpengine 10.5, both sides with ICE).
// Neither the direction nor a hold latches ports (observed: sendonly,
// recvonly, inactive and c=0.0.0.0 moves all get new ports, with or without
// `no port latching`).
bool keepsPortsOnMove(const Media& dst, const Flags& f) {
    if (f.portLatching) return true;
    // ICE checks find the moved peer on the same ports; new ports would
    // mean an ICE restart.
    return dst.ice.inUse && !f.noPortLatching;
}
}  // namespace

CallStore::CallStore(const SessionConfig& cfg, SessionCounters& counters, net::EventLoop* loop,
                     media::WorkerStats* totals)
    : cfg_(cfg), counters_(counters), loop_(loop), totals_(totals) {
    if (cfg_.runtime) {
        rt_ = cfg_.runtime;
    } else {
        RuntimeValues v;
        v.timeout = cfg_.timeout;
        v.silentTimeout = cfg_.silentTimeout;
        v.finalTimeout = cfg_.finalTimeout;
        v.offerTimeout = cfg_.offerTimeout;
        v.deleteDelay = cfg_.deleteDelay;
        v.maxSessions = cfg_.maxSessions;
        ownRt_ = std::make_unique<RuntimeParams>(v);
        rt_ = ownRt_.get();
    }
    if (!loop_) ownTimers_ = std::make_unique<net::TimerWheel>();
    if (loop_)
        dtlsPacer_ = media::DtlsPacer::create(*loop_, cfg_.dtlsRoundBudget,
                                              totals_ ? &totals_->packets : nullptr);
    if (cfg_.offload) offload_ = cfg_.offload();
}

CallStore::~CallStore() { clear(); }

net::TimerWheel& CallStore::timers() { return loop_ ? loop_->timers() : *ownTimers_; }

void CallStore::clear() {
    while (!calls_.empty()) destroyCall(calls_.begin()->first, Forced);
}

Call* CallStore::find(const std::string& callId) {
    auto it = calls_.find(callId);
    return it == calls_.end() ? nullptr : it->second.get();
}

void CallStore::callIds(std::vector<std::string>& out, size_t limit) const {
    for (const auto& [id, c] : calls_) {
        if (out.size() >= limit) return;
        out.push_back(id);
    }
}

MediaPorts::Hooks CallStore::portsHooks(Media& m) {
    return {[this, &m] { detachPorts(m); }, [this, &m] { attachPorts(m); }};
}

void CallStore::releasePorts(Media& m) {
    m.ports.release(portsHooks(m));
    releaseIcePorts(m);
}

// The current pair and every retired one.
void CallStore::releaseAllPorts(Media& m) {
    m.ports.releaseAll(portsHooks(m));
    releaseIcePorts(m);
}

void CallStore::releaseIcePorts(Media& m) {
    // The agent's registrations of these sockets go first.
    if (m.iceTransport && !m.iceExtraPorts.empty()) m.iceTransport->dropExtras();
    for (auto& p : m.iceExtraPorts) p.local->ports->releasePair(p.sockets);
    m.iceExtraPorts.clear();
}

// While ICE is in use towards a side, a port pair on each other address of
// its logical interface, in configuration order (rtpengine offers a host
// candidate on every address). False when a port could not be had.
bool CallStore::syncIcePorts(Media& m) {
    std::vector<net::LocalInterface*> want;
    net::LogicalInterface* li = m.ports.iface();
    if (m.ice.inUse && m.hasPorts() && li)
        for (const auto& a : li->addresses)
            if (a.get() != m.ports.local()) want.push_back(a.get());
    std::vector<Media::IcePorts> kept;
    // A socket that goes is unregistered first; the agent is made anew with
    // the sockets kept (updateIce sees they changed).
    if (m.iceTransport && std::any_of(m.iceExtraPorts.begin(), m.iceExtraPorts.end(), [&](const Media::IcePorts& p) {
            return std::find(want.begin(), want.end(), p.local) == want.end();
        }))
        m.iceTransport->dropExtras();
    for (auto& p : m.iceExtraPorts) {
        if (std::find(want.begin(), want.end(), p.local) != want.end())
            kept.push_back(std::move(p));
        else
            p.local->ports->releasePair(p.sockets);
    }
    m.iceExtraPorts.clear();
    bool ok = true;
    for (net::LocalInterface* local : want) {
        auto it = std::find_if(kept.begin(), kept.end(),
                               [&](const Media::IcePorts& p) { return p.local == local; });
        if (it != kept.end()) {
            m.iceExtraPorts.push_back(std::move(*it));
            continue;
        }
        auto pair = local->ports->allocatePair();
        if (!pair) {
            ok = false;
            continue;
        }
        m.iceExtraPorts.push_back({local, std::move(*pair)});
    }
    return ok;
}

// Takes the current pair off the streams (it is about to be put aside or
// swapped).
void CallStore::detachPorts(Media& m) {
    m.rtp.detach();
    m.rtcp.detach();
}

// Puts the current pair (m.ports) to work for the streams.
void CallStore::attachPorts(Media& m) {
    if (cfg_.tos > 0) {
        m.ports.sockets().rtp.setTos(cfg_.tos);
        m.ports.sockets().rtcp.setTos(cfg_.tos);
    }
    media::StreamContext ctx{loop_, totals_, offload_.get(), senderReports_.get()};
    m.rtp.attach(m.ports.sockets().rtp, ctx);
    m.rtcp.attach(m.ports.sockets().rtcp, ctx);
}

// Connects the media of two participants for the packet path: what `a`
// sends leaves through `b`'s streams and vice versa. `a` sent the SDP of
// this message, so the message's learning flags are about `a`.
void CallStore::wire(Participant& a, Participant& b, const Flags& f) {
    // Media for a section of a bundled side leaves from its shared transport.
    auto transportOf = [](Participant& p, Media& m) -> Media& {
        if (p.bundled && m.bundleHead >= 0 && (size_t)m.bundleHead < p.media.size() &&
            p.media[m.bundleHead] && p.media[m.bundleHead]->hasPorts())
            return *p.media[m.bundleHead];
        return m;
    };
    auto link = [&](Media& x, Media& y, Participant& yp) {
        Media& yt = transportOf(yp, y);
        Stream* rtcpTo = y.hasPorts() ? (yt.rtcpMux ? &yt.rtp : &yt.rtcp) : nullptr;
        x.rtp.editConfig().rtpSinks.clear();
        if (y.hasPorts()) x.rtp.editConfig().rtpSinks.add(&yt.rtp);
        x.rtp.editConfig().rtcpSinks.clear();
        x.rtp.editConfig().rtcpSinks.add(rtcpTo);
        x.rtcp.editConfig().rtpSinks.clear();
        x.rtcp.editConfig().rtcpSinks.clear();
        x.rtcp.editConfig().rtcpSinks.add(rtcpTo);
        // AVPF towards AVP: no RTCP feedback to y (rtpengine 10.5).
        auto feedback = [](const std::string& proto) {
            return proto.size() > 4 && proto.compare(proto.size() - 4, 4, "AVPF") == 0;
        };
        auto avp = [](const std::string& proto) {
            return proto.size() > 3 && proto.compare(proto.size() - 3, 3, "AVP") == 0;
        };
        bool strip = feedback(x.proto) && avp(y.proto);
        x.rtcp.editConfig().stripRtcpFeedback = strip;
        x.rtp.editConfig().stripRtcpFeedback = strip && x.rtcpMux;
        // No media towards a rejected side or a zero-address hold; the SDP
        // direction (sendonly, inactive) stops nothing, as with rtpengine.
        bool reachable = !y.rejected && !y.zeroAddress;
        y.rtp.editConfig().receives = y.rtcp.editConfig().receives = reachable;
    };
    size_t n = std::min(a.media.size(), b.media.size());
    for (size_t i = 0; i < n; i++) {
        Media& x = *a.media[i];
        Media& y = *b.media[i];
        link(x, y, b);
        link(y, x, a);
        int dtmf = -1;
        uint32_t clockRate = 0;  // the first real codec's: the jitter's unit
        for (const auto& c : x.codecs) {
            bool event = iequals(c.encoding, "telephone-event") || iequals(c.encoding, "CN");
            if (iequals(c.encoding, "telephone-event")) dtmf = c.payloadType;
            if (!event && !clockRate && c.clockRate > 0) clockRate = uint32_t(c.clockRate);
        }
        x.rtp.editConfig().clockRate = clockRate;
        // The payload types of both sides' SDP (the offer's numbers hold in
        // the answer): what the kernel path forwards of x's RTP. None known
        // (no rtpmap, no format): all of them.
        std::array<uint64_t, 2> types{};
        bool any = false;
        for (const Media* side : {&x, &y})
            for (const auto& c : side->codecs)
                if (c.payloadType >= 0 && c.payloadType < 128) {
                    types[c.payloadType >> 6] |= 1ULL << (c.payloadType & 63);
                    any = true;
                }
        x.rtp.editConfig().payloadTypes = any ? types : std::array<uint64_t, 2>{~0ULL, ~0ULL};
        x.rtcp.editConfig().payloadTypes = x.rtp.editConfig().payloadTypes;
        for (media::StreamConfig* c : {&x.rtp.editConfig(), &x.rtcp.editConfig()}) {
            c->learning = cfg_.learning;
            c->asymmetric = f.asymmetric;
            c->strictSource = f.strictSource;
            c->mediaHandover = f.mediaHandover;
            c->unidirectional = f.unidirectional;
            c->controls.dtmfPayloadType = dtmf;
            c->natWait = f.natWait;
            c->pierceNat = f.pierceNat;
        }
    }
}

void CallStore::applyControls(Call& c) {
    for (auto& [tag, p] : c.participants) {
        Participant* peer = p->peer;
        bool drop = c.dropTraffic || p->blackhole || (peer && peer->echo && !p->echo);
        for (auto& m : p->media) {
            if (!m) continue;
            for (media::StreamConfig* st : {&m->rtp.editConfig(), &m->rtcp.editConfig()}) {
                media::Controls& ctl = st->controls;
                ctl.blockMedia = c.blockMedia || p->blockMedia;
                ctl.blockDtmf = c.blockDtmf || p->blockDtmf;
                ctl.silence = c.silence || p->silence;
                ctl.dropAll = drop;
                ctl.echoSsrc = 0;
            }
            if (p->echo && m->hasPorts()) {
                // Echoed RTP goes back out of the socket it came in on, under
                // a new SSRC; RTCP is not echoed.
                m->rtp.editConfig().rtpSinks.clear();
                m->rtp.editConfig().rtpSinks.add(&m->rtp);
                m->rtp.editConfig().rtcpSinks.clear();
                m->rtcp.editConfig().rtcpSinks.clear();
                m->rtp.editConfig().controls.echoSsrc =
                    0x5eed0000u | (uint32_t)(m->ports.sockets().rtp.local().port);
            }
        }
    }
}

// Hands what signalling wants to every stream of the call.
namespace {

// The SRTP stage for `key` (none without one, or in pass-through); an
// unchanged key keeps its stage and so its SRTP state. The stage itself
// tells whether the key is unchanged (no copy of the line is kept for that).
void updateSrtpStage(std::unique_ptr<media::SrtpStage>& stage,
                     const std::optional<crypto::SdesCrypto>& key, bool passthrough,
                     media::SrtpStage::Direction dir) {
    if (!key || passthrough) {
        stage.reset();
        return;
    }
    if (stage && stage->sameKeys(*key)) return;
    auto made = media::SrtpStage::fromSdes(dir, *key);
    if (!made) {
        NGM_LOG_SUB(log::Subsystem::Crypto, log::Warning, "", "SRTP %s not set up: %s",
                dir == media::SrtpStage::Direction::Decrypt ? "decryption" : "encryption",
                made.error().reason.c_str());
        stage.reset();
        return;
    }
    // The same keys: the SRTP state goes on. New ones: what is still under
    // the old keys gets through for a while (SrtpStage::keepPrevious).
    if (stage && !(*made)->adoptStateFrom(*stage) && dir == media::SrtpStage::Direction::Decrypt)
        (*made)->keepPrevious(std::move(*stage));
    stage = std::move(*made);
}

// Octets after the RTCP in an SRTCP packet sent with `key` (RFC 3711 §3.4:
// E flag and index, MKI, tag); an unknown suite: at least the index.
uint8_t srtcpTrailer(const std::optional<crypto::SdesCrypto>& key) {
    size_t n = 4;
    if (key && key->suite) n += crypto::suiteInfo(*key->suite).rtcpTagLen;
    if (key && !key->keyParams.empty() && key->keyParams[0].mki) n += key->keyParams[0].mki->length;
    return uint8_t(std::min<size_t>(n, 255));
}

}  // namespace

void CallStore::applyStreams(Call& c) {
    applyBundles(c);
    for (auto& [tag, p] : c.participants)
        for (auto& m : p->media)
            if (m) {
                // SRTCP passed through undecrypted (SDES pass-through) can be
                // neither read nor answered with ours: left as it is.
                bool gen = c.generateRtcp && !m->sdes.passthrough;
                m->rtp.editConfig().generateRtcp = m->rtcp.editConfig().generateRtcp = gen;
                configureMedia(*m);
            }
}

// The stages of one media's streams from its SDES keys or its DTLS-SRTP
// association, then the streams configured (also when a handshake ends).
void CallStore::configureMedia(Media& m) {
    static media::RefuseStage refuse;
    using Dir = media::SrtpStage::Direction;
    bool plain = m.sdes.passthrough || m.sdes.keyless;
    updateSrtpStage(m.decrypt, m.sdes.recv, plain, Dir::Decrypt);
    updateSrtpStage(m.encrypt, m.sdes.send, plain, Dir::Encrypt);
    media::Stage* decrypt = m.decrypt.get();
    media::Stage* encrypt = m.encrypt.get();
    media::DtlsTransport* dtls = m.dtlsTransport.get();
    media::DtlsTransport* dtlsRtcp = m.dtlsRtcpTransport ? m.dtlsRtcpTransport.get() : dtls;
    // Nothing in plain before the keys, nor after a failed handshake.
    auto keyed = [](media::SrtpStage* s) { return s ? static_cast<media::Stage*>(s) : &refuse; };
    // SDES pass-through: SRTCP is checked by its head only (validSrtcpHead).
    uint8_t trailer = m.sdes.passthrough && !m.sdes.keyless && !(dtls && m.dtls.inUse)
                          ? srtcpTrailer(m.sdes.recv)
                          : 0;
    for (media::StreamConfig* sc : {&m.rtp.editConfig(), &m.rtcp.editConfig()}) {
        // An early association (its answer not in) takes records only.
        media::DtlsTransport* t = !m.dtls.inUse               ? nullptr
                                  : sc == &m.rtp.editConfig() ? dtls
                                                              : dtlsRtcp;
        sc->stages[(size_t)media::Slot::Decrypt] = t ? keyed(t->decrypt()) : decrypt;
        sc->egress = t ? keyed(t->encrypt()) : encrypt;
        sc->srtcpTrailer = trailer;
        sc->stages[(size_t)media::Slot::Record] = cfg_.extraStage;
    }
    // Each component's handshake runs on its own stream (under rtcp-mux the
    // RTP one is the only one).
    m.rtp.editConfig().dtls = dtls;
    m.rtcp.editConfig().dtls = m.dtlsRtcpTransport.get();
    media::IceTransport* ice = m.iceTransport.get();
    m.rtp.editConfig().ice = ice;
    m.rtcp.editConfig().ice = ice && ice->components() == 2 ? ice : nullptr;
    m.rtp.apply();
    m.rtcp.apply();
}

// DTLS-SRTP associations as negotiated: made for a side that speaks DTLS,
// kept while role and fingerprints stay, closed (close_notify) otherwise.
void CallStore::applyDtls(Call& c) {
    for (auto& [tag, p] : c.participants)
        for (auto& mp : p->media) {
            if (!mp) continue;
            Media& m = *mp;
            // Also while our offer waits for its answer: the answerer may send
            // its ClientHello before its answer reaches us.
            bool want = (m.dtls.inUse || awaitsEarlyClientHello(m.dtls)) && cfg_.dtlsCert &&
                        m.hasPorts() && m.rtp.attached();
            bool wantRtcp = want && !m.rtcpMux && m.rtcp.attached();
            std::string ctx = c.callId + "/" + p->tag;
            updateDtls(m, m.dtlsTransport, want, ctx);
            updateDtls(m, m.dtlsRtcpTransport, wantRtcp, ctx);
        }
}

// One component's association: kept while role and fingerprints stay (and
// it has not failed), else closed (close_notify) and made anew if wanted.
void CallStore::updateDtls(Media& m, std::unique_ptr<media::DtlsTransport>& t, bool want,
                           const std::string& ctx) {
    // Before the answer: passive, the peer's fingerprints to come with it.
    bool early = !m.dtls.inUse;
    crypto::DtlsRole role = early ? crypto::DtlsRole::Passive : m.dtls.role;
    std::vector<crypto::Fingerprint> noFingerprints;
    const auto& fps = early ? noFingerprints : m.dtls.peerFingerprints;
    if (t && want && t->state() != crypto::DtlsState::Failed) {
        if (t->keeps(role, fps)) return;
        // The answer to an early association: same role, so it goes on
        // (perhaps already through its handshake) and checks them now.
        if (t->role() == role && t->awaitsFingerprints() && !fps.empty()) {
            t->setPeerFingerprints(fps);
            return;
        }
    }
    if (t) {
        t->close();
        t.reset();
    }
    if (!want) return;
    media::DtlsTransport::Options o;
    o.cert = cfg_.dtlsCert;
    o.role = role;
    o.peerFingerprints = fps;
    o.timers = &timers();
    o.pacer = dtlsPacer_;
    o.logContext = ctx;
    Media* media = &m;
    auto made = media::DtlsTransport::create(std::move(o), [this, media] { configureMedia(*media); });
    if (!made) {
        NGM_LOG_SUB(log::Subsystem::Crypto, log::Warning, ctx, "No DTLS-SRTP: %s",
                    made.error().reason.c_str());
        return;
    }
    t = std::move(*made);
}

// Active associations send their ClientHello once the streams are set up
// (with ICE, once it selected a pair: CallStore::iceChanged).
void CallStore::startDtls(Call& c) {
    for (auto& [tag, p] : c.participants)
        for (auto& m : p->media)
            if (m && !m->iceTransport) {
                if (m->dtlsTransport && m->dtlsTransport->state() == crypto::DtlsState::New)
                    m->dtlsTransport->start(m->rtp);
                if (m->dtlsRtcpTransport && m->dtlsRtcpTransport->state() == crypto::DtlsState::New)
                    m->dtlsRtcpTransport->start(m->rtcp);
            }
}

void CallStore::applyTos(Call& c) {
    int tos = c.tos >= 0 ? c.tos : cfg_.tos;
    if (tos <= 0 && c.tos < 0) return;  // never touched: leave the OS default
    for (auto& [tag, p] : c.participants)
        for (auto& m : p->media)
            if (m && m->hasPorts()) {
                m->ports.sockets().rtp.setTos(tos);
                m->ports.sockets().rtcp.setTos(tos);
            }
}

CommandResult CallStore::mediaControl(const Flags& f, Control what, bool on) {
    Call* call = find(f.callId);
    if (!call) return commandError("Unknown call-id");
    auto flagOf = [what](auto& holder) -> bool& {
        return what == Control::BlockMedia ? holder.blockMedia
               : what == Control::BlockDtmf ? holder.blockDtmf
                                            : holder.silence;
    };
    std::vector<Participant*> chosen;
    bool selected = !f.fromTag.empty() || !f.label.empty() || f.address;
    if (!f.fromTag.empty()) {
        if (auto* p = call->find(f.fromTag)) chosen.push_back(p);
    } else if (!f.label.empty()) {
        for (auto& [tag, p] : call->participants)
            if (p->label == f.label) chosen.push_back(p.get());
    } else if (f.address) {
        for (auto& [tag, p] : call->participants)
            for (auto& m : p->media)
                if (m && m->rtp.config().advertised.address == *f.address) {
                    chosen.push_back(p.get());
                    break;
                }
    }
    if (selected && chosen.empty()) return commandError("No participant matched the selection");
    if (!selected) {
        flagOf(*call) = on;
        // Unblocking the call lifts directional blocks only with `all`.
        if (!on && f.all)
            for (auto& [tag, p] : call->participants) flagOf(*p) = false;
    } else {
        for (auto* p : chosen) flagOf(*p) = on;
    }
    applyControls(*call);
    applyStreams(*call);
    return CallReply{};
}

namespace {

// Adds what the media's streams received since the last report to the
// counters of the local address its ports are on. Off the packet path: once
// a second (tick) and when the media's ports go.
void reportTraffic(Media& m) {
    net::LocalInterface* local = m.ports.local();
    if (!local) return;
    Media::TrafficReported& seen = m.trafficReported;
    net::InterfaceTraffic& t = local->traffic;
    auto grow = [](std::atomic<uint64_t>& c, uint64_t now, uint64_t& before) {
        if (now <= before) return;  // loss shrinks when late packets come
        c.fetch_add(now - before, std::memory_order_relaxed);
        before = now;
    };
    const StreamStats &a = m.rtp.stats(), &b = m.rtcp.stats();
    grow(t.packets, a.packets + b.packets, seen.packets);
    grow(t.bytes, a.bytes + b.bytes, seen.bytes);
    grow(t.errors, a.errors + b.errors, seen.errors);
    // The loss of every SSRC the stream keeps: one that made way for a new
    // one takes its loss with it, and the sum grows again from there.
    const media::SsrcReceptions& rx = m.rtp.receptions();
    uint64_t lost = rx.lost();
    if (rx.ssrcSet() != seen.ssrcs) {
        seen.ssrcs = rx.ssrcSet();
        seen.lost = std::min(seen.lost, lost);
    }
    grow(t.lost, lost, seen.lost);
}

}  // namespace

void CallStore::releaseParticipant(Participant& p) {
    for (auto& m : p.media) {
        if (!m) continue;
        reportTraffic(*m);
        for (auto* t : {&m->dtlsTransport, &m->dtlsRtcpTransport})
            if (*t) {
                (*t)->close();  // close_notify while the socket is there
                t->reset();
            }
        releaseAllPorts(*m);
    }
}

void CallStore::destroyCall(const std::string& callId, int reason) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) return;
    Call& c = *it->second;
    if (reason != Aborted) {
        int64_t us = wallMicros() - c.createdUs;
        counters_.totalCallDurationUs += us;
        counters_.totalCallDurationSquared.fetch_add((double)us * (double)us / 1e12);
        counters_.endedSessions++;
        counters_.managedSessions++;  // as rtpengine: counted when the call ends
        // The MOS of every stream that received RTP (its average over the
        // call, the last second included): statistics' mos_* and the
        // ngmedia_mos histogram.
        int64_t nowWall = wallSeconds();
        for (auto& [tag, p] : c.participants)
            for (auto& m : p->media)
                if (m && m->rtp.reception().started()) {
                    m->rtp.sampleQuality(nowWall, callRttMs(*p, *m), legRttMs(*m));
                    if (m->rtp.mos().samples()) counters_.observeMos(m->rtp.mos().average().mos);
                }
        // Streams that never carried media in one or both directions.
        for (auto& [tag, p] : c.participants) {
            Participant* q = p->peer;
            if (!q || q->tag < p->tag) continue;  // each pair once
            size_t n = std::min(p->media.size(), q->media.size());
            for (size_t i = 0; i < n; i++) {
                if (!p->media[i]->hasPorts() || !q->media[i]->hasPorts()) continue;
                bool ab = p->media[i]->rtp.stats().packets > 0, ba = q->media[i]->rtp.stats().packets > 0;
                if (!ab && !ba)
                    counters_.zeroWayStreams++;
                else if (!ab || !ba)
                    counters_.oneWayStreams++;
            }
        }
    }
    switch (reason) {
        case Regular: counters_.regularTerminated++; break;
        case Forced: counters_.forcedTerminated++; break;
        case Timeout: counters_.timeoutSessions++; break;
        case SilentTimeout: counters_.silentTimeoutSessions++; break;
        case FinalTimeout: counters_.finalTimeoutSessions++; break;
        case OfferTimeout: counters_.offerTimeoutSessions++; break;
        case Aborted: break;  // never established: not a terminated session
    }
    for (auto& [tag, p] : c.participants) releaseParticipant(*p);
    (c.foreign ? counters_.sessionsForeign : counters_.sessionsOwn)--;
    if (cfg_.registry) cfg_.registry->remove(callId);
    calls_.erase(it);
    if (calls_.empty()) calls_.rehash(0);  // no bucket array once the last call is gone
}

void CallStore::removeParticipant(Call& c, Participant* p) {
    releaseParticipant(*p);
    // Nothing may keep pointing at its streams once it is gone.
    std::vector<Stream*> gone;
    for (auto& m : p->media)
        if (m) gone.insert(gone.end(), {&m->rtp, &m->rtcp});
    for (auto& [tag, q] : c.participants) {
        for (auto& m : q->media) {
            if (!m) continue;
            for (media::StreamConfig* st : {&m->rtp.editConfig(), &m->rtcp.editConfig()})
                for (Stream* g : gone) {
                    st->rtpSinks.remove(g);
                    st->rtcpSinks.remove(g);
                }
        }
    }
    forgetParticipant(c, *p);
    applyStreams(c);
}

// Signalling may bring a deadline forward (an answer, a delayed delete) or
// cancel one: the call's timer follows, whatever the outcome.
CommandResult CallStore::offer(const Flags& f) {
    if (f.fragment) return trickleUpdate(f);
    CommandResult r = offerAnswer(f, true);
    if (Call* c = find(f.callId)) schedule(*c, wallSeconds());
    return r;
}

CommandResult CallStore::answer(const Flags& f) {
    CommandResult r = offerAnswer(f, false);
    if (Call* c = find(f.callId)) schedule(*c, wallSeconds());
    return r;
}

// RFC 8840 trickle update: candidates for media the sender already has. The
// reply is ok whatever it carries (as 10.5's); rtpengine keeps updates for
// calls it does not know yet for a while, ngmedia drops them.
CommandResult CallStore::trickleUpdate(const Flags& f) {
    auto frag = parseIceFragment(f.sdp);
    Call* call = find(f.callId);
    Participant* p = call ? call->find(f.fromTag) : nullptr;
    if (!frag || !p) {
        NGM_LOG_SUB(log::Subsystem::Ice, log::Info, ctx(f),
                    "ICE fragment for unknown media dropped");
        return CallReply{};
    }
    for (size_t i = 0; i < frag->sections.size(); i++) {
        const IceFragment::Section& s = frag->sections[i];
        Media* m = nullptr;
        for (auto& pm : p->media)
            if (pm && !s.mid.empty() && pm->mid == s.mid) m = pm.get();
        if (!m && s.mid.empty()) m = p->mediaAt(i);
        if (!m || !applyIceFragment(s, m->ice))
            NGM_LOG_SUB(log::Subsystem::Ice, log::Info, ctx(f),
                        "ICE fragment section %zu matches no media", i);
    }
    return CallReply{};
}

namespace {

// Picks the logical interface for one side of a call.
net::LogicalInterface* pickInterface(net::InterfaceTable& table, const std::string& name,
                                     net::Family family) {
    if (name.empty()) return table.defaultInterface();
    if (name == "round-robin-calls") return table.nextRoundRobin();
    if (auto* li = table.select(name, family)) return li;
    // Unknown names (and legacy internal/external, which select the address
    // family) fall back to the default interface, as rtpengine does.
    return table.defaultInterface();
}

// The interface a participant's media already use: a media section added
// by a re-offer goes there too (rtpengine keeps the interface per side, not
// per m= line).
net::LogicalInterface* interfaceInUse(const Participant& p) {
    for (const auto& m : p.media)
        if (m && m->ports.iface()) return m->ports.iface();
    return nullptr;
}

net::Family legacyFamily(const std::string& name, net::Family dflt) {
    if (name == "internal") return net::Family::V4;
    if (name == "external") return net::Family::V6;
    return dflt;
}

}  // namespace

// One offer or answer on its way through offerAnswer: what its steps share.
struct CallStore::Exchange {
    Exchange(const Flags& f, bool isOffer, const sdp::SessionDescription& in, int64_t now)
        : f(f), isOffer(isOffer), in(in), now(now) {}
    const Flags& f;
    bool isOffer;
    const sdp::SessionDescription& in;
    int64_t now = 0;
    Call* call = nullptr;
    bool created = false;  // this message created the call
    OfferAnswerSides sides;
    Participant& from() const { return *sides.from; }  // sent the SDP
    Participant& to() const { return *sides.to; }      // gets the rewritten SDP
};

CommandResult CallStore::offerAnswer(const Flags& f, bool isOffer) {
    if (f.sdp.empty()) return CallReply{};  // rtpengine answers ok without an sdp key
    auto parsed = sdp::parse(f.sdp, cfg_.rejectInvalidSdp);
    if (!parsed) {
        NGM_LOG(log::Warning, ctx(f), "%s", parsed.error().reason.c_str());
        return commandError("Failed to parse SDP");
    }
    if (auto early = checkSdp(*parsed, f)) return *early;
    // BUNDLE: a bundled offer taken (its bundle-only sections made sections
    // of their own), or the group of an answer.
    std::vector<size_t> group;
    if (isOffer && f.bundle.accept && !f.bundle.reject)
        group = acceptBundledOffer(*parsed);
    else if (!isOffer)
        group = bundleGroupSections(*parsed);

    Exchange x(f, isOffer, *parsed, wallSeconds());
    if (auto failed = findOrCreateCall(x)) return *failed;
    auto sides = findSides(*x.call, f, isOffer, x.now);
    if (!sides) return commandError("Unknown call-id");
    x.sides = *sides;
    if (!isOffer) x.call->answered = true;
    linkSides(*x.call, x.sides, f, isOffer);
    if (f.keepSdpIn) x.from().lastSdpIn = f.sdp;

    for (size_t i = 0; i < x.in.media.size(); i++)
        if (auto failed = negotiateMedia(x, i)) return *failed;
    x.from().speaksRtcpMux =
        std::any_of(x.in.media.begin(), x.in.media.end(),
                    [](const sdp::MediaSection& m) { return m.hasAttr("rtcp-mux"); });
    settleBundle(x.from(), x.to(), x.in, f, isOffer, group);

    takeInCallControls(x);
    wire(x.from(), x.to(), f);
    applyControls(*x.call);
    applyDtls(*x.call);
    applyIce(*x.call);
    applyStreams(*x.call);
    startDtls(*x.call);
    reopenLearning(*x.call);
    pierceNat(x.from());
    applyTos(*x.call);

    CallReply r;
    r.sdp = rewriteSdp(x.in, x.from(), x.to(), f, *x.call, cfg_, isOffer);
    return r;
}

// The reply to an SDP that is not to be rewritten: one unfit for
// offer/answer (an error), or one with our own marker in it (loop
// protection: the body goes back as it came).
std::optional<CommandResult> CallStore::checkSdp(const sdp::SessionDescription& in,
                                                 const Flags& f) const {
    if (in.media.empty()) return commandError("Error rewriting SDP");
    for (const auto& m : in.media)
        if (!m.find('c') && !in.connection(m.session))
            return commandError("Incomplete SDP specification");
    for (const auto& m : in.media)
        if (!hasValidPayloadTypes(m.m)) return commandError("Incomplete SDP specification");

    // Loop protection: our own marker means we already rewrote this body.
    if (f.loopProtect) {
        for (size_t i = 0; i < in.sessionCount(); i++) {
            for (const auto& l : in.sessionLines(i)) {
                if (l.type == 'a' && l.value == "rtpengine:" + cfg_.instanceToken) {
                    CallReply r;
                    r.sdp = f.sdp;
                    return CommandResult(std::move(r));
                }
            }
        }
    }
    return std::nullopt;
}

// The call of x.f.callId; an offer creates it (within --max-sessions).
std::optional<CommandResult> CallStore::findOrCreateCall(Exchange& x) {
    const Flags& f = x.f;
    x.call = find(f.callId);
    if (!x.call) {
        x.created = true;
        if (!x.isOffer) return commandError("Unknown call-id");
        int maxSessions = rt_->maxSessions.load(std::memory_order_relaxed);
        if (maxSessions >= 0 && counters_.sessionsOwn.load() >= maxSessions) {
            counters_.rejectedSessions++;
            return CommandResult(Error{"Parallel session limit reached", Error::Kind::Overload});
        }
        if (cfg_.load) {
            LoadMonitor::Verdict v = cfg_.load->exceeded(*rt_);
            if (v.limit != LoadLimit::None) {
                // rtpengine counts these in no `rejectedsessions`; we count
                // them per limit (Prometheus ngmedia_offers_refused_total).
                cfg_.load->countRefused(v.limit);
                if (v.limit == LoadLimit::Cpu)
                    NGM_LOG(log::Warning, ctx(f), "CPU usage limit exceeded (%.1f%% > %.1f%%)", v.value, v.max);
                else if (v.limit == LoadLimit::Load)
                    NGM_LOG(log::Warning, ctx(f), "Load limit exceeded (%.2f > %.2f)", v.value, v.max);
                else
                    NGM_LOG(log::Warning, ctx(f), "Bandwidth limit exceeded (%.0f > %.0f)", v.value, v.max);
                return CommandResult(Error{std::string(loadLimitMessage(v.limit)), Error::Kind::Overload});
            }
        }
        auto c = std::make_unique<Call>();
        c->callId = f.callId;
        c->created = x.now;
        c->createdUs = wallMicros();
        c->proxy = f.controlSource;
        Call* call = x.call = c.get();
        call->timer.setCallback(
            [this, call] { expire(*call, timersNow_ ? timersNow_ : wallSeconds()); });
        calls_.emplace(f.callId, std::move(c));
        if (cfg_.registry) cfg_.registry->add(f.callId);
        counters_.sessionsOwn++;
        NGM_LOG(log::Info, ctx(f), "New call");
    }
    x.call->lastSignal = x.now;
    if (f.debug) x.call->debug = true;
    if (f.generateRtcp == "on")
        x.call->generateRtcp = true;
    else if (f.generateRtcp == "off")
        x.call->generateRtcp = false;
    x.call->deleteAt = 0;  // signalling revives a call whose delete was delayed
    return std::nullopt;
}

namespace {

// The sender's and the receiver's Media of section i, made on first sight.
std::pair<Media&, Media&> mediaOf(Participant& from, Participant& to, size_t i, bool isOffer) {
    while (from.media.size() <= i) {
        from.media.push_back(std::make_unique<Media>());
        from.media.back()->index = (int)from.media.size();
    }
    while (to.media.size() <= i) {
        to.media.push_back(std::make_unique<Media>());
        to.media.back()->index = (int)to.media.size();
        to.media.back()->iceControlling = isOffer;
    }
    return {*from.media[i], *to.media[i]};
}

// The address family of our ports on each side of a media section.
struct Families {
    net::Family dst;  // towards the receiver
    net::Family src;  // towards the sender
};

Families familiesOf(const Media& src, const Media& dst, const Flags& f, bool isOffer) {
    net::Family srcFamily = src.sdpFamily != net::Family::None ? src.sdpFamily : net::Family::V4;
    // The receiver's family: asked for, or what its side already uses, or
    // the sender's.
    net::Family dstFamily = srcFamily;
    if (dst.ports.local()) dstFamily = dst.ports.local()->address.family();
    if (isOffer && f.addressFamily != net::Family::None) dstFamily = f.addressFamily;
    if (isOffer && f.direction.size() > 1) dstFamily = legacyFamily(f.direction[1], dstFamily);
    net::Family srcSideFamily = srcFamily;
    if (isOffer && f.direction.size() > 0)
        srcSideFamily = legacyFamily(f.direction[0], srcSideFamily);
    // The answerer was told its ports in the offer we wrote to it; its
    // answer cannot move them, not even to the family of its own SDP
    // (it sends to what it was offered: IPv6 there, IPv4 here).
    if (!isOffer && src.hasPorts() && src.ports.local())
        srcSideFamily = src.ports.local()->address.family();
    return {dstFamily, srcSideFamily};
}

// The logical interface for one side's ports: the one its media already use,
// unless an offer names one (direction); an answer keeps what the offer chose.
net::LogicalInterface* interfaceFor(net::InterfaceTable& ifs, const Media& m, const Participant& p,
                                    const std::string& name, net::Family family, bool isOffer) {
    net::LogicalInterface* li = m.ports.iface() ? m.ports.iface() : interfaceInUse(p);
    if (!li || (isOffer && !name.empty())) li = pickInterface(ifs, name, family);
    return li;
}

// The receiver's profile in an offer: the sender's, or `transport protocol`
// between the plain RTP profiles.
void negotiateProfile(const Media& src, Media& dst, const Flags& f) {
    dst.type = src.type;
    dst.proto = knownRtpProtocol(f.transportProtocol) && isRtpProtocol(src.proto)
                    ? f.transportProtocol
                    : src.proto;
}

// SDES: the lines offered to the receiver, or once the answer is in, the
// keys of both sides (session/sdes_negotiation.h).
// SDES and DTLS-SRTP: what is offered to the receiver, or once the answer
// is in, the keys and roles of both sides (session/sdes_negotiation.h,
// session/dtls_negotiation.h).
void negotiateSecurity(Media& src, Media& dst, const Flags& f, bool isOffer,
                       const std::string& offeredProto, const SessionConfig& cfg) {
    OsrtpOptions osrtp = osrtpOptions(f.osrtp);
    if (isOffer) {
        bool secure = isSecureProfile(dst.proto);
        // OSRTP (RFC 8643): passed on when offered, made with OSRTP=offer.
        dst.sdes.osrtpOut =
            !secure && ((!isSecureProfile(src.proto) && !src.sdes.in.empty()) || osrtp.offer);
        bool wanted = isRtpProtocol(dst.proto) && (secure || dst.sdes.osrtpOut);
        if (wanted)
            offerSdes(src.sdes, dst.sdes, sdesOptions(f.sdes));
        else
            dst.sdes.out.clear();
        DtlsOptions dtls = dtlsOptions(f.dtls, f.dtlsReverse, f.dtlsFingerprint, cfg.dtlsPassive);
        offerDtls(dst.dtls, wanted && cfg.dtlsCert, dtls);
        src.dtls.reversePassive = dtls.reversePassive;
        return;
    }
    // Offered SDES (or OSRTP), the answerer is taken as speaking it even
    // when its answer has no a=crypto (as rtpengine 10.5 does).
    bool answererSecure =
        isSecureProfile(offeredProto) || isSecureProfile(src.proto) || src.sdes.osrtpOut;
    // An OSRTP offerer speaks SRTP if its offer was taken (or OSRTP=accept).
    bool offererSecure = isSecureProfile(dst.proto) ||
                         (!dst.sdes.in.empty() && (!src.sdes.in.empty() || osrtp.accept));
    answerSdes(src.sdes, answererSecure, dst.sdes, offererSecure);
    // The answer's own DTLS key picks the role towards an actpass offerer
    // (rtpengine 10.5: DTLS=passive in the answer makes it the DTLS server
    // towards a browser).
    if (f.dtls == "passive")
        dst.dtls.reversePassive = true;
    else if (f.dtls == "active")
        dst.dtls.reversePassive = false;
    answerDtls(src.dtls, dst.dtls, cfg.dtlsCert && isSecureProfile(dst.proto), cfg.dtlsPassive);
    // DTLS is favoured over SDES: an offerer that offered both gets DTLS
    // alone; an answerer that answered with DTLS has no SDES keys.
    if (dst.dtls.inUse) {
        dst.sdes.recv.reset();
        dst.sdes.send.reset();
        dst.sdes.passthrough = src.sdes.passthrough = false;
    }
    if (src.dtls.inUse) src.sdes.keyless = true;
}

// The sender's ICE kept towards the receiver (keepsSenderIce): its DTLS and
// SDES pass through as well, so neither side gets ours and the media's SRTP
// is relayed as it is (as with SDES pass-through). Run after negotiateIce.
void passSecurityThrough(Media& src, Media& dst, bool isOffer) {
    if (!keepsSenderIce(dst.ice.style)) return;
    if (isOffer) {
        dst.sdes.out.clear();
        dst.sdes.osrtpOut = false;
        dst.dtls.offered = dst.dtls.awaitingAnswer = false;
        return;
    }
    for (Media* m : {&src, &dst}) {
        m->dtls.inUse = m->dtls.offered = m->dtls.awaitingAnswer = false;
        m->sdes.send.reset();
        m->sdes.keyless = false;
        m->sdes.passthrough = true;
        // The SRTCP trailer's size from the line the end sent, if any.
        if (m->sdes.in.empty())
            m->sdes.recv.reset();
        else
            m->sdes.recv = m->sdes.in.front();
    }
}

IceOptions iceOptions(const Flags& f) {
    IceOptions o;
    o.mode = iceModeByName(f.ice);
    o.lite = f.iceLite;
    o.trickle = f.trickleIce;
    o.reset = f.reset;
    return o;
}

// rtcp-mux (RFC 5761) as the `rtcp-mux` key of the offer asks; keys in an
// answer have no effect (as with rtpengine).
void negotiateRtcpMux(Media& src, Media& dst, const Participant& to, const Flags& f, bool isOffer) {
    if (isOffer) {
        RtcpMuxMode key = f.rtcpMux;
        src.offerMuxKey = key;
        dst.rtcpMuxOut = (src.rtcpMuxOffered && key != RtcpMuxMode::Demux) ||
                         key == RtcpMuxMode::Offer || key == RtcpMuxMode::Require;
        dst.rtcpMux = key == RtcpMuxMode::Require;
        if (to.speaksRtcpMux) dst.rtcpMux = dst.rtcpMuxOut = true;
        return;
    }
    bool answered = src.rtcpMuxOffered;
    bool mux;
    switch (dst.offerMuxKey) {
        case RtcpMuxMode::Demux: mux = dst.rtcpMuxOffered; break;
        case RtcpMuxMode::Reject: mux = false; break;
        default: mux = dst.rtcpMuxOffered && answered; break;
    }
    dst.rtcpMux = dst.rtcpMuxOut = mux;
    src.rtcpMux = answered;
}

}  // namespace

// Section i of the message: read it into the sender's Media, then the
// receiver's profile, families, ports on both sides, rtcp-mux and codecs.
std::optional<CommandResult> CallStore::negotiateMedia(Exchange& x, size_t i) {
    const sdp::MediaSection& sm = x.in.media[i];
    auto [src, dst] = mediaOf(x.from(), x.to(), i, x.isOffer);
    std::string offeredProto = src.proto;  // an answerer's: what we offered it
    readMediaSection(x.in, sm, src, x.f, cfg_);
    if (x.isOffer) {
        // Until it answers, the receiver's direction mirrors the offer's.
        dst.shownSend = src.shownRecv;
        dst.shownRecv = src.shownSend;
    }
    // The ports in the SDP we write belong to where the sender is: when
    // it moves (offer or answer), the receiver gets other ports.
    PortsOwner owner{src.rtp.config().advertised, keepsPortsOnMove(dst, x.f)};
    // A new branch's answer names the offerer's ports anew: ngmedia keeps
    // them for it (rtpengine would move the offerer; see the deliberate
    // fork_two_answers diff scenario).
    if (x.sides.newAnswerer) dst.ports.forgetOwner();
    if (x.isOffer) negotiateProfile(src, dst, x.f);
    if (sm.m.port != 0) {
        negotiateSecurity(src, dst, x.f, x.isOffer, offeredProto, cfg_);
        negotiateIce(src.ice, dst.ice, iceOptions(x.f), x.isOffer);
        passSecurityThrough(src, dst, x.isOffer);
    } else {
        src.ice.inUse = dst.ice.inUse = false;  // a rejected stream has no ICE
        src.ice.style = dst.ice.style = IceStyle::None;
    }
    Families families = familiesOf(src, dst, x.f, x.isOffer);

    if (sm.m.port == 0 || isPassthroughProtocol(sm.m.proto)) {
        releaseIcePorts(src);  // no ICE without ports
        releaseIcePorts(dst);
        return std::nullopt;  // no ports of ours
    }
    uint32_t dstSeqBefore = dst.hasPorts() ? dst.ports.seq() : 0;
    if (auto failed = allocatePorts(x, src, dst, families.dst, families.src, owner)) return failed;
    // New ports towards a side that speaks ICE restart ICE there: new
    // credentials of ours (rtpengine 10.5, `no port latching`).
    if (dstSeqBefore && dst.ports.seq() != dstSeqBefore && dst.ice.inUse)
        makeIceCredentials(dst.ice);
    negotiateRtcpMux(src, dst, x.to(), x.f, x.isOffer);
    if (x.isOffer) src.maskSpecs = x.f.codec.mask;
    if (!syncIcePorts(dst) || !syncIcePorts(src))
        NGM_LOG_SUB(log::Subsystem::Ice, log::Warning, ctx(x.f),
                    "No port for an ICE candidate on every interface address");
    return std::nullopt;
}

// Ports for the receiver's side (they belong to `owner`), then for the
// sender's side. A call this message created goes again when they fail.
std::optional<CommandResult> CallStore::allocatePorts(Exchange& x, Media& src, Media& dst,
                                                      net::Family dstFamily, net::Family srcFamily,
                                                      const PortsOwner& owner) {
    const Flags& f = x.f;
    net::InterfaceTable& ifs = *cfg_.interfaces;
    // Interfaces: direction[0] faces the sender of this message, direction[1]
    // the receiver. (The `interface` key is for publish/subscribe;
    // offer/answer ignore it, as rtpengine does.)
    std::string fromIfName = f.direction.size() > 0 ? f.direction[0] : std::string();
    std::string toIfName = f.direction.size() > 1 ? f.direction[1] : std::string();

    // Receiver side first: a round-robin group then picks another member
    // for the sender side when ports are equally free.
    net::LogicalInterface* dstIf = interfaceFor(ifs, dst, x.to(), toIfName, dstFamily, x.isOffer);
    if (!dstIf) {
        if (x.created) destroyCall(f.callId, Aborted);
        return commandError("No network interface configured");
    }
    uint32_t seqBefore = dst.hasPorts() ? dst.ports.seq() : 0;
    if (!dstIf->hasFamily(dstFamily) && dst.ports.local() == nullptr) {
        // Bridging to a family the interface lacks: fall back to what it has.
        if (!dstIf->addresses.empty()) dstFamily = dstIf->addresses.front()->address.family();
    }
    // Ports taken while muxed are a single port to rtpengine: when the
    // stream stops muxing it gets a new pair (rtcp_mux_via_branches_require).
    bool willMux = x.isOffer && (f.rtcpMux == RtcpMuxMode::Require || x.to().speaksRtcpMux);
    if (x.isOffer && dst.muxOnlyPorts && !willMux) releasePorts(dst);
    bool ok = dst.ports.ensure(dstIf, dstFamily, &owner, portsHooks(dst));
    if (ok && x.isOffer && dst.ports.seq() == dst.ports.newestSeq() && dst.ports.seq() != seqBefore)
        dst.muxOnlyPorts = willMux;
    net::LogicalInterface* srcIf =
        interfaceFor(ifs, src, x.from(), fromIfName, srcFamily, x.isOffer);
    if (!srcIf) return commandError("No network interface configured");
    if (!ok || !src.ports.ensure(srcIf, srcFamily, nullptr, portsHooks(src))) {
        NGM_LOG(log::Err, ctx(f), "Failed to allocate ports: port range exhausted");
        if (x.created) destroyCall(f.callId, Aborted);  // with every port it took
        return commandError("Ran out of ports");
    }
    return std::nullopt;
}

// The in-call controls an offer or answer may carry: `media echo`,
// `drop-traffic`, `TOS`.
void CallStore::takeInCallControls(Exchange& x) {
    const Flags& f = x.f;
    Call& call = *x.call;
    // media echo relative to this message: forward = towards its receiver.
    if (!f.mediaEcho.empty()) {
        bool hole = f.mediaEcho == "blackhole" || f.mediaEcho == "sinkhole";
        x.to().echo = f.mediaEcho == "forward" || f.mediaEcho == "both";
        x.from().echo = f.mediaEcho == "backwards" || f.mediaEcho == "both";
        x.to().blackhole = x.from().blackhole = hole;
    }
    if (f.dropTraffic == "start") call.dropTraffic = true;
    if (f.dropTraffic == "stop") call.dropTraffic = false;
    // TOS, in offers only (for both directions, as rtpengine does): a value
    // sets it, a negative one keeps it, none (or ≥ 256) reverts to --tos.
    if (x.isOffer) {
        if (!f.tosGiven || f.tos >= 256)
            call.tos = -1;
        else if (f.tos >= 0)
            call.tos = f.tos;
    }
}

// `pierce NAT` towards the SDP's sender at once (then every second from
// tick()).
void CallStore::pierceNat(Participant& p) {
    for (auto& m : p.media)
        if (m) {
            m->rtp.pierce();
            m->rtcp.pierce();
        }
}

// Every offer or answer opens learning again on all streams of the call
// (rtpengine "unconfirms" them), timed from this signal.
void CallStore::reopenLearning(Call& call) {
    int64_t commitsAt = media::PacketStream::learningCommitsAt(call.lastSignal);
    for (auto& [tag, p] : call.participants)
        for (auto& m : p->media)
            if (m) {
                m->rtp.relearn(commitsAt);
                m->rtcp.relearn(commitsAt);
            }
}

CommandResult CallStore::deleteCall(const Flags& f) {
    Call* call = find(f.callId);
    auto notFound = [&]() -> CommandResult {
        const char* reason = "Call-ID not found or tags didn't match";
        if (f.fatal) return commandError(reason);
        CallReply r;
        r.warning = reason;
        return r;
    };
    if (!call) return notFound();
    if (!f.fromTag.empty() && !call->find(f.fromTag) && (f.toTag.empty() || !call->find(f.toTag)))
        return notFound();

    int delay = f.deleteDelay >= 0 ? f.deleteDelay : rt_->deleteDelay.load(std::memory_order_relaxed);
    CallReply r;

    // One branch (by to-tag, or by via-branch) goes alone while the offerer
    // still has another branch; the last one takes the call with it.
    // Without a from-tag the whole call goes, whatever else is named.
    Participant* branch = nullptr;
    if (f.fromTag.empty()) {
    } else if (!f.toTag.empty()) {
        branch = call->find(f.toTag);
    } else if (!f.viaBranch.empty()) {
        branch = call->find(branchKey(f.viaBranch));
        for (auto& [key, p] : call->participants)
            if (!branch && p->viaBranch == f.viaBranch && p->tag != f.fromTag) branch = p.get();
    }
    if (branch && branch->tag != f.fromTag) {
        size_t others = 0;
        for (auto& [key, p] : call->participants)
            if (p.get() != branch && p->tag != f.fromTag) others++;
        if (others > 0) {
            // With a delay the branch stays until then, and a late answer
            // on it is still that branch's (rtpengine 10.5).
            if (delay <= 0)
                removeParticipant(*call, branch);
            else if (!branch->deleteAt)
                branch->deleteAt = wallSeconds() + delay;
            schedule(*call, wallSeconds());
            return r;
        }
    }
    r.withDetails = !f.fromTag.empty();
    if (delay <= 0) {
        destroyCall(f.callId, Regular);
        return r;
    }
    if (!call->deleteAt) call->deleteAt = wallSeconds() + delay;
    schedule(*call, wallSeconds());
    return r;
}

// Media timeouts, per stream as rtpengine has them: a stream is alive while
// it had a packet (or the call a signal) within its own limit: --timeout;
// --silent-timeout when its participant's SDP direction does not let it
// receive (sendonly, inactive; a zero-address hold does not count, as in
// rtpengine) or it holds no ports;
// --offer-timeout while no SDP address is known for it. The call times out
// when no stream is alive, with the reason of its last stream (participants
// in the order they joined, each media's RTP before its RTCP): rtpengine
// counts a sendonly/recvonly hold, which lives until the silent timeout,
// in `timeoutsessions` because the recvonly answerer's streams come last.
static bool receivesByDirection(const Media& m) {
    return m.sdpDirection.empty() || m.sdpDirection == "sendrecv" || m.sdpDirection == "recvonly";
}

CallStore::MediaDeadline CallStore::mediaDeadlineOf(const Call& c) const {
    std::vector<const Participant*> joined;
    for (auto& [tag, p] : c.participants) joined.push_back(p.get());
    std::sort(joined.begin(), joined.end(),
              [](const Participant* x, const Participant* y) { return x->seq < y->seq; });
    MediaDeadline d;
    for (const Participant* p : joined)
        for (auto& m : p->media) {
            if (!m) continue;
            for (const Stream* st : {&m->rtp, &m->rtcp}) {
                int limit = rt_->timeout.load(std::memory_order_relaxed);
                d.reason = Timeout;
                if (!m->hasPorts() || !receivesByDirection(*m)) {
                    limit = rt_->silentTimeout.load(std::memory_order_relaxed);
                    d.reason = SilentTimeout;
                } else if (!st->advertised().valid()) {
                    limit = rt_->offerTimeout.load(std::memory_order_relaxed);
                    d.reason = OfferTimeout;
                }
                if (limit <= 0) return {};  // this stream never times out
                int64_t last = std::max(c.lastSignal, st->stats().lastPacket);
                d.at = std::max(d.at, last + limit);
            }
        }
    if (d.reason) return d;
    // No media at all: the silent timeout from the last signal.
    int silentTimeout = rt_->silentTimeout.load(std::memory_order_relaxed);
    if (silentTimeout <= 0) return {};
    return {c.lastSignal + silentTimeout, SilentTimeout};
}

int CallStore::mediaTimeoutOf(const Call& c, int64_t now) const {
    MediaDeadline d = mediaDeadlineOf(c);
    return d.at && now >= d.at ? d.reason : 0;
}

// The checks of expire(), as times: the first of them to come.
int64_t CallStore::nextDeadlineOf(const Call& c) const {
    int64_t at = 0;
    auto consider = [&at](int64_t t) {
        if (t && (!at || t < at)) at = t;
    };
    for (auto& [tag, p] : c.participants) consider(p->deleteAt);
    consider(c.deleteAt);
    if (c.answered && !c.deleteAt) consider(mediaDeadlineOf(c).at);
    int finalTimeout = rt_->finalTimeout.load(std::memory_order_relaxed);
    int offerTimeout = rt_->offerTimeout.load(std::memory_order_relaxed);
    if (finalTimeout > 0) consider(c.created + finalTimeout);
    if (!c.answered && offerTimeout > 0) consider(c.lastSignal + offerTimeout);
    return at;
}

void CallStore::schedule(Call& c, int64_t now) {
    int64_t at = nextDeadlineOf(c);
    if (!at) {
        c.timer.cancel();
        c.timerAt = 0;
        return;
    }
    // A deadline already passed is checked in the next second: a timer that
    // fired and found nothing due (it cannot, but a clock step could make
    // it so) must not fire again at once.
    at = std::max(at, now + 1);
    c.timerAt = at;
    // Wall seconds onto the wheel's steady clock: fire once time() shows
    // `at`, a little after the second starts, since time() may trail the
    // precise clock by a kernel tick.
    constexpr int64_t kSlackUs = 20'000;
    auto delay = std::chrono::microseconds(at * 1'000'000 + kSlackUs - wallMicros());
    timers().armAt(c.timer, net::TimerWheel::Clock::now() + delay);
}

void CallStore::expire(Call& c, int64_t now) {
    std::vector<Participant*> gone;
    for (auto& [tag, p] : c.participants)
        if (p->deleteAt && now >= p->deleteAt) gone.push_back(p.get());
    for (auto* p : gone) removeParticipant(c, p);
    // What the kernel forwarded for the call up to now, not as of the last
    // tick: a timeout must not miss it.
    if (offload_ && c.answered && !c.deleteAt)
        for (auto& [tag, p] : c.participants)
            for (auto& m : p->media)
                if (m && m->hasPorts())
                    for (media::PacketStream* st : {&m->rtp, &m->rtcp})
                        if (st->offloaded()) offload_->refresh(*st);
    int mediaTimeout = c.answered && !c.deleteAt ? mediaTimeoutOf(c, now) : 0;
    int reason = -1;
    int finalTimeout = rt_->finalTimeout.load(std::memory_order_relaxed);
    int offerTimeout = rt_->offerTimeout.load(std::memory_order_relaxed);
    if (c.deleteAt && now >= c.deleteAt) {
        reason = Regular;
    } else if (mediaTimeout) {
        reason = mediaTimeout;
    } else if (finalTimeout > 0 && now - c.created >= finalTimeout) {
        reason = FinalTimeout;
    } else if (!c.answered && offerTimeout > 0 && now - c.lastSignal >= offerTimeout) {
        reason = OfferTimeout;
    }
    if (reason < 0) {
        schedule(c, now);  // packets or signals came: the next deadline
        return;
    }
    // The call, its timer and this callback go: nothing of `c` after this.
    std::string id = c.callId;
    if (reason != Regular) NGM_LOG(log::Info, id, "Closing call: timeout");
    destroyCall(id, reason);
}

size_t CallStore::runTimers(int64_t nowWall) {
    timersNow_ = nowWall;
    auto end = std::chrono::microseconds(nowWall * 1'000'000 + 999'999 - wallMicros());
    size_t fired = timers().advance(net::TimerWheel::Clock::now() + end);
    timersNow_ = 0;
    return fired;
}

void CallStore::tick() {
    // First what the kernel forwarded: the figures below (and the timeouts)
    // see it.
    if (offload_) offload_->poll();
    int64_t withTraffic = 0, inKernelPath = 0, mixed = 0;
    int64_t nowWall = wallSeconds();
    int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    for (auto& [id, c] : calls_) sendRtcpReports(*c, nowMs);
    for (auto& [id, c] : calls_)
        for (auto& [tag, p] : c->participants)
            for (auto& m : p->media)
                if (m && m->hasPorts()) {
                    m->rtp.pierce();
                    m->rtcp.pierce();
                    bool rtp = m->rtp.stats().packets != 0, rtcp = m->rtcp.stats().packets != 0;
                    if (!rtp && !rtcp && !m->rtp.stats().errors && !m->rtcp.stats().errors) continue;
                    reportTraffic(*m);
                    if (!rtp && !rtcp) continue;
                    if (rtp) m->rtp.sampleQuality(nowWall, callRttMs(*p, *m), legRttMs(*m));
                    withTraffic++;
                    auto kernel = [this](const media::PacketStream& st) {
                        return st.offloaded() && offload_ && offload_->carries(st);
                    };
                    int inKernel = (rtp && kernel(m->rtp)) + (rtcp && kernel(m->rtcp));
                    if (inKernel == rtp + rtcp)
                        inKernelPath++;
                    else if (inKernel)
                        mixed++;
                }
    if (totals_) {
        totals_->mediaWithTraffic.store(withTraffic, std::memory_order_relaxed);
        totals_->mediaKernel.store(inKernelPath, std::memory_order_relaxed);
        totals_->mediaMixed.store(mixed, std::memory_order_relaxed);
    }
}

}  // namespace ngm::session

namespace ngm::session {

bool CallStore::terminate(const std::string& callId) {
    if (!find(callId)) return false;
    NGM_LOG(log::Info, callId, "Call terminated by operator");
    destroyCall(callId, Forced);
    return true;
}

void CallStore::setForeign(bool foreign) {
    for (auto& [id, c] : calls_) {
        if (c->foreign == foreign) continue;
        c->foreign = foreign;
        (foreign ? counters_.sessionsOwn : counters_.sessionsForeign)--;
        (foreign ? counters_.sessionsForeign : counters_.sessionsOwn)++;
    }
}

void CallStore::rescheduleAll() {
    int64_t now = timersNow_ ? timersNow_ : wallSeconds();
    for (auto& [id, c] : calls_) schedule(*c, now);
}

}  // namespace ngm::session
