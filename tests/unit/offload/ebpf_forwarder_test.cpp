// EbpfForwarder against a fake map: what offload, reclaim, moved and poll
// write to the map, and what goes back to the streams' counters.
#include "offload/ebpf_forwarder.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <time.h>

#include <cstring>
#include <map>
#include <vector>

#include "media/packet_stream.h"

namespace ngm::offload {
namespace {

using Bytes = std::vector<uint8_t>;
using namespace ngm::media;

net::Endpoint ep(const char* addr, uint16_t port) { return {*net::IpAddress::parse(addr), port}; }

std::vector<uint8_t> keyBytes(const ForwardKey& k) {
    auto p = reinterpret_cast<const uint8_t*>(&k);
    return {p, p + sizeof k};
}

// The kernel's map as a std::map; a test plays the BPF program by bumping
// counters.
struct FakeTable : ForwardTable {
    std::map<std::vector<uint8_t>, ForwardValue> entries;
    bool full = false;
    int puts = 0;
    bool put(const ForwardKey& k, const ForwardValue& v) override {
        if (full && !entries.count(keyBytes(k))) return false;
        puts++;
        entries[keyBytes(k)] = v;
        return true;
    }
    bool get(const ForwardKey& k, ForwardValue& v) const override {
        auto it = entries.find(keyBytes(k));
        if (it == entries.end()) return false;
        v = it->second;
        return true;
    }
    bool remove(const ForwardKey& k, ForwardValue* last) override {
        auto it = entries.find(keyBytes(k));
        if (it == entries.end()) return false;
        if (last) *last = it->second;
        entries.erase(it);
        return true;
    }
    ForwardValue* at(const net::Endpoint& local) {
        auto it = entries.find(keyBytes(keyOf(local)));
        return it == entries.end() ? nullptr : &it->second;
    }
    // Packets the program forwarded for `local`.
    void forwarded(const net::Endpoint& local, uint64_t packets, uint64_t bytes) {
        ForwardValue* v = at(local);
        ASSERT_NE(v, nullptr);
        v->packets += packets;
        v->bytes += bytes;
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        v->last_seen_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
};

struct FakeIo : net::DatagramIo {
    bool addDatagram(int, net::DatagramHandler*) override { return true; }
    void removeDatagram(int) override {}
    std::map<int, int> sent;  // datagrams sent, by socket
    bool sendTo(int fd, const uint8_t*, size_t, const sockaddr*, socklen_t, uint64_t*) override {
        sent[fd]++;
        return true;
    }
    bool usesIoUring() const override { return false; }
};

Bytes rtp() { return {0x80, 0, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4}; }
Bytes rtpSeq(uint16_t seq, uint8_t pt = 0) {
    return {0x80, pt, uint8_t(seq >> 8), uint8_t(seq), 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2,
            3,    4};
}

uint64_t monoNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

constexpr uint32_t kIfindex = 7;

// Two sides of a call on the same worker, as in tests/unit/media: what the
// caller sends arrives on `caller` (203.0.113.1:30000) and leaves from
// `callee` (203.0.113.1:30002) towards the callee, and back.
class ForwarderTest : public ::testing::Test {
  protected:
    const net::Endpoint callerSdp = ep("192.0.2.1", 5000), calleeSdp = ep("192.0.2.2", 6000);
    const net::Endpoint callerLocal = ep("203.0.113.1", 30000),
                        calleeLocal = ep("203.0.113.1", 30002);
    FakeIo io;
    FakeTable table;
    WorkerStats totals;
    EbpfForwarder fwd{table, [](const net::IpAddress& a) {
                          return a == *net::IpAddress::parse("203.0.113.1") ||
                                         a == *net::IpAddress::parse("2001:db8::1")
                                     ? kIfindex
                                     : 0u;
                      }};
    PacketStream caller, callee;
    StreamConfig callerCfg, calleeCfg;

