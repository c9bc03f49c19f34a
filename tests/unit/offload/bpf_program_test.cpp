// The BPF program itself, run by the kernel on crafted frames
// (BPF_PROG_TEST_RUN): what it forwards, how it rewrites, and everything it
// must leave to userspace unchanged. Skips, saying why, where bpf() is not
// permitted (not root, or a sandbox that forbids it).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/pkt_cls.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "media/packet.h"
#include "media/quality.h"
#include "offload/ebpf_forwarder.h"
#include "offload/forward.skel.h"
#include "offload/forward_table.h"

namespace ngm::offload {
namespace {

using Bytes = std::vector<uint8_t>;

net::Endpoint ep(const char* addr, uint16_t port) { return {*net::IpAddress::parse(addr), port}; }

uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}
uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

// An Ethernet frame with IPv4 or IPv6 and UDP around `payload`, checksums
// right (or a zero UDP checksum over IPv4 when `udpChecksum` is false).
Bytes frame(const net::Endpoint& from, const net::Endpoint& to, const Bytes& payload,
            bool udpChecksum = true) {
    bool v6 = from.address.family() == net::Family::V6;
    Bytes f(14, 0);
    f[12] = v6 ? 0x86 : 0x08;
    f[13] = v6 ? 0xdd : 0x00;
    size_t ulen = 8 + payload.size();
    size_t l3 = f.size();
    size_t alen = v6 ? 16 : 4;
    if (v6) {
        Bytes h(40, 0);
        h[0] = 0x60;
        h[4] = ulen >> 8;
        h[5] = ulen & 0xff;
        h[6] = 17;
        h[7] = 64;
        std::memcpy(&h[8], from.address.bytes(), 16);
        std::memcpy(&h[24], to.address.bytes(), 16);
        f.insert(f.end(), h.begin(), h.end());
    } else {
        Bytes h(20, 0);
        h[0] = 0x45;
        h[2] = (20 + ulen) >> 8;
        h[3] = (20 + ulen) & 0xff;
        h[6] = 0x40;  // DF
        h[8] = 64;
        h[9] = 17;
        std::memcpy(&h[12], from.address.bytes(), 4);
        std::memcpy(&h[16], to.address.bytes(), 4);
        uint16_t c = fold(sum16(h.data(), 20));
        h[10] = c >> 8;
        h[11] = c & 0xff;
        f.insert(f.end(), h.begin(), h.end());
    }
    size_t l4 = f.size();
    Bytes u = {uint8_t(from.port >> 8),
               uint8_t(from.port),
               uint8_t(to.port >> 8),
               uint8_t(to.port),
               uint8_t(ulen >> 8),
               uint8_t(ulen),
               0,
               0};
    f.insert(f.end(), u.begin(), u.end());
    f.insert(f.end(), payload.begin(), payload.end());
    if (udpChecksum) {
        uint32_t s = sum16(&f[l3 + (v6 ? 8 : 12)], 2 * alen);
        s += 17 + (uint32_t)ulen;
        uint16_t c = fold(sum16(&f[l4], ulen, s));
        if (c == 0) c = 0xffff;
        f[l4 + 6] = c >> 8;
        f[l4 + 7] = c & 0xff;
    }
    return f;
}

// Whether a frame's IPv4 header checksum and UDP checksum verify.
bool checksumsValid(const Bytes& f) {
    bool v6 = f[12] == 0x86;
    size_t l3 = 14, l4 = v6 ? 54 : 34, alen = v6 ? 16 : 4;
    if (!v6 && fold(sum16(&f[l3], 20)) != 0) return false;
    size_t ulen = (size_t)f[l4 + 4] << 8 | f[l4 + 5];
    if (!v6 && f[l4 + 6] == 0 && f[l4 + 7] == 0) return true;
    uint32_t s = sum16(&f[l3 + (v6 ? 8 : 12)], 2 * alen) + 17 + (uint32_t)ulen;
    return fold(sum16(&f[l4], ulen, s)) == 0;
}

Bytes rtp(uint8_t pt = 0, uint8_t first = 0x80) {
    Bytes b = {first, pt, 0, 1, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44};
    b.resize(12 + 160, 0xd5);
    return b;
}
Bytes rtpOf(uint16_t seq, uint32_t ssrc, uint32_t ts = 0, uint8_t pt = 0) {
    Bytes b = {0x80,
               pt,
               uint8_t(seq >> 8),
               uint8_t(seq),
               uint8_t(ts >> 24),
               uint8_t(ts >> 16),
               uint8_t(ts >> 8),
               uint8_t(ts),
               uint8_t(ssrc >> 24),
               uint8_t(ssrc >> 16),
               uint8_t(ssrc >> 8),
               uint8_t(ssrc)};
    b.resize(12 + 160, 0xd5);
    return b;
}
Bytes rtcpRr() { return {0x81, 201, 0, 1, 0x11, 0x22, 0x33, 0x44}; }
// SR (no report blocks) + SDES with one CNAME item, as a compound packet.
Bytes rtcpCompound() {
    Bytes b = {0x80, 200, 0, 6, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0, 0,
               0,    2,   0, 0, 0,    3,    0,    0,    0, 4, 0, 0, 0, 5};
    Bytes sdes = {0x81, 202, 0, 2, 0x11, 0x22, 0x33, 0x44, 1, 2, 'a', 'b'};
    b.insert(b.end(), sdes.begin(), sdes.end());
    return b;
}

class BpfProgram : public ::testing::Test {
  protected:
    ngm_forward* skel = nullptr;
    const net::Endpoint local = ep("10.250.1.1", 40000);     // where the caller's packets arrive
    const net::Endpoint source = ep("10.250.1.2", 5000);     // the caller
    const net::Endpoint outLocal = ep("10.250.2.1", 40002);  // the callee's side of the relay
    const net::Endpoint callee = ep("10.250.2.2", 6000);
    const net::Endpoint calleeRtcp = ep("10.250.2.2", 6001);

