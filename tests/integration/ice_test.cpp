// ICE through the real daemon against an independent agent: Debian's libnice
// (tests/integration/nice_peer.c) on one side of a call, a plain RTP peer on
// the other. Checks complete between ngmediad and libnice in both roles, with
// rtcp-mux and with two components, with a lite libnice, through a role
// conflict and an ICE restart; media flows both ways with exact payloads
// (libnice <-> ngmediad <-> plain peer), and media from an address that did
// not pass the checks is not relayed.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "daemon_test.h"
#include "media_assertions.h"
#include "rtp_peer.h"

namespace ngm::itest {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kSsrcNice = 0x4E494345;  // nice_peer.c's
constexpr uint32_t kSsrcPlain = 0xB2B2B2B2;
constexpr uint32_t kSsrcStranger = 0xBADBAD00;
constexpr int kCount = 10;  // packets each way per phase

// nice_peer.c's packets.
Bytes niceRtp(uint16_t seq) {
    return rtpPacket(0, seq, 160u * seq, kSsrcNice, patternPayload(160, uint8_t(seq)));
}
Bytes niceRtcp(uint16_t seq) {
    Bytes b = {0x81, 0xc9, 0x00, 0x07, 0x4E, 0x49, 0x43, 0x45};
    for (int i = 0; i < 24; i++) b.push_back(uint8_t(seq + i));
    return b;
}

std::string toHex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t x : b) s += d[x >> 4], s += d[x & 15];
    return s;
}

std::string nicePeerPath() {
#ifdef NGM_NICE_PEER_PATH
    return NGM_NICE_PEER_PATH;
#else
    return {};
#endif
}

