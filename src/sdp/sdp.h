// SDP (RFC 4566/8866) model that keeps every line and its order.
//
// The rewriting code works on sections of lines; typed views (origin,
// connection, m= line, attribute name/value) are parsed on demand from them.
// Unknown lines survive byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ngm::sdp {

struct Line {
    char type = 0;      // 'v', 'o', 'a', ...
    std::string value;  // text after "x=", without the line ending
    bool bareLf = false;  // ended in LF alone; copied lines keep their ending
};

struct Attribute {
    std::string_view name;   // "rtpmap"
    std::string_view value;  // "0 PCMU/8000"; empty for property attributes
    bool hasValue = false;
};
Attribute splitAttribute(std::string_view lineValue);

struct Origin {
    std::string username, sessionId, sessionVersion, netType, addrType, address;
    static std::optional<Origin> parse(std::string_view v);
    std::string format() const;
};

struct Connection {
    std::string netType = "IN", addrType = "IP4", address;
    static std::optional<Connection> parse(std::string_view v);
    std::string format() const;
};

// The m= line split as rtpengine 10.5 splits it: fields end at each single
// space (two spaces make an empty field), and numbers are read the way C's
// strtol reads them, skipping leading white space (a bare CR included) and
// reading on past their own field. So "m=audio  30000 RTP/AVP 0" has an empty
// port field that reads 30000 and the protocol "30000", and the format list
// "0 \r 8" has three entries that read 0, 8 and 8.
struct MediaLine {
    std::string type;      // audio, video, image, application, ...
    int port = 0;
    int numPorts = 0;      // 0 = not given
    std::string proto;     // RTP/AVP, UDP/TLS/RTP/SAVPF, udptl, ...
    // The text after the protocol, split at every single space: empty when
    // the protocol ends the line, {""} for a lone trailing space. Written
    // back joined by single spaces, so unknown protocols keep their bytes.
    std::vector<std::string> formats;
    static std::optional<MediaLine> parse(std::string_view v);
    std::string format() const;
    // The payload type of each format entry (a trailing empty entry is not
    // one), or nullopt for one that reads no number in 0-127.
    std::vector<std::optional<int>> payloadTypes() const;
};


struct MediaSection {
    MediaLine m;
    bool mBareLf = false;
    size_t session = 0;       // the session (v= block) it belongs to
    std::vector<Line> lines;  // everything after the m= line, in order

    const Line* find(char type) const;
    // First a= line with that attribute name, or nullptr.
    const Line* findAttr(std::string_view name) const;
    bool hasAttr(std::string_view name) const { return findAttr(name) != nullptr; }
    std::optional<Connection> connection() const;
};

// One body may hold several sessions, each from its own v= line on (rtpengine
// rewrites each); `lines` is the first one's session part, `moreSessions`
// the others', and `media` holds the media sections of all of them in order.
struct SessionDescription {
    std::vector<Line> lines;  // session-level lines, v= first, in order
    std::vector<MediaSection> media;
    std::vector<std::vector<Line>> moreSessions;

    size_t sessionCount() const { return 1 + moreSessions.size(); }
    const std::vector<Line>& sessionLines(size_t session) const {
        return session == 0 ? lines : moreSessions[session - 1];
    }
    const Line* find(char type) const;
    const Line* findAttr(std::string_view name) const;
    std::optional<Connection> connection(size_t session = 0) const;
    std::optional<Origin> origin() const;
};

// Accepts CRLF or LF line endings; a later v= line starts another session.
// Rejects what rtpengine rejects: no v= first line, a line without "x=",
// malformed o=/c=/m= lines, bad ports. A blank line ends the description
// (what follows is ignored, as rtpengine does), or is an error with
// `rejectBlankLine` (--reject-invalid-sdp). The error's reason reads
// "Failed to parse SDP: <what> (line N)".
Result<SessionDescription> parse(std::string_view text, bool rejectBlankLine = false);

// Writes with CRLF line endings.
std::string write(const SessionDescription& sdp);
void writeLine(std::string& out, char type, std::string_view value, bool bareLf = false);

}  // namespace ngm::sdp
