#include "control/rtpproxy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <vector>

namespace ngm::control::rtpproxy {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits on blanks; at most kMaxTokens, the rest ignored (rtpengine ignores
// what follows the to-tag of U/L too).
constexpr size_t kMaxTokens = 8;
struct Tokens {
    std::array<std::string_view, kMaxTokens> t;
    size_t n = 0;
};
Tokens split(std::string_view s) {
    Tokens out;
    size_t i = 0;
    while (out.n < kMaxTokens) {
        while (i < s.size() && isBlank(s[i])) i++;
        if (i >= s.size()) break;
        size_t start = i;
        while (i < s.size() && !isBlank(s[i])) i++;
        out.t[out.n++] = s.substr(start, i - start);
    }
    return out;
}

char upper(char c) { return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c; }

// "tag;n": the tag and n (0 when there is no ";n"). A ";" with no number
// after it leaves the tag as it is, as rtpengine's pattern does.
bool splitTag(std::string_view in, std::string_view& tag, int& num) {
    tag = in;
    num = 0;
    auto semi = in.find(';');
    if (semi == std::string_view::npos) return true;
    tag = in.substr(0, semi);
    std::string_view n = in.substr(semi + 1);
    if (n.empty()) return true;
    int v = 0;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), v);
    if (ec != std::errc() || p != n.data() + n.size() || v < 0 || v > 1000) return false;
    num = v;
    return !tag.empty();
}

bool parsePort(std::string_view s, uint16_t& port) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
    port = (uint16_t)v;
    return true;
}

Error syntax(const char* what) { return Error{what}; }

}  // namespace

std::string_view cookieOf(std::string_view message) {
    Tokens t = split(message.substr(0, std::min(message.size(), kMaxMessage)));
    return t.n ? t.t[0] : std::string_view{};
}

Result<Command> parse(std::string_view message) {
    if (message.size() > kMaxMessage) return syntax("message too long");
    Tokens t = split(message);
    if (t.n == 0) return syntax("empty message");
    Command c;
    c.cookie = t.t[0];
    if (t.n < 2) return syntax("no command");
    std::string_view word = t.t[1];
    for (size_t i = 1; i < word.size(); i++) c.modifiers += upper(word[i]);
    std::string_view const* a = &t.t[2];  // the arguments
    size_t nargs = t.n - 2;

    switch (upper(word[0])) {
        case 'V':
            c.verb = Verb::Version;
            if (!c.modifiers.empty() && c.modifiers[0] == 'F') {
                if (nargs < 1) return syntax("VF without a capability");
                c.argument = a[0];
            }
            return c;
        case 'U':
        case 'L': {
            c.verb = upper(word[0]) == 'U' ? Verb::Update : Verb::Lookup;
            if (nargs < 4) return syntax("U/L needs call-id, address, port and from-tag");
            c.callId = a[0];
            c.addressText = a[1];
            c.portText = a[2];
            bool digits = std::all_of(a[2].begin(), a[2].end(),
                                      [](char ch) { return ch >= '0' && ch <= '9'; });
            if (!digits || !splitTag(a[3], c.fromTag, c.mediaNum) || c.mediaNum == 0) {
                c.echo = true;
                return c;
            }
            c.address = net::IpAddress::parse(a[1]);
            if (!c.address) return syntax("bad address");
            if (!parsePort(a[2], c.port)) return syntax("bad port");
            if (nargs >= 5) {
                int toNum = 0;
                if (!splitTag(a[4], c.toTag, toNum)) return syntax("bad to-tag");
            }
            // rtpengine acts on these modifiers only: E and I choose the
            // interfaces (its `direction`); the others (A, W, C<codecs>,
            // Z<ms>, ...) it takes and ignores.
            for (char m : c.modifiers) {
                if (c.directionCount == 2) break;
                if (m == 'E') c.direction[c.directionCount++] = "external";
                if (m == 'I') c.direction[c.directionCount++] = "internal";
            }
            return c;
        }
        case 'D':
        case 'Q': {
            c.verb = upper(word[0]) == 'D' ? Verb::Delete : Verb::Query;
            if (nargs < 2) return syntax("D/Q needs call-id and from-tag");
            c.callId = a[0];
            int num = 0;
            if (!splitTag(a[1], c.fromTag, num)) return syntax("bad from-tag");
            if (nargs >= 3 && !splitTag(a[2], c.toTag, num)) return syntax("bad to-tag");
            return c;
        }
        default:
            // I (info), X, R, S, P, ... : rtpengine 10.5 answers E8 to these.
            return syntax("unsupported command");
    }
}

namespace {

// The media sections of an SDP: [0] the session part, then one per m= line,
// each with its line ends.
std::vector<std::string_view> sections(std::string_view sdp) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t pos = 0; pos < sdp.size();) {
        size_t eol = sdp.find('\n', pos);
        size_t next = eol == std::string_view::npos ? sdp.size() : eol + 1;
        if (sdp.compare(pos, 2, "m=") == 0) {
            out.push_back(sdp.substr(start, pos - start));
            start = pos;
        }
        pos = next;
    }
    out.push_back(sdp.substr(start));
    return out;
}

