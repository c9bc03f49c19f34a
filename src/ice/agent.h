// ICE agent for one media section (RFC 8445 full and lite, RFC 8838 trickle,
// RFC 7675 consent freshness). Pure logic: it does no I/O and reads no
// clock. The media path that owns it, on one worker thread, feeds it the
// STUN datagrams that arrive on the media's sockets (onDatagram) and calls
// onTimer at the deadline each call returns; the agent sends through
// AgentEvents::send and reports the pair media must go to. No locks.
//
//     Agent a(config, localCredentials, events);
//     a.addLocalCandidate(1, {addr, port}, foundation, 65535);   // per socket
//     a.setRemoteCredentials(ufrag, pwd);                         // from SDP
//     a.addRemoteCandidate(candidate);  ...  a.endOfRemoteCandidates();
//     deadline = a.onTimer(now);            // and again at `deadline`
//     deadline = a.onDatagram(local, from, bytes, now);  // STUN only
//     if (const SelectedPair* p = a.selected(1)) send media to p->remote
//
// After a signalling call (credentials, candidates, restart) the owner
// re-arms its timer with nextDeadline(). Media packets never enter the agent; selected() is a read
// of a fixed array, so the packet path neither allocates nor locks. Memory is bounded by the caps
// below whatever peers send: checks that fail authentication leave no state at all, only a counter.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "ice/stun.h"
#include "net/address.h"

namespace ngm::ice {

// RTP and RTCP (one when rtcp-mux is used).
constexpr uint8_t kMaxComponents = 2;
constexpr size_t kMaxLocalCandidates = 16;
// Remote candidates, signalled and peer-reflexive, per component.
constexpr size_t kMaxRemoteCandidatesPerComponent = 64;
// RFC 8445 §6.1.2.5: a check list limit, 100 by default.
constexpr size_t kMaxPairs = 100;
// RFC 8445 §5.3: ufrag and password as rtpengine writes them (8 and 26
// ice-chars; the RFC's minimum is 4 and 22).
constexpr size_t kUfragLength = 8;
constexpr size_t kPasswordLength = 26;
constexpr size_t kFoundationLength = 16;

enum class CandidateType : uint8_t { Host, ServerReflexive, PeerReflexive, Relayed };
std::string_view candidateTypeName(CandidateType t);  // "host", "srflx", "prflx", "relay"

// RFC 8445 §5.1.2.2: recommended type preferences (host 126 as rtpengine).
uint8_t typePreference(CandidateType t);
// RFC 8445 §5.1.2.1: 2^24 type preference + 2^8 local preference + (256 - component).
uint32_t candidatePriority(CandidateType t, uint16_t localPreference, uint8_t component);
// rtpengine's local preference: 65535 for the first address of the media's
// logical interface, one less for each address after it (so the candidate
// lines read 2130706431, 2130706175, ... for component 1).
constexpr uint16_t localPreferenceFor(size_t addressIndex) {
    return addressIndex >= 65535 ? 0 : uint16_t(65535 - addressIndex);
}
// RFC 8445 §6.1.2.3: 2^32 MIN(G,D) + 2 MAX(G,D) + (G>D ? 1 : 0).
uint64_t pairPriority(uint32_t controlling, uint32_t controlled);

// At most 32 ice-chars (RFC 8445 §5.1.1.3), held inline so a peer-reflexive
// candidate learned from a check allocates nothing.
class Foundation {
  public:
    Foundation() = default;
    // Keeps at most 32 characters.
    explicit Foundation(std::string_view s);
    std::string_view view() const { return {text_.data(), len_}; }
    bool operator==(const Foundation& o) const { return view() == o.view(); }

  private:
    std::array<char, 32> text_{};
    uint8_t len_ = 0;
};

struct Candidate {
    Foundation foundation;
    uint8_t component = 1;
    uint32_t priority = 0;
    net::Endpoint address;
    CandidateType type = CandidateType::Host;
};

struct Credentials {
    std::string ufrag;
    std::string pwd;
};

// Random ice-chars from OpenSSL's CSPRNG: credentials (8 and 26 characters)
// and foundations. rtpengine 10.5 gives each interface address one random
// 16-character foundation when it starts and uses it for every call and
// component (observed with ICE=force): the owner of the interfaces keeps
// one randomIceChars(kFoundationLength) per address for the process.
std::string randomIceChars(size_t n);
Credentials randomCredentials();

enum class Mode : uint8_t { Full, Lite };
enum class Role : uint8_t { Controlling, Controlled };
enum class Nomination : uint8_t { Regular, Aggressive };
// New: no remote credentials yet. Checking: checks run (or, lite, wait for
// the peer's). Completed: every component has a nominated pair. Failed: no
// pair could be found in time (checks stop; a restart starts again).
// Disconnected: consent of a selected pair expired, media to it stopped.
enum class AgentState : uint8_t { New, Checking, Completed, Failed, Disconnected };
std::string_view agentStateName(AgentState s);

struct AgentConfig {
    Mode mode = Mode::Full;
    Role role = Role::Controlling;  // a lite agent is always controlled
    Nomination nomination = Nomination::Regular;
    uint8_t components = 1;
    uint64_t tieBreaker = 0;  // 0: random
    // RFC 8445 §14.2: pacing of new checks.
    std::chrono::milliseconds ta{50};
    // RFC 8445 §14.3 / RFC 8489 §6.2.1: first RTO, doubled per retransmit
    // up to rtoMax, at most maxTransmissions sends of one check.
    std::chrono::milliseconds rto{500};
    std::chrono::milliseconds rtoMax{1600};
    uint8_t maxTransmissions = 7;
    // Regular nomination: the best valid pair is nominated once no better
    // pair is pending, or this long after the first pair became valid.
    std::chrono::milliseconds nominationWait{1000};
    // RFC 7675: consent checks every ~5 s (randomised 0.8..1.2), consent
    // lost 30 s after the last answered one.
    std::chrono::milliseconds consentInterval{5000};
    std::chrono::milliseconds consentExpiry{30000};
    // Checking that has not completed this long after it started fails.
    std::chrono::milliseconds failTimeout{30000};
};

// Where a component's media goes: from local candidate `local` (an index
// addLocalCandidate returned, i.e. a socket) to `remote`.
struct SelectedPair {
    uint16_t local = 0;
    net::Endpoint remote;
    uint64_t priority = 0;
};

// The agent's outputs. Called synchronously from inside the agent's
// methods; they must not call back into the agent.
class AgentEvents {
  public:
    virtual ~AgentEvents() = default;
    virtual void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) = 0;
    // nullptr: the component has no pair any more (consent lost).
    virtual void selectedPairChanged(uint8_t component, const SelectedPair* pair) = 0;
    virtual void stateChanged(AgentState state) = 0;
};

