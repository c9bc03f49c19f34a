// The DTLS-SRTP engine (crypto/dtls) against an independent peer that speaks
// it the way deployments meet it: Debian's rtpengine 10.5, run as the DTLS
// side of a call whose other side is plain RTP. Our DtlsConnection sits on
// the DTLS leg's socket, once passive (we offer actpass, rtpengine takes the
// active role) and once active (we offer active). The handshake must
// complete with each side pinning the other's certificate by the SDP
// fingerprint, and the exported keys must carry SRTP both ways: what we
// protect with sendKeys() comes out plain on the other leg, and plain RTP
// sent into the other leg comes to us as SRTP that receiveKeys() opens.
// Until ngmediad terminates DTLS itself, this runs against rtpengine only;
// it skips (saying so) where rtpengine is not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "crypto/dtls.h"
#include "crypto/srtp.h"
#include "daemon_test.h"

namespace ngm::crypto {
// For the test names ctest shows.
inline void PrintTo(DtlsRole r, std::ostream* os) {
    *os << (r == DtlsRole::Active ? "active" : "passive");
}
}  // namespace ngm::crypto

namespace ngm::itest {
namespace {

using namespace ngm::crypto;

constexpr const char* kRtpengine = "/usr/bin/rtpengine";

uint64_t nowMs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

struct UdpEnd {
    int fd = -1;
    uint16_t port = 0;
    bool open() {
        port = pickFreePort(SOCK_DGRAM);
        if (!port) return false;
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a = loopback(port);
        return fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~UdpEnd() {
        if (fd >= 0) close(fd);
    }
    void sendTo(uint16_t to, std::span<const uint8_t> d) const {
        sockaddr_in a = loopback(to);
        sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    // One datagram within `ms`, or empty.
    std::vector<uint8_t> receive(int ms, uint16_t* from = nullptr) const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, ms) != 1) return {};
        std::vector<uint8_t> buf(4096);
        sockaddr_in a{};
        socklen_t len = sizeof a;
        const ssize_t n =
            recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&a), &len);
        if (n <= 0) return {};
        if (from) *from = ntohs(a.sin_port);
        buf.resize(size_t(n));
        return buf;
    }
};

std::string sdpAttribute(const std::string& sdp, const std::string& name) {
    std::smatch m;
    if (std::regex_search(sdp, m, std::regex("a=" + name + ":([^\r\n]+)"))) return m[1];
    return {};
}

std::vector<uint8_t> rtpPacket(uint16_t seq, uint8_t fill) {
    std::vector<uint8_t> p = {0x80, 0x00, uint8_t(seq >> 8),  uint8_t(seq), 0,
                              0,    0,    uint8_t(seq * 160), 0x12,         0x34,
                              0x56, fill};
    for (int i = 0; i < 160; ++i) p.push_back(uint8_t(i ^ fill));
    return p;
}

// (daemon, our role): the daemon is Debian's rtpengine or ngmediad itself
// (which terminates DTLS-SRTP towards the DTLS leg the same way).
enum class Peer { Rtpengine, Ngmediad };
inline void PrintTo(Peer p, std::ostream* os) { *os << (p == Peer::Rtpengine ? "rtpengine" : "ngmediad"); }

class DtlsAgainstRtpengine : public DaemonTest,
                             public ::testing::WithParamInterface<std::tuple<Peer, DtlsRole>> {
  protected:
    void SetUp() override {
        if (std::get<0>(GetParam()) == Peer::Ngmediad) {
            DaemonTest::SetUp();
            if (IsSkipped()) return;
            ASSERT_TRUE(startDaemon()) << daemon.error();
            return;
        }
        if (access(kRtpengine, X_OK) != 0)
            GTEST_SKIP() << kRtpengine
                         << " (Debian's rtpengine-daemon, the DTLS peer) is not installed";
        // Only for this test: the binary may run other tests after it.
        if (const char* d = getenv("NGM_DAEMON")) savedDaemon_ = d;
        changedEnv_ = true;
        setenv("NGM_DAEMON", kRtpengine, 1);
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(startDaemon()) << daemon.error();
    }
    void TearDown() override {
        DaemonTest::TearDown();
        if (!changedEnv_) return;
        if (savedDaemon_)
            setenv("NGM_DAEMON", savedDaemon_->c_str(), 1);
        else
            unsetenv("NGM_DAEMON");
    }
    std::optional<std::string> savedDaemon_;
    bool changedEnv_ = false;
};

