// STUN message codec (RFC 8489, which obsoletes RFC 5389) with the
// attributes ICE (RFC 8445 §7) and consent freshness (RFC 7675) use.
//
// parse() turns one datagram into a Message: a view into the datagram's
// bytes that holds the decoded attributes ICE needs. It does no I/O and
// allocates nothing, also on failure (every error reason fits std::string's
// small buffer). The datagram must outlive the Message.
//
// Builder writes a message into a caller's buffer (no allocation either):
//
//     uint8_t buf[kMaxMessage];
//     Builder b(buf, Class::Request, tid);
//     b.addUsername(remoteUfrag, localUfrag);
//     b.addPriority(prio);
//     b.addMessageIntegrity(remoteKey);
//     b.addFingerprint();
//     std::span<const uint8_t> wire = b.finish();  // empty if it did not fit
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crypto/openssl.h"
#include "net/address.h"

namespace ngm::ice::stun {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr size_t kHeaderSize = 20;
// What ICE sends fits easily; a datagram that is larger is still parsed.
constexpr size_t kMaxMessage = 548;
// RFC 8489 §14.3: USERNAME is at most 513 octets.
constexpr size_t kMaxUsername = 513;
// RFC 8489 §14.8: the reason phrase is at most 763 octets.
constexpr size_t kMaxReason = 763;
// Unknown comprehension-required attributes remembered for a 420 reply.
constexpr size_t kMaxUnknown = 8;

constexpr uint16_t kMethodBinding = 0x001;

enum class Class : uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

// RFC 8489 §18.3, RFC 8445 §16.1.
namespace attr {
constexpr uint16_t MappedAddress = 0x0001;
constexpr uint16_t Username = 0x0006;
constexpr uint16_t MessageIntegrity = 0x0008;
constexpr uint16_t ErrorCode = 0x0009;
constexpr uint16_t UnknownAttributes = 0x000A;
constexpr uint16_t Realm = 0x0014;
constexpr uint16_t Nonce = 0x0015;
constexpr uint16_t MessageIntegritySha256 = 0x001C;
constexpr uint16_t PasswordAlgorithm = 0x001D;
constexpr uint16_t Userhash = 0x001E;
constexpr uint16_t XorMappedAddress = 0x0020;
constexpr uint16_t Priority = 0x0024;
constexpr uint16_t UseCandidate = 0x0025;
constexpr uint16_t PasswordAlgorithms = 0x8002;
constexpr uint16_t AlternateDomain = 0x8003;
constexpr uint16_t Software = 0x8022;
constexpr uint16_t AlternateServer = 0x8023;
constexpr uint16_t Fingerprint = 0x8028;
constexpr uint16_t IceControlled = 0x8029;
constexpr uint16_t IceControlling = 0x802A;
}  // namespace attr

// RFC 8489 §14.8 and RFC 8445 §7.3.1.1.
namespace error {
constexpr uint16_t BadRequest = 400;
constexpr uint16_t Unauthorized = 401;
constexpr uint16_t UnknownAttribute = 420;
constexpr uint16_t RoleConflict = 487;
constexpr uint16_t ServerError = 500;
}  // namespace error

struct TransactionId {
    std::array<uint8_t, 12> bytes{};
    bool operator==(const TransactionId&) const = default;
    // 96 random bits from OpenSSL's CSPRNG.
    static TransactionId random();
};

// RFC 8489 §7: the first two bits are zero; that and the magic cookie tell
// STUN from RTP/RTCP/DTLS (RFC 7983 checks the first byte only).
bool looksLikeStun(std::span<const uint8_t> datagram);

// A short-term credential's key (RFC 8489 §9.1.1: the password itself, after
// OpaqueString, which ICE's ice-chars passwords leave unchanged). The
// HMAC-SHA1 state is keyed once; made when the SDP brings a password, never
// per packet.
class IntegrityKey {
  public:
    static Result<IntegrityKey> create(std::string_view password);
    std::string_view password() const { return password_; }
    crypto::HmacSha1& sha1() { return sha1_; }

