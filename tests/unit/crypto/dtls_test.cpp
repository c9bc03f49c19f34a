#include "crypto/dtls.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/srtp.h"

using namespace ngm::crypto;

namespace {

// Certificates are made once per process (RSA key generation is slow).
std::shared_ptr<const DtlsCertificate> makeCert(const DtlsCertificateOptions& o = {}) {
    auto c = DtlsCertificate::create(o);
    EXPECT_TRUE(c) << (c ? "" : c.error().reason);
    return c ? *c : nullptr;
}
const std::shared_ptr<const DtlsCertificate>& certA() {
    static auto c = makeCert();
    return c;
}
const std::shared_ptr<const DtlsCertificate>& certB() {
    static auto c = makeCert();
    return c;
}

using Datagram = std::vector<uint8_t>;
// Returns false to drop a datagram: (from client?, datagram).
using Filter = std::function<bool(bool fromClient, const Datagram&)>;

// OpenSSL's retransmission timer runs on the real clock: tests that lose
// datagrams make it short and sleep past it; the others keep RFC 6347's 1 s
// so that a slow (loaded) machine does not retransmit. The handshake
// deadline runs on the nowMs given.
constexpr uint32_t kRetransmitMs = 250;

DtlsConnectionOptions lossy() {
    DtlsConnectionOptions o;
    o.initialRetransmitMs = kRetransmitMs;
    return o;
}

struct Pair {
    std::unique_ptr<DtlsConnection> client, server;
    std::vector<Datagram> clientSent, serverSent;
    uint64_t now = 1000;

    Pair(DtlsConnectionOptions co = {}, DtlsConnectionOptions so = {},
         std::shared_ptr<const DtlsCertificate> clientCert = certA(),
         std::shared_ptr<const DtlsCertificate> serverCert = certB(), bool fingerprints = true) {
        co.role = DtlsRole::Active;
        so.role = DtlsRole::Passive;
        auto c = DtlsConnection::create(clientCert, co);
        auto s = DtlsConnection::create(serverCert, so);
        EXPECT_TRUE(c) << (c ? "" : c.error().reason);
        EXPECT_TRUE(s) << (s ? "" : s.error().reason);
        client = std::move(*c);
        server = std::move(*s);
        if (fingerprints) {
            client->setPeerFingerprints({serverCert->fingerprint(FingerprintHash::Sha256)}, now);
            server->setPeerFingerprints({clientCert->fingerprint(FingerprintHash::Sha256)}, now);
        }
    }

    // Moves datagrams both ways until neither side has any; returns how many.
    int shuttle(const Filter& keep = {}) {
        int moved = 0;
        for (bool progress = true; progress;) {
            progress = false;
            Datagram d;
            while (client->popOutgoing(d)) {
                progress = true;
                ++moved;
                clientSent.push_back(d);
                if (!keep || keep(true, d)) server->feed(d, now);
            }
            while (server->popOutgoing(d)) {
                progress = true;
                ++moved;
                serverSent.push_back(d);
                if (!keep || keep(false, d)) client->feed(d, now);
            }
        }
        return moved;
    }

    // Waits (in real time) for the earlier retransmission timer and fires
    // both.
    void timeout() {
        uint64_t wait = 60000;
        for (auto* c : {client.get(), server.get()})
            if (auto t = c->nextTimeoutMs(now)) wait = std::min(wait, *t);
        std::this_thread::sleep_for(std::chrono::milliseconds(wait + 5));
        now += wait + 5;
        client->onTimeout(now);
        server->onTimeout(now);
    }

