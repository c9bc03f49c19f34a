#include "ice/agent.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "crypto/openssl.h"

namespace ngm::ice {

using std::chrono::milliseconds;

std::string_view candidateTypeName(CandidateType t) {
    switch (t) {
        case CandidateType::Host:
            return "host";
        case CandidateType::ServerReflexive:
            return "srflx";
        case CandidateType::PeerReflexive:
            return "prflx";
        case CandidateType::Relayed:
            return "relay";
    }
    return "host";
}

std::string_view agentStateName(AgentState s) {
    switch (s) {
        case AgentState::New:
            return "new";
        case AgentState::Checking:
            return "checking";
        case AgentState::Completed:
            return "completed";
        case AgentState::Failed:
            return "failed";
        case AgentState::Disconnected:
            return "disconnected";
    }
    return "new";
}

uint8_t typePreference(CandidateType t) {
    switch (t) {
        case CandidateType::Host:
            return 126;
        case CandidateType::PeerReflexive:
            return 110;
        case CandidateType::ServerReflexive:
            return 100;
        case CandidateType::Relayed:
            return 0;
    }
    return 0;
}

uint32_t candidatePriority(CandidateType t, uint16_t localPreference, uint8_t component) {
    return uint32_t(typePreference(t)) << 24 | uint32_t(localPreference) << 8 |
           uint32_t(256 - component);
}

uint64_t pairPriority(uint32_t g, uint32_t d) {
    return (uint64_t(std::min(g, d)) << 32) + 2 * uint64_t(std::max(g, d)) + (g > d ? 1 : 0);
}

Foundation::Foundation(std::string_view s) {
    len_ = uint8_t(std::min(s.size(), text_.size()));
    std::memcpy(text_.data(), s.data(), len_);
}

std::string randomIceChars(size_t n) {
    // RFC 8445 §15.1 ice-char: ALPHA / DIGIT / "+" / "/"; rtpengine writes
    // letters and digits only, and so does this.
    static constexpr char kChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out(n, 'a');
    std::vector<uint8_t> rnd(n);
    crypto::randomBytes(rnd);
    // 62 letters: rejecting 248..255 keeps the choice uniform.
    for (size_t i = 0; i < n; i++) {
        uint8_t r = rnd[i];
        while (r >= 248) {
            uint8_t again = 0;
            crypto::randomBytes(std::span(&again, 1));
            r = again;
        }
        out[i] = kChars[r % 62];
    }
    return out;
}

Credentials randomCredentials() {
    return {randomIceChars(kUfragLength), randomIceChars(kPasswordLength)};
}

namespace {

enum class PairState : uint8_t { Frozen, Waiting, InProgress, Succeeded, Failed };

struct Transaction {
    stun::TransactionId tid;
    bool active = false;
    bool useCandidate = false;
    bool sentControlling = false;
    uint8_t sends = 0;
    milliseconds rto{0};
    MonoTime nextAt{};
};

struct Pair {
    uint16_t local = 0;
    uint16_t remote = 0;  // index into remotes_
    uint64_t priority = 0;
    PairState state = PairState::Frozen;
    bool nominated = false;
    bool nominating = false;         // controlling: next check carries USE-CANDIDATE
    bool nominateOnSuccess = false;  // controlled: the peer nominated it before it succeeded
    bool queued = false;             // in the triggered-check queue
    Transaction tx;
};

struct Generation {
    uint32_t id = 0;
    Credentials local;
    std::optional<stun::IntegrityKey> localKey;
    std::string remoteUfrag;
    std::optional<stun::IntegrityKey> remoteKey;
};

struct Selection {
    bool valid = false;
    SelectedPair pair;
    uint32_t gen = 0;
    MonoTime lastConsent{};
    MonoTime nextConsent{};
    bool consentPending = false;
    stun::TransactionId consentTid;
};

constexpr MonoTime kNever = MonoTime::max();

}  // namespace

struct Agent::Impl {
    Agent& a;
    Generation cur;
    std::optional<Generation> prev;
    uint32_t nextGen = 1;
    std::vector<Pair> pairs;
    std::array<uint16_t, kMaxPairs> triggered{};
    size_t trigHead = 0, trigCount = 0;
    std::array<Selection, kMaxComponents> sel{};
    std::array<MonoTime, kMaxComponents> firstValidAt{};
    MonoTime nextPace{};
    MonoTime checkingSince{};
    bool remoteEnd = false;
    bool remoteLite = false;
    uint64_t tieBreaker = 0;
    uint32_t prflxCount = 0;
    std::array<uint8_t, stun::kMaxMessage> buf{};

