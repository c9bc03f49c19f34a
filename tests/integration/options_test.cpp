// Command-line options whose effect shows from outside the daemon, one
// behaviour per test (docs/options.md names the test of each option).
// Options tested elsewhere: --interface, --tos, --endpoint-learning,
// --timeout, --silent-timeout (media_relay_test.cpp, media_bridging_test.cpp),
// --offer-timeout, --final-timeout, --delete-delay, --max-sessions
// (lifecycle_test.cpp), --listen-tcp-ng (protocol_test.cpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr uint32_t kSsrcA = 0xA1A1A1A1;
constexpr uint32_t kSsrcB = 0xB2B2B2B2;

class DaemonOptions : public DaemonTest {
  protected:
    void start(std::vector<std::string> args) {
        ASSERT_TRUE(startDaemon({.args = std::move(args)})) << daemon.error();
    }

    // A call between two loopback peers: A's offer (its SDP says `aAddress`),
    // B's answer, both with the keys `extra` sets. Returns the ports A and B
    // send to.
    void establish(RtpPeer& a, RtpPeer& b, uint16_t& aTo, uint16_t& bTo,
                   const std::string& aAddress = "127.0.0.1",
                   std::function<void(Request&)> extra = {}) {
        Request o("offer");
        o.set("call-id", "call-1").set("from-tag", "alice").set("sdp", audioSdp(a.port(), aAddress));
        if (extra) extra(o);
        Reply off = ng->request(o);
        ASSERT_EQ(off.result(), "ok") << off.describe();
        Request an("answer");
        an.set("call-id", "call-1").set("from-tag", "alice").set("to-tag", "bob");
        an.set("sdp", audioSdp(b.port(), "127.0.0.1"));
        if (extra) extra(an);
        Reply ans = ng->request(an);
        ASSERT_EQ(ans.result(), "ok") << ans.describe();
        auto bp = sdpMediaPorts(off.sdp());
        auto ap = sdpMediaPorts(ans.sdp());
        ASSERT_TRUE(ap && bp) << off.describe() << ans.describe();
        aTo = uint16_t(ap->rtp);
        bTo = uint16_t(bp->rtp);
    }

    static std::string readFile(const fs::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};

// A temporary directory, removed with what it holds.
struct TempDir {
    fs::path path;
    TempDir() {
        char t[] = "/tmp/ngmedia-options-XXXXXX";
        if (mkdtemp(t)) path = t;
    }
    ~TempDir() {
        std::error_code ec;
        if (!path.empty()) fs::remove_all(path, ec);
    }
};

// --- control and signalling ------------------------------------------------

TEST_F(DaemonOptions, ControlTosMarksNgReplies) {
    ASSERT_NO_FATAL_FAILURE(start({"--control-tos=184"}));
    RtpPeer client;
    ASSERT_TRUE(client.ok() && client.reportTos());
    std::string ping = "tos1 d7:command4:pinge";
    ASSERT_TRUE(client.sendTo(daemon.ngPort(), Bytes(ping.begin(), ping.end())));
    auto reply = client.receive(2000ms);
    ASSERT_TRUE(reply) << "no reply to ping";
    EXPECT_EQ(std::string(reply->bytes.begin(), reply->bytes.end()), "tos1 d6:result4:ponge");
    EXPECT_EQ(reply->tos, 184);
}

TEST_F(DaemonOptions, WithoutControlTosNgRepliesLeaveTheTosAlone) {
    ASSERT_NO_FATAL_FAILURE(start({}));
    RtpPeer client;
    ASSERT_TRUE(client.ok() && client.reportTos());
    std::string ping = "tos2 d7:command4:pinge";
    ASSERT_TRUE(client.sendTo(daemon.ngPort(), Bytes(ping.begin(), ping.end())));
    auto reply = client.receive(2000ms);
    ASSERT_TRUE(reply) << "no reply to ping";
    EXPECT_EQ(reply->tos, 0);
}

// --ng-reply-cache=1: a retransmission (same cookie) within the second gets
// the cached reply; once the reply has left the cache the command runs again.
TEST_F(DaemonOptions, NgReplyCacheForgetsRepliesAfterItsLifetime) {
    if (underOracle()) GTEST_SKIP() << "--ng-reply-cache is an ngmediad option";
    ASSERT_NO_FATAL_FAILURE(start({"--ng-reply-cache=1"}));
    Request o("offer");
    o.set("call-id", "call-1").set("from-tag", "alice").set("sdp", audioSdp(2000));
    std::string body = o.bencode();
    auto offers = [&] {
        return statistics().integer({"statistics", "controlstatistics", "totaloffercount"});
    };
    ASSERT_TRUE(ng->exchange("cached-1", body)) << "no reply to the offer";
    ASSERT_TRUE(ng->exchange("cached-1", body)) << "no reply to the retransmission";
    EXPECT_EQ(offers(), 1) << "a retransmission within the cache's lifetime ran again";
    // The cache is purged once a second: the reply is gone 1-3 s later.
    EXPECT_TRUE(eventually(
        [&] { return ng->exchange("cached-1", body, 500ms) && offers() == 2; }, 6000ms))
        << "the reply was still cached 6 s after --ng-reply-cache=1";
}

// --sip-source: media for a participant goes to the address its SIP message
// came from (`received from`, which Kamailio's module sends with every
// offer and answer), on the port of its SDP, not to its c= line.
TEST_F(DaemonOptions, SipSourceSendsMediaToTheSignallingSourceAddress) {
    ASSERT_NO_FATAL_FAILURE(start({"--sip-source", "--endpoint-learning=immediate"}));
    RtpPeer a, b;
    uint16_t aTo = 0, bTo = 0;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aTo, bTo, "192.0.2.10",
                                      [](Request& r) { r.setList("received from", {"IP4", "127.0.0.1"}); }));
    EXPECT_TRUE(relays(b, Endpoint{"127.0.0.1", bTo}, a, Endpoint{"127.0.0.1", aTo}, g711(0, kSsrcB)));
}

