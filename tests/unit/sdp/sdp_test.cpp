#include "sdp/sdp.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace ngm::sdp {
namespace {

const char* const kOfferCrlf =
    "v=0\r\n"
    "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
    "s=tester\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 2000 RTP/AVP 0 8 101\r\n"
    "c=IN IP4 198.51.100.2\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=x-unknown\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "b=AS:512\r\n";

// The error reason of a failed parse, or "" when it succeeded.
std::string parseError(std::string_view text) {
    auto r = parse(text);
    if (r) return "";
    return r.error().reason;
}

// Minimal valid SDP around one extra line, to probe a single line's parser.
std::string withLine(std::string_view line) {
    return "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n" + std::string(line) + "\r\nt=0 0\r\n";
}

// ---- round trip ----

TEST(SdpParse, EachLaterVLineStartsAnotherSession) {
    const std::string text = std::string(kOfferCrlf) +
                             "v=0\r\n"
                             "o=- 2 9 IN IP4 198.51.100.9\r\n"
                             "s=second\r\n"
                             "c=IN IP4 198.51.100.9\r\n"
                             "t=0 0\r\n"
                             "a=sendonly\r\n"
                             "m=audio 3000 RTP/AVP 8\r\n"
                             "a=ptime:20\r\n";
    auto r = parse(text);
    ASSERT_TRUE(r) << r.error().reason;
    ASSERT_EQ(r->sessionCount(), 2u);
    ASSERT_EQ(r->media.size(), 3u);
    EXPECT_EQ(r->media[1].session, 0u);
    EXPECT_EQ(r->media[2].session, 1u);
    EXPECT_EQ(r->sessionLines(1).size(), 6u);
    EXPECT_EQ(r->connection(1)->address, "198.51.100.9");
    EXPECT_EQ(r->connection(0)->address, "198.51.100.1");
    EXPECT_EQ(r->media[1].lines.size(), 1u);  // the v= is not video's
    EXPECT_EQ(write(*r), text);
}

TEST(SdpParse, CrlfInputWritesBackByteForByte) {
    auto r = parse(kOfferCrlf);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), kOfferCrlf);
}

TEST(SdpParse, LfInputWritesBackWithLfEndings) {
    const std::string lf =
        "v=0\n"
        "o=- 1 1 IN IP6 2001:db8::1\n"
        "s=-\n"
        "c=IN IP6 2001:db8::1\n"
        "t=0 0\n"
        "m=audio 2000 RTP/AVP 0\n"
        "a=sendrecv\n";
    auto r = parse(lf);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), lf);
    EXPECT_TRUE(r->lines[0].bareLf);
    EXPECT_TRUE(r->media[0].mBareLf);
    EXPECT_TRUE(r->media[0].lines[0].bareLf);
}

TEST(SdpParse, MixedLineEndingsEachLineKeepsItsOwn) {
    const std::string mixed =
        "v=0\r\n"
        "o=- 1 1 IN IP4 1.2.3.4\n"
        "s=-\r\n"
        "c=IN IP4 1.2.3.4\n"
        "t=0 0\r\n"
        "m=audio 2000 RTP/AVP 0\n"
        "a=sendrecv\r\n";
    auto r = parse(mixed);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), mixed);
}

TEST(SdpParse, LastLineWithoutLineEndingIsWrittenWithCrlf) {
    auto r = parse("v=0\r\ns=-\r\nm=audio 2000 RTP/AVP 0\r\na=sendrecv");
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), "v=0\r\ns=-\r\nm=audio 2000 RTP/AVP 0\r\na=sendrecv\r\n");
}

TEST(SdpParse, TrailingBlankLineIsIgnored) {
    auto r = parse("v=0\r\ns=-\r\nm=audio 2000 RTP/AVP 0\r\na=sendrecv\r\n\r\n");
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), "v=0\r\ns=-\r\nm=audio 2000 RTP/AVP 0\r\na=sendrecv\r\n");
}

