// SHA1_Init/Update/Final (HmacSha1): deprecated in OpenSSL 3, still there.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/openssl.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <climits>
#include <cstring>
#include <memory>
#include <utility>

namespace ngm::crypto {

namespace {

// Fetched once per process and never freed: the algorithm objects live as
// long as the process and are shared by every context (OpenSSL 3 makes them
// thread-safe to share).
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

const EVP_CIPHER* aesEcbCipher(size_t keyLen) {
    static EVP_CIPHER* const e128 = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
    static EVP_CIPHER* const e192 = EVP_CIPHER_fetch(nullptr, "AES-192-ECB", nullptr);
    static EVP_CIPHER* const e256 = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
    switch (keyLen) {
        case 16:
            return e128;
        case 24:
            return e192;
        case 32:
            return e256;
        default:
            return nullptr;
    }
}

bool fitsInt(size_t n) { return n <= size_t(INT_MAX); }

uint64_t fromBigEndian64(uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v);
    return v;
}

// dst[i] ^= src[i], eight octets at a time.
void xorInto(uint8_t* dst, const uint8_t* src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        std::memcpy(&a, dst + i, 8);
        std::memcpy(&b, src + i, 8);
        a ^= b;
        std::memcpy(dst + i, &a, 8);
    }
    for (; i < n; ++i) dst[i] ^= src[i];
}

// ---- AES-128 with AES-NI (x86-64) ----
//
// FIPS-197 §5.2 key expansion and §5.1 cipher through the AES instructions;
// counter mode over it, four blocks at a time so that the instructions of
// independent blocks overlap.
#if defined(__x86_64__)
bool cpuHasAesNi() {
    static const bool has = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
    return has;
}

__attribute__((target("aes,sse2"))) inline __m128i expandRound(__m128i k, __m128i assist) {
    assist = _mm_shuffle_epi32(assist, 0xff);
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
    return _mm_xor_si128(k, assist);
}

__attribute__((target("aes,sse2"))) void expandKey128(const uint8_t* key, uint8_t* rk) {
    __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(key));
    auto store = [rk](int i, __m128i v) { _mm_store_si128(reinterpret_cast<__m128i*>(rk + 16 * i), v); };
    store(0, k);
    // The round constants must be immediates.
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x01)), store(1, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x02)), store(2, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x04)), store(3, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x08)), store(4, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x10)), store(5, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x20)), store(6, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x40)), store(7, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x80)), store(8, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x1b)), store(9, k);
    k = expandRound(k, _mm_aeskeygenassist_si128(k, 0x36)), store(10, k);
}

