// ICE agents wired back to back through an in-memory network with a fake
// clock: no sockets, no sleeping; every datagram and timer in time order.
#include "ice/agent.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.h"

using namespace ngm;
using namespace ngm::ice;
using namespace std::chrono_literals;

namespace {

net::Endpoint ep(const std::string& s) {
    const auto colon = s.rfind(':');
    return {*net::IpAddress::parse(s.substr(0, colon)), uint16_t(std::stoi(s.substr(colon + 1)))};
}

struct Net;

struct Peer : AgentEvents {
    Net& net;
    int id;
    std::unique_ptr<Agent> agent;
    MonoTime deadline = MonoTime::max();
    std::vector<AgentState> states;
    int selectionChanges = 0;
    int selectionsLost = 0;
    uint64_t sent = 0;

    Peer(Net& n, int i) : net(n), id(i) {}
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override;
    void selectedPairChanged(uint8_t, const SelectedPair* p) override {
        selectionChanges++;
        if (!p) selectionsLost++;
    }
    void stateChanged(AgentState s) override { states.push_back(s); }
    void rearm() { deadline = agent->nextDeadline(); }
    Agent& operator*() { return *agent; }
    Agent* operator->() { return agent.get(); }
};

struct Datagram {
    MonoTime at;
    net::Endpoint src, dst;
    std::vector<uint8_t> bytes;
};

struct Net {
    MonoTime now = MonoTime{} + 1000s;
    std::vector<std::unique_ptr<Peer>> peers;
    // Where a local candidate listens: "ip:port" -> (peer, local index).
    std::map<std::string, std::pair<Peer*, uint16_t>> bound;
    // A NAT in front of some peers: private -> public and back.
    std::map<std::string, net::Endpoint> natOut, natIn;
    std::deque<Datagram> inflight;
    std::function<bool(const Peer&, const Datagram&)> drop;  // true: lose it
    std::chrono::milliseconds latency{10};
    uint64_t delivered = 0, undeliverable = 0;

    Peer& add(const AgentConfig& cfg, const std::vector<std::pair<uint8_t, std::string>>& locals,
              Credentials creds = randomCredentials()) {
        peers.push_back(std::make_unique<Peer>(*this, int(peers.size())));
        Peer& p = *peers.back();
        p.agent = std::make_unique<Agent>(cfg, std::move(creds), p);
        uint16_t pref = 65535;
        for (const auto& [component, addr] : locals) {
            auto idx = p->addLocalCandidate(component, ep(addr),
                                            Foundation("F" + addr.substr(0, addr.rfind(':'))),
                                            uint16_t(pref - (component == 1 ? 0 : 0)));
            EXPECT_TRUE(idx.ok());
            bound[addr] = {&p, *idx};
            // One local preference per interface address, as rtpengine.
            if (component == cfg.components) pref--;
        }
        return p;
    }

    void nat(const std::string& privateEp, const std::string& publicEp) {
        natOut[privateEp] = ep(publicEp);
        natIn[publicEp] = ep(privateEp);
    }

    void post(Peer& from, uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) {
        Datagram d{now + latency,
                   from->localCandidates()[local].address,
                   to,
                   {bytes.begin(), bytes.end()}};
        if (auto it = natOut.find(d.src.toString()); it != natOut.end()) d.src = it->second;
        if (drop && drop(from, d)) return;
        inflight.push_back(std::move(d));
    }

    // Tells `to` what `from` put in its SDP.
    void signal(Peer& from, Peer& to, bool endOfCandidates = true) {
        const auto& c = from->localCredentials();
        ASSERT_TRUE(to->setRemoteCredentials(c.ufrag, c.pwd, now).ok());
        for (const auto& cand : from->localCandidates())
            ASSERT_TRUE(to->addRemoteCandidate(cand, now).ok());
        if (endOfCandidates) to->endOfRemoteCandidates(now);
        to.rearm();
    }

    void run(std::chrono::milliseconds d) {
        const MonoTime end = now + d;
        for (int guard = 0; guard < 10'000'000; guard++) {
            MonoTime t = inflight.empty() ? MonoTime::max() : inflight.front().at;
            for (auto& p : peers) t = std::min(t, p->deadline);
            if (t > end) break;
            now = std::max(now, t);
            while (!inflight.empty() && inflight.front().at <= now) {
                Datagram dg = std::move(inflight.front());
                inflight.pop_front();
                net::Endpoint dst = dg.dst;
                if (auto it = natIn.find(dst.toString()); it != natIn.end()) dst = it->second;
                auto b = bound.find(dst.toString());
                if (b == bound.end()) {
                    undeliverable++;
                    continue;
                }
                delivered++;
                Peer& p = *b->second.first;
                p.deadline = p->onDatagram(b->second.second, dg.src, dg.bytes, now);
            }
            for (auto& p : peers)
                if (p->deadline <= now) p->deadline = (*p)->onTimer(now);
        }
        now = end;
    }
};

void Peer::send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) {
    sent++;
    net.post(*this, local, to, bytes);
}