    explicit Impl(Agent& agent) : a(agent) {
        pairs.reserve(kMaxPairs);
        firstValidAt.fill(kNever);
    }

    // --- helpers -----------------------------------------------------------
    const Candidate& localOf(const Pair& p) const { return a.locals_[p.local]; }
    const Candidate& remoteOf(const Pair& p) const { return a.remotes_[p.remote]; }
    uint8_t componentOf(const Pair& p) const { return localOf(p).component; }

    // RFC 8445 §7.1.1: PRIORITY is what a peer-reflexive candidate of this
    // base would have.
    uint32_t prflxPriority(uint16_t local) const {
        const Candidate& c = a.locals_[local];
        return candidatePriority(CandidateType::PeerReflexive, uint16_t(c.priority >> 8),
                                 c.component);
    }
    uint64_t priorityOf(uint32_t localPrio, uint32_t remotePrio) const {
        return a.role_ == Role::Controlling ? pairPriority(localPrio, remotePrio)
                                            : pairPriority(remotePrio, localPrio);
    }
    void reprioritise() {
        for (auto& p : pairs) p.priority = priorityOf(localOf(p).priority, remoteOf(p).priority);
    }
    bool sameFoundation(const Pair& x, const Pair& y) const {
        return localOf(x).foundation == localOf(y).foundation &&
               remoteOf(x).foundation == remoteOf(y).foundation;
    }
    bool componentDone(uint8_t c) const {
        const Selection& s = sel[c - 1];
        return s.valid && s.gen == cur.id;
    }
    Generation* generation(uint32_t id) {
        if (cur.id == id) return &cur;
        if (prev && prev->id == id) return &*prev;
        return nullptr;
    }

    void setState(AgentState s) {
        if (a.state_ == s) return;
        a.state_ = s;
        if (s == AgentState::Failed) {
            // Terminal until a restart: no more checks (incoming ones are
            // still answered), so a failed agent costs no timers.
            a.counters_.failures++;
            for (auto& p : pairs) p.tx.active = false;
            for (size_t i = 0; i < trigCount; i++)
                pairs[triggered[(trigHead + i) % triggered.size()]].queued = false;
            trigHead = trigCount = 0;
        }
        a.events_.stateChanged(s);
    }

    MonoTime consentDelay(MonoTime now, const stun::TransactionId& rnd) const {
        // RFC 7675 §5.1: uniformly 0.8..1.2 of the interval.
        const auto base = a.config_.consentInterval.count();
        const long jitter = long(rnd.bytes[0] | rnd.bytes[1] << 8) % (base * 2 / 5 + 1);
        return now + milliseconds(base * 4 / 5 + jitter);
    }

    // --- generations (RFC 8445 §9) ------------------------------------------
    void newGeneration(Credentials local) {
        bool curInUse = false;
        for (const auto& s : sel) curInUse |= s.valid && s.gen == cur.id;
        if (curInUse) prev = std::move(cur);
        cur = Generation{};
        cur.id = nextGen++;
        auto key = stun::IntegrityKey::create(local.pwd);
        if (key) cur.localKey.emplace(std::move(*key));
        cur.local = std::move(local);
        pairs.clear();
        trigHead = trigCount = 0;
        a.remotes_.clear();
        remoteEnd = false;
        firstValidAt.fill(kNever);
    }

    // --- check list ---------------------------------------------------------
    void enqueue(uint16_t idx) {
        Pair& p = pairs[idx];
        if (p.queued || trigCount == triggered.size()) return;
        p.queued = true;
        triggered[(trigHead + trigCount++) % triggered.size()] = idx;
    }

    std::optional<uint16_t> findPair(uint16_t local, uint16_t remote) const {
        for (size_t i = 0; i < pairs.size(); i++)
            if (pairs[i].local == local && pairs[i].remote == remote) return uint16_t(i);
        return std::nullopt;
    }

    std::optional<uint16_t> addPair(uint16_t local, uint16_t remote) {
        if (auto i = findPair(local, remote)) return i;
        if (pairs.size() >= kMaxPairs) {
            a.counters_.pairsDropped++;
            return std::nullopt;
        }
        Pair p;
        p.local = local;
        p.remote = remote;
        p.priority = priorityOf(a.locals_[local].priority, a.remotes_[remote].priority);
        // RFC 8445 §6.1.2.6 / RFC 8838 §10: a pair starts Waiting unless one
        // of its foundation is already being checked.
        bool busy = false;
        for (const auto& q : pairs)
            busy |= (q.state == PairState::Waiting || q.state == PairState::InProgress) &&
                    sameFoundation(p, q);
        p.state = busy ? PairState::Frozen : PairState::Waiting;
        pairs.push_back(p);
        return uint16_t(pairs.size() - 1);
    }