// nice_peer as a child process, its stdin and stdout as pipes, its stderr
// in a file shown when a test fails.
class NicePeer {
  public:
    explicit NicePeer(std::vector<std::string> args) {
        std::string path = nicePeerPath();
        if (path.empty()) {
            error_ =
                "nice_peer was not built: libnice (pkg-config nice) is missing; "
                "scripts/install-deps.sh installs libnice-dev";
            return;
        }
        logPath_ = "/tmp/ngm-nice-peer-" + std::to_string(getpid()) + "-" +
                   std::to_string(counter_++) + ".log";
        int in[2], out[2];
        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
            error_ = "pipe failed";
            return;
        }
        std::vector<std::string> argvS = {path};
        for (auto& a : args) argvS.push_back(a);
        std::vector<char*> argv;
        for (auto& a : argvS) argv.push_back(a.data());
        argv.push_back(nullptr);
        // libnice/GLib keep allocations to the end: no leak report from an
        // AddressSanitizer build of the peer.
        std::vector<std::string> envS = {"ASAN_OPTIONS=detect_leaks=0"};
        for (char** e = environ; *e; e++)
            if (strncmp(*e, "ASAN_OPTIONS=", 13)) envS.emplace_back(*e);
        std::vector<char*> envp;
        for (auto& e : envS) envp.push_back(e.data());
        envp.push_back(nullptr);
        int logFd = open(logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        pid_ = fork();
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            if (logFd >= 0) dup2(logFd, 2);
            execve(argv[0], argv.data(), envp.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        if (logFd >= 0) close(logFd);
        toPeer_ = in[1];
        fromPeer_ = out[0];
        reader_ = std::thread([this] { readLoop(); });
    }
    ~NicePeer() {
        if (toPeer_ >= 0) close(toPeer_);
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (reader_.joinable()) reader_.join();
        if (fromPeer_ >= 0) close(fromPeer_);
        // NGM_NICE_PEER_KEEP_LOG=1 keeps libnice's stderr (with
        // G_MESSAGES_DEBUG=libnice, its debug log) for a look afterwards.
        if (!logPath_.empty() && !getenv("NGM_NICE_PEER_KEEP_LOG")) unlink(logPath_.c_str());
    }
    NicePeer(const NicePeer&) = delete;
    NicePeer& operator=(const NicePeer&) = delete;

    const std::string& error() const { return error_; }
    bool ok() const { return error_.empty() && pid_ > 0; }

    // The next line of the peer, or nothing on timeout / end of output.
    std::optional<std::string> line(milliseconds timeout) {
        std::unique_lock lk(mu_);
        cv_.wait_for(lk, timeout, [&] { return !lines_.empty() || eof_; });
        if (lines_.empty()) return std::nullopt;
        std::string l = std::move(lines_.front());
        lines_.pop_front();
        return l;
    }
    // Lines up to "END" (local credentials and candidates).
    std::vector<std::string> block(milliseconds timeout = 10000ms) {
        std::vector<std::string> out;
        while (auto l = line(timeout)) {
            if (*l == "END") return out;
            out.push_back(*l);
        }
        return {};
    }
    // Lines until one starting with `prefix` (returned); the others are kept
    // in `skipped`.
    std::optional<std::string> until(const std::string& prefix, milliseconds timeout,
                                     std::vector<std::string>* skipped = nullptr) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            auto l = line(left);
            if (!l) return std::nullopt;
            if (l->rfind(prefix, 0) == 0) return l;
            if (skipped) skipped->push_back(*l);
        }
    }
    bool write(const std::vector<std::string>& lines) {
        std::string s;
        for (auto& l : lines) s += l + "\n";
        s += "END\n";
        return ::write(toPeer_, s.data(), s.size()) == ssize_t(s.size());
    }
    // Waits for the exit; the exit status (-1 on timeout).
    int wait(milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            int st = 0;
            if (waitpid(pid_, &st, WNOHANG) == pid_) {
                exited_ = true;
                return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
            std::this_thread::sleep_for(20ms);
        }
        return -1;
    }
    std::string log() const {
        std::ifstream f(logPath_);
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
    }

  private:
    void readLoop() {
        std::string buf;
        char tmp[4096];
        for (;;) {
            ssize_t n = read(fromPeer_, tmp, sizeof tmp);
            if (n <= 0) break;
            buf.append(tmp, size_t(n));
            size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                std::lock_guard lk(mu_);
                lines_.push_back(buf.substr(0, nl));
                buf.erase(0, nl + 1);
                cv_.notify_all();
            }
        }
        std::lock_guard lk(mu_);
        eof_ = true;
        cv_.notify_all();
    }

    static inline int counter_ = 0;
    std::string error_, logPath_;
    pid_t pid_ = -1;
    bool exited_ = false;
    int toPeer_ = -1, fromPeer_ = -1;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::string> lines_;
    bool eof_ = false;
};

// The ICE lines of an SDP the peer needs (credentials, candidates).
std::vector<std::string> iceLines(const std::string& sdp) {
    std::vector<std::string> out;
    std::istringstream in(sdp);
    std::string l;
    while (std::getline(in, l)) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        if (l.rfind("a=ice-ufrag:", 0) == 0 || l.rfind("a=ice-pwd:", 0) == 0 ||
            l.rfind("a=candidate:", 0) == 0)
            out.push_back(l);
    }
    return out;
}

// The port of the peer's first host candidate of `component`.
uint16_t candidatePort(const std::vector<std::string>& lines, int component) {
    static const std::regex re(R"(a=candidate:\S+ (\d) \S+ \d+ \S+ (\d+) typ host)");
    std::smatch m;
    for (auto& l : lines)
        if (std::regex_search(l, m, re) && std::stoi(m[1]) == component)
            return uint16_t(std::stoi(m[2]));
    return 0;
}

// An SDP with libnice's ICE lines: RTP on component 1's port, RTCP muxed or
// on component 2's.
std::string niceSdp(const std::vector<std::string>& ice, int components, bool lite,
                    const std::string& version = "1") {
    std::string s = "v=0\r\no=- 4242 " + version + " IN IP4 127.0.0.1\r\ns=nice\r\n";
    if (lite) s += "a=ice-lite\r\n";
    s += "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " + std::to_string(candidatePort(ice, 1)) +
         " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    if (components == 1)
        s += "a=rtcp-mux\r\n";
    else
        s += "a=rtcp:" + std::to_string(candidatePort(ice, 2)) + "\r\n";
    for (auto& l : ice) s += l + "\r\n";
    return s + "a=sendrecv\r\n";
}