// rtpengine stops at a blank line (tests/diff/golden/sdp_blank_line.json).
TEST(SdpParse, BlankLineEndsTheDescription) {
    auto r =
        parse("v=0\r\ns=-\r\n\r\nc=IN IP4 1.2.3.4\r\nm=audio 2000 RTP/AVP 0\r\nnot sdp at all\r\n");
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), "v=0\r\ns=-\r\n");
    EXPECT_TRUE(r->media.empty());
}

TEST(SdpParse, BlankLfLineEndsTheDescriptionToo) {
    auto r = parse("v=0\ns=-\n\nm=audio 2000 RTP/AVP 0\n");
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), "v=0\ns=-\n");
}

TEST(SdpParse, LinesAreSplitIntoSessionAndMediaSections) {
    auto r = parse(kOfferCrlf);
    ASSERT_TRUE(r);
    const auto& sdp = *r;
    ASSERT_EQ(sdp.lines.size(), 6u);
    EXPECT_EQ(sdp.lines[0].type, 'v');
    EXPECT_EQ(sdp.lines[5].type, 'a');
    EXPECT_EQ(sdp.lines[5].value, "group:BUNDLE 0");
    ASSERT_EQ(sdp.media.size(), 2u);
    EXPECT_EQ(sdp.media[0].m.type, "audio");
    EXPECT_EQ(sdp.media[0].m.port, 2000);
    EXPECT_EQ(sdp.media[0].m.proto, "RTP/AVP");
    EXPECT_EQ(sdp.media[0].m.formats, (std::vector<std::string>{"0", "8", "101"}));
    ASSERT_EQ(sdp.media[0].lines.size(), 5u);
    EXPECT_EQ(sdp.media[0].lines[4].value, "sendrecv");
    EXPECT_EQ(sdp.media[1].m.port, 0);
    ASSERT_EQ(sdp.media[1].lines.size(), 1u);
    EXPECT_EQ(sdp.media[1].lines[0].type, 'b');
}

TEST(SdpParse, UnknownLineTypesArePreserved) {
    const std::string in = "v=0\r\nz=0 -1h 3600 0\r\nk=prompt\r\nx=whatever you like\r\n";
    auto r = parse(in);
    ASSERT_TRUE(r) << r.error().reason;
    EXPECT_EQ(write(*r), in);
}

// ---- parse errors ----

TEST(SdpParseError, EmptyInputHasNoVersionLine) {
    EXPECT_EQ(parseError(""), "Failed to parse SDP: no v= line (line 0)");
}

TEST(SdpParseError, FirstLineNotVersionIsRejected) {
    EXPECT_EQ(parseError("s=-\r\nv=0\r\n"), "Failed to parse SDP: first line is not v=0 (line 1)");
}

TEST(SdpParseError, VersionOtherThanZeroIsRejectedAsRtpengineDoes) {
    EXPECT_EQ(parseError("v=1\r\ns=-\r\n"), "Failed to parse SDP: first line is not v=0 (line 1)");
    // A bare CR does not end a line: "v=0\rs=-" is one v= line with value "0\rs=-".
    EXPECT_EQ(parseError("v=0\rs=-\r\n"), "Failed to parse SDP: first line is not v=0 (line 1)");
}

TEST(SdpParseError, LeadingBlankLineLeavesNoVersionLine) {
    EXPECT_EQ(parseError("\r\nv=0\r\ns=-\r\n"), "Failed to parse SDP: no v= line (line 0)");
}

