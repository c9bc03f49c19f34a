#include "session/sdp_rewrite.h"

#include <algorithm>
#include <functional>

#include "codec/manipulate.h"
#include "common/strings.h"
#include "session/bundle_negotiation.h"
#include "session/ice_negotiation.h"

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
           n == "setup" || (f.stripExtmap && n == "extmap");
}

bool isManagedSessionAttr(std::string_view n) {
    return n == "ice-ufrag" || n == "ice-pwd" || n == "ice-options" || n == "ice-lite" ||
           n == "fingerprint" || n == "setup" || n == "tls-id";
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

std::optional<std::string_view> knownRtpProtocol(std::string_view proto) {
    // rtpengine knows these profiles by name, in any letter case, and writes
    // them in this spelling; anything else (RTP/AVP/TCP, "RTP/AVP\r", ...)
    // is passed through untouched.
    for (std::string_view known : {"RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF", "UDP/TLS/RTP/SAVP",
                                   "UDP/TLS/RTP/SAVPF"})
        if (iequals(proto, known)) return known;
    return std::nullopt;
}

bool isRtpProtocol(const std::string& proto) { return knownRtpProtocol(proto).has_value(); }

bool hasValidPayloadTypes(const sdp::MediaLine& m) {
    if (!isRtpProtocol(m.proto)) return true;
    for (const auto& pt : m.payloadTypes())
        if (!pt) return false;
    return true;
}

bool isPlainRtpProtocol(std::string_view proto) {
    return proto == "RTP/AVP" || proto == "RTP/AVPF";
}

bool isPassthroughProtocol(const std::string& proto) { return proto == "TCP/MSRP" || proto == "TCP/TLS/MSRP"; }

namespace {

// Where the sender receives: the section's c= (else the session's), its
// port and a=rtcp. `media address` only changes what we write into c=
// lines (see connectionAddress); the endpoint stays the SDP's, as with
// rtpengine, unless the SIP source replaces an untrusted address.
void readEndpoints(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, Media& media,
                   const Flags& f, const SessionConfig& cfg) {
    std::optional<sdp::Connection> conn = m.connection();
    if (!conn) conn = sdp.connection(m.session);
    net::IpAddress addr;
    if (conn) {
        if (auto a = net::IpAddress::parse(conn->address)) addr = *a;
    }
    media.zeroAddress = addr.valid() && addr.isAny();
    if (addr.valid()) media.sdpFamily = addr.family();
    bool sipSource = (cfg.sipSource || f.sipSourceAddress) && !f.trustAddress;
    if (sipSource && f.receivedFrom && !media.zeroAddress)
        addr = *f.receivedFrom;

    net::Endpoint rtpEp{addr, (uint16_t)m.m.port};
    net::Endpoint rtcpEp{addr, (uint16_t)(m.m.port ? m.m.port + 1 : 0)};
    if (auto* l = m.findAttr("rtcp")) {
        auto a = sdp::splitAttribute(l->value);
        auto parts = split(a.value, ' ');
        if (auto p = parseInt<uint16_t>(parts[0])) rtcpEp.port = *p;
        // A zero address there (browsers write "a=rtcp:9 IN IP4 0.0.0.0")
        // names no address: the c= one stays.
        if (parts.size() >= 4 && !sipSource)
            if (auto ra = net::IpAddress::parse(parts[3]); ra && !ra->isAny()) rtcpEp.address = *ra;
    }
    // A new address in the SDP means learning again (re-INVITE to a new
    // endpoint) once applied; the same SDP keeps what the packets taught us.
    media.rtp.editConfig().advertised = rtpEp;
    media.rtcp.editConfig().advertised = rtcpEp;
}

// The media's own direction, overridden by a session-level one unless the
// media's is more restrictive than sendrecv.
void readDirection(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, Media& media) {
    media.send = media.recv = true;
    media.sdpDirection.clear();
    auto applyDirection = [&](std::string_view name) {
        media.sdpDirection = std::string(name);
        media.send = name == "sendrecv" || name == "sendonly";
        media.recv = name == "sendrecv" || name == "recvonly";
    };
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (isDirection(a.name)) applyDirection(a.name);
    }
    if (media.sdpDirection.empty() || media.sdpDirection == "sendrecv") {
        for (const auto& l : sdp.sessionLines(m.session)) {
            if (l.type != 'a') continue;
            auto a = sdp::splitAttribute(l.value);
            if (isDirection(a.name)) applyDirection(a.name);
        }
    }
    media.shownSend = media.recv;
    media.shownRecv = media.send;
    // RFC 3264 §8.4: a zero address puts the stream on hold.
    if (media.zeroAddress) media.recv = false;
}

// Codecs in m= order, with their rtpmap, fmtp and rtcp-fb; and ptime.
void readCodecs(const sdp::MediaSection& m, Media& media) {
    media.codecs.clear();
    media.ptime = 0;
    if (!isRtpProtocol(m.m.proto)) return;
    // Checked by hasValidPayloadTypes() before anything was changed.
    for (const auto& pt : m.m.payloadTypes()) {
        if (!pt) continue;
        codec::Codec c;
        c.format = std::to_string(*pt);
        c.payloadType = *pt;
        codec::staticPayloadType(*pt, c);
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
        if (pt < 0) continue;
        // A payload type listed twice in m= is two entries, and each
        // takes the attribute (rtpengine prints both).
        for (codec::Codec& c : media.codecs) {
            if (c.payloadType != pt) continue;
            if (a.name == "rtpmap") {
                auto parts = split(rest, '/');
                c.encoding = std::string(parts[0]);
                c.clockRate = parts.size() > 1 ? parseInt<int>(parts[1]).value_or(0) : 0;
                c.params = parts.size() > 2 ? std::string(parts[2]) : std::string();
                // One channel is the default: rtpengine writes no "/1"
                // (Firefox writes G722/8000/1).
                if (c.params == "1") c.params.clear();
                c.hadRtpmap = true;
            } else if (a.name == "fmtp") {
                c.fmtp = std::string(rest);
            } else {
                c.rtcpFb.emplace_back(rest);
            }
        }
    }
}

}  // namespace