    void SetUp() override {
        StreamContext ctx{&io, &totals, &fwd};
        caller.attach(10, callerLocal, ctx);
        callee.attach(12, calleeLocal, ctx);
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
    void receive(PacketStream& s, Bytes b, const net::Endpoint& from) {
        sockaddr_storage ss;
        from.toSockaddr(ss);
        b.resize(b.size() + 64);
        net::Datagram d{b.data(), b.size() - 64, b.size(), false, reinterpret_cast<sockaddr*>(&ss)};
        s.onDatagram(d);
    }
    // Both ends settled: both streams are in the map.
    void settle() {
        receive(callee, rtp(), calleeSdp);
        receive(caller, rtp(), callerSdp);  // the caller's stream goes
        receive(callee, rtp(), calleeSdp);  // the callee's now that the caller is settled
        ASSERT_EQ(fwd.size(), 2u);
    }
};

TEST_F(ForwarderTest, OffloadWritesTheRouteOfBothKindsOfPacket) {
    settle();
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->family, NGM_FWD_FAMILY_V4);
    EXPECT_EQ(std::memcmp(v->source, callerSdp.address.bytes(), 4), 0);
    EXPECT_EQ(v->source_port, htons(5000));
    EXPECT_EQ(v->flags, 0);
    EXPECT_EQ(v->tos, 0);
    EXPECT_EQ(v->payload_types[0], ~0ULL);
    EXPECT_EQ(v->payload_types[1], ~0ULL);
    for (const ngm_fwd_route* r : {&v->rtp, &v->rtcp}) {
        EXPECT_EQ(r->forwarded, 1);
        EXPECT_EQ(r->ifindex, kIfindex);
        EXPECT_EQ(std::memcmp(r->src, calleeLocal.address.bytes(), 4), 0);
        EXPECT_EQ(r->src_port, htons(30002));
        EXPECT_EQ(std::memcmp(r->dst, calleeSdp.address.bytes(), 4), 0);
        EXPECT_EQ(r->dst_port, htons(6000));
    }
    EXPECT_EQ(v->packets, 0u);
    EXPECT_TRUE(fwd.inKernel(caller));
    EXPECT_EQ(fwd.counters().offloaded, 2u);
}

TEST_F(ForwarderTest, StrictSourceIsRecordedInTheFlags) {
    callerCfg.strictSource = true;
    apply();
    settle();
    EXPECT_EQ(table.at(callerLocal)->flags, NGM_FWD_STRICT_SOURCE);
}

TEST_F(ForwarderTest, PollHandsTheKernelsPacketsToTheStreamAndTheWorkerTotals) {
    settle();
    uint64_t before = caller.stats().packets;
    uint64_t userspaceBefore = totals.packets.load();
    table.forwarded(callerLocal, 50, 50 * 172);
    fwd.poll();
    EXPECT_EQ(caller.stats().packets, before + 50);
    EXPECT_EQ(totals.kernelPackets.load(), 50u);
    EXPECT_EQ(totals.kernelBytes.load(), 50u * 172);
    EXPECT_EQ(totals.packets.load(), userspaceBefore);  // userspace's own figure stays
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    EXPECT_NEAR((double)caller.stats().lastPacket, (double)now.tv_sec, 1.0);
    // Only the growth, once.
    fwd.poll();
    EXPECT_EQ(caller.stats().packets, before + 50);
    table.forwarded(callerLocal, 3, 3 * 172);
    fwd.poll();
    EXPECT_EQ(caller.stats().packets, before + 53);
    EXPECT_EQ(totals.kernelPackets.load(), 53u);
}

TEST_F(ForwarderTest, RefreshHandsBackOneStreamsCountersOnly) {
    settle();
    uint64_t callerBefore = caller.stats().packets, calleeBefore = callee.stats().packets;
    table.forwarded(callerLocal, 5, 500);
    table.forwarded(calleeLocal, 6, 600);
    fwd.refresh(caller);
    EXPECT_EQ(caller.stats().packets, callerBefore + 5);
    EXPECT_EQ(callee.stats().packets, calleeBefore);
    fwd.poll();
    EXPECT_EQ(caller.stats().packets, callerBefore + 5);
    EXPECT_EQ(callee.stats().packets, calleeBefore + 6);
}

TEST_F(ForwarderTest, ReclaimRemovesTheEntryAndHandsBackWhatWasNotPolled) {
    settle();
    table.forwarded(callerLocal, 7, 700);
    uint64_t before = caller.stats().bytes;
    callerCfg.controls.silence = true;  // a stage: back to userspace
    apply();
    EXPECT_FALSE(caller.offloaded());
    EXPECT_EQ(table.at(callerLocal), nullptr);
    EXPECT_EQ(caller.stats().bytes, before + 700);
    EXPECT_FALSE(fwd.inKernel(caller));
}

TEST_F(ForwarderTest, DetachTakesTheStreamOutOfTheMap) {
    settle();
    caller.detach();
    EXPECT_EQ(table.at(callerLocal), nullptr);
    EXPECT_NE(table.at(calleeLocal), nullptr);
}

TEST_F(ForwarderTest, AHandoverPointsTheOtherSidesEntryAtTheNewEndpoint) {
    callerCfg.mediaHandover = true;
    apply();
    settle();
    table.forwarded(calleeLocal, 4, 400);
    const net::Endpoint moved = ep("198.51.100.8", 41000);
    receive(caller, rtp(), moved);  // the caller's new address: media follows it at once
    ForwardValue* toCaller = table.at(calleeLocal);
    ASSERT_NE(toCaller, nullptr);
    EXPECT_FALSE(toCaller->flags & NGM_FWD_PAUSED);
    EXPECT_EQ(toCaller->packets, 4u);  // the counters carry on
    EXPECT_EQ(std::memcmp(toCaller->rtp.dst, moved.address.bytes(), 4), 0);
    EXPECT_EQ(toCaller->rtp.dst_port, htons(41000));
    EXPECT_EQ(toCaller->rtcp.dst_port, htons(41000));
    EXPECT_EQ(table.at(callerLocal), nullptr);   // the caller's own source changed: userspace's
    EXPECT_EQ(callee.stats().packets, 2u + 4u);  // handed back on the way
}

TEST_F(ForwarderTest, AMoveRewritesNoEntryThatWasTakenBack) {
    callerCfg.mediaHandover = true;
    apply();
    settle();
    calleeCfg.controls.silence = true;  // the callee's stream is userspace's again
    callee.configure(calleeCfg);
    ASSERT_EQ(table.at(calleeLocal), nullptr);
    int puts = table.puts;
    receive(caller, rtp(), ep("198.51.100.8", 41000));
    EXPECT_EQ(table.puts, puts);
    EXPECT_TRUE(table.entries.empty());
}

// IPv6 in, IPv4 out: the entry is keyed and sourced in IPv6, its route
// says IPv4 (the program rewrites the IP header).
TEST_F(ForwarderTest, BridgingIpv4AndIpv6GoesToTheKernelWithTheSinksFamily) {
    PacketStream v6;
    StreamContext ctx{&io, &totals, &fwd};
    v6.attach(14, ep("2001:db8::1", 30004), ctx);
    StreamConfig c;
    c.advertised = ep("2001:db8::2", 7000);
    c.learning = Learning::Immediate;
    c.rtpSinks.add(&caller);
    v6.configure(c);
    receive(callee, rtp(), calleeSdp);  // nothing to do with v6; settles caller's sink
    receive(caller, rtp(), callerSdp);
    receive(v6, rtp(), ep("2001:db8::2", 7000));
    ASSERT_TRUE(fwd.inKernel(v6));
    ForwardValue* v = table.at(ep("2001:db8::1", 30004));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->family, NGM_FWD_FAMILY_V6);
    EXPECT_EQ(v->rtp.family, NGM_FWD_FAMILY_V4);
    EXPECT_EQ(v->rtp.forwarded, 1);
    EXPECT_EQ(std::memcmp(v->rtp.src, net::IpAddress::parse("203.0.113.1")->bytes(), 4), 0);
    EXPECT_EQ(std::memcmp(v->rtp.dst, callerSdp.address.bytes(), 4), 0);
    EXPECT_EQ(ntohs(v->rtp.dst_port), 5000);
    EXPECT_EQ(v->rtcp.forwarded, 0);
}

TEST_F(ForwarderTest, AnAddressOnNoAttachedDeviceStaysInUserspace) {
    PacketStream other, sink;
    StreamContext ctx{&io, &totals, &fwd};
    other.attach(16, ep("198.51.100.1", 30006), ctx);
    sink.attach(18, ep("198.51.100.1", 30008), ctx);
    StreamConfig a, b;
    a.advertised = ep("192.0.2.9", 9000);
    b.advertised = ep("192.0.2.10", 9002);
    a.learning = b.learning = Learning::Immediate;
    a.rtpSinks.add(&sink);
    b.rtpSinks.add(&other);
    other.configure(a);
    sink.configure(b);
    receive(sink, rtp(), b.advertised);
    receive(other, rtp(), a.advertised);
    EXPECT_TRUE(other.offloaded());     // offered...
    EXPECT_FALSE(fwd.inKernel(other));  // ...and declined
    EXPECT_EQ(fwd.size(), 0u);
}

TEST_F(ForwarderTest, AFullMapLeavesTheStreamInUserspaceAndCountsIt) {
    table.full = true;
    receive(callee, rtp(), calleeSdp);
    receive(caller, rtp(), callerSdp);
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(fwd.size(), 0u);
    EXPECT_EQ(fwd.counters().failed, 2u);
}

TEST_F(ForwarderTest, TheNegotiatedPayloadTypesGoInTheMap) {
    callerCfg.payloadTypes = {1ULL << 0 | 1ULL << 8, 1ULL << (101 - 64)};
    apply();
    settle();
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->payload_types[0], 1ULL << 0 | 1ULL << 8);
    EXPECT_EQ(v->payload_types[1], 1ULL << (101 - 64));
    EXPECT_EQ(table.at(calleeLocal)->payload_types[0], ~0ULL);  // its own config: all
}

// block media: the stream leaves the kernel for its next packet (userspace
// drops it, as before) and goes back with every payload type but DTMF's to
// drop; block DTMF drops DTMF's only; drop-traffic everything.
TEST_F(ForwarderTest, BlockMediaAndDropTrafficStayInTheKernelAsDrops) {
    settle();
    callerCfg.controls.dtmfPayloadType = 101;
    callerCfg.controls.blockMedia = true;
    apply();
    ASSERT_EQ(table.at(callerLocal), nullptr);  // a new configuration takes it back
    uint64_t before = caller.stats().packets;
    receive(caller, rtpSeq(2), callerSdp);  // dropped by userspace, counted
    EXPECT_EQ(caller.stats().packets, before + 1);
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr) << "block media keeps the stream in the kernel";
    EXPECT_EQ(v->drop_types[0], ~0ULL);
    EXPECT_EQ(v->drop_types[1], ~(1ULL << (101 - 64)));
    EXPECT_EQ(v->flags & NGM_FWD_DROP_ALL, 0);
    EXPECT_TRUE(caller.inKernel());

