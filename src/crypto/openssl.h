// The one wrapper over OpenSSL 3 (as mediasoup's DepOpenSSL): no other file
// includes an OpenSSL header. Each context is made once per key and reused
// for every packet: OpenSSL 3.0 is slow when an algorithm is looked up per
// call, so the EVP_CIPHER / EVP_MAC are fetched once per process and the
// per-key EVP contexts are re-initialised, not re-made, per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"

// OpenSSL's own struct names (its typedefs are EVP_CIPHER_CTX, EVP_MAC_CTX).
struct evp_cipher_ctx_st;

namespace ngm::crypto {

constexpr size_t kAesBlock = 16;
constexpr size_t kSha1Size = 20;
constexpr size_t kSha256Size = 32;

// AES in counter mode with a 128, 192 or 256 bit key. The counter is the
// whole 16-octet block, incremented as a big-endian integer (SRTP's AES-CM
// increments its low 16 bits only, which is the same for the at most 2^16
// blocks of one packet whose IV ends in two zero octets). The context is
// OpenSSL's AES-ECB keyed once; apply() encrypts the counter blocks with it,
// so nothing is re-initialised per packet.
class AesCtr {
  public:
    // key: 16, 24 or 32 octets. A 16-octet key on a CPU with AES-NI gets
    // the key schedule inline (176 octets) and no OpenSSL context: that
    // context was about 850 octets of heap per SRTP direction, and its call
    // chain a good part of a short packet's cost.
    static Result<AesCtr> create(std::span<const uint8_t> key);
    // Always OpenSSL's context (for comparison in tests).
    static Result<AesCtr> createWithOpenSsl(std::span<const uint8_t> key);
    // The inline AES-NI schedule is in use.
    bool usesAesNi() const { return !ctx_; }
    AesCtr(AesCtr&& o) noexcept;
    AesCtr& operator=(AesCtr&& o) noexcept;
    AesCtr(const AesCtr&) = delete;
    AesCtr& operator=(const AesCtr&) = delete;
    ~AesCtr();

    // XORs the keystream that starts at counter block `iv` into `data` in
    // place. False only if OpenSSL fails (it does not for valid input).
    bool apply(const uint8_t (&iv)[kAesBlock], std::span<uint8_t> data);

  private:
    explicit AesCtr(evp_cipher_ctx_st* ctx) : ctx_(ctx) {}
    AesCtr() = default;
    evp_cipher_ctx_st* ctx_ = nullptr;  // null: the AES-NI schedule below
    alignas(16) uint8_t roundKeys_[11 * kAesBlock] = {};
};

// AES-f8 (RFC 3711 §4.1.2) with a 128-bit key: IV' = E(k_e XOR m, IV) with
// m = k_s || 0x55..55, then S(j) = E(k_e, IV' XOR j XOR S(j-1)), S(-1) = 0.
// That chain is AES-CBC (zero IV) over the blocks IV' XOR j, so both steps
// are OpenSSL's AES (ECB for IV', CBC for the keystream); no AES of our own.
class AesF8 {
  public:
    // key: 16 octets; salt: at most 16 (SRTP's session salt is 14).
    static Result<AesF8> create(std::span<const uint8_t> key, std::span<const uint8_t> salt);
    AesF8(AesF8&& o) noexcept;
    AesF8& operator=(AesF8&& o) noexcept;
    AesF8(const AesF8&) = delete;
    AesF8& operator=(const AesF8&) = delete;
    ~AesF8();

    // XORs the keystream for `iv` into `data` in place. False only if
    // OpenSSL fails.
    bool apply(const uint8_t (&iv)[kAesBlock], std::span<uint8_t> data);

  private:
    AesF8(evp_cipher_ctx_st* ivCtx, evp_cipher_ctx_st* chainCtx)
        : ivCtx_(ivCtx), chainCtx_(chainCtx) {}
    evp_cipher_ctx_st* ivCtx_ = nullptr;     // AES-ECB keyed k_e XOR m
    evp_cipher_ctx_st* chainCtx_ = nullptr;  // AES-CBC keyed k_e
};

// HMAC-SHA1 with a fixed key; one MAC computed over several pieces.
class HmacSha1 {
  public:
    static Result<HmacSha1> create(std::span<const uint8_t> key);
    HmacSha1(HmacSha1&& o) noexcept;
    HmacSha1& operator=(HmacSha1&& o) noexcept;
    HmacSha1(const HmacSha1&) = delete;
    HmacSha1& operator=(const HmacSha1&) = delete;
    ~HmacSha1();

    // The MAC of a || b into out. False only if OpenSSL fails.
    bool compute(std::span<const uint8_t> a, std::span<const uint8_t> b, uint8_t (&out)[kSha1Size]);

  private:
    // RFC 2104 with the keyed inner and outer SHA-1 states computed once:
    // a MAC is three compressions more from them, with no allocation and no
    // parameter lookup per packet (EVP_MAC's re-init costs more than the
    // hashing of a 172-octet packet). Only the five chaining words of each
    // state are kept, inline (40 octets: one cache line a packet instead of
    // two 96-octet SHA_CTX behind a pointer).
    HmacSha1() = default;
    uint32_t inner_[5] = {}, outer_[5] = {};
};

// AES-GCM (RFC 5116 AEAD_AES_128_GCM / AEAD_AES_256_GCM) with a 12-octet IV
// and a 16-octet tag.
class AesGcm {
  public:
    static constexpr size_t kIvSize = 12;
    static constexpr size_t kTagSize = 16;

    // key: 16 or 32 octets.
    static Result<AesGcm> create(std::span<const uint8_t> key);
    AesGcm(AesGcm&& o) noexcept;
    AesGcm& operator=(AesGcm&& o) noexcept;
    AesGcm(const AesGcm&) = delete;
    AesGcm& operator=(const AesGcm&) = delete;
    ~AesGcm();

    // Encrypts data in place and writes the tag. The associated data is
    // aad || aad2 (SRTCP's is not contiguous in the packet).
    bool seal(const uint8_t (&iv)[kIvSize], std::span<const uint8_t> aad,
              std::span<const uint8_t> aad2, std::span<uint8_t> data, uint8_t (&tag)[kTagSize]);
    // Decrypts data in place; false if the tag does not authenticate (data
    // is then garbage and must not be used).
    bool open(const uint8_t (&iv)[kIvSize], std::span<const uint8_t> aad,
              std::span<const uint8_t> aad2, std::span<uint8_t> data,
              const uint8_t (&tag)[kTagSize]);

  private:
    explicit AesGcm(evp_cipher_ctx_st* ctx) : ctx_(ctx) {}
    evp_cipher_ctx_st* ctx_ = nullptr;
};

// HMAC-SHA256 of a || b with `key`, made per call (STUN's
// MESSAGE-INTEGRITY-SHA256 arrives at connectivity-check rates only, so no
// keyed state is kept). False only if OpenSSL fails.
bool hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> a,
                std::span<const uint8_t> b, uint8_t (&out)[kSha256Size]);

// Compares in time independent of where the inputs differ (for MAC tags).
bool constantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Fills `out` from OpenSSL's CSPRNG (keys, salts); false if it failed.
bool randomBytes(std::span<uint8_t> out);

}  // namespace ngm::crypto