    bool run(const Filter& keep = {}) {
        client->start(now);
        shuttle(keep);
        return connected();
    }
    bool connected() const {
        return client->state() == DtlsState::Connected && server->state() == DtlsState::Connected;
    }
};

std::string stateOf(const DtlsConnection& c) {
    return std::string(toString(c.state())) + " " + c.failureReason();
}

std::vector<uint8_t> rtp(uint16_t seq) {
    std::vector<uint8_t> p = {0x80, 0x00, uint8_t(seq >> 8), uint8_t(seq), 0, 0, 0, 1, 0xca, 0xfe,
                              0xba, 0xbe};
    for (int i = 0; i < 160; ++i) p.push_back(uint8_t(i + seq));
    return p;
}

// Protects with `tx` keys, unprotects with `rx` keys: true if the packet
// came out as it went in.
bool srtpRoundTrip(const SrtpKeyMaterial& tx, const SrtpKeyMaterial& rx) {
    auto txCtx = SrtpContext::create(tx.suite, tx.key, tx.salt);
    auto rxCtx = SrtpContext::create(rx.suite, rx.key, rx.salt);
    if (!txCtx || !rxCtx) return false;
    const auto plain = rtp(7);
    std::array<uint8_t, 256> buf{};
    std::memcpy(buf.data(), plain.data(), plain.size());
    size_t len = plain.size();
    if ((*txCtx)->protectRtp(buf, len) != SrtpStatus::Ok) return false;
    if ((*rxCtx)->unprotectRtp(buf, len) != SrtpStatus::Ok) return false;
    return len == plain.size() && std::memcmp(buf.data(), plain.data(), len) == 0;
}

// The record content types of a datagram (it may hold several records).
std::vector<uint8_t> recordTypes(const Datagram& d) {
    std::vector<uint8_t> types;
    for (size_t at = 0; at + 13 <= d.size();) {
        types.push_back(d[at]);
        at += 13 + (size_t(d[at + 11]) << 8 | d[at + 12]);
    }
    return types;
}

bool isClientHello(const Datagram& d) {
    // handshake record, epoch 0, handshake type 1
    return d.size() > 13 && d[0] == 22 && d[3] == 0 && d[4] == 0 && d[13] == 1;
}

}  // namespace

// ---- the attribute values ----

TEST(DtlsFingerprint, ParsesAndWritesBackEveryHash) {
    for (auto h : {FingerprintHash::Sha1, FingerprintHash::Sha224, FingerprintHash::Sha256,
                   FingerprintHash::Sha384, FingerprintHash::Sha512}) {
        const Fingerprint& fp = certA()->fingerprint(h);
        ASSERT_EQ(fp.bytes.size(), digestSize(h));
        const std::string text = writeFingerprint(fp);
        auto back = parseFingerprint(text);
        ASSERT_TRUE(back) << text << ": " << back.error().reason;
        EXPECT_EQ(*back, fp);
        EXPECT_EQ(writeFingerprint(*back), text);
    }
}

TEST(DtlsFingerprint, WritesLowerCaseHashUpperCaseHexWithColons) {
    Fingerprint fp{FingerprintHash::Sha1, {}};
    for (int i = 0; i < 20; ++i) fp.bytes.push_back(uint8_t(0xa0 + i));
    EXPECT_EQ(writeFingerprint(fp),
              "sha-1 A0:A1:A2:A3:A4:A5:A6:A7:A8:A9:AA:AB:AC:AD:AE:AF:B0:B1:B2:B3");
}

TEST(DtlsFingerprint, HashNameIsCaseInsensitiveAndHexEitherCase) {
    auto fp = parseFingerprint("SHA-1 a0:A1:a2:a3:a4:a5:a6:a7:a8:a9:aa:ab:ac:ad:ae:af:b0:b1:b2:b3");
    ASSERT_TRUE(fp) << fp.error().reason;
    EXPECT_EQ(fp->hash, FingerprintHash::Sha1);
    EXPECT_EQ(fp->bytes[1], 0xa1);
    EXPECT_TRUE(parseFingerprint(
        "Sha-256  " + writeFingerprint(certA()->fingerprint(FingerprintHash::Sha256)).substr(8)));
}

TEST(DtlsFingerprint, RejectsBadInputWithReason) {
    const std::string good20 = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33";
    struct Case {
        std::string in, reason;
    } cases[] = {
        {"", "missing hash"},
        {"sha-1", "missing fingerprint"},
        {"md5 " + good20.substr(0, 47), "unsupported hash function 'md5'"},
        {"sha-256 " + good20, "needs 32 octets"},              // sha-1's length
        {"sha-1 " + good20 + ":44", "needs 20 octets"},        // one too many
        {"sha-1 " + good20.substr(0, 56), "needs 20 octets"},  // truncated
        {"sha-1 0G" + good20.substr(2), "bad hex"},
        {"sha-1 00-11" + good20.substr(5), "separated by ':'"},
    };
    for (const auto& c : cases) {
        auto r = parseFingerprint(c.in);
        ASSERT_FALSE(r) << c.in;
        EXPECT_NE(r.error().reason.find(c.reason), std::string::npos)
            << c.in << " -> " << r.error().reason;
    }
}

