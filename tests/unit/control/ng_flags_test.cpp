#include "control/ng_flags.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace ngm::control {
namespace {

using bencode::Value;
using session::Flags;
using session::RtcpMuxMode;

// Keys and strings below are literals, so the views in Value stay valid.
Value str(std::string_view s) { return Value::string(s); }
Value num(int64_t i) { return Value::integer(i); }
Value list(std::initializer_list<Value> items) {
    Value v = Value::list();
    for (const auto& i : items) v.push(i);
    return v;
}
Value dict(std::initializer_list<std::pair<std::string_view, Value>> entries) {
    Value v = Value::dict();
    for (const auto& [k, e] : entries) v.add(k, e);
    return v;
}

// Parses `d` and returns the error ("" when none).
std::string parse(const Value& d, Flags& f) {
    auto r = parseFlags(d, f);
    return r ? "" : r.error().reason;
}

Flags parsed(const Value& d) {
    Flags f;
    auto r = parseFlags(d, f);
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().reason);
    return f;
}

Flags withFlags(std::initializer_list<Value> items) {
    return parsed(dict({{"flags", list(items)}}));
}

using Names = std::vector<std::string>;

// ---- key spelling ----

TEST(NgFlags, KeysAcceptSpacesHyphensAndUnderscores) {
    for (auto key : {"call-id", "call_id", "call id"}) {
        Flags f = parsed(dict({{key, str("abc")}}));
        EXPECT_EQ(f.callId, "abc") << key;
    }
    Flags f =
        parsed(dict({{"from_tag", str("ft")}, {"to tag", str("tt")}, {"via-branch", str("vb")}}));
    EXPECT_EQ(f.fromTag, "ft");
    EXPECT_EQ(f.toTag, "tt");
    EXPECT_EQ(f.viaBranch, "vb");
    EXPECT_EQ(parsed(dict({{"delete_delay", num(3)}})).deleteDelay, 3);
    EXPECT_EQ(parsed(dict({{"delete-delay", num(4)}})).deleteDelay, 4);
    EXPECT_EQ(parsed(dict({{"delete delay", num(5)}})).deleteDelay, 5);
}

TEST(NgFlags, CommandKeyAndUnknownKeysAreIgnored) {
    Flags f;
    EXPECT_EQ(parse(dict({{"command", str("offer")}, {"no-such-key", list({num(1)})}}), f), "");
    EXPECT_EQ(f.callId, "");
}

TEST(NgFlags, NonStringCallIdAndTagsCountAsMissing) {
    Flags f = parsed(dict({{"call-id", num(5)}, {"from-tag", list({})}, {"to-tag", dict({})}}));
    EXPECT_EQ(f.callId, "");
    EXPECT_EQ(f.fromTag, "");
    EXPECT_EQ(f.toTag, "");
}

TEST(NgFlags, SdpMustBeAString) {
    Flags a = parsed(dict({{"sdp", str("v=0\r\n")}}));
    EXPECT_TRUE(a.hasSdp);
    EXPECT_EQ(a.sdp, "v=0\r\n");
    Flags b = parsed(dict({{"sdp", num(1)}}));
    EXPECT_FALSE(b.hasSdp);
}

TEST(NgFlags, IntegerAcceptedWhereStringExpected) {
    EXPECT_EQ(parsed(dict({{"via-branch", num(42)}})).viaBranch, "42");
}

// ---- flags list ----