TEST(SdpParseError, BlankLineIsAnErrorWhenRejectingInvalidSdp) {
    auto r = parse("v=0\r\ns=-\r\n\r\nm=audio 2000 RTP/AVP 0\r\n", true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Failed to parse SDP: blank line (line 3)");
    EXPECT_FALSE(parse("v=0\n\ns=-\n", true));
    EXPECT_TRUE(parse("v=0\r\ns=-\r\n", true));
}

TEST(SdpParseError, NonSdpTextIsRejected) {
    EXPECT_EQ(parseError("hello world"),
              "Failed to parse SDP: line is not of the form x=value (line 1)");
}

TEST(SdpParseError, LineWithoutEqualsIsRejectedWithItsLineNumber) {
    EXPECT_EQ(parseError("v=0\r\ns=-\r\nfoo\r\n"),
              "Failed to parse SDP: line is not of the form x=value (line 3)");
}

TEST(SdpParseError, UppercaseTypeIsRejected) { EXPECT_NE(parseError("v=0\r\nS=-\r\n"), ""); }

TEST(SdpParseError, SingleCharacterLineIsRejected) { EXPECT_NE(parseError("v=0\r\na\r\n"), ""); }

TEST(SdpParseError, NonNumericMediaPortIsRejected) {
    EXPECT_EQ(parseError("v=0\r\nm=audio abc RTP/AVP 0\r\n"),
              "Failed to parse SDP: invalid m= line (line 2)");
}

TEST(SdpParseError, MediaPortOutOfRangeIsRejected) {
    EXPECT_NE(parseError("v=0\r\nm=audio 65536 RTP/AVP 0\r\n"), "");
    EXPECT_NE(parseError("v=0\r\nm=audio -1 RTP/AVP 0\r\n"), "");
    EXPECT_EQ(parseError("v=0\r\nm=audio 65535 RTP/AVP 0\r\n"), "");
}

TEST(SdpParseError, MediaPortCountMustBePositive) {
    EXPECT_NE(parseError("v=0\r\nm=audio 2000/0 RTP/AVP 0\r\n"), "");
    EXPECT_NE(parseError("v=0\r\nm=audio 2000/x RTP/AVP 0\r\n"), "");
    EXPECT_NE(parseError("v=0\r\nm=audio 2000/ RTP/AVP 0\r\n"), "");
    EXPECT_EQ(parseError("v=0\r\nm=audio 2000/2 RTP/AVP 0\r\n"), "");
}

TEST(SdpParseError, MediaLineWithoutProtocolIsRejected) {
    EXPECT_NE(parseError("v=0\r\nm=audio 2000\r\n"), "");
}

TEST(SdpParseError, OriginWithWrongFieldCountIsRejected) {
    EXPECT_EQ(parseError(withLine("o=- 1 1 IN IP4")),
              "Failed to parse SDP: invalid o= line (line 4)");
    EXPECT_NE(parseError(withLine("o=- 1 1 IN IP4 1.2.3.4 extra")), "");
}

TEST(SdpParseError, ConnectionWithHostnameForIp4IsRejected) {
    EXPECT_EQ(parseError(withLine("c=IN IP4 example.com")),
              "Failed to parse SDP: invalid c= line (line 4)");
}

TEST(SdpParseError, ConnectionWithMissingAddressIsRejected) {
    EXPECT_NE(parseError(withLine("c=IN IP4")), "");
    EXPECT_NE(parseError(withLine("c=IN IP4 /127")), "");
}

TEST(SdpParseError, ConnectionWithIp6LiteralIsAccepted) {
    EXPECT_EQ(parseError(withLine("c=IN IP6 2001:DB8::a:1")), "");
    EXPECT_EQ(parseError(withLine("c=IN IP6 ::ffff:192.0.2.1")), "");
}

TEST(SdpParseError, ConnectionWithHostnameForIp6IsRejected) {
    EXPECT_NE(parseError(withLine("c=IN IP6 host.example")), "");
}

TEST(SdpParseError, ConnectionInMediaSectionIsValidatedToo) {
    EXPECT_EQ(parseError("v=0\r\nm=audio 2000 RTP/AVP 0\r\nc=IN IP4 bad.host\r\n"),
              "Failed to parse SDP: invalid c= line (line 3)");
}

// ---- typed accessors ----

TEST(SdpOrigin, ParsesSixFieldsAndFormatsThemBack) {
    auto o = Origin::parse("alice 2890844526 2890842807 IN IP4 10.47.16.5");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->username, "alice");
    EXPECT_EQ(o->sessionId, "2890844526");
    EXPECT_EQ(o->sessionVersion, "2890842807");
    EXPECT_EQ(o->netType, "IN");
    EXPECT_EQ(o->addrType, "IP4");
    EXPECT_EQ(o->address, "10.47.16.5");
    EXPECT_EQ(o->format(), "alice 2890844526 2890842807 IN IP4 10.47.16.5");
}

