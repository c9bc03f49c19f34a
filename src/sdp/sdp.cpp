#include "sdp/sdp.h"

#include <arpa/inet.h>

#include <climits>
#include <cstring>

#include "common/strings.h"

namespace ngm::sdp {

namespace {

// C strtol on text that ends where `s` ends: leading white space, an
// optional sign, decimal digits. Returns the value and how many characters
// it read, or nullopt when there are no digits or the value overflows.
struct ReadNumber {
    long value;
    size_t length;
};
std::optional<ReadNumber> readNumber(std::string_view s) {
    size_t i = 0;
    // C's isspace in the C locale.
    while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    size_t digits = i;
    long v = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (LONG_MAX - (s[i] - '0')) / 10) return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    if (i == digits) return std::nullopt;
    return ReadNumber{negative ? -v : v, i};
}

// Splits on single spaces, skipping repeated ones.
std::vector<std::string_view> fields(std::string_view v) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < v.size()) {
        while (i < v.size() && v[i] == ' ') i++;
        size_t start = i;
        while (i < v.size() && v[i] != ' ') i++;
        if (i > start) out.push_back(v.substr(start, i - start));
    }
    return out;
}

const Line* findIn(const std::vector<Line>& lines, char type) {
    for (const auto& l : lines)
        if (l.type == type) return &l;
    return nullptr;
}

const Line* findAttrIn(const std::vector<Line>& lines, std::string_view name) {
    for (const auto& l : lines)
        if (l.type == 'a' && splitAttribute(l.value).name == name) return &l;
    return nullptr;
}

}  // namespace

Attribute splitAttribute(std::string_view v) {
    Attribute a;
    auto colon = v.find(':');
    if (colon == std::string_view::npos) {
        a.name = v;
    } else {
        a.name = v.substr(0, colon);
        a.value = v.substr(colon + 1);
        a.hasValue = true;
    }
    return a;
}

std::optional<Origin> Origin::parse(std::string_view v) {
    auto f = fields(v);
    if (f.size() != 6) return std::nullopt;
    return Origin{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                  std::string(f[3]), std::string(f[4]), std::string(f[5])};
}

std::string Origin::format() const {
    return username + ' ' + sessionId + ' ' + sessionVersion + ' ' + netType + ' ' + addrType +
           ' ' + address;
}

