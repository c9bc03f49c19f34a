// The ng keys and `flags` entries rtpengine 10.5 knows, one table row each,
// with what they set in session::Flags.
#include "control/ng_flags.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/strings.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

using detail::ValueKind;

namespace {

using bencode::Value;
using codec::CodecFlags;
using session::Flags;
using session::RtcpMuxMode;
using Error = std::optional<std::string>;

// ng keys and flags may use spaces, hyphens or underscores between words.
std::string normalize(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c == '-' || c == '_') c = ' ';
    return out;
}

// Calls fn for each spelling of a row's `names` ("a|b").
template <class Fn>
void forEachName(std::string_view names, Fn&& fn) {
    for (;;) {
        auto bar = names.find('|');
        fn(names.substr(0, bar));
        if (bar == std::string_view::npos) return;
        names.remove_prefix(bar + 1);
    }
}

bool isNamed(std::string_view names, std::string_view n) {
    bool found = false;
    forEachName(names, [&](std::string_view name) { found = found || name == n; });
    return found;
}

std::string_view firstName(std::string_view names) { return names.substr(0, names.find('|')); }

// The rows of a table by each of their spellings, sorted once for binary
// search: the lookup runs for every key of every ng message.
template <class Row>
class NameIndex {
  public:
    template <size_t N>
    explicit NameIndex(const Row (&rows)[N]) {
        for (const Row& r : rows)
            forEachName(r.names, [&](std::string_view n) { byName_.emplace_back(n, &r); });
        std::sort(byName_.begin(), byName_.end());
    }
    const Row* find(std::string_view name) const {
        auto it = std::lower_bound(byName_.begin(), byName_.end(), name,
                                   [](const auto& e, std::string_view n) { return e.first < n; });
        return it != byName_.end() && it->first == name ? it->second : nullptr;
    }

  private:
    std::vector<std::pair<std::string_view, const Row*>> byName_;
};

void addNotImplemented(Flags& f, std::string what) {
    for (const auto& n : f.notImplemented)
        if (n == what) return;
    f.notImplemented.push_back(std::move(what));
}

Error typeError(std::string_view key, const char* expected) {
    return "Invalid type for key '" + std::string(key) + "': expected " + expected;
}