TEST(SdpOrigin, RepeatedSpacesAreCollapsedOnFormat) {
    auto o = Origin::parse("-  1   2 IN IP4 1.2.3.4");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->format(), "- 1 2 IN IP4 1.2.3.4");
}

TEST(SdpOrigin, SessionOriginAccessorParsesTheOLine) {
    auto r = parse(kOfferCrlf);
    ASSERT_TRUE(r);
    auto o = r->origin();
    ASSERT_TRUE(o);
    EXPECT_EQ(o->sessionId, "1545997027");
    EXPECT_EQ(o->address, "198.51.100.1");
    auto none = parse("v=0\r\ns=-\r\n");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->origin());
}

// rtpengine 10.5 refuses multicast c= lines with a TTL/count suffix and
// network or address types other than IN IP4/IP6 ("Failed to parse SDP").
TEST(SdpConnection, TtlSuffixAndForeignTypesAreRejected) {
    EXPECT_FALSE(Connection::parse("IN IP4 224.2.36.42/127/3"));
    EXPECT_FALSE(Connection::parse("IN IP4 224.2.36.42/127"));
    EXPECT_FALSE(Connection::parse("XX IP4 1.2.3.4"));
    EXPECT_FALSE(Connection::parse("IN IP5 1.2.3.4"));
}

TEST(SdpConnection, Ip6LiteralParses) {
    auto c = Connection::parse("IN IP6 2001:db8::1");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->addrType, "IP6");
    EXPECT_EQ(c->address, "2001:db8::1");
    EXPECT_EQ(c->format(), "IN IP6 2001:db8::1");
}

TEST(SdpConnection, HostnameIsRejectedForIp4AndIp6) {
    EXPECT_FALSE(Connection::parse("IN IP4 example.com"));
    EXPECT_FALSE(Connection::parse("IN IP6 example.com"));
}

// rtpengine parses c= addresses with inet_pton (sdp.c parse_address), so a
// literal that is not a valid address fails the whole SDP, as a hostname does.
TEST(SdpConnection, MalformedAddressLiteralIsRejected) {
    for (const char* bad : {"IN IP4 256.1.1.1", "IN IP4 1.2.3", "IN IP4 1..2.3", "IN IP4 ...",
                            "IN IP6 1.2.3.4", "IN IP6 :::", "IN IP6 12345::1"}) {
        EXPECT_FALSE(Connection::parse(bad)) << bad;
        EXPECT_NE(parseError(withLine(std::string("c=") + bad)), "") << bad;
    }
}

TEST(SdpConnection, WrongFieldCountFails) {
    EXPECT_FALSE(Connection::parse("IN IP4"));
    EXPECT_FALSE(Connection::parse("IN IP4 1.2.3.4 extra"));
}

TEST(SdpConnection, SessionAndMediaAccessorsReadTheirOwnLine) {
    auto r = parse(kOfferCrlf);
    ASSERT_TRUE(r);
    auto session = r->connection();
    ASSERT_TRUE(session);
    EXPECT_EQ(session->address, "198.51.100.1");
    auto media = r->media[0].connection();
    ASSERT_TRUE(media);
    EXPECT_EQ(media->address, "198.51.100.2");
    EXPECT_FALSE(r->media[1].connection());
}

TEST(SdpMediaLine, ParsesAndFormatsPortCountAndFormats) {
    auto m = MediaLine::parse("video 49170/2 RTP/AVP 31 32");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, "video");
    EXPECT_EQ(m->port, 49170);
    EXPECT_EQ(m->numPorts, 2);
    EXPECT_EQ(m->proto, "RTP/AVP");
    EXPECT_EQ(m->formats, (std::vector<std::string>{"31", "32"}));
    EXPECT_EQ(m->format(), "video 49170/2 RTP/AVP 31 32");
}

