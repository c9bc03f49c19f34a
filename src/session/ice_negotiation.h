// ICE (RFC 8445, RFC 8839 SDP, RFC 8838 trickle) in offer/answer as
// rtpengine 10.5 negotiates it: what each side's SDP says about ICE, whether
// we speak ICE towards it, our credentials towards it and the attributes we
// write to it. Pure signalling and plain data: the agent (src/ice/) reads
// MediaIce to run the checks.
//
// Recorded in tests/diff/scenarios/ice_*.json:
// - Towards the receiver of an offer, ICE is written with `ICE=force`,
//   `optional` and `force-relay`; with `default` (or no key) when the sender's
//   SDP has ICE on the first offer, and as negotiated before on re-offers
//   (a receiver that answered without ICE gets no more ICE: the "peer does
//   not speak ICE" state, forgotten with the `reset` flag). `remove` writes
//   none. Towards an offerer, ICE is written when its offer had ICE (or the
//   answer says `ICE=force`).
// - Our lines go after a=ptime: a=ice-ufrag, a=ice-pwd, a=ice-options:trickle
//   (towards a side that advertised trickle in a media section, or with the
//   `trickle ICE` flag), one host candidate per component (2 without
//   rtcp-mux) and per address of the logical interface, then
//   a=end-of-candidates (towards a trickle side, or when the sender's section
//   had it, even with ICE removed).
// - `optional` with a sender that has ICE keeps its ICE lines where they
//   were and appends ours (priorities next to its own, appendedPreference);
//   `force-relay` keeps its non-relay candidates, its c= and m= lines (and
//   a=rtcp, a=rtcp-mux), and appends ours as relay candidates. With either,
//   the sender's DTLS/SDES lines and a=group pass through (keepsSenderIce).
//   An answer without an ICE key (or with `ICE=force`) after such an offer
//   is written the `optional` way.
// - Credentials towards a side are made once and kept across re-offers; a
//   side that offers new credentials (ICE restart) gets new ones of ours, and
//   so do both sides of an offer with `reset`.
// - `ICE-lite` (offers only, sticky): a=ice-lite at session level towards
//   the sides it names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "net/address.h"
#include "sdp/sdp.h"

namespace ngm::net {
struct LocalInterface;
}

namespace ngm::session {

// One a=candidate (RFC 8839 §5.1), as the peer wrote it.
struct IceCandidate {
    std::string foundation;
    int component = 0;
    std::string transport;  // "UDP", "tcp", ... as written
    uint32_t priority = 0;
    std::string address;  // an IP address or a name (mDNS ".local")
    uint16_t port = 0;
    std::string type;        // host, srflx, prflx, relay (or another token)
    std::string relAddress;  // raddr, empty if none
    uint16_t relPort = 0;
    bool hasRel = false;
    std::string extensions;  // the rest ("generation 0 network-id 1"), as written
};

// The value after "candidate:".
Result<IceCandidate> parseIceCandidate(std::string_view value);
std::string formatIceCandidate(const IceCandidate& c);

// A trickle ICE update (RFC 8840 §4.4, sent through ng `offer` with the
// `fragment` flag): ufrag lines, m= lines with their mid, candidates.
struct IceFragment {
    struct Section {
        std::string mid, ufrag;  // ufrag: the section's, else the fragment's
        std::vector<IceCandidate> candidates;
        bool endOfCandidates = false;
    };
    std::vector<Section> sections;
};
struct MediaIce;
// Lines that are not candidates (or candidates that do not parse) are
// skipped; an error only when there is no m= line at all.
Result<IceFragment> parseIceFragment(std::string_view text);
// Adds a fragment section's candidates to what a side has told us.
// False when its ufrag is not the side's current one.
bool applyIceFragment(const IceFragment::Section& s, MediaIce& ice);

// The `ICE` key. Default also stands for "no key".
enum class IceMode : uint8_t { Default, Remove, Force, ForceRelay, Optional };
IceMode iceModeByName(std::string_view s);  // Default for unknown values
bool isIceModeName(std::string_view s);

// How our ICE lines are written towards a side.
enum class IceStyle : uint8_t {
    None,         // no ICE written
    Ours,         // ours only, with our credentials
    AppendHost,   // the sender's ICE lines kept, ours appended (`optional`)
    AppendRelay,  // the sender's non-relay candidates, c= and m= kept, ours
                  // appended as relay candidates (`force-relay`)
    OursRelay,    // `force-relay` without ICE from the sender: c=/m= kept,
                  // our credentials and relay candidates
};

// The sender's ICE lines go out with ours (`optional`, `force-relay` with a
// sender that speaks ICE). rtpengine 10.5 then passes the sender's DTLS
// (a=fingerprint, a=setup) and SDES (a=crypto) lines and a=group through as
// well, both ways, and writes none of its own (diff scenarios
// ice_force_relay_chrome, ice_optional_chrome): the ends' ICE and security
// run end to end.
constexpr bool keepsSenderIce(IceStyle s) { return s == IceStyle::AppendHost || s == IceStyle::AppendRelay; }

struct MediaIce {
    // This side's last SDP (media level, else session level).
    bool peerIce = false;  // it carried ICE credentials
    std::string peerUfrag, peerPwd;
    std::vector<IceCandidate> peerCandidates;
    bool peerLite = false;     // a=ice-lite
    bool peerTrickle = false;  // a=ice-options with "trickle" in the section
    bool peerEndOfCandidates = false;
    bool peerRestarted = false;  // its last offer changed its ufrag

