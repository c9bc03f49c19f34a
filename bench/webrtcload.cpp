// webrtcload: a WebRTC-shaped call load for an rtpengine-compatible relay.
//
// N calls, each between two local UDP sockets: B, a plain SIP phone (RTP/AVP,
// G.711, no rtcp-mux), and A, a browser. B offers; the daemon's offer goes to
// A with ICE, DTLS-SRTP and rtcp-mux (the ng flags Kamailio uses for a call
// from SIP to WebRTC: ICE=force, transport-protocol UDP/TLS/RTP/SAVPF,
// rtcp-mux offer, SDES off); A answers as a browser does: its own ICE
// credentials and one host candidate, a=setup:active with the fingerprint of
// its certificate, a=rtcp-mux. So, as in a browser:
//   - A runs a full ICE agent (src/ice), controlled (it received the offer),
//     with consent freshness every ~5 s; the daemon's agent controls.
//   - A is the DTLS client (crypto::DtlsConnection, active); the daemon is
//     the server. A starts its handshake once ICE selected a pair.
//   - A protects and unprotects SRTP (crypto::SrtpContext) with the keys of
//     the handshake, AES_CM_128_HMAC_SHA1_80 by default.
// Media: one 172-byte G.711 RTP packet per 20 ms each way on both legs, A's
// from DTLS done on, B's from the answer on, paced evenly across the 20 ms.
//
// All calls start together (every offer sent at once, or --inflight at a
// time). Per call it times, from B's offer: ICE completed at A, DTLS done
// at A, first media from A received at B (and first media from B at A).
// Once every call has media both ways (or --setup-timeout passed), after
// --warmup s it counts for --duration s: packets sent each way, received
// (per direction; a packet counts when its send time lies in the window),
// SRTP packets at A that fail to unprotect (auth failures, replays),
// garbage (a payload that is not the one sent), the daemon's CPU
// (/proc/PID/stat) and its own. Then it deletes the calls.
//
// stdout: key=value lines; stderr: a readable summary.
// Exit status: 0 all calls up and no loss or garbage; 1 some calls failed,
// lost or garbled media; 2 fatal error; 4 the daemon went away.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "benchkit.h"
#include "crypto/dtls.h"
#include "crypto/srtp.h"
#include "ice/agent.h"

namespace {

using namespace benchkit;
using namespace ngm;
using ngm::crypto::DtlsCertificate;
using ngm::crypto::DtlsConnection;
using ngm::crypto::DtlsState;
using ngm::crypto::SrtpContext;
using ngm::crypto::SrtpStatus;

constexpr int64_t kPtimeNs = 20'000'000;
constexpr size_t kRtpHeader = 12;
constexpr size_t kPayload = 160;
constexpr size_t kPacket = kRtpHeader + kPayload;
constexpr uint32_t kMagic = 0x57524c31;  // "WRL1"
constexpr uint8_t kFromA = 1, kFromB = 2;

struct Options {
    std::string target;
    uint32_t calls = 0;
    uint32_t inflight = 0;  // ng commands at once; 0: all
    double duration = 10;
    double warmup = 1;
    double setupTimeout = 30;
    uint16_t localPort = 0;
    uint16_t portMin = 2000, portMax = 18999;
    int daemonPid = 0;
    std::string profile = "SRTP_AES128_CM_SHA1_80";
    bool browserCalls = false;  // --caller browser: A offers
};

struct Call;

// A's ICE agent's outputs.
struct IceEvents final : ice::AgentEvents {
    Call* call = nullptr;
    void send(uint16_t local, const net::Endpoint& to, std::span<const uint8_t> bytes) override;
    void selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) override;
    void stateChanged(ice::AgentState state) override;
};

enum class Stage { Offer, Answer, Up, Failed, Delete, Done };

struct Call {
    uint32_t index = 0;
    std::string callId;
    int fdA = -1, fdB = -1;
    uint16_t portA = 0, portB = 0;
    Stage stage = Stage::Offer;
    // The ng request in flight.
    std::string cookie, request;
    int sends = 0;
    int64_t sentNs = 0;
    // B's destination: the daemon's B-side port (from the answer).
    sockaddr_in toB{};
    bool bReady = false;
    // A: ICE, DTLS, SRTP.
    IceEvents events;
    std::unique_ptr<ice::Agent> agent;
    ngm::MonoTime iceDeadline = ngm::MonoTime::max();
    bool selected = false;
    sockaddr_in toA{};  // the selected pair's remote
    std::optional<crypto::Fingerprint> peerFp;
    std::unique_ptr<DtlsConnection> dtls;
    // DTLS that came before the answer said A's role (A offered): fed then.
    std::vector<std::vector<uint8_t>> earlyDtls;
    std::unique_ptr<SrtpContext> tx, rx;
    // Times (monotonic ns; 0: not yet).
    int64_t tOffer = 0, tIce = 0, tDtls = 0, tFirstAtB = 0, tFirstAtA = 0;
    // Media.
    uint32_t ssrcA = 0, ssrcB = 0;
    uint16_t seqA = 0, seqB = 0;
    uint32_t nA = 0, nB = 0;  // packets sent
    int64_t phaseNs = 0, nextA = 0, nextB = 0;
    int64_t lastRxA = -1, lastRxB = -1;  // highest packet number received at A / B
    bool consentLost = false;
};

std::string gFirstError;
void noteError(const Call& c, const std::string& why) {
    if (gFirstError.empty()) gFirstError = c.callId + ": " + why.substr(0, 400);
}