void readMediaSection(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, Media& media,
                      const Flags& f, const SessionConfig& cfg) {
    media.type = m.m.type;
    media.proto = m.m.proto;
    media.rejected = m.m.port == 0;
    media.initialized = true;
    media.rtcpMuxOffered = m.hasAttr("rtcp-mux");
    media.mid.clear();
    if (auto* l = m.findAttr("mid")) media.mid = std::string(sdp::splitAttribute(l->value).value);
    media.midExtId = midExtensionId(m);
    media.sdpSsrcs = sdpSsrcs(m);
    readEndpoints(sdp, m, media, f, cfg);
    readDirection(sdp, m, media);
    readCodecs(m, media);
    readSdes(m, media.sdes);
    readDtls(sdp, m, media.dtls);
    readIce(sdp, m, media.ice);
}

namespace {

// The address written into c= lines: `media address` when given, else ours.
std::string connectionAddress(const Flags& f, const net::IpAddress& local, std::string& addrType) {
    const net::IpAddress& a = f.mediaAddress ? *f.mediaAddress : local;
    addrType = std::string(net::sdpFamilyName(a.family()));
    return a.toString();
}

void writeConnection(std::string& out, const sdp::Line& original, const Flags& f,
                     const net::IpAddress* local, bool zero) {
    auto c = sdp::Connection::parse(original.value);
    if (!c || !local) {
        sdp::writeLine(out, 'c', original.value, original.bareLf);
        return;
    }
    c->address = connectionAddress(f, *local, c->addrType);
    // A hold keeps its zero address, written in the family of the outgoing
    // side (c=IN IP6 :: towards IPv6), as rtpengine does.
    if (zero && !f.replaceZeroAddress) c->address = c->addrType == "IP6" ? "::" : "0.0.0.0";
    sdp::writeLine(out, 'c', c->format(), original.bareLf);
}

const char* directionOf(const Media& m) {
    bool send = m.send, recv = m.recv;
    return directionName(send, recv);
}

}  // namespace

