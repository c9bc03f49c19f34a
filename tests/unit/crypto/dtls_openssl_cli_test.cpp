// DtlsConnection against an independent DTLS-SRTP peer: the `openssl`
// command line (s_server / s_client -dtls1_2 -use_srtp) over UDP on
// loopback, ports 63960-63963. Both sides export the RFC 5764 keying
// material; ours must be the same octets, and each side must accept the
// other's certificate by fingerprint.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crypto/dtls.h"

using namespace ngm::crypto;
namespace fs = std::filesystem;

namespace {

constexpr uint16_t kOurClientPort = 63960, kServerPort = 63961, kOurServerPort = 63963;

std::string readFile(const fs::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

// The first line starting with `prefix` (after blanks), without it.
std::string valueAfter(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const size_t at = line.find(prefix);
        if (at != std::string::npos) return line.substr(at + prefix.size());
    }
    return {};
}

std::string toHexUpper(const std::vector<uint8_t>& v) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string s;
    for (uint8_t b : v) {
        s += kHex[b >> 4];
        s += kHex[b & 15];
    }
    return s;
}

uint64_t nowMs() {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count());
}

class DtlsOpensslCli : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::system("command -v openssl >/dev/null 2>&1") != 0)
            GTEST_SKIP()
                << "the openssl command is not installed (scripts/install-deps.sh installs it)";
        dir_ = fs::temp_directory_path() / ("ngm-dtls-cli-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        const std::string cmd =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
            "-nodes -days 2 -subj /CN=openssl-cli -keyout " +
            (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() +
            " >/dev/null 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0);
        const std::string fpCmd = "openssl x509 -noout -fingerprint -sha256 -in " +
                                  (dir_ / "cert.pem").string() + " > " + (dir_ / "fp.txt").string();
        ASSERT_EQ(std::system(fpCmd.c_str()), 0);
        // "sha256 Fingerprint=AB:CD:..."
        auto fp = parseFingerprint("sha-256 " + valueAfter(readFile(dir_ / "fp.txt"), "="));
        ASSERT_TRUE(fp) << fp.error().reason;
        peerFp_ = *fp;
        auto cert = DtlsCertificate::create({});
        ASSERT_TRUE(cert);
        cert_ = *cert;
    }
    void TearDown() override {
        if (fd_ >= 0) close(fd_);
        if (dir_.empty()) return;
        // The openssl process this test started (by its pid), if still there.
        const std::string pid = readFile(dir_ / "pid");
        if (!pid.empty() && pid.find_first_not_of("0123456789\n") == std::string::npos)
            (void)std::system(("kill " + pid + " 2>/dev/null").c_str());
        fs::remove_all(dir_);
    }

    // Runs `args` of openssl in the background, its stdin held open by a
    // sleep, its output into out.txt, the pid of its `timeout` into pid.
    void startOpenssl(const std::string& args) {
        const std::string cmd =
            "sleep 8 | timeout 10 openssl " + args + " -cert " + (dir_ / "cert.pem").string() +
            " -key " + (dir_ / "key.pem").string() +
            " -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen 60 > " +
            (dir_ / "out.txt").string() + " 2>&1 & echo $! > " + (dir_ / "pid").string();
        ASSERT_EQ(std::system(cmd.c_str()), 0);
    }

    bool waitForOutput(const std::string& needle, int ms) {
        for (int i = 0; i < ms / 20; ++i) {
            if (readFile(dir_ / "out.txt").find(needle) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    int bindUdp(uint16_t port) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            close(fd);
            return -1;
        }
        return fd_ = fd;
    }

    // Drives `c` over `fd` until it is Connected or Failed (or 8 s pass).
    // `peer` is where to send; learned from the first datagram if unset.
    void drive(DtlsConnection& c, int fd, sockaddr_in peer, bool peerKnown) {
        const uint64_t end = nowMs() + 8000;
        std::vector<uint8_t> out;
        uint8_t buf[4096];
        while (nowMs() < end && c.state() != DtlsState::Connected &&
               c.state() != DtlsState::Failed) {
            while (peerKnown && c.popOutgoing(out))
                sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&peer),
                       sizeof peer);
            const auto t = c.nextTimeoutMs(nowMs());
            pollfd p{fd, POLLIN, 0};
            const int wait = int(std::min<uint64_t>(t ? *t : 50, 50));
            if (poll(&p, 1, wait) == 1) {
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const ssize_t n =
                    recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
                if (n > 0) {
                    if (!peerKnown) peer = from, peerKnown = true;
                    peer_ = peer;
                    c.feed({buf, size_t(n)}, nowMs());
                }
            } else {
                c.onTimeout(nowMs());
            }
        }
        while (peerKnown && c.popOutgoing(out))
            sendto(fd, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
    }

    void closeAndSend(DtlsConnection& c, sockaddr_in peer) {
        c.close();
        std::vector<uint8_t> out;
        while (c.popOutgoing(out))
            sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&peer), sizeof peer);
    }

    // RFC 5764 §4.2: client key | server key | client salt | server salt.
    static std::string exported(const SrtpKeyMaterial& client, const SrtpKeyMaterial& server) {
        std::vector<uint8_t> all = client.key;
        all.insert(all.end(), server.key.begin(), server.key.end());
        all.insert(all.end(), client.salt.begin(), client.salt.end());
        all.insert(all.end(), server.salt.begin(), server.salt.end());
        return toHexUpper(all);
    }

    fs::path dir_;
    int fd_ = -1;
    sockaddr_in peer_{};
    Fingerprint peerFp_;
    std::shared_ptr<const DtlsCertificate> cert_;
};