    void pairWithLocals(uint16_t remote) {
        const Candidate& r = a.remotes_[remote];
        for (size_t l = 0; l < a.locals_.size(); l++) {
            const Candidate& lc = a.locals_[l];
            if (lc.component == r.component &&
                lc.address.address.family() == r.address.address.family())
                addPair(uint16_t(l), remote);
        }
    }

    std::optional<uint16_t> findRemote(uint8_t component, const net::Endpoint& ep) const {
        for (size_t i = 0; i < a.remotes_.size(); i++)
            if (a.remotes_[i].component == component && a.remotes_[i].address == ep)
                return uint16_t(i);
        return std::nullopt;
    }

    size_t remotesOf(uint8_t component) const {
        size_t n = 0;
        for (const auto& r : a.remotes_) n += r.component == component;
        return n;
    }

    // --- sending ------------------------------------------------------------
    void sendRequest(uint16_t local, const net::Endpoint& to, const stun::TransactionId& tid,
                     bool useCandidate, Generation& g) {
        stun::Builder b(buf, stun::Class::Request, tid);
        b.addUsername(g.remoteUfrag, g.local.ufrag);
        b.addPriority(prflxPriority(local));
        if (a.role_ == Role::Controlling) {
            b.addIceControlling(tieBreaker);
        } else {
            b.addIceControlled(tieBreaker);
        }
        if (useCandidate) b.addUseCandidate();
        b.addMessageIntegrity(*g.remoteKey);
        b.addFingerprint();
        auto wire = b.finish();
        if (wire.empty()) return;
        a.counters_.checksSent++;
        a.events_.send(local, to, wire);
    }

    void sendError(uint16_t local, const net::Endpoint& to, const stun::Message& req, uint16_t code,
                   stun::IntegrityKey* key) {
        stun::Builder b(buf, stun::Class::Error, req.transactionId, req.method);
        b.addErrorCode(code, stun::errorReasonFor(code));
        if (code == stun::error::UnknownAttribute)
            b.addUnknownAttributes(std::span(req.unknown.data(), req.unknownCount));
        if (key) b.addMessageIntegrity(*key);
        b.addFingerprint();
        auto wire = b.finish();
        if (wire.empty()) return;
        a.counters_.errorResponsesSent++;
        a.events_.send(local, to, wire);
    }

    void startCheck(uint16_t idx, MonoTime now) {
        Pair& p = pairs[idx];
        p.tx.tid = stun::TransactionId::random();
        p.tx.active = true;
        p.tx.sends = 1;
        p.tx.rto = a.config_.rto;
        p.tx.nextAt = now + p.tx.rto;
        p.tx.useCandidate = a.role_ == Role::Controlling &&
                            (a.config_.nomination == Nomination::Aggressive || p.nominating);
        p.tx.sentControlling = a.role_ == Role::Controlling;
        if (p.state != PairState::Succeeded) p.state = PairState::InProgress;
        sendRequest(p.local, remoteOf(p).address, p.tx.tid, p.tx.useCandidate, cur);
    }

    void retransmit(Pair& p, MonoTime now) {
        p.tx.sends++;
        p.tx.rto = std::min(p.tx.rto * 2, a.config_.rtoMax);
        p.tx.nextAt = now + p.tx.rto;
        a.counters_.retransmissions++;
        sendRequest(p.local, remoteOf(p).address, p.tx.tid, p.tx.useCandidate, cur);
    }

    bool canCheck() const {
        return a.config_.mode == Mode::Full && cur.remoteKey.has_value() &&
               a.state_ != AgentState::Failed;
    }

    // The next pair an ordinary check would go to (RFC 8445 §6.1.4.2): the
    // best Waiting pair, else the best Frozen one; none of a component that
    // is done.
    std::optional<uint16_t> nextOrdinary() const {
        std::optional<uint16_t> waiting, frozen;
        for (size_t i = 0; i < pairs.size(); i++) {
            const Pair& p = pairs[i];
            if (componentDone(componentOf(p))) continue;
            if (p.state == PairState::Waiting &&
                (!waiting || p.priority > pairs[*waiting].priority))
                waiting = uint16_t(i);
            if (p.state == PairState::Frozen && (!frozen || p.priority > pairs[*frozen].priority))
                frozen = uint16_t(i);
        }
        return waiting ? waiting : frozen;
    }

    bool triggeredEligible(const Pair& p) const {
        if (p.tx.active) return false;
        if (p.state == PairState::Succeeded) return p.nominating;
        return p.state == PairState::Waiting &&
               (!componentDone(componentOf(p)) || p.nominateOnSuccess);
    }

