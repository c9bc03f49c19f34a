#include "control/mediaproxy.h"

#include <array>
#include <charconv>

namespace ngm::control::mediaproxy {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// The request and lookup lines have 10 tokens; one more tells a line that
// has too many.
constexpr size_t kMaxTokens = 11;
struct Tokens {
    std::array<std::string_view, kMaxTokens> t;
    size_t n = 0;
    bool more = false;  // tokens beyond kMaxTokens
};

Tokens split(std::string_view s) {
    Tokens out;
    size_t i = 0;
    for (;;) {
        while (i < s.size() && isBlank(s[i])) i++;
        if (i >= s.size()) break;
        if (out.n == kMaxTokens) {
            out.more = true;
            break;
        }
        size_t start = i;
        while (i < s.size() && !isBlank(s[i])) i++;
        out.t[out.n++] = s.substr(start, i - start);
    }
    return out;
}

bool parsePort(std::string_view s, uint16_t& port) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
    port = (uint16_t)v;
    return true;
}

// "ADDR:PORT[:TYPE]" with an IPv4 address (the module's format has no room
// for IPv6 brackets; rtpengine answers an empty line for those too).
bool parseStream(std::string_view item, Stream& out) {
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) return false;
    auto addr = net::IpAddress::parse(item.substr(0, colon));
    if (!addr || addr->family() != net::Family::V4) return false;
    std::string_view rest = item.substr(colon + 1);
    std::string_view port = rest.substr(0, rest.find(':'));
    if (!parsePort(port, out.port)) return false;
    out.address = *addr;
    return true;
}

void parseStreams(std::string_view list, Command& c) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        // An empty item ends the list (rtpengine sets up the streams before it).
        if (item.empty()) return;
        if (c.streams.size() == kMaxStreams) return;
        Stream s;
        if (!parseStream(item, s)) {
            c.streamsValid = false;
            return;
        }
        c.streams.push_back(s);
        if (comma == std::string_view::npos) return;
        list = list.substr(comma + 1);
    }
}

// "key:value,key:value,...": the first fromtag and totag.
void parseInfo(std::string_view info, Command& c) {
    bool haveFrom = false, haveTo = false;
    while (!info.empty()) {
        size_t comma = info.find(',');
        std::string_view item = info.substr(0, comma);
        size_t colon = item.find(':');
        if (colon != std::string_view::npos) {
            std::string_view key = item.substr(0, colon), value = item.substr(colon + 1);
            if (key == "fromtag" && !haveFrom) {
                c.fromTag = value;
                haveFrom = true;
            } else if (key == "totag" && !haveTo) {
                c.toTag = value;
                haveTo = true;
            }
        }
        if (comma == std::string_view::npos) break;
        info = info.substr(comma + 1);
    }
}

bool isInfo(std::string_view token) { return token.substr(0, 5) == "info="; }

}  // namespace

Result<Command> parse(std::string_view line) {
    if (line.size() > kMaxLine) return Error{"line too long"};
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // rtpengine's pattern is anchored: leading or trailing blanks do not parse.
    if (line.empty() || isBlank(line.front()) || isBlank(line.back()))
        return Error{"blanks around the command"};
    Tokens t = split(line);
    if (t.more) return Error{"too many words"};
    Command c;
    std::string_view word = t.t[0];
    if (t.n == 1) {
        if (word == "version" || word == "build") c.verb = Verb::Version;
        else if (word == "status") c.verb = Verb::Status;
        else if (word == "controls") c.verb = Verb::Controls;
        else if (word == "quit" || word == "exit") c.verb = Verb::Quit;
        else return Error{"unknown command"};
        return c;
    }
    if (word == "delete") {
        if (t.n != 3 || !isInfo(t.t[2])) return Error{"delete needs CALLID info=..."};
        c.verb = Verb::Delete;
        c.callId = t.t[1];
        parseInfo(t.t[2].substr(5), c);
        return c;
    }
    if (word == "request" || word == "lookup") {
        if (t.n != 10 || !isInfo(t.t[9]))
            return Error{"request/lookup needs CALLID STREAMS, six words and info=..."};
        c.verb = word == "request" ? Verb::Request : Verb::Lookup;
        c.callId = t.t[1];
        parseStreams(t.t[2], c);
        parseInfo(t.t[9].substr(5), c);
        return c;
    }
    return Error{"unknown command"};
}

std::string portsReply(const net::IpAddress& addr, const std::vector<uint16_t>& ports) {
    if (ports.empty()) return "\n";
    std::string r = addr.toString();
    for (uint16_t p : ports) {
        r += ' ';
        r += std::to_string(p);
    }
    r += '\n';
    return r;
}

std::string versionReply(std::string_view version) {
    std::string r = "Version: ";
    r += version;
    r += '\n';
    return r;
}

std::string statusReply(size_t calls, int64_t byteRate, const std::vector<SessionLine>& sessions) {
    std::string r = "proxy " + std::to_string(calls) + ' ' + std::to_string(byteRate) + "/0/0\n";
    for (const auto& s : sessions)
        r += "session " + s.callId + " - - - - " + std::to_string(s.ageSeconds) + '\n';
    return r;
}

std::string controlsReply(const std::vector<std::string>& peers) {
    std::string r;
    for (const auto& p : peers) r += p + '\n';
    r += "End.\n";
    return r;
}

}  // namespace ngm::control::mediaproxy
