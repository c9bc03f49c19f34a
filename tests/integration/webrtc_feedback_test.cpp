// RTCP feedback (PLI, FIR, NACK, REMB) between two WebRTC legs: both ends
// speak ICE and DTLS-SRTP with rtcp-mux and AVPF, as browsers do, so
// ngmediad runs an ICE agent and a DTLS association on each of its legs and
// re-protects every SRTCP packet with the other leg's keys. Each end here is
// a UDP socket on loopback with the ICE agent of src/ice, the DTLS engine of
// crypto/dtls and SRTP contexts from the handshake's keys (as
// bench/webrtcload's browser leg). A compound of a receiver report and one
// feedback message, protected at one end, must come out of the far end's
// SRTCP unprotect byte for byte. Peer sockets: fixed ports 61850-61851.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "crypto/dtls.h"
#include "crypto/srtp.h"
#include "daemon_test.h"
#include "ice/agent.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

constexpr uint16_t kPortA = 61850, kPortB = 61851;
constexpr uint32_t kSsrcA = 0xA1A1A1A1, kSsrcB = 0xB2B2B2B2;

uint64_t nowMs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

std::string sdpAttr(const std::string& sdp, const std::string& name) {
    std::smatch m;
    if (std::regex_search(sdp, m, std::regex("a=" + name + ":([^\r\n]+)"))) return m[1];
    return {};
}

// A browser-like end of the call.
struct WebrtcEnd final : ice::AgentEvents {
    int fd = -1;
    uint16_t port = 0;
    std::shared_ptr<const crypto::DtlsCertificate> cert;
    std::unique_ptr<ice::Agent> agent;
    MonoTime iceDeadline = MonoTime::max();
    std::optional<net::Endpoint> peer;  // the selected pair's remote
    std::optional<crypto::Fingerprint> peerFp;
    std::unique_ptr<crypto::DtlsConnection> dtls;
    std::vector<Bytes> earlyDtls;  // before the SDP said our role
    std::optional<net::Endpoint> dtlsFrom;
    std::unique_ptr<crypto::SrtpContext> tx, rx;
    std::deque<Bytes> media;  // SRTP and SRTCP received
    std::string error;

    ~WebrtcEnd() override {
        if (fd >= 0) close(fd);
    }