void IceEvents::send(uint16_t, const net::Endpoint& to, std::span<const uint8_t> bytes) {
    sockaddr_storage ss{};
    socklen_t len = to.toSockaddr(ss);
    ::sendto(call->fdA, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

void IceEvents::selectedPairChanged(uint8_t component, const ice::SelectedPair* pair) {
    if (component != 1) return;
    if (!pair) {
        call->selected = false;
        call->consentLost = true;
        return;
    }
    sockaddr_storage ss{};
    pair->remote.toSockaddr(ss);
    std::memcpy(&call->toA, &ss, sizeof call->toA);
    call->selected = true;
}

void IceEvents::stateChanged(ice::AgentState state) {
    if (state == ice::AgentState::Completed && call->tIce == 0) call->tIce = monoNs();
}

// The window in which packets are counted, and what was counted.
struct Window {
    int64_t start = 0, end = 0;  // 0: not yet
    bool in(int64_t sendNs) const { return start != 0 && sendNs >= start && sendNs < end; }
    uint64_t sentAB = 0, sentBA = 0, recvAB = 0, recvBA = 0;
    int64_t maxLagNs = 0;  // the latest a packet of the window went out after its time
};

struct Counters {
    uint64_t srtpAuthFailed = 0, srtpReplayed = 0, srtpOther = 0;
    uint64_t garbageAtA = 0, garbageAtB = 0;  // not our payload, or another call's
    uint64_t duplicatesAtA = 0, duplicatesAtB = 0;
    uint64_t mediaBeforeKeys = 0;  // RTP at A before its DTLS was done
    uint64_t stunAtB = 0, otherAtA = 0;
};

void writePacket(uint8_t* p, uint32_t ssrc, uint16_t seq, uint32_t ts, uint32_t callIndex,
                 uint8_t from, uint32_t n, int64_t sendNs) {
    p[0] = 0x80;
    p[1] = 0;  // PCMU
    p[2] = uint8_t(seq >> 8);
    p[3] = uint8_t(seq);
    uint32_t v = htonl(ts);
    std::memcpy(p + 4, &v, 4);
    v = htonl(ssrc);
    std::memcpy(p + 8, &v, 4);
    uint8_t* pl = p + kRtpHeader;
    v = htonl(kMagic);
    std::memcpy(pl, &v, 4);
    v = htonl(callIndex);
    std::memcpy(pl + 4, &v, 4);
    pl[8] = from;
    v = htonl(n);
    std::memcpy(pl + 9, &v, 4);
    std::memcpy(pl + 13, &sendNs, 8);
    // The rest: a pattern of the packet number, so a mangled payload shows.
    for (size_t i = 21; i < kPayload; ++i) pl[i] = uint8_t(n + i);
}

// Checks a received plain RTP packet from `from`; its number and send time.
bool readPacket(const uint8_t* p, size_t len, uint32_t callIndex, uint8_t from, uint32_t& n,
                int64_t& sendNs) {
    if (len != kPacket || (p[0] & 0xc0) != 0x80) return false;
    const uint8_t* pl = p + kRtpHeader;
    uint32_t v;
    std::memcpy(&v, pl, 4);
    if (ntohl(v) != kMagic) return false;
    std::memcpy(&v, pl + 4, 4);
    if (ntohl(v) != callIndex || pl[8] != from) return false;
    std::memcpy(&v, pl + 9, 4);
    n = ntohl(v);
    std::memcpy(&sendNs, pl + 13, 8);
    for (size_t i = 21; i < kPayload; ++i)
        if (pl[i] != uint8_t(n + i)) return false;
    return true;
}

std::string plainSdp(uint16_t port) {
    return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           std::to_string(port) + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
}

// What a browser answers: its ICE credentials and host candidate, DTLS
// active with its fingerprint, rtcp-mux.
std::string browserAnswerSdp(const Call& c, const std::string& fingerprint) {
    const auto& cred = c.agent->localCredentials();
    const std::string port = std::to_string(c.portA);
    return "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio " +
           port + " UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\na=ice-ufrag:" + cred.ufrag +
           "\r\na=ice-pwd:" + cred.pwd + "\r\na=candidate:1 1 udp 2130706431 127.0.0.1 " + port +
           " typ host\r\na=end-of-candidates\r\na=fingerprint:" + fingerprint +
           "\r\na=setup:active\r\na=rtcp-mux\r\na=sendrecv\r\n";
}

// What a browser offers: the same with a=setup:actpass.
std::string browserOfferSdp(const Call& c, const std::string& fingerprint) {
    std::string sdp = browserAnswerSdp(c, fingerprint);
    sdp.replace(sdp.find("a=setup:active"), 14, "a=setup:actpass");
    return sdp;
}

// "a=candidate:" values of component 1, UDP, IPv4.
std::vector<ice::Candidate> remoteCandidates(const std::string& sdp) {
    std::vector<ice::Candidate> out;
    for (const std::string& line : sdpAttrs(sdp, "candidate")) {
        char foundation[64] = {}, transport[16] = {}, ip[64] = {}, type[16] = {};
        unsigned component = 0, port = 0;
        unsigned long priority = 0;
        if (std::sscanf(line.c_str(), "%63s %u %15s %lu %63s %u typ %15s", foundation, &component,
                        transport, &priority, ip, &port, type) != 7)
            continue;
        if (component != 1 || strcasecmp(transport, "udp") != 0) continue;
        auto addr = net::IpAddress::parse(ip);
        if (!addr) continue;
        ice::Candidate cand;
        cand.foundation = ice::Foundation(foundation);
        cand.component = 1;
        cand.priority = uint32_t(priority);
        cand.address = net::Endpoint{*addr, uint16_t(port)};
        cand.type = std::string_view(type) == "host" ? ice::CandidateType::Host
                                                     : ice::CandidateType::ServerReflexive;
        out.push_back(cand);
    }
    return out;
}

void usage() {
    std::fprintf(
        stderr,
        "usage: webrtcload --target HOST:PORT --calls N [options]\n"
        "  --duration S       counting window (10 s)\n"
        "  --warmup S         after every call has media both ways, before the window (1 s)\n"
        "  --setup-timeout S  give up waiting for calls to come up (30 s)\n"
        "  --inflight K       ng commands at once (0: all offers together)\n"
        "  --profile P        DTLS-SRTP profile A offers (SRTP_AES128_CM_SHA1_80)\n"
        "  --caller C         phone (default: B offers, A is ICE-controlled and the\n"
        "                     DTLS client) or browser (A offers actpass, is ICE-\n"
        "                     controlling and takes the DTLS role the answer leaves)\n"
        "  --local-port P     ng client port\n"
        "  --port-min/--port-max  local ports of the call sockets (2000-18999)\n"
        "  --daemon-pid PID   read the daemon's CPU over the window\n");
}

std::optional<Options> parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view arg = argv[i];
        std::string v = argv[i + 1];
        auto num = [&] { return std::strtoul(v.c_str(), nullptr, 10); };
        if (arg == "--target")
            o.target = v;
        else if (arg == "--calls")
            o.calls = uint32_t(num());
        else if (arg == "--inflight")
            o.inflight = uint32_t(num());
        else if (arg == "--duration")
            o.duration = std::strtod(v.c_str(), nullptr);
        else if (arg == "--warmup")
            o.warmup = std::strtod(v.c_str(), nullptr);
        else if (arg == "--setup-timeout")
            o.setupTimeout = std::strtod(v.c_str(), nullptr);
        else if (arg == "--caller") {
            if (v != "phone" && v != "browser") return std::nullopt;
            o.browserCalls = v == "browser";
        } else if (arg == "--profile")
            o.profile = v;
        else if (arg == "--local-port")
            o.localPort = uint16_t(num());
        else if (arg == "--port-min")
            o.portMin = uint16_t(num());
        else if (arg == "--port-max")
            o.portMax = uint16_t(num());
        else if (arg == "--daemon-pid")
            o.daemonPid = int(num());
        else {
            std::fprintf(stderr, "webrtcload: unknown option %s\n", argv[i]);
            return std::nullopt;
        }
    }
    if (o.target.empty() || o.calls == 0 || o.target.find(':') == std::string::npos ||
        o.duration <= 0)
        return std::nullopt;
    return o;
}