TEST(SdpMediaLine, NoFormatsAndNoPortCountFormatsWithoutThem) {
    auto m = MediaLine::parse("application 9 UDP/DTLS/SCTP");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->numPorts, 0);
    EXPECT_TRUE(m->formats.empty());
    EXPECT_EQ(m->format(), "application 9 UDP/DTLS/SCTP");
}

TEST(SdpMediaLine, FieldsEndAtEverySingleSpaceAsRtpengineSplitsThem) {
    // Two spaces make an empty port field; the port reads on into the next
    // field, which becomes the protocol.
    auto m = MediaLine::parse("audio  30000 RTP/AVP 0");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->port, 30000);
    EXPECT_EQ(m->proto, "30000");
    EXPECT_EQ(m->formats, (std::vector<std::string>{"RTP/AVP", "0"}));
    EXPECT_EQ(m->format(), "audio 30000 30000 RTP/AVP 0");
    auto empty = MediaLine::parse("audio 30000  RTP/AVP 0");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->proto, "");
    EXPECT_EQ(empty->format(), "audio 30000  RTP/AVP 0");
}

TEST(SdpMediaLine, PortIsReadLikeStrtolAndWrittenAsANumber) {
    auto m = MediaLine::parse("audio \r+30000/\r2 RTP/AVP 0");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->port, 30000);
    EXPECT_EQ(m->numPorts, 2);
    EXPECT_EQ(m->format(), "audio 30000/2 RTP/AVP 0");
    auto garbage = MediaLine::parse("audio 30000x/2 RTP/AVP 0");  // the count must follow the digits
    ASSERT_TRUE(garbage);
    EXPECT_EQ(garbage->numPorts, 0);
    EXPECT_EQ(garbage->format(), "audio 30000 RTP/AVP 0");
    EXPECT_FALSE(MediaLine::parse("audio 70000 RTP/AVP 0"));
    EXPECT_FALSE(MediaLine::parse("audio 9/11 RTP/AVP 0"));  // rtpengine takes at most 10
    EXPECT_FALSE(MediaLine::parse("audio 9/0 RTP/AVP 0"));
    EXPECT_FALSE(MediaLine::parse("audio  RTP/AVP 0"));      // no digits before the line ends
    EXPECT_FALSE(MediaLine::parse("audio 9"));                // no protocol
    EXPECT_FALSE(MediaLine::parse("audio 9 "));
}

TEST(SdpMediaLine, FormatTextIsKeptByteForByte) {
    for (const char* v : {"image 9 udptl  t38", "image 9 udptl t38 ", "image 9 udptl t38 \r ",
                          "audio 9 RTP/AVP ", "audio 9 RTP/AVP", "audio 9 RTP/AVP 0\r8"}) {
        auto m = MediaLine::parse(v);
        ASSERT_TRUE(m) << v;
        EXPECT_EQ(m->format(), v);
    }
}

TEST(SdpMediaLine, PayloadTypesAreReadOnPastABareCrOrAnEmptyEntry) {
    auto pts = [](const char* v) { return MediaLine::parse(v)->payloadTypes(); };
    using P = std::vector<std::optional<int>>;
    EXPECT_EQ(pts("audio 9 RTP/AVP 0 \r 8"), (P{0, 8, 8}));
    EXPECT_EQ(pts("audio 9 RTP/AVP 0  8"), (P{0, 8, 8}));
    EXPECT_EQ(pts("audio 9 RTP/AVP 0\r8 96\r"), (P{0, 96}));
    EXPECT_EQ(pts("audio 9 RTP/AVP +8 -0 08 8x \t9"), (P{8, 0, 8, 8, 9}));
    EXPECT_EQ(pts("audio 9 RTP/AVP 0 8 "), (P{0, 8}));  // a trailing empty entry is none
    EXPECT_EQ(pts("audio 9 RTP/AVP "), P{});
    EXPECT_EQ(pts("audio 9 RTP/AVP 0 \r"), (P{0, std::nullopt}));  // reads into the line end
    EXPECT_EQ(pts("audio 9 RTP/AVP x -8 128 + 8 99999999999999999999"),
              (P{std::nullopt, std::nullopt, std::nullopt, std::nullopt, 8, std::nullopt}));
}