AgentConfig cfg(Role role, uint8_t components = 2) {
    AgentConfig c;
    c.role = role;
    c.components = components;
    return c;
}

// Both agents agree on one pair per component.
void expectAgreement(Peer& a, Peer& b, uint8_t components) {
    for (uint8_t c = 1; c <= components; c++) {
        const SelectedPair* pa = a->selected(c);
        const SelectedPair* pb = b->selected(c);
        ASSERT_NE(pa, nullptr) << "component " << int(c);
        ASSERT_NE(pb, nullptr) << "component " << int(c);
        EXPECT_EQ(pa->remote, b->localCandidates()[pb->local].address);
        EXPECT_EQ(pb->remote, a->localCandidates()[pa->local].address);
    }
}

}  // namespace

TEST(IceAgent, PriorityFormulasMatchRtpengine) {
    // a=candidate:... 1 UDP 2130706431 (first interface, RTP) and
    // 2130706430 (RTCP), 2130706175 for the second interface address.
    EXPECT_EQ(candidatePriority(CandidateType::Host, 65535, 1), 2130706431u);
    EXPECT_EQ(candidatePriority(CandidateType::Host, 65535, 2), 2130706430u);
    EXPECT_EQ(candidatePriority(CandidateType::Host, 65534, 1), 2130706175u);
    EXPECT_EQ(candidatePriority(CandidateType::Host, 65533, 2), 2130705918u);
    EXPECT_EQ(candidatePriority(CandidateType::Host, localPreferenceFor(2), 1), 2130705919u);
    // RFC 8445 §6.1.2.3.
    EXPECT_EQ(pairPriority(10, 20), (uint64_t(10) << 32) + 40);
    EXPECT_EQ(pairPriority(20, 10), (uint64_t(10) << 32) + 41);
}

TEST(IceAgent, RandomCredentialsHaveRtpenginesLengths) {
    const auto c = randomCredentials();
    EXPECT_EQ(c.ufrag.size(), 8u);
    EXPECT_EQ(c.pwd.size(), 26u);
    for (char ch : c.ufrag + c.pwd) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)));
    EXPECT_NE(randomCredentials().pwd, c.pwd);
    EXPECT_EQ(randomIceChars(kFoundationLength).size(), 16u);
}

TEST(IceAgent, FullToFullCompletesWithRegularNomination) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling), {{1, "10.0.0.1:1000"}, {2, "10.0.0.1:1001"}});
    Peer& b = n.add(cfg(Role::Controlled), {{1, "10.0.1.1:2000"}, {2, "10.0.1.1:2001"}});
    n.signal(a, b);
    n.signal(b, a);
    EXPECT_EQ(a->state(), AgentState::Checking);
    // Nothing may be sent anywhere before a check succeeded.
    EXPECT_EQ(a->selected(1), nullptr);
    EXPECT_EQ(b->selected(2), nullptr);
    n.run(2s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    EXPECT_EQ(b->state(), AgentState::Completed);
    expectAgreement(a, b, 2);
    EXPECT_EQ(a->role(), Role::Controlling);
    EXPECT_EQ(b->role(), Role::Controlled);
    EXPECT_EQ(a->counters().nominations, 2u);
    EXPECT_EQ(a->counters().badIntegrity + b->counters().badIntegrity, 0u);
    EXPECT_EQ(a.states, (std::vector<AgentState>{AgentState::Checking, AgentState::Completed}));
}