// String, or an integer given where a string is expected (rtpengine accepts both).
Error getString(const Value& v, std::string_view key, std::string& out) {
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

Error getInt(const Value& v, std::string_view key, int64_t& out) {
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
template <class Fn>
Error forEachString(const Value& v, std::string_view key, Fn&& fn) {
    if (v.isString()) return fn(v.str());
    if (!v.isList()) return typeError(key, "list of strings");
    for (const auto& item : v.items()) {
        if (!item.isString()) return typeError(key, "list of strings");
        if (auto e = fn(item.str())) return e;
    }
    return std::nullopt;
}

// ---- items of `replace` ----

struct ReplaceItem {
    std::string_view names;
    bool Flags::*set = nullptr;  // null: known to rtpengine, noted as not implemented
};

constexpr ReplaceItem kReplaceItems[] = {
    {"origin", &Flags::replaceOrigin},
    {"session connection", &Flags::replaceSessionConnection},
    {"SDP version|sdp version", &Flags::replaceSdpVersion},
    {"username", &Flags::replaceUsername},
    {"session name", &Flags::replaceSessionName},
    {"zero address", &Flags::replaceZeroAddress},
    {"force increment sdp ver"},
    {"origin full"},
};

Error applyReplace(Flags& f, std::string_view item) {
    std::string n = normalize(item);
    for (const auto& r : kReplaceItems) {
        if (!isNamed(r.names, n)) continue;
        if (r.set)
            f.*r.set = true;
        else
            addNotImplemented(f, "replace " + n);
        break;
    }
    // Unknown replace items are ignored, as rtpengine does.
    return std::nullopt;
}

// ---- items of `bundle` (rtpengine mr14.0; unknown items are ignored) ----
Error applyBundle(Flags& f, std::string_view item) {
    std::string n = normalize(item);
    if (n == "accept") f.bundle.accept = true;
    if (n == "offer") f.bundle.offer = true;
    if (n == "require") f.bundle.require = true;
    if (n == "strict") f.bundle.strict = true;
    if (n == "reject") f.bundle.reject = true;
    return std::nullopt;
}

// ---- items of `rtcp-mux` ----

struct RtcpMuxItem {
    std::string_view name;
    RtcpMuxMode mode;
};

constexpr RtcpMuxItem kRtcpMuxItems[] = {
    {"offer", RtcpMuxMode::Offer},   {"require", RtcpMuxMode::Require},
    {"demux", RtcpMuxMode::Demux},   {"accept", RtcpMuxMode::Accept},
    {"reject", RtcpMuxMode::Reject},
};

Error applyRtcpMux(Flags& f, std::string_view item) {
    std::string n = normalize(item);
    auto it = std::find_if(std::begin(kRtcpMuxItems), std::end(kRtcpMuxItems),
                           [&](const RtcpMuxItem& r) { return r.name == n; });
    if (it == std::end(kRtcpMuxItems)) return std::nullopt;
    RtcpMuxMode m = it->mode;
    f.rtcpMuxList.push_back(m);
    // reject wins over offer/accept when both are given
    if (f.rtcpMux == RtcpMuxMode::Default || m == RtcpMuxMode::Reject ||
        m == RtcpMuxMode::Require || m == RtcpMuxMode::Demux)
        f.rtcpMux = m;
    return std::nullopt;
}

// ---- codec manipulations: keys of the `codec` dictionary, `codec-…` flags ----

struct CodecListRow {
    std::string_view name;
    std::vector<std::string> CodecFlags::*list;
    bool transcodes = false;  // needs transcoding: noted as not implemented
};

constexpr CodecListRow kCodecLists[] = {
    {"strip", &CodecFlags::strip},         {"except", &CodecFlags::except},
    {"offer", &CodecFlags::offer},         {"transcode", &CodecFlags::transcode, true},
    {"mask", &CodecFlags::mask},           {"consume", &CodecFlags::consume, true},
    {"accept", &CodecFlags::accept, true}, {"set", &CodecFlags::set, true},
};

const CodecListRow* findCodecList(std::string_view which) {
    for (const auto& c : kCodecLists)
        if (c.name == which) return &c;
    return nullptr;
}

void noteCodecCapability(Flags& f, const CodecListRow& c) {
    if (c.transcodes) addNotImplemented(f, "codec " + std::string(c.name) + " (transcoding)");
}

// ---- entries of the `flags` list ----

// A plain flag: sets a boolean, or what `apply` sets.
struct NgFlag {
    std::string_view names;  // normalised; '|' between spellings
    bool Flags::*set = nullptr;
    void (*apply)(Flags&) = nullptr;
    std::string_view notImplemented = {};
};

constexpr NgFlag kFlags[] = {
    {"SIP source address", &Flags::sipSourceAddress},
    {"trust address", &Flags::trustAddress},
    {"symmetric", &Flags::symmetric},
    {"asymmetric", &Flags::asymmetric},
    {"unidirectional", &Flags::unidirectional},
    {"strict source", &Flags::strictSource},
    {"media handover", &Flags::mediaHandover},
    {"reset", &Flags::reset},
    {"port latching", &Flags::portLatching},
    {"no port latching", &Flags::noPortLatching},
    {"record call", nullptr, [](Flags& f) { f.recordCall = "yes"; }, "record call"},
    {"no rtcp attribute", &Flags::noRtcpAttribute},
    {"full rtcp attribute", &Flags::fullRtcpAttribute},
    {"loop protect", &Flags::loopProtect},
    {"always transcode", &Flags::alwaysTranscode, nullptr, "always transcode"},
    {"single codec", &Flags::singleCodec},
    {"reuse codecs|no codec renegotiation", &Flags::reuseCodecs},
    {"allow transcoding", &Flags::allowTranscoding},
    {"all", &Flags::all},
    {"pad crypto", nullptr, [](Flags& f) { f.sdes.emplace_back("pad"); }},
    {"generate mid", &Flags::generateMid},
    {"strip extmap", &Flags::stripExtmap},
    {"original sendrecv", &Flags::originalSendrecv},
    {"inject DTMF", &Flags::injectDtmf, nullptr, "inject DTMF"},
    {"generate RTCP", nullptr, [](Flags& f) { f.generateRtcp = "on"; }},
    {"debug|debugging", &Flags::debug},
    {"pierce NAT", &Flags::pierceNat},
    {"NAT wait", &Flags::natWait},
    {"trickle ICE", &Flags::trickleIce},
    {"fragment", &Flags::fragment},
    {"fatal", &Flags::fatal},
    {"load limit", &Flags::loadLimitSupported},
    {"ICE reject|ICE remove", nullptr, [](Flags& f) { f.ice = "remove"; }},
    {"ICE force", nullptr, [](Flags& f) { f.ice = "force"; }},
};

const NameIndex<NgFlag>& flagIndex() {
    static const NameIndex<NgFlag> index(kFlags);
    return index;
}

void codecFlag(Flags& f, std::string_view rest) {
    auto dash = rest.find_first_of("- ");
    if (dash == std::string_view::npos) return;
    if (const auto* c = findCodecList(rest.substr(0, dash))) {
        (f.codec.*c->list).emplace_back(rest.substr(dash + 1));
        noteCodecCapability(f, *c);
    }
}

// A flag that carries a value after its prefix: codec-strip-PCMA, SDES-off, ...
// Matched on the flag as given (not normalised), with something after it.
struct FlagPrefix {
    std::string_view prefix;
    void (*apply)(Flags&, std::string_view rest);
};

constexpr FlagPrefix kFlagPrefixes[] = {
    {"codec-", codecFlag},
    {"codec ", codecFlag},
    {"SDES-", [](Flags& f, std::string_view r) { f.sdes.emplace_back(r); }},
    {"SDES ", [](Flags& f, std::string_view r) { f.sdes.emplace_back(r); }},
    {"OSRTP-", [](Flags& f, std::string_view r) { f.osrtp.emplace_back(r); }},
    // `replace-origin`, `rtcp-mux-demux` and the like are no flags to
    // rtpengine 10.5: as items of `flags` they change nothing (the SIP
    // proxy's module turns them into the `replace` and `rtcp-mux` lists).
    {"replace-", [](Flags&, std::string_view) {}},
    {"replace ", [](Flags&, std::string_view) {}},
    {"rtcp-mux-", [](Flags&, std::string_view) {}},
    {"T38-",
     [](Flags& f, std::string_view r) {
         f.t38.emplace_back(r);
         addNotImplemented(f, "T.38");
     }},
    {"T.38-",
     [](Flags& f, std::string_view r) {
         f.t38.emplace_back(r);
         addNotImplemented(f, "T.38");
     }},
};

Error applyKeyValue(Flags& f, std::string_view rawKey, const Value& v);

Error applyFlag(Flags& f, std::string_view raw) {
    // key=value inside the flags list
    if (auto eq = raw.find('='); eq != std::string_view::npos) {
        Value v = Value::string(raw.substr(eq + 1));
        return applyKeyValue(f, raw.substr(0, eq), v);
    }
    for (const auto& p : kFlagPrefixes) {
        if (raw.size() > p.prefix.size() && raw.starts_with(p.prefix)) {
            p.apply(f, raw.substr(p.prefix.size()));
            return std::nullopt;
        }
    }
    // Unknown flags are ignored, as rtpengine does (it only logs them).
    if (const NgFlag* flag = flagIndex().find(normalize(raw))) {
        if (flag->set) f.*flag->set = true;
        if (flag->apply) flag->apply(f);
        if (!flag->notImplemented.empty()) addNotImplemented(f, std::string(flag->notImplemented));
    }
    return std::nullopt;
}

// ---- ng keys ----

// One ng key. `kind` says which value it takes and how one of another type
// is treated; the decoded value goes to `text`/`address`, then to the
// row's function, if any.
struct NgKey {
    std::string_view names;  // normalised; '|' between spellings
    ValueKind kind;
    std::string Flags::*text = nullptr;                       // Tag, Text
    std::optional<net::IpAddress> Flags::*address = nullptr;  // Address
    Error (*onText)(Flags&, const std::string&) = nullptr;    // Tag, Text: after `text` is set
    Error (*onInt)(Flags&, int64_t) = nullptr;                // Integer
    Error (*onItem)(Flags&, std::string_view) = nullptr;      // List: each item
    Error (*onValue)(Flags&, const Value&, std::string_view rawKey) = nullptr;  // List, Dict, Any
    // Noted whenever the key comes with a value of its kind.
    std::string_view notImplemented = {};
};

Error noError(Flags&, const std::string&) { return std::nullopt; }

Error direction(Flags& f, const Value& v, std::string_view rawKey) {
    f.direction.clear();
    for (const auto& item : v.items()) {
        if (!item.isString()) return typeError(rawKey, "list of strings");
        f.direction.emplace_back(item.str());
    }
    if (f.direction.size() > 2) return std::string("Too many elements in 'direction' (at most 2)");
    return std::nullopt;
}

Error receivedFrom(Flags& f, const Value& v, std::string_view) {
    if (!v.isList() || v.items().size() != 2 || !v.items()[0].isString() ||
        !v.items()[1].isString())
        return std::string("Invalid 'received from' (expected a list of family and address)");
    auto a = net::IpAddress::parse(v.items()[1].str());
    if (!a) return "Invalid address in 'received from': '" + std::string(v.items()[1].str()) + "'";
    f.receivedFrom = *a;
    return std::nullopt;
}

Error addressFamily(Flags& f, const std::string& s) {
    if (s == "IP4")
        f.addressFamily = net::Family::V4;
    else if (s == "IP6")
        f.addressFamily = net::Family::V6;
    else
        return "Invalid 'address family': '" + s + "' (expected IP4 or IP6)";
    return std::nullopt;
}

Error tos(Flags& f, int64_t i) {
    f.tosGiven = true;
    f.tos = (int)std::clamp<int64_t>(i, -1, 256);
    return std::nullopt;
}

Error deleteDelay(Flags& f, int64_t i) {
    if (i < 0) return std::string("Invalid 'delete delay': must not be negative");
    f.deleteDelay = (int)std::min<int64_t>(i, 1 << 30);
    return std::nullopt;
}

// As rtpengine: what is not a number leaves the default; the range is
// checked by `list` itself, the only command that reads it.
Error limit(Flags& f, const Value& v, std::string_view rawKey) {
    int64_t i = 0;
    if (!getInt(v, rawKey, i)) f.limit = i;
    return std::nullopt;
}

Error dropTraffic(Flags& f, const std::string& s) {
    if (s != "start" && s != "stop") return "Invalid 'drop-traffic': '" + s + "'";
    if (f.dropTraffic != "stop") f.dropTraffic = s;  // stop wins
    return std::nullopt;
}

Error mediaEcho(Flags& f, const std::string& s) {
    // The forms rtpengine 10.5 takes (diff scenario media_echo_values);
    // anything else is logged and ignored, as it does.
    std::string_view mode = mediaEchoMode(s);
    if (mode.empty())
        NGM_LOG(log::Warning, f.callId, "Unknown 'media-echo' value ignored: '%s'", s.c_str());
    else
        f.mediaEcho = std::string(mode);
    return std::nullopt;
}

Error ptime(Flags& f, int64_t i) {
    f.ptime = (int)std::clamp<int64_t>(i, 0, 1000);
    addNotImplemented(f, "ptime (repacketization)");
    return std::nullopt;
}

Error ptimeReverse(Flags& f, int64_t i) {
    f.ptimeReverse = (int)std::clamp<int64_t>(i, 0, 1000);
    addNotImplemented(f, "ptime (repacketization)");
    return std::nullopt;
}

Error codecDict(Flags& f, const Value& v, std::string_view) {
    for (const auto& [k, val] : v.entries()) {
        const auto* c = findCodecList(k);
        if (!c) continue;
        auto& list = f.codec.*c->list;
        if (auto e = forEachString(val, k, [&](std::string_view x) {
                list.emplace_back(x);
                return Error();
            }))
            return e;
        noteCodecCapability(f, *c);
    }
    return std::nullopt;
}

using enum ValueKind;

// A call-id or tag that is not a string counts as missing, so the reply
// names the key ("No call-id in message"), as rtpengine's does. List- and
// dictionary-valued keys of the wrong type are ignored, as rtpengine ignores
// them (documented in docs/compatibility.md). Unknown keys are ignored
// (compatibility contract).
constexpr NgKey kKeys[] = {
    {"call id", Tag, &Flags::callId},
    {"from tag", Tag, &Flags::fromTag},
    {"to tag", Tag, &Flags::toTag},
    {"via branch", Text, &Flags::viaBranch},
    {"label|from label", Text, &Flags::label},
    {"set label|to label", Text, &Flags::setLabel},
    // Not a string: "No SDP body in message".
    {"sdp", Tag, &Flags::sdp, nullptr,
     [](Flags& f, const std::string&) {
         f.hasSdp = true;
         return Error();
     }},
    {.names = "flags", .kind = List, .onItem = applyFlag},
    {.names = "replace", .kind = List, .onItem = applyReplace},
    {.names = "supports",
     .kind = List,
     .onItem =
         [](Flags& f, std::string_view x) {
             if (normalize(x) == "load limit") f.loadLimitSupported = true;
             return Error();
         }},
    {.names = "rtcp mux", .kind = List, .onItem = applyRtcpMux},
    {.names = "bundle", .kind = List, .onItem = applyBundle},
    {.names = "direction", .kind = List, .onValue = direction},
    {"interface", Text, &Flags::interface},
    {.names = "received from", .kind = Any, .onValue = receivedFrom},
    {.names = "media address", .kind = Address, .address = &Flags::mediaAddress},
    {.names = "address", .kind = Address, .address = &Flags::address},
    {.names = "address family", .kind = Text, .onText = addressFamily},
    {.names = "TOS", .kind = Integer, .onInt = tos},
    {.names = "delete delay", .kind = Integer, .onInt = deleteDelay},
    {.names = "limit", .kind = Any, .onValue = limit},
    {.names = "drop traffic", .kind = Text, .onText = dropTraffic},
    {.names = "media echo", .kind = Text, .onText = mediaEcho},
    // Values other than remove, force, default, force-relay and optional
    // are ignored (the default), as rtpengine does.
    {"ICE", Text, &Flags::ice},
    {.names = "ICE lite", .kind = Text, .text = &Flags::iceLite},
    {.names = "transport protocol", .kind = Text, .text = &Flags::transportProtocol},
    {.names = "DTLS", .kind = Text, .text = &Flags::dtls},
    {.names = "DTLS reverse", .kind = Text, .text = &Flags::dtlsReverse},
    {.names = "DTLS fingerprint", .kind = Text, .text = &Flags::dtlsFingerprint},
    {.names = "SDES",
     .kind = List,
     .onItem =
         [](Flags& f, std::string_view x) {
             f.sdes.emplace_back(x);
             return Error();
         }},
    {.names = "OSRTP",
     .kind = List,
     .onItem =
         [](Flags& f, std::string_view x) {
             f.osrtp.emplace_back(x);
             return Error();
         }},
    {.names = "T.38|T38",
     .kind = List,
     .onItem =
         [](Flags& f, std::string_view x) {
             f.t38.emplace_back(x);
             return Error();
         },
     .notImplemented = "T.38"},
    {"record call", Text, &Flags::recordCall, nullptr,
     [](Flags& f, const std::string& s) {
         if (s == "yes" || s == "on") addNotImplemented(f, "record call");
         return Error();
     }},
    {"metadata", Text, &Flags::metadata},
    {"xmlrpc callback", Text, &Flags::xmlrpcCallback},
    {"generate RTCP", Text, &Flags::generateRtcp},
    {.names = "ptime", .kind = Integer, .onInt = ptime},
    {.names = "ptime reverse", .kind = Integer, .onInt = ptimeReverse},
    {.names = "codec", .kind = Dict, .onValue = codecDict},
};

const NameIndex<NgKey>& keyIndex() {
    static const NameIndex<NgKey> index(kKeys);
    return index;
}

Error applyKey(const NgKey& k, Flags& f, std::string_view rawKey, const Value& v) {
    switch (k.kind) {
        case Tag:
            if (!v.isString()) return std::nullopt;
            break;
        case List:
            if (!v.isList()) return std::nullopt;
            break;
        case Dict:
            if (!v.isDict()) return std::nullopt;
            break;
        default:
            break;
    }
    if (!k.notImplemented.empty()) addNotImplemented(f, std::string(k.notImplemented));
    switch (k.kind) {
        case Tag:
        case Text: {
            std::string s;
            if (k.kind == Tag)
                s = std::string(v.str());
            else if (auto e = getString(v, rawKey, s))
                return e;
            if (k.text) f.*k.text = s;
            return (k.onText ? k.onText : noError)(f, s);
        }
        case Integer: {
            int64_t i = 0;
            if (auto e = getInt(v, rawKey, i)) return e;
            return k.onInt(f, i);
        }
        case Address: {
            std::string s;
            if (auto e = getString(v, rawKey, s)) return e;
            auto a = net::IpAddress::parse(s);
            if (!a)
                return "Invalid address in '" + std::string(firstName(k.names)) + "': '" + s + "'";
            f.*k.address = *a;
            return std::nullopt;
        }
        case List:
            if (k.onValue) return k.onValue(f, v, rawKey);
            return forEachString(v, rawKey, [&](std::string_view x) { return k.onItem(f, x); });
        case Dict:
        case Any:
            return k.onValue(f, v, rawKey);
    }
    return std::nullopt;
}

Error applyKeyValue(Flags& f, std::string_view rawKey, const Value& v) {
    if (const NgKey* k = keyIndex().find(normalize(rawKey))) return applyKey(*k, f, rawKey, v);
    return std::nullopt;
}

template <class Row>
std::vector<std::vector<std::string_view>> spellings(const Row* rows, size_t n) {
    std::vector<std::vector<std::string_view>> out(n);
    for (size_t i = 0; i < n; i++)
        forEachName(rows[i].names, [&](std::string_view s) { out[i].push_back(s); });
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

Result<void> parseFlags(const Value& dict, Flags& out) {
    for (const auto& [k, v] : dict.entries()) {
        if (k == "command") continue;
        if (auto e = applyKeyValue(out, k, v)) return ngm::Error{std::move(*e)};
    }
    return {};
}

namespace detail {

std::vector<KeyRow> keyTable() {
    std::vector<KeyRow> out;
    auto names = spellings(kKeys, std::size(kKeys));
    for (size_t i = 0; i < names.size(); i++) out.push_back({std::move(names[i]), kKeys[i].kind});
    return out;
}

std::vector<std::vector<std::string_view>> flagTable() {
    return spellings(kFlags, std::size(kFlags));
}

int findKey(std::string_view rawKey) {
    const NgKey* k = keyIndex().find(normalize(rawKey));
    return k ? (int)(k - kKeys) : -1;
}

int findFlag(std::string_view rawFlag) {
    const NgFlag* fl = flagIndex().find(normalize(rawFlag));
    return fl ? (int)(fl - kFlags) : -1;
}

}  // namespace detail

}  // namespace ngm::control
