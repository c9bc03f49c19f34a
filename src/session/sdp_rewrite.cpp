#include "session/sdp_rewrite.h"

#include <algorithm>

#include "common/strings.h"

namespace ngm::session {

namespace {

bool isDirection(std::string_view n) {
    return n == "sendrecv" || n == "sendonly" || n == "recvonly" || n == "inactive";
}

// Attributes that rtpengine consumes from a media section and writes itself.
bool isManagedMediaAttr(std::string_view n, const Flags& f) {
    return n == "rtpmap" || n == "fmtp" || n == "rtcp-fb" || n == "ptime" || n == "rtcp" ||
           n == "rtcp-mux" || isDirection(n) || n == "ice-ufrag" || n == "ice-pwd" ||
           n == "ice-options" || n == "ice-lite" || n == "candidate" ||
           n == "remote-candidates" || n == "end-of-candidates" || n == "crypto" ||
           n == "fingerprint" || n == "setup" || n == "tls-id" || n == "rtpengine" ||
           (f.stripExtmap && n == "extmap");
}

bool isManagedSessionAttr(std::string_view n) {
    return n == "ice-ufrag" || n == "ice-pwd" || n == "ice-options" || n == "ice-lite" ||
           n == "fingerprint" || n == "setup" || n == "tls-id" || n == "rtpengine";
}

const char* directionName(bool send, bool recv) {
    if (send && recv) return "sendrecv";
    if (send) return "sendonly";
    if (recv) return "recvonly";
    return "inactive";
}

int codecPayload(std::string_view v, std::string_view& rest) {
    auto sp = v.find(' ');
    auto pt = parseInt<int>(v.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view() : v.substr(sp + 1);
    return pt ? *pt : -1;
}

}  // namespace

bool isRtpProtocol(const std::string& proto) {
    return proto.find("RTP/") != std::string::npos;
}

void readMediaSection(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, Media& media,
                      const Flags& f, const SessionConfig& cfg) {
    media.type = m.m.type;
    media.proto = m.m.proto;
    media.rejected = m.m.port == 0;
    media.initialized = true;

    // Address: media c=, else session c=; `media address`, or the SIP
    // source when addresses are not trusted, override it.
    std::optional<sdp::Connection> conn = m.connection();
    if (!conn) conn = sdp.connection();
    net::IpAddress addr;
    if (conn) {
        if (auto a = net::IpAddress::parse(conn->address)) addr = *a;
    }
    media.zeroAddress = addr.valid() && addr.isAny();
    bool sipSource = (cfg.sipSource || f.sipSourceAddress) && !f.trustAddress;
    if (f.mediaAddress)
        addr = *f.mediaAddress;
    else if (sipSource && f.receivedFrom && !media.zeroAddress)
        addr = *f.receivedFrom;

    media.rtp.advertised = net::Endpoint{addr, (uint16_t)m.m.port};
    media.rtcp.isRtcp = true;
    media.rtcpMuxOffered = m.hasAttr("rtcp-mux");
    net::Endpoint rtcpEp{addr, (uint16_t)(m.m.port ? m.m.port + 1 : 0)};
    if (auto* l = m.findAttr("rtcp")) {
        auto a = sdp::splitAttribute(l->value);
        auto parts = split(a.value, ' ');
        if (auto p = parseInt<uint16_t>(parts[0])) rtcpEp.port = *p;
        if (parts.size() >= 4 && !f.mediaAddress && !sipSource)
            if (auto ra = net::IpAddress::parse(parts[3])) rtcpEp.address = *ra;
    }
    media.rtcp.advertised = rtcpEp;
    if (!media.rtp.endpoint.valid() || !f.portLatching) {
        media.rtp.endpoint = media.rtp.advertised;
        media.rtcp.endpoint = media.rtcp.advertised;
    }

    // Direction
    media.send = media.recv = true;
    media.sdpDirection.clear();
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (isDirection(a.name)) {
            media.sdpDirection = std::string(a.name);
            media.send = a.name == "sendrecv" || a.name == "sendonly";
            media.recv = a.name == "sendrecv" || a.name == "recvonly";
        }
    }
    if (media.sdpDirection.empty()) {
        for (const auto& l : sdp.lines) {
            if (l.type != 'a') continue;
            auto a = sdp::splitAttribute(l.value);
            if (isDirection(a.name)) {
                media.sdpDirection = std::string(a.name);
                media.send = a.name == "sendrecv" || a.name == "sendonly";
                media.recv = a.name == "sendrecv" || a.name == "recvonly";
            }
        }
    }
    // RFC 3264 §8.4: a zero address puts the stream on hold.
    if (media.zeroAddress) media.recv = false;

