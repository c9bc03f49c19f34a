#include "session/ice_negotiation.h"

#include <array>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <span>

#include "common/strings.h"
#include "crypto/openssl.h"

namespace ngm::session {

namespace {

// RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/".
bool isIceChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// The next space-separated token of `s` from `pos` (runs of spaces skipped).
std::string_view nextToken(std::string_view s, size_t& pos) {
    while (pos < s.size() && s[pos] == ' ') pos++;
    size_t start = pos;
    while (pos < s.size() && s[pos] != ' ') pos++;
    return s.substr(start, pos - start);
}

template <class T>
std::optional<T> number(std::string_view s, size_t maxDigits) {
    if (s.empty() || s.size() > maxDigits) return std::nullopt;
    for (char c : s)
        if (c < '0' || c > '9') return std::nullopt;
    uint64_t v = 0;
    for (char c : s) v = v * 10 + (uint64_t)(c - '0');
    if (v > std::numeric_limits<T>::max()) return std::nullopt;
    return (T)v;
}

void randomIceString(std::string& out, size_t n) {
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::array<uint8_t, 64> buf{};
    if (!crypto::randomBytes(std::span<uint8_t>(buf.data(), n))) {
        std::random_device rd;  // OpenSSL's CSPRNG failed: the OS's, directly
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rd();
    }
    out.clear();
    for (size_t i = 0; i < n; i++) out.push_back(kChars[buf[i] % 62]);
}

}  // namespace

Result<IceCandidate> parseIceCandidate(std::string_view v) {
    IceCandidate c;
    size_t pos = 0;
    std::string_view foundation = nextToken(v, pos);
    if (foundation.empty() || foundation.size() > 32) return Error{"bad candidate foundation"};
    for (char ch : foundation)
        if (!isIceChar(ch)) return Error{"bad candidate foundation"};
    c.foundation = std::string(foundation);
    auto component = number<int>(nextToken(v, pos), 3);
    if (!component || *component < 1 || *component > 256) return Error{"bad candidate component"};
    c.component = *component;
    std::string_view transport = nextToken(v, pos);
    if (transport.empty()) return Error{"missing candidate transport"};
    c.transport = std::string(transport);
    auto priority = number<uint32_t>(nextToken(v, pos), 10);
    if (!priority) return Error{"bad candidate priority"};
    c.priority = *priority;
    std::string_view address = nextToken(v, pos);
    if (address.empty()) return Error{"missing candidate address"};
    c.address = std::string(address);
    auto port = number<uint16_t>(nextToken(v, pos), 5);
    if (!port) return Error{"bad candidate port"};
    c.port = *port;
    if (nextToken(v, pos) != "typ") return Error{"missing candidate typ"};
    std::string_view type = nextToken(v, pos);
    if (type.empty()) return Error{"missing candidate type"};
    c.type = std::string(type);
    // raddr/rport, then extension pairs kept as written.
    size_t save = pos;
    if (nextToken(v, pos) == "raddr") {
        std::string_view ra = nextToken(v, pos);
        if (ra.empty()) return Error{"missing raddr"};
        c.relAddress = std::string(ra);
        c.hasRel = true;
        save = pos;
        if (nextToken(v, pos) == "rport") {
            auto rp = number<uint16_t>(nextToken(v, pos), 5);
            if (!rp) return Error{"bad rport"};
            c.relPort = *rp;
        } else {
            pos = save;
        }
    } else {
        pos = save;
    }
    while (pos < v.size() && v[pos] == ' ') pos++;
    c.extensions = std::string(v.substr(pos));
    return c;
}

std::string formatIceCandidate(const IceCandidate& c) {
    std::string s = c.foundation + ' ' + std::to_string(c.component) + ' ' + c.transport + ' ' +
                    std::to_string(c.priority) + ' ' + c.address + ' ' + std::to_string(c.port) +
                    " typ " + c.type;
    if (c.hasRel) s += " raddr " + c.relAddress + " rport " + std::to_string(c.relPort);
    if (!c.extensions.empty()) s += ' ' + c.extensions;
    return s;
}

Result<IceFragment> parseIceFragment(std::string_view text) {
    IceFragment f;
    std::string sessionUfrag;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 2 || line[1] != '=') continue;
        if (line[0] == 'm') {
            f.sections.emplace_back();
            f.sections.back().ufrag = sessionUfrag;
            continue;
        }
        if (line[0] != 'a') continue;
        auto a = sdp::splitAttribute(line.substr(2));
        IceFragment::Section* sec = f.sections.empty() ? nullptr : &f.sections.back();
        if (a.name == "ice-ufrag") {
            (sec ? sec->ufrag : sessionUfrag) = std::string(trim(a.value));
        } else if (!sec) {
            continue;
        } else if (a.name == "mid") {
            sec->mid = std::string(trim(a.value));
        } else if (a.name == "end-of-candidates") {
            sec->endOfCandidates = true;
        } else if (a.name == "candidate") {
            if (auto c = parseIceCandidate(a.value)) sec->candidates.push_back(std::move(*c));
        }
    }
    if (f.sections.empty()) return Error{"no media section in the ICE fragment"};
    return f;
}

