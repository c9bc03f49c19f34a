// SRTP in the packet path: the Decrypt slot's stage (SRTP/SRTCP from the
// participant → plain) and the egress stage (plain → SRTP/SRTCP towards the
// participant), each over one crypto::SrtpContext. A packet that does not
// authenticate, replays, or is too short is an Error: counted on the
// stream, never forwarded, never learned from.
#pragma once

#include <cstdint>
#include <memory>

#include "common/result.h"
#include "crypto/sdes.h"
#include "crypto/srtp.h"
#include "media/stage.h"

namespace ngm::media {

class SrtpStage final : public Stage {
  public:
    enum class Direction : uint8_t { Decrypt, Encrypt };

    SrtpStage(Direction d, std::unique_ptr<crypto::SrtpContext> ctx)
        : dir_(d), ctx_(std::move(ctx)) {}
    // From an SDES line: its first key-param's master key and salt.
    static Result<std::unique_ptr<SrtpStage>> fromSdes(Direction d, const crypto::SdesCrypto& c);

    // Hot path: no allocation, no log line at the default level (a refused
    // packet is a debug line of the srtp subsystem).
    Verdict process(PacketContext& p) override;

    Direction direction() const { return dir_; }
    const crypto::SrtpContext& context() const { return *ctx_; }
    // A re-offer that changed the line but not the keys (e.g. a session
    // parameter): the SRTP state goes on. False if the keys differ.
    bool adoptStateFrom(const SrtpStage& old) { return ctx_->adoptStateFrom(*old.ctx_); }
    // Whether fromSdes(c) would make a stage that transforms as this one
    // (the line may differ in what does not change the transform, e.g. its
    // tag): the caller keeps this one and its state. Nothing is derived.
    bool sameKeys(const crypto::SdesCrypto& c) const;
    // Re-keying (Decrypt): the keys this stage replaces stay usable for
    // packets still under them (sent before the peer switched, or reordered
    // across the switch), until kPreviousKeyPackets have authenticated under
    // the new keys. No gap, and nothing unauthentic forwarded.
    static constexpr uint32_t kPreviousKeyPackets = 100;
    void keepPrevious(SrtpStage&& old) { previous_ = std::move(old.ctx_); }
    bool hasPrevious() const { return previous_ != nullptr; }
    // Packets refused (authentication, replay, length), by this stage.
    uint64_t failures() const { return failures_; }

  private:
    crypto::SrtpStatus run(crypto::SrtpContext& c, PacketContext& p, size_t& len);

    Direction dir_;
    std::unique_ptr<crypto::SrtpContext> ctx_;
    std::unique_ptr<crypto::SrtpContext> previous_;
    uint32_t sincePrevious_ = 0;
    uint64_t failures_ = 0;
};

}  // namespace ngm::media