TEST_P(DtlsAgainstRtpengine, HandshakeAndSrtpBothWays) {
    const DtlsRole role = std::get<1>(GetParam());
    auto cert = DtlsCertificate::create({});
    ASSERT_TRUE(cert) << cert.error().reason;
    DtlsConnectionOptions options;
    options.role = role;
    auto conn = DtlsConnection::create(*cert, options);
    ASSERT_TRUE(conn) << conn.error().reason;
    DtlsConnection& c = **conn;

    UdpEnd dtls, plain;
    ASSERT_TRUE(dtls.open() && plain.open());

    // The DTLS leg offers, the plain leg answers.
    std::string offerSdp = audioSdp(dtls.port, "127.0.0.1");
    offerSdp = std::regex_replace(offerSdp, std::regex("RTP/AVP"), "UDP/TLS/RTP/SAVP");
    offerSdp +=
        std::string("a=setup:") + (role == DtlsRole::Passive ? "actpass" : "active") +
        "\r\na=fingerprint:" + writeFingerprint((*cert)->fingerprint(FingerprintHash::Sha256)) +
        "\r\n";
    Reply o = ng->request(Request("offer")
                              .set("call-id", "dtls-interop")
                              .set("from-tag", "dtls")
                              .set("transport-protocol", "RTP/AVP")
                              .set("sdp", offerSdp));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    auto toPlain = sdpMediaPorts(o.sdp());
    ASSERT_TRUE(toPlain);
    Reply a = answer("dtls-interop", "dtls", "plain", audioSdp(plain.port, "127.0.0.1"));
    ASSERT_EQ(a.result(), "ok") << a.describe();
    auto toDtls = sdpMediaPorts(a.sdp());
    ASSERT_TRUE(toDtls);
    EXPECT_EQ(sdpAttribute(a.sdp(), "setup"), role == DtlsRole::Passive ? "active" : "passive");
    auto peerFp = parseFingerprint(sdpAttribute(a.sdp(), "fingerprint"));
    ASSERT_TRUE(peerFp) << a.sdp();
    c.setPeerFingerprints({*peerFp}, nowMs());

    uint16_t peerPort = uint16_t(toDtls->rtp);
    if (role == DtlsRole::Active) c.start(nowMs());
    std::vector<uint8_t> out;
    const uint64_t end = nowMs() + 10000;
    while (nowMs() < end && (c.state() == DtlsState::Handshaking || c.state() == DtlsState::New)) {
        while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
        const auto t = c.nextTimeoutMs(nowMs());
        uint16_t from = 0;
        auto d = dtls.receive(int(std::min<uint64_t>(t ? *t : 50, 50)), &from);
        if (!d.empty()) {
            peerPort = from;  // records go back where the peer's came from
            c.feed(d, nowMs());
        } else {
            c.onTimeout(nowMs());
        }
    }
    while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
    ASSERT_EQ(c.state(), DtlsState::Connected) << c.failureReason();
    // rtpengine's first profile, which we accept first too.
    EXPECT_EQ(c.srtpProfile(), SrtpProfile::AeadAes256Gcm);

    // SRTP from us, plain on the other leg.
    auto tx = SrtpContext::create(c.sendKeys()->suite, c.sendKeys()->key, c.sendKeys()->salt);
    auto rx =
        SrtpContext::create(c.receiveKeys()->suite, c.receiveKeys()->key, c.receiveKeys()->salt);
    ASSERT_TRUE(tx && rx);
    bool plainOk = false;
    for (uint16_t seq = 1; seq < 30 && !plainOk; ++seq) {
        auto p = rtpPacket(seq, 0x5a);
        std::vector<uint8_t> buf(p.size() + 64);
        std::memcpy(buf.data(), p.data(), p.size());
        size_t len = p.size();
        ASSERT_EQ((*tx)->protectRtp(buf, len), SrtpStatus::Ok);
        dtls.sendTo(peerPort, std::span(buf.data(), len));
        auto got = plain.receive(100);
        if (got.empty()) continue;
        EXPECT_EQ(got.size(), p.size());
        plainOk = got.size() == p.size() &&
                  std::equal(got.begin() + 12, got.end(), p.begin() + 12);  // the payload
    }
    EXPECT_TRUE(plainOk) << "no decrypted RTP came out of the plain leg";

    // Plain RTP into the other leg, SRTP to us.
    bool srtpOk = false;
    for (uint16_t seq = 1; seq < 30 && !srtpOk; ++seq) {
        auto p = rtpPacket(seq, 0xa5);
        plain.sendTo(uint16_t(toPlain->rtp), p);
        auto got = dtls.receive(100);
        if (got.empty() || got[0] < 128) continue;  // not RTP (a DTLS record)
        size_t len = got.size();
        got.resize(len + 64);
        const SrtpStatus st = (*rx)->unprotectRtp(got, len);
        EXPECT_EQ(st, SrtpStatus::Ok);
        srtpOk = st == SrtpStatus::Ok && len == p.size() &&
                 std::equal(p.begin() + 12, p.end(), got.begin() + 12);
    }
    EXPECT_TRUE(srtpOk) << "no SRTP we could open came to the DTLS leg";

    c.close();
    while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
    EXPECT_EQ(deleteNow("dtls-interop", "dtls").result(), "ok");
}

