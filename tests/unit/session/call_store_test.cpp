#include "session/call_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "net/udp_socket.h"
#include "session/load_limits.h"
#include "session/registry.h"

namespace ngm::session {
namespace {

// The error reason of a failed command ("" when it succeeded).
[[maybe_unused]] std::string reasonOf(const session::CommandResult& r) { return r ? "" : r.error().reason; }
[[maybe_unused]] bool isOverload(const session::CommandResult& r) {
    return !r && r.error().kind == Error::Kind::Overload;
}

// Every test owns its own port range inside 62000–62599 or 62800–62899
// (blocks of 10), so the tests can run in parallel processes (ctest -j)
// without sharing ports.

net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }

// Ports of the m= lines, in order.
std::vector<int> mediaPorts(const std::string& sdp) {
    std::vector<int> ports;
    size_t pos = 0;
    while ((pos = sdp.find("m=", pos)) != std::string::npos) {
        if (pos == 0 || sdp[pos - 1] == '\n') {
            size_t sp = sdp.find(' ', pos);
            ports.push_back(std::stoi(sdp.substr(sp + 1)));
        }
        pos += 2;
    }
    return ports;
}

// Replaces {P<i>} with the i-th port and {R<i>} with that port + 1.
std::string fill(std::string tpl, const std::vector<int>& ports) {
    for (size_t i = 0; i < ports.size(); i++) {
        for (auto [key, value] : {std::pair{"{P" + std::to_string(i) + "}", ports[i]},
                                  std::pair{"{R" + std::to_string(i) + "}", ports[i] + 1}}) {
            size_t p;
            while ((p = tpl.find(key)) != std::string::npos)
                tpl.replace(p, key.size(), std::to_string(value));
        }
    }
    return tpl;
}

// The attributes of an SDP tail with the rtcp port written relative to `port`.
std::string relativeTailOf(const std::string& tail, int port) {
    std::string out = tail;
    for (auto [from, to] : {std::pair{"a=rtcp:" + std::to_string(port + 1) + "\r\n", std::string("a=rtcp:P+1\r\n")},
                            std::pair{"a=rtcp:" + std::to_string(port) + "\r\n", std::string("a=rtcp:P\r\n")}}) {
        size_t p;
        while ((p = out.find(from)) != std::string::npos) out.replace(p, from.size(), to);
    }
    return out;
}

// True when someone (the store) holds the UDP port on 127.0.0.1.
bool portIsBound(int port) {
    net::UdpSocket s;
    return !s.bind(net::Endpoint{ip("127.0.0.1"), (uint16_t)port});
}

const std::string kOffer =
    "v=0\r\n"
    "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
    "s=tester\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 2000 RTP/AVP 0 8\r\n"
    "a=sendrecv\r\n";

const std::string kOfferOut =
    "v=0\r\n"
    "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
    "s=tester\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio {P0} RTP/AVP 0 8\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:{R0}\r\n";

const std::string kAnswer =
    "v=0\r\n"
    "o=- 2 1 IN IP4 203.0.113.2\r\n"
    "s=callee\r\n"
    "c=IN IP4 203.0.113.2\r\n"
    "t=0 0\r\n"
    "m=audio 3000 RTP/AVP 8\r\n"
    "a=sendrecv\r\n";

const std::string kAnswerOut =
    "v=0\r\n"
    "o=- 2 1 IN IP4 203.0.113.2\r\n"
    "s=callee\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio {P0} RTP/AVP 8\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=sendrecv\r\n"
    "a=rtcp:{R0}\r\n";

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    size_t p = 0;
    while ((p = s.find(from, p)) != std::string::npos) {
        s.replace(p, from.size(), to);
        p += to.size();
    }
    return s;
}

Flags offerFlags(const std::string& sdp, const std::string& callId = "call-1") {
    Flags f;
    f.callId = callId;
    f.fromTag = "tag-a";
    f.sdp = sdp;
    f.hasSdp = true;
    return f;
}

Flags answerFlags(const std::string& sdp, const std::string& callId = "call-1") {
    Flags f = offerFlags(sdp, callId);
    f.toTag = "tag-b";
    return f;
}

Flags deleteFlags(const std::string& callId = "call-1") {
    Flags f;
    f.callId = callId;
    f.fromTag = "tag-a";
    return f;
}

class CallStoreTest : public ::testing::Test {
  protected:
    void SetUp() override { log::setLevel(log::Crit); }

    // One interface "default" on 127.0.0.1 with ports [portMin, portMax].
    void start(int portMin, int portMax, const net::IpAddress& advertised = {}) {
        table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), advertised}}, portMin,
                    portMax);
        cfg.interfaces = &table;
        cfg.registry = &registry;
        cfg.instanceToken = "0123456789ab";
        store = std::make_unique<CallStore>(cfg, counters);
    }
    void start(int portMin) { start(portMin, portMin + 9); }
    // Two named interfaces: "pub" on 127.0.0.1 (the default), "priv" on 127.0.0.2.
    void startNamed(int portMin) {
        table.build({net::InterfaceConfig{"pub", "", ip("127.0.0.1"), {}},
                     net::InterfaceConfig{"priv", "", ip("127.0.0.2"), {}}},
                    portMin, portMin + 9);
        cfg.interfaces = &table;
        cfg.registry = &registry;
        store = std::make_unique<CallStore>(cfg, counters);
    }

    net::PortPool& pool() { return *table.defaultInterface()->addresses.front()->ports; }

    CommandResult offerAnswer(const std::string& offer, const std::string& answer) {
        auto r = store->offer(offerFlags(offer));
        EXPECT_TRUE(r.ok()) << reasonOf(r);
        return store->answer(answerFlags(answer));
    }

    net::InterfaceTable table;
    CallRegistry registry;
    SessionConfig cfg;
    SessionCounters counters;
    std::unique_ptr<CallStore> store;
};

// ---- offer / answer ----

TEST_F(CallStoreTest, OfferReturnsSdpWithBoundEvenRtpAndOddRtcpPort) {
    start(62000);
    auto r = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(r->sdp, fill(kOfferOut, ports));
    EXPECT_EQ(ports[0] % 2, 0);
    EXPECT_GE(ports[0], 62000);
    EXPECT_LE(ports[0], 62009);
    EXPECT_TRUE(portIsBound(ports[0]));
    EXPECT_TRUE(portIsBound(ports[0] + 1));
    EXPECT_EQ(pool().inUse(), 4u);  // a pair towards each side
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(registry.list(10), std::vector<std::string>{"call-1"});
    EXPECT_EQ(counters.sessionsOwn.load(), 1);
    EXPECT_EQ(counters.managedSessions.load(), 0);  // counted when the call ends
}

TEST_F(CallStoreTest, AnswerAdvertisesTheOtherSidesPorts) {
    start(62010);
    auto offer = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(offer.ok()) << reasonOf(offer);
    auto answer = store->answer(answerFlags(kAnswer));
    ASSERT_TRUE(answer.ok()) << reasonOf(answer);
    auto ports = mediaPorts(answer->sdp);
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(answer->sdp, fill(kAnswerOut, ports));
    EXPECT_NE(ports[0], mediaPorts(offer->sdp)[0]);
    EXPECT_EQ(ports[0] % 2, 0);
    EXPECT_TRUE(portIsBound(ports[0]));
    EXPECT_TRUE(portIsBound(ports[0] + 1));
    EXPECT_EQ(pool().inUse(), 4u);
}

// `generate RTCP` (docs/compatibility.md): on for the whole call from the
// message that carries it, both sides' streams consume RTCP (their configs
// say so), until a message turns it off. Ports 61840-61849.
TEST_F(CallStoreTest, GenerateRtcpIsOnForBothSidesUntilTurnedOff) {
    start(61840);
    Flags o = offerFlags(kOffer);
    o.generateRtcp = "on";
    ASSERT_TRUE(store->offer(o).ok());
    ASSERT_TRUE(store->answer(answerFlags(kAnswer)).ok());  // without it: stays on
    Call* c = store->find("call-1");
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->generateRtcp);
    auto each = [&](bool want) {
        size_t n = 0;
        for (auto& [tag, p] : c->participants)
            for (auto& m : p->media) {
                EXPECT_EQ(m->rtp.config().generateRtcp, want) << tag;
                EXPECT_EQ(m->rtcp.config().generateRtcp, want) << tag;
                n++;
            }
        EXPECT_EQ(n, 2u);
    };
    each(true);
    Flags off = offerFlags(kOffer);
    off.generateRtcp = "off";
    ASSERT_TRUE(store->offer(off).ok());
    EXPECT_FALSE(c->generateRtcp);
    each(false);
}

