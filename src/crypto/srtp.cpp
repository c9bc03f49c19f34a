#include "crypto/srtp.h"

#include <algorithm>
#include <bit>
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
    {"AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10, true, false, false},
    {"AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10, true, false, false},
    {"AES_192_CM_HMAC_SHA1_80", 24, 14, 10, 10, true, false, false},
    {"AES_192_CM_HMAC_SHA1_32", 24, 14, 4, 10, true, false, false},
    {"AES_256_CM_HMAC_SHA1_80", 32, 14, 10, 10, true, false, false},
    {"AES_256_CM_HMAC_SHA1_32", 32, 14, 4, 10, true, false, false},
    {"F8_128_HMAC_SHA1_80", 16, 14, 10, 10, true, false, true},
    {"F8_128_HMAC_SHA1_32", 16, 14, 4, 10, true, false, true},
    {"NULL_HMAC_SHA1_80", 16, 14, 10, 10, false, false, false},
    {"NULL_HMAC_SHA1_32", 16, 14, 4, 10, false, false, false},
    {"AEAD_AES_128_GCM", 16, 12, 16, 16, true, true, false},
    {"AEAD_AES_256_GCM", 32, 12, 16, 16, true, true, false},
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

// Big-endian in memory, whatever the host's order.
uint32_t bigEndian32(uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(v);
    return v;
}
uint64_t bigEndian64(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
    return v;
}

// RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).
// Word-wide: octets 4..7 take the SSRC, octets 8..13 the 48-bit index.
void aesCmIv(uint8_t (&iv)[kAesBlock], const uint8_t* salt, uint32_t ssrc, uint64_t index) {
    std::memcpy(iv, salt, kSaltLen);
    iv[14] = iv[15] = 0;
    uint32_t mid;
    uint64_t low;
    std::memcpy(&mid, iv + 4, 4);
    std::memcpy(&low, iv + 8, 8);
    mid ^= bigEndian32(ssrc);
    low ^= bigEndian64(index << 16);
    std::memcpy(iv + 4, &mid, 4);
    std::memcpy(iv + 8, &low, 8);
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
        case SrtpStatus::UnknownMki:
            return "unknown MKI";
        case SrtpStatus::KeyExpired:
            return "master key lifetime expired";
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

namespace detail {

void f8SrtpIv(const uint8_t* header, uint32_t roc, uint8_t (&iv)[kAesBlock]) {
    iv[0] = 0;
    std::memcpy(iv + 1, header + 1, kRtpHeader - 1);
    store32(iv + 12, roc);
}

void f8SrtcpIv(const uint8_t* header, uint32_t eIndex, uint8_t (&iv)[kAesBlock]) {
    std::memset(iv, 0, 4);
    store32(iv + 4, eIndex);
    std::memcpy(iv + 8, header, kRtcpHeader);
}

}  // namespace detail

SrtpContext::Keys::~Keys() { std::memset(salt, 0, sizeof salt); }

// SRTCP's keys and per-SSRC state, made on its first packet.
struct SrtpContext::Rtcp {
    std::unique_ptr<Keys> keys;
    SsrcTable ssrcs{};
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
                                                         std::span<const uint8_t> masterSalt,
                                                         const SrtpOptions& options) {
    if (size_t(suite) >= std::size(kSuites)) return Error{"unknown SRTP suite"};
    const SrtpSuiteInfo& info = suiteInfo(suite);
    if (masterKey.size() != info.masterKeyLen)
        return Error{std::string(info.name) + ": master key must be " +
                     std::to_string(info.masterKeyLen) + " octets"};
    if (masterSalt.size() != info.masterSaltLen)
        return Error{std::string(info.name) + ": master salt must be " +
                     std::to_string(info.masterSaltLen) + " octets"};
    if (options.mki.size() > kMaxMki) return Error{"MKI longer than 128 octets"};
    // RFC 7714: GCM's tag is part of its cipher; there is no unauthenticated AEAD.
    if (options.unauthenticatedSrtp && info.aead)
        return Error{std::string(info.name) + ": UNAUTHENTICATED_SRTP is not possible"};

    auto rtp = makeKeys(info, masterKey, masterSalt, false);
    if (!rtp) return rtp.error();
    return std::unique_ptr<SrtpContext>(
        new SrtpContext(suite, std::move(*rtp), masterKey, masterSalt, options));
}

Result<std::unique_ptr<SrtpContext::Keys>> SrtpContext::makeKeys(const SrtpSuiteInfo& info,
                                                                 std::span<const uint8_t> masterKey,
                                                                 std::span<const uint8_t> masterSalt,
                                                                 bool rtcp) {
    const KeyLabel enc = rtcp ? KeyLabel::RtcpEncryption : KeyLabel::RtpEncryption;
    const KeyLabel auth = rtcp ? KeyLabel::RtcpAuth : KeyLabel::RtpAuth;
    const KeyLabel salt = rtcp ? KeyLabel::RtcpSalt : KeyLabel::RtpSalt;
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
        } else if (info.f8) {
            auto f8 = AesF8::create(key, {keys->salt, kSaltLen});
            if (!f8) return f8.error();
            keys->f8.emplace(std::move(*f8));
        } else {
            auto ctr = AesCtr::create(key);
            if (!ctr) return ctr.error();
            keys->ctr.emplace(std::move(*ctr));
        }
    }
    if (!info.aead) {
        if (auto r = deriveSessionKey(masterKey, masterSalt, auth, a.bytes); !r) return r.error();
        auto mac = HmacSha1::create(a.bytes);
        if (!mac) return mac.error();
        keys->mac.emplace(std::move(*mac));
    }
    return keys;
}

bool SrtpContext::ensureRtcp() {
    if (rtcp_) return true;
    const std::span<const uint8_t> m(master_.data(), info_.masterKeyLen + info_.masterSaltLen);
    auto keys = makeKeys(info_, m.first(info_.masterKeyLen), m.subspan(info_.masterKeyLen), true);
    if (!keys) return false;
    rtcp_ = std::make_unique<Rtcp>();
    rtcp_->keys = std::move(*keys);
    return true;
}

SrtpContext::SrtpContext(SrtpSuite suite, std::unique_ptr<Keys> rtp,
                         std::span<const uint8_t> masterKey, std::span<const uint8_t> masterSalt,
                         const SrtpOptions& options)
    : suite_(suite),
      info_(suiteInfo(suite)),
      rtp_(std::move(*rtp)),
      mkiLen_(uint8_t(options.mki.size())),
      rtpTagLen_(options.unauthenticatedSrtp ? 0 : info_.rtpTagLen),
      encryptRtp_(info_.encrypts && !options.unencryptedSrtp),
      encryptRtcp_(info_.encrypts && !options.unencryptedSrtcp),
      rtpLimit_(options.lifetime ? std::min(options.lifetime, kMaxSrtpPackets) : kMaxSrtpPackets),
      rtcpLimit_(options.lifetime ? std::min(options.lifetime, kMaxSrtcpPackets)
                                  : kMaxSrtcpPackets) {
    if (mkiLen_) {
        mki_ = std::make_unique<uint8_t[]>(mkiLen_);
        std::copy(options.mki.begin(), options.mki.end(), mki_.get());
    }
    std::copy(masterKey.begin(), masterKey.end(), master_.begin());
    std::copy(masterSalt.begin(), masterSalt.end(), master_.begin() + masterKey.size());
}

bool SrtpContext::adoptStateFrom(const SrtpContext& from) {
    // The same master key and salt (and so the same session keys).
    if (from.suite_ != suite_ || !constantTimeEqual(from.master_, master_)) return false;
    if (from.rtcp_) {
        if (!ensureRtcp()) return false;
        rtcp_->ssrcs = from.rtcp_->ssrcs;
    }
    rtpSsrcs_ = from.rtpSsrcs_;
    useClock_ = from.useClock_;
    rtpPackets_ = from.rtpPackets_;
    rtcpPackets_ = from.rtcpPackets_;
    return true;
}

bool SrtpContext::matches(SrtpSuite suite, std::span<const uint8_t> masterKey,
                          std::span<const uint8_t> masterSalt, const SrtpOptions& options) const {
    if (suite != suite_ || masterKey.size() != info_.masterKeyLen ||
        masterSalt.size() != info_.masterSaltLen || options.mki.size() != mkiLen_)
        return false;
    const std::span<const uint8_t> m(master_.data(), master_.size());
    if (!constantTimeEqual(masterKey, m.first(masterKey.size())) ||
        !constantTimeEqual(masterSalt, m.subspan(masterKey.size(), masterSalt.size())))
        return false;
    if (mkiLen_ && std::memcmp(options.mki.data(), mki_.get(), mkiLen_) != 0) return false;
    const uint64_t rtpLimit =
        options.lifetime ? std::min(options.lifetime, kMaxSrtpPackets) : kMaxSrtpPackets;
    const uint64_t rtcpLimit =
        options.lifetime ? std::min(options.lifetime, kMaxSrtcpPackets) : kMaxSrtcpPackets;
    return rtpTagLen_ == (options.unauthenticatedSrtp ? 0 : info_.rtpTagLen) &&
           encryptRtp_ == (info_.encrypts && !options.unencryptedSrtp) &&
           encryptRtcp_ == (info_.encrypts && !options.unencryptedSrtcp) &&
           rtpLimit_ == rtpLimit && rtcpLimit_ == rtcpLimit;
}

SrtpContext::~SrtpContext() { std::memset(master_.data(), 0, master_.size()); }

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
    const size_t tagLen = rtpTagLen_;
    const size_t mkiLen = mkiLen_;
    if (buf.size() - len < mkiLen + tagLen) return SrtpStatus::NoRoom;
    if (rtpPackets_ >= rtpLimit_) return SrtpStatus::KeyExpired;

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
        // RFC 7714 §8: header || ciphertext || tag || MKI. Unencrypted, the
        // whole packet is associated data.
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        gcmIv(iv, rtp_.salt, ssrc, index);
        const bool ok = encryptRtp_ ? rtp_.gcm->seal(iv, {p, h}, {}, payload, tag)
                                    : rtp_.gcm->seal(iv, {p, len}, {}, {}, tag);
        if (!ok) return SrtpStatus::CryptoError;
        std::memcpy(p + len, tag, tagLen);
        if (mkiLen) std::memcpy(p + len + tagLen, mki_.get(), mkiLen);
    } else {
        // RFC 3711 §3.1: header || payload || MKI || tag; the tag covers
        // header, payload and ROC (not the MKI).
        if (encryptRtp_) {
            uint8_t iv[kAesBlock];
            if (info_.f8) {
                detail::f8SrtpIv(p, roc, iv);
                if (!rtp_.f8->apply(iv, payload)) return SrtpStatus::CryptoError;
            } else {
                aesCmIv(iv, rtp_.salt, ssrc, index);
                if (!rtp_.ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
            }
        }
        if (tagLen) {
            uint8_t rocBytes[4];
            store32(rocBytes, roc);
            uint8_t mac[kSha1Size];
            if (!rtp_.mac->compute({p, len}, rocBytes, mac)) return SrtpStatus::CryptoError;
            std::memcpy(p + len + mkiLen, mac, tagLen);
        }
        if (mkiLen) std::memcpy(p + len, mki_.get(), mkiLen);
    }
    len += mkiLen + tagLen;
    ++rtpPackets_;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::unprotectRtp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size()) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = rtpTagLen_;
    const size_t mkiLen = mkiLen_;
    if (len < kRtpHeader + mkiLen + tagLen) return SrtpStatus::TooShort;
    // Where the MKI and the tag are (see protectRtp); n: the RTP packet's end.
    const size_t mkiAt = info_.aead ? len - mkiLen : len - tagLen - mkiLen;
    const size_t tagAt = info_.aead ? mkiAt - tagLen : len - tagLen;
    const size_t n = len - mkiLen - tagLen;
    const size_t h = rtpHeaderLen(p, n);
    if (h == 0) return SrtpStatus::TooShort;
    // The MKI is public: a plain comparison.
    if (mkiLen && std::memcmp(p + mkiAt, mki_.get(), mkiLen) != 0) return SrtpStatus::UnknownMki;
    if (rtpPackets_ >= rtpLimit_) return SrtpStatus::KeyExpired;

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
        std::memcpy(tag, p + tagAt, tagLen);
        gcmIv(iv, rtp_.salt, ssrc, index);
        const bool ok = encryptRtp_ ? rtp_.gcm->open(iv, {p, h}, {}, payload, tag)
                                    : rtp_.gcm->open(iv, {p, n}, {}, {}, tag);
        if (!ok) return SrtpStatus::AuthFailed;
    } else {
        if (tagLen) {
            uint8_t rocBytes[4];
            store32(rocBytes, roc);
            uint8_t mac[kSha1Size];
            if (!rtp_.mac->compute({p, n}, rocBytes, mac)) return SrtpStatus::CryptoError;
            if (!constantTimeEqual({mac, tagLen}, {p + tagAt, tagLen}))
                return SrtpStatus::AuthFailed;
        }
        if (encryptRtp_) {
            uint8_t iv[kAesBlock];
            if (info_.f8) {
                detail::f8SrtpIv(p, roc, iv);
                if (!rtp_.f8->apply(iv, payload)) return SrtpStatus::CryptoError;
            } else {
                aesCmIv(iv, rtp_.salt, ssrc, index);
                if (!rtp_.ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
            }
        }
    }

    noteReceived(rtpSsrcs_, s, ssrc, index);
    ++rtpPackets_;
    len = n;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::protectRtcp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size() || len < kRtcpHeader) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = info_.rtcpTagLen;
    const size_t mkiLen = mkiLen_;
    if (buf.size() - len < kSrtcpIndexLen + mkiLen + tagLen) return SrtpStatus::NoRoom;
    if (rtcpPackets_ >= rtcpLimit_) return SrtpStatus::KeyExpired;
    if (!ensureRtcp()) return SrtpStatus::CryptoError;

    const uint32_t ssrc = load32(p + 4);
    SsrcState* s = find(rtcp_->ssrcs, ssrc);
    // The first index is 1, as libsrtp sends (its reference packets have it).
    if (!s) s = &insert(rtcp_->ssrcs, ssrc);
    // RFC 3711 §3.4: the 31-bit index; the lifetime (at most 2^31 packets)
    // runs out before it wraps.
    const uint32_t index = uint32_t(s->highest + 1) & kSrtcpIndexMask;
    s->highest = index;
    const uint32_t eIndex = encryptRtcp_ ? (kSrtcpEBit | index) : index;
    uint8_t eIndexBytes[kSrtcpIndexLen];
    store32(eIndexBytes, eIndex);
    std::span<uint8_t> payload(p + kRtcpHeader, len - kRtcpHeader);

    if (info_.aead) {
        // RFC 7714 §9: header || ciphertext || tag || E||index || MKI; the
        // AAD is the header and E||index (the whole packet when E is 0).
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        gcmIv(iv, rtcp_->keys->salt, ssrc, index);
        const bool ok = encryptRtcp_
                            ? rtcp_->keys->gcm->seal(iv, {p, kRtcpHeader}, eIndexBytes, payload, tag)
                            : rtcp_->keys->gcm->seal(iv, {p, len}, eIndexBytes, {}, tag);
        if (!ok) return SrtpStatus::CryptoError;
        std::memcpy(p + len, tag, tagLen);
        std::memcpy(p + len + tagLen, eIndexBytes, kSrtcpIndexLen);
        if (mkiLen) std::memcpy(p + len + tagLen + kSrtcpIndexLen, mki_.get(), mkiLen);
    } else {
        // RFC 3711 §3.4: header || payload || E||index || MKI || tag; the tag
        // covers all before the MKI.
        if (encryptRtcp_) {
            uint8_t iv[kAesBlock];
            if (info_.f8) {
                detail::f8SrtcpIv(p, eIndex, iv);
                if (!rtcp_->keys->f8->apply(iv, payload)) return SrtpStatus::CryptoError;
            } else {
                aesCmIv(iv, rtcp_->keys->salt, ssrc, index);
                if (!rtcp_->keys->ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
            }
        }
        std::memcpy(p + len, eIndexBytes, kSrtcpIndexLen);
        uint8_t mac[kSha1Size];
        if (!rtcp_->keys->mac->compute({p, len + kSrtcpIndexLen}, {}, mac))
            return SrtpStatus::CryptoError;
        if (mkiLen) std::memcpy(p + len + kSrtcpIndexLen, mki_.get(), mkiLen);
        std::memcpy(p + len + kSrtcpIndexLen + mkiLen, mac, tagLen);
    }
    len += kSrtcpIndexLen + mkiLen + tagLen;
    ++rtcpPackets_;
    return SrtpStatus::Ok;
}