    // Towards this side.
    bool initialized = false;  // ICE decided for it at least once
    bool inUse = false;        // we speak ICE with it
    IceStyle style = IceStyle::None;
    std::string ufrag, pwd;  // ours
    bool trickle = false;    // `trickle ICE` asked for it
    bool liteSelf = false;   // we are ICE-lite towards it
    // After an `optional`/`force-relay` offer from this side, answers to
    // it without an ICE key are written the `optional` way.
    bool answerOptional = false;
};

// Reads the ICE lines of a received media section (and the session's).
void readIce(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, MediaIce& ice);
// True for attributes readIce consumes (stripped unless kept by a style).
bool isIceAttribute(std::string_view name);

// The offer/answer decision for one media section: `src` sent the SDP,
// `dst` gets ours. `srcHadIce`: the section just read had ICE.
struct IceOptions {
    IceMode mode = IceMode::Default;
    std::string lite;  // `ICE-lite`: forward, backward, both, off, "" (offers)
    bool trickle = false, reset = false;
};
void negotiateIce(MediaIce& src, MediaIce& dst, const IceOptions& o, bool isOffer);

// Fresh credentials (RFC 8839 §5.4: ufrag ≥ 4, pwd ≥ 22 ice-chars).
void makeIceCredentials(MediaIce& ice);

// RFC 8445 §5.1.2.1.
constexpr uint32_t icePriority(uint32_t typePref, uint32_t localPref, int component) {
    return (typePref << 24) + (localPref << 8) + (256u - (uint32_t)component);
}

// A stable foundation for one local address (one per address and base, as
// rtpengine writes it: the same for every call).
std::string iceFoundation(const net::IpAddress& local);

// One local address of ours with the ports of a media section on it.
struct IceLocalAddress {
    net::IpAddress advertised;  // written (the `media address` if given)
    uint16_t rtpPort = 0, rtcpPort = 0;
    net::IpAddress base;  // the local address: names the foundation
};

// Our a=candidate values (without "a=") for one media section towards `ice`:
// `addresses` the first the media's own, `components` 1 or 2. `sender`: the
// candidates of the SDP being rewritten, which ours join with `optional` and
// `force-relay` (see appendedPreference).
std::vector<std::string> localCandidates(const MediaIce& ice,
                                         const std::vector<IceLocalAddress>& addresses,
                                         int components,
                                         const std::vector<IceCandidate>& sender = {});

// Type and local preference of our candidates appended to the sender's
// (`optional`: host, `force-relay`: relay), as rtpengine 10.5 picks them
// (diff scenarios ice_optional_with_ice, ice_force_relay_*): from local
// preference 65535 of the type, each of the sender's UDP candidates of that
// type for component 1, in SDP order, whose priority is not above ours so
// far makes ours one local preference above it (65535 wraps to 0 of the
// type below).
struct IcePreference {
    uint32_t type = 0, local = 0;
};
IcePreference appendedPreference(const std::vector<IceCandidate>& sender, bool relay);

}  // namespace ngm::session