// ngmediad pins the peer's certificate by the SDP fingerprint: a peer whose
// certificate is not the one in its SDP gets no handshake, and nothing it
// sends reaches the plain leg (counted as errors on its stream).
class DtlsFingerprint : public DaemonTest {};

TEST_F(DtlsFingerprint, AMismatchGetsNoKeysAndNoMediaThrough) {
    if (underOracle()) GTEST_SKIP() << "drives ngmediad's DTLS; the rtpengine case is DtlsAgainstRtpengine";
    ASSERT_TRUE(startDaemon()) << daemon.error();
    auto cert = DtlsCertificate::create({});
    auto other = DtlsCertificate::create({});
    ASSERT_TRUE(cert && other);
    DtlsConnectionOptions options;
    options.role = DtlsRole::Active;
    auto conn = DtlsConnection::create(*cert, options);
    ASSERT_TRUE(conn);
    DtlsConnection& c = **conn;
    UdpEnd dtls, plain;
    ASSERT_TRUE(dtls.open() && plain.open());
    std::string offerSdp = audioSdp(dtls.port, "127.0.0.1");
    offerSdp = std::regex_replace(offerSdp, std::regex("RTP/AVP"), "UDP/TLS/RTP/SAVP");
    // The fingerprint of a certificate the peer does not use.
    offerSdp += "a=setup:active\r\na=fingerprint:" +
                writeFingerprint((*other)->fingerprint(FingerprintHash::Sha256)) + "\r\n";
    Reply o = ng->request(Request("offer")
                              .set("call-id", "dtls-mismatch")
                              .set("from-tag", "dtls")
                              .set("transport-protocol", "RTP/AVP")
                              .set("sdp", offerSdp));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply a = answer("dtls-mismatch", "dtls", "plain", audioSdp(plain.port, "127.0.0.1"));
    ASSERT_EQ(a.result(), "ok") << a.describe();
    EXPECT_EQ(sdpAttribute(a.sdp(), "setup"), "passive");
    auto toDtls = sdpMediaPorts(a.sdp());
    ASSERT_TRUE(toDtls);
    auto peerFp = parseFingerprint(sdpAttribute(a.sdp(), "fingerprint"));
    ASSERT_TRUE(peerFp);
    c.setPeerFingerprints({*peerFp}, nowMs());
    c.start(nowMs());
    uint16_t peerPort = uint16_t(toDtls->rtp);
    std::vector<uint8_t> out;
    const uint64_t end = nowMs() + 3000;
    while (nowMs() < end && c.state() == DtlsState::Handshaking) {
        while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
        auto d = dtls.receive(50);
        if (!d.empty()) c.feed(d, nowMs());
        else c.onTimeout(nowMs());
    }
    EXPECT_NE(c.state(), DtlsState::Connected) << "ngmediad must refuse the certificate";
    // What looks like media from the peer goes nowhere.
    for (uint16_t seq = 1; seq <= 5; ++seq) dtls.sendTo(peerPort, rtpPacket(seq, 0x11));
    EXPECT_TRUE(plain.receive(300).empty()) << "nothing reaches the plain leg";
    Reply q = query("dtls-mismatch");
    EXPECT_GE(queriedStat(q, "dtls", 0, "errors"), 5) << q.describe();
    EXPECT_NE(daemon.log().find("DTLS-SRTP handshake failed"), std::string::npos) << daemon.log();
}