class Load {
  public:
    explicit Load(const Options& o) : o_(o) {}
    int run();

  private:
    bool setUpSockets();
    void sendNg(Call& c, std::string body);
    void startNext();
    void onNgReply(std::string_view msg);
    void onOfferReply(Call& c, const std::string& reply);
    void onAnswerReply(Call& c, const std::string& reply);
    // A's side from the daemon's SDP to A: ICE agent (made before when A
    // offered), its remote credentials and candidates, the fingerprint.
    bool takeBrowserSide(Call& c, const std::string& sdp);
    bool makeAgent(Call& c, ice::Role role);
    void fail(Call& c, const std::string& why);
    void onA(Call& c);
    void onB(Call& c);
    void flushDtls(Call& c);
    void maybeStartDtls(Call& c);
    void dtlsDone(Call& c);
    void timers(int64_t now);
    void sendMedia(int64_t now);
    void pump(int timeoutMs);
    bool daemonAlive() const { return o_.daemonPid == 0 || ::kill(o_.daemonPid, 0) == 0; }

    const Options& o_;
    std::shared_ptr<const DtlsCertificate> cert_;
    std::string fingerprint_;
    crypto::SrtpProfile profile_ = crypto::SrtpProfile::Aes128CmSha1_80;
    int ng_ = -1, ep_ = -1;
    uint32_t nonce_ = 0;
    uint64_t seq_ = 0, ngRetransmits_ = 0;
    std::vector<Call> calls_;
    std::unordered_map<std::string, uint32_t> pending_;  // cookie -> call
    size_t nextStart_ = 0;                               // the next call to offer
    Window w_;
    Counters k_;
    int64_t nextDtlsScan_ = 0, nextScan_ = 0;
    uint32_t setupFailed_ = 0, deleted_ = 0;
    bool deleting_ = false;
};

