// DTLS-SRTP over OpenSSL 3's libssl, with a BIO of our own instead of a
// socket: what OpenSSL writes is queued as datagrams (records of one flight
// packed up to the MTU), what it reads is the one datagram being fed. The
// second file (beside crypto/openssl.cpp) that includes OpenSSL headers.
#include "crypto/dtls.h"

#include "common/strings.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <utility>

namespace ngm::crypto {

// ---- a=fingerprint, a=setup, a=tls-id ----

namespace {

struct HashEntry {
    FingerprintHash hash;
    std::string_view name;
    size_t size;
};
constexpr HashEntry kHashes[] = {
    {FingerprintHash::Sha1, "sha-1", 20},     {FingerprintHash::Sha224, "sha-224", 28},
    {FingerprintHash::Sha256, "sha-256", 32}, {FingerprintHash::Sha384, "sha-384", 48},
    {FingerprintHash::Sha512, "sha-512", 64},
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view trimBlanks(std::string_view s) {
    while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
    while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
    return s;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const EVP_MD* digestOf(FingerprintHash h) {
    switch (h) {
        case FingerprintHash::Sha1:
            return EVP_sha1();
        case FingerprintHash::Sha224:
            return EVP_sha224();
        case FingerprintHash::Sha256:
            return EVP_sha256();
        case FingerprintHash::Sha384:
            return EVP_sha384();
        case FingerprintHash::Sha512:
            return EVP_sha512();
    }
    return EVP_sha256();
}

std::optional<Fingerprint> certFingerprint(X509* cert, FingerprintHash h) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!cert || X509_digest(cert, digestOf(h), md, &len) != 1) return std::nullopt;
    return Fingerprint{h, std::vector<uint8_t>(md, md + len)};
}

// The reason of the most recent OpenSSL error, and the queue cleared (it is
// per thread and would otherwise be blamed on the next connection).
std::string takeOpenSslError(std::string_view fallback) {
    unsigned long e = ERR_peek_last_error();
    std::string reason;
    if (e != 0) {
        const char* r = ERR_reason_error_string(e);
        if (r) {
            reason = r;
        } else {
            char buf[256];
            ERR_error_string_n(e, buf, sizeof buf);
            reason = buf;
        }
    }
    ERR_clear_error();
    return reason.empty() ? std::string(fallback) : reason;
}

}  // namespace

std::string_view toString(FingerprintHash h) {
    for (const auto& e : kHashes)
        if (e.hash == h) return e.name;
    return "sha-256";
}

std::optional<FingerprintHash> fingerprintHashByName(std::string_view name) {
    for (const auto& e : kHashes)
        if (iequals(e.name, name)) return e.hash;
    return std::nullopt;
}

size_t digestSize(FingerprintHash h) {
    for (const auto& e : kHashes)
        if (e.hash == h) return e.size;
    return 0;
}

Result<Fingerprint> parseFingerprint(std::string_view value) {
    value = trimBlanks(value);
    size_t sp = 0;
    while (sp < value.size() && !isBlank(value[sp])) ++sp;
    const std::string_view name = value.substr(0, sp);
    if (name.empty()) return Error{"fingerprint: missing hash function"};
    if (sp == value.size()) return Error{"fingerprint: missing fingerprint after hash function"};
    auto hash = fingerprintHashByName(name);
    if (!hash) return Error{"fingerprint: unsupported hash function '" + std::string(name) + "'"};
    std::string_view hex = trimBlanks(value.substr(sp));
    const size_t want = digestSize(*hash);
    // RFC 8122 §5: 2UHEX *(":" 2UHEX); lower case is taken as well.
    if (hex.size() != want * 3 - 1)
        return Error{"fingerprint: " + std::string(toString(*hash)) + " needs " +
                     std::to_string(want) + " octets"};
    Fingerprint fp{*hash, {}};
    fp.bytes.reserve(want);
    for (size_t i = 0; i < want; ++i) {
        const size_t at = i * 3;
        const int hi = hexValue(hex[at]), lo = hexValue(hex[at + 1]);
        if (hi < 0 || lo < 0) return Error{"fingerprint: bad hex digit"};
        if (i + 1 < want && hex[at + 2] != ':')
            return Error{"fingerprint: octets must be separated by ':'"};
        fp.bytes.push_back(uint8_t(hi << 4 | lo));
    }
    return fp;
}

std::string writeFingerprint(const Fingerprint& fp) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out(toString(fp.hash));
    out.reserve(out.size() + 1 + fp.bytes.size() * 3);
    out += ' ';
    for (size_t i = 0; i < fp.bytes.size(); ++i) {
        if (i) out += ':';
        out += kHex[fp.bytes[i] >> 4];
        out += kHex[fp.bytes[i] & 15];
    }
    return out;
}