namespace {

// One SDP being written towards `to`, from what `from` sent.
struct SdpWriter {
    const sdp::SessionDescription& in;
    Participant& from;
    Participant& to;
    const Flags& f;
    const SessionConfig& cfg;
    bool isOffer;
    std::string out;
};

// `force-relay`: the sender's c= and m= stay, we are one more candidate.
bool keepsSenderAddress(const MediaIce& ice) {
    return ice.style == IceStyle::AppendRelay || ice.style == IceStyle::OursRelay;
}

// What the session-level lines of one session say about our address.
struct SessionAddress {
    const net::IpAddress* local = nullptr;  // ours; null when no media has ports
    bool held = false;                      // the first media with ports is on hold
    bool connUsed = false;                  // some media section uses the session c=
};

SessionAddress sessionAddressOf(const SdpWriter& w, size_t sess) {
    const auto& media = w.in.media;
    // The first media with ports decides the session-level address.
    const Media* first = nullptr;
    for (size_t i = 0; i < media.size(); i++) {
        Media* m = w.to.mediaAt(i);
        if (m && m->ports.local() && media[i].m.port != 0 && media[i].session == sess) {
            first = m;
            break;
        }
    }
    SessionAddress a;
    a.local = first ? &first->ports.local()->advertised : nullptr;
    if (first && keepsSenderAddress(first->ice)) a.local = nullptr;
    const Media* firstSrc = first ? w.from.mediaAt(first->index - 1) : nullptr;
    // A held first stream holds the session c= too (its own c= or the
    // session's); the session c= is left as it is when no media section
    // uses it (every one has a c= of its own), as rtpengine does.
    a.held = firstSrc && firstSrc->zeroAddress;
    a.connUsed = std::any_of(media.begin(), media.end(), [&](const sdp::MediaSection& m) {
        return m.session == sess && !m.find('c');
    });
    return a;
}

// o=, with the `replace` flags: origin address, username, session version
// (a placeholder until the body is known, see fillSdpVersion).
void writeOrigin(SdpWriter& w, const sdp::Line& l, const net::IpAddress* local) {
    auto o = sdp::Origin::parse(l.value);
    if (!o) {
        sdp::writeLine(w.out, l.type, l.value, l.bareLf);
        return;
    }
    if (w.f.replaceOrigin && local) {
        o->addrType = std::string(net::sdpFamilyName(local->family()));
        o->address = local->toString();
    }
    if (w.f.replaceUsername) {
        if (w.to.outOriginUsername.empty()) w.to.outOriginUsername = o->username;
        o->username = w.to.outOriginUsername;
    }
    if (w.f.replaceSdpVersion) {
        if (!w.to.outSdpVersion)
            w.to.outSdpVersion = parseInt<uint64_t>(o->sessionVersion).value_or(0);
        o->sessionVersion = "\x01";  // filled in once the body is known
    }
    sdp::writeLine(w.out, 'o', o->format(), l.bareLf);
}

std::string midOf(const SdpWriter& w, size_t i, const Media* src, const Media* dst);

bool offersSharedTransport(const SdpWriter& w) {
    return w.isOffer && (w.to.bundleOffer == Participant::BundleOffer::Require ||
                         w.to.bundleOffer == Participant::BundleOffer::Strict);
}

// BUNDLE towards this side (docs/bundle.md): a=group:BUNDLE with the mids
// of the group's sections, the tagged one first (RFC 9143 §7.1).
void writeBundleGroup(SdpWriter& w, size_t sess) {
    if (sess != 0) return;
    if (!w.to.bundled && !(w.isOffer && w.to.bundleOffer != Participant::BundleOffer::None)) return;
    std::vector<std::string> mids;
    for (size_t i = 0; i < w.in.media.size(); i++) {
        const sdp::MediaSection& sm = w.in.media[i];
        Media* dst = w.to.mediaAt(i);
        if (sm.session != 0 || sm.m.port == 0 || !dst || dst->bundleHead < 0 || !dst->hasPorts()) continue;
        std::string mid = midOf(w, i, w.from.mediaAt(i), dst);
        if (mid.empty()) continue;
        if ((size_t)dst->bundleHead == i)
            mids.insert(mids.begin(), std::move(mid));
        else
            mids.push_back(std::move(mid));
    }
    if (mids.empty()) return;
    std::string v = "group:BUNDLE";
    for (const auto& m : mids) v += ' ' + m;
    sdp::writeLine(w.out, 'a', v);
}

// The session-level lines of one session, in their order, then our
// loop-protection marker.
// The sender's ICE (and so its security and BUNDLE lines) passes through to
// some media section of this session (see keepsSenderIce).
bool passesSenderIce(const SdpWriter& w, size_t sess) {
    for (size_t i = 0; i < w.in.media.size(); i++) {
        const Media* m = w.to.mediaAt(i);
        if (w.in.media[i].session == sess && w.in.media[i].m.port != 0 && m && keepsSenderIce(m->ice.style))
            return true;
    }
    return false;
}

void writeSessionLevel(SdpWriter& w, size_t sess) {
    SessionAddress addr = sessionAddressOf(w, sess);
    bool haveOwnToken = false;
    const bool passIce = passesSenderIce(w, sess);
    for (const auto& l : w.in.sessionLines(sess)) {
        switch (l.type) {
            case 'o':
                writeOrigin(w, l, addr.local);
                continue;
            case 's':
                if (w.f.replaceSessionName) {
                    if (w.to.outSessionName.empty()) w.to.outSessionName = l.value;
                    sdp::writeLine(w.out, 's', w.to.outSessionName, l.bareLf);
                    continue;
                }
                break;
            case 'c':
                writeConnection(w.out, l, w.f, addr.connUsed ? addr.local : nullptr, addr.held);
                continue;
            case 'a': {
                auto a = sdp::splitAttribute(l.value);
                bool passed = passIce && (a.name == "group" || a.name == "fingerprint" || a.name == "setup" ||
                                          a.name == "tls-id");
                if (!passed && (isManagedSessionAttr(a.name) || isDirection(a.name) || a.name == "group" ||
                                (w.f.stripExtmap && a.name == "extmap")))
                    continue;
                if (a.name == "rtpengine" && a.value == w.cfg.instanceToken) haveOwnToken = true;
                break;
            }
            default:
                break;
        }
        sdp::writeLine(w.out, l.type, l.value, l.bareLf);
    }
    if (!passIce) writeBundleGroup(w, sess);
    if (w.f.loopProtect && !haveOwnToken)
        sdp::writeLine(w.out, 'a', "rtpengine:" + w.cfg.instanceToken);
    // ICE-lite towards this side: one a=ice-lite for the session (RFC 8839 §5.3).
    for (size_t i = 0; i < w.in.media.size(); i++) {
        const Media* m = w.to.mediaAt(i);
        if (w.in.media[i].session == sess && w.in.media[i].m.port != 0 && m &&
            m->ice.style != IceStyle::None && m->ice.liteSelf) {
            sdp::writeLine(w.out, 'a', "ice-lite");
            break;
        }
    }
}

// MSRP runs over TCP and is not relayed: the section goes out as received,
// with the sender's address spelled out because the session c= now points
// at us. rtpengine ends that c= line with a bare LF; we write the same bytes.
void writePassthroughSection(SdpWriter& w, const sdp::MediaSection& sm, const sdp::MediaLine& ml) {
    sdp::writeLine(w.out, 'm', ml.format(), sm.mBareLf);
    if (!sm.find('c')) {
        if (auto c = w.in.connection(sm.session)) sdp::writeLine(w.out, 'c', c->format(), true);
    }
    for (const auto& l : sm.lines) sdp::writeLine(w.out, l.type, l.value, l.bareLf);
}

// The offerer's mid names the section in both directions: an offer carries
// the sender's (or, with `generate mid`, its 1-based index), an answer the
// one its receiver offered, never the answerer's own nor a generated one
// (as rtpengine does).
std::string midOf(const SdpWriter& w, size_t i, const Media* src, const Media* dst) {
    std::string mid;
    if (w.isOffer) {
        if (src) mid = src->mid;
        // A bundled section needs a mid to be named in the group.
        bool grouped = dst && dst->bundleHead >= 0 &&
                       (w.to.bundled || w.to.bundleOffer != Participant::BundleOffer::None);
        // A re-offer to a bundled participant names the sections as it did.
        if (mid.empty() && grouped && w.to.bundled) mid = dst->mid;
        if (mid.empty() && (w.f.generateMid || grouped)) mid = std::to_string(i + 1);
    } else if (dst) {
        mid = dst->mid;
    }
    return mid;
}

// Each side keeps its own profile: an offer goes out with the sender's (or
// `transport protocol`), an answer with the one its receiver offered (or
// `transport protocol`), whatever the answerer wrote (as rtpengine does).
// `transport protocol=accept` in an answer: the answerer's profile goes back.
void chooseProfile(const SdpWriter& w, const Media* src, const Media& dst, sdp::MediaLine& ml) {
    if (!isRtpProtocol(dst.proto)) return;
    if (auto tp = knownRtpProtocol(w.f.transportProtocol))
        ml.proto = *tp;
    else if (!w.isOffer && w.f.transportProtocol == "accept" && src && isRtpProtocol(src->proto))
        ml.proto = *knownRtpProtocol(src->proto);
    else if (!w.isOffer)
        ml.proto = dst.proto;
}

// The codecs written towards `dst`: the sender's, as the ng `codec` flags
// and the offer this answers allow; an offer's become what `dst` may answer.
codec::CodecList outgoingCodecs(const SdpWriter& w, const Media* src, Media& dst) {
    codec::CodecList codecs = src ? src->codecs : codec::CodecList{};
    // An answer keeps only what was offered to its sender: the same
    // payload type for the same codec (as rtpengine does).
    if (!w.isOffer && src && src->offeredCodecs)
        codecs = codec::offeredOnly(codecs, *src->offeredCodecs);
    codecs = codec::manipulateCodecs(codecs, w.f.codec);
    if (!w.isOffer && !dst.maskSpecs.empty()) {
        codec::CodecFlags masked;
        masked.strip = dst.maskSpecs;
        codecs = codec::manipulateCodecs(codecs, masked);
    }
    if (!w.isOffer && w.f.singleCodec) codecs = codec::firstCodecAndDtmf(codecs);
    if (w.isOffer) dst.offeredCodecs = codecs;
    return codecs;
}

// Non-RTP media keep their attributes; the direction goes last.
void writeNonRtpAttributes(SdpWriter& w, const sdp::MediaSection& sm, const Media* src) {
    bool tcp = sm.m.proto.find("TCP") != std::string::npos;
    for (const auto& l : sm.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (isDirection(a.name) || (tcp && a.name == "setup")) continue;
        sdp::writeLine(w.out, 'a', l.value);
    }
    if (src) sdp::writeLine(w.out, 'a', directionOf(*src));
}

// The received attributes that pass through: everything rtpengine does not
// consume and write itself.
// `optional` and `force-relay` keep the sender's own ICE lines (without its
// relay candidates for `force-relay`).
bool keptIceAttribute(const sdp::Attribute& a, IceStyle style) {
    if (style != IceStyle::AppendHost && style != IceStyle::AppendRelay) return false;
    if (a.name == "ice-ufrag" || a.name == "ice-pwd" || a.name == "ice-options") return true;
    if (a.name != "candidate") return false;
    if (style == IceStyle::AppendHost) return true;
    auto c = parseIceCandidate(a.value);
    return !c || !iequals(c->type, "relay");
}

// With the sender's ICE kept, its security lines stay where they were; with
// its address kept too (`force-relay`), its a=rtcp and a=rtcp-mux.
bool keptTransportAttribute(const sdp::Attribute& a, const Media& dst) {
    if (!keepsSenderIce(dst.ice.style)) return false;
    if (a.name == "crypto" || a.name == "fingerprint" || a.name == "setup" || a.name == "tls-id") return true;
    return keepsSenderAddress(dst.ice) && (a.name == "rtcp" || a.name == "rtcp-mux");
}

void writeKeptAttributes(SdpWriter& w, const sdp::MediaSection& sm, const Media& dst) {
    for (const auto& l : sm.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name == "mid") continue;
        if (keptTransportAttribute(a, dst)) {
            sdp::writeLine(w.out, 'a', l.value);
            continue;
        }
        // Our group decides which sections are bundle-only.
        if (a.name == "bundle-only" && w.f.bundle.any()) continue;
        if (keptIceAttribute(a, dst.ice.style)) {
            sdp::writeLine(w.out, 'a', l.value);
            continue;
        }
        if (a.name == "rtcp-fb" && a.value.substr(0, 1) == "*") {
            sdp::writeLine(w.out, 'a', l.value);
            continue;
        }
        if (isDirection(a.name) && w.f.originalSendrecv) {
            sdp::writeLine(w.out, 'a', l.value);
            continue;
        }
        if ((a.name == "rtpmap" || a.name == "fmtp" || a.name == "rtcp-fb") &&
            !parseInt<int>(a.value.substr(0, a.value.find(' ')))) {
            sdp::writeLine(w.out, 'a', l.value);  // malformed: passed through
            continue;
        }
        if (isManagedMediaAttr(a.name, w.f)) continue;
        // A fingerprint that does not parse is not consumed (rtpengine).
        if (a.name == "fingerprint" && isConsumedFingerprint(a.value)) continue;
        sdp::writeLine(w.out, 'a', l.value);
    }
}