TEST(IceAgent, RegularNominationPicksTheHighestPriorityPair) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}, {1, "10.0.0.2:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}, {1, "10.0.1.2:2000"}});
    n.signal(a, b);
    n.signal(b, a);
    n.run(3s);
    ASSERT_EQ(a->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
    EXPECT_EQ(a->localCandidates()[a->selected(1)->local].address, ep("10.0.0.1:1000"));
    EXPECT_EQ(a->selected(1)->remote, ep("10.0.1.1:2000"));
    EXPECT_EQ(a->pairCount(), 4u);
}

TEST(IceAgent, AggressiveNominationAgreesOnTheBestPair) {
    Net n;
    AgentConfig ac = cfg(Role::Controlling, 1);
    ac.nomination = Nomination::Aggressive;
    Peer& a = n.add(ac, {{1, "10.0.0.1:1000"}, {1, "10.0.0.2:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}, {1, "10.0.1.2:2000"}});
    n.signal(a, b);
    n.signal(b, a);
    n.run(3s);
    ASSERT_EQ(a->state(), AgentState::Completed);
    ASSERT_EQ(b->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
    EXPECT_EQ(a->selected(1)->remote, ep("10.0.1.1:2000"));
    // Every check nominated; the selection may have moved up on the way.
    EXPECT_GE(a->counters().nominations, 1u);
}

TEST(IceAgent, FullToLite) {
    Net n;
    AgentConfig lc = cfg(Role::Controlling, 1);  // lite overrides the role
    lc.mode = Mode::Lite;
    Peer& a = n.add(cfg(Role::Controlled, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(lc, {{1, "10.0.1.1:2000"}});
    EXPECT_EQ(b->role(), Role::Controlled);
    a->setRemoteLite(true);
    EXPECT_EQ(a->role(), Role::Controlling);
    n.signal(b, a);  // the lite side needs nothing of the full side's SDP
    n.run(2s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    ASSERT_NE(b->selected(1), nullptr);
    expectAgreement(a, b, 1);
    EXPECT_EQ(b->counters().checksSent, 0u);
    // Consent: the full side's checks keep the lite side's pair alive.
    n.run(120s);
    EXPECT_NE(b->selected(1), nullptr);
    EXPECT_NE(a->selected(1), nullptr);
    EXPECT_GE(a->counters().consentChecksSent, 20u);
    EXPECT_EQ(a->counters().consentExpired + b->counters().consentExpired, 0u);
    // The full side goes silent: the lite side's consent runs out too.
    n.drop = [&](const Peer& from, const Datagram&) { return from.id == a.id; };
    // The full side's last check reached it 4..6 s before the drop: expiry
    // falls 24..30 s after it.
    n.run(23s);
    EXPECT_NE(b->selected(1), nullptr);
    n.run(10s);
    EXPECT_EQ(b->selected(1), nullptr);
    EXPECT_EQ(b->state(), AgentState::Disconnected);
    EXPECT_EQ(b->counters().consentExpired, 1u);
}

TEST(IceAgent, LiteAgentRefusesToBeControlling) {
    Net n;
    AgentConfig lc = cfg(Role::Controlled, 1);
    lc.mode = Mode::Lite;
    Peer& a = n.add(cfg(Role::Controlled, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(lc, {{1, "10.0.1.1:2000"}});
    // a does not know b is lite and stays controlled: b answers 487 and a
    // switches to controlling.
    n.signal(b, a);
    n.run(3s);
    EXPECT_GE(b->counters().roleConflicts, 1u);
    EXPECT_EQ(a->role(), Role::Controlling);
    EXPECT_EQ(a->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
}

TEST(IceAgent, RoleConflictBothControlling) {
    for (bool aWins : {true, false}) {
        Net n;
        AgentConfig ac = cfg(Role::Controlling), bc = cfg(Role::Controlling);
        ac.tieBreaker = aWins ? 1000 : 10;
        bc.tieBreaker = aWins ? 10 : 1000;
        Peer& a = n.add(ac, {{1, "10.0.0.1:1000"}, {2, "10.0.0.1:1001"}});
        Peer& b = n.add(bc, {{1, "10.0.1.1:2000"}, {2, "10.0.1.1:2001"}});
        n.signal(a, b);
        n.signal(b, a);
        n.run(3s);
        EXPECT_EQ(a->role(), aWins ? Role::Controlling : Role::Controlled);
        EXPECT_EQ(b->role(), aWins ? Role::Controlled : Role::Controlling);
        EXPECT_GE(a->counters().roleConflicts + b->counters().roleConflicts, 1u);
        EXPECT_EQ(a->state(), AgentState::Completed);
        EXPECT_EQ(b->state(), AgentState::Completed);
        expectAgreement(a, b, 2);
    }
}

TEST(IceAgent, RoleConflictBothControlled) {
    for (bool aWins : {true, false}) {
        Net n;
        AgentConfig ac = cfg(Role::Controlled), bc = cfg(Role::Controlled);
        ac.tieBreaker = aWins ? 1000 : 10;
        bc.tieBreaker = aWins ? 10 : 1000;
        Peer& a = n.add(ac, {{1, "10.0.0.1:1000"}, {2, "10.0.0.1:1001"}});
        Peer& b = n.add(bc, {{1, "10.0.1.1:2000"}, {2, "10.0.1.1:2001"}});
        n.signal(a, b);
        n.signal(b, a);
        n.run(3s);
        EXPECT_EQ(a->role(), aWins ? Role::Controlling : Role::Controlled);
        EXPECT_EQ(b->role(), aWins ? Role::Controlled : Role::Controlling);
        EXPECT_EQ(a->state(), AgentState::Completed);
        EXPECT_EQ(b->state(), AgentState::Completed);
        expectAgreement(a, b, 2);
    }
}

TEST(IceAgent, PeerReflexiveCandidateLearnedFromChecks) {
    // b sits behind a NAT and signals only an mDNS name (which is never
    // resolved): a learns b's address from b's checks.
    Net n;
    Peer& a = n.add(cfg(Role::Controlled, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlling, 1), {{1, "192.168.1.2:5000"}});
    n.nat("192.168.1.2:5000", "203.0.113.5:6000");
    n.signal(a, b);
    const auto& bc = b->localCredentials();
    ASSERT_TRUE(a->setRemoteCredentials(bc.ufrag, bc.pwd, n.now).ok());
    a->endOfRemoteCandidates(n.now);
    a.rearm();
    n.run(3s);
    EXPECT_EQ(a->counters().peerReflexive, 1u);
    EXPECT_EQ(a->remoteCandidateCount(), 1u);
    ASSERT_NE(a->selected(1), nullptr);
    EXPECT_EQ(a->selected(1)->remote, ep("203.0.113.5:6000"));
    ASSERT_NE(b->selected(1), nullptr);
    EXPECT_EQ(b->selected(1)->remote, ep("10.0.0.1:1000"));
    EXPECT_EQ(a->state(), AgentState::Completed);
}

TEST(IceAgent, ChecksArrivingBeforeTheRemoteCredentialsAreAnsweredAndUsedLater) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}});
    n.signal(a, b);  // b answers; a sees the answer 500 ms later
    n.run(500ms);
    EXPECT_EQ(a->counters().peerReflexive, 1u);
    EXPECT_EQ(a->counters().checksSent, 0u);
    n.signal(b, a);
    n.run(3s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
    // The signalled candidate took the peer-reflexive one's place.
    EXPECT_EQ(a->remoteCandidateCount(), 1u);
}

TEST(IceAgent, TrickleWithLateCandidates) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}});
    // Credentials first, with a candidate nobody listens on.
    const auto& ac = a->localCredentials();
    const auto& bc = b->localCredentials();
    ASSERT_TRUE(a->setRemoteCredentials(bc.ufrag, bc.pwd, n.now).ok());
    ASSERT_TRUE(b->setRemoteCredentials(ac.ufrag, ac.pwd, n.now).ok());
    Candidate dead;
    dead.foundation = Foundation("dead");
    dead.priority = candidatePriority(CandidateType::Host, 65535, 1);
    dead.address = ep("10.9.9.9:9");
    ASSERT_TRUE(a->addRemoteCandidate(dead, n.now).ok());
    a.rearm();
    b.rearm();
    n.run(15s);
    // Its pair failed, but more candidates may come: not failed yet.
    EXPECT_EQ(a->state(), AgentState::Checking);
    EXPECT_EQ(a->selected(1), nullptr);
    EXPECT_GE(a->counters().checkTimeouts, 1u);
    // The real candidates trickle in, then end-of-candidates.
    ASSERT_TRUE(a->addRemoteCandidate(b->localCandidates()[0], n.now).ok());
    ASSERT_TRUE(b->addRemoteCandidate(a->localCandidates()[0], n.now).ok());
    a->endOfRemoteCandidates(n.now);
    b->endOfRemoteCandidates(n.now);
    a.rearm();
    b.rearm();
    n.run(3s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    EXPECT_EQ(b->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
}

TEST(IceAgent, RestartKeepsTheOldPairUntilTheNewOneIsNominated) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling), {{1, "10.0.0.1:1000"}, {2, "10.0.0.1:1001"}});
    Peer& b = n.add(cfg(Role::Controlled), {{1, "10.0.1.1:2000"}, {2, "10.0.1.1:2001"}});
    n.signal(a, b);
    n.signal(b, a);
    n.run(2s);
    ASSERT_EQ(a->state(), AgentState::Completed);
    const auto oldUfrag = a->localCredentials().ufrag;
    // a re-offers with new credentials; b answers with new ones too.
    a->restart(randomCredentials(), n.now);
    a.rearm();
    EXPECT_NE(a->localCredentials().ufrag, oldUfrag);
    EXPECT_NE(a->selected(1), nullptr) << "media keeps flowing during the restart";
    n.run(1s);
    EXPECT_NE(a->selected(1), nullptr);
    b->restart(randomCredentials(), n.now);
    n.signal(a, b);
    n.signal(b, a);
    n.run(3s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    EXPECT_EQ(b->state(), AgentState::Completed);
    expectAgreement(a, b, 2);
    EXPECT_EQ(a.selectionsLost + b.selectionsLost, 0);
    EXPECT_EQ(a->counters().restarts, 1u);
    EXPECT_EQ(b->counters().restarts, 1u);
    // Consent goes on with the new credentials.
    n.run(60s);
    EXPECT_EQ(a->counters().consentExpired + b->counters().consentExpired, 0u);
    EXPECT_EQ(a->counters().badIntegrity + b->counters().badIntegrity, 0u);
}

TEST(IceAgent, RemoteRestartBySdpAloneStartsANewGeneration) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}});
    n.signal(a, b);
    n.signal(b, a);
    n.run(2s);
    ASSERT_EQ(a->state(), AgentState::Completed);
    b->restart(randomCredentials(), n.now);
    b.rearm();
    n.signal(b, a);  // new remote credentials: a restarts too
    EXPECT_EQ(a->counters().restarts, 1u);
    EXPECT_EQ(a->state(), AgentState::Checking);
    n.signal(a, b);
    n.run(3s);
    EXPECT_EQ(a->state(), AgentState::Completed);
    expectAgreement(a, b, 1);
    EXPECT_EQ(a.selectionsLost, 0);
}