Result<DtlsSetup> parseSetup(std::string_view value) {
    static constexpr std::pair<std::string_view, DtlsSetup> kSetups[] = {
        {"actpass", DtlsSetup::ActPass},
        {"active", DtlsSetup::Active},
        {"passive", DtlsSetup::Passive},
        {"holdconn", DtlsSetup::HoldConn},
    };
    for (const auto& [name, s] : kSetups)
        if (iequals(name, value)) return s;
    return Error{"setup: unknown value (actpass, active, passive or holdconn)"};
}

std::string_view toString(DtlsSetup s) {
    switch (s) {
        case DtlsSetup::ActPass:
            return "actpass";
        case DtlsSetup::Active:
            return "active";
        case DtlsSetup::Passive:
            return "passive";
        case DtlsSetup::HoldConn:
            return "holdconn";
    }
    return "actpass";
}

Result<void> checkTlsId(std::string_view value) {
    if (value.size() < 20 || value.size() > 255)
        return Error{"tls-id: must be 20 to 255 characters"};
    for (char c : value) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
                        c == '-' || c == '_';
        if (!ok) return Error{"tls-id: character outside ALPHA / DIGIT / + / - _"};
    }
    return {};
}

// ---- SRTP profiles ----

std::string_view toString(SrtpProfile p) {
    switch (p) {
        case SrtpProfile::Aes128CmSha1_80:
            return "SRTP_AES128_CM_SHA1_80";
        case SrtpProfile::Aes128CmSha1_32:
            return "SRTP_AES128_CM_SHA1_32";
        case SrtpProfile::AeadAes128Gcm:
            return "SRTP_AEAD_AES_128_GCM";
        case SrtpProfile::AeadAes256Gcm:
            return "SRTP_AEAD_AES_256_GCM";
    }
    return "";
}

SrtpSuite suiteOf(SrtpProfile p) {
    switch (p) {
        case SrtpProfile::Aes128CmSha1_80:
            return SrtpSuite::AesCm128HmacSha1_80;
        case SrtpProfile::Aes128CmSha1_32:
            return SrtpSuite::AesCm128HmacSha1_32;
        case SrtpProfile::AeadAes128Gcm:
            return SrtpSuite::AeadAes128Gcm;
        case SrtpProfile::AeadAes256Gcm:
            return SrtpSuite::AeadAes256Gcm;
    }
    return SrtpSuite::AesCm128HmacSha1_80;
}

std::span<const SrtpProfile> defaultSrtpProfiles() {
    static constexpr SrtpProfile kProfiles[] = {
        SrtpProfile::AeadAes256Gcm,
        SrtpProfile::AeadAes128Gcm,
        SrtpProfile::Aes128CmSha1_80,
        SrtpProfile::Aes128CmSha1_32,
    };
    return kProfiles;
}

std::string_view toString(DtlsState s) {
    switch (s) {
        case DtlsState::New:
            return "new";
        case DtlsState::Handshaking:
            return "handshaking";
        case DtlsState::Connected:
            return "connected";
        case DtlsState::Failed:
            return "failed";
        case DtlsState::Closed:
            return "closed";
    }
    return "";
}

// ---- certificate ----