    bool hasCheckWork() const {
        if (!canCheck()) return false;
        for (size_t i = 0; i < trigCount; i++)
            if (triggeredEligible(pairs[triggered[(trigHead + i) % triggered.size()]])) return true;
        return nextOrdinary().has_value();
    }

    // RFC 8445 §6.1.4.2: one new check per Ta, triggered checks first.
    void pace(MonoTime now) {
        if (!canCheck() || now < nextPace) return;
        std::optional<uint16_t> pick;
        while (trigCount && !pick) {
            const uint16_t idx = triggered[trigHead];
            trigHead = (trigHead + 1) % triggered.size();
            trigCount--;
            pairs[idx].queued = false;
            if (triggeredEligible(pairs[idx])) pick = idx;
        }
        if (!pick) pick = nextOrdinary();
        if (!pick) return;
        startCheck(*pick, now);
        nextPace = now + a.config_.ta;
    }

    // --- selection ----------------------------------------------------------
    void select(uint8_t c, uint16_t local, const net::Endpoint& remote, uint64_t prio,
                MonoTime now) {
        Selection& s = sel[c - 1];
        const bool same =
            s.valid && s.gen == cur.id && s.pair.local == local && s.pair.remote == remote;
        s.pair.priority = prio;
        if (same) return;
        s.valid = true;
        s.gen = cur.id;
        s.pair.local = local;
        s.pair.remote = remote;
        s.lastConsent = now;
        s.consentPending = false;
        s.nextConsent = consentDelay(now, stun::TransactionId::random());
        a.counters_.nominations++;
        a.events_.selectedPairChanged(c, &s.pair);
        checkCompleted();
    }

    void checkCompleted() {
        for (uint8_t c = 1; c <= a.config_.components; c++)
            if (!componentDone(c)) return;
        // The old generation's pairs are no longer used.
        prev.reset();
        setState(AgentState::Completed);
    }

    void updateSelection(uint8_t c, MonoTime now) {
        const Pair* best = nullptr;
        for (const auto& p : pairs)
            if (componentOf(p) == c && p.state == PairState::Succeeded && p.nominated &&
                (!best || p.priority > best->priority))
                best = &p;
        if (best) select(c, best->local, remoteOf(*best).address, best->priority, now);
    }

    void switchRole(Role r) {
        a.role_ = r;
        a.counters_.roleConflicts++;
        reprioritise();
        if (r == Role::Controlled)
            for (auto& p : pairs) p.nominating = false;
    }