TEST(NgFlags, FlagsAcceptSpacesHyphensAndUnderscores) {
    EXPECT_TRUE(withFlags({str("trust-address")}).trustAddress);
    EXPECT_TRUE(withFlags({str("trust_address")}).trustAddress);
    EXPECT_TRUE(withFlags({str("trust address")}).trustAddress);
    EXPECT_TRUE(withFlags({str("SIP-source-address")}).sipSourceAddress);
    EXPECT_TRUE(withFlags({str("no-rtcp-attribute")}).noRtcpAttribute);
    EXPECT_TRUE(withFlags({str("full_rtcp_attribute")}).fullRtcpAttribute);
    EXPECT_TRUE(withFlags({str("loop-protect")}).loopProtect);
    EXPECT_TRUE(withFlags({str("generate-mid")}).generateMid);
    EXPECT_TRUE(withFlags({str("original-sendrecv")}).originalSendrecv);
    EXPECT_TRUE(withFlags({str("single-codec")}).singleCodec);
    EXPECT_TRUE(withFlags({str("strip-extmap")}).stripExtmap);
    EXPECT_TRUE(withFlags({str("port-latching")}).portLatching);
    EXPECT_TRUE(withFlags({str("fatal")}).fatal);
}

TEST(NgFlags, SeveralFlagsInOneList) {
    Flags f = withFlags({str("symmetric"), str("asymmetric"), str("strict-source"), str("reset")});
    EXPECT_TRUE(f.symmetric);
    EXPECT_TRUE(f.asymmetric);
    EXPECT_TRUE(f.strictSource);
    EXPECT_TRUE(f.reset);
    EXPECT_FALSE(f.trustAddress);
}

TEST(NgFlags, UnknownFlagIsIgnored) {
    Flags f;
    EXPECT_EQ(parse(dict({{"flags", list({str("no-such-flag"), str("trust-address")})}}), f), "");
    EXPECT_TRUE(f.trustAddress);
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, CodecPrefixedFlagsFillCodecLists) {
    Flags f = withFlags({str("codec-strip-PCMA"), str("codec-offer-opus"), str("codec-except-G722"),
                         str("codec-mask-PCMU"), str("codec-strip-telephone-event"),
                         str("codec-strip-opus/48000/2")});
    EXPECT_EQ(f.codec.strip, (Names{"PCMA", "telephone-event", "opus/48000/2"}));
    EXPECT_EQ(f.codec.offer, Names{"opus"});
    EXPECT_EQ(f.codec.except, Names{"G722"});
    EXPECT_EQ(f.codec.mask, Names{"PCMU"});
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, CodecTranscodeFlagIsNotedAsNotImplemented) {
    Flags f = withFlags({str("codec-transcode-G722")});
    EXPECT_EQ(f.codec.transcode, Names{"G722"});
    EXPECT_EQ(f.notImplemented, Names{"codec transcode (transcoding)"});
}

TEST(NgFlags, MalformedCodecFlagIsIgnored) {
    Flags f = withFlags({str("codec-strip"), str("codec-bogus-PCMA")});
    EXPECT_FALSE(f.codec.any());
}

TEST(NgFlags, SdesPrefixedFlagsAreCollected) {
    Flags f = withFlags({str("SDES-off"), str("SDES-no-AES_CM_128_HMAC_SHA1_32"), str("pad crypto")});
    EXPECT_EQ(f.sdes, (Names{"off", "no-AES_CM_128_HMAC_SHA1_32", "pad"}));
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, ReplacePrefixedFlagsHaveNoEffect) {
    // As in rtpengine 10.5 (diff scenario flags_prefix_no_effect).
    Flags f = withFlags({str("replace-origin"), str("replace-session-connection"),
                         str("replace-SDP-version"), str("replace-zero-address"), str("replace-username")});
    EXPECT_FALSE(f.replaceOrigin);
    EXPECT_FALSE(f.replaceSessionConnection);
    EXPECT_FALSE(f.replaceSdpVersion);
    EXPECT_FALSE(f.replaceZeroAddress);
    EXPECT_FALSE(f.replaceUsername);
}

TEST(NgFlags, RtcpMuxPrefixedFlagHasNoEffect) {
    // As in rtpengine 10.5; the `rtcp-mux` list is what sets the mode.
    Flags f = withFlags({str("rtcp-mux-demux"), str("rtcp-mux-require")});
    EXPECT_EQ(f.rtcpMux, RtcpMuxMode::Default);
    EXPECT_TRUE(f.rtcpMuxList.empty());
}

