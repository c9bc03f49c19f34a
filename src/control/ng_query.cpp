#include "control/ng_query.h"

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

Value streamValue(const session::Media& m, const session::Stream& s, bencode::Document& d) {
    Value v = Value::dict();
    if (s.socket && s.socket->isOpen()) {
        v.add("local port", Value::integer(s.socket->local().port));
        v.add("local address", Value::string(d.intern(s.socket->local().address.toString())));
        v.add("family", Value::string(net::ngFamilyName(s.socket->local().address.family())));
    }
    if (s.endpoint.valid()) v.add("endpoint", endpointValue(s.endpoint, d));
    if (s.advertised.valid()) v.add("advertised endpoint", endpointValue(s.advertised, d));
    v.add("last packet", Value::integer(s.stats.lastPacket));
    Value& flags = v.add("flags", Value::list());
    flags.push(Value::string(s.isRtcp ? "RTCP" : "RTP"));
    if (s.advertised.valid()) flags.push(Value::string("filled"));
    if (s.confirmed) flags.push(Value::string("confirmed"));
    if (s.strictSource) flags.push(Value::string("strict source address"));
    if (s.mediaHandover) flags.push(Value::string("media handover"));
    (void)m;
    v.add("stats", statsValue(s.stats));
    return v;
}

Value mediaValue(const session::Media& m, bencode::Document& d) {
    Value v = Value::dict();
    v.add("index", Value::integer(m.index));
    v.add("type", Value::string(d.intern(m.type)));
    v.add("protocol", Value::string(d.intern(m.proto)));
    Value& streams = v.add("streams", Value::list());
    streams.push(streamValue(m, m.rtp, d));
    if (!m.rtcpMux) streams.push(streamValue(m, m.rtcp, d));
    Value& flags = v.add("flags", Value::list());
    if (m.initialized) flags.push(Value::string("initialized"));
    if (m.send) flags.push(Value::string("send"));
    if (m.recv) flags.push(Value::string("recv"));
    if (m.rtcpMux) flags.push(Value::string("rtcp-mux"));
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
    bool emptyTagShown = false;
    for (const auto& [key, p] : call.participants) {
        // Answerers of several branches without a to-tag yet: one "" entry.
        if (p->tag.empty()) {
            if (emptyTagShown) continue;
            emptyTagShown = true;
        }
        Value t = Value::dict();
        t.add("tag", Value::string(d.intern(p->tag)));
        if (!p->label.empty()) t.add("label", Value::string(d.intern(p->label)));
        t.add("created", Value::integer(p->created));
        if (p->peer) {
            t.add("in dialogue with", Value::string(d.intern(p->peer->tag)));
            Value sub = Value::dict();
            sub.add("tag", Value::string(d.intern(p->peer->tag)));
            sub.add("type", Value::string("offer/answer"));
            t.add("subscriptions", Value::list()).push(sub);
            t.add("subscribers", Value::list()).push(std::move(sub));
        }
        Value& medias = t.add("medias", Value::list());
        for (const auto& m : p->media) {
            if (!m) continue;
            medias.push(mediaValue(*m, d));
            rtp.packets += m->rtp.stats.packets;
            rtp.bytes += m->rtp.stats.bytes;
            rtp.errors += m->rtp.stats.errors;
            rtcp.packets += m->rtcp.stats.packets;
            rtcp.bytes += m->rtcp.stats.bytes;
            rtcp.errors += m->rtcp.stats.errors;
        }
        tags.add(d.intern(p->tag), std::move(t));
    }
    Value& totals = out.add("totals", Value::dict());
    totals.add("RTP", statsValue(rtp));
    totals.add("RTCP", statsValue(rtcp));
}

}  // namespace ngm::control
