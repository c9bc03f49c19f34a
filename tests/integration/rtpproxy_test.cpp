// The rtpproxy protocol on --listen-udp (what Kamailio's rtpproxy module
// sends): calls set up with U/L carry media both ways, Q answers in every
// state of a call (rtpengine 10.5 deadlocks on the call after a Q), D ends
// them, and garbage on the port neither gets more than "E8" nor disturbs
// ng or media.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_test.h"
#include "http_client.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

// A client of the rtpproxy port: one datagram, one reply line.
class RtpproxyClient {
  public:
    explicit RtpproxyClient(uint16_t port) : peer_("127.0.0.1"), port_(port) {}
    // The reply to `line` ("" when none came within `timeout`).
    std::string request(const std::string& line, milliseconds timeout = milliseconds(2000)) {
        send(line);
        return receive(timeout);
    }
    void send(std::string_view bytes) {
        peer_.sendTo(port_,
                     std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    }
    std::string receive(milliseconds timeout) {
        auto d = peer_.receive(timeout);
        return d ? std::string(d->bytes.begin(), d->bytes.end()) : std::string();
    }

  private:
    RtpPeer peer_;
    uint16_t port_;
};

// "COOKIE PORT 127.0.0.1 4\n" → PORT; 0 (and a test failure) otherwise.
uint16_t portOf(const std::string& reply, const std::string& cookie) {
    std::istringstream in(reply);
    std::string c, addr, family;
    int port = 0;
    in >> c >> port >> addr >> family;
    EXPECT_EQ(c, cookie) << reply;
    EXPECT_EQ(addr, "127.0.0.1") << reply;
    EXPECT_EQ(family, "4") << reply;
    return uint16_t(port);
}

// A Q reply with its TTL (counted in wall seconds, so it may have ticked
// once or twice since the call or its last packet) replaced by "TTL".
std::string withTtl(const std::string& reply) {
    std::istringstream in(reply);
    std::string cookie, rest;
    long ttl = 0;
    if (!(in >> cookie >> ttl) || ttl < 3598 || ttl > 3600) return reply;
    std::getline(in, rest);
    return cookie + " TTL" + rest + "\n";
}

class RtpproxyTest : public DaemonTest {
  protected:
    void start(std::vector<std::string> args = {"--delete-delay=0"}, bool http = false) {
        DaemonConfig cfg;
        cfg.rtpproxy = true;
        cfg.http = http;
        cfg.args = std::move(args);
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
        rp = std::make_unique<RtpproxyClient>(daemon.rtpproxyPort());
        // ng may answer before the rtpproxy port is open.
        ASSERT_TRUE(
            eventually([&] { return rp->request("v0 V", milliseconds(200)) == "v0 20040107\n"; },
                       milliseconds(3000)));
    }
    std::unique_ptr<RtpproxyClient> rp;
    std::vector<uint8_t> payload = std::vector<uint8_t>(160, 0xd5);
};

TEST_F(RtpproxyTest, VersionAndTheCapabilitiesKamailioAsksFor) {
    start();
    EXPECT_EQ(rp->request("k_1 VF 20050322"), "k_1 1\n");
    EXPECT_EQ(rp->request("k_2 VF 20071116"), "k_2 0\n");
    EXPECT_EQ(rp->request("k_3 VF 20081102"), "k_3 0\n");
    EXPECT_EQ(rp->request("k_4 vf 20040107"), "k_4 1\n");
}

TEST_F(RtpproxyTest, CallSetUpWithUpdateAndLookupRelaysMediaBothWaysAndDeleteEndsIt) {
    start();
    RtpPeer caller, callee;
    uint16_t toCallee = portOf(
        rp->request("u1 U call-1@h 127.0.0.1 " + std::to_string(caller.port()) + " from1;1"), "u1");
    uint16_t toCaller = portOf(
        rp->request("l1 L call-1@h 127.0.0.1 " + std::to_string(callee.port()) + " from1;1 to1;1"),
        "l1");
    ASSERT_NE(toCallee, 0);
    ASSERT_NE(toCaller, 0);
    ASSERT_NE(toCallee, toCaller);
    // The caller sends to the port in the answer, the callee to the one in the offer.
    for (uint16_t seq = 1; seq <= 5; seq++) {
        caller.sendRtp(toCaller, 8, seq, seq * 160, 0x1111, payload);
        callee.sendRtp(toCallee, 8, seq, seq * 160, 0x2222, payload);
    }
    auto atCallee = callee.drain(milliseconds(300));
    auto atCaller = caller.drain(milliseconds(100));
    EXPECT_EQ(atCallee.size(), 5u);
    EXPECT_EQ(atCaller.size(), 5u);
    if (!atCallee.empty()) {
        EXPECT_EQ(atCallee[0].port, toCallee);  // from the proxy's port
    }
    EXPECT_EQ(withTtl(rp->request("q1 Q call-1@h from1 to1")), "q1 TTL 10 0 0 0\n");
    EXPECT_EQ(listCalls().size(), 1u);
    EXPECT_EQ(rp->request("d1 D call-1@h from1 to1"), "d1 0\n");
    EXPECT_TRUE(listCalls().empty());
    EXPECT_EQ(rp->request("d2 D call-1@h from1 to1"), "d2 E8\n");
}

// rtpengine 10.5 keeps the call locked after a Q: the next command or
// packet for that call hangs its thread. Every state, Q twice, then
// something that needs the call.
TEST_F(RtpproxyTest, QueryInEveryStateAnswersAndLeavesTheCallUsable) {
    start({"--delete-delay=30"});
    RtpPeer caller, callee;
    std::string c = std::to_string(caller.port()), e = std::to_string(callee.port());
    EXPECT_EQ(rp->request("q0 Q nocall f t"), "q0 E8\n");
    uint16_t toCallee = portOf(rp->request("u1 U qcall 127.0.0.1 " + c + " f;1"), "u1");
    EXPECT_EQ(withTtl(rp->request("q1 Q qcall f")), "q1 TTL 0 0 0 0\n");
    EXPECT_EQ(rp->request("q2 Q qcall f t"), "q2 E8\n");  // no such tag yet
    EXPECT_EQ(portOf(rp->request("u2 U qcall 127.0.0.1 " + c + " f;1"), "u2"), toCallee);
    uint16_t toCaller = portOf(rp->request("l1 L qcall 127.0.0.1 " + e + " f;1 t;1"), "l1");
    EXPECT_EQ(withTtl(rp->request("q3 Q qcall f t")), "q3 TTL 0 0 0 0\n");
    EXPECT_EQ(withTtl(rp->request("q4 Q qcall f t")), "q4 TTL 0 0 0 0\n");
    caller.sendRtp(toCaller, 8, 1, 160, 0x1, payload);
    caller.sendRtcp(uint16_t(toCaller + 1), 0x1);
    ASSERT_TRUE(callee.receive(milliseconds(1000)).has_value()) << "media after Q";
    // The RTCP went to a port nobody listens on: poll until it is counted
    // (a new cookie each time, or the retransmission cache answers).
    std::string q5;
    int attempt = 0;
    EXPECT_TRUE(eventually(
        [&] {
            std::string cookie = "q5_" + std::to_string(attempt++);
            q5 = withTtl(rp->request(cookie + " Q qcall f t"));
            return q5 == cookie + " TTL 1 1 0 0\n";
        },
        milliseconds(2000)))
        << q5;
    callee.sendRtp(toCallee, 8, 1, 160, 0x2, payload);
    ASSERT_TRUE(caller.receive(milliseconds(1000)).has_value()) << "media after Q";
    EXPECT_EQ(portOf(rp->request("l2 L qcall 127.0.0.1 " + e + " f;1 t;1"), "l2"), toCaller);
    EXPECT_EQ(rp->request("d1 D qcall f t"), "d1 0\n");
    // Deleted with a delay: still there for Q, and deleting again is fine.
    EXPECT_EQ(withTtl(rp->request("q6 Q qcall f t")), "q6 TTL 2 1 0 0\n");
    EXPECT_EQ(rp->request("d2 D qcall f t"), "d2 0\n");
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    EXPECT_EQ(rp->request("v1 V"), "v1 20040107\n");
}

TEST_F(RtpproxyTest, RetransmittedCommandGetsTheFirstReply) {
    start();
    std::string first = rp->request("same U rcall 127.0.0.1 4000 f;1");
    EXPECT_EQ(rp->request("same U rcall 127.0.0.1 4002 f;1"), first);  // not run again
    EXPECT_NE(rp->request("other U rcall 127.0.0.1 4000 f;1"), "");
}

// ngmedia_rtpproxy_requests_total{result="..."} from /metrics, or -1.
long long requestsMetric(uint16_t httpPort, const std::string& result) {
    HttpClient c(httpPort, false);
    auto r = c.request("GET", "/metrics");
    if (!r) return -1;
    std::string key = "ngmedia_rtpproxy_requests_total{result=\"" + result + "\"} ";
    auto at = r->body.find(key);
    return at == std::string::npos ? -1 : std::atoll(r->body.c_str() + at + key.size());
}

TEST_F(RtpproxyTest, GarbageGetsE8OrIsDroppedAndDisturbsNeitherNgNorMedia) {
    start({"--delete-delay=0"}, true);
    RtpPeer caller, callee;
    uint16_t toCallee =
        portOf(rp->request("u1 U gcall 127.0.0.1 " + std::to_string(caller.port()) + " f;1"), "u1");
    uint16_t toCaller = portOf(
        rp->request("l1 L gcall 127.0.0.1 " + std::to_string(callee.port()) + " f;1 t;1"), "l1");

    EXPECT_EQ(rp->request("garbage"), "garbage E8\n");
    EXPECT_EQ(rp->request("c I"), "c E8\n");   // rtpengine 10.5 has no I either
    EXPECT_EQ(rp->request("c VF"), "c E8\n");  // rtpengine 10.5 crashes on this
    EXPECT_EQ(rp->request("c U gcall 999.1.1.1 4000 f;1"), "c E8\n");
    EXPECT_EQ(rp->request("c D"), "c E8\n");
    // Blank and oversized datagrams: no reply.
    EXPECT_EQ(rp->request("   \r\n", milliseconds(200)), "");
    EXPECT_EQ(rp->request(std::string(9000, 'x'), milliseconds(200)), "");
    std::string binary;
    for (int i = 0; i < 2000; i++) binary += char(i * 37);
    for (int i = 0; i < 200; i++) rp->send(binary.substr(size_t(i), 1 + size_t(i) % 1500));
    rp->receive(milliseconds(300));
    while (!rp->receive(milliseconds(100)).empty()) {
    }

    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    caller.sendRtp(toCaller, 8, 1, 160, 0x1, payload);
    callee.sendRtp(toCallee, 8, 1, 160, 0x2, payload);
    EXPECT_TRUE(callee.receive(milliseconds(1000)).has_value());
    EXPECT_TRUE(caller.receive(milliseconds(1000)).has_value());
    EXPECT_EQ(rp->request("d1 D gcall f t"), "d1 0\n");
    EXPECT_TRUE(listCalls().empty());
    // Counted: V (start-up probe), U, L, D ran; 5 E8 and the binary lines
    // answered E8 or dropped; the blank and the oversized ones dropped.
    EXPECT_GE(requestsMetric(daemon.httpPort(), "ok"), 4);
    EXPECT_GE(requestsMetric(daemon.httpPort(), "error"), 5);
    EXPECT_GE(requestsMetric(daemon.httpPort(), "dropped"), 2);
}

}  // namespace
}  // namespace ngm::itest