TEST(NgFlags, KeyValueItemInFlagsActsAsKey) {
    Flags f = withFlags({str("delete-delay=7"), str("address-family=IP6"),
                         str("media-address=203.0.113.5"), str("via-branch=z9hG4bK1")});
    EXPECT_EQ(f.deleteDelay, 7);
    EXPECT_EQ(f.addressFamily, net::Family::V6);
    ASSERT_TRUE(f.mediaAddress);
    EXPECT_EQ(f.mediaAddress->toString(), "203.0.113.5");
    EXPECT_EQ(f.viaBranch, "z9hG4bK1");
}

TEST(NgFlags, KeyValueItemInFlagsIsValidated) {
    Flags f;
    EXPECT_EQ(parse(dict({{"flags", list({str("delete-delay=soon")})}}), f),
              "Invalid type for key 'delete-delay': expected integer");
    Flags g;
    EXPECT_EQ(parse(dict({{"flags", list({str("address-family=IP5")})}}), g),
              "Invalid 'address family': 'IP5' (expected IP4 or IP6)");
}

TEST(NgFlags, IceForceFlagSetsTheIceMode) {
    Flags f = withFlags({str("ICE=force")});
    EXPECT_EQ(f.ice, "force");
    EXPECT_TRUE(f.notImplemented.empty());
    Flags g = withFlags({str("ICE-force")});
    EXPECT_EQ(g.ice, "force");
    EXPECT_TRUE(g.notImplemented.empty());
}

TEST(NgFlags, TrickleIceAndFragmentFlagsAreSet) {
    Flags f = withFlags({str("trickle-ICE"), str("fragment")});
    EXPECT_TRUE(f.trickleIce);
    EXPECT_TRUE(f.fragment);
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, GenerateRtcpFlagAndKeyAreTakenInEverySpelling) {
    for (auto spelling : {"generate RTCP", "generate-RTCP", "generate_RTCP"}) {
        Flags f = withFlags({str(spelling)});
        EXPECT_EQ(f.generateRtcp, "on") << spelling;
        EXPECT_TRUE(f.notImplemented.empty()) << spelling;
    }
    for (auto value : {"on", "off"}) {
        Flags f = parsed(dict({{"generate-RTCP", str(value)}}));
        EXPECT_EQ(f.generateRtcp, value);
        EXPECT_TRUE(f.notImplemented.empty());
    }
}

TEST(NgFlags, RecordCallFlagIsNotedAsNotImplemented) {
    Flags f = withFlags({str("record-call")});
    EXPECT_EQ(f.recordCall, "yes");
    EXPECT_EQ(f.notImplemented, Names{"record call"});
}

// ---- list- and dict-valued keys ----

TEST(NgFlags, ListKeysWithWrongTypeAreIgnored) {
    Flags f;
    auto d = dict({{"flags", str("trust-address")},
                   {"replace", str("origin")},
                   {"rtcp-mux", str("demux")},
                   {"direction", str("pub")},
                   {"supports", num(1)},
                   {"codec", list({str("strip")})},
                   {"SDES", str("off")}});
    EXPECT_EQ(parse(d, f), "");
    EXPECT_FALSE(f.trustAddress);
    EXPECT_FALSE(f.replaceOrigin);
    EXPECT_EQ(f.rtcpMux, RtcpMuxMode::Default);
    EXPECT_TRUE(f.direction.empty());
    EXPECT_FALSE(f.loadLimitSupported);
    EXPECT_FALSE(f.codec.any());
    EXPECT_TRUE(f.sdes.empty());
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, ReplaceListSetsOptions) {
    Flags f =
        parsed(dict({{"replace", list({str("origin"), str("session_connection"), str("SDP-version"),
                                       str("username"), str("session-name"), str("zero address"),
                                       str("unknown")})}}));
    EXPECT_TRUE(f.replaceOrigin);
    EXPECT_TRUE(f.replaceSessionConnection);
    EXPECT_TRUE(f.replaceSdpVersion);
    EXPECT_TRUE(f.replaceUsername);
    EXPECT_TRUE(f.replaceSessionName);
    EXPECT_TRUE(f.replaceZeroAddress);
}