    // --- incoming -----------------------------------------------------------
    void onRequest(uint16_t local, const net::Endpoint& from, const stun::Message& m,
                   MonoTime now) {
        if (m.method != stun::kMethodBinding || !m.hasUsername || !m.hasIntegrity()) {
            a.counters_.malformed++;
            sendError(local, from, m, stun::error::BadRequest, nullptr);
            return;
        }
        // RFC 8445 §7.3: USERNAME is "our ufrag:their ufrag".
        const auto colon = m.username.find(':');
        const std::string_view ours = m.username.substr(0, colon);
        Generation* g = nullptr;
        if (cur.localKey && ours == cur.local.ufrag) {
            g = &cur;
        } else if (prev && prev->localKey && ours == prev->local.ufrag) {
            g = &*prev;
        }
        if (!g || colon == std::string_view::npos) {
            a.counters_.unknownUsername++;
            sendError(local, from, m, stun::error::Unauthorized, nullptr);
            return;
        }
        if (!stun::verifyIntegrity(m, *g->localKey)) {
            a.counters_.badIntegrity++;
            sendError(local, from, m, stun::error::Unauthorized, nullptr);
            return;
        }
        if (m.unknownCount) {
            a.counters_.malformed++;
            sendError(local, from, m, stun::error::UnknownAttribute, &*g->localKey);
            return;
        }
        if (!m.priority) {
            a.counters_.malformed++;
            sendError(local, from, m, stun::error::BadRequest, &*g->localKey);
            return;
        }
        a.counters_.checksReceived++;

        // RFC 8445 §7.3.1.1: role conflicts. A lite agent stays controlled.
        if (a.config_.mode == Mode::Lite) {
            if (m.iceControlled) {
                a.counters_.roleConflicts++;
                sendError(local, from, m, stun::error::RoleConflict, &*g->localKey);
                return;
            }
        } else if (a.role_ == Role::Controlling && m.iceControlling) {
            if (tieBreaker >= *m.iceControlling) {
                a.counters_.roleConflicts++;
                sendError(local, from, m, stun::error::RoleConflict, &*g->localKey);
                return;
            }
            switchRole(Role::Controlled);
        } else if (a.role_ == Role::Controlled && m.iceControlled) {
            if (tieBreaker >= *m.iceControlled) {
                switchRole(Role::Controlling);
            } else {
                a.counters_.roleConflicts++;
                sendError(local, from, m, stun::error::RoleConflict, &*g->localKey);
                return;
            }
        }

        // RFC 8445 §7.3.1.2: the success response, from where it came to.
        {
            stun::Builder b(buf, stun::Class::Success, m.transactionId);
            b.addXorMappedAddress(from);
            b.addMessageIntegrity(*g->localKey);
            b.addFingerprint();
            auto wire = b.finish();
            if (!wire.empty()) {
                a.counters_.successResponsesSent++;
                a.events_.send(local, from, wire);
            }
        }

        const uint8_t c = a.locals_[local].component;
        Selection& s = sel[c - 1];
        const bool onSelected =
            s.valid && s.gen == g->id && s.pair.local == local && s.pair.remote == from;
        if (a.config_.mode == Mode::Lite) {
            // RFC 7675 §4 does not apply to lite agents; the full peer's checks
            // are what keeps a lite agent's pair alive.
            if (onSelected) s.lastConsent = now;
            if (g != &cur) return;
            if (m.useCandidate) {
                // RFC 8445 §7.3.1.5: a lite agent takes the nominated pair as
                // it is; the highest-priority nomination wins.
                const uint64_t prio = pairPriority(*m.priority, a.locals_[local].priority);
                if (!componentDone(c) || onSelected || prio >= s.pair.priority)
                    select(c, local, from, prio, now);
            }
            return;
        }
        if (g != &cur) return;

        // RFC 8445 §7.3.1.3: a source not signalled is a peer-reflexive
        // candidate (this is how a browser's mDNS-named host is learned).
        auto r = findRemote(c, from);
        if (!r) {
            if (remotesOf(c) >= kMaxRemoteCandidatesPerComponent) {
                a.counters_.candidatesDropped++;
                return;
            }
            Candidate pc;
            char f[16];
            const int n = std::snprintf(f, sizeof f, "prflx%u", ++prflxCount);
            pc.foundation = Foundation(std::string_view(f, size_t(std::max(n, 0))));
            pc.component = c;
            pc.priority = *m.priority;
            pc.address = from;
            pc.type = CandidateType::PeerReflexive;
            a.remotes_.push_back(pc);
            a.counters_.peerReflexive++;
            r = uint16_t(a.remotes_.size() - 1);
        }
        auto idx = addPair(local, *r);
        if (!idx) return;
        Pair& p = pairs[*idx];
        const bool nominate = m.useCandidate && a.role_ == Role::Controlled;
        // RFC 8445 §7.3.1.4 and §7.3.1.5.
        if (p.state == PairState::Succeeded) {
            if (nominate && !p.nominated) {
                p.nominated = true;
                updateSelection(c, now);
            } else if (nominate && !onSelected) {
                // A controlling peer that nominates again moves its media to
                // that pair: Chromium nominates the first pair that works, then
                // the one it prefers (RFC 8445 §8.1.1 forbids it; browsers do
                // it). The pair it nominated last is the one it sends on.
                select(c, local, from, p.priority, now);
            }
            return;
        }
        if (nominate) p.nominateOnSuccess = true;
        if (p.state == PairState::InProgress) return;  // its own retransmissions go on
        p.state = PairState::Waiting;
        p.tx.active = false;
        enqueue(*idx);
    }

    void onResponse(uint16_t local, const net::Endpoint& from, const stun::Message& m,
                    MonoTime now) {
        for (size_t i = 0; i < pairs.size(); i++) {
            Pair& p = pairs[i];
            if (p.tx.active && p.tx.tid == m.transactionId)
                return onCheckResponse(p, local, from, m, now);
        }
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            Selection& s = sel[c - 1];
            if (!s.valid || !s.consentPending || !(s.consentTid == m.transactionId)) continue;
            // An unsigned error (say 401 from a peer that forgot these
            // credentials) ends the transaction and grants nothing.
            if (m.cls == stun::Class::Error && !m.hasIntegrity()) {
                s.consentPending = false;
                return;
            }
            Generation* g = generation(s.gen);
            if (!g || !g->remoteKey || !stun::verifyIntegrity(m, *g->remoteKey)) {
                a.counters_.badIntegrity++;
                return;
            }
            s.consentPending = false;
            if (m.cls == stun::Class::Success && from == s.pair.remote && local == s.pair.local)
                s.lastConsent = now;
            return;
        }
        a.counters_.unmatchedResponses++;
    }