TEST(IceAgent, ConsentExpiresWhenThePeerStopsAnswering) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}});
    n.signal(a, b);
    n.signal(b, a);
    n.run(2s);
    ASSERT_NE(a->selected(1), nullptr);
    n.run(60s);  // answered consent keeps it
    ASSERT_NE(a->selected(1), nullptr);
    const uint64_t consent = a->counters().consentChecksSent;
    EXPECT_GE(consent, 10u);
    EXPECT_LE(consent, 16u);
    n.drop = [&](const Peer& from, const Datagram&) { return from.id == b.id; };
    // The last answered consent check went out 4..6 s before the drop
    // began (t = 62 s), so expiry falls between 86 s and 92 s.
    n.run(23s);
    EXPECT_NE(a->selected(1), nullptr) << "consent lasts 30 s";
    n.run(10s);
    EXPECT_EQ(a->selected(1), nullptr);
    EXPECT_EQ(a->state(), AgentState::Disconnected);
    EXPECT_EQ(a->counters().consentExpired, 1u);
    EXPECT_EQ(a.selectionsLost, 1);
    // Nothing more is sent on the lost pair.
    const uint64_t sent = a.sent;
    n.run(60s);
    EXPECT_EQ(a.sent, sent);
}

TEST(IceAgent, FailsInBoundedTimeWhenNothingAnswers) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling), {{1, "10.0.0.1:1000"}, {2, "10.0.0.1:1001"}});
    Peer& b = n.add(cfg(Role::Controlled), {{1, "10.0.1.1:2000"}, {2, "10.0.1.1:2001"}});
    n.drop = [&](const Peer& from, const Datagram&) { return from.id == b.id; };
    n.signal(b, a);
    n.run(15s);
    EXPECT_EQ(a->state(), AgentState::Failed);
    EXPECT_EQ(a->counters().failures, 1u);
    // The first component whose every pair failed ends it (RFC 8445 §8.1.2).
    EXPECT_GE(a->counters().checkTimeouts, 1u);
    EXPECT_LE(a->counters().checksSent, 2u * 7u);
    EXPECT_EQ(a->selected(1), nullptr);
    // And then it is quiet: no timers, no sends.
    EXPECT_EQ(a->nextDeadline(), MonoTime::max());
    const uint64_t sent = a.sent;
    n.run(600s);
    EXPECT_EQ(a.sent, sent);
}

