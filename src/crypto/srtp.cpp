#include "crypto/srtp.h"

#include <cstring>

namespace ngm::crypto {

namespace {

constexpr size_t kSaltLen = 14;     // AES-CM session salt (RFC 3711 §4.3.3)
constexpr size_t kGcmSaltLen = 12;  // RFC 7714 §11
constexpr size_t kRtpHeader = 12;
constexpr size_t kRtcpHeader = 8;
constexpr size_t kSrtcpIndexLen = 4;
constexpr uint32_t kSrtcpEBit = 0x80000000u;
constexpr uint32_t kSrtcpIndexMask = 0x7fffffffu;

constexpr SrtpSuiteInfo kSuites[] = {
    {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, true, false},
    {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, true, false},
    {"AES_192_CM_HMAC_SHA1_80", 24, 14, 10, 10, true, false},
    {"AES_192_CM_HMAC_SHA1_32", 24, 14, 4, 10, true, false},
    {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, true, false},
    {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, true, false},
    {"NULL_HMAC_SHA1_80", 16, 14, 10, 10, false, false},
    {"NULL_HMAC_SHA1_32", 16, 14, 4, 10, false, false},
    {"AEAD_AES_128_GCM", 16, 12, 16, 16, true, true},
    {"AEAD_AES_256_GCM", 32, 12, 16, 16, true, true},
};

uint16_t load16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t load32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void store32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

// RTP header length (fixed part, CSRCs, extension) of the first n octets;
// 0 if it overruns them.
size_t rtpHeaderLen(const uint8_t* p, size_t n) {
    if (n < kRtpHeader) return 0;
    size_t h = kRtpHeader + 4 * size_t(p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (n < h + 4) return 0;
        h += 4 + 4 * size_t(load16(p + h + 2));
    }
    return h <= n ? h : 0;
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
void aesCmIv(uint8_t (&iv)[kAesBlock], const uint8_t* salt, uint32_t ssrc, uint64_t index) {
    std::memcpy(iv, salt, kSaltLen);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[8 + i] ^= uint8_t(index >> (40 - 8 * i));
}

// RFC 7714 §8.1 (SRTP: 00 00 || SSRC || ROC || SEQ) and §9.1 (SRTCP:
// 00 00 || SSRC || 00 00 || 0 || index), XOR the 12-octet salt. Both are
// 00 00 || SSRC || a 48-bit number.
void gcmIv(uint8_t (&iv)[AesGcm::kIvSize], const uint8_t* salt, uint32_t ssrc, uint64_t index) {
    std::memcpy(iv, salt, kGcmSaltLen);
    for (int i = 0; i < 4; ++i) iv[2 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[6 + i] ^= uint8_t(index >> (40 - 8 * i));
}

// RFC 3711 §3.3.1 / appendix A: the index of `seq`, from the highest index
// received so far. -1 if it would precede index 0 (older than anything).
int64_t estimateIndex(uint64_t highest, uint16_t seq) {
    const int64_t roc = int64_t(highest >> 16);
    const uint32_t sl = uint32_t(highest & 0xffff);
    int64_t v = roc;
    if (sl < 32768) {
        if (seq > sl && seq - sl > 32768) v = roc - 1;
    } else {
        if (sl - 32768 > seq) v = roc + 1;
    }
    if (v < 0) return -1;
    return v << 16 | seq;
}

bool isReplay(uint64_t highest, uint64_t window, uint64_t index) {
    if (index > highest) return false;
    const uint64_t d = highest - index;
    return d >= SrtpContext::kReplayWindow || (window >> d & 1);
}

void markReceived(uint64_t& highest, uint64_t& window, uint64_t index) {
    if (index > highest) {
        const uint64_t d = index - highest;
        window = d >= SrtpContext::kReplayWindow ? 1 : (window << d) | 1;
        highest = index;
    } else {
        window |= uint64_t(1) << (highest - index);
    }
}

}  // namespace

const SrtpSuiteInfo& suiteInfo(SrtpSuite suite) { return kSuites[size_t(suite)]; }

std::optional<SrtpSuite> suiteByName(std::string_view name) {
    for (size_t i = 0; i < std::size(kSuites); ++i)
        if (kSuites[i].name == name) return SrtpSuite(i);
    return std::nullopt;
}

std::string_view toString(SrtpStatus s) {
    switch (s) {
        case SrtpStatus::Ok:
            return "ok";
        case SrtpStatus::TooShort:
            return "too short";
        case SrtpStatus::NoRoom:
            return "no room for the tag";
        case SrtpStatus::AuthFailed:
            return "authentication failed";
        case SrtpStatus::Replayed:
            return "replayed";
        case SrtpStatus::CryptoError:
            return "crypto error";
    }
    return "?";
}

Result<void> deriveSessionKey(std::span<const uint8_t> masterKey,
                              std::span<const uint8_t> masterSalt, KeyLabel label,
                              std::span<uint8_t> out) {
    if (masterSalt.size() > kSaltLen) return Error{"master salt longer than 14 octets"};
    auto prf = AesCtr::create(masterKey);
    if (!prf) return prf.error();
    // key_id = label || (index DIV kdr) = label * 2^48 with kdr 0; x = key_id
    // XOR master_salt; the PRF's IV is x * 2^16.
    uint8_t iv[kAesBlock] = {};
    std::memcpy(iv, masterSalt.data(), masterSalt.size());
    iv[7] ^= uint8_t(label);
    std::memset(out.data(), 0, out.size());
    if (!prf->apply(iv, out)) return Error{"key derivation failed"};
    return {};
}

// The session keys of one of SRTP or SRTCP.
struct SrtpContext::Keys {
    std::optional<AesCtr> ctr;
    std::optional<HmacSha1> mac;
    std::optional<AesGcm> gcm;
    uint8_t salt[kSaltLen] = {};
};

namespace {

template <class T>
struct Wiped {
    T bytes{};
    ~Wiped() { std::memset(bytes.data(), 0, bytes.size()); }
};

}  // namespace

Result<std::unique_ptr<SrtpContext>> SrtpContext::create(SrtpSuite suite,
                                                         std::span<const uint8_t> masterKey,
                                                         std::span<const uint8_t> masterSalt) {
    if (size_t(suite) >= std::size(kSuites)) return Error{"unknown SRTP suite"};
    const SrtpSuiteInfo& info = suiteInfo(suite);
    if (masterKey.size() != info.masterKeyLen)
        return Error{std::string(info.name) + ": master key must be " +
                     std::to_string(info.masterKeyLen) + " octets"};
    if (masterSalt.size() != info.masterSaltLen)
        return Error{std::string(info.name) + ": master salt must be " +
                     std::to_string(info.masterSaltLen) + " octets"};

    auto make = [&](KeyLabel enc, KeyLabel auth, KeyLabel salt) -> Result<std::unique_ptr<Keys>> {
        auto keys = std::make_unique<Keys>();
        Wiped<std::array<uint8_t, 32>> k;
        Wiped<std::array<uint8_t, kSha1Size>> a;
        const size_t saltLen = info.aead ? kGcmSaltLen : kSaltLen;
        std::span<uint8_t> key(k.bytes.data(), info.masterKeyLen);
        if (auto r = deriveSessionKey(masterKey, masterSalt, salt, {keys->salt, saltLen}); !r)
            return r.error();
        if (info.encrypts) {
            if (auto r = deriveSessionKey(masterKey, masterSalt, enc, key); !r) return r.error();
            if (info.aead) {
                auto gcm = AesGcm::create(key);
                if (!gcm) return gcm.error();
                keys->gcm.emplace(std::move(*gcm));
            } else {
                auto ctr = AesCtr::create(key);
                if (!ctr) return ctr.error();
                keys->ctr.emplace(std::move(*ctr));
            }
        }
        if (!info.aead) {
            if (auto r = deriveSessionKey(masterKey, masterSalt, auth, a.bytes); !r)
                return r.error();
            auto mac = HmacSha1::create(a.bytes);
            if (!mac) return mac.error();
            keys->mac.emplace(std::move(*mac));
        }
        return keys;
    };
    auto rtp = make(KeyLabel::RtpEncryption, KeyLabel::RtpAuth, KeyLabel::RtpSalt);
    if (!rtp) return rtp.error();
    auto rtcp = make(KeyLabel::RtcpEncryption, KeyLabel::RtcpAuth, KeyLabel::RtcpSalt);
    if (!rtcp) return rtcp.error();
    return std::unique_ptr<SrtpContext>(new SrtpContext(suite, std::move(*rtp), std::move(*rtcp)));
}

SrtpContext::SrtpContext(SrtpSuite suite, std::unique_ptr<Keys> rtp, std::unique_ptr<Keys> rtcp)
    : suite_(suite), info_(suiteInfo(suite)), rtp_(std::move(rtp)), rtcp_(std::move(rtcp)) {}

SrtpContext::~SrtpContext() {
    std::memset(rtp_->salt, 0, sizeof rtp_->salt);
    std::memset(rtcp_->salt, 0, sizeof rtcp_->salt);
}

SrtpContext::SsrcState* SrtpContext::find(SsrcTable& t, uint32_t ssrc) {
    for (auto& s : t)
        if (s.used && s.ssrc == ssrc) {
            s.lastUse = ++useClock_;
            return &s;
        }
    return nullptr;
}

// An authenticated packet's index counts as received (a first packet of
// its SSRC starts the table entry and the replay window).
void SrtpContext::noteReceived(SsrcTable& t, SsrcState* s, uint32_t ssrc, uint64_t index) {
    if (!s) {
        s = &insert(t, ssrc);
        s->highest = index;
        s->window = 1;
    } else {
        markReceived(s->highest, s->window, index);
    }
}

SrtpContext::SsrcState& SrtpContext::insert(SsrcTable& t, uint32_t ssrc) {
    SsrcState* victim = &t[0];
    for (auto& s : t) {
        if (!s.used) {
            victim = &s;
            break;
        }
        if (s.lastUse < victim->lastUse) victim = &s;
    }
    *victim = SsrcState{ssrc, true, 0, 0, ++useClock_};
    return *victim;
}

std::optional<uint32_t> SrtpContext::rolloverCounter(uint32_t ssrc) const {
    for (const auto& s : rtpSsrcs_)
        if (s.used && s.ssrc == ssrc) return uint32_t(s.highest >> 16);
    return std::nullopt;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::protectRtp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size()) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t h = rtpHeaderLen(p, len);
    if (h == 0) return SrtpStatus::TooShort;
    const size_t tagLen = info_.rtpTagLen;
    if (buf.size() - len < tagLen) return SrtpStatus::NoRoom;

    const uint16_t seq = load16(p + 2);
    const uint32_t ssrc = load32(p + 8);
    SsrcState* s = find(rtpSsrcs_, ssrc);
    uint64_t index = seq;
    if (!s) {
        s = &insert(rtpSsrcs_, ssrc);
        s->highest = seq;
    } else {
        const int64_t est = estimateIndex(s->highest, seq);
        // A sender's own sequence numbers going back past index 0 keep ROC 0.
        index = est < 0 ? seq : uint64_t(est);
        if (index > s->highest) s->highest = index;
    }
    const uint32_t roc = uint32_t(index >> 16);
    std::span<uint8_t> payload(p + h, len - h);

    if (info_.aead) {
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        gcmIv(iv, rtp_->salt, ssrc, index);
        if (!rtp_->gcm->seal(iv, {p, h}, {}, payload, tag)) return SrtpStatus::CryptoError;
        std::memcpy(p + len, tag, tagLen);
    } else {
        if (info_.encrypts) {
            uint8_t iv[kAesBlock];
            aesCmIv(iv, rtp_->salt, ssrc, index);
            if (!rtp_->ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
        }
        uint8_t rocBytes[4];
        store32(rocBytes, roc);
        uint8_t mac[kSha1Size];
        if (!rtp_->mac->compute({p, len}, rocBytes, mac)) return SrtpStatus::CryptoError;
        std::memcpy(p + len, mac, tagLen);
    }
    len += tagLen;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::unprotectRtp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size()) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = info_.rtpTagLen;
    if (len < kRtpHeader + tagLen) return SrtpStatus::TooShort;
    const size_t n = len - tagLen;
    const size_t h = rtpHeaderLen(p, n);
    if (h == 0) return SrtpStatus::TooShort;

    const uint16_t seq = load16(p + 2);
    const uint32_t ssrc = load32(p + 8);
    SsrcState* s = find(rtpSsrcs_, ssrc);
    uint64_t index = seq;  // a new SSRC starts with ROC 0
    if (s) {
        const int64_t est = estimateIndex(s->highest, seq);
        if (est < 0) return SrtpStatus::Replayed;
        index = uint64_t(est);
        if (isReplay(s->highest, s->window, index)) return SrtpStatus::Replayed;
    }
    const uint32_t roc = uint32_t(index >> 16);
    std::span<uint8_t> payload(p + h, n - h);

    if (info_.aead) {
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        std::memcpy(tag, p + n, tagLen);
        gcmIv(iv, rtp_->salt, ssrc, index);
        if (!rtp_->gcm->open(iv, {p, h}, {}, payload, tag)) return SrtpStatus::AuthFailed;
    } else {
        uint8_t rocBytes[4];
        store32(rocBytes, roc);
        uint8_t mac[kSha1Size];
        if (!rtp_->mac->compute({p, n}, rocBytes, mac)) return SrtpStatus::CryptoError;
        if (!constantTimeEqual({mac, tagLen}, {p + n, tagLen})) return SrtpStatus::AuthFailed;
        if (info_.encrypts) {
            uint8_t iv[kAesBlock];
            aesCmIv(iv, rtp_->salt, ssrc, index);
            if (!rtp_->ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
        }
    }

    noteReceived(rtpSsrcs_, s, ssrc, index);
    len = n;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::protectRtcp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size() || len < kRtcpHeader) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = info_.rtcpTagLen;
    if (buf.size() - len < kSrtcpIndexLen + tagLen) return SrtpStatus::NoRoom;

    const uint32_t ssrc = load32(p + 4);
    SsrcState* s = find(rtcpSsrcs_, ssrc);
    // The first index is 1, as libsrtp sends (its reference packets have it).
    if (!s) s = &insert(rtcpSsrcs_, ssrc);
    // RFC 3711 §3.4: the 31-bit index; keys must change before it wraps.
    const uint32_t index = uint32_t(s->highest + 1) & kSrtcpIndexMask;
    s->highest = index;
    const uint32_t eIndex = info_.encrypts ? (kSrtcpEBit | index) : index;
    uint8_t eIndexBytes[kSrtcpIndexLen];
    store32(eIndexBytes, eIndex);
    std::span<uint8_t> payload(p + kRtcpHeader, len - kRtcpHeader);

    if (info_.aead) {
        // RFC 7714 §9: header || ciphertext || tag || E||index; the AAD is
        // the header and E||index.
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        gcmIv(iv, rtcp_->salt, ssrc, index);
        if (!rtcp_->gcm->seal(iv, {p, kRtcpHeader}, eIndexBytes, payload, tag))
            return SrtpStatus::CryptoError;
        std::memcpy(p + len, tag, tagLen);
        std::memcpy(p + len + tagLen, eIndexBytes, kSrtcpIndexLen);
    } else {
        if (info_.encrypts) {
            uint8_t iv[kAesBlock];
            aesCmIv(iv, rtcp_->salt, ssrc, index);
            if (!rtcp_->ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
        }
        std::memcpy(p + len, eIndexBytes, kSrtcpIndexLen);
        uint8_t mac[kSha1Size];
        if (!rtcp_->mac->compute({p, len + kSrtcpIndexLen}, {}, mac))
            return SrtpStatus::CryptoError;
        std::memcpy(p + len + kSrtcpIndexLen, mac, tagLen);
    }
    len += kSrtcpIndexLen + tagLen;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::unprotectRtcp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size()) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = info_.rtcpTagLen;
    if (len < kRtcpHeader + kSrtcpIndexLen + tagLen) return SrtpStatus::TooShort;

    // Where E||index and the tag are differs: after the tag for AEAD
    // (RFC 7714 §9), before it otherwise (RFC 3711 §3.4).
    const size_t indexAt = info_.aead ? len - kSrtcpIndexLen : len - tagLen - kSrtcpIndexLen;
    const size_t tagAt = info_.aead ? len - kSrtcpIndexLen - tagLen : len - tagLen;
    const size_t end = len - kSrtcpIndexLen - tagLen;  // of the RTCP packet
    const uint32_t eIndex = load32(p + indexAt);
    const bool encrypted = eIndex & kSrtcpEBit;
    const uint32_t index = eIndex & kSrtcpIndexMask;
    const uint32_t ssrc = load32(p + 4);

    SsrcState* s = find(rtcpSsrcs_, ssrc);
    if (s && isReplay(s->highest, s->window, index)) return SrtpStatus::Replayed;

    if (info_.aead) {
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        std::memcpy(tag, p + tagAt, tagLen);
        gcmIv(iv, rtcp_->salt, ssrc, index);
        const std::span<const uint8_t> eIndexBytes(p + indexAt, kSrtcpIndexLen);
        const bool ok = encrypted ? rtcp_->gcm->open(iv, {p, kRtcpHeader}, eIndexBytes,
                                                     {p + kRtcpHeader, end - kRtcpHeader}, tag)
                                  : rtcp_->gcm->open(iv, {p, end}, eIndexBytes, {}, tag);
        if (!ok) return SrtpStatus::AuthFailed;
    } else {
        uint8_t mac[kSha1Size];
        if (!rtcp_->mac->compute({p, tagAt}, {}, mac)) return SrtpStatus::CryptoError;
        if (!constantTimeEqual({mac, tagLen}, {p + tagAt, tagLen})) return SrtpStatus::AuthFailed;
        if (encrypted && info_.encrypts) {
            uint8_t iv[kAesBlock];
            aesCmIv(iv, rtcp_->salt, ssrc, index);
            if (!rtcp_->ctr->apply(iv, {p + kRtcpHeader, end - kRtcpHeader}))
                return SrtpStatus::CryptoError;
        }
    }

    noteReceived(rtcpSsrcs_, s, ssrc, index);
    len = end;
    return SrtpStatus::Ok;
}

}  // namespace ngm::crypto
