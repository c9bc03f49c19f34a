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

    // Hot path: no allocation, no log line.
    Verdict process(PacketContext& p) override;

    Direction direction() const { return dir_; }
    const crypto::SrtpContext& context() const { return *ctx_; }
    // A re-offer that changed the line but not the keys (e.g. a session
    // parameter): the SRTP state goes on. False if the keys differ.
    bool adoptStateFrom(const SrtpStage& old) { return ctx_->adoptStateFrom(*old.ctx_); }
    // Packets refused (authentication, replay, length), by this stage.
    uint64_t failures() const { return failures_; }

  private:
    Direction dir_;
    std::unique_ptr<crypto::SrtpContext> ctx_;
    uint64_t failures_ = 0;
};

}  // namespace ngm::media