TEST(IceAgent, FailsAfterTheTimeoutWithoutEndOfCandidates) {
    Net n;
    Peer& a = n.add(cfg(Role::Controlling, 1), {{1, "10.0.0.1:1000"}});
    Peer& b = n.add(cfg(Role::Controlled, 1), {{1, "10.0.1.1:2000"}});
    n.drop = [&](const Peer& from, const Datagram&) { return from.id == b.id; };
    n.signal(b, a, /*endOfCandidates=*/false);
    n.run(29s);
    EXPECT_EQ(a->state(), AgentState::Checking);
    n.run(2s);
    EXPECT_EQ(a->state(), AgentState::Failed);
    EXPECT_EQ(a->counters().failures, 1u);
    // Checks stop with the failure; the peer's checks are still answered.
    EXPECT_EQ(a->nextDeadline(), MonoTime::max());
    const uint64_t checks = a->counters().checksSent;
    n.drop = nullptr;
    n.signal(a, b);
    n.run(5s);
    EXPECT_EQ(a->counters().checksSent, checks);
    EXPECT_GT(a->counters().successResponsesSent, 0u);
    EXPECT_EQ(a->state(), AgentState::Failed);
    EXPECT_EQ(a->selected(1), nullptr);
}

namespace {

// A Binding request as a peer (or an attacker) would send it.
std::vector<uint8_t> buildCheck(std::string_view user, std::string_view pwd, bool priority = true,
                                uint16_t unknownAttr = 0) {
    uint8_t buf[stun::kMaxMessage];
    stun::Builder b(buf, stun::Class::Request, stun::TransactionId::random());
    if (!user.empty()) b.addUsername(user);
    if (priority) b.addPriority(12345);
    b.addIceControlled(42);
    if (unknownAttr) b.addAttribute(unknownAttr, {});
    if (!pwd.empty()) {
        auto k = stun::IntegrityKey::create(pwd).value();
        b.addMessageIntegrity(k);
    }
    b.addFingerprint();
    auto w = b.finish();
    return {w.begin(), w.end()};
}

struct Capture : AgentEvents {
    std::vector<std::vector<uint8_t>> out;
    void send(uint16_t, const net::Endpoint&, std::span<const uint8_t> bytes) override {
        out.emplace_back(bytes.begin(), bytes.end());
    }
    void selectedPairChanged(uint8_t, const SelectedPair*) override {}
    void stateChanged(AgentState) override {}
};

struct Quiet : AgentEvents {
    uint64_t sends = 0;
    void send(uint16_t, const net::Endpoint&, std::span<const uint8_t>) override { sends++; }
    void selectedPairChanged(uint8_t, const SelectedPair*) override {}
    void stateChanged(AgentState) override {}
};

uint16_t errorOf(const std::vector<uint8_t>& reply) {
    auto m = stun::parse(reply);
    if (!m || m->cls != stun::Class::Error) return 0;
    return *m->errorCode;
}

}  // namespace

