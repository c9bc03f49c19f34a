#include "media/packet_stream.h"
#include "fake_io.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace ngm::media {
namespace {

using Bytes = std::vector<uint8_t>;

net::Endpoint ep(const char* addr, uint16_t port) { return {*net::IpAddress::parse(addr), port}; }

using test::FakeIo;

// V=2, PT=0 (PCMU), seq 1, ts 0, SSRC 0x11223344, 4 bytes of payload.
Bytes rtp(uint8_t pt = 0) { return {0x80, pt, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4}; }
// RTCP receiver report without report blocks (PT 201).
Bytes rtcp() { return {0x81, 201, 0, 1, 0x11, 0x22, 0x33, 0x44}; }

// Appends its name to a shared log when it runs; answers `verdict`.
struct RecordingStage : Stage {
    RecordingStage(std::string n, std::vector<std::string>& l, Verdict v = Verdict::Forward)
        : name(std::move(n)), log(l), verdict(v) {}
    Verdict process(PacketContext& p) override {
        log.push_back(name);
        lastStream = p.stream;
        return verdict;
    }
    std::string name;
    std::vector<std::string>& log;
    Verdict verdict;
    PacketStream* lastStream = nullptr;
};

// XORs the payload's first byte: a stand-in for a transform (encryption).
struct FlipStage : Stage {
    Verdict process(PacketContext& p) override {
        p.data[12] ^= 0xff;
        return Verdict::Forward;
    }
};

struct RecordingHook : OffloadHook {
    std::vector<std::string> events;
    OffloadInfo last;
    void offload(PacketStream&, const OffloadInfo& info) override {
        events.push_back("offload");
        last = info;
    }
    void reclaim(PacketStream&) override { events.push_back("reclaim"); }
    void moved(PacketStream&) override { events.push_back("moved"); }
};

// A call's two sides: `caller` (fd 10) receives what the caller sends and
// forwards it through `callee` (fd 12) to the callee, and back.
class PipelineTest : public ::testing::Test {
  protected:
    const net::Endpoint callerSdp = ep("192.0.2.1", 5000), calleeSdp = ep("192.0.2.2", 6000);
    FakeIo io;
    WorkerStats totals;
    RecordingHook hook;
    PacketStream caller, callee;
    StreamConfig callerCfg, calleeCfg;