bool Load::setUpSockets() {
    const std::string host = o_.target.substr(0, o_.target.rfind(':'));
    const uint16_t ngPort =
        uint16_t(std::strtoul(o_.target.c_str() + o_.target.rfind(':') + 1, nullptr, 10));
    ng_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in la = loopbackAddr(o_.localPort);
    sockaddr_in ta{};
    ta.sin_family = AF_INET;
    ta.sin_port = htons(ngPort);
    if (ng_ < 0 || ::inet_pton(AF_INET, host.c_str(), &ta.sin_addr) != 1 ||
        ::bind(ng_, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0 ||
        ::connect(ng_, reinterpret_cast<sockaddr*>(&ta), sizeof ta) != 0) {
        std::fprintf(stderr, "webrtcload: ng socket to %s: %s\n", o_.target.c_str(),
                     std::strerror(errno));
        return false;
    }
    int buf = 4 << 20;
    ::setsockopt(ng_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    ep_ = ::epoll_create1(0);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = UINT64_MAX;
    ::epoll_ctl(ep_, EPOLL_CTL_ADD, ng_, &ev);
    uint16_t next = o_.portMin;
    calls_.resize(o_.calls);
    for (uint32_t i = 0; i < o_.calls; ++i) {
        Call& c = calls_[i];
        c.index = i;
        c.events.call = &c;
        c.fdA = bindNext(next, o_.portMax, c.portA);
        c.fdB = bindNext(next, o_.portMax, c.portB);
        if (c.fdA < 0 || c.fdB < 0) {
            std::fprintf(stderr, "webrtcload: no local ports or descriptors for %u calls\n",
                         o_.calls);
            return false;
        }
        const int callBuf = 256 << 10;
        for (int fd : {c.fdA, c.fdB}) {
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &callBuf, sizeof callBuf);
            ev.data.u64 = (uint64_t(i) << 1) | (fd == c.fdB ? 1 : 0);
            ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
        }
        c.callId = "webrtc-" + std::to_string(nonce_) + "-" + std::to_string(i);
        ::getrandom(&c.ssrcA, sizeof c.ssrcA, 0);
        ::getrandom(&c.ssrcB, sizeof c.ssrcB, 0);
        c.phaseNs = kPtimeNs * int64_t(i) / int64_t(o_.calls);
    }
    return true;
}

void Load::sendNg(Call& c, std::string body) {
    c.cookie = std::to_string(nonce_) + "_" + std::to_string(seq_++);
    c.request = c.cookie + " " + body;
    c.sends = 1;
    c.sentNs = monoNs();
    pending_[c.cookie] = c.index;
    ::send(ng_, c.request.data(), c.request.size(), 0);
}

// Offers of calls not yet started, up to --inflight ng commands at once.
void Load::startNext() {
    while (nextStart_ < calls_.size() && (o_.inflight == 0 || pending_.size() < o_.inflight)) {
        Call& c = calls_[nextStart_++];
        c.tOffer = monoNs();
        if (o_.browserCalls) {
            // From the browser A to the SIP phone B, with the flags Kamailio
            // gives a call from WebRTC to SIP.
            if (!makeAgent(c, ice::Role::Controlling)) continue;
            sendNg(c, "d7:command5:offer7:call-id" + bstr(c.callId) + "8:from-tag1:a" +
                          "3:ICE6:remove" + "18:transport-protocol" + bstr("RTP/AVP") +
                          "8:rtcp-muxl5:demuxe" + "3:sdp" + bstr(browserOfferSdp(c, fingerprint_)) +
                          "e");
            continue;
        }
        // From the SIP phone B to the browser A, with the flags for a
        // WebRTC callee.
        sendNg(c, "d7:command5:offer7:call-id" + bstr(c.callId) + "8:from-tag1:b" + "3:ICE5:force" +
                      "18:transport-protocol" + bstr("UDP/TLS/RTP/SAVPF") + "8:rtcp-muxl5:offere" +
                      "4:SDESl3:offe" + "3:sdp" + bstr(plainSdp(c.portB)) + "e");
    }
}

void Load::fail(Call& c, const std::string& why) {
    if (c.stage != Stage::Failed) ++setupFailed_;
    c.stage = Stage::Failed;
    noteError(c, why);
}

bool Load::makeAgent(Call& c, ice::Role role) {
    ice::AgentConfig cfg;
    cfg.mode = ice::Mode::Full;
    cfg.role = role;
    cfg.components = 1;
    c.agent = std::make_unique<ice::Agent>(cfg, ice::randomCredentials(), c.events);
    auto local =
        c.agent->addLocalCandidate(1, net::Endpoint{*net::IpAddress::parse("127.0.0.1"), c.portA},
                                   ice::Foundation("1"), 65535);
    if (!local) {
        fail(c, "local candidate: " + local.error().reason);
        return false;
    }
    return true;
}

bool Load::takeBrowserSide(Call& c, const std::string& sdp) {
    const std::string ufrag = sdpAttr(sdp, "ice-ufrag"), pwd = sdpAttr(sdp, "ice-pwd");
    auto fp = crypto::parseFingerprint(sdpAttr(sdp, "fingerprint"));
    auto cands = remoteCandidates(sdp);
    if (ufrag.empty() || pwd.empty() || cands.empty() || !fp) {
        fail(c, "SDP to A without ICE credentials, candidates or fingerprint: " + sdp);
        return false;
    }
    c.peerFp = *fp;
    const auto now = ngm::monoNow();
    if (auto r = c.agent->setRemoteCredentials(ufrag, pwd, now); !r) {
        fail(c, "remote credentials: " + r.error().reason);
        return false;
    }
    for (const auto& cand : cands) (void)c.agent->addRemoteCandidate(cand, now);
    c.agent->endOfRemoteCandidates(now);
    c.iceDeadline = c.agent->nextDeadline();
    if (!o_.browserCalls) return true;
    // A offered actpass: the answer's a=setup says who the client is.
    const std::string setup = sdpAttr(sdp, "setup");
    if (setup != "active" && setup != "passive") {
        fail(c, "answer to A with a=setup:" + setup);
        return false;
    }
    crypto::DtlsConnectionOptions co;
    co.role = setup == "active" ? crypto::DtlsRole::Passive : crypto::DtlsRole::Active;
    co.srtpProfiles = {profile_};
    auto conn = DtlsConnection::create(cert_, co);
    if (!conn) {
        fail(c, "DtlsConnection: " + conn.error().reason);
        return false;
    }
    c.dtls = std::move(*conn);
    c.dtls->setPeerFingerprints({*c.peerFp}, nowMs());
    // An active A waits for ICE (maybeStartDtls); a passive one answers the
    // daemon's ClientHello whenever it comes, also one that came already.
    for (const auto& d : c.earlyDtls) c.dtls->feed(d, nowMs());
    c.earlyDtls.clear();
    flushDtls(c);
    return true;
}

void Load::onOfferReply(Call& c, const std::string& reply) {
    auto sdp = bvalue(reply, "sdp");
    if (!sdp) return fail(c, "offer reply without SDP: " + reply);
    c.stage = Stage::Answer;
    if (o_.browserCalls) {
        // The offer to B; B answers plain RTP.
        auto addr = sdpConnection(*sdp);
        uint16_t port = sdpAudioPort(*sdp);
        if (!addr || port == 0) return fail(c, "offer to B without address: " + *sdp);
        c.toB = loopbackAddr(port);
        c.toB.sin_addr = *addr;
        sendNg(c, "d7:command6:answer7:call-id" + bstr(c.callId) + "8:from-tag1:a6:to-tag1:b" +
                      "3:sdp" + bstr(plainSdp(c.portB)) + "e");
        return;
    }
    if (!makeAgent(c, ice::Role::Controlled)) return;  // a browser that received the offer
    if (!takeBrowserSide(c, *sdp)) return;
    sendNg(c, "d7:command6:answer7:call-id" + bstr(c.callId) + "8:from-tag1:b6:to-tag1:a" +
                  "3:sdp" + bstr(browserAnswerSdp(c, fingerprint_)) + "e");
}

void Load::onAnswerReply(Call& c, const std::string& reply) {
    auto sdp = bvalue(reply, "sdp");
    if (!sdp) return fail(c, "answer reply without SDP: " + reply);
    if (o_.browserCalls) {
        if (!takeBrowserSide(c, *sdp)) return;
    } else {
        auto addr = sdpConnection(*sdp);
        uint16_t port = sdpAudioPort(*sdp);
        if (!addr || port == 0) return fail(c, "answer to B without address: " + *sdp);
        c.toB = loopbackAddr(port);
        c.toB.sin_addr = *addr;
    }
    c.bReady = true;
    c.stage = Stage::Up;
    c.nextB = monoNs() + c.phaseNs;
    maybeStartDtls(c);
}

void Load::onNgReply(std::string_view msg) {
    size_t sp = msg.find(' ');
    if (sp == std::string_view::npos) return;
    auto it = pending_.find(std::string(msg.substr(0, sp)));
    if (it == pending_.end()) return;  // a late duplicate
    Call& c = calls_[it->second];
    pending_.erase(it);
    const std::string reply(msg.substr(sp + 1));
    auto result = bvalue(reply, "result");
    const bool ok = result && *result == "ok";
    switch (c.stage) {
        case Stage::Offer:
            if (!ok) return fail(c, "offer: " + reply);
            onOfferReply(c, reply);
            break;
        case Stage::Answer:
            if (!ok) return fail(c, "answer: " + reply);
            onAnswerReply(c, reply);
            break;
        case Stage::Delete:
            deleted_ += ok;
            c.stage = Stage::Done;
            break;
        default:
            break;
    }
}

// A browser starts its DTLS handshake once ICE selected a pair.
void Load::maybeStartDtls(Call& c) {
    if (!c.selected || c.stage == Stage::Failed || !c.peerFp) return;
    if (c.dtls) {
        // Made at the answer (A offered): an active one starts now.
        if (c.dtls->state() == DtlsState::New && c.dtls->role() == crypto::DtlsRole::Active) {
            c.dtls->start(nowMs());
            flushDtls(c);
        }
        return;
    }
    crypto::DtlsConnectionOptions co;
    co.role = crypto::DtlsRole::Active;
    co.srtpProfiles = {profile_};
    auto conn = DtlsConnection::create(cert_, co);
    if (!conn) return fail(c, "DtlsConnection: " + conn.error().reason);
    c.dtls = std::move(*conn);
    c.dtls->setPeerFingerprints({*c.peerFp}, nowMs());
    c.dtls->start(nowMs());
    flushDtls(c);
}

void Load::flushDtls(Call& c) {
    static std::vector<uint8_t> out;
    while (c.dtls->popOutgoing(out))
        ::sendto(c.fdA, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&c.toA),
                 sizeof c.toA);
}

