#include "crypto/sdes.h"

#include <array>
#include <iterator>

namespace ngm::crypto {

namespace {

constexpr std::string_view kInline = "inline:";
constexpr uint64_t kMaxLifetime = uint64_t(1) << 48;  // RFC 4568 §6.1: SRTP's maximum
constexpr unsigned kMaxLifetimeExp = 48;
constexpr uint32_t kMaxWsh = 1u << 30;

constexpr std::array<std::string_view, 12> kOffered = {
    "AEAD_AES_256_GCM",        "AEAD_AES_128_GCM",        "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32",
    "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "F8_128_HMAC_SHA1_80",
    "F8_128_HMAC_SHA1_32",     "NULL_HMAC_SHA1_80",       "NULL_HMAC_SHA1_32",
};

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isWsp(char c) { return c == ' ' || c == '\t'; }
bool isVchar(char c) { return c >= 0x21 && c <= 0x7e; }

// 1..maxDigits decimal digits, no sign, no overflow of uint64_t.
std::optional<uint64_t> parseDecimal(std::string_view s, size_t maxDigits) {
    if (s.empty() || s.size() > maxDigits) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (!isDigit(c)) return std::nullopt;
        const uint64_t d = uint64_t(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

Error err(std::string reason) { return Error{"a=crypto: " + std::move(reason)}; }

Result<SdesLifetime> parseLifetime(std::string_view s) {
    SdesLifetime lt;
    if (s.starts_with("2^")) {
        auto n = parseDecimal(s.substr(2), 2);
        if (!n || *n > kMaxLifetimeExp) return err("bad lifetime");
        lt.value = *n;
        lt.powerOfTwo = true;
        return lt;
    }
    auto n = parseDecimal(s, 15);
    if (!n || *n == 0 || *n > kMaxLifetime) return err("bad lifetime");
    lt.value = *n;
    return lt;
}

Result<SdesMki> parseMki(std::string_view s) {
    const size_t colon = s.find(':');
    if (colon == std::string_view::npos) return err("bad MKI");
    auto value = parseDecimal(s.substr(0, colon), 20);
    auto length = parseDecimal(s.substr(colon + 1), 3);
    if (!value || !length || *length < 1 || *length > 128) return err("bad MKI");
    if (*length < 8 && *value >> (8 * *length) != 0) return err("MKI value exceeds its length");
    return SdesMki{*value, uint8_t(*length)};
}

Result<SdesKeyParam> parseKeyParam(std::string_view s, const SrtpSuiteInfo* info) {
    if (!s.starts_with(kInline)) return err("key-param without inline:");
    s.remove_prefix(kInline.size());
    SdesKeyParam kp;
    // key-salt ["|" lifetime] ["|" mki-value ":" mki-length]
    std::array<std::string_view, 3> parts;
    size_t n = 0;
    while (true) {
        const size_t bar = s.find('|');
        if (n == parts.size()) return err("too many '|' fields in a key-param");
        parts[n++] = s.substr(0, bar);
        if (bar == std::string_view::npos) break;
        s.remove_prefix(bar + 1);
    }
    auto key = base64Decode(parts[0]);
    if (!key || key->empty()) return err("bad base64 key");
    if (info && key->size() != size_t(info->masterKeyLen) + info->masterSaltLen)
        return err("key length " + std::to_string(key->size()) + " for " + std::string(info->name) +
                   ", expected " + std::to_string(info->masterKeyLen + info->masterSaltLen));
    kp.keySalt = std::move(*key);
    for (size_t i = 1; i < n; ++i) {
        if (parts[i].find(':') != std::string_view::npos) {
            if (i + 1 != n) return err("MKI before the lifetime");
            // "|1:" (no length): rtpengine 10.5 takes the line, without MKI.
            if (parts[i].ends_with(':')) continue;
            auto mki = parseMki(parts[i]);
            if (!mki) return mki.error();
            kp.mki = *mki;
        } else {
            if (i != 1) return err("bad lifetime");
            auto lt = parseLifetime(parts[i]);
            if (!lt) return lt.error();
            kp.lifetime = *lt;
        }
    }
    return kp;
}

Result<void> parseSessionParam(std::string_view s, SdesSessionParams& p) {
    if (s == "UNENCRYPTED_SRTP") {
        p.unencryptedSrtp = true;
    } else if (s == "UNENCRYPTED_SRTCP") {
        p.unencryptedSrtcp = true;
    } else if (s == "UNAUTHENTICATED_SRTP") {
        p.unauthenticatedSrtp = true;
    } else if (s.starts_with("KDR=")) {
        auto n = parseDecimal(s.substr(4), 2);
        if (!n || *n > 24) return err("bad KDR");
        if (p.kdr) return err("KDR twice");
        p.kdr = uint8_t(*n);
    } else if (s.starts_with("FEC_ORDER=")) {
        const auto v = s.substr(10);
        if (p.fecOrder) return err("FEC_ORDER twice");
        if (v == "FEC_SRTP")
            p.fecOrder = SdesFecOrder::FecSrtp;
        else if (v == "SRTP_FEC")
            p.fecOrder = SdesFecOrder::SrtpFec;
        else
            return err("bad FEC_ORDER");
    } else if (s.starts_with("WSH=")) {
        auto n = parseDecimal(s.substr(4), 10);
        if (!n || *n < 64 || *n > kMaxWsh) return err("bad WSH");
        if (p.wsh) return err("WSH twice");
        p.wsh = uint32_t(*n);
    } else {
        if (p.other.size() >= kSdesMaxSessionParams) return err("too many session params");
        p.other.emplace_back(s);
    }
    return {};
}

}  // namespace

std::string base64Encode(std::span<const uint8_t> data, bool pad) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8 | data[i + 2];
        out += kB64[v >> 18];
        out += kB64[v >> 12 & 63];
        out += kB64[v >> 6 & 63];
        out += kB64[v & 63];
    }
    const size_t rest = data.size() - i;
    if (rest == 1) {
        const uint32_t v = uint32_t(data[i]) << 16;
        out += kB64[v >> 18];
        out += kB64[v >> 12 & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        const uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8;
        out += kB64[v >> 18];
        out += kB64[v >> 12 & 63];
        out += kB64[v >> 6 & 63];
        if (pad) out += '=';
    }
    return out;
}

std::optional<std::vector<uint8_t>> base64Decode(std::string_view text) {
    // Padding, if any, must complete the last group of four.
    size_t padCount = 0;
    while (padCount < text.size() && text[text.size() - 1 - padCount] == '=') ++padCount;
    if (padCount > 2) return std::nullopt;
    if (padCount && text.size() % 4 != 0) return std::nullopt;
    text.remove_suffix(padCount);
    if (text.size() % 4 == 1) return std::nullopt;
    if (padCount && text.size() % 4 != 4 - padCount) return std::nullopt;

    std::vector<uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = b64Value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6 | uint32_t(v)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t(acc >> bits));
        }
    }
    // Leftover bits of the last character are ignored (as glib's decoder,
    // rtpengine's, does).
    return out;
}