void writeCodecAttributes(SdpWriter& w, const codec::CodecList& codecs) {
    for (const auto& c : codecs) {
        if (c.encoding.empty() && c.payloadType < 0) continue;
        sdp::writeLine(w.out, 'a',
                       "rtpmap:" + c.format + ' ' +
                           (c.encoding.empty() ? std::string("/0") : c.rtpmapValue()));
        if (!c.fmtp.empty()) sdp::writeLine(w.out, 'a', "fmtp:" + c.format + ' ' + c.fmtp);
        for (const auto& fb : c.rtcpFb)
            sdp::writeLine(w.out, 'a', "rtcp-fb:" + c.format + ' ' + fb);
    }
}

// a=rtcp and a=rtcp-mux (RFC 5761), see Media::rtcpMux and
// CallStore::negotiateMedia.
void writeRtcpAttributes(SdpWriter& w, const Media& dst) {
    bool muxNow = dst.rtcpMux;       // mux agreed with this side: one port
    bool offerMux = dst.rtcpMuxOut;  // advertise a=rtcp-mux
    if (!w.f.noRtcpAttribute) {
        const net::SocketPair& ports = dst.ports.sockets();
        std::string v = "rtcp:" + std::to_string((muxNow ? ports.rtp : ports.rtcp).local().port);
        if (w.f.fullRtcpAttribute) {
            std::string type;
            // Our address even on hold (zero c=), as rtpengine writes it.
            std::string addr = connectionAddress(w.f, dst.ports.local()->advertised, type);
            v += " IN " + type + ' ' + addr;
        }
        sdp::writeLine(w.out, 'a', v);
    }
    if (offerMux) sdp::writeLine(w.out, 'a', "rtcp-mux");
}

