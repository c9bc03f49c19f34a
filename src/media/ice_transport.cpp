#include "media/ice_transport.h"

#include <algorithm>

#include "common/log.h"
#include "media/packet_stream.h"

namespace ngm::media {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Ice;
}  // namespace

IceTransport::IceTransport(Options o, Changed changed)
    : opts_(std::move(o)), changed_(std::move(changed)), agent_(opts_.agent, opts_.local, *this) {
    timer_.setCallback([this] { onTimer(); });
}

IceTransport::~IceTransport() {
    timer_.cancel();
    extras_.clear();
    flushCounters();
}

IceTransport::ExtraSocket::ExtraSocket(IceTransport& owner, uint16_t local, int fd, net::DatagramIo* io)
    : owner_(owner), local_(local), fd_(fd), io_(io) {
    registered_ = io_ && fd_ >= 0 && io_->addDatagram(fd_, this);
}

IceTransport::ExtraSocket::~ExtraSocket() {
    if (registered_) io_->removeDatagram(fd_);
}

void IceTransport::ExtraSocket::onDatagram(net::Datagram& d) { owner_.onExtra(local_, d); }

void IceTransport::attach(PacketStream& rtp, PacketStream* rtcp, const ice::Foundation& foundation,
                          std::span<const ExtraAddress> extras) {
    PacketStream* streams[] = {&rtp, rtcp};
    auto add = [&](uint8_t c, const net::Endpoint& address, int fd, const ice::Foundation& f,
                   uint16_t preference) {
        PacketStream* s = streams[c - 1];
        auto index = agent_.addLocalCandidate(c, address, f, preference);
        if (!index) {
            NGM_LOG(log::Warning, opts_.logContext, "ICE: no local candidate %s for component %u: %s",
                    address.toString().c_str(), (unsigned)c, index.error().reason.c_str());
            return;
        }
        locals_[*index] = {s, fd, address, c};
        if (fd >= 0) extras_.push_back(std::make_unique<ExtraSocket>(*this, *index, fd, s->io()));
    };
    // Candidates in the order of the SDP's lines: per component, the
    // addresses in interface order, each one local preference lower.
    for (uint8_t c = 1; c <= ice::kMaxComponents; c++) {
        PacketStream* s = streams[c - 1];
        if (!s) continue;
        size_t before = agent_.localCandidates().size();
        add(c, s->local(), -1, foundation, ice::localPreferenceFor(0));
        if (agent_.localCandidates().size() > before) {
            byComponent_[c - 1] = s;
            localOf_[c - 1] = uint16_t(before);
        }
        for (size_t i = 0; i < extras.size(); i++) {
            const ExtraAddress& x = extras[i];
            int fd = c == 1 ? x.rtpFd : x.rtcpFd;
            const net::Endpoint& at = c == 1 ? x.rtpLocal : x.rtcpLocal;
            if (fd < 0 || !at.valid()) continue;
            add(c, at, fd, x.foundation, ice::localPreferenceFor(i + 1));
        }
    }
    kick();
}

void IceTransport::dropExtras() {
    // A stream whose media leaves from one of these sockets stops sending
    // there (until a new agent selects again).
    for (uint8_t c = 1; c <= ice::kMaxComponents; c++) {
        const ice::SelectedPair* p = agent_.selected(c);
        PacketStream* s = stream(c);
        if (p && s && p->local < locals_.size() && locals_[p->local].fd >= 0) s->setIcePeer(nullptr);
    }
    extras_.clear();
    for (Local& l : locals_)
        if (l.fd >= 0) l = {};
}

std::vector<int> IceTransport::extraFds() const {
    std::vector<int> out;
    for (const auto& x : extras_) out.push_back(x->fd());
    std::sort(out.begin(), out.end());
    return out;
}

PacketStream* IceTransport::stream(uint8_t component) const {
    return component >= 1 && component <= ice::kMaxComponents ? byComponent_[component - 1] : nullptr;
}

void IceTransport::kick() {
    notify_ = false;
    arm(agent_.onTimer(now()));
    flushCounters();
    if (notify_ && changed_) changed_();
}