    callerCfg.controls.blockMedia = false;
    callerCfg.controls.blockDtmf = true;
    apply();
    receive(caller, rtpSeq(3), callerSdp);
    v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->drop_types[0], 0u);
    EXPECT_EQ(v->drop_types[1], 1ULL << (101 - 64));

    callerCfg.controls.blockDtmf = false;
    callerCfg.controls.dropAll = true;
    apply();
    receive(caller, rtpSeq(4), callerSdp);
    v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->flags & NGM_FWD_DROP_ALL, NGM_FWD_DROP_ALL);

    // silence rewrites payloads: userspace's.
    callerCfg.controls.dropAll = false;
    callerCfg.controls.silence = true;
    apply();
    receive(caller, rtpSeq(5), callerSdp);
    EXPECT_EQ(table.at(callerLocal), nullptr);
    EXPECT_FALSE(caller.inKernel());
}

TEST_F(ForwarderTest, TheReceptionIsSeededIntoTheMapAndReadBack) {
    settle();  // the caller's stream received seq 1 of 0x11223344
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    const ngm_fwd_ssrc& s0 = v->ssrcs[0];
    EXPECT_EQ(s0.used, 1);
    EXPECT_EQ(s0.ssrc, 0x11223344u);
    EXPECT_EQ(s0.base_seq, 1u);
    EXPECT_EQ(s0.max_seq, 1);
    EXPECT_EQ(s0.received, 1u);
    EXPECT_EQ(v->ssrcs[1].used, 0);
    // The kernel carried on: up to 20, 15 received.
    v->ssrcs[0].max_seq = 20;
    v->ssrcs[0].received = 15;
    v->ssrcs[0].last_ns = monoNs();
    table.forwarded(callerLocal, 14, 14 * 16);
    fwd.poll();
    EXPECT_EQ(caller.reception().ssrc(), 0x11223344u);
    EXPECT_EQ(caller.reception().received(), 15u);
    EXPECT_EQ(caller.reception().expected(), 20u);
    EXPECT_EQ(caller.reception().lost(), 5u);
    // A second SSRC, heard after: the stream's reception is that one's.
    ngm_fwd_ssrc& s1 = v->ssrcs[1];
    s1.used = 1;
    s1.ssrc = 0x55667788;
    s1.base_seq = 100;
    s1.max_seq = 109;
    s1.received = 10;
    s1.last_ns = monoNs() + 1;
    table.forwarded(callerLocal, 10, 160);
    fwd.poll();
    EXPECT_EQ(caller.reception().ssrc(), 0x55667788u);
    EXPECT_EQ(caller.reception().received(), 10u);
    EXPECT_EQ(caller.reception().lost(), 0u);
}