std::optional<Connection> Connection::parse(std::string_view v) {
    // rtpengine takes only "IN IP4|IP6 <literal of that family>": no host
    // names, no multicast /ttl suffix.
    auto f = fields(v);
    if (f.size() != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6")) return std::nullopt;
    if (f[2].size() > 45) return std::nullopt;
    char buf[64];
    memcpy(buf, f[2].data(), f[2].size());
    buf[f[2].size()] = 0;
    unsigned char bin[16];
    if (inet_pton(f[1] == "IP6" ? AF_INET6 : AF_INET, buf, bin) != 1) return std::nullopt;
    Connection c;
    c.netType = f[0];
    c.addrType = f[1];
    c.address = f[2];
    return c;
}

std::string Connection::format() const { return netType + ' ' + addrType + ' ' + address; }


std::optional<MediaLine> MediaLine::parse(std::string_view v) {
    MediaLine m;
    auto sp = v.find(' ');
    if (v.empty() || sp == std::string_view::npos) return std::nullopt;
    m.type = v.substr(0, sp);
    std::string_view afterType = v.substr(sp + 1);
    // The port field must be followed by a protocol field that is not empty
    // or at least another space: "audio 9" and "audio 9 " have no protocol.
    sp = afterType.find(' ');
    if (sp == std::string_view::npos || sp + 1 >= afterType.size()) return std::nullopt;
    std::string_view afterPort = afterType.substr(sp + 1);
    // The port reads on from its field; a '/' right after the number gives
    // the port count (at most 10, as rtpengine takes).
    auto port = readNumber(afterType);
    if (!port || port->value < 0 || port->value > 65535) return std::nullopt;
    m.port = (int)port->value;
    if (port->length < afterType.size() && afterType[port->length] == '/') {
        auto n = readNumber(afterType.substr(port->length + 1));
        if (!n || n->value < 1 || n->value > 10) return std::nullopt;
        m.numPorts = (int)n->value;
    }
    sp = afterPort.find(' ');
    m.proto = afterPort.substr(0, sp);
    if (sp != std::string_view::npos)
        for (auto f : split(afterPort.substr(sp + 1), ' ')) m.formats.emplace_back(f);
    return m;
}

std::vector<std::optional<int>> MediaLine::payloadTypes() const {
    std::string text;
    for (size_t i = 0; i < formats.size(); i++) {
        if (i) text += ' ';
        text += formats[i];
    }
    std::vector<std::optional<int>> out;
    size_t entries = formats.size();
    if (entries && formats.back().empty()) entries--;
    size_t offset = 0;
    for (size_t i = 0; i < entries; i++) {
        auto n = readNumber(std::string_view(text).substr(offset));
        out.push_back(n && n->value >= 0 && n->value <= 127 ? std::optional<int>((int)n->value)
                                                            : std::nullopt);
        offset += formats[i].size() + 1;
    }
    return out;
}

std::string MediaLine::format() const {
    std::string s = type;
    s += ' ';
    appendInt(s, port);
    if (numPorts) {
        s += '/';
        appendInt(s, numPorts);
    }
    s += ' ';
    s += proto;
    for (const auto& f : formats) {
        s += ' ';
        s += f;
    }
    return s;
}

const Line* MediaSection::find(char type) const { return findIn(lines, type); }
const Line* MediaSection::findAttr(std::string_view name) const { return findAttrIn(lines, name); }
std::optional<Connection> MediaSection::connection() const {
    if (auto* l = find('c')) return Connection::parse(l->value);
    return std::nullopt;
}

const Line* SessionDescription::find(char type) const { return findIn(lines, type); }
const Line* SessionDescription::findAttr(std::string_view name) const {
    return findAttrIn(lines, name);
}
std::optional<Connection> SessionDescription::connection(size_t session) const {
    if (auto* l = findIn(sessionLines(session), 'c')) return Connection::parse(l->value);
    return std::nullopt;
}
std::optional<Origin> SessionDescription::origin() const {
    if (auto* l = find('o')) return Origin::parse(l->value);
    return std::nullopt;
}

Result<SessionDescription> parse(std::string_view text, bool rejectBlankLine) {
    SessionDescription sdp;
    size_t pos = 0;
    int lineNo = 0;
    bool inMedia = false;  // lines go to the last media section
    auto fail = [&](std::string reason) {
        return Error{"Failed to parse SDP: " + reason + " (line " + std::to_string(lineNo) + ")"};
    };
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        std::string_view raw =
            text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
        lineNo++;
        bool bareLf = eol != std::string_view::npos;
        if (!raw.empty() && raw.back() == '\r') {
            raw.remove_suffix(1);
            bareLf = false;
        }
        if (raw.empty()) {
            if (rejectBlankLine) return fail("blank line");
            break;
        }
        if (raw.size() < 2 || raw[1] != '=' || raw[0] < 'a' || raw[0] > 'z')
            return fail("line is not of the form x=value");
        char type = raw[0];
        std::string_view value = raw.substr(2);
        // rtpengine takes version 0 only, written as the single digit.
        if (lineNo == 1 && (type != 'v' || value != "0")) return fail("first line is not v=0");
        if (type == 'm') {
            auto m = MediaLine::parse(value);
            if (!m) return fail("invalid m= line");
            sdp.media.push_back(MediaSection{std::move(*m), bareLf, sdp.moreSessions.size(), {}});
            inMedia = true;
            continue;
        }
        if (type == 'v' && lineNo > 1) {
            sdp.moreSessions.emplace_back();
            inMedia = false;
        }
        if (type == 'o' && !Origin::parse(value)) return fail("invalid o= line");
        if (type == 'c' && !Connection::parse(value)) return fail("invalid c= line");
        Line l{type, std::string(value), bareLf};
        if (inMedia)
            sdp.media.back().lines.push_back(std::move(l));
        else if (!sdp.moreSessions.empty())
            sdp.moreSessions.back().push_back(std::move(l));
        else
            sdp.lines.push_back(std::move(l));
    }
    if (sdp.lines.empty() || sdp.lines.front().type != 'v') {
        lineNo = 0;
        return fail("no v= line");
    }
    return sdp;
}

void writeLine(std::string& out, char type, std::string_view value, bool bareLf) {
    out += type;
    out += '=';
    out += value;
    out += bareLf ? "\n" : "\r\n";
}

std::string write(const SessionDescription& sdp) {
    std::string out;
    out.reserve(1024);
    for (size_t s = 0; s < sdp.sessionCount(); s++) {
        for (const auto& l : sdp.sessionLines(s)) writeLine(out, l.type, l.value, l.bareLf);
        for (const auto& m : sdp.media) {
            if (m.session != s) continue;
            writeLine(out, 'm', m.m.format(), m.mBareLf);
            for (const auto& l : m.lines) writeLine(out, l.type, l.value, l.bareLf);
        }
    }
    return out;
}

}  // namespace ngm::sdp