struct DtlsContext {
    SSL_CTX* ctx = nullptr;
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
    ~DtlsContext() {
        SSL_CTX_free(ctx);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

namespace {

constexpr long kDay = 24 * 60 * 60;
// A peer's Certificate message larger than this is refused: it bounds what
// the reassembly of one handshake message may hold (a self-signed RSA-4096
// certificate is under 2 KiB).
constexpr long kMaxPeerCertList = 16 * 1024;

int verifyCallback(int preverifyOk, X509_STORE_CTX* store);

}  // namespace

Result<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::create(
    const DtlsCertificateOptions& options) {
    if (options.mtu < 576) return Error{"DTLS MTU must be at least 576"};
    if (options.keyType == DtlsKeyType::Rsa &&
        (options.rsaKeyBits < 1024 || options.rsaKeyBits > 16384))
        return Error{"DTLS RSA key size must be 1024 to 16384 bits"};
    ERR_clear_error();
    std::shared_ptr<DtlsCertificate> self(new DtlsCertificate());
    self->options_ = options;
    self->ctx_ = std::make_unique<DtlsContext>();
    DtlsContext& c = *self->ctx_;

    c.key =
        options.keyType == DtlsKeyType::Rsa ? EVP_RSA_gen(options.rsaKeyBits) : EVP_EC_gen("P-256");
    if (!c.key) return Error{"DTLS key generation failed: " + takeOpenSslError("?")};

    c.cert = X509_new();
    if (!c.cert) return Error{"X509_new failed"};
    // Version 1, no extensions (as rtpengine's): nothing but a key to pin
    // by its fingerprint.
    X509_set_version(c.cert, X509_VERSION_1);
    unsigned char serial[8];
    if (RAND_bytes(serial, sizeof serial) != 1) return Error{"RAND_bytes failed"};
    serial[0] &= 0x7f;  // a positive INTEGER
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool serialOk = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c.cert));
    BN_free(bn);
    if (!serialOk) return Error{"certificate serial failed"};
    // A day back (peers with a clock behind), 30 days ahead.
    if (!X509_gmtime_adj(X509_getm_notBefore(c.cert), -kDay) ||
        !X509_gmtime_adj(X509_getm_notAfter(c.cert), 30 * kDay))
        return Error{"certificate validity failed"};
    X509_NAME* name = X509_get_subject_name(c.cert);
    if (X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(options.commonName.c_str()), -1, -1, 0) != 1 ||
        X509_set_issuer_name(c.cert, name) != 1 || X509_set_pubkey(c.cert, c.key) != 1)
        return Error{"certificate name or key failed: " + takeOpenSslError("?")};
    const EVP_MD* md = options.signature == DtlsSignatureHash::Sha1 ? EVP_sha1() : EVP_sha256();
    if (X509_sign(c.cert, c.key, md) <= 0)
        return Error{"certificate signature failed: " + takeOpenSslError("?")};
    for (const auto& e : kHashes) {
        auto fp = certFingerprint(c.cert, e.hash);
        if (!fp) return Error{"certificate digest failed"};
        self->fingerprints_[size_t(e.hash)] = std::move(*fp);
    }
    struct tm tmAfter {};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(c.cert), &tmAfter) == 1)
        self->notAfter_ = int64_t(timegm(&tmAfter));

    // DTLS 1.0 and 1.2, as rtpengine (DTLS 1.0 peers still exist).
    c.ctx = SSL_CTX_new(DTLS_method());
    if (!c.ctx) return Error{"SSL_CTX_new failed: " + takeOpenSslError("?")};
    if (SSL_CTX_use_certificate(c.ctx, c.cert) != 1 || SSL_CTX_use_PrivateKey(c.ctx, c.key) != 1 ||
        SSL_CTX_check_private_key(c.ctx) != 1)
        return Error{"DTLS certificate not usable: " + takeOpenSslError("?")};
    if (SSL_CTX_set_cipher_list(c.ctx, options.ciphers.c_str()) != 1)
        return Error{"DTLS cipher list '" + options.ciphers + "' selects no cipher"};
    // prime256v1 only, the one group rtpengine 10.5's ClientHello lists.
    if (SSL_CTX_set1_groups_list(c.ctx, "P-256") != 1)
        return Error{"DTLS groups failed: " + takeOpenSslError("?")};
    // The peer's certificate is self-signed: it is checked against the
    // fingerprint of its SDP, not a chain (RFC 5763 §5).
    SSL_CTX_set_verify(c.ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verifyCallback);
    SSL_CTX_set_max_cert_list(c.ctx, kMaxPeerCertList);
    SSL_CTX_set_session_cache_mode(c.ctx, SSL_SESS_CACHE_OFF);
    // No MTU query (there is no socket), no tickets or renegotiation (keys
    // are exported once per handshake).
    SSL_CTX_set_options(c.ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_read_ahead(c.ctx, 1);
    ERR_clear_error();
    return std::shared_ptr<const DtlsCertificate>(std::move(self));
}

DtlsCertificate::~DtlsCertificate() = default;

const Fingerprint& DtlsCertificate::fingerprint(FingerprintHash hash) const {
    return fingerprints_[size_t(hash)];
}