    void SetUp() override {
        StreamContext ctx{&io, &totals, nullptr};
        caller.attach(10, ep("203.0.113.1", 30000), ctx);
        callee.attach(12, ep("203.0.113.1", 30002), ctx);
        callerCfg.advertised = callerSdp;
        calleeCfg.advertised = calleeSdp;
        callerCfg.learning = calleeCfg.learning = Learning::Immediate;
        callerCfg.rtpSinks.add(&callee);
        callerCfg.rtcpSinks.add(&callee);
        calleeCfg.rtpSinks.add(&caller);
        calleeCfg.rtcpSinks.add(&caller);
        apply();
    }
    void apply() {
        caller.configure(callerCfg);
        callee.configure(calleeCfg);
    }
    // Hands a datagram to `s` as the loop would.
    // `room`: how far the datagram may grow in its buffer (the loop's have
    // about 4 KiB); `buffer` gets where it lay.
    void receive(PacketStream& s, Bytes b, const net::Endpoint& from, bool truncated = false,
                 size_t room = 64, const uint8_t** buffer = nullptr) {
        sockaddr_storage ss;
        from.toSockaddr(ss);
        b.resize(b.size() + room);
        if (buffer) *buffer = b.data();
        net::Datagram d{b.data(), b.size() - room, b.size(), truncated, reinterpret_cast<sockaddr*>(&ss)};
        s.onDatagram(d);
    }
};

TEST_F(PipelineTest, AttachRegistersTheSocketAndDetachTakesItOff) {
    EXPECT_EQ(io.registered.count(10), 1u);
    EXPECT_EQ(io.registered[10], &caller);
    caller.detach();
    EXPECT_EQ(io.registered.count(10), 0u);
    EXPECT_FALSE(caller.attached());
}

// Signalling edits the stream's own configuration (no copy is kept in the
// session's Media): a new SDP address counts only once applied, then the
// stream learns again from it.
TEST_F(PipelineTest, AnEditedAdvertisedAddressTakesEffectWithApply) {
    const net::Endpoint nat = ep("198.51.100.7", 7000), moved = ep("192.0.2.9", 5010);
    receive(caller, rtp(), nat);
    ASSERT_EQ(caller.endpoint(), nat);
    caller.editConfig().advertised = moved;
    EXPECT_EQ(caller.advertised(), callerSdp);
    EXPECT_EQ(caller.endpoint(), nat);
    caller.apply();
    EXPECT_EQ(caller.advertised(), moved);
    EXPECT_EQ(caller.config().advertised, moved);
    EXPECT_EQ(caller.endpoint(), moved);
    // The same address applied again keeps what was learned.
    receive(caller, rtp(), nat);
    ASSERT_EQ(caller.endpoint(), nat);
    caller.apply();
    EXPECT_EQ(caller.endpoint(), nat);
}

// An RTCP stream, or one that received no RTP, takes no MOS sample (and
// holds no MOS record); one that received RTP does once enough came.
TEST_F(PipelineTest, OnlyAStreamThatReceivedRtpSamplesQuality) {
    caller.sampleQuality(1000);
    EXPECT_EQ(caller.mos().samples(), 0u);
    EXPECT_FALSE(caller.reception().started());
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(caller.reception().started());
    caller.sampleQuality(1001);
    EXPECT_EQ(caller.mos().ssrc(), 0x11223344u);
}

TEST_F(PipelineTest, RtpLeavesFromTheSinksSocketTowardsItsParticipantUnchanged) {
    receive(caller, rtp(), callerSdp);
    ASSERT_EQ(io.sent.size(), 1u);
    EXPECT_EQ(io.sent[0].fd, 12);
    EXPECT_EQ(io.sent[0].to, calleeSdp);
    EXPECT_EQ(io.sent[0].bytes, rtp());
    EXPECT_EQ(caller.stats().packets, 1u);
    EXPECT_EQ(caller.stats().bytes, rtp().size());
    EXPECT_EQ(totals.packets.load(), 1u);
    EXPECT_TRUE(caller.confirmed());
}

TEST_F(PipelineTest, WhatIsNeitherRtpNorRtcpIsAnErrorAndGoesNowhere) {
    receive(caller, {0x00, 0x01, 0x00, 0x00}, callerSdp);  // a STUN-looking first byte
    receive(caller, rtp(), callerSdp, /*truncated*/ true);
    EXPECT_TRUE(io.sent.empty());
    EXPECT_EQ(caller.stats().errors, 2u);
    EXPECT_EQ(caller.stats().packets, 0u);
    EXPECT_FALSE(caller.confirmed());  // never learned from (RTP Bleed)
}

TEST_F(PipelineTest, RtpOnAnRtcpPortIsAnErrorAndRtcpGoesToTheRtcpSink) {
    PacketStream rtcpPort(true);
    rtcpPort.attach(11, ep("203.0.113.1", 30001), {&io, &totals, nullptr});
    StreamConfig c;
    c.advertised = ep("192.0.2.1", 5001);
    c.learning = Learning::Immediate;
    c.rtcpSinks.add(&callee);
    rtcpPort.configure(c);
    receive(rtcpPort, rtp(), c.advertised);
    EXPECT_EQ(rtcpPort.stats().errors, 1u);
    receive(rtcpPort, rtcp(), c.advertised);
    ASSERT_EQ(io.sent.size(), 1u);
    EXPECT_EQ(io.sent[0].bytes, rtcp());
    EXPECT_EQ(io.sent[0].fd, 12);
}

TEST_F(PipelineTest, WithNothingSwitchedOnTheChainIsEmpty) {
    EXPECT_EQ(caller.chainLength(), 0u);
    EXPECT_EQ(callee.chainLength(), 0u);
}

TEST_F(PipelineTest, ConfiguredStagesRunInSlotOrderThenTheSinksEgressStage) {
    std::vector<std::string> log;
    RecordingStage decrypt("decrypt", log), dtmf("dtmf", log), record("record", log),
        rtcpStage("rtcp", log), encrypt("encrypt", log);
    // Filled in an order other than the chain's.
    callerCfg.stages[(size_t)Slot::Record] = &record;
    callerCfg.stages[(size_t)Slot::Decrypt] = &decrypt;
    callerCfg.stages[(size_t)Slot::Dtmf] = &dtmf;
    callerCfg.stages[(size_t)Slot::Rtcp] = &rtcpStage;
    calleeCfg.egress = &encrypt;
    apply();
    EXPECT_EQ(caller.chainLength(), 4u);
    receive(caller, rtp(), callerSdp);
    EXPECT_EQ(log, (std::vector<std::string>{"decrypt", "rtcp", "dtmf", "record", "encrypt"}));
    EXPECT_EQ(record.lastStream, &caller);
    EXPECT_EQ(encrypt.lastStream, &callee);  // the egress stage runs as the sink
    EXPECT_EQ(io.sent.size(), 1u);
}

TEST_F(PipelineTest, AStageThatDropsStopsThePacketWhichStillCountsAsReceived) {
    std::vector<std::string> log;
    RecordingStage drop("drop", log, Verdict::Drop), after("after", log);
    callerCfg.stages[(size_t)Slot::Rtcp] = &drop;
    callerCfg.stages[(size_t)Slot::Record] = &after;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_EQ(log, (std::vector<std::string>{"drop"}));
    EXPECT_TRUE(io.sent.empty());
    EXPECT_EQ(caller.stats().packets, 1u);
    EXPECT_EQ(caller.stats().errors, 0u);
}

TEST_F(PipelineTest, AStageErrorIsCountedAsAnErrorNotAPacket) {
    std::vector<std::string> log;
    RecordingStage bad("auth", log, Verdict::Error);
    callerCfg.stages[(size_t)Slot::Decrypt] = &bad;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(io.sent.empty());
    EXPECT_EQ(caller.stats().packets, 0u);
    EXPECT_EQ(caller.stats().errors, 1u);
    EXPECT_EQ(totals.errors.load(), 1u);
}

// SRTP that does not authenticate says nothing about where the participant is.
TEST_F(PipelineTest, APacketTheDecryptStageRefusesIsNotLearnedFrom) {
    std::vector<std::string> log;
    RecordingStage bad("auth", log, Verdict::Error);
    callerCfg.stages[(size_t)Slot::Decrypt] = &bad;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_FALSE(caller.confirmed());
    EXPECT_EQ(caller.stats().errors, 1u);
    callerCfg.stages[(size_t)Slot::Decrypt] = nullptr;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(caller.confirmed());
}

TEST_F(PipelineTest, ControlsStageIsInTheChainOnlyWhileAControlIsOn) {
    callerCfg.controls.blockMedia = true;
    apply();
    EXPECT_EQ(caller.chainLength(), 1u);
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(io.sent.empty());
    EXPECT_EQ(caller.stats().packets, 1u);
    callerCfg.controls.blockMedia = false;
    apply();
    EXPECT_EQ(caller.chainLength(), 0u);
    receive(caller, rtp(), callerSdp);
    EXPECT_EQ(io.sent.size(), 1u);
}

TEST_F(PipelineTest, BlockDtmfDropsOnlyTheTelephoneEventPayloadType) {
    callerCfg.controls.blockDtmf = true;
    callerCfg.controls.dtmfPayloadType = 101;
    apply();
    receive(caller, rtp(101), callerSdp);
    EXPECT_TRUE(io.sent.empty());
    receive(caller, rtp(0), callerSdp);
    EXPECT_EQ(io.sent.size(), 1u);
}

TEST_F(PipelineTest, SilenceReplacesAPcmuPayload) {
    callerCfg.controls.silence = true;
    apply();
    receive(caller, rtp(0), callerSdp);
    ASSERT_EQ(io.sent.size(), 1u);
    Bytes want = rtp(0);
    std::fill(want.begin() + 12, want.end(), 0xff);  // µ-law silence
    EXPECT_EQ(io.sent[0].bytes, want);
}

TEST_F(PipelineTest, EchoGoesBackOutOfTheSameSocketUnderTheNewSsrc) {
    callerCfg.rtpSinks.clear();
    callerCfg.rtpSinks.add(&caller);
    callerCfg.controls.echoSsrc = 0x5eed7530;
    apply();
    receive(caller, rtp(), callerSdp);
    ASSERT_EQ(io.sent.size(), 1u);
    EXPECT_EQ(io.sent[0].fd, 10);
    EXPECT_EQ(io.sent[0].to, callerSdp);
    Bytes want = rtp();
    want[8] = 0x5e, want[9] = 0xed, want[10] = 0x75, want[11] = 0x30;
    EXPECT_EQ(io.sent[0].bytes, want);
}

TEST_F(PipelineTest, EverySinkGetsThePacketAndAnEgressStageChangesOnlyItsOwnCopy) {
    PacketStream recorder;
    recorder.attach(14, ep("203.0.113.1", 30004), {&io, &totals, nullptr});
    StreamConfig rc;
    rc.advertised = ep("192.0.2.9", 7000);
    FlipStage flip;
    rc.egress = &flip;
    recorder.configure(rc);
    callerCfg.rtpSinks.add(&recorder);
    apply();
    receive(caller, rtp(), callerSdp);
    ASSERT_EQ(io.sent.size(), 2u);
    EXPECT_EQ(io.sent[0].fd, 12);
    EXPECT_EQ(io.sent[0].bytes, rtp());
    EXPECT_EQ(io.sent[1].fd, 14);
    Bytes flipped = rtp();
    flipped[12] ^= 0xff;
    EXPECT_EQ(io.sent[1].bytes, flipped);
}

// Notes where the packet it transforms lies, and flips a byte as FlipStage.
struct WhereStage : Stage {
    Verdict process(PacketContext& p) override {
        at = p.data;
        p.data[12] ^= 0xff;
        return Verdict::Forward;
    }
    const uint8_t* at = nullptr;
};

TEST_F(PipelineTest, TheLastSinksEgressTransformsTheReceivedBufferEarlierSinksACopy) {
    PacketStream recorder;
    recorder.attach(14, ep("203.0.113.1", 30004), {&io, &totals, nullptr});
    StreamConfig rc;
    rc.advertised = ep("192.0.2.9", 7000);
    WhereStage first, last;
    calleeCfg.egress = &first;
    rc.egress = &last;
    recorder.configure(rc);
    callerCfg.rtpSinks.add(&recorder);
    apply();
    const uint8_t* buffer = nullptr;
    receive(caller, rtp(), callerSdp, false, 512, &buffer);
    EXPECT_NE(first.at, buffer);
    EXPECT_EQ(last.at, buffer);
    // Each transformed the packet as it came, once.
    Bytes flipped = rtp();
    flipped[12] ^= 0xff;
    ASSERT_EQ(io.sent.size(), 2u);
    EXPECT_EQ(io.sent[0].bytes, flipped);
    EXPECT_EQ(io.sent[1].bytes, flipped);
}

TEST_F(PipelineTest, AnEgressStageGetsACopyWhenTheReceivedBufferHasNoRoomForATrailer) {
    WhereStage encrypt;
    calleeCfg.egress = &encrypt;
    apply();
    const uint8_t* buffer = nullptr;
    receive(caller, rtp(), callerSdp, false, 16, &buffer);
    EXPECT_NE(encrypt.at, nullptr);
    EXPECT_NE(encrypt.at, buffer);
    ASSERT_EQ(io.sent.size(), 1u);
    Bytes flipped = rtp();
    flipped[12] ^= 0xff;
    EXPECT_EQ(io.sent[0].bytes, flipped);
}

TEST_F(PipelineTest, NothingGoesToASideThatCannotReceive) {
    calleeCfg.receives = false;  // rejected media or a zero-address hold
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(io.sent.empty());
    calleeCfg.receives = true;
    calleeCfg.natWait = true;  // not before the callee sent something
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(io.sent.empty());
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    EXPECT_EQ(io.sent.size(), 2u);  // callee → caller, then caller → callee
}

TEST_F(PipelineTest, DelayedLearningFollowsTheSourceUnsettledUntilItCommits) {
    callerCfg.learning = Learning::Delayed;
    apply();
    caller.relearn(/*commitsAtMs*/ INT64_MAX);  // the wait never ends here
    net::Endpoint nat = ep("198.51.100.7", 40000);
    receive(caller, rtp(), nat);
    EXPECT_EQ(caller.endpoint(), nat);
    EXPECT_FALSE(caller.confirmed());
    caller.relearn(0);  // committing from now
    receive(caller, rtp(), nat);
    EXPECT_TRUE(caller.confirmed());
    EXPECT_EQ(caller.endpoint(), nat);
}

TEST_F(PipelineTest, ANewAdvertisedAddressStartsLearningAgainTheSameKeepsIt) {
    net::Endpoint nat = ep("198.51.100.7", 40000);
    receive(caller, rtp(), nat);
    EXPECT_EQ(caller.endpoint(), nat);
    apply();  // the same SDP again
    EXPECT_EQ(caller.endpoint(), nat);
    EXPECT_TRUE(caller.confirmed());
    callerCfg.advertised = ep("192.0.2.1", 5002);
    apply();
    EXPECT_EQ(caller.endpoint(), callerCfg.advertised);
    EXPECT_FALSE(caller.confirmed());
}

TEST_F(PipelineTest, StrictSourceDropsOtherSourcesOnceSettled) {
    callerCfg.strictSource = true;
    apply();
    receive(caller, rtp(), callerSdp);
    receive(caller, rtp(), ep("198.51.100.66", 1234));
    EXPECT_EQ(caller.stats().packets, 1u);
    EXPECT_EQ(caller.stats().errors, 1u);
    EXPECT_EQ(io.sent.size(), 1u);
}

// ---- the offload hook ----

class OffloadTest : public PipelineTest {
  protected:
    void SetUp() override {
        PipelineTest::SetUp();
        StreamContext ctx{&io, &totals, &hook};
        caller.attach(10, ep("203.0.113.1", 30000), ctx);
        callee.attach(12, ep("203.0.113.1", 30002), ctx);
        apply();
        hook.events.clear();
    }
};

TEST_F(OffloadTest, APlainForwardingStreamIsOfferedOnceBothEndsAreSettled) {
    receive(caller, rtp(), callerSdp);  // the callee's side is not settled yet
    EXPECT_FALSE(caller.plainForwarding());
    EXPECT_TRUE(hook.events.empty());
    receive(callee, rtp(), calleeSdp);  // settles the callee; caller now forwards plainly
    EXPECT_TRUE(callee.plainForwarding());
    ASSERT_EQ(hook.events, (std::vector<std::string>{"offload"}));
    EXPECT_EQ(hook.last.local, ep("203.0.113.1", 30002));
    EXPECT_EQ(hook.last.source, calleeSdp);
    EXPECT_TRUE(hook.last.rtp.forwarded);
    EXPECT_EQ(hook.last.rtp.outFd, 10);
    EXPECT_EQ(hook.last.rtp.destination, callerSdp);
    EXPECT_TRUE(callee.offloaded());
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(caller.offloaded());
    EXPECT_EQ(hook.events.size(), 2u);
}

TEST_F(OffloadTest, SignallingTakesTheStreamBackAndAStageKeepsItInUserspace) {
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    ASSERT_TRUE(caller.offloaded());
    hook.events.clear();
    callerCfg.controls.silence = true;
    apply();
    EXPECT_FALSE(caller.offloaded());
    EXPECT_EQ(hook.events.front(), "reclaim");
    receive(caller, rtp(), callerSdp);
    EXPECT_FALSE(caller.offloaded());  // the Controls stage touches the bytes
    callerCfg.controls.silence = false;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_TRUE(caller.offloaded());
}

TEST_F(OffloadTest, AnEndpointThatMovesIsReportedAndItsStreamReclaimed) {
    callerCfg.mediaHandover = true;
    apply();
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    ASSERT_TRUE(caller.offloaded());
    hook.events.clear();
    receive(caller, rtp(), ep("198.51.100.8", 41000));  // handover to a new address
    EXPECT_FALSE(caller.offloaded());
    EXPECT_EQ(hook.events, (std::vector<std::string>{"reclaim", "moved"}));
}

// Peers that send no RTCP still get their RTP offloaded: the RTCP sink
// goes where userspace would send it, learning or not.
TEST_F(OffloadTest, AnRtcpSinkStillLearningDoesNotKeepTheStreamInUserspace) {
    PacketStream calleeRtcp(/*isRtcp*/ true);
    StreamContext ctx{&io, &totals, &hook};
    calleeRtcp.attach(13, ep("203.0.113.1", 30003), ctx);
    StreamConfig rtcpCfg;
    rtcpCfg.advertised = ep("192.0.2.2", 6001);
    rtcpCfg.learning = Learning::Immediate;
    calleeRtcp.configure(rtcpCfg);
    callerCfg.rtcpSinks.clear();
    callerCfg.rtcpSinks.add(&calleeRtcp);
    apply();
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    ASSERT_TRUE(caller.offloaded());
    EXPECT_FALSE(calleeRtcp.confirmed());
    EXPECT_TRUE(hook.last.rtcp.forwarded);
    EXPECT_EQ(hook.last.rtcp.destination, ep("192.0.2.2", 6001));
    EXPECT_EQ(hook.last.rtcp.outFd, 13);
    caller.detach();
}

// block media / block DTMF / drop-traffic: the kernel drops as the Controls
// stage would, so the stream is offered with the drop set (and the
// negotiated payload types, and its reception so far); silence is not.
TEST_F(OffloadTest, BlockMediaIsOfferedWithWhatToDropSilenceIsNot) {
    callerCfg.controls.blockMedia = true;
    callerCfg.controls.dtmfPayloadType = 101;
    callerCfg.payloadTypes = {1ULL << 0 | 1ULL << 8, 1ULL << (101 - 64)};
    callerCfg.clockRate = 8000;
    apply();
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    EXPECT_EQ(io.sent.size(), 1u) << "the caller's media is blocked";
    ASSERT_TRUE(caller.offloaded());
    EXPECT_EQ(hook.last.local, ep("203.0.113.1", 30000));
    EXPECT_EQ(hook.last.dropTypes[0], ~0ULL);
    EXPECT_EQ(hook.last.dropTypes[1], ~(1ULL << (101 - 64)));
    EXPECT_FALSE(hook.last.dropAll);
    EXPECT_EQ(hook.last.payloadTypes, callerCfg.payloadTypes);
    EXPECT_EQ(hook.last.clockRate, 8000u);
    EXPECT_TRUE(hook.last.receptions.back().started);
    EXPECT_EQ(hook.last.receptions.back().received, 1u);
    callerCfg.controls = {};
    callerCfg.controls.dropAll = true;
    apply();
    receive(caller, rtp(), callerSdp);
    ASSERT_TRUE(caller.offloaded());
    EXPECT_TRUE(hook.last.dropAll);
    EXPECT_EQ(hook.last.dropTypes[0], 0u);
    callerCfg.controls = {};
    callerCfg.controls.silence = true;
    apply();
    receive(caller, rtp(), callerSdp);
    EXPECT_FALSE(caller.offloaded());
}

TEST_F(OffloadTest, DetachReclaims) {
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    ASSERT_TRUE(caller.offloaded());
    caller.detach();
    EXPECT_FALSE(caller.offloaded());
    EXPECT_EQ(hook.events.back(), "reclaim");
}

TEST(SinkList, AddsOnceInOrderAndRemoves) {
    PacketStream a, b, c;
    SinkList l;
    EXPECT_TRUE(l.add(&a));
    EXPECT_TRUE(l.add(&b));
    EXPECT_TRUE(l.add(&a));
    EXPECT_FALSE(l.add(nullptr));
    EXPECT_EQ(l.size(), 2u);
    l.add(&c);
    l.remove(&b);
    ASSERT_EQ(l.size(), 2u);
    EXPECT_EQ(l[0], &a);
    EXPECT_EQ(l[1], &c);
}

TEST(NoopStage, ForwardsUntouched) {
    NoopStage s;
    Bytes b = rtp();
    PacketContext p{b.data(), b.size(), b.size(), true, 0, nullptr};
    EXPECT_EQ(s.process(p), Verdict::Forward);
    EXPECT_EQ(b, rtp());
}

}  // namespace
}  // namespace ngm::media