TEST_F(DaemonOptions, WithoutSipSourceMediaGoesToTheSdpAddress) {
    ASSERT_NO_FATAL_FAILURE(start({"--endpoint-learning=immediate"}));
    RtpPeer a, b;
    uint16_t aTo = 0, bTo = 0;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aTo, bTo, "192.0.2.10",
                                      [](Request& r) { r.setList("received from", {"IP4", "127.0.0.1"}); }));
    ASSERT_TRUE(b.sendTo(bTo, g711(0, kSsrcB)));
    EXPECT_TRUE(nothingArrives(a)) << "media went to the SIP source, not to c=192.0.2.10";
}

// --reject-invalid-sdp: an SDP with a blank line in it is refused (without
// the option the blank line ends the SDP and the offer goes through).
TEST_F(DaemonOptions, RejectInvalidSdpRefusesAnSdpWithABlankLine) {
    ASSERT_NO_FATAL_FAILURE(start({"--reject-invalid-sdp"}));
    Reply r = offer("call-1", "alice", audioSdp(2000) + "\r\n");
    EXPECT_EQ(r.result(), "error") << r.describe();
    EXPECT_EQ(r.errorReason().rfind("Failed to parse SDP", 0), 0u) << r.describe();
    EXPECT_FALSE(isListed("call-1"));
}

TEST_F(DaemonOptions, WithoutRejectInvalidSdpABlankLineEndsTheSdp) {
    ASSERT_NO_FATAL_FAILURE(start({}));
    Reply r = offer("call-1", "alice", audioSdp(2000) + "\r\n");
    EXPECT_EQ(r.result(), "ok") << r.describe();
}

// --- media ports and the kernel table --------------------------------------

bool udpPortTakenOn(const std::string& address, uint16_t port) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    bool taken = bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

// --save-interface-ports: with two local addresses in one logical
// interface, a stream's ports are bound on the first one only.
TEST_F(DaemonOptions, SaveInterfacePortsBindsOnTheFirstAddressOnly) {
    ASSERT_NO_FATAL_FAILURE(
        start({"--interface=127.0.0.1", "--interface=127.0.0.2", "--save-interface-ports"}));
    Reply r = offer("call-1", "alice", audioSdp(2000));
    ASSERT_EQ(r.result(), "ok") << r.describe();
    auto p = sdpMediaPorts(r.sdp());
    ASSERT_TRUE(p) << r.describe();
    EXPECT_EQ(p->address, "127.0.0.1");
    EXPECT_TRUE(udpPortTakenOn("127.0.0.1", uint16_t(p->rtp)));
    EXPECT_FALSE(udpPortTakenOn("127.0.0.2", uint16_t(p->rtp)));
}