    bool open(uint16_t p, ice::Role role) {
        port = p;
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            error = "cannot bind 127.0.0.1:" + std::to_string(port);
            return false;
        }
        auto c = crypto::DtlsCertificate::create({});
        if (!c) {
            error = "certificate: " + c.error().reason;
            return false;
        }
        cert = *c;
        ice::AgentConfig cfg;
        cfg.role = role;
        cfg.components = 1;
        agent = std::make_unique<ice::Agent>(cfg, ice::randomCredentials(), *this);
        return agent
            ->addLocalCandidate(1, {*net::IpAddress::parse("127.0.0.1"), port}, ice::Foundation("1"), 65535)
            .ok();
    }

    void send(uint16_t, const net::Endpoint& to, std::span<const uint8_t> b) override {
        sockaddr_storage ss{};
        socklen_t len = to.toSockaddr(ss);
        sendto(fd, b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    }
    void selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) override {
        if (component == 1 && pair) peer = pair->remote;
    }
    void stateChanged(ice::AgentState) override {}

    // What a browser writes, with AVPF feedback for PCMU.
    std::string sdp(const std::string& setup) const {
        const auto& cred = agent->localCredentials();
        return "v=0\r\no=- " + std::to_string(port) + " 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio " +
               std::to_string(port) +
               " UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:0 PCMU/8000\r\n"
               "a=rtcp-fb:0 nack\r\na=rtcp-fb:0 nack pli\r\na=rtcp-fb:0 ccm fir\r\na=rtcp-fb:0 goog-remb\r\n"
               "a=ice-ufrag:" +
               cred.ufrag + "\r\na=ice-pwd:" + cred.pwd + "\r\na=candidate:1 1 udp 2130706431 127.0.0.1 " +
               std::to_string(port) + " typ host\r\na=end-of-candidates\r\na=fingerprint:" +
               crypto::writeFingerprint(cert->fingerprint(crypto::FingerprintHash::Sha256)) +
               "\r\na=setup:" + setup + "\r\na=rtcp-mux\r\na=sendrecv\r\n";
    }

    // The daemon's SDP to this end: ICE credentials and candidates, its
    // fingerprint, and our DTLS role (the opposite of its a=setup; towards
    // an actpass offer we answered active).
    bool takeRemote(const std::string& sdp) {
        const std::string ufrag = sdpAttr(sdp, "ice-ufrag"), pwd = sdpAttr(sdp, "ice-pwd");
        auto fp = crypto::parseFingerprint(sdpAttr(sdp, "fingerprint"));
        const std::string setup = sdpAttr(sdp, "setup");
        if (ufrag.empty() || pwd.empty() || !fp || setup.empty()) {
            error = "no ICE credentials, fingerprint or a=setup in\n" + sdp;
            return false;
        }
        peerFp = *fp;
        MonoTime now = monoNow();
        if (!agent->setRemoteCredentials(ufrag, pwd, now).ok()) return false;
        const std::regex re("a=candidate:(\\S+) 1 UDP (\\d+) (\\S+) (\\d+) typ host");
        int n = 0;
        for (auto it = std::sregex_iterator(sdp.begin(), sdp.end(), re); it != std::sregex_iterator(); ++it) {
            auto addr = net::IpAddress::parse((*it)[3].str());
            if (!addr) continue;
            ice::Candidate c;
            c.foundation = ice::Foundation((*it)[1].str());
            c.component = 1;
            c.priority = uint32_t(std::stoul((*it)[2]));
            c.address = {*addr, uint16_t(std::stoi((*it)[4]))};
            if (agent->addRemoteCandidate(c, now).ok()) n++;
        }
        if (n == 0) {
            error = "no host candidate in\n" + sdp;
            return false;
        }
        agent->endOfRemoteCandidates(now);
        iceDeadline = agent->nextDeadline();
        crypto::DtlsConnectionOptions o;
        o.role = setup == "active" ? crypto::DtlsRole::Passive : crypto::DtlsRole::Active;
        auto conn = crypto::DtlsConnection::create(cert, o);
        if (!conn) {
            error = "DtlsConnection: " + conn.error().reason;
            return false;
        }
        dtls = std::move(*conn);
        dtls->setPeerFingerprints({*peerFp}, nowMs());
        for (const Bytes& d : earlyDtls) dtls->feed(d, nowMs());
        earlyDtls.clear();
        flushDtls();
        return true;
    }

    void flushDtls() {
        std::vector<uint8_t> out;
        std::optional<net::Endpoint> to = peer ? peer : dtlsFrom;
        while (dtls->popOutgoing(out))
            if (to) send(0, *to, out);
    }

    bool secured() const { return tx && rx; }

    // Everything that is waiting, and the timers that are due.
    void poll(std::chrono::milliseconds wait) {
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, int(wait.count()));
        uint8_t buf[2048];
        for (;;) {
            sockaddr_storage ss{};
            socklen_t sl = sizeof ss;
            ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &sl);
            if (n <= 0) break;
            std::span<const uint8_t> d(buf, size_t(n));
            net::Endpoint from = net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
            if (buf[0] <= 3) {
                iceDeadline = agent->onDatagram(0, from, d, monoNow());
            } else if (buf[0] >= 20 && buf[0] <= 63) {
                if (!peer) dtlsFrom = from;
                if (!dtls) {
                    earlyDtls.emplace_back(d.begin(), d.end());
                    continue;
                }
                dtls->feed(d, nowMs());
                flushDtls();
            } else if (buf[0] >= 128 && buf[0] <= 191) {
                media.emplace_back(d.begin(), d.end());
            }
        }
        MonoTime now = monoNow();
        if (iceDeadline <= now) iceDeadline = agent->onTimer(now);
        if (!dtls) return;
        if (peer && dtls->state() == crypto::DtlsState::New && dtls->role() == crypto::DtlsRole::Active)
            dtls->start(nowMs());
        if (auto t = dtls->nextTimeoutMs(nowMs()); t && *t == 0) dtls->onTimeout(nowMs());
        flushDtls();
        if (dtls->state() == crypto::DtlsState::Connected && !tx) {
            const auto* s = dtls->sendKeys();
            const auto* r = dtls->receiveKeys();
            auto t = crypto::SrtpContext::create(s->suite, s->key, s->salt);
            auto x = crypto::SrtpContext::create(r->suite, r->key, r->salt);
            if (t && x) {
                tx = std::move(*t);
                rx = std::move(*x);
            } else {
                error = "SRTP contexts from the DTLS keys";
            }
        } else if (dtls->state() == crypto::DtlsState::Failed && error.empty()) {
            error = "DTLS failed: " + dtls->failureReason();
        }
    }

    bool sendProtected(Bytes plain, bool rtcp) {
        if (!tx || !peer) return false;
        size_t len = plain.size();
        plain.resize(len + 64);
        auto st = rtcp ? tx->protectRtcp(plain, len) : tx->protectRtp(plain, len);
        if (st != crypto::SrtpStatus::Ok) return false;
        plain.resize(len);
        send(0, *peer, plain);
        return true;
    }

    // The next SRTCP packet received, unprotected; RTP and what does not
    // authenticate are skipped (counted in `refused`).
    std::optional<Bytes> nextRtcp(std::chrono::milliseconds timeout, int& refused) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            while (!media.empty()) {
                Bytes b = std::move(media.front());
                media.pop_front();
                // RFC 5761 §4: payload types 64-95 (after the marker bit) are RTCP.
                if (b.size() < 8 || b[1] < 192 || b[1] > 223) continue;
                size_t len = b.size();
                if (rx->unprotectRtcp(b, len) != crypto::SrtpStatus::Ok) {
                    refused++;
                    continue;
                }
                b.resize(len);
                return b;
            }
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            poll(20ms);
        }
    }
};

