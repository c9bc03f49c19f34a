// ICE on the packet path: an IceTransport on a stream, checked against an
// independent ice::Agent playing the participant, over a fake network and
// a fake clock (no sockets, no sleeping).
#include "media/ice_transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <deque>
#include <map>
#include <vector>

#include "fake_io.h"
#include "media/packet_stream.h"

namespace ngm::media {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

net::Endpoint ep(const char* addr, uint16_t port) { return {*net::IpAddress::parse(addr), port}; }

using test::FakeIo;

Bytes rtp() { return {0x80, 0, 0, 1, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4}; }

// The participant's agent: what it sends is queued for the stream.
struct Participant : ice::AgentEvents {
    std::deque<std::pair<net::Endpoint, Bytes>> out;
    const ice::SelectedPair* selectedPair = nullptr;
    void send(uint16_t, const net::Endpoint& to, std::span<const uint8_t> b) override {
        out.push_back({to, Bytes(b.begin(), b.end())});
    }
    void selectedPairChanged(uint8_t, const ice::SelectedPair* p) override { selectedPair = p; }
    void stateChanged(ice::AgentState) override {}
};

class IceTransportTest : public ::testing::Test {
  protected:
    const net::Endpoint browser = ep("192.0.2.1", 5000), other = ep("192.0.2.9", 5000),
                        calleeSdp = ep("192.0.2.2", 6000);
    const net::Endpoint ours = ep("203.0.113.1", 30000);
    MonoTime now = MonoTime{} + 1000s;
    FakeIo io;
    WorkerStats totals;
    PacketStream caller, callee;
    StreamConfig callerCfg, calleeCfg;
    Participant peerEvents;
    std::unique_ptr<ice::Agent> peer;
    std::unique_ptr<IceTransport> ice;
    int changes = 0;
    size_t delivered = 0;

    void SetUp() override {
        StreamContext ctx{&io, &totals, nullptr};
        caller.attach(10, ours, ctx);
        callee.attach(12, ep("203.0.113.1", 30002), ctx);
        IceTransport::Options o;
        o.agent.role = ice::Role::Controlling;
        o.local = ice::randomCredentials();
        o.clock = [this] { return now; };
        ice = std::make_unique<IceTransport>(std::move(o), [this] { changes++; });
        callerCfg.advertised = browser;
        callerCfg.learning = calleeCfg.learning = Learning::Immediate;
        callerCfg.ice = ice.get();
        calleeCfg.advertised = calleeSdp;
        callerCfg.rtpSinks.add(&callee);
        calleeCfg.rtpSinks.add(&caller);
        caller.configure(callerCfg);
        callee.configure(calleeCfg);
        ice->attach(caller, nullptr, ice::Foundation("ngmediafound0001"));

        ice::AgentConfig pc;
        pc.role = ice::Role::Controlled;
        peer = std::make_unique<ice::Agent>(pc, ice::randomCredentials(), peerEvents);
        ASSERT_TRUE(peer->addLocalCandidate(1, browser, ice::Foundation("browser1"), 65535).ok());
        // Signalling: each side learns the other's credentials and candidates.
        const auto& mine = ice->agent().localCredentials();
        ASSERT_TRUE(peer->setRemoteCredentials(mine.ufrag, mine.pwd, now).ok());
        for (const auto& c : ice->agent().localCandidates()) ASSERT_TRUE(peer->addRemoteCandidate(c, now).ok());
        peer->endOfRemoteCandidates(now);
        const auto& theirs = peer->localCredentials();
        ASSERT_TRUE(ice->agent().setRemoteCredentials(theirs.ufrag, theirs.pwd, now).ok());
        for (const auto& c : peer->localCandidates()) ASSERT_TRUE(ice->agent().addRemoteCandidate(c, now).ok());
        ice->agent().endOfRemoteCandidates(now);
        ice->kick();
    }

    void receive(PacketStream& s, Bytes b, const net::Endpoint& from) {
        sockaddr_storage ss;
        from.toSockaddr(ss);
        b.resize(b.size() + 64);
        net::Datagram d{b.data(), b.size() - 64, b.size(), false, reinterpret_cast<sockaddr*>(&ss)};
        s.onDatagram(d);
    }

    // Moves time on in 10 ms steps, carrying STUN both ways, until `until`
    // holds or `limit` passed.
    template <class Pred>
    bool runUntil(Pred until, std::chrono::milliseconds limit = 10s) {
        for (MonoTime end = now + limit; now < end; now += 10ms) {
            ice->kick();
            peer->onTimer(now);
            for (int round = 0; round < 8; round++) {
                for (; delivered < io.sent.size(); delivered++) {
                    auto& s = io.sent[delivered];
                    if (s.fd == 10 && s.to == browser && (s.bytes[0] & 0xc0) == 0)
                        peer->onDatagram(0, ours, s.bytes, now);
                }
                while (!peerEvents.out.empty()) {
                    auto [to, bytes] = peerEvents.out.front();
                    peerEvents.out.pop_front();
                    if (to == ours) receive(caller, bytes, browser);
                }
            }
            if (until()) return true;
        }
        return until();
    }

    size_t rtpSentTo(const net::Endpoint& to) const {
        size_t n = 0;
        for (const auto& s : io.sent)
            if (s.to == to && s.bytes.size() > 1 && (s.bytes[0] & 0xc0) == 0x80) n++;
        return n;
    }
};

TEST_F(IceTransportTest, NothingIsRelayedBeforeAPairIsSelected) {
    // Media from the SDP's address before ICE selected it: not relayed, not
    // learned, and nothing goes to the participant either way.
    receive(caller, rtp(), browser);
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(rtpSentTo(calleeSdp), 0u);
    EXPECT_EQ(rtpSentTo(browser), 0u);
    EXPECT_FALSE(caller.confirmed());
    EXPECT_GE(totals.iceRefused.load(), 1u);
}

TEST_F(IceTransportTest, TheSelectedPairCarriesMediaBothWays) {
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    EXPECT_GT(changes, 0);
    EXPECT_TRUE(caller.confirmed());
    EXPECT_EQ(caller.endpoint(), browser);
    receive(caller, rtp(), browser);
    EXPECT_EQ(rtpSentTo(calleeSdp), 1u);
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(rtpSentTo(browser), 1u);
    // STUN is the agent's: never counted as a stream error.
    EXPECT_EQ(caller.stats().errors, 0u);
}

TEST_F(IceTransportTest, MediaFromAnAddressThatPassedNoCheckIsDropped) {
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    uint64_t refused = totals.iceRefused.load();
    receive(caller, rtp(), other);
    EXPECT_EQ(rtpSentTo(calleeSdp), 0u);
    EXPECT_EQ(caller.endpoint(), browser);  // not latched
    EXPECT_EQ(totals.iceRefused.load(), refused + 1);
}

TEST_F(IceTransportTest, StunFromAStrangerWithBadCredentialsChangesNothing) {
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    // A binding request with the right shape but no valid integrity.
    Bytes bogus = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (int i = 0; i < 100; i++) receive(caller, bogus, other);
    EXPECT_EQ(caller.endpoint(), browser);
    EXPECT_EQ(caller.stats().errors, 0u);
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(rtpSentTo(other), 0u);
}

TEST_F(IceTransportTest, ConsentLostStopsMediaToThePeer) {
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    // The participant goes away: it answers nothing any more.
    peer.reset();
    for (MonoTime end = now + 40s; now < end; now += 100ms) ice->kick();
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(rtpSentTo(browser), 0u);
    EXPECT_FALSE(caller.confirmed());
}

}  // namespace
}  // namespace ngm::media