// Our ICE lines at the end of a section (see session/ice_negotiation.h),
// and a=end-of-candidates.
void writeIceAttributes(SdpWriter& w, const Media* src, const Media& dst) {
    const MediaIce& ice = dst.ice;
    bool trickle = ice.trickle || ice.peerTrickle;
    if (ice.style != IceStyle::None) {
        if (ice.style == IceStyle::Ours || ice.style == IceStyle::OursRelay) {
            sdp::writeLine(w.out, 'a', "ice-ufrag:" + ice.ufrag);
            sdp::writeLine(w.out, 'a', "ice-pwd:" + ice.pwd);
            if (trickle) sdp::writeLine(w.out, 'a', "ice-options:trickle");
        }
        std::vector<IceLocalAddress> addrs;
        const net::SocketPair& own = dst.ports.sockets();
        addrs.push_back({dst.ports.local()->advertised, own.rtp.local().port, own.rtcp.local().port,
                         dst.ports.local()->advertised});
        for (const auto& p : dst.iceExtraPorts)
            addrs.push_back({p.local->advertised, p.sockets.rtp.local().port,
                             p.sockets.rtcp.local().port, p.local->advertised});
        // `media address` stands for ours in the candidates of its family,
        // as in c= (rtpengine 10.5).
        if (w.f.mediaAddress)
            for (IceLocalAddress& a : addrs)
                if (a.advertised.family() == w.f.mediaAddress->family()) a.advertised = *w.f.mediaAddress;
        static const std::vector<IceCandidate> kNone;
        for (const std::string& c :
             localCandidates(ice, addrs, dst.rtcpMux ? 1 : 2, src ? src->ice.peerCandidates : kNone))
            sdp::writeLine(w.out, 'a', "candidate:" + c);
    }
    // Appended to the sender's candidates, ours do not end its trickling.
    bool ownTrickle = trickle && ice.style != IceStyle::None && !keepsSenderIce(ice.style);
    if ((src && src->ice.peerEndOfCandidates) || ownTrickle)
        sdp::writeLine(w.out, 'a', "end-of-candidates");
}

