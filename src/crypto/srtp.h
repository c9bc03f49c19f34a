// SRTP and SRTCP (RFC 3711) transforms on packets in place: key derivation,
// the per-SSRC rollover counter and replay window, protect and unprotect.
// AES-CM with HMAC-SHA1 (RFC 3711, RFC 6188 for AES-192/256), AES-f8 with
// HMAC-SHA1 (RFC 3711 §4.1.2), the NULL cipher with HMAC-SHA1, and AES-GCM
// (RFC 7714).
//
// An SrtpContext holds one direction of one media stream's keys (the
// receiving side unprotects, the sending side protects). Nothing here
// allocates per packet or does I/O. SRTCP's keys are made on the first
// SRTCP packet (one allocation in a context's life, as when it was created):
// most streams' RTCP is plain or absent, and a context without them holds
// about half the memory.
//
// SrtpOptions (SDES key and session parameters, RFC 4568 §6.1/§6.3):
// - MKI (RFC 3711 §3.1): one MKI per context (one master key). Protect
//   writes it after the payload and before the tag (SRTCP: after E||index,
//   before the tag; AEAD, RFC 7714 §8/§9: after the GCM tag, resp. after
//   E||index). It is not authenticated. Unprotect compares it first: a
//   packet carrying another MKI is UnknownMki (a caller holding several
//   master keys may try the context of that MKI; otherwise it counts an
//   error). Several master keys in one context are not supported.
// - lifetime: packets protected or unprotected (authenticated) under the
//   master key, counted separately for SRTP and SRTCP and each capped by
//   RFC 3711 §9.2 (2^48 SRTP, 2^31 SRTCP packets) even when 0 (no SDES
//   lifetime). The packet beyond it is KeyExpired: the context is used up
//   and the caller needs new keys (count it as an error).
// - unencryptedSrtp / unencryptedSrtcp: the payload is sent in clear, still
//   authenticated (SRTCP: E bit 0; AEAD: the whole packet is GCM's AAD).
//   Received SRTCP follows each packet's E bit either way; received SRTP
//   follows the option (SRTP has no E bit). Unencrypted AEAD SRTP follows
//   RFC 7714 §9's E=0 SRTCP rule by analogy; libsrtp2 2.5 always encrypts
//   AEAD SRTP, so that one case has no interop test.
// - unauthenticatedSrtp: SRTP packets carry no tag (RFC 4568 §6.3.3; not
//   with AEAD suites, whose tag is their cipher). SRTCP stays authenticated.
// - adoptStateFrom() carries ROCs, replay windows, SRTCP indices and the
//   lifetime counts to a new context made with the same keys (a re-offer
//   that keeps them), so nothing restarts at index 0.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/openssl.h"