// Every SSRC the stream received goes to the kernel (the one heard last in
// slot 0) and every slot comes back, so query lists each SSRC with its loss.
TEST_F(ForwarderTest, EverySsrcsReceptionIsSeededAndReadBack) {
    receive(callee, rtp(), calleeSdp);
    // The caller's stream: SSRC 0xaa (seq 1, 3: one lost) and 0xbb (seq 10)
    // interleaved; offered after the last.
    auto rtpOf = [](uint32_t ssrc, uint16_t seq) {
        Bytes b = rtpSeq(seq);
        b[8] = uint8_t(ssrc >> 24), b[9] = uint8_t(ssrc >> 16), b[10] = uint8_t(ssrc >> 8),
        b[11] = uint8_t(ssrc);
        return b;
    };
    // (RTP that reaches userspace from the settled source takes the entry
    // back and offers it again after.)
    receive(caller, rtpOf(0xaa, 1), callerSdp);
    receive(caller, rtpOf(0xbb, 10), callerSdp);
    receive(caller, rtpOf(0xaa, 3), callerSdp);
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->ssrcs[0].ssrc, 0xaau);
    EXPECT_EQ(v->ssrcs[0].received, 2u);
    EXPECT_EQ(v->ssrcs[0].max_seq, 3);
    EXPECT_EQ(v->ssrcs[1].ssrc, 0xbbu);
    EXPECT_EQ(v->ssrcs[1].received, 1u);
    EXPECT_GT(v->ssrcs[0].last_ns, v->ssrcs[1].last_ns);
    EXPECT_EQ(v->ssrcs[2].used, 0);
    // The kernel heard 0xbb last: 10..20, 11 received.
    v->ssrcs[1].max_seq = 20;
    v->ssrcs[1].received = 11;
    v->ssrcs[1].last_ns = monoNs() + 5;
    table.forwarded(callerLocal, 10, 160);
    fwd.poll();
    EXPECT_EQ(caller.reception().ssrc(), 0xbbu);
    SsrcReceptions::States st = caller.receptions().states();
    ASSERT_TRUE(st[2].started && st[3].started);
    EXPECT_EQ(st[2].ssrc, 0xaau);
    EXPECT_EQ(st[2].received, 2u);
    EXPECT_EQ(st[3].ssrc, 0xbbu);
    EXPECT_EQ(st[3].maxSeq, 20);
    EXPECT_FALSE(st[1].started);
}