TEST_F(CallStoreTest, InterfaceAdvertisedAddressGoesIntoConnectionLine) {
    start(62020, 62029, ip("192.0.2.10"));
    auto r = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_EQ(r->sdp, fill(replaceAll(kOfferOut, "127.0.0.1", "192.0.2.10"), mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, ReofferWithIdenticalSdpKeepsPorts) {
    start(62030);
    auto first = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    auto second = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(second.ok()) << reasonOf(second);
    EXPECT_EQ(second->sdp, first->sdp);
    EXPECT_EQ(pool().inUse(), 4u);
}

TEST_F(CallStoreTest, ReofferWithMovedEndpointGetsNewPorts) {
    start(62040);
    auto first = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    int oldPort = mediaPorts(first->sdp)[0];
    auto moved = replaceAll(kOffer, "m=audio 2000", "m=audio 2010");
    auto second = store->offer(offerFlags(moved));
    ASSERT_TRUE(second.ok()) << reasonOf(second);
    auto ports = mediaPorts(second->sdp);
    EXPECT_EQ(second->sdp, fill(kOfferOut, ports));
    EXPECT_NE(ports[0], oldPort);
    // The old pair stays with the call: the caller may come back to it.
    EXPECT_TRUE(portIsBound(oldPort));
    EXPECT_EQ(pool().inUse(), 6u);
}

TEST_F(CallStoreTest, ReofferWithMovedAddressGetsNewPorts) {
    start(62050);
    auto first = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    auto moved = replaceAll(kOffer, "c=IN IP4 198.51.100.1", "c=IN IP4 198.51.100.9");
    auto second = store->offer(offerFlags(moved));
    ASSERT_TRUE(second.ok()) << reasonOf(second);
    EXPECT_NE(mediaPorts(second->sdp)[0], mediaPorts(first->sdp)[0]);
}

TEST_F(CallStoreTest, ReofferWithMovedEndpointAndPortLatchingKeepsPorts) {
    start(62060);
    auto first = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    Flags f = offerFlags(replaceAll(kOffer, "m=audio 2000", "m=audio 2010"));
    f.portLatching = true;
    auto second = store->offer(f);
    ASSERT_TRUE(second.ok()) << reasonOf(second);
    EXPECT_EQ(mediaPorts(second->sdp), mediaPorts(first->sdp));
    EXPECT_EQ(pool().inUse(), 4u);
}

// ---- port latching: the ports towards the receiver belong to where the
// sender is (rtpengine 10.5, see the port_latching_* diff scenarios) ----

std::string offerAt(const std::string& address, int port,
                    const std::string& direction = "sendrecv") {
    return replaceAll(replaceAll(replaceAll(kOffer, "198.51.100.1", address), "m=audio 2000",
                                 "m=audio " + std::to_string(port)),
                      "a=sendrecv", "a=" + direction);
}

TEST_F(CallStoreTest, ReofferMovedBackGetsItsEarlierPortsAgain) {
    start(62400);
    auto first = offerAnswer(kOffer, kAnswer);
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    auto atA1 = store->offer(offerFlags(kOffer));
    auto atA2 = store->offer(offerFlags(offerAt("198.51.100.5", 2020)));
    ASSERT_TRUE(atA2.ok()) << reasonOf(atA2);
    EXPECT_NE(mediaPorts(atA2->sdp), mediaPorts(atA1->sdp));
    auto back = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(back.ok()) << reasonOf(back);
    EXPECT_EQ(mediaPorts(back->sdp), mediaPorts(atA1->sdp));
    auto again = store->offer(offerFlags(offerAt("198.51.100.5", 2020)));
    EXPECT_EQ(mediaPorts(again->sdp), mediaPorts(atA2->sdp));
    EXPECT_EQ(pool().inUse(), 6u);
    // The offerer's own ports never moved.
    EXPECT_EQ(mediaPorts(store->answer(answerFlags(kAnswer))->sdp), mediaPorts(first->sdp));
}

TEST_F(CallStoreTest, ReofferMovedWhileNotReceivingGetsNewPortsWithOrWithoutNoPortLatching) {
    start(62410);
    for (const char* direction : {"sendonly", "inactive", "recvonly"}) {
        for (bool noPortLatching : {false, true}) {
            SCOPED_TRACE(std::string(direction) + (noPortLatching ? " + no port latching" : ""));
            ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
            auto before = store->offer(offerFlags(kOffer));
            Flags f = offerFlags(offerAt("198.51.100.5", 2020, direction));
            f.noPortLatching = noPortLatching;
            auto moved = store->offer(f);
            ASSERT_TRUE(moved.ok()) << reasonOf(moved);
            EXPECT_NE(mediaPorts(moved->sdp), mediaPorts(before->sdp));
            Flags d = deleteFlags();
            d.deleteDelay = 0;
            EXPECT_TRUE(store->deleteCall(d).ok());
            EXPECT_EQ(pool().inUse(), 0u);
        }
    }
}

TEST_F(CallStoreTest, PortLatchingWinsOverNoPortLatching) {
    start(62420);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    auto before = store->offer(offerFlags(kOffer));
    Flags f = offerFlags(offerAt("198.51.100.5", 2020, "sendonly"));
    f.portLatching = f.noPortLatching = true;
    auto moved = store->offer(f);
    ASSERT_TRUE(moved.ok()) << reasonOf(moved);
    EXPECT_EQ(mediaPorts(moved->sdp), mediaPorts(before->sdp));
    EXPECT_EQ(pool().inUse(), 4u);
}

TEST_F(CallStoreTest, AnswerFromMovedAnswererGivesTheOffererNewPortsUnlessLatched) {
    start(62430);
    auto first = offerAnswer(kOffer, kAnswer);
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    auto movedAnswer = replaceAll(kAnswer, "m=audio 3000", "m=audio 3040");
    Flags latched = answerFlags(movedAnswer);
    latched.portLatching = true;
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    EXPECT_EQ(mediaPorts(store->answer(latched)->sdp), mediaPorts(first->sdp));
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    auto moved = store->answer(answerFlags(movedAnswer));
    ASSERT_TRUE(moved.ok()) << reasonOf(moved);
    EXPECT_NE(mediaPorts(moved->sdp), mediaPorts(first->sdp));
}

TEST_F(CallStoreTest, ZeroAddressMatchesEarlierPortsByPortAlone) {
    start(62440);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    auto atA1 = store->offer(offerFlags(kOffer));
    // Hold on the same port: the same ports; on another port: new ones.
    EXPECT_EQ(mediaPorts(store->offer(offerFlags(offerAt("0.0.0.0", 2000)))->sdp),
              mediaPorts(atA1->sdp));
    auto heldElsewhere = store->offer(offerFlags(offerAt("0.0.0.0", 2020)));
    EXPECT_NE(mediaPorts(heldElsewhere->sdp), mediaPorts(atA1->sdp));
    // Resuming where it was brings the first ports back; a zero-address key
    // never matches a real address.
    EXPECT_EQ(mediaPorts(store->offer(offerFlags(kOffer))->sdp), mediaPorts(atA1->sdp));
    auto resumedElsewhere = store->offer(offerFlags(offerAt("198.51.100.1", 2020)));
    EXPECT_NE(mediaPorts(resumedElsewhere->sdp), mediaPorts(heldElsewhere->sdp));
    EXPECT_NE(mediaPorts(resumedElsewhere->sdp), mediaPorts(atA1->sdp));
}

TEST_F(CallStoreTest, LatchedMoveKeepsPortsUnderTheEarlierEndpoint) {
    start(62450);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    auto atA1 = store->offer(offerFlags(kOffer));
    Flags latched = offerFlags(offerAt("198.51.100.5", 2020));
    latched.portLatching = true;
    EXPECT_EQ(mediaPorts(store->offer(latched)->sdp), mediaPorts(atA1->sdp));
    // Without the flag the same new endpoint is a move away from A1's ports.
    auto unlatched = store->offer(offerFlags(offerAt("198.51.100.5", 2020)));
    EXPECT_NE(mediaPorts(unlatched->sdp), mediaPorts(atA1->sdp));
    EXPECT_EQ(mediaPorts(store->offer(offerFlags(kOffer))->sdp), mediaPorts(atA1->sdp));
}

TEST_F(CallStoreTest, RetiredPortsAreFreedWithTheCall) {
    start(62460);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    int oldPort = mediaPorts(store->offer(offerFlags(kOffer))->sdp)[0];
    ASSERT_TRUE((store->offer(offerFlags(offerAt("198.51.100.5", 2020)))).ok());
    ASSERT_TRUE(portIsBound(oldPort));
    Flags d = deleteFlags();
    d.deleteDelay = 0;
    EXPECT_TRUE(store->deleteCall(d).ok());
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_FALSE(portIsBound(oldPort));
}

TEST_F(CallStoreTest, EndpointThatKeepsMovingHoldsAtMostEightRetiredPairs) {
    start(62540, 62589);  // five blocks: 2 + 8 + 1 pairs
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    auto first = store->offer(offerFlags(kOffer));
    for (int i = 1; i <= 9; i++)
        ASSERT_TRUE((store->offer(offerFlags(offerAt("198.51.100.5", 2000 + 20 * i)))).ok());
    EXPECT_EQ(pool().inUse(), 2u * (2 + 8));
    // The oldest pair went back to the pool.
    EXPECT_FALSE(portIsBound(mediaPorts(first->sdp)[0]));
}

TEST_F(CallStoreTest, HoldWithZeroAddressGivesSendonlyAndKeepsZeroAddressAndPorts) {
    start(62070);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    auto first = store->offer(offerFlags(kOffer));
    auto hold =
        store->offer(offerFlags(replaceAll(kOffer, "c=IN IP4 198.51.100.1", "c=IN IP4 0.0.0.0")));
    ASSERT_TRUE(hold.ok()) << reasonOf(hold);
    const std::string expected =
        "v=0\r\n"
        "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
        "s=tester\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        "m=audio {P0} RTP/AVP 0 8\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendonly\r\n"
        "a=rtcp:{R0}\r\n";
    EXPECT_EQ(hold->sdp, fill(expected, mediaPorts(hold->sdp)));
    EXPECT_EQ(mediaPorts(hold->sdp), mediaPorts(first->sdp));

    auto resume = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(resume.ok()) << reasonOf(resume);
    EXPECT_EQ(resume->sdp, first->sdp);
    EXPECT_EQ(pool().inUse(), 4u);
}

TEST_F(CallStoreTest, RecvonlyOnHoldBecomesInactive) {
    start(62080);
    auto sdp = replaceAll(replaceAll(kOffer, "c=IN IP4 198.51.100.1", "c=IN IP4 0.0.0.0"),
                          "a=sendrecv", "a=recvonly");
    auto r = store->offer(offerFlags(sdp));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find("c=IN IP4 0.0.0.0\r\n"), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find("a=inactive\r\n"), std::string::npos) << r->sdp;
    EXPECT_EQ(r->sdp.find("a=recvonly"), std::string::npos) << r->sdp;
}

TEST_F(CallStoreTest, ZeroAddressInFirstMediaHoldsSessionConnectionToo) {
    start(62470);
    // The second section uses the session c=, so that one is rewritten.
    auto sdp = replaceAll(kOffer, "a=sendrecv\r\n", "c=IN IP4 0.0.0.0\r\n") + "m=audio 2002 RTP/AVP 0\r\n";
    auto r = store->offer(offerFlags(sdp));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    const std::string expected =
        "v=0\r\n"
        "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
        "s=tester\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        "m=audio {P0} RTP/AVP 0 8\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendonly\r\n"
        "a=rtcp:{R0}\r\n"
        "m=audio {P1} RTP/AVP 0\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=sendrecv\r\n"
        "a=rtcp:{R1}\r\n";
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

// conn_every_media_own*: a session c= that no media section uses is copied
// as it is, zero or not.
TEST_F(CallStoreTest, SessionConnectionNoMediaUsesIsLeftAsItIs) {
    start(62840);
    for (const char* own : {"c=IN IP4 0.0.0.0\r\n", "c=IN IP4 198.51.100.7\r\n"}) {
        auto r = store->offer(offerFlags(replaceAll(kOffer, "a=sendrecv\r\n", own), own));
        ASSERT_TRUE(r.ok()) << reasonOf(r);
        EXPECT_NE(r->sdp.find("s=tester\r\nc=IN IP4 198.51.100.1\r\n"), std::string::npos) << r->sdp;
    }
}

// hold_zero_*_af_ip6: the zero address is written in the family of the
// outgoing side; a full rtcp attribute names our address all the same.
TEST_F(CallStoreTest, ZeroAddressTowardsIpv6IsWrittenAsIpv6) {
    table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), {}},
                 net::InterfaceConfig{"default", "", ip("::1"), {}}},
                62850, 62859);
    cfg.interfaces = &table;
    store = std::make_unique<CallStore>(cfg, counters);
    Flags o = offerFlags(replaceAll(kOffer, "c=IN IP4 198.51.100.1", "c=IN IP4 0.0.0.0"));
    o.addressFamily = net::Family::V6;
    o.fullRtcpAttribute = true;
    auto r = store->offer(o);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto ports = mediaPorts(r->sdp);
    const std::string expected =
        "v=0\r\n"
        "o=- 1545997027 1 IN IP4 198.51.100.1\r\n"
        "s=tester\r\n"
        "c=IN IP6 ::\r\n"
        "t=0 0\r\n"
        "m=audio {P0} RTP/AVP 0 8\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendonly\r\n"
        "a=rtcp:{R0} IN IP6 ::1\r\n";
    EXPECT_EQ(r->sdp, fill(expected, ports));
}