bool applyIceFragment(const IceFragment::Section& s, MediaIce& ice) {
    if (!s.ufrag.empty() && s.ufrag != ice.peerUfrag) return false;
    for (const IceCandidate& c : s.candidates) {
        bool known = false;
        for (const IceCandidate& k : ice.peerCandidates)
            known |= k.foundation == c.foundation && k.component == c.component &&
                     k.address == c.address && k.port == c.port && k.transport == c.transport;
        if (!known) ice.peerCandidates.push_back(c);
    }
    if (s.endOfCandidates) ice.peerEndOfCandidates = true;
    return true;
}

IceMode iceModeByName(std::string_view s) {
    if (s == "remove") return IceMode::Remove;
    if (s == "force") return IceMode::Force;
    if (s == "force-relay" || s == "force_relay" || s == "force relay") return IceMode::ForceRelay;
    if (s == "optional") return IceMode::Optional;
    return IceMode::Default;
}

bool isIceModeName(std::string_view s) {
    return s == "default" || iceModeByName(s) != IceMode::Default;
}

bool isIceAttribute(std::string_view n) {
    return n == "ice-ufrag" || n == "ice-pwd" || n == "ice-options" || n == "ice-lite" ||
           n == "candidate" || n == "remote-candidates" || n == "end-of-candidates";
}

void readIce(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, MediaIce& ice) {
    std::string oldUfrag = ice.peerUfrag;
    ice.peerUfrag.clear();
    ice.peerPwd.clear();
    ice.peerCandidates.clear();
    ice.peerLite = ice.peerTrickle = ice.peerEndOfCandidates = false;
    ice.trickle = false;  // the flag holds until this side's own SDP says
    std::string sessUfrag, sessPwd;
    for (const auto& l : sdp.sessionLines(m.session)) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name == "ice-ufrag")
            sessUfrag = std::string(trim(a.value));
        else if (a.name == "ice-pwd")
            sessPwd = std::string(trim(a.value));
        else if (a.name == "ice-lite")
            ice.peerLite = true;
    }
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name == "ice-ufrag") {
            ice.peerUfrag = std::string(trim(a.value));
        } else if (a.name == "ice-pwd") {
            ice.peerPwd = std::string(trim(a.value));
        } else if (a.name == "ice-lite") {
            ice.peerLite = true;
        } else if (a.name == "ice-options") {
            size_t pos = 0;
            for (auto t = nextToken(a.value, pos); !t.empty(); t = nextToken(a.value, pos))
                if (t == "trickle") ice.peerTrickle = true;
        } else if (a.name == "end-of-candidates") {
            ice.peerEndOfCandidates = true;
        } else if (a.name == "candidate") {
            // A line that does not parse is not a candidate of the peer's.
            if (auto c = parseIceCandidate(a.value)) ice.peerCandidates.push_back(std::move(*c));
        }
    }
    if (ice.peerUfrag.empty()) ice.peerUfrag = std::move(sessUfrag);
    if (ice.peerPwd.empty()) ice.peerPwd = std::move(sessPwd);
    ice.peerIce = !ice.peerUfrag.empty();
    ice.peerRestarted = ice.peerIce && !oldUfrag.empty() && oldUfrag != ice.peerUfrag;
}

void makeIceCredentials(MediaIce& ice) {
    randomIceString(ice.ufrag, 8);
    randomIceString(ice.pwd, 26);
}

namespace {

IceStyle styleFor(IceMode mode, bool senderIce) {
    switch (mode) {
        case IceMode::Optional:
            return senderIce ? IceStyle::AppendHost : IceStyle::Ours;
        case IceMode::ForceRelay:
            return senderIce ? IceStyle::AppendRelay : IceStyle::OursRelay;
        default:
            return IceStyle::Ours;
    }
}

}  // namespace