TEST(NgFlags, RtcpMuxListRejectWinsOverOffer) {
    Flags a = parsed(dict({{"rtcp-mux", list({str("offer"), str("reject")})}}));
    EXPECT_EQ(a.rtcpMux, RtcpMuxMode::Reject);
    Flags b = parsed(dict({{"rtcp-mux", list({str("reject"), str("offer")})}}));
    EXPECT_EQ(b.rtcpMux, RtcpMuxMode::Reject);
    EXPECT_EQ(b.rtcpMuxList, (std::vector<RtcpMuxMode>{RtcpMuxMode::Reject, RtcpMuxMode::Offer}));
    Flags c = parsed(dict({{"rtcp-mux", list({str("accept"), str("bogus")})}}));
    EXPECT_EQ(c.rtcpMux, RtcpMuxMode::Accept);
    EXPECT_EQ(c.rtcpMuxList, std::vector<RtcpMuxMode>{RtcpMuxMode::Accept});
}

TEST(NgFlags, BundleListSetsEachItemAndIgnoresUnknownOnes) {
    Flags none = parsed(dict({}));
    EXPECT_FALSE(none.bundle.any());
    Flags a = parsed(dict({{"bundle", list({str("accept"), str("require"), str("bogus")})}}));
    EXPECT_TRUE(a.bundle.accept);
    EXPECT_TRUE(a.bundle.require);
    EXPECT_FALSE(a.bundle.offer || a.bundle.strict || a.bundle.reject);
    EXPECT_TRUE(a.bundle.offers());
    Flags b = parsed(dict({{"bundle", list({str("offer"), str("strict"), str("reject")})}}));
    EXPECT_TRUE(b.bundle.offer && b.bundle.strict && b.bundle.reject);
    EXPECT_FALSE(b.bundle.accept);
    // Not a list: ignored, as other list keys are.
    Flags c = parsed(dict({{"bundle", str("accept")}}));
    EXPECT_FALSE(c.bundle.any());
}

TEST(NgFlags, DirectionTakesUpToTwoNames) {
    Flags f = parsed(dict({{"direction", list({str("pub"), str("priv")})}}));
    EXPECT_EQ(f.direction, (Names{"pub", "priv"}));
    Flags g;
    EXPECT_EQ(parse(dict({{"direction", list({str("a"), str("b"), str("c")})}}), g),
              "Too many elements in 'direction' (at most 2)");
    Flags h;
    EXPECT_EQ(parse(dict({{"direction", list({str("a"), num(1)})}}), h),
              "Invalid type for key 'direction': expected list of strings");
}

TEST(NgFlags, CodecDictFillsListsAndNotesTranscoding) {
    Flags f = parsed(dict({{"codec", dict({{"strip", list({str("PCMA"), str("G722")})},
                                           {"except", str("opus")},
                                           {"transcode", list({str("AMR")})},
                                           {"unknown", list({str("x")})}})}}));
    EXPECT_EQ(f.codec.strip, (Names{"PCMA", "G722"}));
    EXPECT_EQ(f.codec.except, Names{"opus"});  // a single string counts as a list
    EXPECT_EQ(f.codec.transcode, Names{"AMR"});
    EXPECT_EQ(f.notImplemented, Names{"codec transcode (transcoding)"});
}

TEST(NgFlags, SupportsLoadLimit) {
    EXPECT_TRUE(parsed(dict({{"supports", list({str("load-limit")})}})).loadLimitSupported);
    EXPECT_TRUE(withFlags({str("load limit")}).loadLimitSupported);
}

// ---- validated values ----

TEST(NgFlags, ReceivedFromTakesFamilyAndAddress) {
    Flags f = parsed(dict({{"received-from", list({str("IP4"), str("198.51.100.9")})}}));
    ASSERT_TRUE(f.receivedFrom);
    EXPECT_EQ(f.receivedFrom->toString(), "198.51.100.9");
}