namespace ngm::crypto {

enum class SrtpSuite : uint8_t {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
    AesCm192HmacSha1_80,  // RFC 6188
    AesCm192HmacSha1_32,
    AesCm256HmacSha1_80,
    AesCm256HmacSha1_32,
    F8_128HmacSha1_80,  // RFC 3711 §4.1.2 AES-f8 (SDES F8_128_HMAC_SHA1_80)
    F8_128HmacSha1_32,
    NullHmacSha1_80,  // no encryption, authenticated (master key as AES-128's)
    NullHmacSha1_32,
    AeadAes128Gcm,  // RFC 7714
    AeadAes256Gcm,
};

struct SrtpSuiteInfo {
    std::string_view name;  // as in SDES a=crypto (RFC 4568)
    uint8_t masterKeyLen;
    uint8_t masterSaltLen;
    uint8_t rtpTagLen;   // octets appended to an SRTP packet
    uint8_t rtcpTagLen;  // octets of SRTCP's tag (after the 4-octet index)
    bool encrypts;
    bool aead;
    bool f8;  // AES-f8 instead of AES-CM
};

const SrtpSuiteInfo& suiteInfo(SrtpSuite suite);
std::optional<SrtpSuite> suiteByName(std::string_view name);

// RFC 3711 §4.3.3 key derivation labels.
enum class KeyLabel : uint8_t {
    RtpEncryption = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
};

// RFC 3711 §4.3.1/§4.3.3 with key_derivation_rate 0: `out` is the AES-CM PRF
// keystream, keyed with the master key (AES-128, or AES-192/256 per RFC 6188
// §3), from IV (master_salt XOR label<<48) * 2^16. A master salt shorter than
// 14 octets (RFC 7714's 12) is padded with zeros on the right.
Result<void> deriveSessionKey(std::span<const uint8_t> masterKey,
                              std::span<const uint8_t> masterSalt, KeyLabel label,
                              std::span<uint8_t> out);

enum class SrtpStatus : uint8_t {
    Ok,
    TooShort,     // not even a header and a tag (or a header that overruns)
    NoRoom,       // protect: the buffer's capacity cannot take the tag
    AuthFailed,   // the tag does not authenticate the packet
    Replayed,     // an index already received, or older than the window
    CryptoError,  // the crypto library failed (not caused by the input)
    UnknownMki,   // unprotect: the packet's MKI is not this context's
    KeyExpired,   // the master key's lifetime (packets) is used up
};

std::string_view toString(SrtpStatus s);

struct SrtpOptions {
    std::vector<uint8_t> mki;  // RFC 3711 §3.1 MKI as sent: empty, or 1..128 octets
    uint64_t lifetime = 0;     // packets per master key (each of SRTP, SRTCP); 0: no limit
    bool unencryptedSrtp = false;
    bool unencryptedSrtcp = false;
    bool unauthenticatedSrtp = false;
};

namespace detail {
// RFC 3711 §4.1.2.2: the f8 IV of SRTP, 0x00 || M || PT || SEQ || TS ||
// SSRC || ROC, from the packet's first 12 octets.
void f8SrtpIv(const uint8_t* header, uint32_t roc, uint8_t (&iv)[kAesBlock]);
// RFC 3711 §4.1.2.3: the f8 IV of SRTCP, 0^32 || E || index || the first 8
// octets of the packet.
void f8SrtcpIv(const uint8_t* header, uint32_t eIndex, uint8_t (&iv)[kAesBlock]);
}  // namespace detail

class SrtpContext {
  public:
    static constexpr size_t kReplayWindow = 64;
    // SSRCs followed per context, each of SRTP and SRTCP; the least recently
    // used one is forgotten beyond this (a stream has one or two; this bounds
    // a peer's effect and the memory of a context).
    static constexpr size_t kMaxSsrcs = 4;

    static constexpr size_t kMaxMki = 128;
    static constexpr uint64_t kMaxSrtpPackets = uint64_t(1) << 48;   // RFC 3711 §9.2
    static constexpr uint64_t kMaxSrtcpPackets = uint64_t(1) << 31;  // RFC 3711 §9.2

    // Derives the session keys. The master key and salt must have the
    // suite's lengths; options as described at the top of this file.
    static Result<std::unique_ptr<SrtpContext>> create(SrtpSuite suite,
                                                       std::span<const uint8_t> masterKey,
                                                       std::span<const uint8_t> masterSalt,
                                                       const SrtpOptions& options = {});
    ~SrtpContext();

    SrtpSuite suite() const { return suite_; }
    // Octets protect appends (and unprotect removes): MKI and tag for SRTP;
    // E||index, MKI and tag for SRTCP.
    size_t rtpOverhead() const { return mkiLen_ + rtpTagLen_; }
    size_t rtcpOverhead() const { return 4 + mkiLen_ + info_.rtcpTagLen; }

    // Takes over `from`'s per-SSRC state (ROC, replay window, SRTCP index)
    // and its packet counts, for a context that replaces it with the same
    // suite and keys. False (nothing taken) if the suite or keys differ.
    bool adoptStateFrom(const SrtpContext& from);

    // Whether create() with these arguments would make a context that
    // transforms as this one does (the same suite, master key and salt, MKI,
    // lifetime and session parameters). Cheap: nothing is derived.
    bool matches(SrtpSuite suite, std::span<const uint8_t> masterKey,
                 std::span<const uint8_t> masterSalt, const SrtpOptions& options) const;

