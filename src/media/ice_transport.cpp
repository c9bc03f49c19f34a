#include "media/ice_transport.h"

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

IceTransport::~IceTransport() { timer_.cancel(); }

void IceTransport::attach(PacketStream& rtp, PacketStream* rtcp, const ice::Foundation& foundation) {
    PacketStream* streams[] = {&rtp, rtcp};
    for (uint8_t c = 1; c <= ice::kMaxComponents; c++) {
        PacketStream* s = streams[c - 1];
        if (!s) continue;
        // One logical-interface address per media today: the first local
        // preference, as the SDP's candidate lines have it.
        auto index = agent_.addLocalCandidate(c, s->local(), foundation, 65535);
        if (!index) {
            NGM_LOG(log::Warning, opts_.logContext, "ICE: no local candidate for component %u: %s",
                    (unsigned)c, index.error().reason.c_str());
            continue;
        }
        byLocal_[*index] = s;
        byComponent_[c - 1] = s;
        localOf_[c - 1] = *index;
    }
    kick();
}

PacketStream* IceTransport::stream(uint8_t component) const {
    return component >= 1 && component <= ice::kMaxComponents ? byComponent_[component - 1] : nullptr;
}

void IceTransport::kick() {
    notify_ = false;
    arm(agent_.onTimer(now()));
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
    if (notify_ && changed_) changed_();
}

void IceTransport::send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) {
    if (local >= byLocal_.size() || !byLocal_[local]) return;
    byLocal_[local]->sendRaw(bytes.data(), bytes.size(), to);
}

void IceTransport::selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) {
    PacketStream* s = stream(component);
    if (!s) return;
    if (pair) {
        NGM_LOG(log::Info, opts_.logContext, "ICE: component %u selected %s", (unsigned)component,
                pair->remote.toString().c_str());
        s->setIcePeer(&pair->remote);
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

void IceTransport::onTimer() {
    notify_ = false;
    arm(agent_.onTimer(now()));
    if (notify_ && changed_) changed_();
}

}  // namespace ngm::media
