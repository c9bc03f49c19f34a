// SHA1_Init/Update/Final (HmacSha1): deprecated in OpenSSL 3, still there.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/openssl.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <utility>

namespace ngm::crypto {

namespace {

// Fetched once per process and never freed: the algorithm objects live as
// long as the process and are shared by every context (OpenSSL 3 makes them
// thread-safe to share).
const EVP_CIPHER* aesCtrCipher(size_t keyLen) {
    static EVP_CIPHER* const c128 = EVP_CIPHER_fetch(nullptr, "AES-128-CTR", nullptr);
    static EVP_CIPHER* const c192 = EVP_CIPHER_fetch(nullptr, "AES-192-CTR", nullptr);
    static EVP_CIPHER* const c256 = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
    switch (keyLen) {
        case 16:
            return c128;
        case 24:
            return c192;
        case 32:
            return c256;
        default:
            return nullptr;
    }
}

const EVP_CIPHER* aesGcmCipher(size_t keyLen) {
    static EVP_CIPHER* const g128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
    static EVP_CIPHER* const g256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    switch (keyLen) {
        case 16:
            return g128;
        case 32:
            return g256;
        default:
            return nullptr;
    }
}

const EVP_CIPHER* aes128Ecb() {
    static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
    return c;
}

const EVP_CIPHER* aes128Cbc() {
    static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
    return c;
}

bool fitsInt(size_t n) { return n <= size_t(INT_MAX); }

}  // namespace

// ---- AesCtr ----

Result<AesCtr> AesCtr::create(std::span<const uint8_t> key) {
    const EVP_CIPHER* cipher = aesCtrCipher(key.size());
    if (!cipher) return Error{"AES-CTR key must be 16, 24 or 32 octets"};
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return Error{"EVP_CIPHER_CTX_new failed"};
    if (EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return Error{"AES-CTR key setup failed"};
    }
    return AesCtr(ctx);
}

AesCtr::AesCtr(AesCtr&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
AesCtr& AesCtr::operator=(AesCtr&& o) noexcept {
    if (this != &o) {
        EVP_CIPHER_CTX_free(ctx_);
        ctx_ = std::exchange(o.ctx_, nullptr);
    }
    return *this;
}
AesCtr::~AesCtr() { EVP_CIPHER_CTX_free(ctx_); }

bool AesCtr::apply(const uint8_t (&iv)[kAesBlock], std::span<uint8_t> data) {
    if (!fitsInt(data.size())) return false;
    // Only the IV changes: the key schedule from create() is kept.
    if (EVP_EncryptInit_ex2(ctx_, nullptr, nullptr, iv, nullptr) != 1) return false;
    if (data.empty()) return true;
    int outLen = 0;
    return EVP_EncryptUpdate(ctx_, data.data(), &outLen, data.data(), int(data.size())) == 1 &&
           size_t(outLen) == data.size();
}

// ---- AesF8 ----

namespace {
// An encrypting context without padding (whole blocks only), or nullptr.
EVP_CIPHER_CTX* blockCtx(const EVP_CIPHER* cipher, const uint8_t* key) {
    if (!cipher) return nullptr;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return nullptr;
    const uint8_t zeroIv[kAesBlock] = {};
    if (EVP_EncryptInit_ex2(ctx, cipher, key, zeroIv, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return nullptr;
    }
    return ctx;
}
}  // namespace

Result<AesF8> AesF8::create(std::span<const uint8_t> key, std::span<const uint8_t> salt) {
    if (key.size() != 16) return Error{"AES-f8 key must be 16 octets"};
    if (salt.size() > kAesBlock) return Error{"AES-f8 salt longer than 16 octets"};
    // RFC 3711 §4.1.2.1: m = k_s || 0x55..55, as long as the key.
    uint8_t masked[kAesBlock];
    std::memset(masked, 0x55, sizeof masked);
    std::memcpy(masked, salt.data(), salt.size());
    for (size_t i = 0; i < kAesBlock; ++i) masked[i] ^= key[i];
    EVP_CIPHER_CTX* ivCtx = blockCtx(aes128Ecb(), masked);
    OPENSSL_cleanse(masked, sizeof masked);
    EVP_CIPHER_CTX* chainCtx = blockCtx(aes128Cbc(), key.data());
    if (!ivCtx || !chainCtx) {
        EVP_CIPHER_CTX_free(ivCtx);
        EVP_CIPHER_CTX_free(chainCtx);
        return Error{"AES-f8 key setup failed"};
    }
    return AesF8(ivCtx, chainCtx);
}

AesF8::AesF8(AesF8&& o) noexcept
    : ivCtx_(std::exchange(o.ivCtx_, nullptr)), chainCtx_(std::exchange(o.chainCtx_, nullptr)) {}
AesF8& AesF8::operator=(AesF8&& o) noexcept {
    if (this != &o) {
        EVP_CIPHER_CTX_free(ivCtx_);
        EVP_CIPHER_CTX_free(chainCtx_);
        ivCtx_ = std::exchange(o.ivCtx_, nullptr);
        chainCtx_ = std::exchange(o.chainCtx_, nullptr);
    }
    return *this;
}
AesF8::~AesF8() {
    EVP_CIPHER_CTX_free(ivCtx_);
    EVP_CIPHER_CTX_free(chainCtx_);
}

bool AesF8::apply(const uint8_t (&iv)[kAesBlock], std::span<uint8_t> data) {
    if (!fitsInt(data.size())) return false;
    int outLen = 0;
    uint8_t ivPrime[kAesBlock];
    if (EVP_EncryptUpdate(ivCtx_, ivPrime, &outLen, iv, int(kAesBlock)) != 1 ||
        outLen != int(kAesBlock))
        return false;
    // S(-1) = 0: the CBC chain restarts from a zero IV (the key schedule stays).
    const uint8_t zeroIv[kAesBlock] = {};
    if (EVP_EncryptInit_ex2(chainCtx_, nullptr, nullptr, zeroIv, nullptr) != 1) return false;
    // The keystream in chunks on the stack; CBC carries S(j-1) across them.
    constexpr size_t kChunkBlocks = 32;
    uint8_t ks[kChunkBlocks * kAesBlock];
    uint32_t j = 0;
    for (size_t done = 0; done < data.size();) {
        const size_t left = data.size() - done;
        const size_t blocks = std::min(kChunkBlocks, (left + kAesBlock - 1) / kAesBlock);
        for (size_t b = 0; b < blocks; ++b, ++j) {
            uint8_t* blk = ks + b * kAesBlock;
            std::memcpy(blk, ivPrime, kAesBlock);
            // IV' XOR j, j a 128-bit big-endian counter (below 2^32 here).
            blk[12] ^= uint8_t(j >> 24);
            blk[13] ^= uint8_t(j >> 16);
            blk[14] ^= uint8_t(j >> 8);
            blk[15] ^= uint8_t(j);
        }
        const int n = int(blocks * kAesBlock);
        if (EVP_EncryptUpdate(chainCtx_, ks, &outLen, ks, n) != 1 || outLen != n) return false;
        const size_t take = std::min(left, size_t(n));
        for (size_t i = 0; i < take; ++i) data[done + i] ^= ks[i];
        done += take;
    }
    return true;
}

// ---- HmacSha1 ----

// SHA-1's block functions (SHA1_Init/Update/Final) are deprecated in
// OpenSSL 3 in favour of EVP, but they are the same assembly and a SHA_CTX
// can be copied as a value, which EVP_MD_CTX cannot without allocation.
struct HmacSha1::State {
    SHA_CTX inner, outer;
};

Result<HmacSha1> HmacSha1::create(std::span<const uint8_t> key) {
    // RFC 2104: a key longer than the block is hashed first.
    uint8_t block[64] = {};
    if (key.size() > sizeof block) {
        if (!SHA1(key.data(), key.size(), block)) return Error{"SHA-1 failed"};
    } else if (!key.empty()) {
        std::memcpy(block, key.data(), key.size());
    }
    auto st = std::make_unique<State>();
    uint8_t pad[64];
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    if (SHA1_Init(&st->inner) != 1 || SHA1_Update(&st->inner, pad, sizeof pad) != 1)
        return Error{"HMAC-SHA1 key setup failed"};
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    if (SHA1_Init(&st->outer) != 1 || SHA1_Update(&st->outer, pad, sizeof pad) != 1)
        return Error{"HMAC-SHA1 key setup failed"};
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return HmacSha1(st.release());
}

HmacSha1::HmacSha1(HmacSha1&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
HmacSha1& HmacSha1::operator=(HmacSha1&& o) noexcept {
    if (this != &o) {
        delete st_;
        st_ = std::exchange(o.st_, nullptr);
    }
    return *this;
}
HmacSha1::~HmacSha1() {
    if (st_) OPENSSL_cleanse(st_, sizeof *st_);
    delete st_;
}

// Hot path: no allocation.
bool HmacSha1::compute(std::span<const uint8_t> a, std::span<const uint8_t> b,
                       uint8_t (&out)[kSha1Size]) {
    SHA_CTX c = st_->inner;
    uint8_t inner[kSha1Size];
    if (!a.empty() && SHA1_Update(&c, a.data(), a.size()) != 1) return false;
    if (!b.empty() && SHA1_Update(&c, b.data(), b.size()) != 1) return false;
    if (SHA1_Final(inner, &c) != 1) return false;
    c = st_->outer;
    return SHA1_Update(&c, inner, sizeof inner) == 1 && SHA1_Final(out, &c) == 1;
}

// ---- AesGcm ----

Result<AesGcm> AesGcm::create(std::span<const uint8_t> key) {
    const EVP_CIPHER* cipher = aesGcmCipher(key.size());
    if (!cipher) return Error{"AES-GCM key must be 16 or 32 octets"};
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return Error{"EVP_CIPHER_CTX_new failed"};
    // 12 octets is GCM's default IV length.
    if (EVP_CipherInit_ex2(ctx, cipher, key.data(), nullptr, 1, nullptr) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return Error{"AES-GCM key setup failed"};
    }
    return AesGcm(ctx);
}

AesGcm::AesGcm(AesGcm&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
AesGcm& AesGcm::operator=(AesGcm&& o) noexcept {
    if (this != &o) {
        EVP_CIPHER_CTX_free(ctx_);
        ctx_ = std::exchange(o.ctx_, nullptr);
    }
    return *this;
}
AesGcm::~AesGcm() { EVP_CIPHER_CTX_free(ctx_); }

namespace {
bool gcmAad(EVP_CIPHER_CTX* ctx, std::span<const uint8_t> aad) {
    int outLen = 0;
    return aad.empty() || EVP_CipherUpdate(ctx, nullptr, &outLen, aad.data(), int(aad.size())) == 1;
}
}  // namespace

bool AesGcm::seal(const uint8_t (&iv)[kIvSize], std::span<const uint8_t> aad,
                  std::span<const uint8_t> aad2, std::span<uint8_t> data,
                  uint8_t (&tag)[kTagSize]) {
    if (!fitsInt(aad.size()) || !fitsInt(aad2.size()) || !fitsInt(data.size())) return false;
    if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, iv, 1, nullptr) != 1) return false;
    int outLen = 0;
    if (!gcmAad(ctx_, aad) || !gcmAad(ctx_, aad2)) return false;
    if (!data.empty() &&
        EVP_CipherUpdate(ctx_, data.data(), &outLen, data.data(), int(data.size())) != 1)
        return false;
    if (EVP_CipherFinal_ex(ctx_, nullptr, &outLen) != 1) return false;
    return EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, int(kTagSize), tag) == 1;
}

bool AesGcm::open(const uint8_t (&iv)[kIvSize], std::span<const uint8_t> aad,
                  std::span<const uint8_t> aad2, std::span<uint8_t> data,
                  const uint8_t (&tag)[kTagSize]) {
    if (!fitsInt(aad.size()) || !fitsInt(aad2.size()) || !fitsInt(data.size())) return false;
    if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, iv, 0, nullptr) != 1) return false;
    int outLen = 0;
    if (!gcmAad(ctx_, aad) || !gcmAad(ctx_, aad2)) return false;
    if (!data.empty() &&
        EVP_CipherUpdate(ctx_, data.data(), &outLen, data.data(), int(data.size())) != 1)
        return false;
    // The ctrl takes a non-const pointer but only reads the tag when setting it.
    if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, int(kTagSize), const_cast<uint8_t*>(tag)) !=
        1)
        return false;
    uint8_t dummy[kAesBlock];
    return EVP_CipherFinal_ex(ctx_, dummy, &outLen) == 1;
}

bool constantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> a,
                std::span<const uint8_t> b, uint8_t (&out)[kSha256Size]) {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) return false;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    if (!ctx) return false;
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()};
    // OpenSSL refuses an empty key pointer; one zero octet of length 0 is the
    // same empty key.
    static const uint8_t none = 0;
    size_t outLen = 0;
    const bool ok = EVP_MAC_init(ctx, key.empty() ? &none : key.data(), key.size(), params) == 1 &&
                    EVP_MAC_update(ctx, a.data(), a.size()) == 1 &&
                    EVP_MAC_update(ctx, b.data(), b.size()) == 1 &&
                    EVP_MAC_final(ctx, out, &outLen, sizeof out) == 1 && outLen == sizeof out;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

bool randomBytes(std::span<uint8_t> out) {
    return out.empty() || RAND_bytes(out.data(), int(out.size())) == 1;
}

}  // namespace ngm::crypto
