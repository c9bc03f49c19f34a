#include "control/ng_query.h"

#include <algorithm>
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
        v.add("local port", Value::integer(s.local().port));
        v.add("local address", Value::string(d.intern(s.local().address.toString())));
        v.add("family", Value::string(net::ngFamilyName(s.local().address.family())));
    }
    v.add("endpoint", endpointOrEmpty(s.endpoint(), d));
    v.add("advertised endpoint", endpointOrEmpty(s.advertised(), d));
    if (m.sdes.negotiated())
        v.add("crypto suite", Value::string(d.intern(std::string(m.sdes.suiteName()))));
    v.add("last packet", Value::integer(s.stats().lastPacket ? s.stats().lastPacket : since));
    Value& flags = v.add("flags", Value::list());
    if (!s.isRtcp()) flags.push(Value::string("RTP"));
    // Under rtcp-mux the RTP stream carries RTCP too; the RTCP stream stays
    // as the fallback.
    if (s.isRtcp() || m.rtcpMux) flags.push(Value::string("RTCP"));
    if (fallbackRtcp) flags.push(Value::string("fallback RTCP"));
    if (s.advertised().valid()) flags.push(Value::string("filled"));
    if (s.confirmed()) flags.push(Value::string("confirmed"));
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
    if (m.sdes.negotiated()) flags.push(Value::string("SDES"));
    if (m.ice.inUse) flags.push(Value::string("ICE"));
    if (m.iceControlling) flags.push(Value::string("ICE controlling"));
    return v;
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
    out.add("SSRC", Value::dict());
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
