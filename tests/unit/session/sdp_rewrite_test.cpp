#include "session/sdp_rewrite.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "net/interface.h"
#include "sdp/sdp.h"
#include "session/media_ports.h"

namespace ngm::session {
namespace {

// Each test owns its own block of ten ports inside 63050–63099, so the
// tests can run in parallel processes.

net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }

// Lines joined with CRLF, as the writer ends them.
std::string crlf(std::initializer_list<const char*> lines) {
    std::string s;
    for (const char* l : lines) {
        s += l;
        s += "\r\n";
    }
    return s;
}

// Two participants with one call between them, and ports for `to` on an
// interface that binds 127.0.0.1 and advertises 203.0.113.1: what
// CallStore::offerAnswer has set up when it calls rewriteSdp.
class SdpRewriteTest : public ::testing::Test {
  protected:
    void start(int portMin) {
        auto local = std::make_unique<net::LocalInterface>();
        local->address = ip("127.0.0.1");
        local->advertised = ip("203.0.113.1");
        local->ports = std::make_unique<net::PortPool>(local->address, portMin, portMin + 9);
        li.name = li.base = "default";
        li.addresses.push_back(std::move(local));
        cfg.instanceToken = "0123456789ab";
        from.tag = "a";
        to.tag = "b";
    }

    // Reads `sdp` as `from`'s, gives `to` ports for each section with a
    // port, and writes what goes to `to`.
    std::string rewrite(const std::string& sdp, const Flags& f, bool isOffer = true) {
        auto in = sdp::parse(sdp);
        EXPECT_TRUE(in) << in.error().reason;
        if (!in) return {};
        for (size_t i = 0; i < in->media.size(); i++) {
            if (from.media.size() <= i) from.media.push_back(std::make_unique<Media>());
            if (to.media.size() <= i) to.media.push_back(std::make_unique<Media>());
            Media& src = *from.media[i];
            Media& dst = *to.media[i];
            src.index = dst.index = (int)i + 1;
            readMediaSection(*in, in->media[i], src, f, cfg);
            dst.type = src.type;
            dst.proto = src.proto;
            if (in->media[i].m.port != 0) {
                EXPECT_TRUE(dst.ports.ensure(&li, net::Family::V4, nullptr, hooks));
            }
        }
        return rewriteSdp(*in, from, to, f, call, cfg, isOffer);
    }