std::string plainSdp(uint16_t port, const std::string& version = "1") {
    return "v=0\r\no=- 77 " + version +
           " IN IP4 127.0.0.1\r\ns=plain\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
}

class IceLibnice : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_FALSE(nicePeerPath().empty())
            << "nice_peer was not built: libnice (pkg-config nice) is missing; "
               "scripts/install-deps.sh installs libnice-dev";
        ASSERT_TRUE(startDaemon({.args = daemonArgs()})) << daemon.error();
        ASSERT_TRUE(plain.bind());
    }
    void TearDown() override {
        if (HasFailure() && peer)
            std::cerr << "---- nice_peer stderr:\n" << peer->log() << "---- end\n";
        peer.reset();
        DaemonTest::TearDown();
    }

    virtual std::vector<std::string> daemonArgs() const { return {"--interface=127.0.0.1"}; }
    // Our candidate lines of this address are not given to libnice (it
    // cannot reach that address: only the others).
    std::string hiddenAddress;

    Reply signal(const char* cmd, const std::string& fromTag, const std::string& toTag,
                 const std::string& sdp, const std::string& ice = {}, const std::string& lite = {},
                 const std::string& mux = {}) {
        Request r(cmd);
        if (!mux.empty()) r.setList("rtcp-mux", {mux});
        r.set("call-id", "ice-call").set("from-tag", fromTag).set("sdp", sdp);
        if (!toTag.empty()) r.set("to-tag", toTag);
        if (!ice.empty()) r.set("ICE", ice);
        if (!lite.empty()) r.set("ICE-lite", lite);
        Reply rep = ng->request(r);
        EXPECT_EQ(rep.result(), "ok") << rep.describe();
        return rep;
    }

    void startPeer(std::vector<std::string> args, int components = 1) {
        args.push_back("--count=" + std::to_string(kCount));
        // What libnice must receive (all components) before it ends a phase.
        args.push_back("--expect=" + std::to_string(kCount * components));
        args.push_back("--timeout=20");
        peer = std::make_unique<NicePeer>(std::move(args));
        ASSERT_TRUE(peer->ok()) << peer->error();
    }

    // libnice offers, the plain peer answers; libnice's ICE lines for the
    // answer to it come back. Leaves the daemon's ports in niceSide/plainSide.
    void niceOffers(int components, bool lite, const std::string& mux = "demux") {
        auto local = peer->block();
        ASSERT_FALSE(local.empty()) << "nice_peer printed no credentials";
        // As WebRTC gateways are driven: rtcp-mux accepted towards the ICE
        // side, demultiplexed towards the plain one.
        Reply o = signal("offer", "nice", {}, niceSdp(local, components, lite), {}, {},
                         components == 1 ? mux : "");
        auto po = sdpMediaPorts(o.sdp());
        ASSERT_TRUE(po);
        plainSide = {"127.0.0.1", uint16_t(po->rtp)};
        Reply a = signal("answer", "nice", "plain", plainSdp(plain.rtp->port()));
        auto pa = sdpMediaPorts(a.sdp());
        ASSERT_TRUE(pa);
        niceSide = {"127.0.0.1", uint16_t(pa->rtp)};
        auto ours = iceLines(a.sdp());
        ASSERT_GE(ours.size(), size_t(2 + components)) << "our ICE lines towards libnice:\n"
                                                       << a.sdp();
        if (!hiddenAddress.empty()) {
            std::erase_if(ours, [&](const std::string& l) {
                return l.rfind("a=candidate:", 0) == 0 && l.find(" " + hiddenAddress + " ") != std::string::npos;
            });
            // libnice's checks can only go to (and so select) another address.
            static const std::regex re(R"(a=candidate:\S+ 1 \S+ \d+ (\S+) (\d+) typ host)");
            std::smatch m;
            for (auto& l : ours)
                if (std::regex_search(l, m, re)) {
                    niceSide = {m[1], uint16_t(std::stoi(m[2]))};
                    break;
                }
            ASSERT_NE(niceSide.address, hiddenAddress) << "no candidate of another address:\n" << a.sdp();
        }
        ASSERT_TRUE(peer->write(ours));
    }

    // The plain peer offers with ICE=force towards libnice, which answers.
    void niceAnswers(int components) {
        Reply o = signal("offer", "plain", {}, plainSdp(plain.rtp->port()), "force", {},
                         components == 1 ? "offer" : "");
        auto po = sdpMediaPorts(o.sdp());
        ASSERT_TRUE(po);
        niceSide = {"127.0.0.1", uint16_t(po->rtp)};
        auto ours = iceLines(o.sdp());
        ASSERT_GE(ours.size(), 3u) << "our ICE lines towards libnice:\n" << o.sdp();
        auto local = peer->block();
        ASSERT_FALSE(local.empty()) << "nice_peer printed no credentials";
        Reply a = signal("answer", "plain", "nice", niceSdp(local, components, false));
        auto pa = sdpMediaPorts(a.sdp());
        ASSERT_TRUE(pa);
        plainSide = {"127.0.0.1", uint16_t(pa->rtp)};
        ASSERT_TRUE(peer->write(ours));
    }

    // Checks complete (READY from libnice, selecting one of our candidates),
    // then media both ways with exact payloads; `stranger` packets sent to
    // the daemon's libnice-facing port are not relayed.
    void mediaFlows(int components, bool stranger = false) {
        std::vector<std::string> skipped;
        auto ready = peer->until("READY 1 ", 30000ms, &skipped);
        ASSERT_TRUE(ready) << "ICE did not complete with libnice";
        EXPECT_NE(ready->find(" " + niceSide.address + ":" + std::to_string(niceSide.port)), std::string::npos)
            << "libnice's selected pair: " << *ready;
        // The controlling side selects when the response to its nominating
        // check arrives, a moment after the controlled side is READY.
        std::this_thread::sleep_for(300ms);
        if (stranger) {
            RtpPeer x;
            for (uint16_t s = 0; s < 5; s++) x.sendTo(niceSide, g711(s, kSsrcStranger));
        }
        // The plain peer's packets towards libnice.
        for (uint16_t seq = 0; seq < kCount; seq++) {
            plain.rtp->sendTo(plainSide, g711(seq, kSsrcPlain));
            if (components == 2)
                plain.rtcp->sendTo({"127.0.0.1", uint16_t(plainSide.port + 1)},
                                   rtcpReceiverReport(kSsrcPlain, kSsrcNice, uint8_t(seq)));
            std::this_thread::sleep_for(20ms);
        }
        // What libnice got: exactly our packets, in order.
        std::vector<std::string> recv[3];
        auto collect = [&](const std::string& l) {
            if (l.rfind("RECV ", 0) == 0) recv[l[5] - '0'].push_back(l.substr(7));
        };
        for (auto& l : skipped) collect(l);
        std::optional<std::string> summary;
        while (auto l = peer->line(30000ms)) {
            if ((*l)[0] == '{' || l->rfind("a=ice-ufrag:", 0) == 0) {
                summary = l;
                break;
            }
            collect(*l);
        }
        ASSERT_TRUE(summary) << "nice_peer ended without a summary";
        if ((*summary)[0] == '{') lastSummary = *summary;
        ASSERT_GE(recv[1].size(), size_t(kCount)) << *summary;
        // RTCP is relayed too: with two components on component 2.
        std::vector<std::string> rtp = recv[1];
        for (int i = 0; i < kCount; i++)
            EXPECT_EQ(rtp[size_t(i)], toHex(g711(uint16_t(i), kSsrcPlain))) << i;
        if (components == 2) {
            ASSERT_EQ(recv[2].size(), size_t(kCount));
            for (int i = 0; i < kCount; i++)
                EXPECT_EQ(recv[2][size_t(i)],
                          toHex(rtcpReceiverReport(kSsrcPlain, kSsrcNice, uint8_t(i))));
        }
        // What the plain peer got: libnice's packets, in order, from our port.
        auto got = plain.rtp->drain(500ms);
        std::vector<Bytes> fromNice;
        for (auto& d : got) {
            EXPECT_EQ(d.from(), plainSide) << "relayed from the daemon's plain-side port";
            uint32_t ssrc = d.bytes.size() >= 12 ? uint32_t(d.bytes[8]) << 24 | d.bytes[9] << 16 |
                                                       d.bytes[10] << 8 | d.bytes[11]
                                                 : 0;
            EXPECT_NE(ssrc, kSsrcStranger) << "media from an unchecked address was relayed";
            fromNice.push_back(d.bytes);
        }
        ASSERT_EQ(fromNice.size(), size_t(kCount)) << "RTP from libnice at the plain peer";
        for (int i = 0; i < kCount; i++) EXPECT_EQ(fromNice[size_t(i)], niceRtp(uint16_t(i))) << i;
        if (components == 2) {
            auto rtcp = plain.rtcp->drain(300ms);
            ASSERT_EQ(rtcp.size(), size_t(kCount)) << "RTCP from libnice at the plain peer";
            for (int i = 0; i < kCount; i++)
                EXPECT_EQ(rtcp[size_t(i)].bytes, niceRtcp(uint16_t(i))) << i;
        }
        if ((*summary)[0] != '{') restartLines.insert(restartLines.begin(), *summary);
    }

    void finishes() {
        if (lastSummary.empty())
            if (auto l = peer->until("{", 10000ms)) lastSummary = *l;
        std::cout << "nice_peer: " << lastSummary << "\n";
        EXPECT_NE(lastSummary.find("\"state\":\"ok\""), std::string::npos) << lastSummary;
        EXPECT_EQ(peer->wait(10000ms), 0) << lastSummary;
        // ngmediad's agent never reported a failure on the way.
        EXPECT_EQ(daemon.log(200000).find("ICE failed"), std::string::npos);
    }

    RtpRtcpPeer plain;
    std::unique_ptr<NicePeer> peer;
    Endpoint niceSide, plainSide;  // the daemon's ports towards each
    std::string lastSummary;
    std::vector<std::string> restartLines;
};