struct AgentCounters {
    uint64_t checksSent = 0;  // requests, retransmissions included
    uint64_t retransmissions = 0;
    uint64_t checksReceived = 0;  // authenticated requests
    uint64_t successResponsesSent = 0;
    uint64_t errorResponsesSent = 0;  // 400, 401, 420, 487
    uint64_t malformed = 0;           // not parseable or missing attributes
    uint64_t unknownUsername = 0;
    uint64_t badIntegrity = 0;
    uint64_t unmatchedResponses = 0;
    uint64_t indications = 0;
    uint64_t roleConflicts = 0;      // 487 sent or received, or role switched
    uint64_t peerReflexive = 0;      // remote candidates learned from checks
    uint64_t candidatesDropped = 0;  // over a cap
    uint64_t pairsDropped = 0;
    uint64_t checkTimeouts = 0;
    uint64_t nominations = 0;
    uint64_t consentChecksSent = 0;
    uint64_t consentExpired = 0;
    uint64_t failures = 0;
    uint64_t restarts = 0;
};

class Agent {
  public:
    Agent(const AgentConfig& config, Credentials local, AgentEvents& events);
    ~Agent();
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // A host candidate: one socket of `component` at `address`. Its
    // priority is candidatePriority(Host, localPreference, component). The
    // index returned names it in send() and onDatagram().
    Result<uint16_t> addLocalCandidate(uint8_t component, const net::Endpoint& address,
                                       const Foundation& foundation, uint16_t localPreference);
    std::span<const Candidate> localCandidates() const { return locals_; }

    // The peer's ufrag and pwd. Values that differ from ones set before are
    // an ICE restart by the peer: its old candidates are forgotten (the new
    // ones follow), the selected pairs stay in use until new ones are
    // nominated.
    Result<void> setRemoteCredentials(std::string_view ufrag, std::string_view pwd, MonoTime now);
    // The peer is ICE-lite (a=ice-lite): this agent must be controlling.
    void setRemoteLite(bool lite);
    // A signalled (or trickled) candidate. Duplicates are ignored; one
    // that names a peer-reflexive candidate already learned replaces it.
    // Candidates over the cap are dropped and counted.
    Result<void> addRemoteCandidate(const Candidate& c, MonoTime now);
    // RFC 8838 §13: no more remote candidates (a=end-of-candidates, or an
    // SDP without trickle). Until then, running out of pairs is not failure.
    void endOfRemoteCandidates(MonoTime now);

    // ICE restart from this side (RFC 8445 §9): new local credentials; the
    // remote credentials and candidates are expected anew.
    void restart(Credentials local, MonoTime now);

    // A STUN datagram that arrived on local candidate `local` from `from`.
    // Returns the next deadline for onTimer.
    MonoTime onDatagram(uint16_t local, const net::Endpoint& from, std::span<const uint8_t> bytes,
                        MonoTime now);
    // Runs what is due; returns when to call again (MonoTime::max(): only
    // when something else happens).
    MonoTime onTimer(MonoTime now);
    MonoTime nextDeadline() const;

    // Packet path: where media of `component` may go; nullptr before a pair
    // is selected and after its consent expired.
    const SelectedPair* selected(uint8_t component) const;

    AgentState state() const { return state_; }
    Role role() const { return role_; }
    Mode mode() const { return config_.mode; }
    const Credentials& localCredentials() const;
    const AgentCounters& counters() const { return counters_; }
    // Number of remote candidates and pairs held (tests; query output).
    size_t remoteCandidateCount() const { return remotes_.size(); }
    size_t pairCount() const;

  private:
    struct Impl;
    friend struct Impl;
    AgentConfig config_;
    AgentEvents& events_;
    AgentState state_ = AgentState::New;
    Role role_;
    AgentCounters counters_;
    std::vector<Candidate> locals_;
    std::vector<Candidate> remotes_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ngm::ice
