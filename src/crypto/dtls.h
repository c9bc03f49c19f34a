// DTLS-SRTP (RFC 5763, RFC 5764, RFC 8842) as an engine without sockets or
// threads: the SDP attribute values it needs (a=fingerprint, a=setup,
// a=tls-id), the process-wide certificate, and one DtlsConnection per
// stream that a worker drives with received datagrams and its timer.
//
// Only crypto/dtls.cpp (and crypto/openssl.cpp) include OpenSSL headers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/srtp.h"

namespace ngm::crypto {

// ---- a=fingerprint (RFC 8122) ----

enum class FingerprintHash : uint8_t { Sha1, Sha224, Sha256, Sha384, Sha512 };

// "sha-1" ... "sha-512", as written in SDP.
std::string_view toString(FingerprintHash h);
// Case-insensitive (RFC 8122 §5: hash-func is a token compared as such).
std::optional<FingerprintHash> fingerprintHashByName(std::string_view name);
// Octets of the digest: 20, 28, 32, 48, 64.
size_t digestSize(FingerprintHash h);

struct Fingerprint {
    FingerprintHash hash = FingerprintHash::Sha256;
    std::vector<uint8_t> bytes;  // digestSize(hash) octets
    bool operator==(const Fingerprint&) const = default;
};

// The value of `a=fingerprint:` ("sha-256 AB:CD:..."): hash name, one or more
// spaces, colon-separated pairs of hex digits (either case) of exactly the
// hash's length.
Result<Fingerprint> parseFingerprint(std::string_view value);
// "sha-256 AB:CD:...": lower-case hash name, upper-case hex, as rtpengine
// and browsers write it.
std::string writeFingerprint(const Fingerprint& fp);

// ---- a=setup (RFC 4145 §4, RFC 5763 §5) ----

enum class DtlsSetup : uint8_t { ActPass, Active, Passive, HoldConn };

// Case-insensitive; surrounding blanks are not accepted.
Result<DtlsSetup> parseSetup(std::string_view value);
std::string_view toString(DtlsSetup s);

// ---- a=tls-id (RFC 8842 §4) ----

// tls-id-value = 20*255(tls-id-char); tls-id-char = ALPHA / DIGIT / "+" /
// "/" / "-" / "_".
Result<void> checkTlsId(std::string_view value);

// ---- the certificate ----

enum class DtlsKeyType : uint8_t { EcPrime256v1, Rsa };
enum class DtlsSignatureHash : uint8_t { Sha256, Sha1 };

// What the daemon options say (rtpengine's defaults); the app fills it from
// --dtls-cert-cipher, --dtls-rsa-key-size, --dtls-signature, --dtls-ciphers
// and --dtls-mtu.
struct DtlsCertificateOptions {
    DtlsKeyType keyType = DtlsKeyType::EcPrime256v1;
    unsigned rsaKeyBits = 2048;
    DtlsSignatureHash signature = DtlsSignatureHash::Sha256;
    // OpenSSL cipher list for the (D)TLS 1.2 handshake.
    std::string ciphers = "DEFAULT:!NULL:!aNULL:!SHA256:!SHA384:!aECDH:!AESGCM+AES256:!aPSK";
    // Largest datagram a connection sends; handshake messages are
    // fragmented to fit (at least 576, as rtpengine requires).
    size_t mtu = 1200;
    // Common name of subject and issuer.
    std::string commonName = "ngmedia";
};

struct DtlsContext;  // detail: the shared OpenSSL SSL_CTX, key and certificate

// Self-signed X.509 certificate and key, made once at start-up and shared
// (read-only) by every connection of every worker. Like rtpengine's, it is
// valid from a day before its creation for 30 days; the owner makes a new
// one before then (connections keep the one they started with).
class DtlsCertificate {
  public:
    static Result<std::shared_ptr<const DtlsCertificate>> create(
        const DtlsCertificateOptions& options);
    ~DtlsCertificate();
    DtlsCertificate(const DtlsCertificate&) = delete;
    DtlsCertificate& operator=(const DtlsCertificate&) = delete;

    const DtlsCertificateOptions& options() const { return options_; }
    // The digest of the DER certificate with `hash`, computed at creation.
    const Fingerprint& fingerprint(FingerprintHash hash) const;
    // PEM of the certificate (tests, logs at debug level).
    std::string certificatePem() const;
    // Seconds since the epoch of notAfter.
    int64_t notAfter() const { return notAfter_; }

    DtlsContext& context() const { return *ctx_; }

