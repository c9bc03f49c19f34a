// The TCP control protocol of OpenSER's old `mediaproxy` module, which
// rtpengine serves on --listen-tcp: one line per connection, the reply, then
// the connection is closed. This file is the line parser and the reply
// formats, no I/O; mediaproxy_transport.cpp runs the commands.
//
// What rtpengine 10.5 takes (found by running it; tokens are separated by
// runs of blanks, a trailing "\r" is dropped, words are case-sensitive):
//   request CALLID STREAMS CLIENTIP FROMDOMAIN FROMTYPE TODOMAIN TOTYPE AGENT info=INFO
//   lookup  (the same)      → "ADDR PORT [PORT...]\n", one port per stream
//   delete CALLID info=INFO → no reply
//   version | build         → "Version: ...\n"
//   status                  → "proxy CALLS RATE/0/0\n" + "session CALLID - - - - AGE\n"...
//   controls                → the open control connections, then "End.\n"
//   quit | exit             → no reply
// STREAMS is "ADDR:PORT[:TYPE]" items separated by ','; INFO is "key:value"
// items separated by ',' of which fromtag and totag are used. Anything else
// is a line that does not parse: the connection is closed without a reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "net/address.h"

namespace ngm::control::mediaproxy {

// An unfinished line longer than this closes the connection (rtpengine's
// "Buffer length exceeded"); a finished one is taken up to kMaxLine.
constexpr size_t kMaxPartialLine = 1024;
constexpr size_t kMaxLine = 16384;
// Streams taken from one request (the module sends at most 64).
constexpr size_t kMaxStreams = 64;

enum class Verb : uint8_t { Request, Lookup, Delete, Version, Status, Controls, Quit };

struct Stream {
    net::IpAddress address;
    uint16_t port = 0;
};

struct Command {
    Verb verb = Verb::Version;
    std::string_view callId;
    // Request/lookup: the streams as given; `streamsValid` is false when
    // one of them is no IPv4 "ADDR:PORT" (rtpengine answers an empty line).
    std::vector<Stream> streams;
    bool streamsValid = true;
    std::string_view fromTag, toTag;  // from INFO; empty when absent
};

// One line without its "\n" (a trailing "\r" is ignored). An error is a
// line rtpengine does not take.
Result<Command> parse(std::string_view line);

// Reply lines.
// "ADDR PORT1 PORT2 ...\n"; an empty line when `ports` is empty.
std::string portsReply(const net::IpAddress& addr, const std::vector<uint16_t>& ports);
std::string versionReply(std::string_view version);
struct SessionLine {
    std::string callId;
    int64_t ageSeconds = 0;
};
std::string statusReply(size_t calls, int64_t byteRate, const std::vector<SessionLine>& sessions);
std::string controlsReply(const std::vector<std::string>& peers);

}  // namespace ngm::control::mediaproxy