std::string DtlsCertificate::certificatePem() const {
    BIO* b = BIO_new(BIO_s_mem());
    if (!b) return {};
    std::string out;
    if (PEM_write_bio_X509(b, ctx_->cert) == 1) {
        char* data = nullptr;
        const long n = BIO_get_mem_data(b, &data);
        if (n > 0) out.assign(data, size_t(n));
    }
    BIO_free(b);
    return out;
}

// ---- connection ----

struct DtlsSession {
    SSL* ssl = nullptr;
    ~DtlsSession() { SSL_free(ssl); }  // frees the BIO too
};

// The OpenSSL callbacks reach the connection's private state through this.
struct DtlsConnection::Access {
    static DtlsConnection* of(SSL* ssl) {
        return static_cast<DtlsConnection*>(SSL_get_app_data(ssl));
    }
    static DtlsConnection* of(BIO* b) { return static_cast<DtlsConnection*>(BIO_get_data(b)); }

    static int bioWrite(BIO* b, const char* data, int len) {
        DtlsConnection* c = of(b);
        if (!c || len < 0) return -1;
        c->queueDatagram({reinterpret_cast<const uint8_t*>(data), size_t(len)});
        return len;  // a datagram dropped for the bound counts as lost on the wire
    }

    static int bioRead(BIO* b, char* buf, int len) {
        BIO_clear_retry_flags(b);
        DtlsConnection* c = of(b);
        if (!c || c->in_.empty() || len <= 0) {
            BIO_set_retry_read(b);
            return -1;
        }
        // A datagram longer than OpenSSL's buffer is cut, as a socket would.
        const size_t n = std::min(c->in_.size(), size_t(len));
        std::memcpy(buf, c->in_.data(), n);
        c->in_ = {};
        return int(n);
    }

    static long bioCtrl(BIO* b, int cmd, long, void*) {
        DtlsConnection* c = of(b);
        switch (cmd) {
            case BIO_CTRL_FLUSH:
                if (c) c->endDatagram();
                return 1;
            case BIO_CTRL_WPENDING:
                // What the open datagram holds: OpenSSL sizes the next
                // handshake fragment to fit beside it (or flushes).
                return c && c->datagramOpen_ ? long(c->out_.back().size()) : 0;
            case BIO_CTRL_PENDING:
                return c ? long(c->in_.size()) : 0;
            case BIO_CTRL_DGRAM_QUERY_MTU:
            case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
                return c ? long(c->cert_->options().mtu) : 0;
            default:
                return 0;
        }
    }

    // RFC 6347 §4.2.4.1: the timer doubles up to 60 s.
    static unsigned int timer(SSL* ssl, unsigned int timerUs) {
        DtlsConnection* c = of(ssl);
        const unsigned int first = c ? c->options_.initialRetransmitMs * 1000u : 1000000u;
        if (timerUs == 0) return first;
        return std::min(timerUs * 2u, 60u * 1000000u);
    }

    static int verify(int, X509_STORE_CTX* store) {
        // Only the peer's own certificate is pinned; a chain above it is
        // neither needed nor checked.
        if (X509_STORE_CTX_get_error_depth(store) != 0) return 1;
        SSL* ssl = static_cast<SSL*>(
            X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        DtlsConnection* c = ssl ? of(ssl) : nullptr;
        if (!c) return 0;
        // Without the peer's fingerprints yet, the check waits for them
        // (setPeerFingerprints); the keys are not given out before.
        if (!c->peerFingerprints_) return 1;
        X509* cert = X509_STORE_CTX_get_current_cert(store);
        std::string reason;
        if (!matches(cert, *c->peerFingerprints_, reason)) {
            c->verifyFailure_ = std::move(reason);
            return 0;
        }
        return 1;
    }

    static bool matches(X509* cert, const std::vector<Fingerprint>& fps, std::string& reason) {
        if (!cert) {
            reason = "peer sent no certificate";
            return false;
        }
        if (fps.empty()) {
            reason = "no fingerprint of the peer to check its certificate against";
            return false;
        }
        // RFC 8122 §5: any one of the peer's fingerprints, in any hash.
        for (const Fingerprint& fp : fps) {
            auto mine = certFingerprint(cert, fp.hash);
            if (mine && mine->bytes == fp.bytes) return true;
        }
        auto actual = certFingerprint(cert, fps.front().hash);
        reason = "peer certificate (" + (actual ? writeFingerprint(*actual) : std::string("?")) +
                 ") matches none of its " + std::to_string(fps.size()) + " SDP fingerprint(s)";
        return false;
    }
};

namespace {

int verifyCallback(int preverifyOk, X509_STORE_CTX* store) {
    return DtlsConnection::Access::verify(preverifyOk, store);
}

BIO_METHOD* bioMethod() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ngm-dtls");
        if (!m) return m;
        BIO_meth_set_write(m, DtlsConnection::Access::bioWrite);
        BIO_meth_set_read(m, DtlsConnection::Access::bioRead);
        BIO_meth_set_ctrl(m, DtlsConnection::Access::bioCtrl);
        BIO_meth_set_create(m, [](BIO* b) {
            BIO_set_init(b, 1);
            return 1;
        });
        return m;
    }();
    return method;
}