// multi_session_*: each session of a body is rewritten on its own (its c=,
// its session-level direction, loop protect token), and `replace: SDP
// version` writes the one version into every o=, whatever its length.
TEST_F(CallStoreTest, SeveralSessionsInOneBodyAreEachRewritten) {
    start(62860);
    const std::string second =
        "v=0\r\n"
        "o=- 77 1234567 IN IP4 198.51.100.9\r\n"
        "s=second\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        "a=recvonly\r\n"
        "m=audio 3000 RTP/AVP 8\r\n";
    Flags o = offerFlags(replaceAll(kOffer, " 1 IN IP4 198.51.100.1", " 9 IN IP4 198.51.100.1") + second);
    o.replaceSdpVersion = true;
    o.loopProtect = true;
    auto r = store->offer(o);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    const std::string expected =
        "v=0\r\n"
        "o=- 1545997027 9 IN IP4 198.51.100.1\r\n"
        "s=tester\r\n"
        "c=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\n"
        "a=rtpengine:0123456789ab\r\n"
        "m=audio {P0} RTP/AVP 0 8\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendrecv\r\n"
        "a=rtcp:{R0}\r\n"
        "v=0\r\n"
        "o=- 77 9 IN IP4 198.51.100.9\r\n"
        "s=second\r\n"
        "c=IN IP4 0.0.0.0\r\n"
        "t=0 0\r\n"
        "a=rtpengine:0123456789ab\r\n"
        "m=audio {P1} RTP/AVP 8\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=inactive\r\n"
        "a=rtcp:{R1}\r\n";
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
    // A change gives 10 in both o= lines.
    o.sdp = replaceAll(o.sdp, "RTP/AVP 8\r\n", "RTP/AVP 8 0\r\n");
    r = store->offer(o);
    EXPECT_NE(r->sdp.find("o=- 1545997027 10 IN"), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find("o=- 77 10 IN"), std::string::npos) << r->sdp;

    Flags incomplete = offerFlags(kOffer + replaceAll(second, "c=IN IP4 0.0.0.0\r\n", ""), "call-2");
    EXPECT_EQ(store->offer(incomplete).error().reason, "Incomplete SDP specification");
}

TEST_F(CallStoreTest, LfInputKeepsLfOnCopiedLinesAndCrlfOnGeneratedOnes) {
    start(62480);
    auto r = store->offer(offerFlags(replaceAll(kOffer, "\r\n", "\n")));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    const std::string expected =
        "v=0\n"
        "o=- 1545997027 1 IN IP4 198.51.100.1\n"
        "s=tester\n"
        "c=IN IP4 127.0.0.1\n"
        "t=0 0\n"
        "m=audio {P0} RTP/AVP 0 8\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=sendrecv\r\n"
        "a=rtcp:{R0}\r\n";
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, RejectedMediaIsWrittenAsBareMLine) {
    start(62090);
    auto sdp = kOffer +
               "m=video 0 RTP/AVP 96\r\n"
               "c=IN IP4 198.51.100.1\r\n"
               "a=rtpmap:96 VP8/90000\r\n"
               "a=sendrecv\r\n";
    auto r = store->offer(offerFlags(sdp));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto ports = mediaPorts(r->sdp);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(r->sdp, fill(kOfferOut + "m=video 0 RTP/AVP 96\r\n", ports));
    EXPECT_EQ(pool().inUse(), 4u);  // nothing for the rejected stream
}

// mid_rejected_media: a rejected section keeps its mid after the bare m= line.
TEST_F(CallStoreTest, RejectedMediaKeepsItsMid) {
    start(62810);
    auto offer = replaceAll(kOffer, "a=sendrecv\r\n", "a=mid:a\r\na=sendrecv\r\n") +
                 "m=video 0 RTP/AVP 96\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n";
    auto r = store->offer(offerFlags(offer));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find("a=rtcp:" + std::to_string(mediaPorts(r->sdp)[0] + 1) +
                         "\r\nm=video 0 RTP/AVP 96\r\na=mid:v\r\n"),
              std::string::npos)
        << r->sdp;
    EXPECT_TRUE(r->sdp.ends_with("m=video 0 RTP/AVP 96\r\na=mid:v\r\n")) << r->sdp;
}