// A media section with our ports: m= line, other lines (c=), attributes,
// mid, codecs, direction, rtcp, ptime.
// `head`: a section of a BUNDLE group written with the tagged section's
// transport (its port and address, RFC 9143 §7); the transport's own
// attributes (a=rtcp, ICE, DTLS, SDES) are the tagged section's alone.
void writeRelayedSection(SdpWriter& w, const sdp::MediaSection& sm, sdp::MediaLine ml,
                         const std::string& mid, const Media* src, Media& dst,
                         const Media* head = nullptr) {
    bool rtp = knownRtpProtocol(sm.m.proto).has_value();
    bool keepAddress = rtp && keepsSenderAddress(dst.ice) && !head;
    const Media& transport = head ? *head : dst;
    bool bundleOnly = head && offersSharedTransport(w);
    if (!keepAddress) ml.port = transport.ports.sockets().rtp.local().port;
    // RFC 9143 §7.2.1 (`strict`): bundle-only sections carry port 0.
    if (bundleOnly && w.to.bundleOffer == Participant::BundleOffer::Strict) ml.port = 0;
    if (rtp) chooseProfile(w, src, dst, ml);
    codec::CodecList codecs;
    if (rtp) {
        codecs = outgoingCodecs(w, src, dst);
        ml.formats.clear();
        for (const auto& c : codecs) ml.formats.push_back(c.format);
        // No codecs: the space after the protocol stays if it was there.
        if (ml.formats.empty() && !sm.m.formats.empty()) ml.formats.emplace_back();
    }
    sdp::writeLine(w.out, 'm', ml.format(), sm.mBareLf);

    bool zero = src && src->zeroAddress;
    for (const auto& l : sm.lines) {
        if (l.type == 'a') continue;
        if (l.type == 'c' && !keepAddress)
            writeConnection(w.out, l, w.f, &transport.ports.local()->advertised, zero);
        else
            sdp::writeLine(w.out, l.type, l.value, l.bareLf);
    }
    if (!rtp) {
        writeNonRtpAttributes(w, sm, src);
        return;
    }
    writeKeptAttributes(w, sm, dst);
    // RFC 8285 §6: what we send into a bundle carries the MID header
    // extension the participant offered (media/bundle.h), so the answer to
    // it names that extension even when the answerer's SDP did not.
    if (!w.isOffer && w.to.bundled && !mid.empty() && dst.midExtId && !w.f.stripExtmap &&
        midExtensionId(sm) == 0)
        sdp::writeLine(w.out, 'a',
                       "extmap:" + std::to_string(dst.midExtId) + " urn:ietf:params:rtp-hdrext:sdes:mid");
    if (!mid.empty()) sdp::writeLine(w.out, 'a', "mid:" + mid);
    if (bundleOnly) sdp::writeLine(w.out, 'a', "bundle-only");
    writeCodecAttributes(w, codecs);
    if (src && !(w.f.originalSendrecv && !src->sdpDirection.empty()))
        sdp::writeLine(w.out, 'a', directionOf(*src));
    if (head) {
        sdp::writeLine(w.out, 'a', "rtcp-mux");
        // The DTLS attributes (the tagged section's association) go into
        // every section of a bundled answer: RFC 8843 §7.3.1 would keep
        // them in the tagged one, but Firefox ESR 153's content process
        // crashes (SIGSEGV) on an answer whose other sections carry no
        // a=fingerprint (seen with tests/e2e/run_browser.sh firefox
        // bundle); Chromium writes them in every section itself.
        if (!w.isOffer)
            for (const std::string& a : dtlsAttributes(head->dtls, false, w.cfg.dtlsCert.get()))
                sdp::writeLine(w.out, 'a', a);
        int ptime = src ? src->ptime : 0;
        if (!ptime && !w.isOffer) ptime = dst.ptime;
        if (ptime) sdp::writeLine(w.out, 'a', "ptime:" + std::to_string(ptime));
        return;
    }
    if (!keepAddress) writeRtcpAttributes(w, dst);
    for (const std::string& a : cryptoAttributes(dst.sdes, w.isOffer)) sdp::writeLine(w.out, 'a', a);
    for (const std::string& a : dtlsAttributes(dst.dtls, w.isOffer, w.cfg.dtlsCert.get()))
        sdp::writeLine(w.out, 'a', a);
    int ptime = src ? src->ptime : 0;
    if (!ptime && !w.isOffer) ptime = dst.ptime;  // the offer's ptime carries over
    if (ptime) sdp::writeLine(w.out, 'a', "ptime:" + std::to_string(ptime));
    writeIceAttributes(w, src, dst);
}