TEST(SdpRoundTrip, MediaLineEndingInBareCrAndSpaceBeforeLfIsStable) {
    // ../shared/regressions/sdp-roundtrip-bare-cr.sdp: the m= value ended in
    // "\r " before a bare LF; writing dropped the space, and the CR then
    // read as part of a CRLF ending.
    const std::string in = "v=0\r\nm=au 8 1ce 1 1 I\x0b IP=0 0\r=0IP=1 0 \r \n";
    auto r = parse(in);
    ASSERT_TRUE(r);
    std::string out = write(*r);
    EXPECT_EQ(out, in);
    auto again = parse(out);
    ASSERT_TRUE(again);
    EXPECT_EQ(write(*again), out);
}

TEST(SdpMediaLine, ChangedPortIsWrittenBack) {
    auto m = MediaLine::parse("image 4000 udptl t38");
    ASSERT_TRUE(m);
    m->port = 0;
    EXPECT_EQ(m->format(), "image 0 udptl t38");
}

TEST(SdpAttribute, SplitsNameAndValueAtFirstColon) {
    auto a = splitAttribute("rtpmap:0 PCMU/8000");
    EXPECT_EQ(a.name, "rtpmap");
    EXPECT_EQ(a.value, "0 PCMU/8000");
    EXPECT_TRUE(a.hasValue);
    auto b = splitAttribute("fingerprint:sha-256 AB:CD");
    EXPECT_EQ(b.name, "fingerprint");
    EXPECT_EQ(b.value, "sha-256 AB:CD");
}

TEST(SdpAttribute, PropertyAttributeHasNoValue) {
    auto a = splitAttribute("sendrecv");
    EXPECT_EQ(a.name, "sendrecv");
    EXPECT_EQ(a.value, "");
    EXPECT_FALSE(a.hasValue);
}

TEST(SdpAttribute, TrailingColonGivesEmptyValue) {
    auto a = splitAttribute("label:");
    EXPECT_EQ(a.name, "label");
    EXPECT_EQ(a.value, "");
    EXPECT_TRUE(a.hasValue);
}

TEST(SdpAttribute, FindAttrMatchesWholeNameOnly) {
    auto r =
        parse("v=0\r\na=tool:x\r\nm=audio 1 RTP/AVP 0\r\na=rtcp-mux\r\na=rtcp:9\r\na=rtcp:10\r\n");
    ASSERT_TRUE(r) << r.error().reason;
    const auto& m = r->media[0];
    const Line* rtcp = m.findAttr("rtcp");
    ASSERT_NE(rtcp, nullptr);
    EXPECT_EQ(rtcp->value, "rtcp:9");
    EXPECT_TRUE(m.hasAttr("rtcp-mux"));
    EXPECT_FALSE(m.hasAttr("rtcp-m"));
    EXPECT_FALSE(m.hasAttr("tool"));  // session-level only
    ASSERT_NE(r->findAttr("tool"), nullptr);
    EXPECT_EQ(r->findAttr("rtcp-mux"), nullptr);
}

TEST(SdpAttribute, FindReturnsFirstLineOfType) {
    auto r = parse("v=0\r\nm=audio 1 RTP/AVP 0\r\nb=AS:1\r\nb=TIAS:2\r\n");
    ASSERT_TRUE(r);
    const Line* b = r->media[0].find('b');
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->value, "AS:1");
    EXPECT_EQ(r->media[0].find('c'), nullptr);
    EXPECT_EQ(r->find('m'), nullptr);  // m= lines are not kept as session lines
}

TEST(SdpWrite, WriteLineAppendsTypeValueAndEnding) {
    std::string out;
    writeLine(out, 'a', "sendrecv");
    writeLine(out, 'c', "IN IP4 1.2.3.4", true);
    EXPECT_EQ(out, "a=sendrecv\r\nc=IN IP4 1.2.3.4\n");
}

}  // namespace
}  // namespace ngm::sdp
