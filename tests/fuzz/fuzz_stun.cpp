// One STUN datagram: parse never reads past the input; what it accepts has
// its offsets inside the message, verifies (or not) without crashing, and
// the attributes ICE uses survive a rebuild: written again by the Builder,
// signed and fingerprinted, they parse to the same values and verify.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "ice/stun.h"

using namespace ngm::ice::stun;

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_stun: %s\n", what);
        std::abort();
    }
}

// RFC 5769's password, so the corpus's vectors verify.
IntegrityKey& key() {
    static IntegrityKey k = IntegrityKey::create("VOkJxbRl1RmTxUk/WvJxBt").value();
    return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span<const uint8_t> in(data, size);
    (void)looksLikeStun(in);
    auto m = parse(in);
    if (!m) return 0;
    check(m->raw.size() == size, "raw is not the datagram");
    check(
        m->integrityOffset < size && m->integritySha256Offset < size && m->fingerprintOffset < size,
        "offset outside the message");
    check(m->username.size() <= kMaxUsername, "username too long");
    check(m->unknownCount <= kMaxUnknown, "too many unknown attributes");
    (void)verifyIntegrity(*m, key());

    static uint8_t buf[4096];
    Builder b(buf, m->cls, m->transactionId, m->method);
    if (m->hasUsername) b.addUsername(m->username);
    if (m->priority) b.addPriority(*m->priority);
    if (m->useCandidate) b.addUseCandidate();
    if (m->iceControlling) b.addIceControlling(*m->iceControlling);
    if (m->iceControlled) b.addIceControlled(*m->iceControlled);
    if (m->xorMappedAddress) b.addXorMappedAddress(*m->xorMappedAddress);
    if (m->errorCode) b.addErrorCode(*m->errorCode, m->errorReason);
    b.addMessageIntegrity(key());
    b.addFingerprint();
    check(b.ok(), "rebuild did not fit");
    auto r = parse(b.finish());
    check(r.ok(), "rebuilt message does not parse");
    check(r->cls == m->cls && r->method == m->method && r->transactionId == m->transactionId,
          "header changed");
    check(r->username == m->username && r->priority == m->priority &&
              r->useCandidate == m->useCandidate && r->iceControlling == m->iceControlling &&
              r->iceControlled == m->iceControlled && r->xorMappedAddress == m->xorMappedAddress &&
              r->errorCode == m->errorCode && r->errorReason == m->errorReason,
          "attribute changed");
    check(r->unknownCount == 0, "unknown attribute appeared");
    check(verifyIntegrity(*r, key()), "rebuilt message does not verify");
    return 0;
}
