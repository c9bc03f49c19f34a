#include "media/srtp_stage.h"

#include <cstring>
#include <span>

#include "common/log.h"

namespace ngm::media {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Srtp;
}  // namespace

Result<std::unique_ptr<SrtpStage>> SrtpStage::fromSdes(Direction d, const crypto::SdesCrypto& c) {
    if (!c.suite) return Error{"SRTP suite " + c.suiteName + " is not supported"};
    if (c.keyParams.empty()) return Error{"a=crypto without a key"};
    const auto& info = crypto::suiteInfo(*c.suite);
    const auto& ks = c.keyParams[0].keySalt;
    if (ks.size() != size_t(info.masterKeyLen) + info.masterSaltLen)
        return Error{"SRTP key of the wrong length"};
    std::span<const uint8_t> all(ks);
    // MKI, lifetime and the UNENCRYPTED_*/UNAUTHENTICATED_SRTP parameters.
    auto ctx = crypto::SrtpContext::create(*c.suite, all.first(info.masterKeyLen),
                                           all.subspan(info.masterKeyLen),
                                           crypto::srtpOptions(c, c.keyParams[0]));
    if (!ctx) return ctx.error();
    return std::make_unique<SrtpStage>(d, std::move(*ctx));
}

bool SrtpStage::sameKeys(const crypto::SdesCrypto& c) const {
    if (!c.suite || c.keyParams.empty()) return false;
    const auto& info = crypto::suiteInfo(*c.suite);
    const auto& ks = c.keyParams[0].keySalt;
    if (ks.size() != size_t(info.masterKeyLen) + info.masterSaltLen) return false;
    std::span<const uint8_t> all(ks);
    return ctx_->matches(*c.suite, all.first(info.masterKeyLen), all.subspan(info.masterKeyLen),
                         crypto::srtpOptions(c, c.keyParams[0]));
}

crypto::SrtpStatus SrtpStage::run(crypto::SrtpContext& c, PacketContext& p, size_t& len) {
    std::span<uint8_t> buf(p.data, p.capacity);
    if (dir_ == Direction::Decrypt)
        return p.rtp ? c.unprotectRtp(buf, len) : c.unprotectRtcp(buf, len);
    return p.rtp ? c.protectRtp(buf, len) : c.protectRtcp(buf, len);
}

// Hot path.
Verdict SrtpStage::process(PacketContext& p) {
    size_t len = p.len;
    crypto::SrtpStatus st;
    if (!previous_) {
        st = run(*ctx_, p, len);
    } else {
        // A failed unprotect leaves the buffer unspecified: the previous
        // keys get the packet as it came.
        thread_local uint8_t copy[2048];
        bool saved = p.len <= sizeof copy;
        if (saved) std::memcpy(copy, p.data, p.len);
        st = run(*ctx_, p, len);
        if (st == crypto::SrtpStatus::Ok) {
            if (++sincePrevious_ >= kPreviousKeyPackets) previous_.reset();
        } else if (saved) {
            std::memcpy(p.data, copy, p.len);
            len = p.len;
            st = run(*previous_, p, len);
        }
    }
    if (st != crypto::SrtpStatus::Ok) {
        failures_++;
        // At debug level only: forged or replayed packets must not fill the log.
        std::string_view why = crypto::toString(st);
        NGM_LOG(log::Debug, "", "SRTP%s %s failed: %.*s", p.rtp ? "" : "C",
                dir_ == Direction::Decrypt ? "decryption" : "encryption", (int)why.size(),
                why.data());
        return Verdict::Error;
    }
    p.len = len;
    return Verdict::Forward;
}

}  // namespace ngm::media