Result<SdesCrypto> parseCrypto(std::string_view value) {
    // Fields are separated by 1*WSP; trailing whitespace is tolerated.
    std::vector<std::string_view> fields;
    size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && isWsp(value[i])) ++i;
        if (i == value.size()) break;
        const size_t start = i;
        while (i < value.size() && !isWsp(value[i])) {
            if (!isVchar(value[i])) return err("control or non-ASCII character");
            ++i;
        }
        if (fields.size() >= 3 + kSdesMaxSessionParams) return err("too many session params");
        fields.push_back(value.substr(start, i - start));
    }
    if (fields.empty()) return err("empty");
    if (fields.size() < 3) return err("missing crypto-suite or key-params");

    SdesCrypto c;
    auto tag = parseDecimal(fields[0], 9);
    if (!tag) return err("bad tag");
    c.tag = uint32_t(*tag);

    for (char ch : fields[1])
        if (!isDigit(ch) && !(ch >= 'A' && ch <= 'Z') && !(ch >= 'a' && ch <= 'z') && ch != '_')
            return err("bad crypto-suite");
    c.suiteName = std::string(fields[1]);
    c.suite = suiteByName(fields[1]);
    const SrtpSuiteInfo* info = c.suite ? &suiteInfo(*c.suite) : nullptr;

    std::string_view kps = fields[2];
    while (true) {
        const size_t semi = kps.find(';');
        if (c.keyParams.size() >= kSdesMaxKeyParams) return err("too many key-params");
        auto kp = parseKeyParam(kps.substr(0, semi), info);
        if (!kp) return kp.error();
        c.keyParams.push_back(std::move(*kp));
        if (semi == std::string_view::npos) break;
        kps.remove_prefix(semi + 1);
    }

    for (size_t f = 3; f < fields.size(); ++f) {
        auto r = parseSessionParam(fields[f], c.params);
        if (!r) return r.error();
    }
    return c;
}