TEST(DtlsSetupValue, ParsesAndWritesEveryValue) {
    for (auto s :
         {DtlsSetup::ActPass, DtlsSetup::Active, DtlsSetup::Passive, DtlsSetup::HoldConn}) {
        auto back = parseSetup(toString(s));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, s);
    }
    EXPECT_EQ(*parseSetup("ACTPASS"), DtlsSetup::ActPass);
    EXPECT_FALSE(parseSetup(""));
    EXPECT_FALSE(parseSetup("act"));
    EXPECT_FALSE(parseSetup(" active"));
}

TEST(DtlsTlsId, AcceptsTwentyTo255TlsIdChars) {
    EXPECT_TRUE(checkTlsId("abcdefghijklmnopqrst"));
    EXPECT_TRUE(checkTlsId("Ab0+/-_Ab0+/-_Ab0+/-_"));
    EXPECT_TRUE(checkTlsId(std::string(255, 'x')));
    EXPECT_FALSE(checkTlsId("abcdefghijklmnopqrs"));  // 19
    EXPECT_FALSE(checkTlsId(std::string(256, 'x')));
    EXPECT_FALSE(checkTlsId("abcdefghijklmnopqrst="));
    EXPECT_FALSE(checkTlsId("abcdefghij klmnopqrst"));
}

// ---- certificate ----

TEST(DtlsCertificateTest, DefaultIsEcWithFingerprintsOfEveryHash) {
    const auto& c = certA();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->options().keyType, DtlsKeyType::EcPrime256v1);
    EXPECT_EQ(c->certificatePem().rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
    EXPECT_NE(c->fingerprint(FingerprintHash::Sha256),
              certB()->fingerprint(FingerprintHash::Sha256));
    // Valid 30 days from now (give or take the test's run time).
    const int64_t in30Days = int64_t(std::time(nullptr)) + 30 * 86400;
    EXPECT_NEAR(double(c->notAfter()), double(in30Days), 120.0);
}

TEST(DtlsCertificateTest, RejectsBadOptions) {
    DtlsCertificateOptions o;
    o.mtu = 575;
    EXPECT_FALSE(DtlsCertificate::create(o));
    o = {};
    o.keyType = DtlsKeyType::Rsa;
    o.rsaKeyBits = 512;
    EXPECT_FALSE(DtlsCertificate::create(o));
    o = {};
    o.ciphers = "NO-SUCH-CIPHER";
    auto r = DtlsCertificate::create(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().reason.find("selects no cipher"), std::string::npos);
}

// Each key type and signature hash makes a certificate that OpenSSL on the
// other side accepts in a full handshake, checked by its fingerprint.
TEST(DtlsCertificateTest, RsaAndEcWithSha1AndSha256SignaturesHandshake) {
    struct Case {
        DtlsKeyType key;
        DtlsSignatureHash sig;
    } cases[] = {{DtlsKeyType::Rsa, DtlsSignatureHash::Sha256},
                 {DtlsKeyType::Rsa, DtlsSignatureHash::Sha1},
                 {DtlsKeyType::EcPrime256v1, DtlsSignatureHash::Sha1},
                 {DtlsKeyType::EcPrime256v1, DtlsSignatureHash::Sha256}};
    for (const auto& c : cases) {
        DtlsCertificateOptions o;
        o.keyType = c.key;
        o.signature = c.sig;
        auto cert = makeCert(o);
        ASSERT_TRUE(cert);
        // As server and as client.
        Pair asServer({}, {}, certA(), cert);
        EXPECT_TRUE(asServer.run())
            << stateOf(*asServer.client) << " / " << stateOf(*asServer.server);
        Pair asClient({}, {}, cert, certA());
        EXPECT_TRUE(asClient.run())
            << stateOf(*asClient.client) << " / " << stateOf(*asClient.server);
    }
}

// ---- the handshake ----