// Appends `part` ending with a line end, so what follows starts a line.
void appendLines(std::string& out, std::string_view part) {
    out += part;
    if (!part.empty() && part.back() != '\n') out += "\r\n";
}

std::string mediaSection(const net::IpAddress& addr, uint16_t port) {
    std::string s = "m=audio " + std::to_string(port) + " RTP/AVP 0\r\nc=IN ";
    s += net::sdpFamilyName(addr.family());
    s += ' ' + addr.toString() + "\r\n";
    return s;
}

// The address of the c= line in `section`, if any.
std::optional<net::IpAddress> connectionOf(std::string_view section) {
    for (size_t pos = 0; pos < section.size();) {
        size_t eol = section.find('\n', pos);
        std::string_view line =
            section.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos ? section.size() : eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.substr(0, 2) != "c=") continue;
        Tokens t = split(line.substr(2));  // IN IP4 addr
        if (t.n < 3) return std::nullopt;
        std::string_view a = t.t[2];
        a = a.substr(0, a.find('/'));  // a multicast TTL
        return net::IpAddress::parse(a);
    }
    return std::nullopt;
}

}  // namespace

std::string describeMedia(std::string_view previous, int mediaNum, const net::IpAddress& addr,
                          uint16_t port) {
    if (mediaNum < 1) mediaNum = 1;
    std::vector<std::string_view> parts;
    if (!previous.empty()) parts = sections(previous);
    std::string out;
    if (parts.empty()) {
        out = "v=0\r\no=- 1 1 IN ";
        out += net::sdpFamilyName(addr.family());
        out += ' ' + addr.toString() + "\r\ns=-\r\nt=0 0\r\n";
    } else {
        appendLines(out, parts[0]);
    }
    size_t have = parts.empty() ? 0 : parts.size() - 1;
    size_t want = std::max(have, (size_t)mediaNum);
    for (size_t i = 1; i <= want; i++) {
        if (i == (size_t)mediaNum)
            out += mediaSection(addr, port);
        else if (i <= have)
            appendLines(out, parts[i]);
        else
            out += mediaSection(addr, 0);
    }
    return out;
}

bool mediaEndpoint(std::string_view sdp, int mediaNum, uint16_t& port,
                   std::optional<net::IpAddress>& addr) {
    std::vector<std::string_view> parts = sections(sdp);
    if (mediaNum < 1 || (size_t)mediaNum >= parts.size()) return false;
    std::string_view m = parts[mediaNum];
    size_t eol = m.find('\n');
    Tokens t =
        split(m.substr(2, eol == std::string_view::npos ? eol : eol - 2));  // audio PORT[/n] ...
    if (t.n < 2) return false;
    std::string_view p = t.t[1].substr(0, t.t[1].find('/'));
    if (!parsePort(p, port)) return false;
    addr = connectionOf(m);
    if (!addr) addr = connectionOf(parts[0]);
    return true;
}

bool hasCapability(std::string_view date) {
    // 20040107: the basic protocol; 20050322: several sessions per call
    // (;medianum); 20060704: the L command. rtpengine denies the later ones
    // (re-packetisation, forking, Q statistics, codecs, notifications).
    return date == "20040107" || date == "20050322" || date == "20060704";
}

std::string errorReply(std::string_view cookie, int code) {
    std::string r(cookie);
    r += " E";
    r += std::to_string(code);
    r += '\n';
    return r;
}

std::string versionReply(std::string_view cookie) {
    std::string r(cookie);
    r += " 20040107\n";
    return r;
}

std::string capabilityReply(std::string_view cookie, bool supported) {
    std::string r(cookie);
    r += supported ? " 1\n" : " 0\n";
    return r;
}

std::string portReply(std::string_view cookie, uint16_t port, const net::IpAddress& addr,
                      bool withFamily) {
    std::string r(cookie);
    r += ' ';
    r += std::to_string(port);
    r += ' ';
    r += addr.toString();
    if (withFamily) r += addr.family() == net::Family::V6 ? " 6" : " 4";
    r += '\n';
    return r;
}

std::string echoReply(std::string_view cookie, std::string_view port, std::string_view address) {
    std::string r(cookie);
    r += ' ';
    r += port;
    r += ' ';
    r += address;
    r += '\n';
    return r;
}

std::string deleteReply(std::string_view cookie) {
    std::string r(cookie);
    r += " 0\n";
    return r;
}

std::string queryReply(std::string_view cookie, int64_t ttl, uint64_t rtpPackets,
                       uint64_t rtcpPackets) {
    std::string r(cookie);
    r += ' ' + std::to_string(ttl) + ' ' + std::to_string(rtpPackets) + ' ' +
         std::to_string(rtcpPackets) + " 0 0\n";
    return r;
}

}  // namespace ngm::control::rtpproxy