TEST(IceAgent, BadChecksAreAnsweredWithTheRightError) {
    Net n;
    Capture cap;
    Credentials creds{"localufr", "local-password-0123456789"};
    Agent a(cfg(Role::Controlling, 1), creds, cap);
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.1:1000"), Foundation("f"), 65535).ok());
    const auto from = ep("10.0.9.9:999");
    auto send = [&](const std::vector<uint8_t>& d) {
        cap.out.clear();
        (void)a.onDatagram(0, from, d, n.now);
        return cap.out.size() == 1 ? errorOf(cap.out[0]) : uint16_t(1);
    };
    EXPECT_EQ(send(buildCheck("", creds.pwd)), 400) << "no USERNAME";
    EXPECT_EQ(send(buildCheck("localufr:x", "")), 400) << "no MESSAGE-INTEGRITY";
    EXPECT_EQ(send(buildCheck("otherufr:x", creds.pwd)), 401) << "unknown username";
    EXPECT_EQ(send(buildCheck("localufr:x", "wrong-password-0123456789")), 401) << "bad integrity";
    EXPECT_EQ(send(buildCheck("localufr:x", creds.pwd, false)), 400) << "no PRIORITY";
    EXPECT_EQ(send(buildCheck("localufr:x", creds.pwd, true, 0x0077)), 420);
    {
        auto m = stun::parse(cap.out[0]);
        ASSERT_TRUE(m.ok());
        auto k = stun::IntegrityKey::create(creds.pwd).value();
        EXPECT_TRUE(stun::verifyIntegrity(*m, k));
    }
    EXPECT_EQ(send(buildCheck("localufr:x", creds.pwd)), 0) << "a good check gets a success";
    auto ok = stun::parse(cap.out[0]);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->cls, stun::Class::Success);
    EXPECT_EQ(*ok->xorMappedAddress, from);
    EXPECT_EQ(a.counters().unknownUsername, 1u);
    EXPECT_EQ(a.counters().badIntegrity, 1u);
    EXPECT_EQ(a.counters().malformed, 4u);
    EXPECT_EQ(a.counters().checksReceived, 1u);
    // Garbage is counted and dropped without an answer.
    cap.out.clear();
    const uint8_t junk[] = {0, 1, 0, 0, 1, 2, 3, 4};
    (void)a.onDatagram(0, from, junk, n.now);
    EXPECT_TRUE(cap.out.empty());
    EXPECT_EQ(a.counters().malformed, 5u);
}

