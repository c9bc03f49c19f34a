// The ICE agent (src/ice) against an independent ICE implementation that
// deployments meet: Debian's rtpengine 10.5 with ICE on the leg towards us.
// Our agent sits on two real UDP sockets (RTP and RTCP) of a leg that offers
// ICE; the other leg is plain RTP. Both agents must agree on a pair per
// component (also when we start in the role rtpengine takes, so the role
// conflict is resolved over the wire), and media then flows both ways over
// the selected pair: rtpengine forwards to us only once its own ICE
// completed. ngmediad does not run ICE yet, so this runs against rtpengine
// only; it skips (saying so) where rtpengine is not installed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "daemon_test.h"
#include "ice/agent.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRtpengine = "/usr/bin/rtpengine";

struct Socket {
    int fd = -1;
    uint16_t port = 0;
    bool open() {
        port = pickFreePort(SOCK_DGRAM);
        if (!port) return false;
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~Socket() {
        if (fd >= 0) close(fd);
    }
    void sendTo(const net::Endpoint& to, std::span<const uint8_t> d) const {
        sockaddr_storage ss;
        const socklen_t len = to.toSockaddr(ss);
        sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    }
    // One datagram if one is waiting.
    std::optional<std::pair<net::Endpoint, std::vector<uint8_t>>> receive() const {
        std::vector<uint8_t> buf(4096);
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        const ssize_t n = recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&ss), &len);
        if (n <= 0) return std::nullopt;
        buf.resize(size_t(n));
        return std::make_pair(net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)),
                              std::move(buf));
    }
};

// The sockets the agent sends through (local candidate i is sockets[i]).
struct Wire : ice::AgentEvents {
    std::vector<Socket*> sockets;
    std::vector<ice::AgentState> states;
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override {
        sockets[local]->sendTo(to, bytes);
    }
    void selectedPairChanged(uint8_t, const ice::SelectedPair*) override {}
    void stateChanged(ice::AgentState s) override { states.push_back(s); }
};

std::string sdpAttribute(const std::string& sdp, const std::string& name) {
    std::smatch m;
    if (std::regex_search(sdp, m, std::regex("a=" + name + ":([^\r\n]+)"))) return m[1];
    return {};
}

// a=candidate:FOUNDATION COMPONENT UDP PRIORITY ADDRESS PORT typ host
std::vector<ice::Candidate> sdpCandidates(const std::string& sdp) {
    std::vector<ice::Candidate> out;
    const std::regex re("a=candidate:(\\S+) (\\d) UDP (\\d+) (\\S+) (\\d+) typ (\\w+)");
    for (auto it = std::sregex_iterator(sdp.begin(), sdp.end(), re); it != std::sregex_iterator();
         ++it) {
        const auto& m = *it;
        auto addr = net::IpAddress::parse(m[4].str());
        if (!addr || m[6] != "host") continue;
        ice::Candidate c;
        c.foundation = ice::Foundation(m[1].str());
        c.component = uint8_t(std::stoi(m[2]));
        c.priority = uint32_t(std::stoul(m[3]));
        c.address = {*addr, uint16_t(std::stoi(m[5]))};
        out.push_back(c);
    }
    return out;
}

std::vector<uint8_t> rtpPacket(uint16_t seq, uint8_t fill) {
    std::vector<uint8_t> p = {
        0x80, 0x00, uint8_t(seq >> 8), uint8_t(seq), 0, 0, 0, uint8_t(seq), 0x12, 0x34, 0x56, 0x78};
    for (int i = 0; i < 160; ++i) p.push_back(uint8_t(i ^ fill));
    return p;
}