// An answer carries the mids of the offer it answers, not the answerer's,
// and none that `generate mid` made up.
TEST_F(CallStoreTest, AnswerCarriesTheOfferersMidsOnly) {
    start(62820);
    Flags o = offerFlags(replaceAll(kOffer, "a=sendrecv\r\n", "a=mid:a\r\na=sendrecv\r\n") +
                         "m=audio 2002 RTP/AVP 0\r\n" + "m=video 0 RTP/AVP 96\r\na=mid:v\r\n");
    o.generateMid = true;
    auto ro = store->offer(o);
    ASSERT_TRUE(ro.ok()) << reasonOf(ro);
    EXPECT_NE(ro->sdp.find("m=audio " + std::to_string(mediaPorts(ro->sdp)[1]) + " RTP/AVP 0\r\na=mid:2\r\n"),
              std::string::npos)
        << ro->sdp;
    auto ra = store->answer(answerFlags(replaceAll(kAnswer, "a=sendrecv\r\n", "a=mid:x\r\na=sendrecv\r\n") +
                                        "m=audio 3002 RTP/AVP 0\r\na=mid:2\r\n" +
                                        "m=video 0 RTP/AVP 96\r\na=mid:y\r\n"));
    ASSERT_TRUE(ra.ok()) << reasonOf(ra);
    EXPECT_NE(ra->sdp.find("a=mid:a\r\n"), std::string::npos) << ra->sdp;
    EXPECT_EQ(ra->sdp.find("a=mid:x"), std::string::npos) << ra->sdp;
    EXPECT_EQ(ra->sdp.find("a=mid:2"), std::string::npos) << ra->sdp;
    EXPECT_TRUE(ra->sdp.ends_with("m=video 0 RTP/AVP 96\r\na=mid:v\r\n")) << ra->sdp;
}

// answer_proto_differs, answer_proto_override*: each side gets the profile
// it offered; `transport protocol` overrides it in either message.
TEST_F(CallStoreTest, EachSideKeepsItsOwnRtpProfileUnlessOverridden) {
    start(62830);
    const std::string avpfAnswer = replaceAll(kAnswer, "RTP/AVP", "RTP/AVPF");
    auto r = offerAnswer(kOffer, avpfAnswer);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find(" RTP/AVP 8\r\n"), std::string::npos) << r->sdp;

    Flags o = offerFlags(kOffer, "call-2");
    o.transportProtocol = "RTP/AVPF";
    auto ro = store->offer(o);
    ASSERT_TRUE(ro.ok()) << reasonOf(ro);
    EXPECT_NE(ro->sdp.find(" RTP/AVPF 0 8\r\n"), std::string::npos) << ro->sdp;
    Flags a = answerFlags(avpfAnswer, "call-2");
    auto ra = store->answer(a);
    EXPECT_NE(ra->sdp.find(" RTP/AVP 8\r\n"), std::string::npos) << ra->sdp;
    a.transportProtocol = "RTP/AVPF";
    ra = store->answer(a);
    EXPECT_NE(ra->sdp.find(" RTP/AVPF 8\r\n"), std::string::npos) << ra->sdp;
}

TEST_F(CallStoreTest, CodecStripInOfferRemovesCodecFromMLineAndRtpmaps) {
    start(62100);
    Flags f = offerFlags(kOffer);
    f.codec.strip = {"pcma"};
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto expected = replaceAll(replaceAll(kOfferOut, "RTP/AVP 0 8", "RTP/AVP 0"),
                               "a=rtpmap:8 PCMA/8000\r\n", "");
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, MediaAddressFlagIsWrittenIntoConnectionLine) {
    start(62110);
    Flags f = offerFlags(kOffer);
    f.mediaAddress = ip("203.0.113.77");
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_EQ(r->sdp, fill(replaceAll(kOfferOut, "127.0.0.1", "203.0.113.77"), mediaPorts(r->sdp)));
}

// ---- errors ----

TEST_F(CallStoreTest, AnswerForUnknownCallFails) {
    start(62120);
    auto r = store->answer(answerFlags(kAnswer, "nope"));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Unknown call-id");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, AnswerWithUnknownFromTagFails) {
    start(62130);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    Flags f = answerFlags(kAnswer);
    f.fromTag = "stranger";
    auto r = store->answer(f);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Unknown call-id");
}

TEST_F(CallStoreTest, MalformedSdpFailsAndCreatesNoCall) {
    start(62140);
    auto r = store->offer(offerFlags("v=0\r\nm=audio x RTP/AVP 0\r\n"));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Failed to parse SDP");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, SdpWithoutMediaFails) {
    start(62150);
    auto r = store->offer(
        offerFlags("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"));
    EXPECT_EQ(r.error().reason, "Error rewriting SDP");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, SdpWithoutAnyConnectionLineFails) {
    start(62160);
    auto r = store->offer(offerFlags(replaceAll(kOffer, "c=IN IP4 198.51.100.1\r\n", "")));
    EXPECT_EQ(r.error().reason, "Incomplete SDP specification");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, EmptySdpIsOkWithoutSdpAndCreatesNoCall) {
    start(62170);
    auto r = store->offer(offerFlags(""));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->sdp, "");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, TrailingBlankLineIsIgnored) {
    start(62500);
    auto r = store->offer(offerFlags(kOffer + "\r\n"));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_EQ(r->sdp, fill(kOfferOut, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, BlankLineBeforeMediaCutsItOffAndRewritingFails) {
    start(62510);
    auto r = store->offer(offerFlags(replaceAll(kOffer, "s=tester\r\n", "s=tester\r\n\r\n")));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Error rewriting SDP");
    EXPECT_EQ(store->size(), 0u);
}

TEST_F(CallStoreTest, BlankLineFailsParsingWhenRejectingInvalidSdp) {
    start(63160);
    cfg.rejectInvalidSdp = true;
    store = std::make_unique<CallStore>(cfg, counters);
    auto r = store->offer(offerFlags(replaceAll(kOffer, "s=tester\r\n", "s=tester\r\n\r\n")));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Failed to parse SDP");
}

// ---- ports and limits ----

TEST_F(CallStoreTest, PortExhaustionInOfferFailsAndLeavesNoCallAndNoPortInUse) {
    start(62180, 62185);  // three pairs; two m= lines need four
    auto sdp = kOffer + "m=audio 2002 RTP/AVP 0\r\n";
    auto r = store->offer(offerFlags(sdp));
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Ran out of ports");
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(store->find("call-1"), nullptr);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_TRUE(registry.list(10).empty());
    EXPECT_EQ(counters.sessionsOwn.load(), 0);
    EXPECT_EQ(counters.managedSessions.load(), 0);
    for (int p = 62180; p <= 62185; p++) EXPECT_FALSE(portIsBound(p)) << p;
}

TEST_F(CallStoreTest, SecondCallWhenPortsAreExhaustedFailsAndFirstKeepsItsPorts) {
    start(62190, 62193);  // two pairs: exactly one call
    auto first = store->offer(offerFlags(kOffer, "call-1"));
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    auto second = store->offer(offerFlags(kOffer, "call-2"));
    EXPECT_FALSE(second.ok());
    EXPECT_EQ(second.error().reason, "Ran out of ports");
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->find("call-2"), nullptr);
    EXPECT_EQ(pool().inUse(), 4u);
    EXPECT_TRUE(portIsBound(mediaPorts(first->sdp)[0]));
}

TEST_F(CallStoreTest, MaxSessionsReachedGivesLoadLimit) {
    start(62200);
    cfg.maxSessions = 1;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    auto r = store->offer(offerFlags(kOffer, "call-2"));
    EXPECT_TRUE(isOverload(r));
    EXPECT_EQ(r.error().reason, "Parallel session limit reached");
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(counters.rejectedSessions.load(), 1);
    EXPECT_EQ(pool().inUse(), 4u);
    // The existing call still takes signalling.
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
}

TEST_F(CallStoreTest, MaxSessionsZeroRejectsEveryNewCall) {
    start(62210);
    cfg.maxSessions = 0;
    store = std::make_unique<CallStore>(cfg, counters);
    EXPECT_TRUE(isOverload(store->offer(offerFlags(kOffer))));
    EXPECT_EQ(store->size(), 0u);
}

// The settings the CLI changes at runtime (SessionConfig::runtime): read
// at each decision, so a change applies to the next offer or timer.
TEST_F(CallStoreTest, RuntimeMaxSessionsAppliesToTheNextOffer) {
    start(63650);
    RuntimeParams runtime;
    cfg.runtime = &runtime;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    runtime.maxSessions = 1;
    EXPECT_TRUE(isOverload(store->offer(offerFlags(kOffer, "call-2"))));
    runtime.maxSessions = -1;
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-2"))).ok());
}

// --max-load, --max-cpu, --max-bandwidth: checked against the LoadMonitor's
// last sample, for new calls only, after the session limit. Ports 63700-63739.
TEST_F(CallStoreTest, LoadAboveMaxLoadRefusesNewCallsOnly) {
    start(63700, 63719);  // three calls
    RuntimeParams runtime;
    LoadMonitor load;
    cfg.runtime = &runtime;
    cfg.load = &load;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    load.record(3.5, std::nullopt, LoadMonitor::Clock::now(), 0);
    runtime.maxLoad = 1000;
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-2"))).ok());
    runtime.maxLoad = 0.01;
    auto r = store->offer(offerFlags(kOffer, "call-3"));
    EXPECT_TRUE(isOverload(r));
    EXPECT_EQ(r.error().reason, "Load limit exceeded");
    EXPECT_EQ(store->find("call-3"), nullptr);
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok()) << "a re-offer is not refused";
    EXPECT_EQ(load.refusedLoad.load(), 1);
    EXPECT_EQ(counters.rejectedSessions.load(), 0) << "rtpengine counts no load refusal there";
    runtime.maxLoad = 0;
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-3"))).ok());
}