// A stream forwarded to two sinks (as subscriptions would make) is not
// offered: userspace sends each sink its copy (docs/ebpf.md says why not
// in BPF yet).
TEST_F(ForwarderTest, AStreamWithTwoSinksStaysInUserspaceAndBothGetIt) {
    PacketStream extra;
    StreamContext ctx{&io, &totals, &fwd};
    extra.attach(20, ep("203.0.113.1", 30010), ctx);
    StreamConfig c;
    c.advertised = ep("192.0.2.3", 7000);
    c.learning = Learning::Immediate;
    extra.configure(c);
    receive(extra, rtp(), c.advertised);  // settled
    callerCfg.rtpSinks.add(&extra);
    apply();
    receive(callee, rtp(), calleeSdp);
    int toCallee = io.sent[12], toExtra = io.sent[20];
    for (uint16_t i = 1; i <= 3; i++) receive(caller, rtpSeq(i), callerSdp);
    EXPECT_FALSE(caller.offloaded());
    EXPECT_FALSE(fwd.inKernel(caller));
    EXPECT_EQ(table.at(callerLocal), nullptr);
    EXPECT_EQ(io.sent[12], toCallee + 3);
    EXPECT_EQ(io.sent[20], toExtra + 3);
    // The callee's stream, with one sink, is the kernel's as before.
    receive(callee, rtp(), calleeSdp);
    EXPECT_TRUE(fwd.inKernel(callee));
}

