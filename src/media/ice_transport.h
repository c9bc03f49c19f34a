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
#include <vector>

#include "ice/agent.h"
#include "net/address.h"
#include "net/datagram_io.h"
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

    // A further address of the media's logical interface: its sockets (RTP,
    // and RTCP when there are two components) become host candidates of
    // their own, one local preference below the address before.
    struct ExtraAddress {
        int rtpFd = -1, rtcpFd = -1;
        net::Endpoint rtpLocal, rtcpLocal;
        ice::Foundation foundation;
    };

    // The media's streams, component 1 (RTP) and 2 (RTCP, null with
    // rtcp-mux): each stream's socket becomes a host candidate with
    // `foundation` (local preference 65535), then each of `extras` in
    // order (65534, ...). The extras' sockets are registered on the
    // streams' loop for as long as this lives (or until dropExtras): STUN
    // arriving there goes to the agent as checks on their candidates, and
    // media there reaches the stream while the selected pair is on that
    // socket. The sockets must outlive the registration. Called once,
    // after the streams are attached.
    void attach(PacketStream& rtp, PacketStream* rtcp, const ice::Foundation& foundation,
                std::span<const ExtraAddress> extras = {});
    // The extras' sockets are going away: off the loop, their candidates
    // get nothing any more (the owner makes a new transport to change them).
    void dropExtras();
    // The sockets of the extras as attached, sorted, for the owner to see
    // whether they are still its own.
    std::vector<int> extraFds() const;

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
    // A further address's socket on the loop: hands what arrives to onExtra.
    class ExtraSocket final : public net::DatagramHandler {
      public:
        ExtraSocket(IceTransport& owner, uint16_t local, int fd, net::DatagramIo* io);
        ~ExtraSocket() override;
        ExtraSocket(const ExtraSocket&) = delete;
        ExtraSocket& operator=(const ExtraSocket&) = delete;
        void onDatagram(net::Datagram& d) override;
        int fd() const { return fd_; }

      private:
        IceTransport& owner_;
        uint16_t local_;
        int fd_;
        net::DatagramIo* io_;
        bool registered_ = false;
    };
    // What a local candidate is: its component's stream, and the socket it
    // stands for (-1: the stream's own).
    struct Local {
        PacketStream* stream = nullptr;
        int fd = -1;
        net::Endpoint address;
        uint8_t component = 0;
    };

    void onExtra(uint16_t local, net::Datagram& d);
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override;
    void selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) override;
    void stateChanged(ice::AgentState state) override;
    MonoTime now() const { return opts_.clock ? opts_.clock() : monoNow(); }
    void arm(MonoTime deadline);
    void onTimer();
    // Adds what the agent's counters moved by since the last call to the
    // worker's totals (after each agent call: at check rates).
    void flushCounters();

    Options opts_;
    Changed changed_;
    ice::Agent agent_;
    // Local candidate index (addLocalCandidate) → its stream and socket.
    std::array<Local, ice::kMaxLocalCandidates> locals_{};
    std::vector<std::unique_ptr<ExtraSocket>> extras_;
    std::array<PacketStream*, ice::kMaxComponents> byComponent_{};
    std::array<uint16_t, ice::kMaxComponents> localOf_{};
    net::Timer timer_;
    bool notify_ = false;
    ice::AgentCounters reported_{};
};

}  // namespace ngm::media