// BUNDLE with ICE (docs/bundle.md): libnice offers max-bundle, two audio
// sections on its one checked transport (the second port 0, bundle-only,
// PCMA), `bundle: [accept]`; two plain peers answer, one per section. The
// answer to libnice carries one port and ICE lines once; libnice's PCMU
// goes to the first section's peer, and the second section's peer's PCMA
// reaches libnice over the selected pair of the shared transport.
TEST_F(IceLibnice, MaxBundleOfferOverIceIsDemultiplexedPerSection) {
    if (underOracle()) GTEST_SKIP() << "rtpengine 10.5 has no `bundle` key (a later rtpengine feature)";
    startPeer({"--controlling"});
    RtpRtcpPeer second;
    ASSERT_TRUE(second.bind());
    auto local = peer->block();
    ASSERT_FALSE(local.empty()) << "nice_peer printed no credentials";
    std::string offer = niceSdp(local, 1, false) + "a=mid:a0\r\n" +
                        "m=audio 0 RTP/AVP 8\r\nc=IN IP4 0.0.0.0\r\na=bundle-only\r\na=mid:a1\r\n"
                        "a=rtpmap:8 PCMA/8000\r\na=rtcp-mux\r\na=sendrecv\r\n";
    offer.insert(offer.find("t=0 0\r\n") + 7, "a=group:BUNDLE a0 a1\r\n");
    Request o("offer");
    o.set("call-id", "ice-call").set("from-tag", "nice").set("sdp", offer);
    o.setList("rtcp-mux", {"demux"}).setList("bundle", {"accept"});
    Reply ro = ng->request(o);
    ASSERT_EQ(ro.result(), "ok") << ro.describe();
    auto p0 = sdpMediaPorts(ro.sdp(), 0), p1 = sdpMediaPorts(ro.sdp(), 1);
    ASSERT_TRUE(p0 && p1) << ro.sdp();
    ASSERT_NE(p1->rtp, 0) << ro.sdp();
    plainSide = {"127.0.0.1", uint16_t(p0->rtp)};
    Endpoint secondSide{"127.0.0.1", uint16_t(p1->rtp)};
    std::string answer = "v=0\r\no=- 77 1 IN IP4 127.0.0.1\r\ns=plain\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                         "m=audio " + std::to_string(plain.rtp->port()) +
                         " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
                         "m=audio " + std::to_string(second.rtp->port()) +
                         " RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
    Reply ra = ng->request(Request("answer")
                               .set("call-id", "ice-call")
                               .set("from-tag", "nice")
                               .set("to-tag", "plain")
                               .set("sdp", answer));
    ASSERT_EQ(ra.result(), "ok") << ra.describe();
    auto a0 = sdpMediaPorts(ra.sdp(), 0), a1 = sdpMediaPorts(ra.sdp(), 1);
    ASSERT_TRUE(a0 && a1) << ra.sdp();
    EXPECT_EQ(a0->rtp, a1->rtp) << ra.sdp();
    EXPECT_NE(ra.sdp().find("a=group:BUNDLE a0 a1\r\n"), std::string::npos) << ra.sdp();
    niceSide = {"127.0.0.1", uint16_t(a0->rtp)};
    auto ours = iceLines(ra.sdp());
    // Credentials and the candidate once, in the tagged section.
    ASSERT_EQ(ours.size(), 3u) << ra.sdp();
    ASSERT_TRUE(peer->write(ours));

    std::vector<std::string> skipped;
    auto ready = peer->until("READY 1 ", 30000ms, &skipped);
    ASSERT_TRUE(ready) << "ICE did not complete with libnice";
    std::this_thread::sleep_for(300ms);
    // The second section's peer: PCMA through the shared transport.
    auto pcma = [](uint16_t seq) {
        return rtpPacket(8, seq, 160u * seq, kSsrcPlain, patternPayload(160, uint8_t(seq + 8)));
    };
    for (uint16_t seq = 0; seq < kCount; seq++) {
        second.rtp->sendTo(secondSide, pcma(seq));
        std::this_thread::sleep_for(20ms);
    }
    std::vector<std::string> recv;
    for (auto& l : skipped)
        if (l.rfind("RECV 1 ", 0) == 0) recv.push_back(l.substr(7));
    std::optional<std::string> summary;
    while (auto l = peer->line(30000ms)) {
        if ((*l)[0] == '{') {
            summary = l;
            break;
        }
        if (l->rfind("RECV 1 ", 0) == 0) recv.push_back(l->substr(7));
    }
    ASSERT_TRUE(summary) << "nice_peer ended without a summary";
    lastSummary = *summary;
    ASSERT_EQ(recv.size(), size_t(kCount)) << *summary;
    for (int i = 0; i < kCount; i++) EXPECT_EQ(recv[size_t(i)], toHex(pcma(uint16_t(i)))) << i;
    // libnice's PCMU: to the first section's peer only.
    auto got = plain.rtp->drain(500ms);
    ASSERT_EQ(got.size(), size_t(kCount)) << "RTP from libnice at the first section's peer";
    for (int i = 0; i < kCount; i++) {
        EXPECT_EQ(got[size_t(i)].bytes, niceRtp(uint16_t(i))) << i;
        EXPECT_EQ(got[size_t(i)].from(), plainSide);
    }
    EXPECT_TRUE(second.rtp->drain(200ms).empty()) << "libnice's PCMU reached the second section";
    finishes();
}

