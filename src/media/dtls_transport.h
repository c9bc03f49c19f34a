// DTLS-SRTP on a stream (RFC 5763/5764): the handshake of one media
// section's RTP component, driven by the owning worker (records from the
// stream, retransmissions on the worker's timer wheel), and the SRTP stages
// made from its exported keys once it is Connected. The engine itself is
// crypto::DtlsConnection; this is its place on the packet path.
//
// Records are taken from one peer only: the first source the handshake
// hears from (or, when we are active, answers us) becomes the DTLS peer and
// records from anywhere else are dropped and counted; once the stream's
// endpoint is confirmed, only from there. (rtpengine 10.5.3.5 takes a
// ClientHello from anyone, its advisory ES2023-03.)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "crypto/dtls.h"
#include "media/srtp_stage.h"
#include "net/address.h"
#include "net/timer_wheel.h"

namespace ngm::media {

class PacketStream;

// Where a stream hands the DTLS records it receives (StreamConfig::dtls).
class DtlsHandler {
  public:
    virtual ~DtlsHandler() = default;
    // Hot path of the stream; `from` is the record's source.
    virtual void onDtls(PacketStream& s, std::span<const uint8_t> datagram,
                        const net::Endpoint& from) = 0;
};

class DtlsTransport final : public DtlsHandler {
  public:
    struct Options {
        std::shared_ptr<const crypto::DtlsCertificate> cert;
        crypto::DtlsRole role = crypto::DtlsRole::Active;
        std::vector<crypto::Fingerprint> peerFingerprints;
        net::TimerWheel* timers = nullptr;  // the owning worker's; null: no retransmission
        std::string logContext;             // "[call-id/tag]"
    };
    // Called once the keys are there (Connected), or when the handshake
    // failed: the owner puts the stages on its streams.
    using StateChanged = std::function<void()>;

    static Result<std::unique_ptr<DtlsTransport>> create(Options o, StateChanged changed);
    ~DtlsTransport() override;
    DtlsTransport(const DtlsTransport&) = delete;
    DtlsTransport& operator=(const DtlsTransport&) = delete;

    // The stream its records go out on (the media's RTP stream). An active
    // transport sends its ClientHello to the stream's endpoint.
    void start(PacketStream& s);
    void onDtls(PacketStream& s, std::span<const uint8_t> datagram,
                const net::Endpoint& from) override;
    // close_notify to the peer (the call ends, or a re-offer replaces it).
    void close();

    // A re-offer that keeps role and fingerprints keeps the association.
    bool keeps(crypto::DtlsRole role, const std::vector<crypto::Fingerprint>& fps) const {
        return role == opts_.role && fps == opts_.peerFingerprints;
    }
    crypto::DtlsState state() const { return conn_->state(); }
    crypto::DtlsRole role() const { return opts_.role; }
    const std::string& failureReason() const { return conn_->failureReason(); }
    // Null until Connected.
    SrtpStage* decrypt() const { return decrypt_.get(); }
    SrtpStage* encrypt() const { return encrypt_.get(); }
    std::optional<crypto::SrtpProfile> profile() const { return conn_->srtpProfile(); }
    const net::Endpoint& peer() const { return peer_; }
    // Records dropped for coming from elsewhere than the peer.
    uint64_t refused() const { return refused_; }

  private:
    DtlsTransport(Options o, StateChanged changed, std::unique_ptr<crypto::DtlsConnection> c);
    void afterInput(uint64_t nowMs);
    void flush();
    void arm(uint64_t nowMs);
    void onTimer();

    Options opts_;
    StateChanged changed_;
    std::unique_ptr<crypto::DtlsConnection> conn_;
    PacketStream* stream_ = nullptr;
    net::Endpoint peer_;
    bool peerFixed_ = false;
    crypto::DtlsState reported_ = crypto::DtlsState::New;
    std::unique_ptr<SrtpStage> decrypt_, encrypt_;
    net::Timer timer_;
    uint64_t refused_ = 0;
    std::vector<uint8_t> scratch_;
};

}  // namespace ngm::media
