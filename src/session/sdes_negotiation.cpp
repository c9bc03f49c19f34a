#include "session/sdes_negotiation.h"

#include <algorithm>
#include <cctype>

#include "crypto/openssl.h"

namespace ngm::session {

namespace {

std::string withCase(std::string_view v, int (*f)(int)) {
    std::string s(v);
    for (char& c : s) c = char(f((unsigned char)c));
    return s;
}

bool knownSuite(std::string_view name) {
    auto names = crypto::offeredSuites();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Master key + salt octets of a suite rtpengine offers.
size_t keySaltLength(std::string_view name) {
    if (auto s = crypto::suiteByName(name)) {
        const auto& info = crypto::suiteInfo(*s);
        return size_t(info.masterKeyLen) + info.masterSaltLen;
    }
    return 30;  // F8_128: AES-128 key and a 14-octet salt
}

void applySessionOptions(crypto::SdesSessionParams& p, const SdesOptions& o) {
    if (o.unencryptedSrtp) p.unencryptedSrtp = *o.unencryptedSrtp;
    if (o.unencryptedSrtcp) p.unencryptedSrtcp = *o.unencryptedSrtcp;
    if (o.unauthenticatedSrtp) p.unauthenticatedSrtp = *o.unauthenticatedSrtp;
}

crypto::SdesCrypto newKey(uint32_t tag, std::string_view suite) {
    crypto::SdesCrypto c;
    c.tag = tag;
    c.suiteName = std::string(suite);
    c.suite = crypto::suiteByName(suite);
    std::vector<uint8_t> key(keySaltLength(suite));
    // A CSPRNG failure leaves a zero key: better than none, and OpenSSL's
    // generator does not fail once seeded at start.
    (void)crypto::randomBytes(key);
    c.keyParams.push_back(crypto::SdesKeyParam{std::move(key), {}, {}});
    return c;
}

bool sameLine(const crypto::SdesCrypto& a, const crypto::SdesCrypto& b) {
    return a.tag == b.tag && a.suiteName == b.suiteName;
}

bool sameKey(const crypto::SdesCrypto& a, const crypto::SdesCrypto& b) {
    return a.suiteName == b.suiteName && !a.keyParams.empty() && !b.keyParams.empty() &&
           a.keyParams[0].keySalt == b.keyParams[0].keySalt;
}

}  // namespace

bool SdesOptions::excludes(std::string_view suite) const {
    return std::find(noSuites.begin(), noSuites.end(), suite) != noSuites.end();
}

SdesOptions sdesOptions(const std::vector<std::string>& items) {
    SdesOptions o;
    for (const std::string& item : items) {
        std::string_view v = item;
        // Session parameters: all lower or all upper case (rtpengine).
        std::string lower = withCase(v, ::tolower);
        bool caseOk = lower == v || withCase(v, ::toupper) == v;
        if (v == "off" || v == "no" || v == "disable" || v == "disabled") {
            o.off = true;
        } else if (v == "pad") {
            o.pad = true;
        } else if (v == "lifetime") {
            o.lifetime = true;
        } else if (v == "static") {
            o.staticKeys = true;
        } else if (caseOk && lower == "unencrypted_srtp") {
            o.unencryptedSrtp = true;
        } else if (caseOk && lower == "unencrypted_srtcp") {
            o.unencryptedSrtcp = true;
        } else if (caseOk && lower == "unauthenticated_srtp") {
            o.unauthenticatedSrtp = true;
        } else if (caseOk && lower == "encrypted_srtp") {
            o.unencryptedSrtp = false;
        } else if (caseOk && lower == "encrypted_srtcp") {
            o.unencryptedSrtcp = false;
        } else if (caseOk && lower == "authenticated_srtp") {
            o.unauthenticatedSrtp = false;
        } else if (v.starts_with("no-")) {
            o.noSuites.emplace_back(v.substr(3));
        }
    }
    return o;
}

OsrtpOptions osrtpOptions(const std::vector<std::string>& items) {
    OsrtpOptions o;
    for (const std::string& v : items) {
        if (v == "offer") o.offer = true;
        if (v == "accept") o.accept = true;
    }
    return o;
}

std::string_view MediaSdes::suiteName() const {
    if (send) return send->suiteName;
    if (recv) return recv->suiteName;
    return {};
}

bool isSecureProfile(std::string_view proto) {
    return proto.find("SAVP") != std::string_view::npos;
}

void readSdes(const sdp::MediaSection& m, MediaSdes& sdes) {
    sdes.in.clear();
    for (const auto& l : m.lines) {
        if (l.type != 'a') continue;
        auto a = sdp::splitAttribute(l.value);
        if (a.name != "crypto") continue;
        auto c = crypto::parseCrypto(a.value);
        // RFC 4568 §6: a line that cannot be used is ignored (as rtpengine).
        if (!c || !knownSuite(c->suiteName) || c->keyParams.empty()) continue;
        sdes.in.push_back(std::move(*c));
    }
}

void offerSdes(const MediaSdes& from, MediaSdes& to, const SdesOptions& opts) {
    std::vector<crypto::SdesCrypto> previous = std::move(to.out);
    to.out.clear();
    to.pad = opts.pad;
    if (opts.off) return;
    // Answered without keys (or with DTLS): the same lines again.
    if (to.keyless && !previous.empty() && to.send) {
        to.out = std::move(previous);
        return;
    }
    auto have = [&](std::string_view suite) {
        return std::any_of(to.out.begin(), to.out.end(),
                           [&](const crypto::SdesCrypto& c) { return c.suiteName == suite; });
    };
    uint32_t next = 1;
    auto add = [&](crypto::SdesCrypto c) {
        next = std::max(next, c.tag + 1);
        to.out.push_back(std::move(c));
    };
    // What this side took before stays first, with its key.
    if (to.send && !opts.excludes(to.send->suiteName)) add(*to.send);
    for (const crypto::SdesCrypto& c : from.in) {
        if (opts.excludes(c.suiteName) || have(c.suiteName)) continue;
        crypto::SdesCrypto copy = c;
        copy.keyParams.resize(1);
        copy.keyParams[0].lifetime.reset();
        applySessionOptions(copy.params, opts);
        add(std::move(copy));
    }
    for (std::string_view suite : crypto::offeredSuites()) {
        if (opts.excludes(suite) || have(suite)) continue;
        crypto::SdesCrypto c = newKey(next, suite);
        if (opts.lifetime) c.keyParams[0].lifetime = crypto::SdesLifetime{31, true};
        crypto::SdesSessionParams p;
        applySessionOptions(p, opts);
        c.params = p;
        add(std::move(c));
    }
}

void answerSdes(MediaSdes& answerer, bool answererSecure, MediaSdes& offerer, bool offererSecure) {
    answerer.recv.reset();
    answerer.send.reset();
    answerer.passthrough = offerer.passthrough = false;
    answerer.keyless = false;
    if (answererSecure && !answerer.out.empty()) {
        // The answer's first line that names one of our tags; without one,
        // rtpengine keeps to the first line it offered.
        for (const crypto::SdesCrypto& l : answerer.in) {
            auto o = std::find_if(answerer.out.begin(), answerer.out.end(),
                                  [&](const crypto::SdesCrypto& c) { return sameLine(c, l); });
            if (o == answerer.out.end()) continue;
            answerer.recv = l;
            answerer.send = *o;
            break;
        }
        if (!answerer.send && answerer.in.empty()) {
            answerer.send = answerer.out.front();
            answerer.keyless = true;
        }
    }

    std::optional<crypto::SdesCrypto> previous = std::move(offerer.send);
    offerer.recv.reset();
    offerer.send.reset();
    if (!offererSecure || offerer.in.empty()) return;
    // The answerer took one of the offerer's own lines: each end gets the
    // other's key, and media passes untouched.
    if (answerer.send && answerer.recv) {
        for (const crypto::SdesCrypto& a : offerer.in) {
            if (!sameLine(a, *answerer.send) || !sameKey(a, *answerer.send)) continue;
            offerer.recv = a;
            crypto::SdesCrypto back = *answerer.recv;
            back.keyParams.resize(1);
            back.keyParams[0].lifetime.reset();
            offerer.send = std::move(back);
            offerer.passthrough = answerer.passthrough = true;
            return;
        }
    }
    const crypto::SdesCrypto& first = offerer.in.front();
    offerer.recv = first;
    if (previous && sameLine(*previous, first)) {
        offerer.send = std::move(previous);
        return;
    }
    crypto::SdesCrypto ours = newKey(first.tag, first.suiteName);
    ours.params = first.params;
    offerer.send = std::move(ours);
}

std::vector<std::string> cryptoAttributes(const MediaSdes& sdes, bool isOffer) {
    std::vector<std::string> out;
    if (isOffer) {
        for (const auto& c : sdes.out) out.push_back("crypto:" + crypto::writeCrypto(c, sdes.pad));
    } else if (sdes.send) {
        out.push_back("crypto:" + crypto::writeCrypto(*sdes.send, sdes.pad));
    }
    return out;
}

}  // namespace ngm::session