    void SetUp() override {
        libbpf_set_print([](libbpf_print_level, const char*, va_list) { return 0; });
        skel = ngm_forward::open_and_load();
        if (!skel) {
            int err = errno;
            GTEST_SKIP()
                << "the BPF program cannot be loaded here (" << strerror(err)
                << (err == EPERM
                        ? ": bpf() not permitted, needs root and a kernel/sandbox that allow BPF"
                        : "")
                << ")";
        }
    }
    void TearDown() override {
        if (skel) ngm_forward::destroy(skel);
    }
    int mapFd() { return bpf_map__fd(skel->maps.ngm_fwd); }

    static ngm_fwd_route route(const net::Endpoint& from, const net::Endpoint& to,
                               uint32_t ifindex) {
        ngm_fwd_route r{};
        putAddress(from.address, r.src);
        putAddress(to.address, r.dst);
        r.src_port = htons(from.port);
        r.dst_port = htons(to.port);
        r.ifindex = ifindex;
        r.forwarded = 1;
        return r;
    }
    ngm_fwd_value entry(const net::Endpoint& src, bool rtcpForwarded = true) {
        ngm_fwd_value v{};
        putAddress(src.address, v.source);
        v.source_port = htons(src.port);
        v.family = src.address.family() == net::Family::V6 ? NGM_FWD_FAMILY_V6 : NGM_FWD_FAMILY_V4;
        v.payload_types[0] = v.payload_types[1] = ~0ULL;
        v.rtp = route(outLocal, callee, 3);
        if (rtcpForwarded) v.rtcp = route(outLocal, calleeRtcp, 4);
        return v;
    }
    void install(const net::Endpoint& at, const ngm_fwd_value& v) {
        BpfForwardTable t(mapFd());
        ASSERT_TRUE(t.put(keyOf(at), v));
    }
    ngm_fwd_value read(const net::Endpoint& at) {
        ngm_fwd_value v{};
        BpfForwardTable t(mapFd());
        EXPECT_TRUE(t.get(keyOf(at), v));
        return v;
    }
    // Runs the program on `in`; the verdict, and the frame as it left.
    int run(const Bytes& in, Bytes& out) {
        out.assign(in.size() + 64, 0);
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = out.data(),
                    .data_size_in = (uint32_t)in.size(), .data_size_out = (uint32_t)out.size());
        int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ngm_forward), &opts);
        EXPECT_EQ(err, 0) << strerror(-err);
        out.resize(opts.data_size_out);
        return (int)opts.retval;
    }
    // The program leaves `in` to userspace, unchanged.
    void expectUp(const Bytes& in) {
        Bytes out;
        EXPECT_EQ(run(in, out), TC_ACT_OK);
        EXPECT_EQ(out, in);
    }
};

