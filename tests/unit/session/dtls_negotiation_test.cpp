// session/dtls_negotiation: when a side may send its ClientHello before its
// answer reaches us (CallStore then listens with a passive association).
#include "session/dtls_negotiation.h"

#include <gtest/gtest.h>

namespace ngm::session {
namespace {

crypto::Fingerprint someFingerprint() {
    crypto::Fingerprint fp;
    fp.bytes.assign(32, 0xab);
    return fp;
}

TEST(DtlsNegotiation, OurDtlsOfferAwaitsAnEarlyClientHelloUntilItsAnswer) {
    MediaDtls offerer, answerer;
    offerDtls(answerer, true, DtlsOptions{});
    EXPECT_TRUE(awaitsEarlyClientHello(answerer));
    EXPECT_FALSE(awaitsEarlyClientHello(offerer));
    // The answer takes active: we are passive, negotiated; no longer early.
    answerer.peerFingerprints = {someFingerprint()};
    answerer.peerSetup = crypto::DtlsSetup::Active;
    answerDtls(answerer, offerer, false, false);
    EXPECT_TRUE(answerer.inUse);
    EXPECT_EQ(answerer.role, crypto::DtlsRole::Passive);
    EXPECT_FALSE(awaitsEarlyClientHello(answerer));
}

TEST(DtlsNegotiation, APlainAnswerOrNoDtlsOfferEndsOrNeverStartsTheWait) {
    MediaDtls offerer, answerer;
    offerDtls(answerer, true, DtlsOptions{});
    answerDtls(answerer, offerer, false, false);  // no fingerprint in the answer
    EXPECT_FALSE(answerer.inUse);
    EXPECT_FALSE(awaitsEarlyClientHello(answerer));
    MediaDtls off;
    DtlsOptions o;
    o.off = true;
    offerDtls(off, true, o);
    EXPECT_FALSE(awaitsEarlyClientHello(off));
    MediaDtls plain;
    offerDtls(plain, false, DtlsOptions{});
    EXPECT_FALSE(awaitsEarlyClientHello(plain));
}

// A re-offer to a side that already speaks DTLS keeps its association (no
// early one): it is negotiated.
TEST(DtlsNegotiation, AReofferToANegotiatedSideIsNotEarly) {
    MediaDtls offerer, answerer;
    offerDtls(answerer, true, DtlsOptions{});
    answerer.peerFingerprints = {someFingerprint()};
    answerer.peerSetup = crypto::DtlsSetup::Passive;
    answerDtls(answerer, offerer, false, false);
    ASSERT_TRUE(answerer.inUse);
    offerDtls(answerer, true, DtlsOptions{});
    EXPECT_FALSE(awaitsEarlyClientHello(answerer));
}

}  // namespace
}  // namespace ngm::session
