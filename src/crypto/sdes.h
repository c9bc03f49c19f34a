// clang-format off
// SDES (RFC 4568): the value of an SDP `a=crypto:` attribute, parsed and
// written. Pure text handling: no I/O, no randomness of its own, nothing
// wired into the session yet.
//
//   a=crypto:<tag> <crypto-suite> <key-params> [<session-param> ...]
//   key-params = key-param *(";" key-param)
//   key-param  = "inline:" <base64(master key || master salt)>
//                ["|" <lifetime>] ["|" <MKI value> ":" <MKI length>]
//   lifetime   = ["2^"] 1*DIGIT
//
// How rtpengine 10.5 (10.5.3.5) writes them, recorded from an `offer` with
// transport-protocol=RTP/SAVP for a plain RTP/AVP audio section: twelve
// lines, tags numbered 1 to 12 in the order of offeredSuites(), each with a
// single key-param, no lifetime, no MKI, no session params, and the key in
// base64 WITHOUT '=' padding (AEAD_AES_128_GCM's 28 octets as 38 characters,
// not 40):
//
//   a=crypto:1 AEAD_AES_256_GCM inline:ya9oBEoVlT6yf8p+NgB6s20PCl/OZj6qKu7SZ8/43tlwyLSNDiGqvQLljjo
//   a=crypto:2 AEAD_AES_128_GCM inline:eLvd0JeOsrLdejEYwpJ3YO/sMF4KrH5AV4EWAA
//   a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:4qpclLXGZkL8mUt2/tU0P7dpg9iiFFBukRoyJneGpOHA4BNxqpL9jDBx4Y8ipg
//   a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:WSPjzBW3wt8jhykWzROGnBsE9RdiG1VKcfk3VcqFpbfLyaNndBfhu43sM5z45Q
//   a=crypto:5 AES_192_CM_HMAC_SHA1_80 inline:iYu+76gKqrtiRvfJXrHkHMyJRnMIkYGhVXjYhjcXYhtsoLEIaQM
//   a=crypto:6 AES_192_CM_HMAC_SHA1_32 inline:3C0y5bdYyPrgMN4AgV7qqlkrHH1+ISjMwCTwAmGu7+6U3emrJYs
//   a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:Rruv+zhmKFi8zkoQTq3mf5F1DFkJ+6UJHV1z05pG
//   a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:aMu68ygor5qvWMfiqXjcV0LMiFXcf6/dhVEnp0UO
//   a=crypto:9 F8_128_HMAC_SHA1_80 inline:6IHUJr2ewqpvzxHLSeoiCbwZo2q485dZ6LcyxkpS
//   a=crypto:10 F8_128_HMAC_SHA1_32 inline:gQ94NpWL4oVRiwx+38ruIcirDHmrrbfdLQQtWbzF
//   a=crypto:11 NULL_HMAC_SHA1_80 inline:6oeOfIZpN/kuF2R/ZXG2WWdoH6je4r/v+J7pRRAH
//   a=crypto:12 NULL_HMAC_SHA1_32 inline:jI75iSfYyfvGDlj7ZinGSv00+lZRyoFVXo81r/oO
//
// Every suite of that list is an SrtpSuite (the F8 ones are AES-f8, RFC
// 3711 §4.1.2, 16-octet key, 14-octet salt). srtpOptions() turns a line's
// key-param and session params into the SrtpContext's options (MKI,
// lifetime, UNENCRYPTED_SRTP/SRTCP, UNAUTHENTICATED_SRTP).
// clang-format on
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crypto/srtp.h"

namespace ngm::crypto {

// RFC 4568 §6.1 lifetime: `value` packets, or 2^`value` when powerOfTwo
// (kept as written, so the writer gives the same form back).
struct SdesLifetime {
    uint64_t value = 0;
    bool powerOfTwo = false;
    bool operator==(const SdesLifetime&) const = default;
};

struct SdesMki {
    uint64_t value = 0;
    uint8_t length = 0;  // octets on the wire, 1..128
    bool operator==(const SdesMki&) const = default;
};

struct SdesKeyParam {
    std::vector<uint8_t> keySalt;  // master key || master salt
    std::optional<SdesLifetime> lifetime;
    std::optional<SdesMki> mki;
    bool operator==(const SdesKeyParam&) const = default;
};

enum class SdesFecOrder : uint8_t { FecSrtp, SrtpFec };

struct SdesSessionParams {
    bool unencryptedSrtp = false;
    bool unencryptedSrtcp = false;
    bool unauthenticatedSrtp = false;
    std::optional<uint8_t> kdr;  // KDR=n: key derivation rate 2^n, n 0..24
    std::optional<SdesFecOrder> fecOrder;
    std::optional<uint32_t> wsh;     // WSH=n: replay window size, n >= 64
    std::vector<std::string> other;  // unknown ones (and FEC_KEY=), as written
    bool operator==(const SdesSessionParams&) const = default;
};

struct SdesCrypto {
    uint32_t tag = 0;       // 0..999999999
    std::string suiteName;  // as written
    // The suite, or nullopt for one this module does not know: the line is
    // syntactically valid and the caller skips it.
    std::optional<SrtpSuite> suite;
    std::vector<SdesKeyParam> keyParams;  // at least one
    SdesSessionParams params;
    bool operator==(const SdesCrypto&) const = default;

    bool known() const { return suite.has_value(); }
};

// Bounds on what a peer can make the parser hold.
constexpr size_t kSdesMaxKeyParams = 16;
constexpr size_t kSdesMaxSessionParams = 16;

// Parses the value of `a=crypto:` (without the attribute name). A known
// suite's key-params must decode to its master key + salt length; an
// unknown suite's are checked for syntax only and `suite` is nullopt.
// Base64 is accepted with or without '=' padding.
Result<SdesCrypto> parseCrypto(std::string_view value);

// Writes the value back as rtpengine does (single spaces, base64 without
// padding; session params in a fixed order). For every x parseCrypto
// accepted, parseCrypto(writeCrypto(x)) == x.
// `pad`: the key in base64 with its '=' padding (the `SDES-pad` flag).
std::string writeCrypto(const SdesCrypto& c, bool pad = false);

// One a=crypto for an offer: `randomBytes` must be the suite's master key +
// salt length.
Result<SdesCrypto> generateCrypto(uint32_t tag, SrtpSuite suite,
                                  std::span<const uint8_t> randomBytes);

// The options of an SrtpContext for key-param `kp` of `c`: the MKI as
// sent (its value big-endian in `length` octets), the lifetime in packets
// (2^n expanded), and the session params UNENCRYPTED_SRTP,
// UNENCRYPTED_SRTCP and UNAUTHENTICATED_SRTP.
SrtpOptions srtpOptions(const SdesCrypto& c, const SdesKeyParam& kp);

// rtpengine 10.5's offer order (tag i+1 is suite i), see the top of this
// file. Names; every one resolves with suiteByName.
std::span<const std::string_view> offeredSuites();

// RFC 4648 base64, standard alphabet. encode writes no padding; decode takes
// it or not, nullopt on anything else.
std::string base64Encode(std::span<const uint8_t> data, bool pad = false);
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);

}  // namespace ngm::crypto