void Load::dtlsDone(Call& c) {
    c.tDtls = monoNs();
    const auto* send = c.dtls->sendKeys();
    const auto* recv = c.dtls->receiveKeys();
    auto tx = SrtpContext::create(send->suite, send->key, send->salt);
    auto rx = SrtpContext::create(recv->suite, recv->key, recv->salt);
    if (!tx || !rx) return fail(c, "SRTP contexts from the DTLS keys");
    c.tx = std::move(*tx);
    c.rx = std::move(*rx);
    c.nextA = c.tDtls + c.phaseNs;
}

// Everything waiting on A's socket: STUN to the agent, DTLS to the
// connection, SRTP unprotected and checked (RFC 7983 demultiplexing).
void Load::onA(Call& c) {
    uint8_t buf[2048];
    for (;;) {
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(c.fdA, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) break;
        const size_t len = size_t(n);
        const uint8_t b = buf[0];
        if (b <= 3) {
            if (!c.agent) continue;
            const auto fromEp = net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&from));
            c.iceDeadline =
                c.agent->onDatagram(0, fromEp, std::span<const uint8_t>(buf, len), ngm::monoNow());
            maybeStartDtls(c);
        } else if (b >= 20 && b <= 63) {
            if (!c.dtls) {
                if (o_.browserCalls && c.earlyDtls.size() < 8) {
                    c.earlyDtls.emplace_back(buf, buf + len);
                    c.toA = from;
                }
                continue;
            }
            // A passive A may hear the ClientHello before its agent selected
            // a pair: it answers where it came from.
            if (!c.selected) c.toA = from;
            const bool before = c.dtls->state() == DtlsState::Connected;
            c.dtls->feed(std::span<const uint8_t>(buf, len), nowMs());
            flushDtls(c);
            if (!before && c.dtls->state() == DtlsState::Connected)
                dtlsDone(c);
            else if (c.dtls->state() == DtlsState::Failed && c.stage != Stage::Failed)
                fail(c, "DTLS: " + c.dtls->failureReason());
        } else if (b >= 128 && b <= 191) {
            if (!c.rx) {
                ++k_.mediaBeforeKeys;
                continue;
            }
            size_t plen = len;
            SrtpStatus s = c.rx->unprotectRtp(std::span<uint8_t>(buf, sizeof buf), plen);
            if (s == SrtpStatus::AuthFailed) {
                ++k_.srtpAuthFailed;
                continue;
            }
            if (s == SrtpStatus::Replayed) {
                ++k_.srtpReplayed;
                continue;
            }
            if (s != SrtpStatus::Ok) {
                ++k_.srtpOther;
                continue;
            }
            uint32_t num = 0;
            int64_t sentNs = 0;
            if (!readPacket(buf, plen, c.index, kFromB, num, sentNs)) {
                ++k_.garbageAtA;
                continue;
            }
            if (int64_t(num) <= c.lastRxA) {
                ++k_.duplicatesAtA;
                continue;
            }
            c.lastRxA = num;
            if (c.tFirstAtA == 0) c.tFirstAtA = monoNs();
            if (w_.in(sentNs)) ++w_.recvBA;
        } else {
            ++k_.otherAtA;
        }
    }
}