  private:
    DtlsCertificate() = default;
    DtlsCertificateOptions options_;
    std::unique_ptr<DtlsContext> ctx_;
    std::array<Fingerprint, 5> fingerprints_;
    int64_t notAfter_ = 0;
};

// ---- the connection ----

enum class DtlsRole : uint8_t {
    Active,   // DTLS client: sends the ClientHello
    Passive,  // DTLS server: waits for it
};

// RFC 5764 §4.1.2 profiles, by their registry names.
enum class SrtpProfile : uint16_t {
    Aes128CmSha1_80 = 0x0001,
    Aes128CmSha1_32 = 0x0002,
    AeadAes128Gcm = 0x0007,  // RFC 7714 §14.2
    AeadAes256Gcm = 0x0008,
};
std::string_view toString(SrtpProfile p);  // "SRTP_AES128_CM_SHA1_80", ...
SrtpSuite suiteOf(SrtpProfile p);
// The profiles rtpengine 10.5 offers in its ClientHello's use_srtp, in its
// order (seen on the wire: 0x0008, 0x0007, 0x0001, 0x0002).
std::span<const SrtpProfile> defaultSrtpProfiles();

struct DtlsConnectionOptions {
    DtlsRole role = DtlsRole::Passive;
    // Offered (client) or accepted in this order of preference (server).
    std::vector<SrtpProfile> srtpProfiles{defaultSrtpProfiles().begin(),
                                          defaultSrtpProfiles().end()};
    // RFC 6347 §4.2.4.1: first retransmission after 1 s, doubling to 60 s.
    uint32_t initialRetransmitMs = 1000;
    // A handshake not done this long after start() fails (one that is done
    // but waits for the peer's fingerprints does not).
    uint32_t handshakeTimeoutMs = 30000;
    // Bounds on what a connection holds: outgoing datagrams waiting to be
    // drained (beyond them, new ones are dropped and counted, which DTLS's
    // retransmission recovers) and the largest datagram fed.
    size_t maxQueuedDatagrams = 32;
    size_t maxQueuedBytes = 64 * 1024;
    size_t maxDatagram = 16384 + 2048 + 13;  // a maximal DTLS 1.2 record
};

enum class DtlsState : uint8_t { New, Handshaking, Connected, Failed, Closed };
std::string_view toString(DtlsState s);

// SRTP master keys from the exporter (RFC 5764 §4.2), per direction.
struct SrtpKeyMaterial {
    SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
    std::vector<uint8_t> key;
    std::vector<uint8_t> salt;
    bool operator==(const SrtpKeyMaterial&) const = default;
};

struct DtlsStats {
    uint64_t datagramsIn = 0;
    uint64_t datagramsOut = 0;
    uint64_t datagramsDropped = 0;  // too large fed, or output queue full
    uint64_t retransmitTimeouts = 0;
};

struct DtlsSession;  // detail: the OpenSSL SSL object and its BIO

// One DTLS association (one per stream, or per bundle). Not thread-safe: it
// lives on the worker that owns the stream. Every call that makes the
// engine speak queues datagrams, which the caller drains with
// popOutgoing() and sends to the peer's address.
class DtlsConnection {
  public:
    static Result<std::unique_ptr<DtlsConnection>> create(
        std::shared_ptr<const DtlsCertificate> cert, const DtlsConnectionOptions& options);
    ~DtlsConnection();
    DtlsConnection(const DtlsConnection&) = delete;
    DtlsConnection& operator=(const DtlsConnection&) = delete;

    // The fingerprints of the peer's a=fingerprint lines: its certificate
    // must match one of them. They may come after start() (the peer's
    // answer can arrive after its first flight); the connection then is
    // Connected only once they are set and match. Set again on a Connected
    // connection, they must still match or it fails.
    void setPeerFingerprints(std::vector<Fingerprint> fps, uint64_t nowMs);

    // New -> Handshaking; an active connection queues its ClientHello.
    void start(uint64_t nowMs);
    // One received datagram (RFC 7983: first byte 20..63). Starts a
    // connection that was not started. Ignored once Failed or Closed.
    void feed(std::span<const uint8_t> datagram, uint64_t nowMs);
    // Milliseconds from nowMs until onTimeout() has work (a retransmission
    // or the handshake deadline); nullopt when no timer is needed.
    std::optional<uint64_t> nextTimeoutMs(uint64_t nowMs) const;
    void onTimeout(uint64_t nowMs);
    // Queues close_notify (when the handshake got far enough) -> Closed.
    void close();

    // The oldest queued outgoing datagram into `out`; false if none.
    bool popOutgoing(std::vector<uint8_t>& out);
    size_t queuedDatagrams() const { return out_.size(); }

    DtlsState state() const { return state_; }
    DtlsRole role() const { return options_.role; }
    // Why the connection Failed (one line), empty otherwise.
    const std::string& failureReason() const { return failure_; }
    const DtlsStats& stats() const { return stats_; }

    // The negotiated profile and keys. RFC 5764 §4.2: the
    // client's keys protect what the client sends.
    // Null unless Connected.
    std::optional<SrtpProfile> srtpProfile() const;
    const SrtpKeyMaterial* sendKeys() const {
        return state_ == DtlsState::Connected ? &sendKeys_ : nullptr;
    }
    const SrtpKeyMaterial* receiveKeys() const {
        return state_ == DtlsState::Connected ? &receiveKeys_ : nullptr;
    }
    // The peer's certificate digest with `hash` (after its Certificate).
    std::optional<Fingerprint> peerFingerprint(FingerprintHash hash) const;

    // For the OpenSSL callbacks in dtls.cpp only.
    struct Access;

  private:
    DtlsConnection(std::shared_ptr<const DtlsCertificate> cert,
                   const DtlsConnectionOptions& options);
    void drive(uint64_t nowMs);
    void afterHandshake();
    void fail(std::string reason);
    bool checkPeer(std::string& reason) const;
    void queueDatagram(std::span<const uint8_t> data);
    void queueRecord(std::span<const uint8_t> record);
    void endDatagram();

    std::shared_ptr<const DtlsCertificate> cert_;
    DtlsConnectionOptions options_;
    std::unique_ptr<DtlsSession> session_;
    DtlsState state_ = DtlsState::New;
    std::string failure_;
    std::string verifyFailure_;  // set by the certificate check inside OpenSSL
    std::optional<std::vector<Fingerprint>> peerFingerprints_;
    bool handshakeDone_ = false;  // OpenSSL finished; Connected once checked
    uint64_t deadlineMs_ = 0;
    std::deque<std::vector<uint8_t>> out_;
    size_t outBytes_ = 0;
    bool datagramOpen_ = false;    // records coalesce into out_.back() until a flush
    std::span<const uint8_t> in_;  // the datagram being fed, until OpenSSL reads it
    std::optional<SrtpProfile> profile_;
    SrtpKeyMaterial sendKeys_, receiveKeys_;
    DtlsStats stats_;
};

}  // namespace ngm::crypto