TEST(DtlsConnectionTest, HandshakeExportsKeysThatMatchCrosswise) {
    Pair p;
    EXPECT_EQ(p.client->state(), DtlsState::New);
    ASSERT_TRUE(p.run()) << stateOf(*p.client) << " / " << stateOf(*p.server);
    // rtpengine's first profile, and both sides agree.
    EXPECT_EQ(p.client->srtpProfile(), SrtpProfile::AeadAes256Gcm);
    EXPECT_EQ(p.server->srtpProfile(), SrtpProfile::AeadAes256Gcm);
    ASSERT_TRUE(p.client->sendKeys() && p.server->receiveKeys());
    EXPECT_EQ(*p.client->sendKeys(), *p.server->receiveKeys());
    EXPECT_EQ(*p.server->sendKeys(), *p.client->receiveKeys());
    EXPECT_NE(p.client->sendKeys()->key, p.server->sendKeys()->key);
    EXPECT_EQ(p.client->sendKeys()->key.size(), 32u);
    EXPECT_EQ(p.client->sendKeys()->salt.size(), 12u);
    EXPECT_EQ(p.client->nextTimeoutMs(p.now), std::nullopt);
    EXPECT_EQ(p.client->peerFingerprint(FingerprintHash::Sha256),
              certB()->fingerprint(FingerprintHash::Sha256));
}

TEST(DtlsConnectionTest, SrtpFromOneSidesSendKeysIsUnprotectedByTheOther) {
    Pair p;
    ASSERT_TRUE(p.run());
    EXPECT_TRUE(srtpRoundTrip(*p.client->sendKeys(), *p.server->receiveKeys()));
    EXPECT_TRUE(srtpRoundTrip(*p.server->sendKeys(), *p.client->receiveKeys()));
    EXPECT_FALSE(srtpRoundTrip(*p.client->sendKeys(), *p.client->receiveKeys()));
}

TEST(DtlsConnectionTest, EverySrtpProfileNegotiatesWithItsKeyLengths) {
    for (SrtpProfile profile : defaultSrtpProfiles()) {
        DtlsConnectionOptions so;
        so.srtpProfiles = {profile};  // the server accepts only this one
        Pair p({}, so);
        ASSERT_TRUE(p.run()) << toString(profile) << ": " << stateOf(*p.client);
        EXPECT_EQ(p.client->srtpProfile(), profile);
        const SrtpSuiteInfo& info = suiteInfo(suiteOf(profile));
        EXPECT_EQ(p.client->sendKeys()->suite, suiteOf(profile));
        EXPECT_EQ(p.client->sendKeys()->key.size(), info.masterKeyLen);
        EXPECT_EQ(p.client->sendKeys()->salt.size(), info.masterSaltLen);
        EXPECT_TRUE(srtpRoundTrip(*p.client->sendKeys(), *p.server->receiveKeys()))
            << toString(profile);
        EXPECT_TRUE(srtpRoundTrip(*p.server->sendKeys(), *p.client->receiveKeys()))
            << toString(profile);
    }
}

TEST(DtlsConnectionTest, ServerChoosesByItsOwnPreference) {
    DtlsConnectionOptions so;
    so.srtpProfiles = {SrtpProfile::Aes128CmSha1_32, SrtpProfile::Aes128CmSha1_80};
    Pair p({}, so);
    ASSERT_TRUE(p.run());
    EXPECT_EQ(p.client->srtpProfile(), SrtpProfile::Aes128CmSha1_32);
}

TEST(DtlsConnectionTest, NoCommonSrtpProfileFails) {
    DtlsConnectionOptions co, so;
    co.srtpProfiles = {SrtpProfile::Aes128CmSha1_80};
    so.srtpProfiles = {SrtpProfile::AeadAes128Gcm};
    Pair p(co, so);
    EXPECT_FALSE(p.run());
    EXPECT_EQ(p.client->state(), DtlsState::Failed);
    EXPECT_NE(p.client->failureReason().find("no SRTP profile"), std::string::npos)
        << p.client->failureReason();
    EXPECT_EQ(p.client->sendKeys(), nullptr);
}

TEST(DtlsConnectionTest, ClientCertificateNotMatchingFingerprintFailsServer) {
    Pair p;
    // The server expects another certificate than the client's.
    p.server->setPeerFingerprints({certB()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_FALSE(p.run());
    EXPECT_EQ(p.server->state(), DtlsState::Failed);
    EXPECT_NE(p.server->failureReason().find("matches none of its 1 SDP fingerprint"),
              std::string::npos)
        << p.server->failureReason();
    EXPECT_EQ(p.server->sendKeys(), nullptr);
    // The server's alert makes the client fail too.
    EXPECT_EQ(p.client->state(), DtlsState::Failed) << stateOf(*p.client);
}

TEST(DtlsConnectionTest, ServerCertificateNotMatchingFingerprintFailsClient) {
    Pair p;
    p.client->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha1),
                                   certA()->fingerprint(FingerprintHash::Sha512)},
                                  p.now);
    EXPECT_FALSE(p.run());
    EXPECT_EQ(p.client->state(), DtlsState::Failed);
    EXPECT_NE(p.client->failureReason().find("matches none of its 2 SDP fingerprint"),
              std::string::npos)
        << p.client->failureReason();
    EXPECT_EQ(p.client->srtpProfile(), std::nullopt);
}