TEST_F(CallStoreTest, CpuAndBandwidthLimitsRefuseWithTheirMessages) {
    start(63720);
    RuntimeParams runtime;
    LoadMonitor load;
    cfg.runtime = &runtime;
    cfg.load = &load;
    store = std::make_unique<CallStore>(cfg, counters);
    auto t0 = LoadMonitor::Clock::now();
    load.record(0.1, CpuTimes{1000, 900}, t0, 0);
    load.record(0.1, CpuTimes{2000, 1400}, t0 + std::chrono::seconds(1), 5000);  // 50 %, 5000 B/s
    runtime.maxCpu = 40;
    auto r = store->offer(offerFlags(kOffer, "call-1"));
    ASSERT_TRUE(isOverload(r));
    EXPECT_EQ(r.error().reason, "CPU usage limit exceeded");
    runtime.maxCpu = 60;
    runtime.maxBandwidth = 4000;
    r = store->offer(offerFlags(kOffer, "call-1"));
    ASSERT_TRUE(isOverload(r));
    EXPECT_EQ(r.error().reason, "Bandwidth limit exceeded");
    runtime.maxBandwidth = 6000;
    EXPECT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    EXPECT_EQ(load.refusedCpu.load(), 1);
    EXPECT_EQ(load.refusedBandwidth.load(), 1);
}

TEST_F(CallStoreTest, SessionLimitIsCheckedBeforeTheLoadLimits) {
    start(63730);
    RuntimeParams runtime;
    LoadMonitor load;
    cfg.runtime = &runtime;
    cfg.load = &load;
    store = std::make_unique<CallStore>(cfg, counters);
    load.record(5, std::nullopt, LoadMonitor::Clock::now(), 0);
    runtime.maxLoad = 1;
    runtime.maxSessions = 0;
    auto r = store->offer(offerFlags(kOffer));
    ASSERT_TRUE(isOverload(r));
    EXPECT_EQ(r.error().reason, "Parallel session limit reached");
}

TEST_F(CallStoreTest, RuntimeOfferTimeoutShortenedEndsTheCallAtTheNewDeadline) {
    start(63660);
    RuntimeParams runtime;
    cfg.runtime = &runtime;
    store = std::make_unique<CallStore>(cfg, counters);
    int64_t before = wallSeconds();
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    int64_t after = wallSeconds();
    store->runTimers(before + 5);
    EXPECT_EQ(store->size(), 1u);
    runtime.offerTimeout = 5;
    store->rescheduleAll();
    store->runTimers(after + 5);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 1);
}

TEST_F(CallStoreTest, TerminateEndsTheCallAsForced) {
    start(63670);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    EXPECT_FALSE(store->terminate("nosuch"));
    EXPECT_TRUE(store->terminate("call-1"));
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.forcedTerminated.load(), 1);
    EXPECT_TRUE(registry.list(10).empty());
}

// ---- delete ----

TEST_F(CallStoreTest, DeleteWithZeroDelayRemovesCallAndFreesPorts) {
    start(62220);
    auto r0 = offerAnswer(kOffer, kAnswer);
    ASSERT_TRUE(r0.ok()) << reasonOf(r0);
    Flags f = deleteFlags();
    f.deleteDelay = 0;
    auto r = store->deleteCall(f);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->warning, "");
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_FALSE(portIsBound(mediaPorts(r0->sdp)[0]));
    EXPECT_TRUE(registry.list(10).empty());
    EXPECT_EQ(counters.sessionsOwn.load(), 0);
    EXPECT_EQ(counters.regularTerminated.load(), 1);
    EXPECT_EQ(counters.endedSessions.load(), 1);
    EXPECT_EQ(counters.managedSessions.load(), 1);
}

TEST_F(CallStoreTest, DeleteWithoutDelayKeyUsesConfiguredDelay) {
    start(62230);
    cfg.deleteDelay = 0;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    EXPECT_TRUE(store->deleteCall(deleteFlags()).ok());
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
}

TEST_F(CallStoreTest, DeleteWithDelayKeepsCallUntilTheDelayEnds) {
    start(62240);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    Flags f = deleteFlags();
    f.deleteDelay = 30;
    int64_t before = wallSeconds();
    auto r = store->deleteCall(f);
    int64_t after = wallSeconds();
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(store->size(), 1u);
    store->runTimers(before + 29);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(pool().inUse(), 4u);
    store->runTimers(after + 30);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.regularTerminated.load(), 1);
}

TEST_F(CallStoreTest, SignallingAfterDelayedDeleteCancelsIt) {
    start(62250);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    Flags f = deleteFlags();
    f.deleteDelay = 5;
    EXPECT_TRUE(store->deleteCall(f).ok());
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    store->runTimers(wallSeconds() + 10);
    EXPECT_EQ(store->size(), 1u);
}

TEST_F(CallStoreTest, DeleteOfUnknownCallGivesWarning) {
    start(62260);
    auto r = store->deleteCall(deleteFlags("nope"));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->warning, "Call-ID not found or tags didn't match");
    EXPECT_EQ(reasonOf(r), "");
}

TEST_F(CallStoreTest, DeleteOfUnknownCallWithFatalGivesError) {
    start(62270);
    Flags f = deleteFlags("nope");
    f.fatal = true;
    auto r = store->deleteCall(f);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, "Call-ID not found or tags didn't match");
}

TEST_F(CallStoreTest, DeleteWithUnknownFromTagGivesWarningAndKeepsCall) {
    start(62280);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    Flags f = deleteFlags();
    f.fromTag = "stranger";
    f.deleteDelay = 0;
    auto r = store->deleteCall(f);
    EXPECT_EQ(r->warning, "Call-ID not found or tags didn't match");
    EXPECT_EQ(store->size(), 1u);
}

TEST_F(CallStoreTest, ClearEndsEveryCallAsForcedAndFreesPorts) {
    start(62490);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-2"))).ok());
    std::vector<std::string> ids;
    store->callIds(ids, 10);
    EXPECT_EQ(ids.size(), 2u);
    store->clear();
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.forcedTerminated.load(), 2);
    EXPECT_TRUE(registry.list(10).empty());
}

// ---- timeouts ----

TEST_F(CallStoreTest, OfferTimeoutRemovesUnansweredCall) {
    start(62290);
    cfg.offerTimeout = 10;
    store = std::make_unique<CallStore>(cfg, counters);
    int64_t before = wallSeconds();
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    int64_t after = wallSeconds();
    store->runTimers(before + 9);
    EXPECT_EQ(store->size(), 1u);
    store->runTimers(after + 10);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 1);
    EXPECT_EQ(counters.endedSessions.load(), 1);
    EXPECT_EQ(counters.sessionsOwn.load(), 0);
    EXPECT_TRUE(registry.list(10).empty());
}

TEST_F(CallStoreTest, OfferTimeoutSparesAnsweredCall) {
    start(62300);
    cfg.offerTimeout = 10;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    store->runTimers(wallSeconds() + 11);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 0);
}

TEST_F(CallStoreTest, FinalTimeoutRemovesAnsweredCall) {
    start(62310);
    cfg.finalTimeout = 20;
    store = std::make_unique<CallStore>(cfg, counters);
    int64_t before = wallSeconds();
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    int64_t after = wallSeconds();
    store->runTimers(before + 19);
    EXPECT_EQ(store->size(), 1u);
    store->runTimers(after + 20);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.finalTimeoutSessions.load(), 1);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 0);
}

// ---- call timers: each call's timer on the wheel, no scan ----

TEST_F(CallStoreTest, CallWithoutFurtherSignallingEndsByItsTimerAtTheOfferTimeout) {
    start(62520);
    cfg.offerTimeout = 10;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    Call* c = store->find("call-1");
    ASSERT_NE(c, nullptr);
    int64_t signal = c->lastSignal;
    EXPECT_TRUE(c->timer.armed());
    EXPECT_EQ(c->timerAt, signal + 10);
    EXPECT_EQ(store->runTimers(signal + 9), 0u);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->runTimers(signal + 10), 1u);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 1);
    EXPECT_EQ(counters.endedSessions.load(), 1);
}

