#include "session/dtls_negotiation.h"

namespace ngm::session {

namespace {

void readLines(const std::vector<sdp::Line>& lines, MediaDtls& d, bool& sawFingerprint,
               bool& sawSetup) {
    for (const auto& l : lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name == "fingerprint") {
            sawFingerprint = true;
            if (auto fp = crypto::parseFingerprint(a.value)) d.peerFingerprints.push_back(*fp);
        } else if (a.name == "setup") {
            sawSetup = true;
            if (auto s = crypto::parseSetup(a.value)) d.peerSetup = *s;
        }
    }
}

}  // namespace

DtlsOptions dtlsOptions(const std::string& dtls, const std::string& reverse,
                        const std::string& fingerprint, bool daemonPassive) {
    DtlsOptions o;
    o.off = dtls == "off" || dtls == "no" || dtls == "disable" || dtls == "disabled";
    o.passive = daemonPassive;
    if (dtls == "passive") o.passive = true;
    if (dtls == "active") o.passive = false;
    o.reversePassive = daemonPassive;
    if (reverse == "passive") o.reversePassive = true;
    if (reverse == "active") o.reversePassive = false;
    // "SHA-256" as the key writes it; the hash names compare without case.
    if (!fingerprint.empty()) o.hash = crypto::fingerprintHashByName(fingerprint);
    return o;
}

bool isConsumedFingerprint(std::string_view value) {
    return crypto::parseFingerprint(value).ok();
}

void readDtls(const sdp::SessionDescription& sdp, const sdp::MediaSection& m, MediaDtls& d) {
    d.peerFingerprints.clear();
    d.peerSetup.reset();
    bool fp = false, setup = false;
    readLines(m.lines, d, fp, setup);
    if (!fp || !setup) {
        // RFC 8122 §5: session-level values apply where a section has none.
        MediaDtls s;
        bool sfp = false, ssetup = false;
        readLines(sdp.sessionLines(m.session), s, sfp, ssetup);
        if (!fp) d.peerFingerprints = std::move(s.peerFingerprints);
        if (!setup) d.peerSetup = s.peerSetup;
    }
}

void offerDtls(MediaDtls& to, bool wanted, const DtlsOptions& opts) {
    to.offered = wanted && !opts.off;
    to.offerPassive = opts.passive;
    to.awaitingAnswer = to.offered;
    if (to.offered) to.hash = opts.hash.value_or(crypto::FingerprintHash::Sha256);
}

void answerDtls(MediaDtls& answerer, MediaDtls& offerer, bool offererSecure, bool daemonPassive) {
    using crypto::DtlsRole;
    using crypto::DtlsSetup;
    answerer.awaitingAnswer = false;
    answerer.inUse = answerer.offered && !answerer.peerFingerprints.empty() &&
                     answerer.peerSetup && *answerer.peerSetup != DtlsSetup::HoldConn;
    if (answerer.inUse)
        answerer.role = *answerer.peerSetup == DtlsSetup::Active ? DtlsRole::Passive : DtlsRole::Active;

    offerer.inUse = offererSecure && !offerer.peerFingerprints.empty() &&
                    offerer.peerSetup.value_or(DtlsSetup::ActPass) != DtlsSetup::HoldConn;
    if (!offerer.inUse) return;
    DtlsSetup theirs = offerer.peerSetup.value_or(DtlsSetup::ActPass);
    if (theirs == DtlsSetup::Active)
        offerer.role = DtlsRole::Passive;
    else if (theirs == DtlsSetup::Passive)
        offerer.role = DtlsRole::Active;
    else
        offerer.role = offerer.reversePassive || daemonPassive ? DtlsRole::Passive : DtlsRole::Active;
    offerer.hash = offerer.peerFingerprints.front().hash;
}

bool awaitsEarlyClientHello(const MediaDtls& d) {
    return d.offered && d.awaitingAnswer && !d.inUse;
}

std::vector<std::string> dtlsAttributes(const MediaDtls& d, bool isOffer,
                                        const crypto::DtlsCertificate* cert) {
    std::vector<std::string> out;
    if (!cert) return out;
    if (isOffer) {
        if (!d.offered) return out;
        out.push_back(d.offerPassive ? "setup:passive" : "setup:actpass");
    } else {
        if (!d.inUse) return out;
        out.push_back(d.role == crypto::DtlsRole::Active ? "setup:active" : "setup:passive");
    }
    out.push_back("fingerprint:" + crypto::writeFingerprint(cert->fingerprint(d.hash)));
    return out;
}

}  // namespace ngm::session
