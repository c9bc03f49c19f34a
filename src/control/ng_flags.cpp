#include "control/ng_flags.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "common/log.h"
#include "common/strings.h"

namespace ngm::control {

namespace {

using bencode::Value;
using session::Flags;
using session::RtcpMuxMode;

// ng keys and flags may use spaces, hyphens or underscores between words.
std::string normalize(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c == '-' || c == '_') c = ' ';
    return out;
}

}  // namespace

std::string_view mediaEchoMode(std::string_view value) {
    for (std::string_view v : {"forward", "fwd", "fw"})
        if (value == v) return "forward";
    for (std::string_view v : {"backwards", "backward", "bkw", "back", "reverse"})
        if (value == v) return "backwards";
    if (value == "both") return "both";
    if (value == "blackhole" || value == "sinkhole") return "blackhole";
    return {};
}

namespace {

void addNotImplemented(Flags& f, std::string what) {
    for (const auto& n : f.notImplemented)
        if (n == what) return;
    f.notImplemented.push_back(std::move(what));
}

std::optional<std::string> typeError(std::string_view key, const char* expected) {
    return "Invalid type for key '" + std::string(key) + "': expected " + expected;
}

// String, or an integer given where a string is expected (rtpengine accepts both).
std::optional<std::string> getString(const Value& v, std::string_view key, std::string& out) {
    if (v.isString()) {
        out = std::string(v.str());
        return std::nullopt;
    }
    if (v.isInteger()) {
        out = std::to_string(v.integer());
        return std::nullopt;
    }
    return typeError(key, "string");
}

std::optional<std::string> getInt(const Value& v, std::string_view key, int64_t& out) {
    if (v.isInteger()) {
        out = v.integer();
        return std::nullopt;
    }
    if (v.isString()) {
        if (auto i = parseInt<int64_t>(trim(v.str()))) {
            out = *i;
            return std::nullopt;
        }
    }
    return typeError(key, "integer");
}

// A list of strings; a single string counts as a one-element list.
std::optional<std::string> forEachString(const Value& v, std::string_view key,
                                         const std::function<std::optional<std::string>(std::string_view)>& fn) {
    if (v.isString()) return fn(v.str());
    if (!v.isList()) return typeError(key, "list of strings");
    for (const auto& item : v.items()) {
        if (!item.isString()) return typeError(key, "list of strings");
        if (auto e = fn(item.str())) return e;
    }
    return std::nullopt;
}

std::optional<std::string> applyReplace(Flags& f, std::string_view item) {
    std::string n = normalize(item);
    if (n == "origin") f.replaceOrigin = true;
    else if (n == "session connection") f.replaceSessionConnection = true;
    else if (n == "SDP version" || n == "sdp version") f.replaceSdpVersion = true;
    else if (n == "username") f.replaceUsername = true;
    else if (n == "session name") f.replaceSessionName = true;
    else if (n == "zero address") f.replaceZeroAddress = true;
    else if (n == "force increment sdp ver" || n == "origin full") addNotImplemented(f, "replace " + n);
    // Unknown replace items are ignored, as rtpengine does.
    return std::nullopt;
}

std::optional<std::string> applyRtcpMux(Flags& f, std::string_view item) {
    std::string n = normalize(item);
    RtcpMuxMode m;
    if (n == "offer") m = RtcpMuxMode::Offer;
    else if (n == "require") m = RtcpMuxMode::Require;
    else if (n == "demux") m = RtcpMuxMode::Demux;
    else if (n == "accept") m = RtcpMuxMode::Accept;
    else if (n == "reject") m = RtcpMuxMode::Reject;
    else return std::nullopt;
    f.rtcpMuxList.push_back(m);
    // reject wins over offer/accept when both are given
    if (f.rtcpMux == RtcpMuxMode::Default || m == RtcpMuxMode::Reject || m == RtcpMuxMode::Require ||
        m == RtcpMuxMode::Demux)
        f.rtcpMux = m;
    return std::nullopt;
}

std::vector<std::string>* codecList(Flags& f, std::string_view which) {
    auto& c = f.codec;
    if (which == "strip") return &c.strip;
    if (which == "except") return &c.except;
    if (which == "offer") return &c.offer;
    if (which == "transcode") return &c.transcode;
    if (which == "mask") return &c.mask;
    if (which == "consume") return &c.consume;
    if (which == "accept") return &c.accept;
    if (which == "set") return &c.set;
    return nullptr;
}

void noteCodecCapability(Flags& f, std::string_view which) {
    if (which == "transcode" || which == "consume" || which == "accept" || which == "set")
        addNotImplemented(f, "codec " + std::string(which) + " (transcoding)");
}

std::optional<std::string> applyKeyValue(Flags& f, std::string_view key, const Value& v);

std::optional<std::string> applyFlag(Flags& f, std::string_view raw) {
    // key=value inside the flags list
    if (auto eq = raw.find('='); eq != std::string_view::npos) {
        Value v = Value::string(raw.substr(eq + 1));
        return applyKeyValue(f, raw.substr(0, eq), v);
    }
    // Prefix forms: codec-strip-PCMA, SDES-off, ...
    auto prefixed = [&](std::string_view prefix, std::string_view& rest) {
        if (raw.size() > prefix.size() && raw.substr(0, prefix.size()) == prefix) {
            rest = raw.substr(prefix.size());
            return true;
        }
        return false;
    };
    std::string_view rest;
    if (prefixed("codec-", rest) || prefixed("codec ", rest)) {
        auto dash = rest.find_first_of("- ");
        if (dash == std::string_view::npos) return std::nullopt;
        auto which = rest.substr(0, dash);
        if (auto* list = codecList(f, which)) {
            list->emplace_back(rest.substr(dash + 1));
            noteCodecCapability(f, which);
        }
        return std::nullopt;
    }
    if (prefixed("SDES-", rest) || prefixed("SDES ", rest)) {
        f.sdes.emplace_back(rest);
        addNotImplemented(f, "SDES");
        return std::nullopt;
    }
    if (prefixed("OSRTP-", rest)) {
        f.osrtp.emplace_back(rest);
        addNotImplemented(f, "OSRTP");
        return std::nullopt;
    }
    // `replace-origin`, `rtcp-mux-demux` and the like are no flags to
    // rtpengine 10.5: as items of `flags` they change nothing (the SIP
    // proxy's module turns them into the `replace` and `rtcp-mux` lists).
    if (prefixed("replace-", rest) || prefixed("replace ", rest) || prefixed("rtcp-mux-", rest))
        return std::nullopt;
    if (prefixed("T38-", rest) || prefixed("T.38-", rest)) {
        f.t38.emplace_back(rest);
        addNotImplemented(f, "T.38");
        return std::nullopt;
    }

    std::string n = normalize(raw);
    if (n == "SIP source address") f.sipSourceAddress = true;
    else if (n == "trust address") f.trustAddress = true;
    else if (n == "symmetric") f.symmetric = true;
    else if (n == "asymmetric") f.asymmetric = true;
    else if (n == "unidirectional") f.unidirectional = true;
    else if (n == "strict source") f.strictSource = true;
    else if (n == "media handover") f.mediaHandover = true;
    else if (n == "reset") f.reset = true;
    else if (n == "port latching") f.portLatching = true;
    else if (n == "no port latching") f.noPortLatching = true;
    else if (n == "record call") { f.recordCall = "yes"; addNotImplemented(f, "record call"); }
    else if (n == "no rtcp attribute") f.noRtcpAttribute = true;
    else if (n == "full rtcp attribute") f.fullRtcpAttribute = true;
    else if (n == "loop protect") f.loopProtect = true;
    else if (n == "always transcode") { f.alwaysTranscode = true; addNotImplemented(f, "always transcode"); }
    else if (n == "single codec") f.singleCodec = true;
    else if (n == "reuse codecs" || n == "no codec renegotiation") f.reuseCodecs = true;
    else if (n == "allow transcoding") f.allowTranscoding = true;
    else if (n == "all") f.all = true;
    else if (n == "pad crypto") { f.sdes.emplace_back("pad"); addNotImplemented(f, "SDES"); }
    else if (n == "generate mid") f.generateMid = true;
    else if (n == "strip extmap") f.stripExtmap = true;
    else if (n == "original sendrecv") f.originalSendrecv = true;
    else if (n == "inject DTMF") { f.injectDtmf = true; addNotImplemented(f, "inject DTMF"); }
    else if (n == "generate RTCP") { f.generateRtcp = "on"; addNotImplemented(f, "generate RTCP"); }
    else if (n == "debug" || n == "debugging") f.debug = true;
    else if (n == "pierce NAT") f.pierceNat = true;
    else if (n == "NAT wait") f.natWait = true;
    else if (n == "trickle ICE") { f.trickleIce = true; addNotImplemented(f, "trickle ICE"); }
    else if (n == "fatal") f.fatal = true;
    else if (n == "load limit") f.loadLimitSupported = true;
    else if (n == "ICE reject" || n == "ICE remove") f.ice = "remove";
    else if (n == "ICE force") { f.ice = "force"; addNotImplemented(f, "ICE"); }
    // Unknown flags are ignored, as rtpengine does (it only logs them).
    return std::nullopt;
}

std::optional<std::string> applyKeyValue(Flags& f, std::string_view rawKey, const Value& v) {
    std::string key = normalize(rawKey);
    std::string s;
    int64_t i = 0;
    // A call-id or tag that is not a string counts as missing, so the reply
    // names the key ("No call-id in message"), as rtpengine's does.
    if (key == "call id" || key == "from tag" || key == "to tag") {
        std::string& dst = key == "call id" ? f.callId : key == "from tag" ? f.fromTag : f.toTag;
        if (v.isString()) dst = std::string(v.str());
        return std::nullopt;
    }
    if (key == "via branch") return getString(v, rawKey, f.viaBranch);
    if (key == "label" || key == "from label") return getString(v, rawKey, f.label);
    if (key == "set label" || key == "to label") return getString(v, rawKey, f.setLabel);
    if (key == "sdp") {
        if (!v.isString()) return std::nullopt;  // "No SDP body in message"
        f.sdp = std::string(v.str());
        f.hasSdp = true;
        return std::nullopt;
    }
    // List- and dictionary-valued keys of the wrong type are ignored, as
    // rtpengine ignores them (documented in docs/compatibility.md).
    bool listKey = key == "flags" || key == "replace" || key == "supports" || key == "rtcp mux" ||
                   key == "direction" || key == "SDES" || key == "OSRTP" || key == "T.38" || key == "T38";
    if (listKey && !v.isList()) return std::nullopt;
    if (key == "codec" && !v.isDict()) return std::nullopt;
    if (key == "flags") return forEachString(v, rawKey, [&](std::string_view x) { return applyFlag(f, x); });
    if (key == "replace") return forEachString(v, rawKey, [&](std::string_view x) { return applyReplace(f, x); });
    if (key == "supports")
        return forEachString(v, rawKey, [&](std::string_view x) {
            if (normalize(x) == "load limit") f.loadLimitSupported = true;
            return std::optional<std::string>();
        });
    if (key == "rtcp mux") return forEachString(v, rawKey, [&](std::string_view x) { return applyRtcpMux(f, x); });
    if (key == "direction") {
        if (!v.isList()) return typeError(rawKey, "list of strings");
        f.direction.clear();
        for (const auto& item : v.items()) {
            if (!item.isString()) return typeError(rawKey, "list of strings");
            f.direction.emplace_back(item.str());
        }
        if (f.direction.size() > 2) return std::string("Too many elements in 'direction' (at most 2)");
        return std::nullopt;
    }
    if (key == "interface") return getString(v, rawKey, f.interface);
    if (key == "received from") {
        if (!v.isList() || v.items().size() != 2 || !v.items()[0].isString() || !v.items()[1].isString())
            return std::string("Invalid 'received from' (expected a list of family and address)");
        auto a = net::IpAddress::parse(v.items()[1].str());
        if (!a) return "Invalid address in 'received from': '" + std::string(v.items()[1].str()) + "'";
        f.receivedFrom = *a;
        return std::nullopt;
    }
    if (key == "media address") {
        if (auto e = getString(v, rawKey, s)) return e;
        auto a = net::IpAddress::parse(s);
        if (!a) return "Invalid address in 'media address': '" + s + "'";
        f.mediaAddress = *a;
        return std::nullopt;
    }
    if (key == "address") {
        if (auto e = getString(v, rawKey, s)) return e;
        auto a = net::IpAddress::parse(s);
        if (!a) return "Invalid address in 'address': '" + s + "'";
        f.address = *a;
        return std::nullopt;
    }
    if (key == "address family") {
        if (auto e = getString(v, rawKey, s)) return e;
        if (s == "IP4") f.addressFamily = net::Family::V4;
        else if (s == "IP6") f.addressFamily = net::Family::V6;
        else return "Invalid 'address family': '" + s + "' (expected IP4 or IP6)";
        return std::nullopt;
    }
    if (key == "TOS") {
        if (auto e = getInt(v, rawKey, i)) return e;
        f.tosGiven = true;
        f.tos = (int)std::clamp<int64_t>(i, -1, 256);
        return std::nullopt;
    }
    if (key == "delete delay") {
        if (auto e = getInt(v, rawKey, i)) return e;
        if (i < 0) return std::string("Invalid 'delete delay': must not be negative");
        f.deleteDelay = (int)std::min<int64_t>(i, 1 << 30);
        return std::nullopt;
    }
    if (key == "limit") {
        // As rtpengine: what is not a number leaves the default; the range
        // is checked by `list` itself, the only command that reads it.
        if (!getInt(v, rawKey, i)) f.limit = i;
        return std::nullopt;
    }
    if (key == "drop traffic") {
        if (auto e = getString(v, rawKey, s)) return e;
        if (s != "start" && s != "stop") return "Invalid 'drop-traffic': '" + s + "'";
        if (f.dropTraffic != "stop") f.dropTraffic = s;  // stop wins
        return std::nullopt;
    }
    if (key == "media echo") {
        if (auto e = getString(v, rawKey, s)) return e;
        // The forms rtpengine 10.5 takes (diff scenario media_echo_values);
        // anything else is logged and ignored, as it does.
        std::string_view mode = mediaEchoMode(s);
        if (mode.empty())
            NGM_LOG(log::Warning, f.callId, "Unknown 'media-echo' value ignored: '%s'", s.c_str());
        else
            f.mediaEcho = std::string(mode);
        return std::nullopt;
    }
    if (key == "ICE") {
        if (auto e = getString(v, rawKey, f.ice)) return e;
        if (f.ice != "remove" && f.ice != "default") addNotImplemented(f, "ICE");
        return std::nullopt;
    }
    if (key == "ICE lite") { addNotImplemented(f, "ICE-lite"); return getString(v, rawKey, f.iceLite); }
    if (key == "transport protocol") {
        if (auto e = getString(v, rawKey, f.transportProtocol)) return e;
        // Between the plain profiles it is done; the secure ones need SRTP.
        if (f.transportProtocol != "RTP/AVP" && f.transportProtocol != "RTP/AVPF")
            addNotImplemented(f, "transport protocol");
        return std::nullopt;
    }
    if (key == "DTLS") { addNotImplemented(f, "DTLS"); return getString(v, rawKey, f.dtls); }
    if (key == "DTLS reverse") { addNotImplemented(f, "DTLS"); return getString(v, rawKey, f.dtlsReverse); }
    if (key == "DTLS fingerprint") { addNotImplemented(f, "DTLS"); return getString(v, rawKey, f.dtlsFingerprint); }
    if (key == "SDES") {
        addNotImplemented(f, "SDES");
        return forEachString(v, rawKey, [&](std::string_view x) { f.sdes.emplace_back(x); return std::optional<std::string>(); });
    }
    if (key == "OSRTP") {
        addNotImplemented(f, "OSRTP");
        return forEachString(v, rawKey, [&](std::string_view x) { f.osrtp.emplace_back(x); return std::optional<std::string>(); });
    }
    if (key == "T.38" || key == "T38") {
        addNotImplemented(f, "T.38");
        return forEachString(v, rawKey, [&](std::string_view x) { f.t38.emplace_back(x); return std::optional<std::string>(); });
    }
    if (key == "record call") {
        if (auto e = getString(v, rawKey, f.recordCall)) return e;
        if (f.recordCall == "yes" || f.recordCall == "on") addNotImplemented(f, "record call");
        return std::nullopt;
    }
    if (key == "metadata") return getString(v, rawKey, f.metadata);
    if (key == "xmlrpc callback") return getString(v, rawKey, f.xmlrpcCallback);
    if (key == "generate RTCP") {
        if (auto e = getString(v, rawKey, f.generateRtcp)) return e;
        if (f.generateRtcp == "on") addNotImplemented(f, "generate RTCP");
        return std::nullopt;
    }
    if (key == "ptime" || key == "ptime reverse") {
        if (auto e = getInt(v, rawKey, i)) return e;
        (key == "ptime" ? f.ptime : f.ptimeReverse) = (int)std::clamp<int64_t>(i, 0, 1000);
        addNotImplemented(f, "ptime (repacketization)");
        return std::nullopt;
    }
    if (key == "codec") {
        if (!v.isDict()) return typeError(rawKey, "dictionary");
        for (const auto& [k, val] : v.entries()) {
            auto* list = codecList(f, k);
            if (!list) continue;
            if (auto e = forEachString(val, k, [&](std::string_view x) { list->emplace_back(x); return std::optional<std::string>(); }))
                return e;
            noteCodecCapability(f, k);
        }
        return std::nullopt;
    }
    // Unknown keys are ignored (compatibility contract).
    return std::nullopt;
}

}  // namespace

std::optional<std::string> parseFlags(const Value& dict, Flags& out) {
    for (const auto& [k, v] : dict.entries()) {
        if (k == "command") continue;
        if (auto e = applyKeyValue(out, k, v)) return e;
    }
    return std::nullopt;
}

}  // namespace ngm::control