void Load::onB(Call& c) {
    uint8_t buf[2048];
    for (;;) {
        ssize_t n = ::recv(c.fdB, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (buf[0] <= 3) {
            ++k_.stunAtB;
            continue;
        }
        uint32_t num = 0;
        int64_t sentNs = 0;
        if (!readPacket(buf, size_t(n), c.index, kFromA, num, sentNs)) {
            ++k_.garbageAtB;
            continue;
        }
        if (int64_t(num) <= c.lastRxB) {
            ++k_.duplicatesAtB;
            continue;
        }
        c.lastRxB = num;
        if (c.tFirstAtB == 0) c.tFirstAtB = monoNs();
        if (w_.in(sentNs)) ++w_.recvAB;
    }
}

void Load::timers(int64_t now) {
    const auto mono = ngm::monoNow();
    for (auto& c : calls_) {
        if (c.agent && c.iceDeadline <= mono) {
            c.iceDeadline = c.agent->onTimer(mono);
            maybeStartDtls(c);
            if (c.agent->state() == ice::AgentState::Failed && c.stage == Stage::Up && c.tIce == 0)
                fail(c, "ICE failed");
        }
    }
    if (now >= nextDtlsScan_) {
        nextDtlsScan_ = now + 10'000'000;
        for (auto& c : calls_) {
            if (!c.dtls || c.tDtls != 0 || c.stage == Stage::Failed) continue;
            auto t = c.dtls->nextTimeoutMs(nowMs());
            if (t && *t == 0) {
                c.dtls->onTimeout(nowMs());
                flushDtls(c);
                if (c.dtls->state() == DtlsState::Failed && c.stage != Stage::Failed)
                    fail(c, "DTLS: " + c.dtls->failureReason());
            }
        }
    }
    // ng retransmissions: 1 s apart, 4 sends at most.
    for (auto it = pending_.begin(); it != pending_.end();) {
        Call& c = calls_[it->second];
        if (now - c.sentNs < 1'000'000'000) {
            ++it;
            continue;
        }
        if (c.sends >= 4) {
            if (c.stage == Stage::Delete)
                c.stage = Stage::Done;
            else
                fail(c, "no reply to the ng command");
            it = pending_.erase(it);
            continue;
        }
        ++c.sends;
        ++ngRetransmits_;
        c.sentNs = now;
        ::send(ng_, c.request.data(), c.request.size(), 0);
        ++it;
    }
}

void Load::sendMedia(int64_t now) {
    if (deleting_) return;
    uint8_t pkt[kPacket + 64];
    for (auto& c : calls_) {
        if (c.stage != Stage::Up) continue;
        while (c.bReady && c.nextB <= now) {
            writePacket(pkt, c.ssrcB, c.seqB++, c.nB * 160, c.index, kFromB, c.nB, c.nextB);
            ::sendto(c.fdB, pkt, kPacket, 0, reinterpret_cast<sockaddr*>(&c.toB), sizeof c.toB);
            if (w_.in(c.nextB)) {
                ++w_.sentBA;
                w_.maxLagNs = std::max(w_.maxLagNs, now - c.nextB);
            }
            ++c.nB;
            c.nextB += kPtimeNs;
        }
        while (c.tx && c.selected && c.nextA <= now) {
            writePacket(pkt, c.ssrcA, c.seqA++, c.nA * 160, c.index, kFromA, c.nA, c.nextA);
            size_t len = kPacket;
            if (c.tx->protectRtp(std::span<uint8_t>(pkt, sizeof pkt), len) == SrtpStatus::Ok) {
                ::sendto(c.fdA, pkt, len, 0, reinterpret_cast<sockaddr*>(&c.toA), sizeof c.toA);
                if (w_.in(c.nextA)) {
                    ++w_.sentAB;
                    w_.maxLagNs = std::max(w_.maxLagNs, now - c.nextA);
                }
            }
            ++c.nA;
            c.nextA += kPtimeNs;
        }
    }
}

// One round: what arrived within `timeoutMs`, then timers and due media.
void Load::pump(int timeoutMs) {
    epoll_event evs[256];
    int n = ::epoll_wait(ep_, evs, 256, timeoutMs);
    for (int i = 0; i < n; ++i) {
        const uint64_t d = evs[i].data.u64;
        if (d == UINT64_MAX) {
            char buf[65536];
            for (;;) {
                ssize_t len = ::recv(ng_, buf, sizeof buf, 0);
                if (len <= 0) break;
                onNgReply(std::string_view(buf, size_t(len)));
            }
            continue;
        }
        Call& c = calls_[d >> 1];
        if (d & 1)
            onB(c);
        else
            onA(c);
    }
    // Timers and media at most every 250 us: every call is looked at.
    const int64_t now = monoNs();
    if (now < nextScan_) return;
    nextScan_ = now + 250'000;
    timers(now);
    startNext();
    sendMedia(now);
}

int Load::run() {
    if (::getrandom(&nonce_, sizeof nonce_, 0) != sizeof nonce_) nonce_ = uint32_t(::getpid());
    if (o_.profile == "SRTP_AES128_CM_SHA1_80")
        profile_ = crypto::SrtpProfile::Aes128CmSha1_80;
    else if (o_.profile == "SRTP_AES128_CM_SHA1_32")
        profile_ = crypto::SrtpProfile::Aes128CmSha1_32;
    else if (o_.profile == "SRTP_AEAD_AES_128_GCM")
        profile_ = crypto::SrtpProfile::AeadAes128Gcm;
    else {
        std::fprintf(stderr, "webrtcload: unknown --profile %s\n", o_.profile.c_str());
        return 2;
    }
    auto cert = DtlsCertificate::create({});
    if (!cert) {
        std::fprintf(stderr, "webrtcload: certificate: %s\n", cert.error().reason.c_str());
        return 2;
    }
    cert_ = *cert;
    fingerprint_ = crypto::writeFingerprint(cert_->fingerprint(crypto::FingerprintHash::Sha256));
    if (!setUpSockets()) return 2;

    // Set-up: every call offered, answered, ICE, DTLS, media both ways.
    const int64_t t0 = monoNs();
    const int64_t setupDeadline = t0 + int64_t(o_.setupTimeout * 1e9);
    auto allUp = [&] {
        for (const auto& c : calls_)
            if (c.stage != Stage::Failed && (c.tFirstAtA == 0 || c.tFirstAtB == 0)) return false;
        return true;
    };
    startNext();
    while (!allUp() && monoNs() < setupDeadline) {
        pump(1);
        if (!daemonAlive()) {
            std::fprintf(stderr, "webrtcload: the daemon went away during set-up\n");
            return 4;
        }
    }
    const int64_t tUp = monoNs();
    uint32_t callsUp = 0;
    for (auto& c : calls_) {
        if (c.stage == Stage::Failed) continue;
        if (c.tFirstAtA != 0 && c.tFirstAtB != 0)
            ++callsUp;
        else
            fail(c, c.tIce == 0    ? "ICE not completed in time"
                    : c.tDtls == 0 ? "DTLS not done in time"
                                   : "no media both ways in time");
    }

    // Warm-up, then the window.
    const int64_t warmEnd = monoNs() + int64_t(o_.warmup * 1e9);
    while (monoNs() < warmEnd) pump(1);
    w_.start = monoNs();
    w_.end = w_.start + int64_t(o_.duration * 1e9);
    const int64_t daemonTicks0 = o_.daemonPid ? procCpuTicks(o_.daemonPid) : -1;
    const double gen0 = selfCpuS();
    uint64_t consent0 = 0, checksIn0 = 0;
    for (auto& c : calls_)
        if (c.agent)
            consent0 += c.agent->counters().consentChecksSent,
                checksIn0 += c.agent->counters().checksReceived;
    while (monoNs() < w_.end) {
        pump(1);
        if (!daemonAlive()) {
            std::fprintf(stderr, "webrtcload: the daemon went away during the window\n");
            return 4;
        }
    }
    const int64_t daemonTicks1 = o_.daemonPid ? procCpuTicks(o_.daemonPid) : -1;
    const int64_t daemonRss = o_.daemonPid ? procRssKb(o_.daemonPid) : -1;
    const double genCpu = selfCpuS() - gen0;
    uint64_t consent = 0, checksIn = 0, consentLost = 0, iceChecks = 0, checksInTotal = 0,
             refused = 0;
    for (auto& c : calls_) {
        if (!c.agent) continue;
        const auto& k = c.agent->counters();
        consent += k.consentChecksSent;
        checksIn += k.checksReceived;
        checksInTotal += k.checksReceived;
        iceChecks += k.checksSent;
        refused += k.malformed + k.unknownUsername + k.badIntegrity + k.unmatchedResponses;
        consentLost += c.consentLost;
    }
    consent -= consent0;
    checksIn -= checksIn0;
    // Packets sent at the end of the window still in flight.
    const int64_t drainEnd = monoNs() + 300'000'000;
    while (monoNs() < drainEnd) pump(1);

    // Teardown.
    deleting_ = true;
    pending_.clear();
    for (auto& c : calls_) {
        c.stage = Stage::Delete;
        sendNg(c, "d7:command6:delete7:call-id" + bstr(c.callId) +
                      "8:from-tag1:" + (o_.browserCalls ? "a" : "b") + "e");
        if (pending_.size() >= 64) {
            while (pending_.size() >= 32) pump(5);
        }
    }
    const int64_t delDeadline = monoNs() + 10'000'000'000;
    while (!pending_.empty() && monoNs() < delDeadline) pump(5);

    // Figures.
    std::vector<int64_t> ice, dtls, firstB, firstA;
    for (const auto& c : calls_) {
        if (c.tIce) ice.push_back(c.tIce - c.tOffer);
        if (c.tDtls) dtls.push_back(c.tDtls - c.tOffer);
        if (c.tFirstAtB) firstB.push_back(c.tFirstAtB - c.tOffer);
        if (c.tFirstAtA) firstA.push_back(c.tFirstAtA - c.tOffer);
    }
    const double window = double(w_.end - w_.start) / 1e9;
    const long hz = ::sysconf(_SC_CLK_TCK);
    const double daemonCpuPct =
        daemonTicks0 >= 0 && daemonTicks1 >= 0
            ? 100.0 * double(daemonTicks1 - daemonTicks0) / double(hz) / window
            : -1;
    const uint64_t lostAB = w_.sentAB > w_.recvAB ? w_.sentAB - w_.recvAB : 0;
    const uint64_t lostBA = w_.sentBA > w_.recvBA ? w_.sentBA - w_.recvBA : 0;
    const double sent = double(w_.sentAB + w_.sentBA);
    const double lossPct = sent > 0 ? 100.0 * double(lostAB + lostBA) / sent : 0;
    const uint64_t garbage = k_.garbageAtA + k_.garbageAtB + k_.srtpAuthFailed + k_.srtpOther;

    auto kv = [](const char* k, double v) { std::printf("%s=%.2f\n", k, v); };
    auto ku = [](const char* k, uint64_t v) { std::printf("%s=%llu\n", k, (unsigned long long)v); };
    ku("calls", o_.calls);
    ku("calls_up", callsUp);
    ku("calls_failed", setupFailed_);
    ku("calls_deleted", deleted_);
    kv("setup_all_s", double(tUp - t0) / 1e9);
    ku("setup_samples", firstB.size());
    kv("ice_p50_ms", percentileMs(ice, 50));
    kv("ice_p99_ms", percentileMs(ice, 99));
    kv("dtls_p50_ms", percentileMs(dtls, 50));
    kv("dtls_p99_ms", percentileMs(dtls, 99));
    kv("media_b_p50_ms", percentileMs(firstB, 50));
    kv("media_b_p99_ms", percentileMs(firstB, 99));
    kv("media_b_max_ms", percentileMs(firstB, 100));
    kv("media_a_p50_ms", percentileMs(firstA, 50));
    kv("media_a_p99_ms", percentileMs(firstA, 99));
    kv("window_s", window);
    if (daemonCpuPct >= 0) {
        kv("daemon_cpu_pct", daemonCpuPct);
        kv("cpu_per_kcall", callsUp > 0 ? daemonCpuPct * 1000.0 / callsUp : 0);
    }
    if (daemonRss >= 0) ku("daemon_rss_kb", uint64_t(daemonRss));
    kv("gen_cpu_pct", 100.0 * genCpu / window);
    // Behind its schedule, the generator sends in bursts: the load is the
    // same, its shape is not.
    kv("gen_max_lag_ms", double(w_.maxLagNs) / 1e6);
    ku("sent_ab", w_.sentAB);
    ku("recv_ab", w_.recvAB);
    ku("sent_ba", w_.sentBA);
    ku("recv_ba", w_.recvBA);
    ku("lost_ab", lostAB);
    ku("lost_ba", lostBA);
    std::printf("loss_pct=%.4f\n", lossPct);
    ku("srtp_auth_failed", k_.srtpAuthFailed);
    ku("srtp_replayed", k_.srtpReplayed);
    ku("srtp_other_errors", k_.srtpOther);
    ku("garbage_at_a", k_.garbageAtA);
    ku("garbage_at_b", k_.garbageAtB);
    ku("garbage", garbage);
    ku("duplicates", k_.duplicatesAtA + k_.duplicatesAtB);
    ku("media_before_keys", k_.mediaBeforeKeys);
    ku("stun_at_b", k_.stunAtB);
    ku("consent_checks_sent", consent);
    ku("ice_checks_received", checksIn);
    ku("ice_checks_sent_total", iceChecks);
    ku("ice_checks_received_total", checksInTotal);
    ku("stun_refused", refused);
    ku("consent_lost", consentLost);
    uint64_t aServer = 0;
    for (const auto& c : calls_) aServer += c.dtls && c.dtls->role() == crypto::DtlsRole::Passive;
    ku("dtls_a_server", aServer);  // calls where A was the DTLS server (the daemon the client)
    ku("ng_retransmits", ngRetransmits_);
    std::fprintf(
        stderr,
        "webrtcload: %u/%u calls up in %.2f s (%u failed); from the offer: ICE p50 %.1f p99 %.1f "
        "ms, "
        "DTLS p50 %.1f p99 %.1f ms, first media at B p50 %.1f p99 %.1f ms; window %.1f s: daemon "
        "CPU %.1f%% (%.1f%% per 1000 calls), generator %.1f%%, loss %.4f%% (A->B %llu, B->A %llu "
        "of "
        "%.0f), SRTP auth failures %llu, garbage %llu; consent checks sent %llu, checks received "
        "%llu (in the window; %llu in all)%s%s\n",
        callsUp, o_.calls, double(tUp - t0) / 1e9, setupFailed_, percentileMs(ice, 50),
        percentileMs(ice, 99), percentileMs(dtls, 50), percentileMs(dtls, 99),
        percentileMs(firstB, 50), percentileMs(firstB, 99), window, daemonCpuPct,
        callsUp > 0 ? daemonCpuPct * 1000.0 / callsUp : 0, 100.0 * genCpu / window, lossPct,
        (unsigned long long)lostAB, (unsigned long long)lostBA, sent,
        (unsigned long long)k_.srtpAuthFailed, (unsigned long long)garbage,
        (unsigned long long)consent, (unsigned long long)checksIn,
        (unsigned long long)checksInTotal,
        gFirstError.empty() ? "" : "; first error: ", gFirstError.c_str());
    return callsUp == o_.calls && lostAB + lostBA == 0 && garbage == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto opts = parseOptions(argc, argv);
    if (!opts) {
        usage();
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    Load load(*opts);
    return load.run();
}