TEST_F(CallStoreTest, PacketPushesTheMediaDeadlineOutAndTheTimerIsArmedAgain) {
    start(62530);
    cfg.timeout = 10;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    Call* c = store->find("call-1");
    ASSERT_NE(c, nullptr);
    int64_t signal = c->lastSignal;
    EXPECT_EQ(c->timerAt, signal + 10);
    // A packet from the answerer 5 s later, recorded as a packet path
    // records it (here the in-kernel path's report): in the stream's stats
    // only, the timer untouched.
    c->find("tag-b")->media[0]->rtp.addForwarded({1, 172, 0, signal + 5});
    EXPECT_EQ(c->timerAt, signal + 10);
    EXPECT_EQ(store->runTimers(signal + 10), 1u);  // fires, finds the call alive
    ASSERT_EQ(store->find("call-1"), c);
    EXPECT_TRUE(c->timer.armed());
    EXPECT_EQ(c->timerAt, signal + 15);
    EXPECT_EQ(counters.timeoutSessions.load(), 0);
    EXPECT_EQ(store->runTimers(signal + 14), 0u);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->runTimers(signal + 15), 1u);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(counters.timeoutSessions.load(), 1);
}

TEST_F(CallStoreTest, DeleteDelayFiresOnceAtItsTime) {
    start(63210);
    ASSERT_TRUE((offerAnswer(kOffer, kAnswer)).ok());
    Flags f = deleteFlags();
    f.deleteDelay = 5;
    ASSERT_TRUE((store->deleteCall(f)).ok());
    Call* c = store->find("call-1");
    ASSERT_NE(c, nullptr);
    int64_t at = c->deleteAt;
    EXPECT_EQ(c->timerAt, at);
    EXPECT_EQ(store->runTimers(at - 1), 0u);
    EXPECT_EQ(store->size(), 1u);
    EXPECT_EQ(store->runTimers(at), 1u);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
    EXPECT_EQ(store->runTimers(at + 7200), 0u);
    EXPECT_EQ(counters.regularTerminated.load(), 1);
    EXPECT_EQ(counters.endedSessions.load(), 1);
    EXPECT_EQ(counters.timeoutSessions.load() + counters.offerTimeoutSessions.load(), 0);
}

TEST_F(CallStoreTest, DestroyedCallsTimerNeverFires) {
    start(63220);
    cfg.offerTimeout = 10;
    store = std::make_unique<CallStore>(cfg, counters);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-1"))).ok());
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-2"))).ok());
    Flags f = deleteFlags("call-1");
    f.deleteDelay = 0;
    EXPECT_TRUE(store->deleteCall(f).ok());
    ASSERT_EQ(store->size(), 1u);
    int64_t now = wallSeconds();
    EXPECT_EQ(store->runTimers(now + 3600), 1u);  // call-2's, and only it
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(counters.regularTerminated.load(), 1);
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 1);
    // Calls cleared, and the store itself going, leave nothing armed.
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-3"))).ok());
    store->clear();
    EXPECT_EQ(store->runTimers(now + 7200), 0u);
    ASSERT_TRUE((store->offer(offerFlags(kOffer, "call-4"))).ok());
    store.reset();
    EXPECT_EQ(counters.offerTimeoutSessions.load(), 1);
    EXPECT_EQ(counters.forcedTerminated.load(), 2);
}

// ---- loop protect ----

TEST_F(CallStoreTest, LoopProtectReturnsInputUntouchedWhenItCarriesOurToken) {
    start(62320);
    auto sdp = replaceAll(kOffer, "t=0 0\r\n", "t=0 0\r\na=rtpengine:0123456789ab\r\n");
    Flags f = offerFlags(sdp);
    f.loopProtect = true;
    auto r = store->offer(f);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->sdp, sdp);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(pool().inUse(), 0u);
}

TEST_F(CallStoreTest, LoopProtectAppendsOurTokenAfterForeignOne) {
    start(62330);
    auto sdp = replaceAll(kOffer, "t=0 0\r\n", "t=0 0\r\na=rtpengine:ffffffffffff\r\n");
    Flags f = offerFlags(sdp);
    f.loopProtect = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto expected = replaceAll(kOfferOut, "t=0 0\r\n",
                               "t=0 0\r\na=rtpengine:ffffffffffff\r\na=rtpengine:0123456789ab\r\n");
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, OwnTokenWithoutLoopProtectIsProcessedNormally) {
    start(62340);
    auto sdp = replaceAll(kOffer, "t=0 0\r\n", "t=0 0\r\na=rtpengine:0123456789ab\r\n");
    auto r = store->offer(offerFlags(sdp));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto expected = replaceAll(kOfferOut, "t=0 0\r\n", "t=0 0\r\na=rtpengine:0123456789ab\r\n");
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
    EXPECT_EQ(store->size(), 1u);
}

// ---- mid, origin, version ----

const std::string kTwoMediaOffer =
    "v=0\r\n"
    "o=- 1 1 IN IP4 198.51.100.1\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 2000 RTP/AVP 0\r\n"
    "a=mid:a\r\n"
    "a=sendrecv\r\n"
    "m=video 2002 RTP/AVP 96\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=sendrecv\r\n";