TEST_F(BpfProgram, Ipv4RtpLeavesRewrittenWithValidChecksumsAndIsCounted) {
    install(local, entry(source));
    Bytes payload = rtp();
    Bytes in = frame(source, local, payload), out;
    ASSERT_EQ(run(in, out), TC_ACT_REDIRECT);
    // What a socket on outLocal sending `payload` to the callee would put on the wire.
    Bytes want = frame(outLocal, callee, payload);
    ASSERT_EQ(out.size(), want.size());
    EXPECT_TRUE(checksumsValid(out));
    EXPECT_EQ(Bytes(out.begin() + 14, out.end()), Bytes(want.begin() + 14, want.end()));
    ngm_fwd_value v = read(local);
    EXPECT_EQ(v.packets, 1u);
    EXPECT_EQ(v.bytes, payload.size());
    EXPECT_NE(v.last_seen_ns, 0u);
    EXPECT_EQ(v.errors, 0u);
}

TEST_F(BpfProgram, TosIsWrittenAsTheSocketsWouldWithAValidHeaderChecksum) {
    ngm_fwd_value v = entry(source);
    v.tos = 184;
    install(local, v);
    Bytes out;
    ASSERT_EQ(run(frame(source, local, rtp()), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[14 + 1], 184);
    EXPECT_TRUE(checksumsValid(out));

    const net::Endpoint local6 = ep("fd00:250:1::1", 40000), source6 = ep("fd00:250:1::2", 5000);
    ngm_fwd_value v6 = entry(source6);
    v6.rtp = route(ep("fd00:250:2::1", 40002), ep("fd00:250:2::2", 6000), 3);
    v6.tos = 184;
    install(local6, v6);
    Bytes in6 = frame(source6, local6, rtp());
    in6[14 + 1] = 0x0a;  // a flow label's first nibble, which stays
    ASSERT_EQ(run(in6, out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[14], 0x60 | (184 >> 4));
    EXPECT_EQ(out[14 + 1], ((184 & 0x0f) << 4) | 0x0a);
    EXPECT_TRUE(checksumsValid(out));
}

TEST_F(BpfProgram, AZeroIpv4UdpChecksumStaysZero) {
    install(local, entry(source));
    Bytes out;
    ASSERT_EQ(run(frame(source, local, rtp(), /*udpChecksum*/ false), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[34 + 6], 0);
    EXPECT_EQ(out[34 + 7], 0);
    EXPECT_TRUE(checksumsValid(out));
}

TEST_F(BpfProgram, Ipv6RtpLeavesRewrittenWithAValidChecksum) {
    const net::Endpoint local6 = ep("fd00:250:1::1", 40000), source6 = ep("fd00:250:1::2", 5000);
    const net::Endpoint out6 = ep("fd00:250:2::1", 40002), callee6 = ep("fd00:250:2::2", 6000);
    ngm_fwd_value v = entry(source6);
    v.rtp = route(out6, callee6, 3);
    install(local6, v);
    Bytes payload = rtp(8);
    Bytes out;
    ASSERT_EQ(run(frame(source6, local6, payload), out), TC_ACT_REDIRECT);
    Bytes want = frame(out6, callee6, payload);
    EXPECT_TRUE(checksumsValid(out));
    EXPECT_EQ(Bytes(out.begin() + 14, out.end()), Bytes(want.begin() + 14, want.end()));
}

// IPv4 <-> IPv6 bridging: the packet leaves with the other family's header,
// byte for byte what a socket on the sink's address would send (hop limit /
// TTL carried over: 64 in and out here), the UDP checksum valid.
// (Route ifindex 1: loopback, whose MTU bpf_check_mtu can look up here.)
TEST_F(BpfProgram, Ipv4InIsBridgedToIpv6Out) {
    const net::Endpoint out6 = ep("fd00:219:2::1", 40002), callee6 = ep("fd00:219:2::2", 6000);
    ngm_fwd_value v = entry(source);
    v.rtp = route(out6, callee6, 1);
    v.rtp.family = NGM_FWD_FAMILY_V6;
    v.rtcp = route(out6, ep("fd00:219:2::2", 6001), 1);
    v.rtcp.family = NGM_FWD_FAMILY_V6;
    install(local, v);
    Bytes payload = rtp(8), out;
    ASSERT_EQ(run(frame(source, local, payload), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out, frame(out6, callee6, payload));
    EXPECT_TRUE(checksumsValid(out));
    ASSERT_EQ(run(frame(source, local, rtcpCompound()), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out, frame(out6, ep("fd00:219:2::2", 6001), rtcpCompound()));
    ngm_fwd_value r = read(local);
    EXPECT_EQ(r.packets, 2u);
    EXPECT_EQ(r.bytes, payload.size() + rtcpCompound().size());
    EXPECT_EQ(r.errors, 0u);
}

TEST_F(BpfProgram, Ipv6InIsBridgedToIpv4Out) {
    const net::Endpoint local6 = ep("fd00:219:1::1", 40000), source6 = ep("fd00:219:1::2", 5000);
    ngm_fwd_value v = entry(source6);
    v.rtp = route(outLocal, callee, 1);
    v.rtp.family = NGM_FWD_FAMILY_V4;
    v.rtcp = {};
    install(local6, v);
    Bytes payload = rtp(0), out;
    ASSERT_EQ(run(frame(source6, local6, payload), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out, frame(outLocal, callee, payload));  // DF, ID 0, checksums
    EXPECT_TRUE(checksumsValid(out));
    EXPECT_EQ(read(local6).packets, 1u);
}

// --tos on a bridged packet, and the traffic class / TOS carried over
// without it.
TEST_F(BpfProgram, ABridgedPacketCarriesItsTosOrTakesTos) {
    const net::Endpoint out6 = ep("fd00:219:2::1", 40002), callee6 = ep("fd00:219:2::2", 6000);
    ngm_fwd_value v = entry(source);
    v.rtp = route(out6, callee6, 1);
    v.rtp.family = NGM_FWD_FAMILY_V6;
    install(local, v);
    Bytes in = frame(source, local, rtp()), out;
    in[14 + 1] = 0x2e;  // TOS; the header checksum no longer matters to the program
    ASSERT_EQ(run(in, out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[14], 0x60 | (0x2e >> 4));
    EXPECT_EQ(out[15] >> 4, 0x2e & 0x0f);
    EXPECT_TRUE(checksumsValid(out));
    v.tos = 184;
    install(local, v);
    ASSERT_EQ(run(frame(source, local, rtp()), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[14], 0x60 | (184 >> 4));
    EXPECT_EQ(out[15] >> 4, 184 & 0x0f);

    const net::Endpoint local6 = ep("fd00:219:1::1", 40000), source6 = ep("fd00:219:1::2", 5000);
    ngm_fwd_value v6 = entry(source6);
    v6.rtp = route(outLocal, callee, 1);
    v6.rtp.family = NGM_FWD_FAMILY_V4;
    v6.tos = 184;
    install(local6, v6);
    ASSERT_EQ(run(frame(source6, local6, rtp()), out), TC_ACT_REDIRECT);
    EXPECT_EQ(out[14 + 1], 184);
    EXPECT_TRUE(checksumsValid(out));
}

// IPv4 without a UDP checksum cannot become IPv6 (which must have one)
// without summing the whole payload: userspace's, unchanged. So is a route
// whose device bpf_check_mtu does not know.
TEST_F(BpfProgram, ABridgedIpv4PacketWithoutUdpChecksumOrKnownMtuGoesUp) {
    ngm_fwd_value v = entry(source);
    v.rtp = route(ep("fd00:219:2::1", 40002), ep("fd00:219:2::2", 6000), 1);
    v.rtp.family = NGM_FWD_FAMILY_V6;
    install(local, v);
    expectUp(frame(source, local, rtp(), /*udpChecksum*/ false));
    v.rtp.ifindex = 0x7ffffff0;
    install(local, v);
    expectUp(frame(source, local, rtp()));
    EXPECT_EQ(read(local).packets, 0u);
}

TEST_F(BpfProgram, RtcpTakesTheRtcpRouteAlsoOnAMuxedPort) {
    install(local, entry(source));
    for (const Bytes& p : {rtcpRr(), rtcpCompound()}) {
        Bytes out;
        ASSERT_EQ(run(frame(source, local, p), out), TC_ACT_REDIRECT);
        Bytes want = frame(outLocal, calleeRtcp, p);
        EXPECT_EQ(Bytes(out.begin() + 14, out.end()), Bytes(want.begin() + 14, want.end()));
    }
    EXPECT_EQ(read(local).packets, 2u);
}

TEST_F(BpfProgram, RtcpWithoutAnRtcpRouteGoesUp) {
    install(local, entry(source, /*rtcpForwarded*/ false));
    expectUp(frame(source, local, rtcpRr()));
    EXPECT_EQ(read(local).packets, 0u);
}

TEST_F(BpfProgram, AnotherSourceGoesUpToUserspace) {
    install(local, entry(source));
    expectUp(frame(ep("10.250.1.2", 5002), local, rtp()));  // other port
    expectUp(frame(ep("10.250.1.9", 5000), local, rtp()));  // other address
    EXPECT_EQ(read(local).packets, 0u);
}

TEST_F(BpfProgram, WhatIsNotValidRtpOrRtcpGoesUp) {
    install(local, entry(source));
    expectUp(frame(source, local, rtp(0, 0x40)));  // version 1
    Bytes shortRtp = rtp();
    shortRtp.resize(11);
    expectUp(frame(source, local, shortRtp));  // shorter than a header
    expectUp(frame(source, local,
                   {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0}));  // STUN
    expectUp(frame(source, local, {0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0}));  // DTLS
    Bytes badRtcp = rtcpCompound();
    badRtcp[3] = 10;  // the first part's length runs past the end
    expectUp(frame(source, local, badRtcp));
    Bytes rtcpType = rtcpRr();
    rtcpType[1] = 210;  // not SR..XR first
    expectUp(frame(source, local, rtcpType));
    Bytes noSsrc = {0x80, 201, 0, 0, 0x81, 202, 0, 0};  // a first part without its SSRC
    expectUp(frame(source, local, noSsrc));
    EXPECT_EQ(read(local).packets, 0u);
}

TEST_F(BpfProgram, ATruncatedDatagramGoesUp) {
    install(local, entry(source));
    Bytes in = frame(source, local, rtp());
    in.resize(in.size() - 20);  // UDP length says more than the frame has
    expectUp(in);
}

TEST_F(BpfProgram, APayloadTypeOutsideTheSetGoesUp) {
    ngm_fwd_value v = entry(source);
    v.payload_types[0] = 1ULL << 8;  // PCMA only
    install(local, v);
    expectUp(frame(source, local, rtp(0)));
    Bytes out;
    EXPECT_EQ(run(frame(source, local, rtp(8)), out), TC_ACT_REDIRECT);
}

TEST_F(BpfProgram, APausedEntryAndAnUnknownPortGoUp) {
    ngm_fwd_value v = entry(source);
    v.flags = NGM_FWD_PAUSED;
    install(local, v);
    expectUp(frame(source, local, rtp()));
    expectUp(frame(source, ep("10.250.1.1", 40010), rtp()));
}

TEST_F(BpfProgram, Ipv4WithOptionsOrFragmentedGoesUp) {
    install(local, entry(source));
    Bytes frag = frame(source, local, rtp());
    frag[14 + 6] = 0x20;  // more fragments
    expectUp(frag);
}

// The program and userspace (media/packet.cpp) judge the same payloads
// alike: what the kernel forwards, userspace would have forwarded; what
// userspace forwards, the kernel does too (but for RTCP of more than 16
// parts, which it leaves to userspace). Random RTP/RTCP-like payloads from
// a fixed seed, so a failure repeats.
TEST_F(BpfProgram, ForwardsExactlyWhatUserspaceWouldForward) {
    install(local, entry(source));
    std::mt19937 rng(20261207);
    auto byte = [&] { return uint8_t(rng() & 0xff); };
    const uint8_t firsts[] = {0x80, 0x81, 0x82, 0x9f, 0xa0, 0xa1,
                              0xbf, 0x40, 0x00, 0x16, 0xc0, 0x7f};
    int forwarded = 0, agreed = 0;
    for (int i = 0; i < 3000; i++) {
        Bytes p;
        if (rng() % 2) {
            // RTCP-like: a compound of 1-5 parts, lengths mostly right.
            int parts = 1 + rng() % 5;
            for (int k = 0; k < parts; k++) {
                size_t words = rng() % 6;
                uint8_t first = rng() % 8 ? uint8_t(0x80 | (rng() % 32)) : firsts[rng() % 12];
                uint8_t type = rng() % 6 ? uint8_t(200 + rng() % 8) : byte();
                uint16_t len = rng() % 8 ? uint16_t(words) : uint16_t(rng() % 10);
                Bytes part = {first, type, uint8_t(len >> 8), uint8_t(len)};
                for (size_t w = 0; w < words * 4; w++) part.push_back(byte());
                if ((first & 0x20) && !part.empty()) part.back() = uint8_t(rng() % 12);
                p.insert(p.end(), part.begin(), part.end());
            }
            if (rng() % 10 == 0 && !p.empty()) p.resize(rng() % p.size());
        } else {
            // RTP-like.
            p = {firsts[rng() % 12], byte()};
            size_t n = rng() % 40;
            for (size_t k = 0; k < n; k++) p.push_back(byte());
        }
        std::span<const uint8_t> sp(p.data(), p.size());
        media::PacketKind kind = media::classify(sp);
        bool user = kind == media::PacketKind::Rtp ||
                    (kind == media::PacketKind::Rtcp && media::validRtcp(sp));
        Bytes out;
        int verdict = run(frame(source, local, p), out);
        bool kernel = verdict == TC_ACT_REDIRECT;
        ASSERT_TRUE(kernel || verdict == TC_ACT_OK) << verdict;
        auto hex = [&] {
            std::string h;
            char b[4];
            for (uint8_t c : p) {
                snprintf(b, sizeof b, "%02x", c);
                h += b;
            }
            return h;
        };
        EXPECT_FALSE(kernel && !user) << "the kernel forwarded what userspace would not: " << hex();
        EXPECT_FALSE(user && !kernel)
            << "the kernel left to userspace what it should forward: " << hex();
        forwarded += kernel;
        agreed += kernel == user;
    }
    EXPECT_EQ(agreed, 3000);
    EXPECT_GT(forwarded, 500) << "the generator makes too little valid media to judge";
}

// block media / block DTMF: RTP of a payload type in the drop set is
// counted (as userspace counts what its Controls stage drops) and dropped;
// the others, and RTCP, are forwarded.
TEST_F(BpfProgram, PayloadTypesToDropAreCountedAndDropped) {
    ngm_fwd_value v = entry(source);
    v.drop_types[0] = ~0ULL;
    v.drop_types[1] = ~(1ULL << (101 - 64));  // all but DTMF (101)
    install(local, v);
    Bytes out;
    EXPECT_EQ(run(frame(source, local, rtp(0)), out), TC_ACT_SHOT);
    EXPECT_EQ(run(frame(source, local, rtp(8)), out), TC_ACT_SHOT);
    EXPECT_EQ(run(frame(source, local, rtp(101)), out), TC_ACT_REDIRECT);
    EXPECT_EQ(run(frame(source, local, rtcpRr()), out), TC_ACT_REDIRECT);
    ngm_fwd_value r = read(local);
    EXPECT_EQ(r.packets, 4u);
    EXPECT_EQ(r.dropped, 2u);
    EXPECT_EQ(r.bytes, 3 * rtp().size() + rtcpRr().size());
    EXPECT_EQ(r.errors, 0u);
    // What is not the stream's still goes up, drop set or not.
    expectUp(frame(ep("10.250.1.9", 5000), local, rtp(0)));
}

TEST_F(BpfProgram, DropAllDropsRtpAndRtcpAndCountsThem) {
    ngm_fwd_value v = entry(source);
    v.flags = NGM_FWD_DROP_ALL;
    install(local, v);
    Bytes out;
    EXPECT_EQ(run(frame(source, local, rtp(0)), out), TC_ACT_SHOT);
    EXPECT_EQ(run(frame(source, local, rtcpCompound()), out), TC_ACT_SHOT);
    ngm_fwd_value r = read(local);
    EXPECT_EQ(r.packets, 2u);
    EXPECT_EQ(r.dropped, 2u);
    expectUp(frame(source, local, Bytes{0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4}));  // STUN
}

// The per-SSRC sequence state the program keeps is userspace's
// media::RtpReception's for the same packets: in order, gaps, duplicates,
// late packets, a wrap, a restart of the sequence, and new SSRCs (more than
// there are slots, each in one run, as a stream changes its source).
TEST_F(BpfProgram, PerSsrcReceptionIsUserspacesForTheSamePackets) {
    install(local, entry(source));
    std::mt19937 rng(1412);
    media::RtpReception user;
    const uint32_t ssrcs[] = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000};
    Bytes out;
    for (uint32_t ssrc : ssrcs) {
        uint16_t seq = uint16_t(rng());
        if (ssrc == 0x3000) seq = 65500;  // wraps below
        for (int i = 0; i < 300; i++) {
            if (i == 150) seq = uint16_t(seq + 20000);  // the sender restarts
            uint16_t sent;
            int r = rng() % 20;
            if (i > 0 && r == 0) {
                sent = uint16_t(seq - 2 - rng() % 50);  // late
            } else if (i > 0 && r == 1) {
                sent = uint16_t(seq - 1);  // the highest again
            } else {
                if (r == 2) seq = uint16_t(seq + 1 + rng() % 5);  // a gap
                sent = seq++;
            }
            ASSERT_EQ(run(frame(source, local, rtpOf(sent, ssrc)), out), TC_ACT_REDIRECT);
            user.onPacket(ssrc, sent, 0, 0, 0);
        }
        media::RtpReception::State kernel, want = user.state();
        ASSERT_TRUE(receptionOf(read(local), kernel));
        EXPECT_EQ(kernel.ssrc, want.ssrc);
        EXPECT_EQ(kernel.baseSeq, want.baseSeq) << std::hex << ssrc;
        EXPECT_EQ(kernel.cycles, want.cycles) << std::hex << ssrc;
        EXPECT_EQ(kernel.maxSeq, want.maxSeq) << std::hex << ssrc;
        EXPECT_EQ(kernel.received, want.received) << std::hex << ssrc;
        media::RtpReception back;
        back.restore(kernel);
        EXPECT_EQ(back.lost(), user.lost()) << std::hex << ssrc;
    }
    // Four slots: the two oldest SSRCs made way for the newest.
    ngm_fwd_value v = read(local);
    int used = 0;
    for (const ngm_fwd_ssrc& s : v.ssrcs) {
        used += s.used;
        EXPECT_NE(s.ssrc, 0x1000u);
        EXPECT_NE(s.ssrc, 0x2000u);
        if (!s.used) continue;
        EXPECT_EQ(s.packets, 300u);
        EXPECT_EQ(s.bytes, 300u * rtpOf(0, 0).size());
    }
    EXPECT_EQ(used, NGM_FWD_SSRCS);
}

// Interleaved SSRCs (five of them, at random, with gaps, duplicates and late
// packets): every slot the program keeps equals media::SsrcReceptions' for
// the same packets, in the same order of hearing, so query's per-SSRC
// entries are the same whichever path carried the packets.
TEST_F(BpfProgram, InterleavedSsrcsKeepEverySlotAsUserspaceDoes) {
    install(local, entry(source));
    std::mt19937 rng(1419);
    media::SsrcReceptions user;
    const uint32_t ssrcs[] = {0xa000, 0xb000, 0xc000, 0xd000, 0xe000};
    uint16_t next[5];
    for (uint16_t& n : next) n = uint16_t(rng());
    Bytes out;
    for (int i = 0; i < 1500; i++) {
        // The fifth SSRC only joins after 500 packets, and then a few times.
        size_t k = rng() % (i < 500 ? 4 : 5);
        if (k == 4 && rng() % 8) k = rng() % 4;
        uint16_t& seq = next[k];
        uint16_t sent;
        int r = rng() % 20;
        if (r == 0) {
            sent = uint16_t(seq - 2 - rng() % 30);  // late
        } else if (r == 1) {
            sent = uint16_t(seq - 1);  // the highest again
        } else {
            if (r == 2) seq = uint16_t(seq + 1 + rng() % 4);  // a gap
            sent = seq++;
        }
        ASSERT_EQ(run(frame(source, local, rtpOf(sent, ssrcs[k])), out), TC_ACT_REDIRECT);
        user.onPacket(ssrcs[k], sent, 0, 0, 0);
        if (i % 100 != 99) continue;
        media::SsrcReceptions::States kernel, want = user.states();
        ASSERT_TRUE(receptionsOf(read(local), kernel));
        for (size_t j = 0; j < NGM_FWD_SSRCS; j++) {
            SCOPED_TRACE(testing::Message() << "after " << i + 1 << " packets, slot " << j);
            EXPECT_EQ(kernel[j].started, want[j].started);
            EXPECT_EQ(kernel[j].ssrc, want[j].ssrc);
            EXPECT_EQ(kernel[j].baseSeq, want[j].baseSeq);
            EXPECT_EQ(kernel[j].cycles, want[j].cycles);
            EXPECT_EQ(kernel[j].maxSeq, want[j].maxSeq);
            EXPECT_EQ(kernel[j].received, want[j].received);
        }
    }
}

// Seeded from userspace (the state when the stream was offered), the slot
// carries on from it; duplicates are counted.
TEST_F(BpfProgram, ASeededSlotCarriesOnAndCountsDuplicates) {
    ngm_fwd_value v = entry(source);
    v.ssrcs[0].used = 1;
    v.ssrcs[0].ssrc = 0xabc;
    v.ssrcs[0].base_seq = 100;
    v.ssrcs[0].max_seq = 109;
    v.ssrcs[0].received = 8;  // 2 lost so far
    install(local, v);
    Bytes out;
    for (uint16_t s : {110, 111, 111, 113})
        ASSERT_EQ(run(frame(source, local, rtpOf(s, 0xabc)), out), TC_ACT_REDIRECT);
    ngm_fwd_value r = read(local);
    EXPECT_EQ(r.ssrcs[0].max_seq, 113);
    EXPECT_EQ(r.ssrcs[0].received, 12u);
    EXPECT_EQ(r.ssrcs[0].duplicates, 1u);
    EXPECT_EQ(r.ssrcs[0].packets, 4u);
    EXPECT_EQ(r.ssrcs[1].used, 0);
}

// The interarrival jitter in the stream's clock (RFC 3550 §A.8): two
// packets at once whose timestamps are 10 s apart make J = D/16 = 5000
// clock units (625 ms at 8 kHz), as userspace's estimator would.
TEST_F(BpfProgram, JitterIsMeasuredInTheStreamsClock) {
    ngm_fwd_value v = entry(source);
    v.clock_rate = 8000;
    install(local, v);
    Bytes out;
    ASSERT_EQ(run(frame(source, local, rtpOf(1, 7, 0)), out), TC_ACT_REDIRECT);
    ASSERT_EQ(run(frame(source, local, rtpOf(2, 7, 80000)), out), TC_ACT_REDIRECT);
    media::RtpReception::State st;
    ASSERT_TRUE(receptionOf(read(local), st));
    EXPECT_TRUE(st.haveTransit);
    media::RtpReception r;
    r.restore(st);
    EXPECT_NEAR(r.jitterMs(), 625.0, 10.0);
}

}  // namespace
}  // namespace ngm::offload