// --table=0 asks for in-kernel forwarding, which needs a device other than
// loopback carrying a media address (docs/ebpf.md): on 127.0.0.1 alone it
// falls back to userspace, which relays. (integration.KernelPath.* has the
// kernel path itself.)
TEST_F(DaemonOptions, TableWithoutKernelForwardingFallsBackToUserspace) {
    if (underOracle()) GTEST_SKIP() << "rtpengine's answer depends on its kernel module being loaded";
    ASSERT_NO_FATAL_FAILURE(start({"--table=0", "--endpoint-learning=immediate"}));
    RtpPeer a, b;
    uint16_t aTo = 0, bTo = 0;
    ASSERT_NO_FATAL_FAILURE(establish(a, b, aTo, bTo));
    EXPECT_TRUE(relays(a, Endpoint{"127.0.0.1", aTo}, b, Endpoint{"127.0.0.1", bTo}, g711(0, kSsrcA)));
    EXPECT_TRUE(relays(b, Endpoint{"127.0.0.1", bTo}, a, Endpoint{"127.0.0.1", aTo}, g711(0, kSsrcB)));
}

// --no-fallback: no userspace fallback, so without in-kernel forwarding (here:
// no device but loopback) the daemon refuses to start, saying why.
TEST_F(DaemonOptions, NoFallbackWithoutKernelForwardingRefusesToStart) {
    if (underOracle()) GTEST_SKIP() << "rtpengine's answer depends on its kernel module being loaded";
    EXPECT_FALSE(daemon.start({.args = {"--table=0", "--no-fallback"}}));
    EXPECT_NE(daemon.error().find("exited 1"), std::string::npos) << daemon.error();
    EXPECT_NE(daemon.error().find("in-kernel forwarding is not available"), std::string::npos)
        << daemon.error();
}

// An ng port another process holds (even one that allows sharing it, as a
// second ngmediad would have) is not shared: requests would go to either
// process at random. The daemon refuses to start, saying why.
TEST_F(DaemonOptions, NgPortHeldByAnotherSocketRefusesToStart) {
    if (underOracle()) GTEST_SKIP() << "rtpengine's own bind rules are not what is tested";
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    int one = 1;
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    const std::string port = std::to_string(ntohs(sa.sin_port));
    EXPECT_FALSE(daemon.start({.args = {"--listen-ng=127.0.0.1:" + port}}));
    EXPECT_NE(daemon.error().find("exited 1"), std::string::npos) << daemon.error();
    EXPECT_NE(daemon.log().find("Failed to open UDP control connection port"), std::string::npos)
        << daemon.log();
    ::close(fd);
}

// --- process ---------------------------------------------------------------

TEST_F(DaemonOptions, PidfileHoldsThePidWhileRunningAndGoesAtExit) {
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    fs::path pidfile = dir.path / "ngmediad.pid";
    ASSERT_NO_FATAL_FAILURE(start({"--pidfile=" + pidfile.string()}));
    EXPECT_EQ(readFile(pidfile), std::to_string(daemon.pid()) + "\n");
    daemon.stop();
    EXPECT_TRUE(daemon.stoppedCleanly());
    if (!underOracle()) {  // rtpengine 10.5 leaves its pidfile behind
        EXPECT_FALSE(fs::exists(pidfile)) << "pidfile left behind";
    }
}

// --num-threads=N: N media workers (threads named ngm-media-0..N-1).
TEST_F(DaemonOptions, NumThreadsStartsThatManyMediaWorkers) {
    if (underOracle()) GTEST_SKIP() << "counts ngmediad's named worker threads";
    ASSERT_NO_FATAL_FAILURE(start({"--num-threads=3"}));
    int workers = 0;
    for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/task"))
        if (readFile(t.path() / "comm").rfind("ngm-media-", 0) == 0) workers++;
    EXPECT_EQ(workers, 3);
}

// --log-level=5 (notice): notices are logged, info lines are not.
TEST_F(DaemonOptions, LogLevelDropsLinesBelowIt) {
    ASSERT_NO_FATAL_FAILURE(start({"--log-level=5"}));
    ASSERT_EQ(offer("call-1", "alice", audioSdp(2000)).result(), "ok");
    // "Startup complete" (NOTICE) can come after the first ng reply.
    EXPECT_TRUE(eventually([&] { return daemon.log().find(" NOTICE: ") != std::string::npos; },
                           std::chrono::seconds(5)))
        << daemon.log();
    std::string log = daemon.log();
    EXPECT_EQ(log.find(" INFO: "), std::string::npos) << log;
    EXPECT_EQ(log.find(" DEBUG: "), std::string::npos) << log;
}