TEST(DtlsConnectionTest, AnyHashOfThePeersFingerprintsMatches) {
    Pair p;
    Fingerprint wrong = certB()->fingerprint(FingerprintHash::Sha256);
    wrong.bytes[0] ^= 1;
    p.client->setPeerFingerprints({wrong, certB()->fingerprint(FingerprintHash::Sha384)}, p.now);
    ASSERT_TRUE(p.run()) << stateOf(*p.client);
}

TEST(DtlsConnectionTest, FingerprintArrivingAfterTheHandshakeConnectsThen) {
    Pair p({}, {}, certA(), certB(), /*fingerprints=*/false);
    EXPECT_FALSE(p.run());
    EXPECT_EQ(p.server->state(), DtlsState::Handshaking);
    EXPECT_EQ(p.server->sendKeys(), nullptr);  // not before the check
    p.server->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_EQ(p.server->state(), DtlsState::Connected);
    ASSERT_NE(p.server->sendKeys(), nullptr);
    // A wrong one arriving late fails.
    p.client->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_EQ(p.client->state(), DtlsState::Failed);
    EXPECT_NE(p.client->failureReason().find("matches none"), std::string::npos);
}

// A handshake done before the peer's fingerprints came (an answerer whose
// ClientHello beat its answer to us) waits for them past the handshake
// deadline: the answer may come as late as the callee answers; the call's
// own timeouts bound it.
TEST(DtlsConnectionTest, HandshakeDoneWaitsForLateFingerprintsPastTheDeadline) {
    Pair p({}, {}, certA(), certB(), /*fingerprints=*/false);
    EXPECT_FALSE(p.run());
    p.server->onTimeout(p.now + 30000);
    EXPECT_EQ(p.server->state(), DtlsState::Handshaking) << p.server->failureReason();
    p.server->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha256)}, p.now + 60000);
    EXPECT_EQ(p.server->state(), DtlsState::Connected);
}

TEST(DtlsConnectionTest, UnansweredClientFailsAtTheDeadline) {
    Pair p;
    p.client->start(p.now);
    Datagram d;
    ASSERT_TRUE(p.client->popOutgoing(d));
    EXPECT_TRUE(isClientHello(d));
    auto t = p.client->nextTimeoutMs(p.now);
    ASSERT_TRUE(t);
    EXPECT_LE(*t, 1000u);  // RFC 6347's first retransmission
    p.client->onTimeout(p.now + 29999);
    EXPECT_EQ(p.client->state(), DtlsState::Handshaking);
    p.client->onTimeout(p.now + 30000);
    EXPECT_EQ(p.client->state(), DtlsState::Failed);
    EXPECT_EQ(p.client->nextTimeoutMs(p.now + 30000), std::nullopt);
}

TEST(DtlsConnectionTest, LostClientHelloIsRetransmittedOnTimeout) {
    Pair p(lossy(), lossy());
    bool dropped = false;
    auto dropFirstHello = [&](bool fromClient, const Datagram& d) {
        if (fromClient && !dropped && isClientHello(d)) return !(dropped = true);
        return true;
    };
    EXPECT_FALSE(p.run(dropFirstHello));
    EXPECT_TRUE(dropped);
    EXPECT_EQ(p.server->state(), DtlsState::New);
    p.timeout();
    p.shuttle(dropFirstHello);
    EXPECT_TRUE(p.connected()) << stateOf(*p.client) << " / " << stateOf(*p.server);
    EXPECT_EQ(p.client->stats().retransmitTimeouts, 1u);
}

TEST(DtlsConnectionTest, LostServerFlightIsRecovered) {
    Pair p(lossy(), lossy());
    int dropped = 0;
    auto dropServerHello = [&](bool fromClient, const Datagram&) {
        if (!fromClient && dropped < 1) return ++dropped, false;
        return true;
    };
    EXPECT_FALSE(p.run(dropServerHello));
    for (int i = 0; i < 5 && !p.connected(); ++i) {
        p.timeout();
        p.shuttle(dropServerHello);
    }
    EXPECT_TRUE(p.connected()) << stateOf(*p.client) << " / " << stateOf(*p.server);
}

