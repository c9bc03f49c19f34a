// ICE on a media section's streams (RFC 8445): the place of an ice::Agent
// on the packet path. The agent is pure logic; this feeds it the STUN
// datagrams that arrive on the media's sockets (RTP component, and RTCP
// when rtcp-mux is not used), sends what it has to say from those sockets,
// runs its timers on the owning worker's wheel, and hands the pair it
// selects to the stream as the only destination (and source) of media.
//
// While ICE is in use endpoint learning does not choose where media goes:
// before a pair is selected, and after its consent expired, nothing is sent
// to the participant and nothing received is relayed.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "ice/agent.h"
#include "net/address.h"
#include "net/timer_wheel.h"

namespace ngm::media {

class PacketStream;

// Where a stream hands the STUN datagrams it receives (StreamConfig::ice).
class IceHandler {
  public:
    virtual ~IceHandler() = default;
    // Hot path of the stream (at check rates, not media rates).
    virtual void onStun(PacketStream& s, std::span<const uint8_t> datagram,
                        const net::Endpoint& from) = 0;
};

class IceTransport final : public IceHandler, private ice::AgentEvents {
  public:
    struct Options {
        ice::AgentConfig agent;
        ice::Credentials local;
        net::TimerWheel* timers = nullptr;  // the owning worker's; null: no checks of our own
        std::string logContext;             // "[call-id/tag]"
        std::function<MonoTime()> clock;    // null: monoNow (tests give their own)
    };
    // Called after the agent's state or a selected pair changed (the owner
    // may start a DTLS handshake on the selected pair).
    using Changed = std::function<void()>;

    IceTransport(Options o, Changed changed);
    ~IceTransport() override;
    IceTransport(const IceTransport&) = delete;
    IceTransport& operator=(const IceTransport&) = delete;

    // The media's streams, component 1 (RTP) and 2 (RTCP, null with
    // rtcp-mux): each stream's socket becomes a host candidate with
    // `foundation`. Called once, after the streams are attached.
    void attach(PacketStream& rtp, PacketStream* rtcp, const ice::Foundation& foundation);

    // Signalling feeds the agent directly, then calls kick() so that new
    // work (checks for new candidates, a restart) is scheduled.
    ice::Agent& agent() { return agent_; }
    const ice::Agent& agent() const { return agent_; }
    void kick();

    void onStun(PacketStream& s, std::span<const uint8_t> datagram, const net::Endpoint& from) override;

    uint8_t components() const { return opts_.agent.components; }
    // The stream of `component` (1 or 2), null if there is none.
    PacketStream* stream(uint8_t component) const;

  private:
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override;
    void selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) override;
    void stateChanged(ice::AgentState state) override;
    MonoTime now() const { return opts_.clock ? opts_.clock() : monoNow(); }
    void arm(MonoTime deadline);
    void onTimer();

    Options opts_;
    Changed changed_;
    ice::Agent agent_;
    // Local candidate index (addLocalCandidate) → its stream.
    std::array<PacketStream*, ice::kMaxLocalCandidates> byLocal_{};
    std::array<PacketStream*, ice::kMaxComponents> byComponent_{};
    std::array<uint16_t, ice::kMaxComponents> localOf_{};
    net::Timer timer_;
    bool notify_ = false;
};

}  // namespace ngm::media
