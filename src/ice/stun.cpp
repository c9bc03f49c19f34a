#include "ice/stun.h"

#include <arpa/inet.h>

#include <cstring>

namespace ngm::ice::stun {

namespace {

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) << 32 | rd32(p + 4); }
void wr16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void wr32(uint8_t* p, uint32_t v) {
    wr16(p, uint16_t(v >> 16));
    wr16(p + 2, uint16_t(v));
}
void wr64(uint8_t* p, uint64_t v) {
    wr32(p, uint32_t(v >> 32));
    wr32(p + 4, uint32_t(v));
}

// Error reasons stay within std::string's small buffer (15 characters), so
// a rejected datagram allocates nothing either.
Error bad(const char* reason) { return Error{reason}; }

constexpr uint32_t kFingerprintXor = 0x5354554e;

struct Crc32Table {
    uint32_t t[256];
    constexpr Crc32Table() : t{} {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
    }
};
constexpr Crc32Table kCrc;

// The header with its length field set as if the message ended `end` octets
// from its start (RFC 8489 §14.5: integrity covers the header with that
// length).
void headerWithLength(const Message& m, size_t end, uint8_t (&out)[kHeaderSize]) {
    std::memcpy(out, m.raw.data(), kHeaderSize);
    wr16(out + 2, uint16_t(end - kHeaderSize));
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> data) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint8_t b : data) c = kCrc.t[(c ^ b) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

TransactionId TransactionId::random() {
    TransactionId t;
    crypto::randomBytes(t.bytes);
    return t;
}

bool looksLikeStun(std::span<const uint8_t> d) {
    return d.size() >= kHeaderSize && (d[0] & 0xC0) == 0 && rd32(d.data() + 4) == kMagicCookie;
}

Result<IntegrityKey> IntegrityKey::create(std::string_view password) {
    auto mac = crypto::HmacSha1::create(
        std::span(reinterpret_cast<const uint8_t*>(password.data()), password.size()));
    if (!mac) return mac.error();
    return IntegrityKey(std::string(password), std::move(*mac));
}

Result<Message> parse(std::span<const uint8_t> d) {
    if (d.size() < kHeaderSize) return bad("short header");
    const uint8_t* p = d.data();
    const uint16_t type = rd16(p);
    if (type & 0xC000) return bad("not STUN");
    if (rd32(p + 4) != kMagicCookie) return bad("no cookie");
    const size_t bodyLen = rd16(p + 2);
    if (bodyLen % 4 != 0) return bad("bad length");
    if (kHeaderSize + bodyLen != d.size()) return bad("length mismatch");

    Message m;
    m.raw = d;
    // RFC 8489 §5: the class is bits C1 (0x100) and C0 (0x010) of the type.
    m.cls = Class(((type >> 7) & 2) | ((type >> 4) & 1));
    m.method = uint16_t((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
    std::memcpy(m.transactionId.bytes.data(), p + 8, 12);

    bool afterIntegrity = false;
    size_t off = kHeaderSize;
    while (off < d.size()) {
        if (d.size() - off < 4) return bad("short attribute");
        const uint16_t at = rd16(p + off);
        const size_t len = rd16(p + off + 2);
        const size_t padded = (len + 3) & ~size_t(3);
        if (padded > d.size() - off - 4) return bad("long attribute");
        if (m.fingerprintOffset) return bad("after fingerprint");
        const uint8_t* v = p + off + 4;
        const size_t here = off;
        off += 4 + padded;

        if (at == attr::Fingerprint) {
            if (len != 4) return bad("bad fingerprint");
            const uint32_t want = crc32(d.subspan(0, here)) ^ kFingerprintXor;
            if (rd32(v) != want) return bad("bad fingerprint");
            m.fingerprintOffset = uint32_t(here);
            continue;
        }
        if (at == attr::MessageIntegritySha256) {
            // RFC 8489 §14.6: 16 to 32 octets, a multiple of 4.
            if (len < 16 || len > 32 || len % 4) return bad("bad integrity");
            if (!m.integritySha256Offset) {
                m.integritySha256Offset = uint32_t(here);
                m.integritySha256Length = uint8_t(len);
            }
            afterIntegrity = true;
            continue;
        }
        // RFC 8489 §14.5: the rest after MESSAGE-INTEGRITY is ignored.
        if (afterIntegrity) continue;

        switch (at) {
            case attr::MessageIntegrity:
                if (len != crypto::kSha1Size) return bad("bad integrity");
                m.integrityOffset = uint32_t(here);
                afterIntegrity = true;
                break;
            case attr::Username:
                if (len > kMaxUsername) return bad("bad username");
                if (!m.hasUsername) {
                    m.hasUsername = true;
                    m.username = std::string_view(reinterpret_cast<const char*>(v), len);
                }
                break;
            case attr::Priority:
                if (len != 4) return bad("bad priority");
                if (!m.priority) m.priority = rd32(v);
                break;
            case attr::UseCandidate:
                if (len != 0) return bad("bad attribute");
                m.useCandidate = true;
                break;
            case attr::IceControlling:
                if (len != 8) return bad("bad attribute");
                if (!m.iceControlling) m.iceControlling = rd64(v);
                break;
            case attr::IceControlled:
                if (len != 8) return bad("bad attribute");
                if (!m.iceControlled) m.iceControlled = rd64(v);
                break;
            case attr::XorMappedAddress: {
                if (len < 4) return bad("bad address");
                const uint16_t port = rd16(v + 2) ^ uint16_t(kMagicCookie >> 16);
                if (v[1] == 0x01) {
                    if (len != 8) return bad("bad address");
                    in_addr a;
                    const uint32_t x = rd32(v + 4) ^ kMagicCookie;
                    a.s_addr = htonl(x);
                    if (!m.xorMappedAddress)
                        m.xorMappedAddress = net::Endpoint{net::IpAddress::fromV4(a), port};
                } else if (v[1] == 0x02) {
                    if (len != 20) return bad("bad address");
                    in6_addr a;
                    // XOR with the magic cookie and the transaction id.
                    for (int i = 0; i < 16; i++) a.s6_addr[i] = v[4 + i] ^ p[4 + i];
                    if (!m.xorMappedAddress)
                        m.xorMappedAddress = net::Endpoint{net::IpAddress::fromV6(a), port};
                } else {
                    return bad("bad address");
                }
                break;
            }
            case attr::ErrorCode: {
                if (len < 4 || len - 4 > kMaxReason) return bad("bad error code");
                const unsigned cls = v[2] & 0x07, num = v[3];
                if (cls < 3 || cls > 6 || num > 99) return bad("bad error code");
                if (!m.errorCode) {
                    m.errorCode = uint16_t(cls * 100 + num);
                    m.errorReason = std::string_view(reinterpret_cast<const char*>(v + 4), len - 4);
                }
                break;
            }
            case attr::UnknownAttributes:
                if (len % 2) return bad("bad attribute");
                break;
            case attr::MappedAddress:
            case attr::Realm:
            case attr::Nonce:
            case attr::PasswordAlgorithm:
            case attr::Userhash:
                // Known to STUN, not used by ICE's short-term credentials.
                break;
            default:
                if (at < 0x8000 && m.unknownCount < kMaxUnknown) {
                    bool seen = false;
                    for (size_t i = 0; i < m.unknownCount; i++) seen |= m.unknown[i] == at;
                    if (!seen) m.unknown[m.unknownCount++] = at;
                }
                break;
        }
    }
    if (m.cls == Class::Error && !m.errorCode) return bad("no error code");
    return m;
}

bool verifyIntegrity(const Message& m, IntegrityKey& key) {
    if (!m.hasIntegrity()) return false;
    uint8_t hdr[kHeaderSize];
    if (m.integrityOffset) {
        const size_t at = m.integrityOffset;
        headerWithLength(m, at + 4 + crypto::kSha1Size, hdr);
        uint8_t mac[crypto::kSha1Size];
        if (!key.sha1().compute(hdr, m.raw.subspan(kHeaderSize, at - kHeaderSize), mac))
            return false;
        if (!crypto::constantTimeEqual(mac, m.raw.subspan(at + 4, crypto::kSha1Size))) return false;
    }
    if (m.integritySha256Offset) {
        const size_t at = m.integritySha256Offset, len = m.integritySha256Length;
        headerWithLength(m, at + 4 + len, hdr);
        uint8_t mac[crypto::kSha256Size];
        const auto pw = key.password();
        if (!crypto::hmacSha256(std::span(reinterpret_cast<const uint8_t*>(pw.data()), pw.size()),
                                hdr, m.raw.subspan(kHeaderSize, at - kHeaderSize), mac))
            return false;
        // RFC 8489 §14.6: a truncated MAC is its leftmost octets.
        if (!crypto::constantTimeEqual(std::span(mac, len), m.raw.subspan(at + 4, len)))
            return false;
    }
    return true;
}

Builder::Builder(std::span<uint8_t> buffer, Class cls, const TransactionId& tid, uint16_t method)
    : buf_(buffer) {
    if (buf_.size() < kHeaderSize) {
        ok_ = false;
        return;
    }
    const unsigned c = unsigned(cls);
    const uint16_t type = uint16_t((method & 0x000F) | ((method & 0x0070) << 1) |
                                   ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    wr16(buf_.data(), type);
    wr16(buf_.data() + 2, 0);
    wr32(buf_.data() + 4, kMagicCookie);
    std::memcpy(buf_.data() + 8, tid.bytes.data(), 12);
    len_ = kHeaderSize;
}

void Builder::setLength(size_t total) { wr16(buf_.data() + 2, uint16_t(total - kHeaderSize)); }

uint8_t* Builder::reserve(uint16_t type, size_t len) {
    const size_t padded = (len + 3) & ~size_t(3);
    if (!ok_ || len > 0xFFFF || buf_.size() - len_ < 4 + padded ||
        len_ + 4 + padded - kHeaderSize > 0xFFFF) {
        ok_ = false;
        return nullptr;
    }
    uint8_t* p = buf_.data() + len_;
    wr16(p, type);
    wr16(p + 2, uint16_t(len));
    // RFC 8489 §14: padding octets are sent as zero.
    std::memset(p + 4, 0, padded);
    len_ += 4 + padded;
    setLength(len_);
    return p + 4;
}

void Builder::addAttribute(uint16_t type, std::span<const uint8_t> value) {
    if (uint8_t* v = reserve(type, value.size()); v && !value.empty()) {
        std::memcpy(v, value.data(), value.size());
    }
}

void Builder::addUsername(std::string_view a, std::string_view b) {
    const size_t len = a.size() + (b.empty() ? 0 : 1 + b.size());
    uint8_t* v = reserve(attr::Username, len);
    if (!v) return;
    std::memcpy(v, a.data(), a.size());
    if (!b.empty()) {
        v[a.size()] = ':';
        std::memcpy(v + a.size() + 1, b.data(), b.size());
    }
}

void Builder::addPriority(uint32_t priority) {
    if (uint8_t* v = reserve(attr::Priority, 4)) wr32(v, priority);
}

void Builder::addUseCandidate() { reserve(attr::UseCandidate, 0); }

void Builder::addIceControlling(uint64_t tieBreaker) {
    if (uint8_t* v = reserve(attr::IceControlling, 8)) wr64(v, tieBreaker);
}

void Builder::addIceControlled(uint64_t tieBreaker) {
    if (uint8_t* v = reserve(attr::IceControlled, 8)) wr64(v, tieBreaker);
}

void Builder::addXorMappedAddress(const net::Endpoint& ep) {
    const bool v6 = ep.address.family() == net::Family::V6;
    uint8_t* v = reserve(attr::XorMappedAddress, v6 ? 20 : 8);
    if (!v) return;
    v[0] = 0;
    v[1] = v6 ? 0x02 : 0x01;
    wr16(v + 2, ep.port ^ uint16_t(kMagicCookie >> 16));
    // The cookie and the transaction id follow each other in the header.
    const uint8_t* mask = buf_.data() + 4;
    const uint8_t* a = ep.address.bytes();
    for (int i = 0; i < (v6 ? 16 : 4); i++) v[4 + i] = a[i] ^ mask[i];
}

void Builder::addErrorCode(uint16_t code, std::string_view reason) {
    if (reason.size() > kMaxReason) reason = reason.substr(0, kMaxReason);
    uint8_t* v = reserve(attr::ErrorCode, 4 + reason.size());
    if (!v) return;
    v[2] = uint8_t(code / 100);
    v[3] = uint8_t(code % 100);
    std::memcpy(v + 4, reason.data(), reason.size());
}

void Builder::addUnknownAttributes(std::span<const uint16_t> types) {
    uint8_t* v = reserve(attr::UnknownAttributes, types.size() * 2);
    if (!v) return;
    for (size_t i = 0; i < types.size(); i++) wr16(v + 2 * i, types[i]);
}

void Builder::addSoftware(std::string_view text) {
    addAttribute(attr::Software,
                 std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

void Builder::addMessageIntegrity(IntegrityKey& key) {
    const size_t at = len_;
    uint8_t* v = reserve(attr::MessageIntegrity, crypto::kSha1Size);
    if (!v) return;
    // The length field already covers this attribute (RFC 8489 §14.5).
    uint8_t mac[crypto::kSha1Size];
    if (!key.sha1().compute(std::span<const uint8_t>(buf_.data(), kHeaderSize),
                            std::span<const uint8_t>(buf_.data() + kHeaderSize, at - kHeaderSize),
                            mac)) {
        ok_ = false;
        return;
    }
    std::memcpy(v, mac, sizeof mac);
}

void Builder::addMessageIntegritySha256(IntegrityKey& key) {
    const size_t at = len_;
    uint8_t* v = reserve(attr::MessageIntegritySha256, crypto::kSha256Size);
    if (!v) return;
    uint8_t mac[crypto::kSha256Size];
    const auto pw = key.password();
    if (!crypto::hmacSha256(std::span(reinterpret_cast<const uint8_t*>(pw.data()), pw.size()),
                            std::span<const uint8_t>(buf_.data(), kHeaderSize),
                            std::span<const uint8_t>(buf_.data() + kHeaderSize, at - kHeaderSize),
                            mac)) {
        ok_ = false;
        return;
    }
    std::memcpy(v, mac, sizeof mac);
}

void Builder::addFingerprint() {
    const size_t at = len_;
    uint8_t* v = reserve(attr::Fingerprint, 4);
    if (!v) return;
    wr32(v, crc32(std::span<const uint8_t>(buf_.data(), at)) ^ kFingerprintXor);
}

std::span<const uint8_t> Builder::finish() const {
    if (!ok_) return {};
    return std::span<const uint8_t>(buf_.data(), len_);
}

std::string_view errorReasonFor(uint16_t code) {
    switch (code) {
        case error::BadRequest:
            return "Bad Request";
        case error::Unauthorized:
            return "Unauthorized";
        case error::UnknownAttribute:
            return "Unknown Attribute";
        case error::RoleConflict:
            return "Role Conflict";
        case error::ServerError:
            return "Server Error";
        default:
            return "Error";
    }
}

}  // namespace ngm::ice::stun