TEST_F(DtlsOpensslCli, ActiveAgainstOpensslServer) {
    startOpenssl("s_server -dtls1_2 -naccept 1 -accept 127.0.0.1:" + std::to_string(kServerPort) +
                 " -use_srtp SRTP_AES128_CM_SHA1_80 -verify 1");
    ASSERT_TRUE(waitForOutput("ACCEPT", 5000)) << readFile(dir_ / "out.txt");
    const int fd = bindUdp(kOurClientPort);
    ASSERT_GE(fd, 0) << "port " << kOurClientPort << " busy";
    DtlsConnectionOptions o;
    o.role = DtlsRole::Active;
    auto c = DtlsConnection::create(cert_, o);
    ASSERT_TRUE(c);
    (*c)->setPeerFingerprints({peerFp_}, nowMs());
    (*c)->start(nowMs());
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(kServerPort);
    peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    drive(**c, fd, peer, true);
    ASSERT_EQ((*c)->state(), DtlsState::Connected) << (*c)->failureReason();
    EXPECT_EQ((*c)->srtpProfile(), SrtpProfile::Aes128CmSha1_80);
    ASSERT_TRUE(waitForOutput("Keying material: ", 3000)) << readFile(dir_ / "out.txt");
    const std::string theirs = valueAfter(readFile(dir_ / "out.txt"), "Keying material: ");
    // 60 octets: the exporter gives 2 * (16 + 14).
    EXPECT_EQ(theirs.substr(0, 120), exported(*(*c)->sendKeys(), *(*c)->receiveKeys()));
    closeAndSend(**c, peer);
}

TEST_F(DtlsOpensslCli, PassiveAgainstOpensslClient) {
    const int fd = bindUdp(kOurServerPort);
    ASSERT_GE(fd, 0) << "port " << kOurServerPort << " busy";
    DtlsConnectionOptions o;
    o.role = DtlsRole::Passive;
    auto c = DtlsConnection::create(cert_, o);
    ASSERT_TRUE(c);
    (*c)->setPeerFingerprints({peerFp_}, nowMs());
    startOpenssl("s_client -dtls1_2 -connect 127.0.0.1:" + std::to_string(kOurServerPort) +
                 " -use_srtp SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_32");
    drive(**c, fd, {}, false);
    ASSERT_EQ((*c)->state(), DtlsState::Connected) << (*c)->failureReason();
    // Our preference among what it offers.
    EXPECT_EQ((*c)->srtpProfile(), SrtpProfile::AeadAes128Gcm);
    ASSERT_TRUE(waitForOutput("Keying material: ", 3000)) << readFile(dir_ / "out.txt");
    const std::string theirs = valueAfter(readFile(dir_ / "out.txt"), "Keying material: ");
    // AEAD_AES_128_GCM takes 2 * (16 + 12) = 56 of the 60 octets.
    EXPECT_EQ(theirs.substr(0, 112), exported(*(*c)->receiveKeys(), *(*c)->sendKeys()));
    closeAndSend(**c, peer_);
    // openssl ends its connection on our close_notify.
    EXPECT_TRUE(waitForOutput("closed", 3000)) << readFile(dir_ / "out.txt");
}

}  // namespace