void negotiateIce(MediaIce& src, MediaIce& dst, const IceOptions& o, bool isOffer) {
    if (isOffer) {
        if (o.reset) {
            // `reset`: what was learned of the receiver is forgotten, and
            // both sides get new credentials.
            dst.initialized = false;
            dst.ufrag.clear();
            dst.pwd.clear();
            src.ufrag.clear();
            src.pwd.clear();
        }
        // Towards the offerer: ICE when its offer had it (the answer may
        // force or remove it).
        src.inUse = src.peerIce;
        src.initialized = true;
        src.answerOptional = o.mode == IceMode::Optional || o.mode == IceMode::ForceRelay;
        // RFC 8445 §9: an offer with new credentials restarts ICE; the
        // answer to it carries new ones of ours.
        if (src.peerRestarted) src.ufrag.clear();
        switch (o.mode) {
            case IceMode::Remove:
                dst.inUse = false;
                break;
            case IceMode::Force:
            case IceMode::ForceRelay:
            case IceMode::Optional:
                dst.inUse = true;
                break;
            case IceMode::Default:
                if (!dst.initialized) dst.inUse = src.peerIce;
                break;
        }
        dst.initialized = true;
        if (o.trickle) dst.trickle = true;
        if (o.lite == "forward" || o.lite == "both") dst.liteSelf = true;
        if (o.lite == "backward" || o.lite == "both") src.liteSelf = true;
        if (o.lite == "off") dst.liteSelf = src.liteSelf = false;
        dst.style = dst.inUse ? styleFor(o.mode, src.peerIce) : IceStyle::None;
    } else {
        // The answerer speaks ICE if its answer has it: one that answers
        // without is not offered ICE again by default.
        src.inUse = src.peerIce;
        src.initialized = true;
        if (o.mode == IceMode::Remove) dst.inUse = false;
        if (o.mode == IceMode::Force || o.mode == IceMode::Optional ||
            o.mode == IceMode::ForceRelay)
            dst.inUse = true;
        IceMode mode = o.mode;
        // `force` in the answer changes nothing after such an offer (10.5,
        // diff scenario ice_force_relay_chrome_answer_force).
        if ((mode == IceMode::Default || mode == IceMode::Force) && dst.answerOptional) mode = IceMode::Optional;
        dst.style = dst.inUse ? styleFor(mode, src.peerIce) : IceStyle::None;
    }
    if (dst.inUse && dst.ufrag.empty()) makeIceCredentials(dst);
}

std::string iceFoundation(const net::IpAddress& local) {
    // Random per process, stable per address: every call shows the same
    // foundation for the same local address (RFC 8445 §5.1.1.3).
    static const uint64_t salt = [] {
        uint64_t s = 0;
        if (!crypto::randomBytes(std::span<uint8_t>((uint8_t*)&s, sizeof s)))
            s = 0x9e3779b97f4a7c15ull;
        return s;
    }();
    uint64_t h = std::hash<std::string>{}(local.toString()) ^ salt;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string f;
    for (int i = 0; i < 10; i++) {
        f.push_back(kChars[h % 62]);
        h /= 62;
    }
    return f;
}

IcePreference appendedPreference(const std::vector<IceCandidate>& sender, bool relay) {
    IcePreference p{relay ? 0u : 126u, 65535u};
    uint32_t priority = icePriority(p.type, p.local, 1);
    for (const IceCandidate& c : sender) {
        if (c.component != 1 || !iequals(c.transport, "udp") || !iequals(c.type, relay ? "relay" : "host") ||
            c.priority > priority)
            continue;
        p.type = c.priority >> 24;
        p.local = (c.priority >> 8) & 0xffff;
        if (p.local < 65535) {
            p.local++;
        } else {
            p.local = 0;
            if (p.type) p.type--;
        }
        priority = icePriority(p.type, p.local, 1);
    }
    return p;
}

std::vector<std::string> localCandidates(const MediaIce& ice,
                                         const std::vector<IceLocalAddress>& addresses,
                                         int components, const std::vector<IceCandidate>& sender) {
    std::vector<std::string> out;
    bool relay = ice.style == IceStyle::AppendRelay || ice.style == IceStyle::OursRelay;
    // Appended to the sender's own candidates, ours take a preference next
    // to theirs (appendedPreference); alone, each address is one step below
    // the one before.
    bool appended = ice.style == IceStyle::AppendRelay || ice.style == IceStyle::AppendHost;
    IcePreference pref{relay ? 0u : 126u, 65535u};
    if (appended) pref = appendedPreference(sender, relay);
    for (int comp = 1; comp <= components; comp++) {
        for (size_t i = 0; i < addresses.size(); i++) {
            const IceLocalAddress& a = addresses[i];
            uint32_t localPref = appended ? pref.local : 65535u - (uint32_t)i;
            uint16_t port = comp == 1 ? a.rtpPort : a.rtcpPort;
            std::string addr = a.advertised.toString();
            const net::IpAddress& base = a.base.valid() ? a.base : a.advertised;
            std::string c = iceFoundation(base) + ' ' + std::to_string(comp) + " UDP " +
                            std::to_string(icePriority(pref.type, localPref, comp)) + ' ' + addr +
                            ' ' + std::to_string(port) + (relay ? " typ relay" : " typ host");
            if (relay) c += " raddr " + addr + " rport " + std::to_string(port);
            out.push_back(std::move(c));
        }
    }
    return out;
}

}  // namespace ngm::session