TEST(IceAgent, FloodOfBadIntegrityChecksKeepsNoStateAndAllocatesNothing) {
    Quiet q;
    Credentials creds{"localufr", "local-password-0123456789"};
    Agent a(cfg(Role::Controlled, 1), creds, q);
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.1:1000"), Foundation("f"), 65535).ok());
    ASSERT_TRUE(a.setRemoteCredentials("remoteuf", "remote-password-012345678", MonoTime{}).ok());
    Net n;
    const auto bad = buildCheck("localufr:remoteuf", "forged-password-012345678");
    const auto unknown = buildCheck("someone:remoteuf", "forged-password-012345678");
    const auto pairs = a.pairCount();
    const auto before = test::allocations();
    MonoTime now{};
    for (int i = 0; i < 10000; i++) {
        const net::Endpoint from{*net::IpAddress::parse("198.51.100.7"),
                                 uint16_t(1024 + i % 60000)};
        (void)a.onDatagram(0, from, i % 2 ? bad : unknown, now);
        now += 1ms;
    }
    EXPECT_EQ(test::allocations(), before);
    EXPECT_EQ(a.counters().badIntegrity, 5000u);
    EXPECT_EQ(a.counters().unknownUsername, 5000u);
    EXPECT_EQ(a.counters().errorResponsesSent, 10000u);
    EXPECT_EQ(a.remoteCandidateCount(), 0u);
    EXPECT_EQ(a.pairCount(), pairs);
    EXPECT_EQ(a.selected(1), nullptr);
}

TEST(IceAgent, RemoteCandidatesAndPairsAreCapped) {
    Quiet q;
    Agent a(cfg(Role::Controlling, 1), randomCredentials(), q);
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.1:1000"), Foundation("f1"), 65535).ok());
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.2:1000"), Foundation("f2"), 65534).ok());
    ASSERT_TRUE(a.setRemoteCredentials("remoteuf", "remote-password-012345678", MonoTime{}).ok());
    int refused = 0;
    for (int i = 0; i < 100; i++) {
        Candidate c;
        c.foundation = Foundation("r" + std::to_string(i));
        c.priority = 1000 + i;
        c.address = {*net::IpAddress::parse("198.51.100.1"), uint16_t(2000 + i)};
        refused += !a.addRemoteCandidate(c, MonoTime{}).ok();
    }
    EXPECT_EQ(a.remoteCandidateCount(), kMaxRemoteCandidatesPerComponent);
    EXPECT_EQ(refused, 100 - int(kMaxRemoteCandidatesPerComponent));
    EXPECT_EQ(a.pairCount(), kMaxPairs);
    EXPECT_EQ(a.counters().pairsDropped, 2 * kMaxRemoteCandidatesPerComponent - kMaxPairs);
    // A peer that never answers: every pair is tried and given up; the agent
    // fails and goes quiet.
    a.endOfRemoteCandidates(MonoTime{});
    MonoTime now{};
    for (int i = 0; i < 100000 && a.nextDeadline() != MonoTime::max(); i++) {
        now = std::max(now, a.nextDeadline());
        (void)a.onTimer(now);
    }
    EXPECT_EQ(a.state(), AgentState::Failed);
    EXPECT_LE(q.sends, kMaxPairs * 7);
    EXPECT_LT(now - MonoTime{}, 40s);
}

TEST(IceAgent, BadCandidatesAndCredentialsAreRefused) {
    Quiet q;
    Agent a(cfg(Role::Controlling, 1), randomCredentials(), q);
    EXPECT_FALSE(a.addLocalCandidate(2, ep("10.0.0.1:1000"), Foundation("f"), 65535).ok());
    EXPECT_FALSE(a.addLocalCandidate(1, ep("10.0.0.1:0"), Foundation("f"), 65535).ok());
    EXPECT_FALSE(a.setRemoteCredentials("", "pw", MonoTime{}).ok());
    Candidate c;
    c.component = 3;
    c.address = ep("10.0.0.2:5");
    EXPECT_FALSE(a.addRemoteCandidate(c, MonoTime{}).ok());
}

TEST(IceAgent, ValidChecksAndTheirTriggeredChecksAllocateNothing) {
    // The steady state of a call: the peer's checks (consent, keepalive)
    // answered, a triggered check sent back, timers run. After the first
    // check taught the peer-reflexive candidate, nothing allocates.
    Quiet q;
    Credentials creds{"localufr", "local-password-0123456789"};
    Agent a(cfg(Role::Controlled, 1), creds, q);
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.1:1000"), Foundation("f"), 65535).ok());
    ASSERT_TRUE(a.setRemoteCredentials("remoteuf", "remote-password-012345678", MonoTime{}).ok());
    const auto from = ep("198.51.100.7:4000");
    std::vector<std::vector<uint8_t>> checks;
    for (int i = 0; i < 1000; i++) checks.push_back(buildCheck("localufr:remoteuf", creds.pwd));
    MonoTime now{};
    (void)a.onDatagram(0, from, checks[0], now);
    ASSERT_EQ(a.counters().peerReflexive, 1u);
    const auto before = test::allocations();
    for (size_t i = 1; i < checks.size(); i++) {
        now += 20ms;
        (void)a.onDatagram(0, from, checks[i], now);
        (void)a.onTimer(now);
    }
    EXPECT_EQ(test::allocations(), before);
    EXPECT_EQ(a.counters().checksReceived, 1000u);
    EXPECT_EQ(a.counters().successResponsesSent, 1000u);
    EXPECT_GT(a.counters().checksSent, 0u);
}

