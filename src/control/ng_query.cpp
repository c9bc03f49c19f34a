#include "control/ng_query.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ngm::control {

using bencode::Value;

namespace {

Value endpointValue(const net::Endpoint& e, bencode::Document& d) {
    Value v = Value::dict();
    v.add("family", Value::string(net::ngFamilyName(e.address.family())));
    v.add("address", Value::string(d.intern(e.address.toString())));
    v.add("port", Value::integer(e.port));
    return v;
}

Value statsValue(const session::StreamStats& s) {
    Value v = Value::dict();
    v.add("packets", Value::integer((int64_t)s.packets));
    v.add("bytes", Value::integer((int64_t)s.bytes));
    v.add("errors", Value::integer((int64_t)s.errors));
    return v;
}

// An endpoint we know nothing of is an empty dictionary, as in rtpengine.
Value endpointOrEmpty(const net::Endpoint& e, bencode::Document& d) {
    return e.valid() ? endpointValue(e, d) : Value::dict();
}

// `since`: shown as the last packet's time until a packet came (rtpengine
// starts the clock when the stream is made).
Value streamValue(const session::Media& m, const session::Stream& s, bool fallbackRtcp, int64_t since,
                  bencode::Document& d) {
    Value v = Value::dict();
    if (s.attached()) {
        // ICE with rtcp-mux towards a side: no RTCP component there, and
        // rtpengine shows its RTCP stream without a port.
        bool noRtcpComponent = s.isRtcp() && m.ice.inUse && m.rtcpMux;
        v.add("local port", Value::integer(noRtcpComponent ? 0 : s.local().port));
        v.add("local address", Value::string(d.intern(s.local().address.toString())));
        v.add("family", Value::string(net::ngFamilyName(s.local().address.family())));
    }
    v.add("endpoint", endpointOrEmpty(s.endpoint(), d));
    v.add("advertised endpoint", endpointOrEmpty(s.advertised(), d));
    // DTLS-SRTP: the suite of the component's association once it is
    // Connected (under rtcp-mux the RTP one keys the RTCP stream too), and
    // "DTLS fingerprint verified" on the stream whose handshake checked it,
    // as rtpengine 10.5 shows them.
    const media::DtlsTransport* own =
        s.isRtcp() ? m.dtlsRtcpTransport.get() : m.dtlsTransport.get();
    const media::DtlsTransport* keys = own                       ? own
                                       : s.isRtcp() && m.rtcpMux ? m.dtlsTransport.get()
                                                                 : nullptr;
    bool dtlsKeyed =
        m.dtls.inUse && keys && keys->state() == crypto::DtlsState::Connected && keys->profile();
    if (dtlsKeyed)
        v.add("crypto suite", Value::string(d.intern(std::string(
                                  crypto::suiteInfo(crypto::suiteOf(*keys->profile())).name))));
    else if (m.sdes.negotiated())
        v.add("crypto suite", Value::string(d.intern(std::string(m.sdes.suiteName()))));
    v.add("last packet", Value::integer(s.stats().lastPacket ? s.stats().lastPacket : since));
    if (!s.isRtcp() && s.reception().started()) v.add("SSRC", Value::integer(s.reception().ssrc()));
    Value& flags = v.add("flags", Value::list());
    if (!s.isRtcp()) flags.push(Value::string("RTP"));
    // Under rtcp-mux the RTP stream carries RTCP too; the RTCP stream stays
    // as the fallback.
    if (s.isRtcp() || m.rtcpMux) flags.push(Value::string("RTCP"));
    if (fallbackRtcp) flags.push(Value::string("fallback RTCP"));
    if (s.advertised().valid()) flags.push(Value::string("filled"));
    if (s.confirmed()) flags.push(Value::string("confirmed"));
    // rtpengine 10.5 shows a stream its kernel module forwards so.
    if (s.inKernel()) flags.push(Value::string("kernelized"));
    if (dtlsKeyed && own == keys) flags.push(Value::string("DTLS fingerprint verified"));
    if (s.config().strictSource) flags.push(Value::string("strict source address"));
    if (s.config().mediaHandover) flags.push(Value::string("media handover"));
    if (m.ice.inUse) flags.push(Value::string("ICE"));
    v.add("stats", statsValue(s.stats()));
    return v;
}

Value mediaValue(const session::Media& m, int64_t since, bencode::Document& d) {
    Value v = Value::dict();
    v.add("index", Value::integer(m.index));
    v.add("type", Value::string(d.intern(m.type)));
    v.add("protocol", Value::string(d.intern(m.proto)));
    Value& streams = v.add("streams", Value::list());
    streams.push(streamValue(m, m.rtp, false, since, d));
    streams.push(streamValue(m, m.rtcp, m.rtcpMux, since, d));
    Value& flags = v.add("flags", Value::list());
    if (m.initialized) flags.push(Value::string("initialized"));
    if (m.shownSend) flags.push(Value::string("send"));
    if (m.shownRecv) flags.push(Value::string("recv"));
    if (m.rtcpMux) flags.push(Value::string("rtcp-mux"));
    if (m.dtls.inUse) {
        flags.push(Value::string("DTLS-SRTP"));
        flags.push(Value::string(m.dtls.role == crypto::DtlsRole::Active ? "DTLS role active"
                                                                         : "DTLS role passive"));
    }
    // The sender's ICE and security passed through (`optional`,
    // `force-relay`): 10.5 says "passthrough" in place of SDES.
    if (session::keepsSenderIce(m.ice.style))
        flags.push(Value::string("passthrough"));
    else if (m.sdes.negotiated())
        flags.push(Value::string("SDES"));
    if (m.ice.inUse) flags.push(Value::string("ICE"));
    if (m.ice.inUse && (m.ice.trickle || m.ice.peerTrickle)) flags.push(Value::string("trickle ICE"));
    // Controlling towards a lite peer, never as a lite agent (RFC 8445 §6.1.1).
    if ((m.iceControlling || m.ice.peerLite) && !m.ice.liteSelf) flags.push(Value::string("ICE controlling"));
    return v;
}

// One MOS figure set as rtpengine shows it: MOS times ten, round-trip times
// in microseconds (between the parties, and of the proxy's leg to the
// sender; from RTCP, media/rtcp_timing.h, 0 without), jitter in milliseconds, loss in percent.
Value mosValue(const media::MosSample& m) {
    Value v = Value::dict();
    v.add("MOS", Value::integer(std::llround(m.mos * 10)));
    v.add("round-trip time", Value::integer(std::llround(m.rttMs * 1000)));
    v.add("round-trip time leg", Value::integer(std::llround(m.rttLegMs * 1000)));
    v.add("jitter", Value::integer(std::llround(m.jitterMs)));
    v.add("packet loss", Value::integer(std::llround(m.lossPercent)));
    return v;
}

// The SSRC entries of a stream's reception, one per SSRC it received (up to
// media::SsrcReceptions::kSlots, as the in-kernel path keeps them too),
// with its MOS estimates on the SSRC heard last once it has any
// (media/quality.h: from loss and jitter as received here, no RTCP needed).
void addSsrcEntries(Value& ssrcs, const session::Stream& s, bencode::Document& d) {
    const media::RtpReception& current = s.reception();
    for (const media::RtpReception::State& st : s.receptions().states()) {
        if (!st.started) continue;
        media::RtpReception r;
        r.restore(st);
        std::string key = std::to_string(r.ssrc());
        if (ssrcs.find(key)) continue;  // two streams of one SSRC (media echo): once
        Value e = Value::dict();
        e.add("cumulative loss", Value::integer((int64_t)r.lost()));
        const media::MosRecord& mos = s.mos();
        if (mos.samples() && current.started() && r.ssrc() == current.ssrc()) {
            Value avg = mosValue(mos.average());
            avg.add("samples", Value::integer((int64_t)mos.samples()));
            e.add("average MOS", std::move(avg));
            Value low = mosValue(mos.lowest());
            low.add("reported at", Value::integer(mos.lowest().at));
            e.add("lowest MOS", std::move(low));
            Value high = mosValue(mos.highest());
            high.add("reported at", Value::integer(mos.highest().at));
            e.add("highest MOS", std::move(high));
        }
        ssrcs.add(d.intern(std::move(key)), std::move(e));
    }
}

Value subscriptionValue(const session::Participant& p, bencode::Document& d) {
    Value v = Value::dict();
    v.add("tag", Value::string(d.intern(p.tag)));
    v.add("type", Value::string("offer/answer"));
    return v;
}

}  // namespace

