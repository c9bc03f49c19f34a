// The rtpproxy control protocol (Kamailio's `rtpproxy` module, --listen-udp):
// one command per datagram, "COOKIE COMMAND[MODIFIERS] ARGS...", one reply
// line "COOKIE ...\n". This file is the parser and the reply formats, no
// I/O; rtpproxy_transport.cpp runs the commands on the session layer.
//
// What rtpengine 10.5 understands, and so what we do:
//   V                          → "COOKIE 20040107"       (protocol version)
//   VF <date>                  → "COOKIE 1" / "COOKIE 0"  (capability check)
//   U callid addr port from-tag;n [to-tag;n]   offer-like: "COOKIE port addr 4|6"
//   L callid addr port from-tag;n to-tag;n     answer-like, same reply
//                                              (unknown call: "COOKIE 0 0.0.0.0")
//   U/L without ";n" or with a port that is no number: "COOKIE port addr" echoed
//   D callid from-tag [to-tag]                 delete: "COOKIE 0"
//   Q callid from-tag [to-tag]                 query: "COOKIE ttl rtp rtcp 0 0"
//   anything else, or a malformed command      "COOKIE E8"
// Command letters and modifiers are case-insensitive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/address.h"

namespace ngm::control::rtpproxy {

// The longest datagram taken; rtpengine reads at most 8 KiB too. Longer
// ones are dropped (and counted) unanswered.
constexpr size_t kMaxMessage = 8192;

enum class Verb : uint8_t { Version, Update, Lookup, Delete, Query };

struct Command {
    std::string_view cookie;
    Verb verb = Verb::Version;
    // The letters after the command letter, upper-cased (e.g. "F" of VF,
    // "IE" of UIE; C<codecs> and other modifiers with values are kept
    // as they came).
    std::string modifiers;
    std::string_view callId;
    std::string_view fromTag, toTag;  // without ";medianum"
    // The media number after the from-tag (";1"); 0 when absent.
    int mediaNum = 0;
    std::optional<net::IpAddress> address;  // U/L
    uint16_t port = 0;                      // U/L
    // U/L that rtpengine does not take as one (a port that is not a number,
    // a from-tag without ";medianum"): it sets nothing up and hands the
    // request's port and address back as they were written.
    bool echo = false;
    std::string_view portText, addressText;
    std::string_view argument;  // V: the capability date
    // Interfaces the modifiers ask for (E: "external", I: "internal"), in
    // the order given, at most two (rtpengine's `direction`).
    std::string direction[2];
    int directionCount = 0;
};

// The first token (the cookie) of a message, "" when it has none (empty or
// blank datagrams get no reply).
std::string_view cookieOf(std::string_view message);

// Parses one message. On error the caller replies errorReply(cookieOf(...)).
Result<Command> parse(std::string_view message);

// The dates of the capabilities rtpengine confirms to VF (Kamailio's
// rtpproxy module asks for 20050322, 20071116 and 20081102 at start-up).
bool hasCapability(std::string_view date);

// The rtpproxy protocol carries no SDP; the session layer works on SDP. U
// and L become an offer and an answer of a minimal SDP made here (one
// audio m= line per media number, each with its own c= line), and the
// reply's port and address are read from the SDP the session layer writes.
//
// The SDP the participant gives with media number `mediaNum` (1-based) at
// `addr`:`port`: `previous` (the participant's last such SDP, or "") with
// that media section replaced or added; missing sections before it are
// added with port 0.
std::string describeMedia(std::string_view previous, int mediaNum, const net::IpAddress& addr,
                          uint16_t port);
// The port of the `mediaNum`th m= line of `sdp` and the address of its c=
// line (or of the session's; none when neither has one, as for a rejected
// stream). False when there is no such m= line.
bool mediaEndpoint(std::string_view sdp, int mediaNum, uint16_t& port,
                   std::optional<net::IpAddress>& addr);

// Reply lines (with the cookie and the trailing newline).
std::string errorReply(std::string_view cookie, int code = 8);
std::string versionReply(std::string_view cookie);
std::string capabilityReply(std::string_view cookie, bool supported);
// U/L: the port and address to put in the SDP; with the family digit when
// the proxy allocated it, without when the request's own address and port
// are echoed (L for an unknown call).
std::string portReply(std::string_view cookie, uint16_t port, const net::IpAddress& addr,
                      bool withFamily = true);
std::string echoReply(std::string_view cookie, std::string_view port, std::string_view address);
std::string deleteReply(std::string_view cookie);
std::string queryReply(std::string_view cookie, int64_t ttl, uint64_t rtpPackets,
                       uint64_t rtcpPackets);

}  // namespace ngm::control::rtpproxy