    void onCheckResponse(Pair& p, uint16_t local, const net::Endpoint& from, const stun::Message& m,
                         MonoTime now) {
        // RFC 8489 §9.1.4: a response is believed only with valid integrity;
        // an error response without any is still the end of the transaction
        // (guessing the 96-bit transaction id takes an on-path attacker).
        const bool authentic = m.hasIntegrity() && stun::verifyIntegrity(m, *cur.remoteKey);
        if (m.hasIntegrity() && !authentic) {
            a.counters_.badIntegrity++;
            return;
        }
        if (m.cls == stun::Class::Success && !authentic) {
            a.counters_.badIntegrity++;
            return;
        }
        const uint8_t c = componentOf(p);
        p.tx.active = false;
        // RFC 8445 §7.2.5.2.1: addresses must be symmetric.
        if (from != remoteOf(p).address || local != p.local) {
            p.state = PairState::Failed;
            p.nominating = false;
            return;
        }
        if (m.cls == stun::Class::Error) {
            if (*m.errorCode == stun::error::RoleConflict && authentic) {
                // RFC 8445 §7.2.5.1: switch to the other role (if not done
                // already) and check the pair again.
                const Role sent = p.tx.sentControlling ? Role::Controlling : Role::Controlled;
                if (a.role_ == sent) {
                    switchRole(sent == Role::Controlling ? Role::Controlled : Role::Controlling);
                } else {
                    a.counters_.roleConflicts++;
                }
                if (p.state != PairState::Succeeded) p.state = PairState::Waiting;
                enqueue(uint16_t(&p - pairs.data()));
                return;
            }
            p.state = PairState::Failed;
            p.nominating = false;
            return;
        }
        // Success (RFC 8445 §7.2.5.3). A mapped address other than the local
        // candidate would be a local peer-reflexive candidate; media is sent
        // from the base either way, so the checked pair is the valid pair.
        p.state = PairState::Succeeded;
        if (p.tx.useCandidate || p.nominateOnSuccess) p.nominated = true;
        p.nominating = false;
        if (firstValidAt[c - 1] == kNever) firstValidAt[c - 1] = now;
        for (auto& q : pairs)
            if (q.state == PairState::Frozen && sameFoundation(p, q)) q.state = PairState::Waiting;
        Selection& s = sel[c - 1];
        if (s.valid && s.pair.local == p.local && s.pair.remote == from) s.lastConsent = now;
        updateSelection(c, now);
    }