TEST(NgFlags, ReceivedFromOfWrongShapeIsAnError) {
    const std::string shape = "Invalid 'received from' (expected a list of family and address)";
    for (const Value& v :
         {str("198.51.100.9"), list({str("IP4")}), list({str("IP4"), str("1.2.3.4"), str("x")}),
          list({str("IP4"), num(1)})}) {
        Flags f;
        EXPECT_EQ(parse(dict({{"received from", v}}), f), shape);
        EXPECT_FALSE(f.receivedFrom);
    }
}

TEST(NgFlags, ReceivedFromWithBadAddressIsAnError) {
    Flags f;
    EXPECT_EQ(parse(dict({{"received-from", list({str("IP4"), str("nowhere")})}}), f),
              "Invalid address in 'received from': 'nowhere'");
}

TEST(NgFlags, MediaAddressMustBeAnAddress) {
    Flags f = parsed(dict({{"media-address", str("2001:db8::5")}}));
    ASSERT_TRUE(f.mediaAddress);
    EXPECT_EQ(f.mediaAddress->family(), net::Family::V6);
    Flags g;
    EXPECT_EQ(parse(dict({{"media address", str("host.example")}}), g),
              "Invalid address in 'media address': 'host.example'");
    Flags h;
    EXPECT_EQ(parse(dict({{"media-address", list({})}}), h),
              "Invalid type for key 'media-address': expected string");
}

TEST(NgFlags, AddressFamilyIsIp4OrIp6) {
    EXPECT_EQ(parsed(dict({{"address family", str("IP4")}})).addressFamily, net::Family::V4);
    EXPECT_EQ(parsed(dict({{"address-family", str("IP6")}})).addressFamily, net::Family::V6);
    Flags f;
    EXPECT_EQ(parse(dict({{"address-family", str("IPv6")}}), f),
              "Invalid 'address family': 'IPv6' (expected IP4 or IP6)");
}

TEST(NgFlags, LimitIsReadAsRtpengineReadsIt) {
    EXPECT_EQ(parsed(dict({{"limit", num(5)}})).limit, 5);
    EXPECT_EQ(parsed(dict({{"limit", str("10")}})).limit, 10);
    EXPECT_EQ(parsed(dict({})).limit, 32);
    // Zero and negative values are the list command's to judge (0 lists
    // nothing, < 0 is an error there); what is not a number keeps the default.
    EXPECT_EQ(parsed(dict({{"limit", num(0)}})).limit, 0);
    EXPECT_EQ(parsed(dict({{"limit", num(-1)}})).limit, -1);
    EXPECT_EQ(parsed(dict({{"limit", str("many")}})).limit, 32);
    EXPECT_EQ(parsed(dict({{"limit", list({num(3)})}})).limit, 32);
}

TEST(NgFlags, DeleteDelayMustNotBeNegative) {
    EXPECT_EQ(parsed(dict({{"delete delay", num(0)}})).deleteDelay, 0);
    EXPECT_EQ(parsed(dict({{"delete-delay", str(" 12 ")}})).deleteDelay, 12);
    EXPECT_EQ(parsed(dict({})).deleteDelay, -1);
    EXPECT_EQ(parsed(dict({{"delete-delay", num(int64_t(1) << 40)}})).deleteDelay, 1 << 30);
    Flags f;
    EXPECT_EQ(parse(dict({{"delete-delay", num(-1)}}), f),
              "Invalid 'delete delay': must not be negative");
}

TEST(NgFlags, FirstErrorStopsParsing) {
    Flags f;
    EXPECT_NE(parse(dict({{"delete delay", num(-1)}, {"call-id", str("late")}}), f), "");
    EXPECT_EQ(f.callId, "");
}

// ---- not implemented yet ----

TEST(NgFlags, IceKeyValuesAreTakenAsGiven) {
    for (const char* v : {"force", "remove", "default", "optional", "force-relay"}) {
        Flags f = parsed(dict({{"ICE", str(v)}}));
        EXPECT_EQ(f.ice, v);
        EXPECT_TRUE(f.notImplemented.empty()) << v;
    }
}