std::string writeCrypto(const SdesCrypto& c, bool pad) {
    std::string out = std::to_string(c.tag);
    out += ' ';
    out += c.suiteName;
    out += ' ';
    for (size_t k = 0; k < c.keyParams.size(); ++k) {
        const auto& kp = c.keyParams[k];
        if (k) out += ';';
        out += kInline;
        out += base64Encode(kp.keySalt, pad);
        if (kp.lifetime) {
            out += '|';
            if (kp.lifetime->powerOfTwo) out += "2^";
            out += std::to_string(kp.lifetime->value);
        }
        if (kp.mki) {
            out += '|';
            out += std::to_string(kp.mki->value);
            out += ':';
            out += std::to_string(kp.mki->length);
        }
    }
    const auto& p = c.params;
    if (p.unencryptedSrtp) out += " UNENCRYPTED_SRTP";
    if (p.unencryptedSrtcp) out += " UNENCRYPTED_SRTCP";
    if (p.unauthenticatedSrtp) out += " UNAUTHENTICATED_SRTP";
    if (p.kdr) out += " KDR=" + std::to_string(*p.kdr);
    if (p.fecOrder)
        out += p.fecOrder == SdesFecOrder::FecSrtp ? " FEC_ORDER=FEC_SRTP" : " FEC_ORDER=SRTP_FEC";
    if (p.wsh) out += " WSH=" + std::to_string(*p.wsh);
    for (const auto& o : p.other) {
        out += ' ';
        out += o;
    }
    return out;
}

Result<SdesCrypto> generateCrypto(uint32_t tag, SrtpSuite suite,
                                  std::span<const uint8_t> randomBytes) {
    const auto& info = suiteInfo(suite);
    if (randomBytes.size() != size_t(info.masterKeyLen) + info.masterSaltLen)
        return Error{"generateCrypto: " + std::to_string(randomBytes.size()) +
                     " random octets for " + std::string(info.name)};
    if (tag > 999999999) return Error{"generateCrypto: tag over 9 digits"};
    SdesCrypto c;
    c.tag = tag;
    c.suiteName = std::string(info.name);
    c.suite = suite;
    c.keyParams.push_back(SdesKeyParam{{randomBytes.begin(), randomBytes.end()}, {}, {}});
    return c;
}

SrtpOptions srtpOptions(const SdesCrypto& c, const SdesKeyParam& kp) {
    SrtpOptions o;
    if (kp.mki) {
        o.mki.assign(kp.mki->length, 0);
        for (size_t i = 0; i < 8 && i < kp.mki->length; ++i)
            o.mki[kp.mki->length - 1 - i] = uint8_t(kp.mki->value >> (8 * i));
    }
    if (kp.lifetime)
        o.lifetime =
            kp.lifetime->powerOfTwo ? uint64_t(1) << kp.lifetime->value : kp.lifetime->value;
    o.unencryptedSrtp = c.params.unencryptedSrtp;
    o.unencryptedSrtcp = c.params.unencryptedSrtcp;
    o.unauthenticatedSrtp = c.params.unauthenticatedSrtp;
    return o;
}

std::span<const std::string_view> offeredSuites() { return kOffered; }

}  // namespace ngm::crypto