// libnice offers and is controlling; ngmediad answers controlled.
TEST_F(IceLibnice, LibniceOffersControllingRtcpMux) {
    startPeer({"--controlling"});
    niceOffers(1, false);
    mediaFlows(1);
    finishes();
}

// The same with the default rtcp-mux handling: the answer to libnice does
// not multiplex (the plain side does not), yet libnice offered rtcp-mux with
// component 1 only; ngmediad's agent has that one component.
TEST_F(IceLibnice, RtcpMuxOnlyOffererWithDefaultRtcpMux) {
    startPeer({"--controlling"});
    niceOffers(1, false, "");
    mediaFlows(1);
    finishes();
}

// The plain side offers with ICE=force; ngmediad is controlling towards
// libnice, the answerer.
TEST_F(IceLibnice, NgmediadControllingTowardsAnsweringLibnice) {
    startPeer({"--controlled"});
    niceAnswers(1);
    mediaFlows(1);
    finishes();
}

// No rtcp-mux: two components, RTP and RTCP each on its checked pair.
TEST_F(IceLibnice, TwoComponents) {
    startPeer({"--controlling", "--components=2"}, 2);
    niceOffers(2, false);
    mediaFlows(2);
    finishes();
}

// libnice as an ICE-lite offerer (a=ice-lite): ngmediad is controlling.
TEST_F(IceLibnice, LiteLibnice) {
    startPeer({"--lite", "--controlled"});
    niceOffers(1, true);
    mediaFlows(1);
    finishes();
}

