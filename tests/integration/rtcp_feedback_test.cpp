// AVPF <-> AVP bridging (issue 11 §4): RTCP feedback (RFC 4585 RTPFB and
// PSFB packets) from an AVPF side is taken out of what goes to an AVP side,
// the rest of the compound kept in order, and a datagram of feedback alone
// is not forwarded; the other way, and between two AVPF sides, RTCP passes
// untouched. Recorded from rtpengine 10.5 (this suite also runs against it:
// NGM_DAEMON=/usr/bin/rtpengine).
#include <string>
#include <vector>

#include "daemon_test.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

const Bytes kRr = {0x80, 0xC9, 0x00, 0x01, 0x11, 0x11, 0x11, 0x11};
const Bytes kSr = {0x80, 0xC8, 0x00, 0x06, 0x11, 0x11, 0x11, 0x11, 0, 0, 0, 1, 0, 0,
                   0,    2,    0,    0,    0,    3,    0,    0,    0, 4, 0, 0, 0, 5};
const Bytes kSdes = {0x81, 0xCA, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                     0x01, 0x02, 'a',  'b',  0,    0,    0,    0};
const Bytes kPli = {0x81, 0xCE, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22};
const Bytes kNack = {0x81, 0xCD, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
                     0x22, 0x22, 0x22, 0x22, 0x00, 0x07, 0x00, 0x00};

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::string sdp(uint16_t port, const std::string& proto, bool fb) {
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " " + proto + " 0\r\na=rtpmap:0 PCMU/8000\r\n" +
           (fb ? "a=rtcp-fb:0 nack\r\na=rtcp-fb:* ccm fir\r\n" : "") + "a=sendrecv\r\n";
}

class RtcpFeedback : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(startDaemon()) << daemon.error();
    }
    // A (protoA) calls B (protoB); both send RTP first so that the streams
    // are learned. Sets the ports each side sends to.
    void call(const std::string& protoA, const std::string& protoB) {
        ASSERT_TRUE(a.bind() && b.bind());
        Reply o = ng->request(Request("offer")
                                  .set("call-id", "fb")
                                  .set("from-tag", "a")
                                  .set("transport-protocol", protoB)
                                  .set("sdp", sdp(a.rtp->port(), protoA, true)));
        ASSERT_EQ(o.result(), "ok") << o.describe();
        Reply r = answer("fb", "a", "b", sdp(b.rtp->port(), protoB, false));
        ASSERT_EQ(r.result(), "ok") << r.describe();
        auto pa = sdpMediaPorts(r.sdp()), pb = sdpMediaPorts(o.sdp());
        ASSERT_TRUE(pa && pb);
        toA = uint16_t(pa->rtp);  // where A sends
        toB = uint16_t(pb->rtp);
        Bytes payload(160, 0xd5);
        for (uint16_t seq = 0; seq < 3; seq++) {
            a.rtp->sendRtp(toA, 0, seq, seq * 160u, 0xaaaa, payload);
            b.rtp->sendRtp(toB, 0, seq, seq * 160u, 0xbbbb, payload);
        }
        a.rtp->drain(100ms);
        b.rtp->drain(100ms);
    }
    // What `to` receives on its RTCP port when `from` sends `rtcp` to the
    // daemon's RTCP port `port` + 1 (empty: nothing within 300 ms).
    Bytes through(RtpRtcpPeer& from, uint16_t port, RtpRtcpPeer& to, const Bytes& rtcp) {
        from.rtcp->sendTo(uint16_t(port + 1), rtcp);
        auto got = to.rtcp->receive(300ms);
        return got ? got->bytes : Bytes{};
    }
    RtpRtcpPeer a, b;
    uint16_t toA = 0, toB = 0;
};

TEST_F(RtcpFeedback, AvpfToAvpTakesFeedbackOutAndTheOtherWayNothing) {
    call("RTP/AVPF", "RTP/AVP");
    EXPECT_EQ(through(a, toA, b, cat({kRr, kPli})), kRr);
    EXPECT_EQ(through(a, toA, b, cat({kSr, kNack})), kSr);
    EXPECT_EQ(through(a, toA, b, cat({kRr, kSdes, kPli, kNack})), cat({kRr, kSdes}));
    EXPECT_EQ(through(a, toA, b, kPli), Bytes{}) << "feedback alone is not forwarded";
    EXPECT_EQ(through(a, toA, b, cat({kSr, kSdes})), cat({kSr, kSdes}));
    // AVP towards AVPF: untouched.
    EXPECT_EQ(through(b, toB, a, cat({kRr, kPli})), cat({kRr, kPli}));
    EXPECT_EQ(through(b, toB, a, kNack), kNack);
}

TEST_F(RtcpFeedback, AvpfToAvpfPassesFeedbackUntouched) {
    call("RTP/AVPF", "RTP/AVPF");
    EXPECT_EQ(through(a, toA, b, cat({kRr, kSdes, kPli, kNack})), cat({kRr, kSdes, kPli, kNack}));
    EXPECT_EQ(through(a, toA, b, kPli), kPli);
}

}  // namespace
}  // namespace ngm::itest