// XORs the keystream of counter blocks (hi, lo), (hi, lo + 1), ... (a
// 128-bit big-endian counter) into data[0, n).
__attribute__((target("aes,sse2"))) void ctr128(const uint8_t* rk, uint64_t hi, uint64_t lo,
                                                uint8_t* data, size_t n) {
    __m128i k[11];
    for (int i = 0; i < 11; i++) k[i] = _mm_load_si128(reinterpret_cast<const __m128i*>(rk + 16 * i));
    auto counter = [&]() {
        alignas(16) uint8_t b[kAesBlock];
        const uint64_t h = fromBigEndian64(hi), l = fromBigEndian64(lo);
        std::memcpy(b, &h, 8);
        std::memcpy(b + 8, &l, 8);
        if (++lo == 0) ++hi;
        return _mm_load_si128(reinterpret_cast<const __m128i*>(b));
    };
    size_t done = 0;
    for (; done + 4 * kAesBlock <= n; done += 4 * kAesBlock) {
        __m128i x0 = _mm_xor_si128(counter(), k[0]), x1 = _mm_xor_si128(counter(), k[0]);
        __m128i x2 = _mm_xor_si128(counter(), k[0]), x3 = _mm_xor_si128(counter(), k[0]);
        for (int r = 1; r < 10; r++) {
            x0 = _mm_aesenc_si128(x0, k[r]);
            x1 = _mm_aesenc_si128(x1, k[r]);
            x2 = _mm_aesenc_si128(x2, k[r]);
            x3 = _mm_aesenc_si128(x3, k[r]);
        }
        __m128i* d = reinterpret_cast<__m128i*>(data + done);
        _mm_storeu_si128(d, _mm_xor_si128(_mm_loadu_si128(d), _mm_aesenclast_si128(x0, k[10])));
        _mm_storeu_si128(d + 1, _mm_xor_si128(_mm_loadu_si128(d + 1), _mm_aesenclast_si128(x1, k[10])));
        _mm_storeu_si128(d + 2, _mm_xor_si128(_mm_loadu_si128(d + 2), _mm_aesenclast_si128(x2, k[10])));
        _mm_storeu_si128(d + 3, _mm_xor_si128(_mm_loadu_si128(d + 3), _mm_aesenclast_si128(x3, k[10])));
    }
    if (done == n) return;
    // The last one to four blocks (the last maybe partial) together as well:
    // one by one, each would wait for the previous one's rounds.
    const size_t left = n - done;
    const size_t blocks = (left + kAesBlock - 1) / kAesBlock;
    __m128i x[4];
    for (size_t b = 0; b < blocks; b++) x[b] = _mm_xor_si128(counter(), k[0]);
    for (int r = 1; r < 10; r++)
        for (size_t b = 0; b < blocks; b++) x[b] = _mm_aesenc_si128(x[b], k[r]);
    alignas(16) uint8_t ks[4 * kAesBlock];
    for (size_t b = 0; b < blocks; b++)
        _mm_store_si128(reinterpret_cast<__m128i*>(ks + b * kAesBlock), _mm_aesenclast_si128(x[b], k[10]));
    xorInto(data + done, ks, left);
}
#else
bool cpuHasAesNi() { return false; }
void expandKey128(const uint8_t*, uint8_t*) {}
void ctr128(const uint8_t*, uint64_t, uint64_t, uint8_t*, size_t) {}
#endif

}  // namespace

// ---- AesCtr ----

Result<AesCtr> AesCtr::create(std::span<const uint8_t> key) {
    if (key.size() == 16 && cpuHasAesNi()) {
        AesCtr c;
        expandKey128(key.data(), c.roundKeys_);
        return c;
    }
    return createWithOpenSsl(key);
}