// RFC 6347 §4.2.4: the server sends the last flight (ChangeCipherSpec,
// Finished). When it is lost, the client repeats its own flight; the server
// must answer with its whole last flight again.
TEST(DtlsConnectionTest, LostFinalServerFlightIsSentAgainWhenTheClientRepeats) {
    Pair p(lossy(), lossy());
    int droppedFinal = 0;
    auto dropFinal = [&](bool fromClient, const Datagram& d) {
        if (!fromClient && droppedFinal == 0 && p.server->state() == DtlsState::Connected) {
            auto types = recordTypes(d);
            if (!types.empty() && types.front() == 20) return ++droppedFinal, false;  // CCS...
        }
        return true;
    };
    EXPECT_FALSE(p.run(dropFinal));
    ASSERT_EQ(droppedFinal, 1);
    EXPECT_EQ(p.server->state(), DtlsState::Connected);
    EXPECT_EQ(p.client->state(), DtlsState::Handshaking);
    const size_t serverSentBefore = p.serverSent.size();
    // Only the client's timer: the server has none left.
    EXPECT_EQ(p.server->nextTimeoutMs(p.now), std::nullopt);
    p.timeout();
    p.shuttle(dropFinal);
    EXPECT_GT(p.serverSent.size(), serverSentBefore);
    EXPECT_TRUE(p.connected()) << stateOf(*p.client);
    EXPECT_EQ(*p.client->sendKeys(), *p.server->receiveKeys());
}

// The same with the roles of our flights swapped: the client's last flight
// (Certificate ... Finished) is lost; the server repeats its flight.
TEST(DtlsConnectionTest, LostFinalClientFlightIsRecovered) {
    Pair p(lossy(), lossy());
    int dropped = 0;
    bool sawServerFlight = false;
    auto dropClientFinal = [&](bool fromClient, const Datagram& d) {
        if (!fromClient) sawServerFlight = true;
        if (fromClient && sawServerFlight && dropped == 0 && !isClientHello(d)) {
            ++dropped;  // drops the first datagram of the flight; the rest is useless
            return false;
        }
        return true;
    };
    EXPECT_FALSE(p.run(dropClientFinal));
    ASSERT_EQ(dropped, 1);
    for (int i = 0; i < 5 && !p.connected(); ++i) {
        p.timeout();
        p.shuttle(dropClientFinal);
    }
    EXPECT_TRUE(p.connected()) << stateOf(*p.client) << " / " << stateOf(*p.server);
}

TEST(DtlsConnectionTest, DatagramsStayWithinTheMtu) {
    DtlsCertificateOptions o;
    o.keyType = DtlsKeyType::Rsa;
    o.rsaKeyBits = 2048;  // a certificate message larger than one datagram
    o.mtu = 576;
    auto cert = makeCert(o);
    ASSERT_TRUE(cert);
    Pair p({}, {}, cert, cert);
    ASSERT_TRUE(p.run()) << stateOf(*p.client) << " / " << stateOf(*p.server);
    size_t largest = 0;
    for (const auto* sent : {&p.clientSent, &p.serverSent})
        for (const Datagram& d : *sent) {
            largest = std::max(largest, d.size());
        }
    EXPECT_LE(largest, 576u);
    EXPECT_GT(largest, 400u);  // records of a flight are packed together
}

TEST(DtlsConnectionTest, CloseSendsCloseNotifyAndClosesThePeer) {
    Pair p;
    ASSERT_TRUE(p.run());
    p.client->close();
    EXPECT_EQ(p.client->state(), DtlsState::Closed);
    EXPECT_EQ(p.client->sendKeys(), nullptr);
    Datagram d;
    ASSERT_TRUE(p.client->popOutgoing(d));
    EXPECT_EQ(recordTypes(d), std::vector<uint8_t>{21});  // one alert record
    p.server->feed(d, p.now);
    EXPECT_EQ(p.server->state(), DtlsState::Closed);
}

