// DTLS-SRTP: a passive DtlsConnection fed arbitrary datagrams, and the SDP
// attribute values of crypto/dtls.h.
//
// Input: one selector octet, then
//   0: the value of an a=fingerprint: attribute. What parseFingerprint
//      accepts writes back to text that parses to the same value.
//   1: the value of a=setup: or a=tls-id:; never a crash, and an accepted
//      setup value writes back to itself (up to case).
//   otherwise: datagrams, each as a 2-octet big-endian length and its
//      octets, fed in order to one passive connection (its certificate made
//      once per process) with the retransmission timer fired between them.
//      Nothing crashes or reads past a datagram, no fingerprint is set so
//      the keys are never given out, and the output queue stays within its
//      bound. The corpus holds real ClientHellos (rtpengine 10.5's and
//      ours).
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/dtls.h"

using namespace ngm::crypto;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_dtls: %s\n", what);
        std::abort();
    }
}

const std::shared_ptr<const DtlsCertificate>& certificate() {
    static const auto cert = [] {
        auto c = DtlsCertificate::create({});
        check(c.ok(), "certificate");
        return *c;
    }();
    return cert;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t selector = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    if (selector == 0) {
        auto a = parseFingerprint(text);
        if (!a) return 0;
        check(a->bytes.size() == digestSize(a->hash), "fingerprint length");
        const std::string w = writeFingerprint(*a);
        auto b = parseFingerprint(w);
        check(b.ok() && *a == *b, "parse(write(x)) != x");
        check(writeFingerprint(*b) == w, "write is not stable");
        return 0;
    }
    if (selector == 1) {
        if (auto s = parseSetup(text)) check(toString(*s) == lower(text), "setup round trip");
        (void)checkTlsId(text);
        return 0;
    }

    DtlsConnectionOptions options;
    options.role = DtlsRole::Passive;
    auto c = DtlsConnection::create(certificate(), options);
    check(c.ok(), "connection");
    DtlsConnection& conn = **c;
    uint64_t now = 1000;
    std::vector<uint8_t> out;
    for (size_t at = 1; at + 2 <= size;) {
        const size_t len = size_t(data[at]) << 8 | data[at + 1];
        at += 2;
        const size_t n = len < size - at ? len : size - at;
        // A copy of exactly the datagram, so ASan sees any read past it.
        std::vector<uint8_t> datagram(data + at, data + at + n);
        at += n;
        conn.feed(datagram, now);
        check(conn.queuedDatagrams() <= options.maxQueuedDatagrams, "output queue bound");
        now += 100;
        conn.onTimeout(now);
        while (conn.popOutgoing(out)) check(out.size() <= certificate()->options().mtu, "MTU");
    }
    check(conn.state() != DtlsState::Connected, "connected without a peer fingerprint");
    check(conn.sendKeys() == nullptr, "keys without a checked peer");
    conn.close();
    return 0;
}
