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
    // A second address of the logical interface (fd 20), for fixtures
    // that have one.
    const net::Endpoint second = ep("203.0.113.2", 30010);
    static constexpr int kSecondFd = 20;
    virtual bool withSecondAddress() const { return false; }
    // The participant's agent is told only of the second address's
    // candidate (the first is unreachable from it).
    virtual bool peerSeesFirstAddress() const { return true; }
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
        std::vector<IceTransport::ExtraAddress> extras;
        if (withSecondAddress()) {
            IceTransport::ExtraAddress x;
            x.rtpFd = kSecondFd;
            x.rtpLocal = second;
            x.foundation = ice::Foundation("ngmediafound0002");
            extras.push_back(x);
        }
        ice->attach(caller, nullptr, ice::Foundation("ngmediafound0001"), extras);

        ice::AgentConfig pc;
        pc.role = ice::Role::Controlled;
        peer = std::make_unique<ice::Agent>(pc, ice::randomCredentials(), peerEvents);
        ASSERT_TRUE(peer->addLocalCandidate(1, browser, ice::Foundation("browser1"), 65535).ok());
        // Signalling: each side learns the other's credentials and candidates.
        const auto& mine = ice->agent().localCredentials();
        ASSERT_TRUE(peer->setRemoteCredentials(mine.ufrag, mine.pwd, now).ok());
        for (const auto& c : ice->agent().localCandidates())
            if (peerSeesFirstAddress() || c.address != ours) {
                ASSERT_TRUE(peer->addRemoteCandidate(c, now).ok());
            }
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

    // A datagram on the second address's socket, as the loop hands it over.
    void receiveOnSecond(Bytes b, const net::Endpoint& from) {
        auto it = io.registered.find(kSecondFd);
        ASSERT_NE(it, io.registered.end()) << "the second address's socket is not registered";
        sockaddr_storage ss;
        from.toSockaddr(ss);
        b.resize(b.size() + 64);
        net::Datagram d{b.data(), b.size() - 64, b.size(), false, reinterpret_cast<sockaddr*>(&ss)};
        it->second->onDatagram(d);
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
                    if (s.to != browser || (s.bytes[0] & 0xc0) != 0) continue;
                    // The participant cannot reach (nor hear) the first address
                    // where it is not told of it.
                    if (s.fd == 10 && peerSeesFirstAddress()) peer->onDatagram(0, ours, s.bytes, now);
                    if (s.fd == kSecondFd) peer->onDatagram(0, second, s.bytes, now);
                }
                while (!peerEvents.out.empty()) {
                    auto [to, bytes] = peerEvents.out.front();
                    peerEvents.out.pop_front();
                    if (to == ours) receive(caller, bytes, browser);
                    if (to == second) receiveOnSecond(bytes, browser);
                }
            }
            if (until()) return true;
        }
        return until();
    }

    size_t rtpSentTo(const net::Endpoint& to, int fromFd = -1) const {
        size_t n = 0;
        for (const auto& s : io.sent)
            if (s.to == to && s.bytes.size() > 1 && (s.bytes[0] & 0xc0) == 0x80 && (fromFd < 0 || s.fd == fromFd))
                n++;
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

TEST_F(IceTransportTest, AgentCountersReachTheWorkerTotals) {
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    const ice::AgentCounters& c = ice->agent().counters();
    EXPECT_GT(c.checksSent, 0u);
    EXPECT_EQ(totals.iceChecksSent.load(), c.checksSent);
    EXPECT_EQ(totals.iceChecksReceived.load(), c.checksReceived);
    EXPECT_GT(totals.iceChecksReceived.load(), 0u);
    EXPECT_EQ(totals.iceNominations.load(), 1u);
    // A check with a known ufrag but a wrong MESSAGE-INTEGRITY is refused and counted.
    Bytes bogus = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint64_t malformed = totals.iceChecksMalformed.load();
    receive(caller, bogus, other);
    EXPECT_EQ(totals.iceChecksMalformed.load(), malformed + 1);
    // Consent lost: counted once the participant goes away.
    peer.reset();
    for (MonoTime end = now + 40s; now < end; now += 100ms) ice->kick();
    EXPECT_EQ(totals.iceConsentExpired.load(), 1u);
    // What the agent counted after the last flush is added when it goes.
    uint64_t sent = ice->agent().counters().checksSent;
    ice.reset();
    EXPECT_EQ(totals.iceChecksSent.load(), sent);
}

// A logical interface with two addresses: the participant reaches only the
// second. Its checks there are checks on a candidate of its own, the pair
// on it is selected, and media to the participant leaves from its socket.
class IceTransportSecondAddress : public IceTransportTest {
  protected:
    bool withSecondAddress() const override { return true; }
    bool peerSeesFirstAddress() const override { return false; }
};

TEST_F(IceTransportSecondAddress, ChecksThereSelectItsSocketForMedia) {
    ASSERT_EQ(ice->agent().localCandidates().size(), 2u);
    EXPECT_EQ(ice->agent().localCandidates()[1].address, second);
    EXPECT_EQ(ice->agent().localCandidates()[1].priority,
              ice::candidatePriority(ice::CandidateType::Host, 65534, 1));
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    const ice::SelectedPair* p = ice->agent().selected(1);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(ice->agent().localCandidates()[p->local].address, second);
    EXPECT_EQ(caller.endpoint(), browser);
    // Media from the participant arrives on the second socket and is relayed.
    receiveOnSecond(rtp(), browser);
    EXPECT_EQ(rtpSentTo(calleeSdp), 1u);
    // Media to it leaves from the second socket, none from the first.
    receive(callee, rtp(), calleeSdp);
    EXPECT_EQ(rtpSentTo(browser, kSecondFd), 1u);
    EXPECT_EQ(rtpSentTo(browser, 10), 0u);
    // Media on the second socket from elsewhere is not relayed.
    receiveOnSecond(rtp(), other);
    EXPECT_EQ(rtpSentTo(calleeSdp), 1u);
    // Gone with the transport: the socket is off the loop.
    ice.reset();
    EXPECT_EQ(io.registered.count(kSecondFd), 0u);
}

TEST_F(IceTransportSecondAddress, DropExtrasTakesTheSocketOffTheLoop) {
    ASSERT_EQ(io.registered.count(kSecondFd), 1u);
    ASSERT_TRUE(runUntil([&] { return ice->agent().state() == ice::AgentState::Completed; }));
    ice->dropExtras();
    EXPECT_EQ(io.registered.count(kSecondFd), 0u);
    EXPECT_TRUE(ice->extraFds().empty());
    // Nothing goes out of the socket that is going away.
    size_t before = io.sent.size();
    receive(callee, rtp(), calleeSdp);
    for (size_t i = before; i < io.sent.size(); i++) EXPECT_NE(io.sent[i].fd, kSecondFd);
    EXPECT_FALSE(caller.confirmed());
}

}  // namespace
}  // namespace ngm::media