// Both controlling (ngmediad offers towards libnice, which is forced
// controlling): the conflict is resolved and the checks complete.
TEST_F(IceLibnice, RoleConflictResolved) {
    startPeer({"--controlling"});
    niceAnswers(1);
    mediaFlows(1);
    // Which side gives way depends on the tie-breakers (RFC 8445 §7.3.1.1);
    // libnice's debug log (NGM_NICE_PEER_KEEP_LOG=1 G_MESSAGES_DEBUG=libnice)
    // shows "Role conflict, changing agent role" when it is libnice.
    finishes();
}

// libnice restarts ICE (nice_agent_restart: new ufrag/pwd in a re-offer);
// media flows before and after.
TEST_F(IceLibnice, RestartKeepsMediaFlowing) {
    startPeer({"--controlling", "--restart"});
    niceOffers(1, false);
    mediaFlows(1);
    ASSERT_FALSE(HasFatalFailure());
    // The rest of nice_peer's new local block.
    auto rest = peer->block();
    ASSERT_FALSE(rest.empty());
    restartLines.insert(restartLines.end(), rest.begin(), rest.end());
    Reply o = signal("offer", "nice", {}, niceSdp(restartLines, 1, false, "2"), {}, {}, "demux");
    Reply a = signal("answer", "nice", "plain", plainSdp(plain.rtp->port(), "2"));
    auto ours = iceLines(a.sdp());
    ASSERT_GE(ours.size(), 3u) << a.sdp();
    ASSERT_TRUE(peer->write(ours));
    mediaFlows(1);
    finishes();
}