// Chromium, controlling, nominates the first pair that works and then the
// pair it prefers, and sends its media on that one: the controlled agent
// follows the peer's latest nomination, not the highest-priority one.
TEST(IceAgent, ControlledAgentFollowsThePeersLatestNomination) {
    Net n;
    struct Wire : AgentEvents {
        std::vector<std::pair<net::Endpoint, std::vector<uint8_t>>> out;
        int changes = 0;
        void send(uint16_t, const net::Endpoint& to, std::span<const uint8_t> bytes) override {
            out.emplace_back(to, std::vector<uint8_t>(bytes.begin(), bytes.end()));
        }
        void selectedPairChanged(uint8_t, const SelectedPair*) override { changes++; }
        void stateChanged(AgentState) override {}
    } wire;
    Credentials ours{"ourufrag", "our-password-0123456789ab"};
    const std::string peerUfrag = "peer", peerPwd = "peer-password-0123456789";
    Agent a(cfg(Role::Controlled, 1), ours, wire);
    ASSERT_TRUE(a.addLocalCandidate(1, ep("10.0.0.1:1000"), Foundation("f"), 65535).ok());
    ASSERT_TRUE(a.setRemoteCredentials(peerUfrag, peerPwd, n.now).ok());
    const auto loopback = ep("10.0.9.1:5001"), lan = ep("10.0.9.2:5002");
    Candidate c1, c2;
    c1.foundation = Foundation("1");
    c1.priority = 2122194687;  // higher priority
    c1.address = loopback;
    c2.foundation = Foundation("2");
    c2.priority = 2122063615;
    c2.address = lan;
    ASSERT_TRUE(a.addRemoteCandidate(c1, n.now).ok());
    ASSERT_TRUE(a.addRemoteCandidate(c2, n.now).ok());
    a.endOfRemoteCandidates(n.now);
    auto peerKey = stun::IntegrityKey::create(peerPwd).value();
    auto ourKey = stun::IntegrityKey::create(ours.pwd).value();
    // The peer answers every check of ours with a success.
    auto answer = [&] {
        auto out = std::move(wire.out);
        wire.out.clear();
        for (auto& [to, bytes] : out) {
            auto m = stun::parse(bytes);
            if (!m.ok() || m->cls != stun::Class::Request) continue;
            uint8_t buf[stun::kMaxMessage];
            stun::Builder b(buf, stun::Class::Success, m->transactionId);
            b.addXorMappedAddress(ep("10.0.0.1:1000"));
            b.addMessageIntegrity(peerKey);
            b.addFingerprint();
            auto w = b.finish();
            (void)a.onDatagram(0, to, {w.begin(), w.end()}, n.now);
        }
    };
    auto nominate = [&](const net::Endpoint& from, uint32_t priority) {
        uint8_t buf[stun::kMaxMessage];
        stun::Builder b(buf, stun::Class::Request, stun::TransactionId::random());
        b.addUsername(ours.ufrag, peerUfrag);
        b.addPriority(priority);
        b.addIceControlling(7);
        b.addUseCandidate();
        b.addMessageIntegrity(ourKey);
        b.addFingerprint();
        auto w = b.finish();
        (void)a.onDatagram(0, from, {w.begin(), w.end()}, n.now);
        answer();
    };
    for (int i = 0; i < 20; i++) {
        (void)a.onTimer(n.now);
        answer();
        n.now += 50ms;
    }
    nominate(loopback, c1.priority);
    ASSERT_NE(a.selected(1), nullptr);
    EXPECT_EQ(a.selected(1)->remote, loopback);
    nominate(lan, c2.priority);
    nominate(lan, c2.priority);
    ASSERT_NE(a.selected(1), nullptr);
    EXPECT_EQ(a.selected(1)->remote, lan) << "the pair the peer nominated last";
    nominate(lan, c2.priority);  // its keepalives keep it there
    EXPECT_EQ(a.selected(1)->remote, lan);
}