void encodeCallDetails(const session::Call& call, const session::Flags& f, Value& out,
                       bencode::Document& d) {
    (void)f;
    out.add("created", Value::integer(call.created));
    out.add("created_us", Value::integer(call.createdUs % 1000000));
    out.add("last signal", Value::integer(call.lastSignal));
    Value& ssrcs = out.add("SSRC", Value::dict());
    for (const auto& [key, p] : call.participants)
        for (const auto& m : p->media)
            if (m) addSsrcEntries(ssrcs, m->rtp, d);
    Value& tags = out.add("tags", Value::dict());
    session::StreamStats rtp, rtcp;
    for (const auto& [key, p] : call.participants) {
        Value t = Value::dict();
        t.add("tag", Value::string(d.intern(p->tag)));
        if (!p->viaBranch.empty()) t.add("via-branch", Value::string(d.intern(p->viaBranch)));
        if (!p->label.empty()) t.add("label", Value::string(d.intern(p->label)));
        t.add("created", Value::integer(p->created));
        Value& subscriptions = t.add("subscriptions", Value::list());
        for (const auto* s : p->subscriptions) subscriptions.push(subscriptionValue(*s, d));
        // Subscribers in creation order, as rtpengine lists its participants.
        std::vector<const session::Participant*> subscribers;
        for (const auto& [k, q] : call.participants)
            if (std::find(q->subscriptions.begin(), q->subscriptions.end(), p.get()) != q->subscriptions.end())
                subscribers.push_back(q.get());
        std::sort(subscribers.begin(), subscribers.end(),
                  [](const auto* a, const auto* b) { return a->seq < b->seq; });
        Value& subs = t.add("subscribers", Value::list());
        for (const auto* q : subscribers) subs.push(subscriptionValue(*q, d));
        Value& medias = t.add("medias", Value::list());
        for (const auto& m : p->media) {
            if (!m) continue;
            medias.push(mediaValue(*m, p->created, d));
            rtp.packets += m->rtp.stats().packets;
            rtp.bytes += m->rtp.stats().bytes;
            rtp.errors += m->rtp.stats().errors;
            rtcp.packets += m->rtcp.stats().packets;
            rtcp.bytes += m->rtcp.stats().bytes;
            rtcp.errors += m->rtcp.stats().errors;
        }
        // A participant without a tag yet is listed as "<untagged N>", N its
        // creation order in the call (several forks may be untagged at once).
        std::string key2 = p->tag.empty() ? "<untagged " + std::to_string(p->seq) + ">" : p->tag;
        tags.add(d.intern(key2), std::move(t));
    }
    Value& totals = out.add("totals", Value::dict());
    totals.add("RTP", statsValue(rtp));
    totals.add("RTCP", statsValue(rtcp));
}

}  // namespace ngm::control