// A stranger floods a DTLS call's port with ClientHellos and garbage
// records: they are refused (counted in /metrics), the real peer's handshake
// still completes, and memory does not grow with the flood.
TEST_F(DtlsFingerprint, AFloodFromAnotherSourceIsRefusedAndTheHandshakeStillCompletes) {
    if (underOracle()) GTEST_SKIP() << "drives ngmediad's DTLS peer policy";
    ASSERT_TRUE(startDaemon({.args = {"--log-level=5"}})) << daemon.error();
    auto cert = DtlsCertificate::create({});
    ASSERT_TRUE(cert);
    UdpEnd dtls, plain, stranger;
    ASSERT_TRUE(dtls.open() && plain.open() && stranger.open());
    std::string offerSdp = audioSdp(dtls.port, "127.0.0.1");
    offerSdp = std::regex_replace(offerSdp, std::regex("RTP/AVP"), "UDP/TLS/RTP/SAVP");
    offerSdp += "a=setup:active\r\na=fingerprint:" +
                writeFingerprint((*cert)->fingerprint(FingerprintHash::Sha256)) + "\r\n";
    Reply o = ng->request(Request("offer")
                              .set("call-id", "dtls-flood")
                              .set("from-tag", "dtls")
                              .set("transport-protocol", "RTP/AVP")
                              .set("sdp", offerSdp));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    Reply a = answer("dtls-flood", "dtls", "plain", audioSdp(plain.port, "127.0.0.1"));
    ASSERT_EQ(a.result(), "ok") << a.describe();
    auto toDtls = sdpMediaPorts(a.sdp());
    auto peerFp = parseFingerprint(sdpAttribute(a.sdp(), "fingerprint"));
    ASSERT_TRUE(toDtls && peerFp);
    uint16_t peerPort = uint16_t(toDtls->rtp);

    // The real peer's ClientHello, sent first: the handshake's peer is fixed.
    DtlsConnectionOptions options;
    options.role = DtlsRole::Active;
    auto conn = DtlsConnection::create(*cert, options);
    ASSERT_TRUE(conn);
    DtlsConnection& c = **conn;
    c.setPeerFingerprints({*peerFp}, nowMs());
    c.start(nowMs());
    std::vector<uint8_t> out, hello;
    while (c.popOutgoing(out)) {
        if (hello.empty()) hello = out;
        dtls.sendTo(peerPort, out);
    }
    // The flood: a copy of a ClientHello and garbage records, twice 10,000
    // (the first round warms up what any burst touches: socket buffers, the
    // ring, the allocator), RSS compared across the second.
    std::vector<uint8_t> junk(200, 0x17);
    junk[1] = 0xfe;
    junk[2] = 0xfd;
    auto flood = [&] {
        for (int i = 0; i < 10000; i++) {
            stranger.sendTo(peerPort, (i % 2) ? std::span<const uint8_t>(hello) : std::span<const uint8_t>(junk));
            if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    };
    flood();
    long rssBefore = daemon.rssKiB();
    flood();
    const uint64_t end = nowMs() + 5000;
    while (nowMs() < end && c.state() == DtlsState::Handshaking) {
        while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
        auto d = dtls.receive(50);
        if (!d.empty()) c.feed(d, nowMs());
        else c.onTimeout(nowMs());
    }
    while (c.popOutgoing(out)) dtls.sendTo(peerPort, out);
    EXPECT_EQ(c.state(), DtlsState::Connected) << c.failureReason();
    EXPECT_TRUE(stranger.receive(100).empty()) << "nothing goes back to the stranger";
    long rssAfter = daemon.rssKiB();
    printf("[ RSS      ] before the second 10,000 %ld KiB, after %ld KiB\n", rssBefore, rssAfter);
    if (kRssMeaningful) {
        EXPECT_LT(rssAfter - rssBefore, 512) << "RSS grew with the flood";
    }
    // SRTP from the real peer comes out plain.
    auto tx = SrtpContext::create(c.sendKeys()->suite, c.sendKeys()->key, c.sendKeys()->salt);
    ASSERT_TRUE(tx);
    auto p = rtpPacket(1, 0x33);
    std::vector<uint8_t> buf(p.size() + 64);
    std::memcpy(buf.data(), p.data(), p.size());
    size_t len = p.size();
    ASSERT_EQ((*tx)->protectRtp(buf, len), SrtpStatus::Ok);
    dtls.sendTo(peerPort, std::span(buf.data(), len));
    auto got = plain.receive(1000);
    EXPECT_EQ(got.size(), p.size());
}

INSTANTIATE_TEST_SUITE_P(Roles, DtlsAgainstRtpengine,
                         ::testing::Combine(::testing::Values(Peer::Rtpengine, Peer::Ngmediad),
                                            ::testing::Values(DtlsRole::Passive, DtlsRole::Active)),
                         [](const auto& info) {
                             std::string d = std::get<0>(info.param) == Peer::Rtpengine ? "Rtpengine" : "Ngmediad";
                             return d + (std::get<1>(info.param) == DtlsRole::Passive ? "WePassive" : "WeActive");
                         });

}  // namespace
}  // namespace ngm::itest