TEST_F(DaemonOptions, LogLevelSixLogsInfoLines) {
    ASSERT_NO_FATAL_FAILURE(start({"--log-level=6"}));
    ASSERT_EQ(offer("call-1", "alice", audioSdp(2000)).result(), "ok");
    std::string log = daemon.log();
    EXPECT_NE(log.find(" INFO: "), std::string::npos) << log;
    EXPECT_NE(log.find("offer"), std::string::npos) << log;
}

// Without --log-stderr the daemon logs to syslog, also in the foreground:
// nothing on stderr (the suite's daemons get --log-stderr otherwise).
TEST_F(DaemonOptions, WithoutLogStderrNothingIsLoggedToStderr) {
    if (underOracle())
        GTEST_SKIP() << "deliberate difference 5 (docs/options.md): rtpengine ignores "
                        "--log-stderr=false, and the suite cannot drop --log-stderr";
    ASSERT_NO_FATAL_FAILURE(start({"--log-stderr=false"}));
    ASSERT_EQ(offer("call-1", "alice", audioSdp(2000)).result(), "ok");
    EXPECT_EQ(daemon.log(), "");
}

// The daemon answers ng as soon as its listener is open, which can be before
// it logs "Startup complete": wait for the line instead of expecting it at once.
TEST_F(DaemonOptions, LogStderrLogsToStderr) {
    ASSERT_NO_FATAL_FAILURE(start({}));
    EXPECT_TRUE(eventually([&] { return daemon.log().find("Startup complete") != std::string::npos; },
                           std::chrono::seconds(5)))
        << daemon.log();
}

// Without --foreground the daemon detaches: the process started exits 0,
// the daemon (named by --pidfile) answers ng and stops on SIGTERM.
TEST_F(DaemonOptions, WithoutForegroundTheDaemonDetaches) {
    if (underOracle()) GTEST_SKIP() << "starts the daemon by hand";
    TempDir dir;
    ASSERT_FALSE(dir.path.empty());
    PortBlock ports;
    ASSERT_TRUE(ports.claim());
    fs::path pidfile = dir.path / "ngmediad.pid";
    uint16_t ngPort = ports.controlPort();
    std::vector<std::string> args = {daemonPath(),
                                     "--config-file=none",
                                     "--table=-1",
                                     "--interface=127.0.0.1",
                                     "--listen-ng=127.0.0.1:" + std::to_string(ngPort),
                                     "--port-min=" + std::to_string(ports.first()),
                                     "--port-max=" + std::to_string(ports.first() + 9),
                                     "--pidfile=" + pidfile.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t launched = fork();
    ASSERT_GE(launched, 0);
    if (launched == 0) {
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = -1;
    bool exited = eventually([&] { return waitpid(launched, &status, WNOHANG) == launched; }, 10000ms);
    if (!exited) kill(launched, SIGKILL), waitpid(launched, &status, 0);
    ASSERT_TRUE(exited) << "the process started did not return: it did not detach";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;

    pid_t detached = 0;
    ASSERT_TRUE(eventually([&] { return (detached = atoi(readFile(pidfile).c_str())) > 0; }, 10000ms))
        << "no pidfile from the detached daemon";
    auto gone = [&] {
        std::string stat = readFile("/proc/" + std::to_string(detached) + "/stat");
        size_t paren = stat.rfind(')');
        return stat.empty() || (paren != std::string::npos && stat.size() > paren + 2 &&
                                stat[paren + 2] == 'Z');
    };
    EXPECT_NE(detached, launched);
    NgClient client(ngPort);
    Reply pong;
    eventually([&] { return (pong = client.request(Request("ping"), 200ms)).received(); }, 10000ms);
    EXPECT_EQ(pong.result(), "pong") << pong.describe();
    kill(detached, SIGTERM);
    EXPECT_TRUE(eventually(gone, 5000ms)) << "the detached daemon outlived SIGTERM by 5 s";
    if (!gone()) kill(detached, SIGKILL);
}

}  // namespace
}  // namespace ngm::itest