    // In place on `buf` (its size is the capacity the packet may grow to),
    // whose first `len` octets are the packet; `len` is updated on Ok.
    // RFC 3711 §3.3: encrypt the payload, append the tag over header,
    // payload and ROC.
    SrtpStatus protectRtp(std::span<uint8_t> buf, size_t& len);
    // RFC 3711 §3.3: estimate the index, check replay and the tag, decrypt.
    // On anything but Ok, the buffer's content is unspecified and the
    // context's state unchanged.
    SrtpStatus unprotectRtp(std::span<uint8_t> buf, size_t& len);
    // RFC 3711 §3.4: encrypt after the first 8 octets, append E||index and
    // the tag. The index counts per SSRC from 1.
    SrtpStatus protectRtcp(std::span<uint8_t> buf, size_t& len);
    SrtpStatus unprotectRtcp(std::span<uint8_t> buf, size_t& len);

    // The rollover counter this context has for an SSRC (for tests and
    // statistics); nullopt if the SSRC is not followed.
    std::optional<uint32_t> rolloverCounter(uint32_t ssrc) const;

    // Whether SRTCP's keys are made yet: they are on the first SRTCP packet
    // protected or unprotected (or when adoptStateFrom() takes SRTCP
    // state), so that a stream without RTCP holds the contexts of SRTP only.
    bool hasRtcpKeys() const { return rtcp_ != nullptr; }

  private:
    // The session keys of one of SRTP or SRTCP.
    struct Keys {
        std::optional<AesCtr> ctr;
        std::optional<AesF8> f8;
        std::optional<HmacSha1> mac;
        std::optional<AesGcm> gcm;
        uint8_t salt[14] = {};
        Keys() = default;
        Keys(Keys&&) = default;
        Keys& operator=(Keys&&) = default;
        ~Keys();
    };
    struct Rtcp;
    struct SsrcState {
        uint32_t ssrc = 0;
        bool used = false;
        uint64_t highest = 0;  // SRTP: 48-bit index (ROC<<16 | seq); SRTCP: 31-bit index
        uint64_t window = 0;   // bit i: highest - i was received
        uint64_t lastUse = 0;
    };
    using SsrcTable = std::array<SsrcState, kMaxSsrcs>;

    SrtpContext(SrtpSuite suite, std::unique_ptr<Keys> rtp, std::span<const uint8_t> masterKey,
                std::span<const uint8_t> masterSalt, const SrtpOptions& options);
    // Makes SRTCP's keys from the master key if not yet made; false if that
    // failed (once per context, not per packet).
    bool ensureRtcp();
    static Result<std::unique_ptr<Keys>> makeKeys(const SrtpSuiteInfo& info,
                                                  std::span<const uint8_t> masterKey,
                                                  std::span<const uint8_t> masterSalt, bool rtcp);
    SsrcState* find(SsrcTable& t, uint32_t ssrc);
    SsrcState& insert(SsrcTable& t, uint32_t ssrc);
    void noteReceived(SsrcTable& t, SsrcState* s, uint32_t ssrc, uint64_t index);

    SrtpSuite suite_;
    const SrtpSuiteInfo& info_;
    Keys rtp_;                        // inline: one pointer less per packet
    std::unique_ptr<Rtcp> rtcp_;      // null until the first SRTCP packet
    std::unique_ptr<uint8_t[]> mki_;  // mkiLen_ octets; null without an MKI
    // The master key and salt, for SRTCP's keys made later (wiped with the
    // context).
    std::array<uint8_t, 32 + 14> master_{};
    uint8_t mkiLen_;
    uint8_t rtpTagLen_;  // 0 with unauthenticatedSrtp
    bool encryptRtp_, encryptRtcp_;
    uint64_t rtpLimit_, rtcpLimit_;  // packets allowed under the master key
    uint64_t rtpPackets_ = 0, rtcpPackets_ = 0;
    SsrcTable rtpSsrcs_{};
    uint64_t useClock_ = 0;
};

}  // namespace ngm::crypto