std::string profileList(const std::vector<SrtpProfile>& profiles) {
    std::string s;
    for (SrtpProfile p : profiles) {
        if (!s.empty()) s += ':';
        s += toString(p);
    }
    return s;
}

}  // namespace

DtlsConnection::DtlsConnection(std::shared_ptr<const DtlsCertificate> cert,
                               const DtlsConnectionOptions& options)
    : cert_(std::move(cert)), options_(options) {}

DtlsConnection::~DtlsConnection() = default;

Result<std::unique_ptr<DtlsConnection>> DtlsConnection::create(
    std::shared_ptr<const DtlsCertificate> cert, const DtlsConnectionOptions& options) {
    if (!cert) return Error{"DTLS connection without a certificate"};
    if (options.srtpProfiles.empty()) return Error{"DTLS connection without SRTP profiles"};
    if (options.initialRetransmitMs == 0) return Error{"DTLS retransmission time must be > 0"};
    BIO_METHOD* method = bioMethod();
    if (!method) return Error{"DTLS BIO method unavailable"};
    ERR_clear_error();
    std::unique_ptr<DtlsConnection> c(new DtlsConnection(std::move(cert), options));
    c->session_ = std::make_unique<DtlsSession>();
    SSL* ssl = SSL_new(c->cert_->context().ctx);
    if (!ssl) return Error{"SSL_new failed: " + takeOpenSslError("?")};
    c->session_->ssl = ssl;
    BIO* bio = BIO_new(method);
    if (!bio) return Error{"BIO_new failed"};
    BIO_set_data(bio, c.get());
    SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL now
    SSL_set_app_data(ssl, c.get());
    DTLS_set_timer_cb(ssl, Access::timer);
    // The handshake's datagrams stay within the MTU (fragmented to fit).
    if (SSL_set_mtu(ssl, long(c->cert_->options().mtu)) <= 0) return Error{"DTLS MTU not accepted"};
    // Note: returns 0 on success.
    if (SSL_set_tlsext_use_srtp(ssl, profileList(options.srtpProfiles).c_str()) != 0)
        return Error{"SRTP profiles not accepted: " + takeOpenSslError("?")};
    if (options.role == DtlsRole::Active)
        SSL_set_connect_state(ssl);
    else
        SSL_set_accept_state(ssl);
    return c;
}

void DtlsConnection::setPeerFingerprints(std::vector<Fingerprint> fps, uint64_t nowMs) {
    peerFingerprints_ = std::move(fps);
    (void)nowMs;
    // Checked now if the handshake is done; a Connected connection whose
    // peer changed its fingerprints to others fails (a new certificate
    // needs a new handshake, i.e. a new connection).
    if ((state_ == DtlsState::Handshaking && handshakeDone_) || state_ == DtlsState::Connected) {
        std::string reason;
        if (!checkPeer(reason)) {
            fail(std::move(reason));
            return;
        }
        state_ = DtlsState::Connected;
    }
}

void DtlsConnection::start(uint64_t nowMs) {
    if (state_ != DtlsState::New) return;
    state_ = DtlsState::Handshaking;
    deadlineMs_ = nowMs + options_.handshakeTimeoutMs;
    drive(nowMs);
}

void DtlsConnection::feed(std::span<const uint8_t> datagram, uint64_t nowMs) {
    if (state_ == DtlsState::Failed || state_ == DtlsState::Closed) return;
    if (datagram.empty() || datagram.size() > options_.maxDatagram) {
        ++stats_.datagramsDropped;
        return;
    }
    ++stats_.datagramsIn;
    if (state_ == DtlsState::New) {
        state_ = DtlsState::Handshaking;
        deadlineMs_ = nowMs + options_.handshakeTimeoutMs;
    }
    in_ = datagram;
    drive(nowMs);
    in_ = {};
}