// Media sent to the daemon's libnice-facing port from an address that never
// passed a check is not relayed.
TEST_F(IceLibnice, UncheckedSourceNotRelayed) {
    startPeer({"--controlling"});
    niceOffers(1, false);
    mediaFlows(1, true);
    finishes();
}

// A logical interface of two addresses, 127.0.0.1 first and ::1: the answer
// to libnice has host candidates on both; libnice itself has one on ::1
// only (and is given only our ::1 ones), so it can reach nothing but
// ngmediad's second address, and ngmediad's first-address sockets have no
// pair towards it (no check from them can give libnice a peer-reflexive
// way in). Its checks arrive on the second address's socket, the pair there
// is selected on both sides, and media flows both ways through that socket
// (ngmediad's log names it as the selected pair's local side).
class IceLibniceSecondAddress : public IceLibnice {
  protected:
    std::vector<std::string> daemonArgs() const override {
        return {"--interface=127.0.0.1", "--interface=::1"};
    }
};

TEST_F(IceLibniceSecondAddress, ChecksAndMediaOnTheSecondAddress) {
    hiddenAddress = "127.0.0.1";
    startPeer({"--controlling", "--address=::1"});
    niceOffers(1, false);
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_EQ(niceSide.address, "::1");
    mediaFlows(1);
    finishes();
    std::string log = daemon.log(200000);
    EXPECT_NE(log.find("ICE: component 1 selected "), std::string::npos) << log;
    EXPECT_NE(log.find(" from [::1]:" + std::to_string(niceSide.port)), std::string::npos)
        << "ngmediad's selected pair is not on the second address:\n"
        << log;
}

}  // namespace
}  // namespace ngm::itest
