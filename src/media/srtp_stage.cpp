#include "media/srtp_stage.h"

#include <span>

namespace ngm::media {

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

// Hot path.
Verdict SrtpStage::process(PacketContext& p) {
    std::span<uint8_t> buf(p.data, p.capacity);
    size_t len = p.len;
    crypto::SrtpStatus st;
    if (dir_ == Direction::Decrypt)
        st = p.rtp ? ctx_->unprotectRtp(buf, len) : ctx_->unprotectRtcp(buf, len);
    else
        st = p.rtp ? ctx_->protectRtp(buf, len) : ctx_->protectRtcp(buf, len);
    if (st != crypto::SrtpStatus::Ok) {
        failures_++;
        return Verdict::Error;
    }
    p.len = len;
    return Verdict::Forward;
}

}  // namespace ngm::media