// RFC 4585 §6.3.1 PLI, §6.2.1 NACK; RFC 5104 §4.3.1 FIR; REMB
// (draft-alvestrand-rmcat-remb): sender SSRC `from`, media SSRC `about`.
std::vector<std::pair<std::string, Bytes>> feedback(uint32_t from, uint32_t about) {
    auto be32 = [](Bytes& b, uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
    };
    std::vector<std::pair<std::string, Bytes>> out;
    Bytes pli = {0x81, 206, 0, 2};
    be32(pli, from);
    be32(pli, about);
    out.push_back({"PLI", pli});
    Bytes fir = {0x84, 206, 0, 4};
    be32(fir, from);
    be32(fir, 0);
    be32(fir, about);
    fir.insert(fir.end(), {9, 0, 0, 0});
    out.push_back({"FIR", fir});
    Bytes nack = {0x81, 205, 0, 3};
    be32(nack, from);
    be32(nack, about);
    nack.insert(nack.end(), {0x00, 0x11, 0x80, 0x01});
    out.push_back({"NACK", nack});
    Bytes remb = {0x8f, 206, 0, 5};
    be32(remb, from);
    be32(remb, 0);
    remb.insert(remb.end(), {'R', 'E', 'M', 'B', 1, 0x0b, 0x12, 0x34});
    be32(remb, about);
    out.push_back({"REMB", remb});
    return out;
}

class WebrtcFeedback : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(startDaemon()) << daemon.error();
    }
};