TEST(NgFlags, IceLiteKeyIsTaken) {
    Flags f = parsed(dict({{"ICE-lite", str("forward")}}));
    EXPECT_EQ(f.iceLite, "forward");
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, SdesKeyIsCollected) {
    Flags f = parsed(dict({{"SDES", list({str("off")})}}));
    EXPECT_EQ(f.sdes, Names{"off"});
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, TranscodeAndRecordCallAreNotedOnceEach) {
    Flags f = parsed(dict({{"codec", dict({{"transcode", list({str("G722"), str("AMR")})}})},
                           {"record call", str("yes")},
                           {"flags", list({str("codec-transcode-PCMA"), str("record-call")})}}));
    EXPECT_EQ(f.notImplemented, (Names{"codec transcode (transcoding)", "record call"}));
    EXPECT_EQ(f.codec.transcode, (Names{"G722", "AMR", "PCMA"}));
}

TEST(NgFlags, RecordCallNoIsImplemented) {
    Flags f = parsed(dict({{"record-call", str("no")}}));
    EXPECT_EQ(f.recordCall, "no");
    EXPECT_TRUE(f.notImplemented.empty());
}

TEST(NgFlags, MediaEchoTakesTheShortFormsOfRtpengine) {
    for (auto [value, mode] : std::initializer_list<std::pair<const char*, const char*>>{
             {"forward", "forward"}, {"fwd", "forward"}, {"fw", "forward"},
             {"backwards", "backwards"}, {"backward", "backwards"}, {"bkw", "backwards"},
             {"back", "backwards"}, {"reverse", "backwards"}, {"both", "both"},
             {"blackhole", "blackhole"}, {"sinkhole", "blackhole"}}) {
        EXPECT_EQ(parsed(dict({{"media-echo", str(value)}})).mediaEcho, mode) << value;
        EXPECT_EQ(parsed(dict({{"media echo", str(value)}})).mediaEcho, mode) << value;
    }
}

TEST(NgFlags, UnknownMediaEchoValueIsIgnored) {
    for (const char* value : {"all", "Forward", "BOTH", "sink", "bwd", "forwards", ""})
        EXPECT_EQ(parsed(dict({{"media-echo", str(value)}})).mediaEcho, "") << value;
}

TEST(NgFlags, TransportProtocolIsDoneForEveryProfile) {
    for (const char* p : {"RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP",
                          "UDP/TLS/RTP/SAVPF", "accept"}) {
        Flags f = parsed(dict({{"transport-protocol", str(p)}}));
        EXPECT_EQ(f.transportProtocol, p);
        EXPECT_TRUE(f.notImplemented.empty()) << p;
    }
}

// ---- the tables themselves ----

// Each spelling with every space as `sep` (the forms an ng message may use).
std::string spelled(std::string_view name, char sep) {
    std::string s(name);
    for (auto& c : s)
        if (c == ' ') c = sep;
    return s;
}

TEST(NgFlagsTable, EveryKeyRowIsFoundByEachOfItsSpellings) {
    auto rows = detail::keyTable();
    ASSERT_FALSE(rows.empty());
    for (size_t i = 0; i < rows.size(); i++) {
        ASSERT_FALSE(rows[i].names.empty()) << i;
        for (auto name : rows[i].names)
            for (char sep : {' ', '-', '_'})
                EXPECT_EQ(detail::findKey(spelled(name, sep)), (int)i) << spelled(name, sep);
    }
}

TEST(NgFlagsTable, EveryFlagRowIsFoundByEachOfItsSpellings) {
    auto rows = detail::flagTable();
    ASSERT_FALSE(rows.empty());
    for (size_t i = 0; i < rows.size(); i++) {
        ASSERT_FALSE(rows[i].empty()) << i;
        for (auto name : rows[i])
            for (char sep : {' ', '-', '_'})
                EXPECT_EQ(detail::findFlag(spelled(name, sep)), (int)i) << spelled(name, sep);
    }
}