Result<AesCtr> AesCtr::createWithOpenSsl(std::span<const uint8_t> key) {
    const EVP_CIPHER* cipher = aesEcbCipher(key.size());
    if (!cipher) return Error{"AES-CTR key must be 16, 24 or 32 octets"};
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return Error{"EVP_CIPHER_CTX_new failed"};
    if (EVP_EncryptInit_ex2(ctx, cipher, key.data(), nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        EVP_CIPHER_CTX_free(ctx);
        return Error{"AES-CTR key setup failed"};
    }
    return AesCtr(ctx);
}

AesCtr::AesCtr(AesCtr&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {
    std::memcpy(roundKeys_, o.roundKeys_, sizeof roundKeys_);
}
AesCtr& AesCtr::operator=(AesCtr&& o) noexcept {
    if (this != &o) {
        EVP_CIPHER_CTX_free(ctx_);
        ctx_ = std::exchange(o.ctx_, nullptr);
        std::memcpy(roundKeys_, o.roundKeys_, sizeof roundKeys_);
    }
    return *this;
}
AesCtr::~AesCtr() {
    EVP_CIPHER_CTX_free(ctx_);
    OPENSSL_cleanse(roundKeys_, sizeof roundKeys_);
}

// Hot path: no allocation. Counter mode over OpenSSL's AES in ECB mode: the
// counter blocks are written on the stack and encrypted in one
// EVP_EncryptUpdate per chunk, whose result is XORed into the data. No
// per-packet EVP_EncryptInit_ex2 (re-setting a CTR context's IV cost more
// than encrypting a G.711 packet's 10 blocks), and AES itself stays OpenSSL's
// (AES-NI where the CPU has it).
bool AesCtr::apply(const uint8_t (&iv)[kAesBlock], std::span<uint8_t> data) {
    if (!fitsInt(data.size())) return false;
    uint64_t hi, lo;  // the counter block as a 128-bit big-endian integer
    std::memcpy(&hi, iv, 8);
    std::memcpy(&lo, iv + 8, 8);
    hi = fromBigEndian64(hi);
    lo = fromBigEndian64(lo);
    if (!ctx_) {
        ctr128(roundKeys_, hi, lo, data.data(), data.size());
        return true;
    }
    constexpr size_t kChunkBlocks = 32;
    alignas(16) uint8_t ks[kChunkBlocks * kAesBlock];
    for (size_t done = 0; done < data.size();) {
        const size_t left = data.size() - done;
        const size_t blocks = std::min(kChunkBlocks, (left + kAesBlock - 1) / kAesBlock);
        for (size_t b = 0; b < blocks; ++b) {
            const uint64_t h = fromBigEndian64(hi), l = fromBigEndian64(lo);
            std::memcpy(ks + b * kAesBlock, &h, 8);
            std::memcpy(ks + b * kAesBlock + 8, &l, 8);
            if (++lo == 0) ++hi;
        }
        const int n = int(blocks * kAesBlock);
        int outLen = 0;
        if (EVP_EncryptUpdate(ctx_, ks, &outLen, ks, n) != 1 || outLen != n) return false;
        const size_t take = std::min(left, size_t(n));
        xorInto(data.data() + done, ks, take);
        done += take;
    }
    return true;
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
// OpenSSL 3 in favour of EVP, but they are the same assembly, and SHA_CTX is
// a public struct whose chaining words (h0..h4) and bit count (Nl, Nh) a
// state after whole blocks is made of: HmacSha1 keeps those words and
// rebuilds the SHA_CTX on the stack per MAC.
namespace {
void saveChain(const SHA_CTX& c, uint32_t (&h)[5]) {
    h[0] = c.h0;
    h[1] = c.h1;
    h[2] = c.h2;
    h[3] = c.h3;
    h[4] = c.h4;
}
// The state after one 64-octet block (the key pad) with chaining words h.
void loadChain(SHA_CTX& c, const uint32_t (&h)[5]) {
    c.h0 = h[0];
    c.h1 = h[1];
    c.h2 = h[2];
    c.h3 = h[3];
    c.h4 = h[4];
    c.Nl = 64 * 8;
    c.Nh = 0;
    c.num = 0;
}
}  // namespace

Result<HmacSha1> HmacSha1::create(std::span<const uint8_t> key) {
    // RFC 2104: a key longer than the block is hashed first.
    uint8_t block[64] = {};
    if (key.size() > sizeof block) {
        if (!SHA1(key.data(), key.size(), block)) return Error{"SHA-1 failed"};
    } else if (!key.empty()) {
        std::memcpy(block, key.data(), key.size());
    }
    HmacSha1 m;
    uint8_t pad[64];
    SHA_CTX c;
    bool ok = true;
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
    ok = ok && SHA1_Init(&c) == 1 && SHA1_Update(&c, pad, sizeof pad) == 1;
    saveChain(c, m.inner_);
    for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
    ok = ok && SHA1_Init(&c) == 1 && SHA1_Update(&c, pad, sizeof pad) == 1;
    saveChain(c, m.outer_);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(&c, sizeof c);
    if (!ok) return Error{"HMAC-SHA1 key setup failed"};
    return m;
}

HmacSha1::HmacSha1(HmacSha1&& o) noexcept { *this = std::move(o); }
HmacSha1& HmacSha1::operator=(HmacSha1&& o) noexcept {
    if (this != &o) {
        std::memcpy(inner_, o.inner_, sizeof inner_);
        std::memcpy(outer_, o.outer_, sizeof outer_);
        OPENSSL_cleanse(o.inner_, sizeof o.inner_);
        OPENSSL_cleanse(o.outer_, sizeof o.outer_);
    }
    return *this;
}
HmacSha1::~HmacSha1() {
    OPENSSL_cleanse(inner_, sizeof inner_);
    OPENSSL_cleanse(outer_, sizeof outer_);
}

// Hot path: no allocation.
bool HmacSha1::compute(std::span<const uint8_t> a, std::span<const uint8_t> b,
                       uint8_t (&out)[kSha1Size]) {
    SHA_CTX c;
    loadChain(c, inner_);
    uint8_t inner[kSha1Size];
    if (!a.empty() && SHA1_Update(&c, a.data(), a.size()) != 1) return false;
    if (!b.empty() && SHA1_Update(&c, b.data(), b.size()) != 1) return false;
    if (SHA1_Final(inner, &c) != 1) return false;
    loadChain(c, outer_);
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