// Hot path (per packet): no allocation, no logging.
SrtpStatus SrtpContext::unprotectRtcp(std::span<uint8_t> buf, size_t& len) {
    if (len > buf.size()) return SrtpStatus::TooShort;
    uint8_t* p = buf.data();
    const size_t tagLen = info_.rtcpTagLen;
    const size_t mkiLen = mkiLen_;
    if (len < kRtcpHeader + kSrtcpIndexLen + mkiLen + tagLen) return SrtpStatus::TooShort;

    // Where E||index, the MKI and the tag are differs: after the tag for
    // AEAD (RFC 7714 §9), before it otherwise (RFC 3711 §3.4).
    const size_t mkiAt = info_.aead ? len - mkiLen : len - tagLen - mkiLen;
    const size_t indexAt = mkiAt - kSrtcpIndexLen;
    const size_t tagAt = info_.aead ? indexAt - tagLen : len - tagLen;
    const size_t end = len - kSrtcpIndexLen - mkiLen - tagLen;  // of the RTCP packet
    if (mkiLen && std::memcmp(p + mkiAt, mki_.get(), mkiLen) != 0) return SrtpStatus::UnknownMki;
    if (rtcpPackets_ >= rtcpLimit_) return SrtpStatus::KeyExpired;
    if (!ensureRtcp()) return SrtpStatus::CryptoError;
    const uint32_t eIndex = load32(p + indexAt);
    const bool encrypted = eIndex & kSrtcpEBit;
    const uint32_t index = eIndex & kSrtcpIndexMask;
    const uint32_t ssrc = load32(p + 4);

    SsrcState* s = find(rtcp_->ssrcs, ssrc);
    if (s && isReplay(s->highest, s->window, index)) return SrtpStatus::Replayed;

    if (info_.aead) {
        uint8_t iv[AesGcm::kIvSize];
        uint8_t tag[AesGcm::kTagSize];
        std::memcpy(tag, p + tagAt, tagLen);
        gcmIv(iv, rtcp_->keys->salt, ssrc, index);
        const std::span<const uint8_t> eIndexBytes(p + indexAt, kSrtcpIndexLen);
        const bool ok = encrypted ? rtcp_->keys->gcm->open(iv, {p, kRtcpHeader}, eIndexBytes,
                                                     {p + kRtcpHeader, end - kRtcpHeader}, tag)
                                  : rtcp_->keys->gcm->open(iv, {p, end}, eIndexBytes, {}, tag);
        if (!ok) return SrtpStatus::AuthFailed;
    } else {
        uint8_t mac[kSha1Size];
        if (!rtcp_->keys->mac->compute({p, indexAt + kSrtcpIndexLen}, {}, mac))
            return SrtpStatus::CryptoError;
        if (!constantTimeEqual({mac, tagLen}, {p + tagAt, tagLen})) return SrtpStatus::AuthFailed;
        if (encrypted && info_.encrypts) {
            uint8_t iv[kAesBlock];
            std::span<uint8_t> payload(p + kRtcpHeader, end - kRtcpHeader);
            if (info_.f8) {
                detail::f8SrtcpIv(p, eIndex, iv);
                if (!rtcp_->keys->f8->apply(iv, payload)) return SrtpStatus::CryptoError;
            } else {
                aesCmIv(iv, rtcp_->keys->salt, ssrc, index);
                if (!rtcp_->keys->ctr->apply(iv, payload)) return SrtpStatus::CryptoError;
            }
        }
    }

    noteReceived(rtcp_->ssrcs, s, ssrc, index);
    ++rtcpPackets_;
    len = end;
    return SrtpStatus::Ok;
}

}  // namespace ngm::crypto