TEST(NgFlagsTable, LookupIsExactApartFromWordSeparators) {
    for (auto key : {"", "callid", "Call-ID", "call  id", "call-id ", "sdp=", "flag"})
        EXPECT_EQ(detail::findKey(key), -1) << key;
    for (auto flag : {"", "Symmetric", "trustaddress", "trust  address", "ice remove"})
        EXPECT_EQ(detail::findFlag(flag), -1) << flag;
}

TEST(NgFlagsTable, EveryFlagSpellingChangesTheDecodedFlags) {
    // A flag row that sets nothing would leave the request unchanged; the
    // notes, strings and lists each flag may set are compared together.
    auto fingerprint = [](const Flags& f) {
        std::string s;
        for (bool b : {f.sipSourceAddress, f.trustAddress, f.symmetric, f.asymmetric, f.unidirectional,
                       f.strictSource, f.mediaHandover, f.reset, f.portLatching, f.noPortLatching,
                       f.noRtcpAttribute, f.fullRtcpAttribute, f.loopProtect, f.alwaysTranscode,
                       f.singleCodec, f.reuseCodecs, f.allowTranscoding, f.all, f.generateMid,
                       f.stripExtmap, f.originalSendrecv, f.injectDtmf, f.debug, f.pierceNat, f.natWait,
                       f.trickleIce, f.fatal, f.loadLimitSupported, f.fragment})
            s += b ? '1' : '0';
        s += f.recordCall + "|" + f.generateRtcp + "|" + f.ice + "|" + std::to_string(f.sdes.size());
        return s;
    };
    const std::string none = fingerprint(Flags{});
    for (const auto& row : detail::flagTable())
        for (auto name : row) EXPECT_NE(fingerprint(withFlags({str(name)})), none) << name;
}

TEST(NgFlagsTable, ValueOfTheWrongTypeIsTreatedByTheKeysKind) {
    using K = detail::ValueKind;
    for (const auto& row : detail::keyTable()) {
        // The reason names the key as the message spelled it.
        std::string key = spelled(row.names.front(), '-');
        std::string_view k = key;
        Flags f;
        switch (row.kind) {
            case K::Text:
            case K::Address:
                EXPECT_EQ(parse(dict({{k, list({})}}), f), "Invalid type for key '" + key + "': expected string");
                break;
            case K::Integer:
                EXPECT_EQ(parse(dict({{k, list({})}}), f), "Invalid type for key '" + key + "': expected integer");
                EXPECT_EQ(parse(dict({{k, str("12x")}}), f), "Invalid type for key '" + key + "': expected integer");
                break;
            case K::Tag:
                EXPECT_EQ(parse(dict({{k, num(1)}, {k, list({})}}), f), "") << key;
                EXPECT_EQ(f.callId + f.fromTag + f.toTag + f.sdp, "") << key;
                break;
            case K::List:
                EXPECT_EQ(parse(dict({{k, str("x")}, {k, num(1)}, {k, dict({})}}), f), "") << key;
                EXPECT_TRUE(f.notImplemented.empty()) << key;
                EXPECT_EQ(parse(dict({{k, list({num(1)})}}), f),
                          "Invalid type for key '" + key + "': expected list of strings");
                break;
            case K::Dict:
                EXPECT_EQ(parse(dict({{k, str("x")}, {k, list({})}}), f), "") << key;
                EXPECT_FALSE(f.codec.any()) << key;
                break;
            case K::Any:
                break;  // own checks: ReceivedFrom*, LimitIsReadAsRtpengineReadsIt
        }
    }
}

TEST(NgFlagsTable, KeyValueItemsOfFlagsFindTheSameRows) {
    for (const auto& row : detail::keyTable()) {
        if (row.kind != detail::ValueKind::Integer) continue;
        std::string item = spelled(row.names.front(), '_') + "=abc";
        Flags f;
        EXPECT_EQ(parse(dict({{"flags", list({str(item)})}}), f),
                  "Invalid type for key '" + spelled(row.names.front(), '_') + "': expected integer");
    }
}

}  // namespace
}  // namespace ngm::control