    // Codecs, in m= order.
    media.codecs.clear();
    media.ptime = 0;
    if (isRtpProtocol(m.m.proto)) {
        for (const auto& fmt : m.m.formats) {
            Codec c;
            c.format = fmt;
            if (auto pt = parseInt<int>(fmt)) {
                c.payloadType = *pt;
                staticPayloadType(*pt, c);
            }
            media.codecs.push_back(std::move(c));
        }
        for (const auto& l : m.lines) {
            if (l.type != 'a') continue;
            auto a = sdp::splitAttribute(l.value);
            std::string_view rest;
            if (a.name == "ptime") {
                if (auto p = parseInt<int>(trim(a.value))) media.ptime = *p;
                continue;
            }
            if (a.name != "rtpmap" && a.name != "fmtp" && a.name != "rtcp-fb") continue;
            int pt = codecPayload(a.value, rest);
            auto it = std::find_if(media.codecs.begin(), media.codecs.end(),
                                   [&](const Codec& c) { return c.payloadType == pt && pt >= 0; });
            if (it == media.codecs.end()) continue;
            if (a.name == "rtpmap") {
                auto parts = split(rest, '/');
                it->encoding = std::string(parts[0]);
                it->clockRate = parts.size() > 1 ? parseInt<int>(parts[1]).value_or(0) : 0;
                it->params = parts.size() > 2 ? std::string(parts[2]) : std::string();
                it->hadRtpmap = true;
            } else if (a.name == "fmtp") {
                it->fmtp = std::string(rest);
            } else {
                it->rtcpFb.emplace_back(rest);
            }
        }
    }
}

CodecList manipulateCodecs(const CodecList& in, const CodecFlags& cf) {
    if (!cf.any()) return in;
    auto matchesAny = [](const Codec& c, const std::vector<std::string>& specs) {
        for (const auto& s : specs)
            if (codecMatches(c, s)) return true;
        return false;
    };
    CodecList out;
    for (const auto& c : in) {
        bool removed = matchesAny(c, cf.strip) || matchesAny(c, cf.mask) || matchesAny(c, cf.consume);
        if (removed && (matchesAny(c, cf.except) || matchesAny(c, cf.offer) ||
                        matchesAny(c, cf.transcode)))
            removed = false;
        if (!removed) out.push_back(c);
    }
    // `offer` reorders: the listed codecs first, in the order given.
    if (!cf.offer.empty()) {
        CodecList front, back;
        for (const auto& spec : cf.offer)
            for (const auto& c : out)
                if (codecMatches(c, spec) &&
                    std::none_of(front.begin(), front.end(),
                                 [&](const Codec& x) { return x.format == c.format; }))
                    front.push_back(c);
        for (const auto& c : out)
            if (std::none_of(front.begin(), front.end(),
                             [&](const Codec& x) { return x.format == c.format; }))
                back.push_back(c);
        out = std::move(front);
        out.insert(out.end(), back.begin(), back.end());
    }
    // Stripping everything is an error: keep the original list.
    if (out.empty()) return in;
    return out;
}

std::string rewriteSdp(const sdp::SessionDescription& in, Participant& from, Participant& to,
                       const Flags& f, const Call& call, const SessionConfig& cfg, bool isOffer) {
    std::string out;
    out.reserve(1024);

    // The first media with ports decides the session-level address.
    const Media* first = nullptr;
    for (auto& m : to.media)
        if (m && m->local) {
            first = m.get();
            break;
        }
    const net::IpAddress* localAddr = first ? &first->local->advertised : nullptr;

    // Session c= is ours when asked, or when some media section relies on it.
    bool replaceSessConn = f.replaceSessionConnection;
    if (!replaceSessConn)
        for (const auto& m : in.media)
            if (!m.find('c')) replaceSessConn = true;

    bool sessionZero = false;
    if (auto c = in.connection())
        if (auto a = net::IpAddress::parse(c->address)) sessionZero = a->isAny();

    for (const auto& l : in.lines) {
        switch (l.type) {
            case 'o': {
                auto o = sdp::Origin::parse(l.value);
                if (!o) break;
                if (f.replaceOrigin && localAddr) {
                    o->addrType = std::string(net::sdpFamilyName(localAddr->family()));
                    o->address = localAddr->toString();
                }
                if (f.replaceUsername) {
                    if (to.outOriginUsername.empty()) to.outOriginUsername = o->username;
                    o->username = to.outOriginUsername;
                }
                if (f.replaceSdpVersion) {
                    // Bumped only when what we send changes; see below.
                    if (!to.outSdpVersion) to.outSdpVersion = parseInt<uint64_t>(o->sessionVersion).value_or(0);
                    o->sessionVersion = "\x01";  // placeholder, filled after the body is known
                }
                sdp::writeLine(out, 'o', o->format());
                continue;
            }
            case 's':
                if (f.replaceSessionName) {
                    if (to.outSessionName.empty()) to.outSessionName = l.value;
                    sdp::writeLine(out, 's', to.outSessionName);
                    continue;
                }
                break;
            case 'c':
                if (replaceSessConn && localAddr && !(sessionZero && !f.replaceZeroAddress)) {
                    auto c = sdp::Connection::parse(l.value);
                    if (c) {
                        c->addrType = std::string(net::sdpFamilyName(localAddr->family()));
                        c->address = localAddr->toString();
                        c->suffix.clear();
                        sdp::writeLine(out, 'c', c->format());
                        continue;
                    }
                }
                break;
            case 'a':
                if (isManagedSessionAttr(sdp::splitAttribute(l.value).name)) continue;
                break;
            default:
                break;
        }
        sdp::writeLine(out, l.type, l.value);
    }
    if (f.loopProtect) sdp::writeLine(out, 'a', "rtpengine:" + cfg.instanceToken);

    for (size_t i = 0; i < in.media.size(); i++) {
        const auto& sm = in.media[i];
        Media* src = from.mediaAt(i);
        Media* dst = to.mediaAt(i);
        sdp::MediaLine ml = sm.m;
        bool rtp = isRtpProtocol(sm.m.proto);
        if (sm.m.port == 0 || !dst || !dst->hasPorts()) {
            // Rejected stream: the m= line alone.
            ml.port = 0;
            sdp::writeLine(out, 'm', ml.format());
            continue;
        }
        const net::IpAddress& adv = dst->local->advertised;
        uint16_t rtpPort = dst->sockets.rtp.local().port;
        uint16_t rtcpPort = dst->sockets.rtcp.local().port;
        ml.port = rtpPort;
        ml.numPorts = sm.m.numPorts;
        CodecList codecs = src ? src->codecs : CodecList{};
        if (rtp) {
            if (isOffer) codecs = manipulateCodecs(codecs, f.codec);
            if (!isOffer && f.singleCodec && codecs.size() > 1) {
                // Keep the first real codec and telephone-event/CN.
                CodecList kept{codecs.front()};
                codecs = std::move(kept);
            }
            ml.formats.clear();
            for (const auto& c : codecs) ml.formats.push_back(c.format);
        }
        sdp::writeLine(out, 'm', ml.format());

        bool mediaZero = false;
        for (const auto& l : sm.lines) {
            if (l.type == 'a') continue;
            if (l.type == 'c') {
                auto c = sdp::Connection::parse(l.value);
                if (c) {
                    auto a = net::IpAddress::parse(c->address);
                    mediaZero = a && a->isAny();
                    if (!(mediaZero && !f.replaceZeroAddress)) {
                        c->addrType = std::string(net::sdpFamilyName(adv.family()));
                        c->address = adv.toString();
                        c->suffix.clear();
                    }
                    sdp::writeLine(out, 'c', c->format());
                    continue;
                }
            }
            sdp::writeLine(out, l.type, l.value);
        }
        if (!rtp) {
            for (const auto& l : sm.lines)
                if (l.type == 'a') sdp::writeLine(out, 'a', l.value);
            continue;
        }
        bool hasMid = false;
        for (const auto& l : sm.lines) {
            if (l.type != 'a') continue;
            auto a = sdp::splitAttribute(l.value);
            if (a.name == "mid") hasMid = true;
            if (isManagedMediaAttr(a.name, f)) continue;
            sdp::writeLine(out, 'a', l.value);
        }
        if (f.generateMid && !hasMid) sdp::writeLine(out, 'a', "mid:" + std::to_string(i + 1));
        for (const auto& c : codecs) {
            if (c.encoding.empty()) continue;
            std::string v = c.format + ' ' + c.rtpmapValue();
            sdp::writeLine(out, 'a', "rtpmap:" + v);
            if (!c.fmtp.empty()) sdp::writeLine(out, 'a', "fmtp:" + c.format + ' ' + c.fmtp);
            for (const auto& fb : c.rtcpFb) sdp::writeLine(out, 'a', "rtcp-fb:" + c.format + ' ' + fb);
        }
        if (src) {
            if (f.originalSendrecv && !src->sdpDirection.empty())
                sdp::writeLine(out, 'a', src->sdpDirection);
            else
                sdp::writeLine(out, 'a', directionName(src->send, src->recv));
        }
        bool mux = dst->rtcpMux;
        bool offerMux = mux || (src && src->rtcpMuxOffered && isOffer &&
                                f.rtcpMux != RtcpMuxMode::Demux && f.rtcpMux != RtcpMuxMode::Reject) ||
                        (isOffer && (f.rtcpMux == RtcpMuxMode::Offer || f.rtcpMux == RtcpMuxMode::Require));
        if (!f.noRtcpAttribute) {
            std::string v = "rtcp:" + std::to_string(mux ? rtpPort : rtcpPort);
            if (f.fullRtcpAttribute) v += std::string(" IN ") + std::string(net::sdpFamilyName(adv.family())) + ' ' + adv.toString();
            sdp::writeLine(out, 'a', v);
        }
        if (offerMux) sdp::writeLine(out, 'a', "rtcp-mux");
        if (src && src->ptime) sdp::writeLine(out, 'a', "ptime:" + std::to_string(src->ptime));
    }

    if (f.replaceSdpVersion) {
        // RFC 4566 §5.2: the version changes only when the description does.
        std::string body = out;
        auto pos = out.find('\x01');
        if (pos != std::string::npos) {
            bool changed = !to.lastSdpOut.empty() && to.lastSdpOut != body;
            if (changed) (*to.outSdpVersion)++;
            to.lastSdpOut = body;
            out.replace(pos, 1, std::to_string(*to.outSdpVersion));
        }
    }
    (void)call;
    return out;
}

}  // namespace ngm::session