// Media section i: passed through, rejected (port 0), or relayed.
void writeMediaSection(SdpWriter& w, size_t i) {
    const auto& sm = w.in.media[i];
    Media* src = w.from.mediaAt(i);
    Media* dst = w.to.mediaAt(i);
    sdp::MediaLine ml = sm.m;
    if (auto rtpProfile = knownRtpProtocol(sm.m.proto)) ml.proto = *rtpProfile;
    if (isPassthroughProtocol(sm.m.proto) && sm.m.port != 0) {
        writePassthroughSection(w, sm, ml);
        return;
    }
    std::string mid = midOf(w, i, src, dst);
    if (sm.m.port == 0 || !dst || !dst->hasPorts()) {
        // Rejected stream: the m= line and its mid alone.
        ml.port = 0;
        sdp::writeLine(w.out, 'm', ml.format(), sm.mBareLf);
        if (!mid.empty()) sdp::writeLine(w.out, 'a', "mid:" + mid);
        return;
    }
    // A section of a BUNDLE group on the tagged section's transport.
    const Media* head = nullptr;
    if (dst->bundleHead >= 0 && (size_t)dst->bundleHead != i && (w.to.bundled || offersSharedTransport(w)))
        if (Media* h = w.to.mediaAt((size_t)dst->bundleHead); h && h->hasPorts()) head = h;
    writeRelayedSection(w, sm, std::move(ml), mid, src, *dst, head);
}