TEST(DtlsConnectionTest, GarbageAndTruncatedRecordsNeitherCrashNorComplete) {
    std::mt19937 rng(42);
    auto s = DtlsConnection::create(certB(), {});
    ASSERT_TRUE(s);
    DtlsConnection& server = **s;
    for (int i = 0; i < 500; ++i) {
        Datagram d(1 + rng() % 300);
        for (auto& b : d) b = uint8_t(rng());
        if (i % 2) d[0] = 22;  // a handshake record header
        server.feed(d, 1000);
        Datagram out;
        while (server.popOutgoing(out)) {
        }
    }
    EXPECT_NE(server.state(), DtlsState::Connected);

    // Every prefix of every datagram of a real handshake, fed to fresh
    // servers: nothing completes, nothing crashes.
    Pair p;
    ASSERT_TRUE(p.run());
    for (const Datagram& d : p.clientSent) {
        for (size_t n = 1; n < d.size(); n += 7) {
            auto t = DtlsConnection::create(certB(), {});
            ASSERT_TRUE(t);
            (*t)->feed(std::span(d.data(), n), 1000);
            EXPECT_NE((*t)->state(), DtlsState::Connected);
        }
    }
    // Too large a datagram is dropped and counted.
    auto t = DtlsConnection::create(certB(), {});
    ASSERT_TRUE(t);
    (*t)->feed(Datagram(20000, 22), 1000);
    EXPECT_EQ((*t)->stats().datagramsDropped, 1u);
    EXPECT_EQ((*t)->state(), DtlsState::New);
}

TEST(DtlsConnectionTest, RepeatedClientHellosKeepTheOutputQueueBounded) {
    DtlsConnectionOptions so;
    so.maxQueuedDatagrams = 4;
    Pair p({}, so);
    p.client->start(p.now);
    Datagram hello;
    ASSERT_TRUE(p.client->popOutgoing(hello));
    for (int i = 0; i < 100; ++i) p.server->feed(hello, p.now);
    EXPECT_LE(p.server->queuedDatagrams(), 4u);
}

TEST(DtlsConnectionTest, CloseDuringTheHandshakeSendsNothingAndStops) {
    Pair p;
    p.client->start(p.now);
    Datagram hello;
    ASSERT_TRUE(p.client->popOutgoing(hello));
    p.server->feed(hello, p.now);
    p.server->close();
    EXPECT_EQ(p.server->state(), DtlsState::Closed);
    // Whatever the server had queued before may still go; nothing new.
    const size_t queued = p.server->queuedDatagrams();
    p.server->feed(hello, p.now);
    p.server->onTimeout(p.now + 60000);
    EXPECT_EQ(p.server->queuedDatagrams(), queued);
    EXPECT_EQ(p.server->nextTimeoutMs(p.now), std::nullopt);
}

TEST(DtlsConnectionTest, FailedConnectionIgnoresFurtherInput) {
    Pair p;
    p.server->setPeerFingerprints({certB()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_FALSE(p.run());
    ASSERT_EQ(p.server->state(), DtlsState::Failed);
    const std::string reason = p.server->failureReason();
    const auto in = p.server->stats().datagramsIn;
    p.server->feed(p.clientSent.front(), p.now);
    p.server->onTimeout(p.now + 60000);
    p.server->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_EQ(p.server->state(), DtlsState::Failed);
    EXPECT_EQ(p.server->failureReason(), reason);
    EXPECT_EQ(p.server->stats().datagramsIn, in);
    EXPECT_EQ(p.server->queuedDatagrams(), 0u);
}

TEST(DtlsConnectionTest, RejectsBadOptions) {
    DtlsConnectionOptions o;
    o.srtpProfiles.clear();
    EXPECT_FALSE(DtlsConnection::create(certA(), o));
    o = {};
    o.initialRetransmitMs = 0;
    EXPECT_FALSE(DtlsConnection::create(certA(), o));
    EXPECT_FALSE(DtlsConnection::create(nullptr, {}));
}

TEST(DtlsConnectionTest, ConnectedFailsWhenThePeersFingerprintsChangeToOthers) {
    Pair p;
    ASSERT_TRUE(p.run());
    // The same certificate by another hash: still fine.
    p.client->setPeerFingerprints({certB()->fingerprint(FingerprintHash::Sha1)}, p.now);
    EXPECT_EQ(p.client->state(), DtlsState::Connected);
    p.client->setPeerFingerprints({certA()->fingerprint(FingerprintHash::Sha256)}, p.now);
    EXPECT_EQ(p.client->state(), DtlsState::Failed);
    EXPECT_EQ(p.client->sendKeys(), nullptr);
}