TEST_F(CallStoreTest, GenerateMidAddsOneBasedMidAndKeepsExistingOne) {
    start(62350);
    Flags f = offerFlags(kTwoMediaOffer);
    f.generateMid = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    const std::string expected =
        "v=0\r\n"
        "o=- 1 1 IN IP4 198.51.100.1\r\n"
        "s=-\r\n"
        "c=IN IP4 127.0.0.1\r\n"
        "t=0 0\r\n"
        "m=audio {P0} RTP/AVP 0\r\n"
        "a=mid:a\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=sendrecv\r\n"
        "a=rtcp:{R0}\r\n"
        "m=video {P1} RTP/AVP 96\r\n"
        "a=mid:2\r\n"
        "a=rtpmap:96 VP8/90000\r\n"
        "a=sendrecv\r\n"
        "a=rtcp:{R1}\r\n";
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, GenerateMidHasNoEffectInAnswer) {
    start(62360);
    ASSERT_TRUE((store->offer(offerFlags(kOffer))).ok());
    Flags f = answerFlags(kAnswer);
    f.generateMid = true;
    auto r = store->answer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_EQ(r->sdp, fill(kAnswerOut, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, ReplaceOriginWritesLocalAddressIntoOLine) {
    start(62370);
    Flags f = offerFlags(kOffer);
    f.replaceOrigin = true;
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    auto expected = replaceAll(kOfferOut, "o=- 1545997027 1 IN IP4 198.51.100.1",
                               "o=- 1545997027 1 IN IP4 127.0.0.1");
    EXPECT_EQ(r->sdp, fill(expected, mediaPorts(r->sdp)));
}

TEST_F(CallStoreTest, OriginIsUntouchedWithoutReplace) {
    start(62380);
    auto r = store->offer(offerFlags(replaceAll(kOffer, "1545997027 1 IN", "1545997027 7 IN")));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find("o=- 1545997027 7 IN IP4 198.51.100.1\r\n"), std::string::npos) << r->sdp;
}

TEST_F(CallStoreTest, ReplaceSdpVersionChangesVersionOnlyWhenBodyChanges) {
    start(62390);
    auto offerWithVersion = [&](const std::string& version, const std::string& extra) {
        auto sdp = replaceAll(kOffer, "1545997027 1 IN", "1545997027 " + version + " IN");
        sdp = replaceAll(sdp, "t=0 0\r\n", "t=0 0\r\n" + extra);
        Flags f = offerFlags(sdp);
        f.replaceSdpVersion = true;
        auto r = store->offer(f);
        EXPECT_TRUE(r.ok()) << reasonOf(r);
        auto o = r->sdp.find("o=");
        return r->sdp.substr(o, r->sdp.find("\r\n", o) - o);
    };
    EXPECT_EQ(offerWithVersion("5", ""), "o=- 1545997027 5 IN IP4 198.51.100.1");
    // Same body, other input version: unchanged.
    EXPECT_EQ(offerWithVersion("9", ""), "o=- 1545997027 5 IN IP4 198.51.100.1");
    // Changed body: previous output version + 1, whatever the input says.
    EXPECT_EQ(offerWithVersion("3", "a=tool:x\r\n"), "o=- 1545997027 6 IN IP4 198.51.100.1");
    EXPECT_EQ(offerWithVersion("3", "a=tool:x\r\n"), "o=- 1545997027 6 IN IP4 198.51.100.1");
    EXPECT_EQ(offerWithVersion("3", "a=tool:y\r\n"), "o=- 1545997027 7 IN IP4 198.51.100.1");
}

// ---- interfaces ----

// Connection addresses of the media sections, in order.
std::vector<std::string> mediaConnections(const std::string& sdp) {
    std::vector<std::string> out;
    size_t pos = sdp.find("\nm=");
    while (pos != std::string::npos) {
        size_t next = sdp.find("\nm=", pos + 1);
        size_t c = sdp.find("\nc=IN IP4 ", pos);
        out.push_back(c != std::string::npos && c < next ? sdp.substr(c + 10, sdp.find('\r', c) - c - 10)
                                                         : std::string());
        pos = next;
    }
    return out;
}

// named_reinvite_add_media: rtpengine keeps a side's interface for a media
// section that a re-offer adds, even when that re-offer names none.
TEST_F(CallStoreTest, MediaAddedByReofferGoesOnTheInterfacesOfTheCall) {
    startNamed(62800);
    const std::string video =
        "m=video 2002 RTP/AVP 96\r\n"
        "c=IN IP4 198.51.100.1\r\n"
        "a=rtpmap:96 H264/90000\r\n";
    Flags o = offerFlags(kOffer);
    o.direction = {"priv", "pub"};
    ASSERT_TRUE((store->offer(o)).ok());
    ASSERT_TRUE((store->answer(answerFlags(kAnswer))).ok());

    auto reoffer = store->offer(offerFlags(kOffer + video));
    ASSERT_TRUE(reoffer.ok()) << reasonOf(reoffer);
    EXPECT_EQ(mediaConnections(reoffer->sdp), (std::vector<std::string>{"", "127.0.0.1"}));
    auto answer = store->answer(answerFlags(kAnswer + replaceAll(video, "198.51.100.1", "203.0.113.2")));
    ASSERT_TRUE(answer.ok()) << reasonOf(answer);
    EXPECT_EQ(mediaConnections(answer->sdp), (std::vector<std::string>{"", "127.0.0.2"}));
    EXPECT_NE(answer->sdp.find("c=IN IP4 127.0.0.2\r\nt=0 0"), std::string::npos) << answer->sdp;

    // The callee re-offering with a third section: the same again.
    Flags callee = answerFlags(kAnswer + replaceAll(video, "198.51.100.1", "203.0.113.2") +
                               "m=video 3004 RTP/AVP 97\r\nc=IN IP4 203.0.113.2\r\n");
    std::swap(callee.fromTag, callee.toTag);
    auto calleeOffer = store->offer(callee);
    ASSERT_TRUE(calleeOffer.ok()) << reasonOf(calleeOffer);
    EXPECT_EQ(mediaConnections(calleeOffer->sdp), (std::vector<std::string>{"", "127.0.0.2", "127.0.0.2"}));
}

// ---- rtcp-mux on re-offers and branches ----

std::string rtcpTail(const std::string& sdp) {
    auto p = sdp.find("a=sendrecv\r\n");
    return p == std::string::npos ? sdp : relativeTailOf(sdp.substr(p + 12), mediaPorts(sdp)[0]);
}

// rtcp_mux_reinvite*: once the answerer's last SDP talked rtcp-mux, offers to
// it are muxed on one port whatever the offerer or the `rtcp-mux` key says;
// when it stops, they follow the offerer again.
TEST_F(CallStoreTest, OffersToAPeerThatTalksRtcpMuxStayMuxedOnOnePort) {
    start(62870);
    ASSERT_TRUE((offerAnswer(kOffer + "a=rtcp-mux\r\n", kAnswer + "a=rtcp-mux\r\n")).ok());
    Flags o = offerFlags(kOffer);
    o.rtcpMux = RtcpMuxMode::Demux;
    auto r = store->offer(o);
    EXPECT_EQ(rtcpTail(r->sdp), "a=rtcp:P\r\na=rtcp-mux\r\n");
    ASSERT_TRUE((store->answer(answerFlags(kAnswer))).ok());
    r = store->offer(offerFlags(kOffer + "a=rtcp-mux\r\n"));
    EXPECT_EQ(rtcpTail(r->sdp), "a=rtcp:P+1\r\na=rtcp-mux\r\n");
}

// rtcp_mux_via_branches_require: ports taken for `rtcp-mux: require` are one
// port to rtpengine, so the stream gets a new pair when muxing ends.
TEST_F(CallStoreTest, PortsTakenForRequiredMuxAreReplacedWhenMuxingEnds) {
    start(62880);
    Flags o = offerFlags(kOffer);
    o.rtcpMux = RtcpMuxMode::Require;
    auto first = store->offer(o);
    ASSERT_TRUE(first.ok()) << reasonOf(first);
    ASSERT_TRUE((store->answer(answerFlags(kAnswer))).ok());
    auto again = store->offer(offerFlags(kOffer));
    EXPECT_NE(mediaPorts(again->sdp)[0], mediaPorts(first->sdp)[0]);
    EXPECT_EQ(rtcpTail(again->sdp), "a=rtcp:P+1\r\n");
    EXPECT_EQ(pool().inUse(), 4u);
}

// rtcp_mux_via_branches_delete*: a branch deleted by via-branch with a delay
// stays until then, and an answer on it meanwhile is that branch's.
TEST_F(CallStoreTest, BranchDeletedWithDelayStaysUntilTheDelayEnds) {
    start(62890);
    auto branchOffer = [&](const char* via) {
        Flags o = offerFlags(kOffer);
        o.viaBranch = via;
        return store->offer(o);
    };
    auto o1 = branchOffer("b1");
    auto o2 = branchOffer("b2");
    Flags d = deleteFlags();
    d.viaBranch = "b1";
    d.deleteDelay = 30;
    int64_t now = wallSeconds();
    ASSERT_TRUE((store->deleteCall(d)).ok());
    EXPECT_EQ(store->find("call-1")->participants.size(), 3u);
    Flags a = answerFlags(kAnswer);
    a.toTag = "tag-b1";
    a.viaBranch = "b1";
    ASSERT_TRUE((store->answer(a)).ok());
    Flags re = offerFlags(kOffer);
    re.toTag = "tag-b1";
    EXPECT_EQ(mediaPorts(store->offer(re)->sdp)[0], mediaPorts(o1->sdp)[0]);
    // The other branch, deleted with a delay, goes when it ends.
    d.viaBranch = "b2";
    d.deleteDelay = 5;
    ASSERT_TRUE((store->deleteCall(d)).ok());
    store->runTimers(now + 1);
    EXPECT_EQ(store->find("call-1")->participants.size(), 3u);
    store->runTimers(now + 40);
    ASSERT_NE(store->find("call-1"), nullptr);
    EXPECT_EQ(store->find("call-1")->participants.size(), 2u);
    EXPECT_FALSE(portIsBound(mediaPorts(o2->sdp)[0]));
}

// ---- rtcp-mux (tests/diff/OBSERVATIONS.md §4) ----

// Port placeholders are resolved against the SDP they came from, so these
// compare the rtcp port relative to the m= port.
std::string relativeTail(const std::string& tail, int port) {
    return replaceAll(
        replaceAll(tail, "a=rtcp:" + std::to_string(port + 1) + "\r\n", "a=rtcp:P+1\r\n"),
        "a=rtcp:" + std::to_string(port) + "\r\n", "a=rtcp:P\r\n");
}

class RtcpMuxRowTest : public CallStoreTest {
  protected:
    struct Out {
        std::string offer, answer;  // attributes after a=sendrecv, rtcp port as P / P+1
    };
    Out run(int portMin, bool offerMux, std::vector<RtcpMuxMode> keys, bool answerMux) {
        start(portMin);
        Flags o = offerFlags(offerMux ? kOffer + "a=rtcp-mux\r\n" : kOffer);
        for (auto k : keys) {
            o.rtcpMuxList.push_back(k);
            if (o.rtcpMux == RtcpMuxMode::Default || k == RtcpMuxMode::Reject) o.rtcpMux = k;
        }
        auto ro = store->offer(o);
        EXPECT_TRUE(ro.ok()) << reasonOf(ro);
        auto ra = store->answer(answerFlags(answerMux ? kAnswer + "a=rtcp-mux\r\n" : kAnswer));
        EXPECT_TRUE(ra.ok()) << reasonOf(ra);
        return {after(ro->sdp), after(ra->sdp)};
    }
    static std::string after(const std::string& sdp) {
        auto p = sdp.find("a=sendrecv\r\n");
        if (p == std::string::npos) return "no a=sendrecv in: " + sdp;
        auto ports = mediaPorts(sdp);
        return relativeTail(sdp.substr(p + 12), ports.empty() ? -10 : ports[0]);
    }
};

TEST_F(RtcpMuxRowTest, MuxOfferedAndAnsweredIsAgreed) {
    auto out = run(62400, true, {}, true);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P\r\na=rtcp-mux\r\n");
}

TEST_F(RtcpMuxRowTest, MuxOfferedButNotAnsweredIsNotUsed) {
    auto out = run(62410, true, {}, false);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P+1\r\n");
}

TEST_F(RtcpMuxRowTest, OfferKeyAddsMuxButOffererThatNeverAskedGetsNone) {
    auto out = run(62420, false, {RtcpMuxMode::Offer}, true);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P+1\r\n");
}

TEST_F(RtcpMuxRowTest, RequireKeyMuxesOfferOnOnePort) {
    auto out = run(62430, false, {RtcpMuxMode::Require}, false);
    EXPECT_EQ(out.offer, "a=rtcp:P\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P+1\r\n");
}

TEST_F(RtcpMuxRowTest, DemuxKeyDropsMuxFromOfferButAnswerKeepsIt) {
    auto out = run(62440, true, {RtcpMuxMode::Demux}, true);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P\r\na=rtcp-mux\r\n");
}

TEST_F(RtcpMuxRowTest, AcceptKeyBehavesLikeNoKey) {
    auto out = run(62450, true, {RtcpMuxMode::Accept}, true);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P\r\na=rtcp-mux\r\n");
}

TEST_F(RtcpMuxRowTest, RejectKeyOffersMuxButAnswersWithout) {
    auto out = run(62460, true, {RtcpMuxMode::Reject, RtcpMuxMode::Offer}, true);
    EXPECT_EQ(out.offer, "a=rtcp:P+1\r\na=rtcp-mux\r\n");
    EXPECT_EQ(out.answer, "a=rtcp:P+1\r\n");
}

}  // namespace
}  // namespace ngm::session