void DtlsConnection::drive(uint64_t nowMs) {
    (void)nowMs;
    SSL* ssl = session_ ? session_->ssl : nullptr;
    if (!ssl) return;
    ERR_clear_error();
    if (!handshakeDone_) {
        const int r = SSL_do_handshake(ssl);
        if (r == 1) {
            handshakeDone_ = true;
            afterHandshake();
        } else {
            const int e = SSL_get_error(ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                endDatagram();  // the alert OpenSSL wrote still goes out
                std::string reason = !verifyFailure_.empty()
                                         ? std::move(verifyFailure_)
                                         : "handshake: " + takeOpenSslError("failed");
                fail(std::move(reason));
                return;
            }
        }
    }
    if (handshakeDone_ && state_ != DtlsState::Failed && session_) {
        // After the handshake only alerts matter (close_notify, a fatal
        // one) and a repeated last flight of the peer, which OpenSSL
        // answers by sending its own last flight again. Application data
        // is not used with DTLS-SRTP and is discarded.
        uint8_t sink[512];
        for (int i = 0; i < 64; ++i) {
            const int r = SSL_read(ssl, sink, sizeof sink);
            if (r > 0) continue;
            const int e = SSL_get_error(ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN) {
                endDatagram();
                state_ = DtlsState::Closed;
                session_.reset();
                ERR_clear_error();
                return;
            }
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                endDatagram();
                fail("after handshake: " + takeOpenSslError("read failed"));
                return;
            }
            break;
        }
    }
    ERR_clear_error();
    endDatagram();
    // SSL_free_buffers() would give ~9 KiB of an idle connection back, but
    // OpenSSL 3.0.19 then crashes in SSL_shutdown's close_notify: not used.
}

void DtlsConnection::afterHandshake() {
    SSL* ssl = session_->ssl;
    SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl);
    if (!p) {
        fail("no SRTP profile negotiated (use_srtp missing or no common profile)");
        return;
    }
    std::optional<SrtpProfile> profile;
    for (SrtpProfile candidate : options_.srtpProfiles)
        if (uint16_t(candidate) == p->id) profile = candidate;
    if (!profile) {
        fail("peer selected SRTP profile " + std::to_string(p->id) + " that was not offered");
        return;
    }
    // RFC 5764 §4.2: client key | server key | client salt | server salt.
    const SrtpSuite suite = suiteOf(*profile);
    const SrtpSuiteInfo& info = suiteInfo(suite);
    const size_t k = info.masterKeyLen, s = info.masterSaltLen;
    uint8_t material[2 * (32 + 14)];
    static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (SSL_export_keying_material(ssl, material, 2 * (k + s), kLabel, sizeof kLabel - 1, nullptr,
                                   0, 0) != 1) {
        fail("SRTP key export failed: " + takeOpenSslError("?"));
        return;
    }
    SrtpKeyMaterial client{
        suite, {material, material + k}, {material + 2 * k, material + 2 * k + s}};
    SrtpKeyMaterial server{
        suite, {material + k, material + 2 * k}, {material + 2 * k + s, material + 2 * (k + s)}};
    OPENSSL_cleanse(material, sizeof material);
    const bool client_ = options_.role == DtlsRole::Active;
    sendKeys_ = client_ ? std::move(client) : std::move(server);
    receiveKeys_ = client_ ? std::move(server) : std::move(client);
    profile_ = profile;
    if (!peerFingerprints_) return;  // Connected once they come
    std::string reason;
    if (!checkPeer(reason)) {
        fail(std::move(reason));
        return;
    }
    state_ = DtlsState::Connected;
}

bool DtlsConnection::checkPeer(std::string& reason) const {
    X509* cert = session_ ? SSL_get0_peer_certificate(session_->ssl) : nullptr;
    return Access::matches(
        cert, peerFingerprints_ ? *peerFingerprints_ : std::vector<Fingerprint>{}, reason);
}

void DtlsConnection::fail(std::string reason) {
    state_ = DtlsState::Failed;
    failure_ = std::move(reason);
    // Keys are given out only while Connected.
    profile_.reset();
    sendKeys_ = {};
    receiveKeys_ = {};
    // Nothing more to say or retransmit: the SSL object and its buffers go.
    endDatagram();
    session_.reset();
    ERR_clear_error();
}