// RFC 4566 §5.2: the version changes only when the description does. Every
// session of the body gets the same version (rtpengine's).
void fillSdpVersion(std::string& out, Participant& to) {
    auto pos = out.find('\x01');
    if (pos == std::string::npos) return;
    // A hash of what was written stands for the text (a collision, 2^-64,
    // would only keep the version).
    const uint64_t body = std::hash<std::string_view>{}(out);
    if (to.lastSdpOutHash && *to.lastSdpOutHash != body) (*to.outSdpVersion)++;
    to.lastSdpOutHash = body;
    std::string version = std::to_string(*to.outSdpVersion);
    for (; pos != std::string::npos; pos = out.find('\x01', pos + version.size()))
        out.replace(pos, 1, version);
}

}  // namespace

std::string rewriteSdp(const sdp::SessionDescription& in, Participant& from, Participant& to,
                       const Flags& f, const Call& call, const SessionConfig& cfg, bool isOffer) {
    (void)call;
    SdpWriter w{in, from, to, f, cfg, isOffer, {}};
    w.out.reserve(1024);
    // Each session of the body (usually one) is rewritten on its own; the
    // per-participant `replace` state spans them all.
    for (size_t sess = 0; sess < in.sessionCount(); sess++) {
        writeSessionLevel(w, sess);
        for (size_t i = 0; i < in.media.size(); i++)
            if (in.media[i].session == sess) writeMediaSection(w, i);
    }
    if (f.replaceSdpVersion) fillSdpVersion(w.out, to);
    return std::move(w.out);
}

}  // namespace ngm::session