    net::LogicalInterface li;
    SessionConfig cfg;
    Call call;
    Participant from, to;
    MediaPorts::Hooks hooks{[] {}, [] {}};
};

const std::string kOffer = crlf({
    "v=0",
    "o=- 1545997027 1 IN IP4 198.51.100.1",
    "s=tester",
    "t=0 0",
    "m=audio 2000 RTP/AVP 0 8 101",
    "c=IN IP4 198.51.100.1",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=sendrecv",
});

TEST_F(SdpRewriteTest, OfferGetsOurAddressPortsCodecsDirectionAndRtcp) {
    start(63050);
    EXPECT_EQ(rewrite(kOffer, Flags{}), crlf({
                                            "v=0",
                                            "o=- 1545997027 1 IN IP4 198.51.100.1",
                                            "s=tester",
                                            "t=0 0",
                                            "m=audio 63050 RTP/AVP 0 8 101",
                                            "c=IN IP4 203.0.113.1",
                                            "a=rtpmap:0 PCMU/8000",
                                            "a=rtpmap:8 PCMA/8000",
                                            "a=rtpmap:101 telephone-event/8000",
                                            "a=fmtp:101 0-16",
                                            "a=sendrecv",
                                            "a=rtcp:63051",
                                        }));
}

TEST_F(SdpRewriteTest, ReplaceOriginStripCodecAndLoopProtect) {
    start(63060);
    Flags f;
    f.replaceOrigin = true;
    f.loopProtect = true;
    f.codec.strip = {"PCMA"};
    EXPECT_EQ(rewrite(kOffer, f), crlf({
                                      "v=0",
                                      "o=- 1545997027 1 IN IP4 203.0.113.1",
                                      "s=tester",
                                      "t=0 0",
                                      "a=rtpengine:0123456789ab",
                                      "m=audio 63060 RTP/AVP 0 101",
                                      "c=IN IP4 203.0.113.1",
                                      "a=rtpmap:0 PCMU/8000",
                                      "a=rtpmap:101 telephone-event/8000",
                                      "a=fmtp:101 0-16",
                                      "a=sendrecv",
                                      "a=rtcp:63061",
                                  }));
    // The answer to it may only pick from what was offered.
    ASSERT_TRUE(to.media[0]->offeredCodecs);
    EXPECT_EQ(to.media[0]->offeredCodecs->size(), 2u);
}

TEST_F(SdpRewriteTest, SessionConnectionRejectedSectionAndRtcpMux) {
    start(63070);
    std::string offer = crlf({
        "v=0",
        "o=- 1 1 IN IP4 198.51.100.1",
        "s=-",
        "c=IN IP4 198.51.100.1",
        "t=0 0",
        "a=group:BUNDLE 0",
        "m=audio 2000 RTP/AVP 8",
        "a=mid:0",
        "a=rtcp-mux",
        "a=ptime:20",
        "m=video 0 RTP/AVP 96",
        "a=mid:1",
    });
    Flags f;
    f.fullRtcpAttribute = true;
    // What CallStore::negotiateMedia sets for an offer with a=rtcp-mux.
    to.media.push_back(std::make_unique<Media>());
    to.media[0]->rtcpMux = false;
    to.media[0]->rtcpMuxOut = true;
    EXPECT_EQ(rewrite(offer, f), crlf({
                                     "v=0",
                                     "o=- 1 1 IN IP4 198.51.100.1",
                                     "s=-",
                                     "c=IN IP4 203.0.113.1",
                                     "t=0 0",
                                     "m=audio 63070 RTP/AVP 8",
                                     "a=mid:0",
                                     "a=rtpmap:8 PCMA/8000",
                                     "a=sendrecv",
                                     "a=rtcp:63071 IN IP4 203.0.113.1",
                                     "a=rtcp-mux",
                                     "a=ptime:20",
                                     "m=video 0 RTP/AVP 96",
                                     "a=mid:1",
                                 }));
}

TEST_F(SdpRewriteTest, HoldKeepsTheZeroAddressAndSendsOnly) {
    start(63080);
    std::string offer = crlf({
        "v=0",
        "o=- 1 2 IN IP4 198.51.100.1",
        "s=-",
        "t=0 0",
        "m=audio 2000 RTP/AVP 0",
        "c=IN IP4 0.0.0.0",
    });
    EXPECT_EQ(rewrite(offer, Flags{}), crlf({
                                           "v=0",
                                           "o=- 1 2 IN IP4 198.51.100.1",
                                           "s=-",
                                           "t=0 0",
                                           "m=audio 63080 RTP/AVP 0",
                                           "c=IN IP4 0.0.0.0",
                                           "a=rtpmap:0 PCMU/8000",
                                           "a=sendonly",
                                           "a=rtcp:63081",
                                       }));
}

TEST_F(SdpRewriteTest, SdpVersionChangesOnlyWhenTheBodyDoes) {
    start(63090);
    Flags f;
    f.replaceSdpVersion = true;
    std::string first = rewrite(kOffer, f);
    EXPECT_NE(first.find("o=- 1545997027 1 IN IP4"), std::string::npos) << first;
    EXPECT_EQ(rewrite(kOffer, f), first);
    std::string moved = kOffer;
    moved.replace(moved.find("a=sendrecv"), 10, "a=sendonly");
    std::string second = rewrite(moved, f);
    EXPECT_NE(second.find("o=- 1545997027 2 IN IP4"), std::string::npos) << second;
}

}  // namespace
}  // namespace ngm::session