std::optional<uint64_t> DtlsConnection::nextTimeoutMs(uint64_t nowMs) const {
    if (state_ != DtlsState::Handshaking && state_ != DtlsState::Connected) return std::nullopt;
    std::optional<uint64_t> next;
    // A handshake done but waiting for the peer's fingerprints (its answer
    // may take as long as the callee rings) is bounded by the call.
    if (state_ == DtlsState::Handshaking && !handshakeDone_)
        next = deadlineMs_ > nowMs ? deadlineMs_ - nowMs : 0;
    timeval tv{};
    if (session_ && DTLSv1_get_timeout(session_->ssl, &tv) == 1) {
        // Rounded up: a timer that fires early finds nothing to do.
        const uint64_t ms = uint64_t(tv.tv_sec) * 1000 + (uint64_t(tv.tv_usec) + 999) / 1000;
        next = next ? std::min(*next, ms) : ms;
    }
    return next;
}

void DtlsConnection::onTimeout(uint64_t nowMs) {
    if (state_ == DtlsState::Handshaking && !handshakeDone_ && nowMs >= deadlineMs_) {
        fail("handshake not completed within " + std::to_string(options_.handshakeTimeoutMs) +
             " ms");
        return;
    }
    if (!session_ || (state_ != DtlsState::Handshaking && state_ != DtlsState::Connected)) return;
    ERR_clear_error();
    const int r = DTLSv1_handle_timeout(session_->ssl);
    if (r > 0) ++stats_.retransmitTimeouts;
    if (r < 0) {
        endDatagram();
        fail("retransmission: " + takeOpenSslError("too many timeouts"));
        return;
    }
    ERR_clear_error();
    endDatagram();
}

void DtlsConnection::close() {
    if (state_ == DtlsState::Closed || state_ == DtlsState::Failed) return;
    if (session_ && handshakeDone_) {
        ERR_clear_error();
        SSL_shutdown(session_->ssl);  // queues close_notify; no wait for the peer's
        endDatagram();
    }
    state_ = DtlsState::Closed;
    profile_.reset();
    sendKeys_ = {};
    receiveKeys_ = {};
    session_.reset();
    ERR_clear_error();
}

bool DtlsConnection::popOutgoing(std::vector<uint8_t>& out) {
    if (out_.empty()) return false;
    if (out_.size() == 1) datagramOpen_ = false;
    out = std::move(out_.front());
    out_.pop_front();
    outBytes_ -= out.size();
    ++stats_.datagramsOut;
    return true;
}

std::optional<SrtpProfile> DtlsConnection::srtpProfile() const {
    if (state_ != DtlsState::Connected) return std::nullopt;
    return profile_;
}

std::optional<Fingerprint> DtlsConnection::peerFingerprint(FingerprintHash hash) const {
    if (!session_) return std::nullopt;
    return certFingerprint(SSL_get0_peer_certificate(session_->ssl), hash);
}

void DtlsConnection::queueDatagram(std::span<const uint8_t> data) {
    // During a handshake OpenSSL collects a flight in a buffering BIO of its
    // own and may hand over several records in one write, more than fit in
    // one datagram (it underestimates the AEAD expansion of Finished). So
    // the records are packed here, each whole, up to the MTU.
    while (!data.empty()) {
        size_t n = data.size();
        if (n >= 13) {
            const size_t recordLen = 13 + (size_t(data[11]) << 8 | data[12]);
            if (recordLen <= n) n = recordLen;
        }
        queueRecord(data.first(n));
        data = data.subspan(n);
    }
}

void DtlsConnection::queueRecord(std::span<const uint8_t> record) {
    const size_t mtu = cert_->options().mtu;
    if (datagramOpen_ && out_.back().size() + record.size() <= mtu &&
        outBytes_ + record.size() <= options_.maxQueuedBytes) {
        out_.back().insert(out_.back().end(), record.begin(), record.end());
        outBytes_ += record.size();
        return;
    }
    datagramOpen_ = false;
    if (out_.size() >= options_.maxQueuedDatagrams ||
        outBytes_ + record.size() > options_.maxQueuedBytes) {
        ++stats_.datagramsDropped;
        return;
    }
    out_.emplace_back(record.begin(), record.end());
    outBytes_ += record.size();
    datagramOpen_ = true;
}

void DtlsConnection::endDatagram() { datagramOpen_ = false; }

}  // namespace ngm::crypto