    // --- timers -------------------------------------------------------------
    void runNomination(MonoTime now) {
        if (a.config_.mode != Mode::Full || a.role_ != Role::Controlling ||
            a.config_.nomination != Nomination::Regular)
            return;
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            if (componentDone(c)) continue;
            Pair* best = nullptr;
            bool busy = false;
            for (auto& p : pairs) {
                if (componentOf(p) != c) continue;
                busy |= p.nominating || p.nominated;
                if (p.state == PairState::Succeeded && (!best || p.priority > best->priority))
                    best = &p;
            }
            if (!best || busy) continue;
            bool betterPending = false;
            for (const auto& p : pairs)
                betterPending |= componentOf(p) == c && p.priority > best->priority &&
                                 (p.state == PairState::Frozen || p.state == PairState::Waiting ||
                                  p.state == PairState::InProgress);
            if (betterPending && now < firstValidAt[c - 1] + a.config_.nominationWait) continue;
            best->nominating = true;
            enqueue(uint16_t(best - pairs.data()));
        }
    }

    MonoTime nominationDeadline() const {
        if (a.config_.mode != Mode::Full || a.role_ != Role::Controlling ||
            a.config_.nomination != Nomination::Regular)
            return kNever;
        MonoTime t = kNever;
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            if (componentDone(c) || firstValidAt[c - 1] == kNever) continue;
            bool busy = false, valid = false;
            for (const auto& p : pairs) {
                if (componentOf(p) != c) continue;
                busy |= p.nominating || p.nominated;
                valid |= p.state == PairState::Succeeded;
            }
            if (valid && !busy) t = std::min(t, firstValidAt[c - 1] + a.config_.nominationWait);
        }
        return t;
    }

    void runConsent(MonoTime now) {
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            Selection& s = sel[c - 1];
            if (!s.valid) continue;
            if (now >= s.lastConsent + a.config_.consentExpiry) {
                // RFC 7675 §5.1: consent expired; media to it stops.
                s.valid = false;
                s.consentPending = false;
                a.counters_.consentExpired++;
                if (s.gen == cur.id) {
                    for (auto& p : pairs) {
                        if (p.local == s.pair.local && remoteOf(p).address == s.pair.remote) {
                            p.state = PairState::Failed;
                            p.nominated = false;
                            p.tx.active = false;
                        }
                    }
                }
                a.events_.selectedPairChanged(c, nullptr);
                setState(AgentState::Disconnected);
                continue;
            }
            if (a.config_.mode != Mode::Full || now < s.nextConsent) continue;
            Generation* g = generation(s.gen);
            s.consentTid = stun::TransactionId::random();
            s.nextConsent = consentDelay(now, s.consentTid);
            if (!g || !g->remoteKey) continue;
            s.consentPending = true;
            a.counters_.consentChecksSent++;
            sendRequest(s.pair.local, s.pair.remote, s.consentTid, false, *g);
        }
    }

    void runTransactions(MonoTime now) {
        for (auto& p : pairs) {
            if (!p.tx.active || now < p.tx.nextAt) continue;
            if (p.tx.sends >= a.config_.maxTransmissions) {
                p.tx.active = false;
                a.counters_.checkTimeouts++;
                p.nominating = false;
                // A nomination check that timed out leaves the pair valid.
                if (p.state != PairState::Succeeded) p.state = PairState::Failed;
                continue;
            }
            retransmit(p, now);
        }
    }

    void runFailure(MonoTime now) {
        if (a.state_ != AgentState::Checking) return;
        if (now >= checkingSince + a.config_.failTimeout) return setState(AgentState::Failed);
        // RFC 8445 §8.1.2 / RFC 8838 §8: with every candidate known and every
        // pair of a component failed, that component (and ICE) failed.
        if (a.config_.mode != Mode::Full || !remoteEnd || !cur.remoteKey) return;
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            if (componentDone(c)) continue;
            // A component without any pair waits for the timeout: the peer's
            // checks may still teach a peer-reflexive candidate (a browser
            // that signalled only mDNS names).
            bool any = false, alive = false;
            for (const auto& p : pairs) {
                if (componentOf(p) != c) continue;
                any = true;
                alive |= p.state != PairState::Failed;
            }
            if (any && !alive) return setState(AgentState::Failed);
        }
    }

    MonoTime deadline() const {
        MonoTime t = kNever;
        for (const auto& p : pairs)
            if (p.tx.active) t = std::min(t, p.tx.nextAt);
        for (uint8_t c = 1; c <= a.config_.components; c++) {
            const Selection& s = sel[c - 1];
            if (!s.valid) continue;
            t = std::min(t, s.lastConsent + a.config_.consentExpiry);
            if (a.config_.mode == Mode::Full) t = std::min(t, s.nextConsent);
        }
        if (hasCheckWork()) t = std::min(t, nextPace);
        t = std::min(t, nominationDeadline());
        if (a.state_ == AgentState::Checking)
            t = std::min(t, checkingSince + a.config_.failTimeout);
        return t;
    }

    void startChecking(MonoTime now) {
        if (a.state_ == AgentState::New) {
            checkingSince = now;
            setState(AgentState::Checking);
        }
    }
};

Agent::Agent(const AgentConfig& config, Credentials local, AgentEvents& events)
    : config_(config), events_(events), role_(config.role), impl_(std::make_unique<Impl>(*this)) {
    if (config_.components < 1) config_.components = 1;
    if (config_.components > kMaxComponents) config_.components = kMaxComponents;
    if (config_.maxTransmissions < 1) config_.maxTransmissions = 1;
    // RFC 8445 §6.1.1: a lite agent is controlled.
    if (config_.mode == Mode::Lite) role_ = Role::Controlled;
    impl_->tieBreaker = config_.tieBreaker;
    while (impl_->tieBreaker == 0) {
        uint8_t b[8];
        crypto::randomBytes(b);
        for (uint8_t x : b) impl_->tieBreaker = impl_->tieBreaker << 8 | x;
    }
    locals_.reserve(kMaxLocalCandidates);
    remotes_.reserve(kMaxRemoteCandidatesPerComponent * config_.components);
    impl_->cur.id = impl_->nextGen++;
    auto key = stun::IntegrityKey::create(local.pwd);
    if (key) impl_->cur.localKey.emplace(std::move(*key));
    impl_->cur.local = std::move(local);
}

Agent::~Agent() = default;

const Credentials& Agent::localCredentials() const { return impl_->cur.local; }
size_t Agent::pairCount() const { return impl_->pairs.size(); }