class IceAgainstRtpengine : public DaemonTest, public ::testing::WithParamInterface<ice::Role> {
  protected:
    void SetUp() override {
        if (access(kRtpengine, X_OK) != 0)
            GTEST_SKIP() << kRtpengine
                         << " (Debian's rtpengine-daemon, the ICE peer) is not installed";
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

TEST_P(IceAgainstRtpengine, ChecksNominationAndMediaOverTheSelectedPair) {
    Socket rtp, rtcp, plain;
    ASSERT_TRUE(rtp.open() && rtcp.open() && plain.open());
    Wire wire;
    wire.sockets = {&rtp, &rtcp};
    ice::AgentConfig cfg;
    cfg.components = 2;
    // As the offerer we would control; starting controlled makes the two
    // agents resolve the conflict by tie-breaker.
    cfg.role = GetParam();
    ice::Agent agent(cfg, ice::randomCredentials(), wire);
    const auto lo = *net::IpAddress::parse("127.0.0.1");
    const ice::Foundation foundation(ice::randomIceChars(ice::kFoundationLength));
    ASSERT_TRUE(
        agent.addLocalCandidate(1, {lo, rtp.port}, foundation, ice::localPreferenceFor(0)).ok());
    ASSERT_TRUE(
        agent.addLocalCandidate(2, {lo, rtcp.port}, foundation, ice::localPreferenceFor(0)).ok());

    std::ostringstream sdp;
    sdp << audioSdp(rtp.port, "127.0.0.1") << "a=rtcp:" << rtcp.port << "\r\n"
        << "a=ice-ufrag:" << agent.localCredentials().ufrag << "\r\n"
        << "a=ice-pwd:" << agent.localCredentials().pwd << "\r\n";
    for (const auto& c : agent.localCandidates())
        sdp << "a=candidate:" << c.foundation.view() << " " << int(c.component) << " UDP "
            << c.priority << " 127.0.0.1 " << c.address.port << " typ host\r\n";
    const std::string callId = GetParam() == ice::Role::Controlling ? "ice-ctl" : "ice-ctd";
    Reply o = ng->request(
        Request("offer").set("call-id", callId).set("from-tag", "ice").set("sdp", sdp.str()));
    ASSERT_EQ(o.result(), "ok") << o.describe();
    auto toPlain = sdpMediaPorts(o.sdp());
    ASSERT_TRUE(toPlain);
    Reply a = answer(callId, "ice", "plain", audioSdp(plain.port, "127.0.0.1"));
    ASSERT_EQ(a.result(), "ok") << a.describe();
    const std::string ans = a.sdp();
    const auto ufrag = sdpAttribute(ans, "ice-ufrag"), pwd = sdpAttribute(ans, "ice-pwd");
    ASSERT_FALSE(ufrag.empty()) << ans;
    EXPECT_EQ(ans.find("a=ice-lite"), std::string::npos) << "rtpengine is a full agent by default";
    const auto cands = sdpCandidates(ans);
    ASSERT_EQ(cands.size(), 2u) << ans;

    MonoTime now = monoNow();
    ASSERT_TRUE(agent.setRemoteCredentials(ufrag, pwd, now).ok());
    for (const auto& c : cands) ASSERT_TRUE(agent.addRemoteCandidate(c, now).ok());
    agent.endOfRemoteCandidates(now);
    MonoTime deadline = agent.nextDeadline();

    // Runs the agent on its two sockets for `d`; RTP (not STUN) that comes
    // to the RTP socket is counted.
    int rtpReceived = 0;
    auto pump = [&](std::chrono::milliseconds d, auto until) {
        const MonoTime end = monoNow() + d;
        while (monoNow() < end && !until()) {
            pollfd p[2] = {{rtp.fd, POLLIN, 0}, {rtcp.fd, POLLIN, 0}};
            now = monoNow();
            const auto wait =
                deadline <= now
                    ? 0
                    : std::min<long>(
                          20, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
                                      .count() +
                                  1);
            poll(p, 2, int(wait));
            for (uint16_t i = 0; i < 2; i++) {
                while (auto d = wire.sockets[i]->receive()) {
                    if (ice::stun::looksLikeStun(d->second)) {
                        deadline = agent.onDatagram(i, d->first, d->second, monoNow());
                    } else if (i == 0 && d->second.size() == 172) {
                        rtpReceived++;
                    }
                }
            }
            now = monoNow();
            if (deadline <= now) deadline = agent.onTimer(now);
        }
    };
    pump(10s, [&] { return agent.state() == ice::AgentState::Completed; });
    ASSERT_EQ(agent.state(), ice::AgentState::Completed) << ice::agentStateName(agent.state());
    const ice::SelectedPair* s1 = agent.selected(1);
    const ice::SelectedPair* s2 = agent.selected(2);
    ASSERT_TRUE(s1 && s2);
    EXPECT_EQ(s1->remote, cands[0].component == 1 ? cands[0].address : cands[1].address);
    if (GetParam() == ice::Role::Controlled) {
        // Both started controlled: the conflict is resolved by the two
        // random tie-breakers (RFC 8445 §7.3.1.1), so either side may end
        // up controlling; that it was resolved is what counts.
        EXPECT_GE(agent.counters().roleConflicts, 1u);
    } else {
        EXPECT_EQ(agent.role(), ice::Role::Controlling) << "rtpengine answers as the controlled agent";
    }
    EXPECT_EQ(agent.counters().badIntegrity, 0u);
    EXPECT_EQ(agent.counters().unknownUsername, 0u);
    EXPECT_GE(agent.counters().checksReceived, 1u) << "rtpengine checks us too";

    // Media both ways over the selected pair. rtpengine sends to us only
    // once its side of ICE completed, so this waits for that too.
    bool toPlainOk = false;
    for (uint16_t seq = 1; seq < 100 && (!toPlainOk || rtpReceived == 0); ++seq) {
        rtp.sendTo(s1->remote, rtpPacket(seq, 0x5a));
        plain.sendTo({lo, uint16_t(toPlain->rtp)}, rtpPacket(seq, 0xa5));
        pump(50ms, [] { return false; });
        while (auto d = plain.receive()) toPlainOk |= d->second.size() == 172;
    }
    EXPECT_TRUE(toPlainOk) << "our RTP over the selected pair did not reach the plain leg";
    EXPECT_GT(rtpReceived, 0) << "rtpengine sent no RTP to our selected pair";
    EXPECT_EQ(deleteNow(callId, "ice").result(), "ok");
}

INSTANTIATE_TEST_SUITE_P(Roles, IceAgainstRtpengine,
                         ::testing::Values(ice::Role::Controlling, ice::Role::Controlled),
                         [](const auto& info) {
                             return std::string(info.param == ice::Role::Controlling
                                                    ? "Controlling"
                                                    : "Controlled");
                         });

}  // namespace
}  // namespace ngm::itest