TEST_F(WebrtcFeedback, PliFirNackRembBetweenTwoIceDtlsLegsArriveUnchanged) {
    WebrtcEnd a, b;
    ASSERT_TRUE(a.open(kPortA, ice::Role::Controlling)) << a.error;
    ASSERT_TRUE(b.open(kPortB, ice::Role::Controlled)) << b.error;
    // Browser A offers, browser B answers; default flags: ngmediad speaks
    // ICE and DTLS-SRTP on both legs.
    Reply o = offer("webrtc-fb", "a", a.sdp("actpass"));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    for (const char* fb : {"a=rtcp-fb:0 nack\r\n", "a=rtcp-fb:0 nack pli\r\n", "a=rtcp-fb:0 ccm fir\r\n",
                           "a=rtcp-fb:0 goog-remb\r\n", "UDP/TLS/RTP/SAVPF 0", "a=rtcp-mux\r\n"})
        EXPECT_NE(o.sdp().find(fb), std::string::npos) << fb << " towards B:\n" << o.sdp();
    ASSERT_TRUE(b.takeRemote(o.sdp())) << b.error;
    Reply r = answer("webrtc-fb", "a", "b", b.sdp(sdpAttr(o.sdp(), "setup") == "active" ? "passive" : "active"));
    ASSERT_EQ(r.result(), "ok") << r.describe();
    ASSERT_TRUE(a.takeRemote(r.sdp())) << a.error;
    // Both DTLS fingerprints are ngmediad's own: it terminates both legs.
    EXPECT_EQ(sdpAttr(o.sdp(), "fingerprint"), sdpAttr(r.sdp(), "fingerprint"));

    // ICE and DTLS on both legs (generous: the machine may be busy).
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while ((!a.secured() || !b.secured()) && std::chrono::steady_clock::now() < deadline && a.error.empty() &&
           b.error.empty()) {
        a.poll(5ms);
        b.poll(5ms);
    }
    ASSERT_TRUE(a.secured() && b.secured())
        << "A: ICE " << ice::agentStateName(a.agent->state()) << " DTLS "
        << (a.dtls ? std::string(crypto::toString(a.dtls->state())) : "none") << " " << a.error << "; B: ICE "
        << ice::agentStateName(b.agent->state()) << " DTLS "
        << (b.dtls ? std::string(crypto::toString(b.dtls->state())) : "none") << " " << b.error;

    // SRTP first, both ways, until each end hears the other (the daemon
    // relays to an ICE leg only over its selected pair).
    bool heardA = false, heardB = false;
    for (uint16_t seq = 0; seq < 200 && !(heardA && heardB); seq++) {
        ASSERT_TRUE(a.sendProtected(g711(seq, kSsrcA), false));
        ASSERT_TRUE(b.sendProtected(g711(seq, kSsrcB), false));
        a.poll(20ms);
        b.poll(20ms);
        heardA |= !a.media.empty();
        heardB |= !b.media.empty();
    }
    ASSERT_TRUE(heardA && heardB) << "SRTP not relayed both ways (at A: " << heardA << ", at B: " << heardB
                                  << ")";
    a.media.clear();
    b.media.clear();

    auto compound = [](Bytes rr, const Bytes& fb) {
        rr.insert(rr.end(), fb.begin(), fb.end());
        return rr;
    };
    int refused = 0;
    for (const auto& [name, fb] : feedback(kSsrcA, kSsrcB)) {
        Bytes plain = compound(rtcpReceiverReport(kSsrcA, kSsrcB), fb);
        ASSERT_TRUE(a.sendProtected(plain, true)) << name;
        auto got = b.nextRtcp(3000ms, refused);
        ASSERT_TRUE(got) << name << " A->B not relayed (or not authenticated at B: " << refused << ")";
        EXPECT_EQ(*got, plain) << name << " A->B: " << hex(*got, 96) << " != " << hex(plain, 96);
    }
    for (const auto& [name, fb] : feedback(kSsrcB, kSsrcA)) {
        Bytes plain = compound(rtcpReceiverReport(kSsrcB, kSsrcA), fb);
        ASSERT_TRUE(b.sendProtected(plain, true)) << name;
        auto got = a.nextRtcp(3000ms, refused);
        ASSERT_TRUE(got) << name << " B->A not relayed (or not authenticated at A: " << refused << ")";
        EXPECT_EQ(*got, plain) << name << " B->A: " << hex(*got, 96) << " != " << hex(plain, 96);
    }
    EXPECT_EQ(refused, 0) << "SRTCP that did not authenticate at the far end";
    EXPECT_EQ(deleteNow("webrtc-fb", "a").result(), "ok");
}

}  // namespace
}  // namespace ngm::itest