Result<uint16_t> Agent::addLocalCandidate(uint8_t component, const net::Endpoint& address,
                                          const Foundation& foundation, uint16_t localPreference) {
    if (component < 1 || component > config_.components) return Error{"bad component"};
    if (!address.valid() || address.port == 0) return Error{"bad address"};
    if (locals_.size() >= kMaxLocalCandidates)
        return Error{"too many local candidates", Error::Kind::Overload};
    Candidate c;
    c.foundation = foundation;
    c.component = component;
    c.priority = candidatePriority(CandidateType::Host, localPreference, component);
    c.address = address;
    c.type = CandidateType::Host;
    locals_.push_back(c);
    const uint16_t idx = uint16_t(locals_.size() - 1);
    for (size_t r = 0; r < remotes_.size(); r++)
        if (remotes_[r].component == component &&
            remotes_[r].address.address.family() == address.address.family())
            impl_->addPair(idx, uint16_t(r));
    return idx;
}

Result<void> Agent::setRemoteCredentials(std::string_view ufrag, std::string_view pwd,
                                         MonoTime now) {
    if (ufrag.empty() || pwd.empty() || ufrag.size() > 256 || pwd.size() > 256)
        return Error{"bad ICE credentials"};
    Impl& m = *impl_;
    if (m.cur.remoteKey && (ufrag != m.cur.remoteUfrag || pwd != m.cur.remoteKey->password())) {
        // RFC 8445 §9: the peer restarted ICE.
        counters_.restarts++;
        m.newGeneration(m.cur.local);
        if (state_ != AgentState::New) {
            state_ = AgentState::New;  // Checking follows below, reported once
        }
    }
    auto key = stun::IntegrityKey::create(pwd);
    if (!key) return key.error();
    m.cur.remoteUfrag = std::string(ufrag);
    m.cur.remoteKey.emplace(std::move(*key));
    m.startChecking(now);
    return {};
}

void Agent::setRemoteLite(bool lite) {
    impl_->remoteLite = lite;
    // RFC 8445 §6.1.1: facing a lite peer, a full agent controls.
    if (lite && config_.mode == Mode::Full && role_ != Role::Controlling) {
        role_ = Role::Controlling;
        impl_->reprioritise();
    }
}

Result<void> Agent::addRemoteCandidate(const Candidate& c, MonoTime now) {
    if (c.component < 1 || c.component > config_.components) return Error{"bad component"};
    if (!c.address.valid() || c.address.port == 0) return Error{"bad address"};
    Impl& m = *impl_;
    if (auto r = m.findRemote(c.component, c.address)) {
        Candidate& known = remotes_[*r];
        // RFC 8838 §11: a signalled candidate replaces the peer-reflexive one
        // a check taught earlier; the pairs keep their state.
        if (known.type == CandidateType::PeerReflexive && c.type != CandidateType::PeerReflexive) {
            known.foundation = c.foundation;
            known.type = c.type;
            known.priority = c.priority;
            m.reprioritise();
        }
        return {};
    }
    if (m.remotesOf(c.component) >= kMaxRemoteCandidatesPerComponent) {
        counters_.candidatesDropped++;
        return Error{"too many remote candidates", Error::Kind::Overload};
    }
    remotes_.push_back(c);
    m.pairWithLocals(uint16_t(remotes_.size() - 1));
    (void)now;
    return {};
}

void Agent::endOfRemoteCandidates(MonoTime now) {
    impl_->remoteEnd = true;
    impl_->runFailure(now);
}

void Agent::restart(Credentials local, MonoTime now) {
    counters_.restarts++;
    impl_->newGeneration(std::move(local));
    (void)now;
    impl_->setState(AgentState::New);
}

MonoTime Agent::onDatagram(uint16_t local, const net::Endpoint& from,
                           std::span<const uint8_t> bytes, MonoTime now) {
    Impl& m = *impl_;
    if (local >= locals_.size()) return m.deadline();
    auto msg = stun::parse(bytes);
    if (!msg) {
        counters_.malformed++;
        return m.deadline();
    }
    switch (msg->cls) {
        case stun::Class::Request:
            m.onRequest(local, from, *msg, now);
            break;
        case stun::Class::Success:
        case stun::Class::Error:
            m.onResponse(local, from, *msg, now);
            break;
        case stun::Class::Indication:
            counters_.indications++;
            break;
    }
    m.runNomination(now);
    m.pace(now);
    return m.deadline();
}

MonoTime Agent::onTimer(MonoTime now) {
    Impl& m = *impl_;
    m.runTransactions(now);
    m.runConsent(now);
    m.runNomination(now);
    m.pace(now);
    m.runFailure(now);
    return m.deadline();
}

MonoTime Agent::nextDeadline() const { return impl_->deadline(); }

const SelectedPair* Agent::selected(uint8_t component) const {
    if (component < 1 || component > config_.components) return nullptr;
    const auto& s = impl_->sel[component - 1];
    return s.valid ? &s.pair : nullptr;
}

}  // namespace ngm::ice