// RTP from the settled source that came up all the same (a payload type
// outside the set): the kernel's state comes back first, the packet goes on
// from it, and the stream goes back to the kernel with both.
TEST_F(ForwarderTest, RtpThatComesUpFromTheKernelCarriesOnItsReception) {
    callerCfg.payloadTypes = {1ULL << 0, 0};
    apply();
    settle();
    ForwardValue* v = table.at(callerLocal);
    ASSERT_NE(v, nullptr);
    v->ssrcs[0].max_seq = 30;
    v->ssrcs[0].received = 30;
    v->ssrcs[0].last_ns = monoNs();
    table.forwarded(callerLocal, 29, 29 * 16);
    uint64_t before = caller.stats().packets;
    receive(caller, rtpSeq(31, 18), callerSdp);  // G.729: not negotiated
    EXPECT_EQ(caller.stats().packets, before + 29 + 1);
    EXPECT_EQ(caller.reception().received(), 31u);
    EXPECT_EQ(caller.reception().lost(), 0u);
    v = table.at(callerLocal);
    ASSERT_NE(v, nullptr) << "offered again";
    EXPECT_EQ(v->ssrcs[0].received, 31u);
    EXPECT_EQ(v->ssrcs[0].max_seq, 31);
    EXPECT_EQ(v->packets, 0u);
}

TEST(Forwarder, DestroyedWithEntriesLeftItTakesThemOutOfTheMap) {
    FakeTable table;
    FakeIo io;
    WorkerStats totals;
    {
        EbpfForwarder fwd(table, [](const net::IpAddress&) { return kIfindex; });
        OffloadInfo info;
        info.local = ep("10.0.0.1", 40000);
        info.source = ep("10.0.0.2", 5000);
        info.rtp = {true, 3, ep("10.0.0.1", 40002), ep("10.0.0.3", 6000)};
        PacketStream s;
        fwd.offload(s, info);
        EXPECT_EQ(table.entries.size(), 1u);
    }
    EXPECT_TRUE(table.entries.empty());
}

TEST(Forwarder, WallSecondOfAKernelTimestamp) {
    timespec mono, wall;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t fiveSecondsAgo = ((uint64_t)mono.tv_sec - 5) * 1000000000 + mono.tv_nsec;
    EXPECT_NEAR((double)wallSecondOf(fiveSecondsAgo), (double)wall.tv_sec - 5, 1.0);
}

}  // namespace
}  // namespace ngm::offload