  private:
    IntegrityKey(std::string pw, crypto::HmacSha1 mac)
        : password_(std::move(pw)), sha1_(std::move(mac)) {}
    std::string password_;
    crypto::HmacSha1 sha1_;
};

// One decoded message. Offsets are from the start of the message; 0 means
// "not present" (no attribute starts inside the header).
struct Message {
    std::span<const uint8_t> raw;  // the whole message: header and attributes
    uint16_t method = 0;
    Class cls = Class::Request;
    TransactionId transactionId;

    std::string_view username;  // empty if absent
    bool hasUsername = false;
    std::optional<uint32_t> priority;
    bool useCandidate = false;
    std::optional<uint64_t> iceControlling;
    std::optional<uint64_t> iceControlled;
    std::optional<net::Endpoint> xorMappedAddress;
    std::optional<uint16_t> errorCode;  // 300..699
    std::string_view errorReason;

    uint32_t integrityOffset = 0;        // MESSAGE-INTEGRITY attribute header
    uint32_t integritySha256Offset = 0;  // MESSAGE-INTEGRITY-SHA256
    uint8_t integritySha256Length = 0;   // its value's length (16..32)
    uint32_t fingerprintOffset = 0;      // FINGERPRINT (checked by parse)

    // Comprehension-required attributes (type < 0x8000) this codec does not
    // know: a request that has one gets 420 (RFC 8489 §6.3.1.1), a response
    // is dropped.
    std::array<uint16_t, kMaxUnknown> unknown{};
    uint8_t unknownCount = 0;

    bool hasIntegrity() const { return integrityOffset != 0 || integritySha256Offset != 0; }
};

// Parses a datagram that holds exactly one STUN message. Rejects: short or
// misaligned header, a nonzero top bit pair, a wrong magic cookie, a length
// field that does not match the datagram, attributes that run past the
// message, known attributes of the wrong size, anything after FINGERPRINT,
// and a FINGERPRINT that does not match. Attributes after MESSAGE-INTEGRITY
// other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored (RFC 8489
// §14.5); of repeated attributes only the first counts.
Result<Message> parse(std::span<const uint8_t> datagram);

// RFC 8489 §14.5/§14.6: every integrity attribute the message has must
// verify with `key`; false if it has none. Uses only what parse() recorded.
bool verifyIntegrity(const Message& m, IntegrityKey& key);

// CRC-32 (ISO-HDLC, as zlib's crc32) of data.
uint32_t crc32(std::span<const uint8_t> data);

class Builder {
  public:
    Builder(std::span<uint8_t> buffer, Class cls, const TransactionId& tid,
            uint16_t method = kMethodBinding);

    // USERNAME "a:b" (ICE: remote ufrag, colon, local ufrag) or just "a".
    void addUsername(std::string_view a, std::string_view b = {});
    void addPriority(uint32_t priority);
    void addUseCandidate();
    void addIceControlling(uint64_t tieBreaker);
    void addIceControlled(uint64_t tieBreaker);
    void addXorMappedAddress(const net::Endpoint& ep);
    void addErrorCode(uint16_t code, std::string_view reason);
    void addUnknownAttributes(std::span<const uint16_t> types);
    void addSoftware(std::string_view text);
    // Generic attribute (tests, and what the codec does not name).
    void addAttribute(uint16_t type, std::span<const uint8_t> value);
    // Integrity and fingerprint go last, in this order.
    void addMessageIntegrity(IntegrityKey& key);
    void addMessageIntegritySha256(IntegrityKey& key);
    void addFingerprint();

    bool ok() const { return ok_; }
    // The finished message, or an empty span if something did not fit.
    std::span<const uint8_t> finish() const;

  private:
    uint8_t* reserve(uint16_t type, size_t len);  // attribute header + padded value
    void setLength(size_t bodyLen);
    std::span<uint8_t> buf_;
    size_t len_ = 0;
    bool ok_ = true;
};

// The reason phrase RFC 8489 §14.8 suggests for a code.
std::string_view errorReasonFor(uint16_t code);

}  // namespace ngm::ice::stun