namespace ngm::session {
namespace {

TEST_F(CallStoreTest, IceInInputIsReplacedByOursAndSdesPassesOn) {
    start(63150);
    auto sdp = replaceAll(kOffer, "a=sendrecv\r\n",
                          "a=sendrecv\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwxyz\r\n"
                          "a=candidate:1 1 UDP 1 127.0.0.1 2000 typ host\r\n"
                          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n");
    auto r = store->offer(offerFlags(sdp));
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_EQ(r->warning, "");
    EXPECT_EQ(r->sdp.find("2000 typ host"), std::string::npos) << r->sdp;
    EXPECT_EQ(r->sdp.find("a=ice-ufrag:abcd"), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find("a=ice-ufrag:"), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find(" 1 UDP 2130706431 127.0.0.1 "), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find(" 2 UDP 2130706430 127.0.0.1 "), std::string::npos) << r->sdp;
    // RTP/AVP with a=crypto is an OSRTP offer (RFC 8643): passed on as SDES.
    EXPECT_NE(r->sdp.find("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"),
              std::string::npos) << r->sdp;
    Call* c = store->find("call-1");
    ASSERT_NE(c, nullptr);
    Participant* a = c->find("tag-a");
    ASSERT_NE(a, nullptr);
    ASSERT_EQ(a->media.size(), 1u);
    EXPECT_TRUE(a->media[0]->ice.peerIce);
    EXPECT_EQ(a->media[0]->ice.peerUfrag, "abcd");
    ASSERT_EQ(a->media[0]->ice.peerCandidates.size(), 1u);
    EXPECT_EQ(a->media[0]->ice.peerCandidates[0].port, 2000);

    auto plain = store->offer(offerFlags(kOffer, "call-2"));
    EXPECT_EQ(plain->warning, "");
    EXPECT_EQ(plain->sdp.find("a=ice-ufrag"), std::string::npos);
}

// Dual-family interface: with ICE, a host candidate on each address, the
// media's own first, each with a port pair of its own; released with the
// call.
TEST(CallStoreIce, ForceOnDualInterfaceTakesPortsOnEveryAddress) {
    log::setLevel(log::Crit);
    net::InterfaceTable table;
    table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), {}},
                 net::InterfaceConfig{"default", "", ip("::1"), {}}},
                63600, 63619);
    SessionConfig cfg;
    cfg.interfaces = &table;
    SessionCounters counters;
    auto store = std::make_unique<CallStore>(cfg, counters);
    Flags f = offerFlags(kOffer, "dual-1");
    f.ice = "force";
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find(" 1 UDP 2130706431 127.0.0.1 "), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find(" 1 UDP 2130706175 ::1 "), std::string::npos) << r->sdp;
    EXPECT_NE(r->sdp.find(" 2 UDP 2130706174 ::1 "), std::string::npos) << r->sdp;
    auto& v6 = *table.defaultInterface()->addresses[1]->ports;
    EXPECT_GT(v6.inUse(), 0u);
    Flags d;
    d.callId = "dual-1";
    d.fromTag = "tag-a";
    d.deleteDelay = 0;
    ASSERT_TRUE(store->deleteCall(d).ok());
    EXPECT_EQ(v6.inUse(), 0u);
}


// An interface of two IPv4 addresses: the second's sockets are local
// candidates of the agent of their own (priority one local preference
// lower), and a re-offer that keeps the ports keeps the agent (no ICE
// restart of ours). Ports 61400-61419.
TEST(CallStoreIce, SecondAddressSocketsAreCandidatesOfAnAgentKeptAcrossReOffers) {
    log::setLevel(log::Crit);
    net::InterfaceTable table;
    table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), {}},
                 net::InterfaceConfig{"default", "", ip("127.0.0.2"), {}}},
                61400, 61419);
    SessionConfig cfg;
    cfg.interfaces = &table;
    SessionCounters counters;
    auto store = std::make_unique<CallStore>(cfg, counters);
    Flags f = offerFlags(kOffer, "two-1");
    f.ice = "force";
    auto r = store->offer(f);
    ASSERT_TRUE(r.ok()) << reasonOf(r);
    EXPECT_NE(r->sdp.find(" 1 UDP 2130706175 127.0.0.2 "), std::string::npos) << r->sdp;
    auto agentMedia = [&]() -> Media* {
        for (auto& [tag, p] : store->find("two-1")->participants)
            for (auto& m : p->media)
                if (m && m->iceTransport) return m.get();
        return nullptr;
    };
    Media* m = agentMedia();
    ASSERT_NE(m, nullptr) << "no agent towards the receiver of the ICE=force offer";
    ASSERT_EQ(m->iceExtraPorts.size(), 1u);
    const media::IceTransport* agent = m->iceTransport.get();
    const auto& locals = agent->agent().localCandidates();
    // RTP and RTCP on each address (no rtcp-mux).
    ASSERT_EQ(locals.size(), 4u);
    int onSecond = 0;
    for (const auto& c : locals)
        if (c.address.address == ip("127.0.0.2")) {
            onSecond++;
            EXPECT_EQ(c.priority, ice::candidatePriority(ice::CandidateType::Host, 65534, c.component));
        }
    EXPECT_EQ(onSecond, 2);
    std::vector<int> fds = agent->extraFds();
    ASSERT_EQ(fds.size(), 2u);
    // The same offer again: same ports, same agent, same sockets.
    auto again = store->offer(f);
    ASSERT_TRUE(again.ok()) << reasonOf(again);
    EXPECT_EQ(agentMedia(), m);
    EXPECT_EQ(m->iceTransport.get(), agent) << "a re-offer made a new agent";
    EXPECT_EQ(m->iceTransport->extraFds(), fds);
    Flags d;
    d.callId = "two-1";
    d.fromTag = "tag-a";
    d.deleteDelay = 0;
    ASSERT_TRUE(store->deleteCall(d).ok());
    EXPECT_EQ(table.defaultInterface()->addresses[1]->ports->inUse(), 0u);
}

// ---- address families ----

TEST_F(CallStoreTest, AnswerFromAnotherFamilyKeepsThePortsOfferedToTheAnswerer) {
    // One interface with an IPv4 and an IPv6 address: an IPv6 offer is
    // passed on over IPv6, and the IPv4 answerer then sends to the IPv6
    // port it was offered, so that socket must stay (as in rtpengine).
    table.build({net::InterfaceConfig{"default", "", ip("127.0.0.1"), {}},
                 net::InterfaceConfig{"default", "", ip("::1"), {}}},
                63230, 63239);
    cfg.interfaces = &table;
    cfg.registry = &registry;
    cfg.instanceToken = "0123456789ab";
    store = std::make_unique<CallStore>(cfg, counters);
    auto o = store->offer(offerFlags(replaceAll(kOffer, "IP4 198.51.100.1", "IP6 ::1")));
    ASSERT_TRUE(o.ok()) << reasonOf(o);
    ASSERT_NE(o->sdp.find("c=IN IP6 ::1"), std::string::npos) << o->sdp;
    int offeredToCallee = mediaPorts(o->sdp)[0];

    auto a = store->answer(answerFlags(kAnswer));
    ASSERT_TRUE(a.ok()) << reasonOf(a);
    Participant* callee = store->find("call-1")->find("tag-b");
    ASSERT_TRUE(callee && callee->mediaAt(0));
    const Media& m = *callee->mediaAt(0);
    ASSERT_TRUE(m.hasPorts());
    EXPECT_EQ(m.ports.local()->address.toString(), "::1");
    EXPECT_EQ(m.ports.sockets().rtp.local().port, offeredToCallee);
}

}  // namespace
}  // namespace ngm::session
