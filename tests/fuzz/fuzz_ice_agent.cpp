// An ICE agent fed arbitrary datagrams, timer ticks and signalling. The input
// is a list of operations (first octet of each):
//   0 raw datagram: local, source, 1-octet length, octets
//   1 clock: advance by octet * 10 ms, then the timer
//   2 remote candidate: component, source, priority octet
//   3 remote credentials: variant octet (a different one is a restart)
//   4 local restart      5 end-of-candidates
//   6 a check signed with the local password: local, source, flags, tie-breaker octet
//   7 a response to the last request the agent sent, signed with the remote
//     password: flags (success or error 487/400), source
// so that the fuzzer gets past integrity. The agent must never crash, keep
// within its caps, select only an address it has seen, and say when it
// wants the timer next.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "ice/agent.h"

using namespace ngm;
using namespace ngm::ice;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_ice_agent: %s\n", what);
        std::abort();
    }
}

net::Endpoint source(uint8_t sel) {
    static const char* addrs[] = {"10.0.1.1", "10.0.1.2", "fd00::1", "203.0.113.5"};
    return {*net::IpAddress::parse(addrs[sel % 4]), uint16_t(2000 + (sel >> 2))};
}

struct Sink : AgentEvents {
    std::vector<uint8_t> lastRequest;
    uint16_t lastLocal = 0;
    net::Endpoint lastTo;
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override {
        auto m = stun::parse(bytes);
        check(m.ok(), "agent sent an unparseable message");
        if (m->cls == stun::Class::Request) {
            lastRequest.assign(bytes.begin(), bytes.end());
            lastLocal = local;
            lastTo = to;
        }
    }
    void selectedPairChanged(uint8_t, const SelectedPair*) override {}
    void stateChanged(AgentState) override {}
};

const char* kLocalUfrag = "localufr";
const char* kLocalPwd = "local-password-0123456789";
const char* kRemotePwd[2] = {"remote-password-012345678", "second-password-012345678"};
const char* kRemoteUfrag[2] = {"remoteuf", "remote2u"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Sink sink;
    AgentConfig cfg;
    cfg.components = 2;
    cfg.tieBreaker = 0x8000000000000000ull;
    size_t i = 0;
    auto next = [&]() -> uint8_t { return i < size ? data[i++] : 0; };
    const uint8_t setup = next();
    cfg.mode = setup & 1 ? Mode::Lite : Mode::Full;
    cfg.role = setup & 2 ? Role::Controlled : Role::Controlling;
    cfg.nomination = setup & 4 ? Nomination::Aggressive : Nomination::Regular;
    Agent a(cfg, Credentials{kLocalUfrag, kLocalPwd}, sink);
    (void)a.addLocalCandidate(1, {*net::IpAddress::parse("10.0.0.1"), 1000}, Foundation("A"),
                              65535);
    (void)a.addLocalCandidate(2, {*net::IpAddress::parse("10.0.0.1"), 1001}, Foundation("A"),
                              65535);
    (void)a.addLocalCandidate(1, {*net::IpAddress::parse("fd00::2"), 1000}, Foundation("B"), 65534);
    MonoTime now{};
    int variant = 0;
    std::string localUfrag = kLocalUfrag, localPwd = kLocalPwd;
    auto localKey = stun::IntegrityKey::create(localPwd).value();
    uint8_t buf[stun::kMaxMessage];

    while (i < size) {
        const uint8_t op = next() % 8;
        switch (op) {
            case 0: {
                const uint16_t local = next() % 3;
                const auto from = source(next());
                size_t len = next();
                if (len > size - i) len = size - i;
                (void)a.onDatagram(local, from, std::span(data + i, len), now);
                i += len;
                break;
            }
            case 1:
                now += std::chrono::milliseconds(10 * next());
                // Whatever was due has run: the next deadline is later (no
                // busy loop for the worker).
                check(a.onTimer(now) > now, "timer due again at once");
                break;
            case 2: {
                Candidate c;
                c.component = uint8_t(1 + next() % 2);
                c.address = source(next());
                c.priority = uint32_t(next()) << 24;
                c.foundation = Foundation("R");
                (void)a.addRemoteCandidate(c, now);
                break;
            }
            case 3:
                variant = next() & 1;
                (void)a.setRemoteCredentials(kRemoteUfrag[variant], kRemotePwd[variant], now);
                break;
            case 4:
                localUfrag = localUfrag == kLocalUfrag ? "restartu" : kLocalUfrag;
                localPwd = localUfrag == kLocalUfrag ? kLocalPwd : "restart-password-01234567";
                localKey = stun::IntegrityKey::create(localPwd).value();
                a.restart(Credentials{localUfrag, localPwd}, now);
                break;
            case 5:
                a.endOfRemoteCandidates(now);
                break;
            case 6: {
                const uint16_t local = next() % 3;
                const auto from = source(next());
                const uint8_t flags = next();
                stun::Builder b(buf, stun::Class::Request, stun::TransactionId::random());
                b.addUsername(localUfrag, kRemoteUfrag[variant]);
                if (!(flags & 1)) b.addPriority(uint32_t(flags) << 20);
                if (flags & 2) b.addUseCandidate();
                if (flags & 4) {
                    b.addIceControlling(uint64_t(next()) << 56);
                } else if (flags & 8) {
                    b.addIceControlled(uint64_t(next()) << 56);
                }
                b.addMessageIntegrity(localKey);
                b.addFingerprint();
                (void)a.onDatagram(local, from, b.finish(), now);
                break;
            }
            case 7: {
                const uint8_t flags = next();
                const uint8_t src = next();
                auto req = stun::parse(sink.lastRequest);
                if (!req) break;
                auto key = stun::IntegrityKey::create(kRemotePwd[variant]).value();
                const bool error = flags & 1;
                stun::Builder b(buf, error ? stun::Class::Error : stun::Class::Success,
                                req->transactionId);
                if (error) {
                    b.addErrorCode(flags & 2 ? 487 : 400, "x");
                } else {
                    b.addXorMappedAddress(sink.lastTo);
                }
                b.addMessageIntegrity(key);
                b.addFingerprint();
                const auto from = flags & 4 ? source(src) : sink.lastTo;
                (void)a.onDatagram(sink.lastLocal, from, b.finish(), now);
                break;
            }
        }
        check(a.remoteCandidateCount() <= kMaxRemoteCandidatesPerComponent * cfg.components,
              "remote candidates over the cap");
        check(a.pairCount() <= kMaxPairs, "pairs over the cap");
        for (uint8_t c = 1; c <= 2; c++) {
            if (const SelectedPair* p = a.selected(c)) {
                check(p->remote.valid(), "selected pair without an address");
                check(p->local < a.localCandidates().size(), "selected pair with a bad local");
            }
        }
    }
    return 0;
}