void IceTransport::onStun(PacketStream& s, std::span<const uint8_t> datagram, const net::Endpoint& from) {
    uint16_t local = 0;
    bool found = false;
    for (uint8_t c = 0; c < ice::kMaxComponents; c++)
        if (byComponent_[c] == &s) {
            local = localOf_[c];
            found = true;
        }
    if (!found) return;
    notify_ = false;
    arm(agent_.onDatagram(local, from, datagram, now()));
    flushCounters();
    if (notify_ && changed_) changed_();
}

// What arrives on a further address's socket: STUN is a check on (or an
// answer to one from) that candidate; media and DTLS go to the stream only
// while the selected pair is on this socket (the stream then takes it from
// the pair's remote only).
void IceTransport::onExtra(uint16_t local, net::Datagram& d) {
    const Local& l = locals_[local];
    if (!l.stream || d.truncated || d.len == 0) return;
    net::Endpoint from = net::Endpoint::fromSockaddr(d.from);
    // RFC 7983: 0..3 is STUN.
    if (d.data[0] < 4) {
        notify_ = false;
        arm(agent_.onDatagram(local, from, {d.data, d.len}, now()));
        flushCounters();
        if (notify_ && changed_) changed_();
        return;
    }
    const ice::SelectedPair* p = agent_.selected(l.component);
    if (p && p->local == local) {
        l.stream->onDatagram(d);
        return;
    }
    if (WorkerStats* t = l.stream->totals()) t->add(t->iceRefused, 1);
}

void IceTransport::send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) {
    if (local >= locals_.size() || !locals_[local].stream) return;
    locals_[local].stream->sendRaw(bytes.data(), bytes.size(), to, locals_[local].fd);
}

void IceTransport::selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) {
    PacketStream* s = stream(component);
    if (!s) return;
    if (pair) {
        const Local* l = pair->local < locals_.size() ? &locals_[pair->local] : nullptr;
        int fd = l && l->stream ? l->fd : -1;
        NGM_LOG(log::Info, opts_.logContext, "ICE: component %u selected %s from %s", (unsigned)component,
                pair->remote.toString().c_str(),
                (l && l->stream ? l->address : s->local()).toString().c_str());
        s->setIcePeer(&pair->remote, fd, l ? l->address : net::Endpoint{});
    } else {
        NGM_LOG(log::Info, opts_.logContext, "ICE: component %u has no pair any more (consent lost)",
                (unsigned)component);
        s->setIcePeer(nullptr);
    }
    notify_ = true;
}

void IceTransport::stateChanged(ice::AgentState state) {
    NGM_LOG(state == ice::AgentState::Failed ? log::Warning : log::Info, opts_.logContext, "ICE %s",
            std::string(ice::agentStateName(state)).c_str());
    if (state == ice::AgentState::Failed)
        if (PacketStream* s = stream(1))
            if (WorkerStats* t = s->totals()) t->add(t->iceFailures, 1);
    notify_ = true;
}

void IceTransport::arm(MonoTime deadline) {
    timer_.cancel();
    if (!opts_.timers || deadline == MonoTime::max()) return;
    opts_.timers->armAt(timer_, deadline);
}

void IceTransport::flushCounters() {
    PacketStream* s = stream(1);
    WorkerStats* t = s ? s->totals() : nullptr;
    const ice::AgentCounters& now = agent_.counters();
    if (t) {
        auto move = [&](std::atomic<uint64_t>& total, uint64_t current, uint64_t reported) {
            if (current > reported) t->add(total, current - reported);
        };
        move(t->iceChecksSent, now.checksSent, reported_.checksSent);
        move(t->iceChecksReceived, now.checksReceived, reported_.checksReceived);
        move(t->iceChecksMalformed, now.malformed, reported_.malformed);
        move(t->iceChecksUnknownUsername, now.unknownUsername, reported_.unknownUsername);
        move(t->iceChecksBadIntegrity, now.badIntegrity, reported_.badIntegrity);
        move(t->iceConsentExpired, now.consentExpired, reported_.consentExpired);
        move(t->iceRoleConflicts, now.roleConflicts, reported_.roleConflicts);
        move(t->iceNominations, now.nominations, reported_.nominations);
    }
    reported_ = now;
}

void IceTransport::onTimer() {
    notify_ = false;
    arm(agent_.onTimer(now()));
    flushCounters();
    if (notify_ && changed_) changed_();
}

}  // namespace ngm::media
