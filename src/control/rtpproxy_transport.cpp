// rtpproxy over UDP; the protocol itself is control/rtpproxy.cpp.
#include "control/rtpproxy_transport.h"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "control/reply_cache.h"
#include "net/event_loop.h"
#include "net/udp_socket.h"
#include "session/call_store.h"
#include "session/runtime_params.h"
#include "session/worker.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

namespace rp = rtpproxy;

namespace {

constexpr int kBatch = 16;
// Retransmissions (same cookie from the same source) within this get the
// first reply, as ng's do.
constexpr std::chrono::seconds kReplyLifetime{30};
constexpr size_t kReplyCacheEntries = 100000;

session::Flags flagsOf(const rp::Command& c, const std::string& source) {
    session::Flags f;
    f.callId = std::string(c.callId);
    f.fromTag = std::string(c.fromTag);
    f.toTag = std::string(c.toTag);
    // The address and port are the ones Kamailio chose for the party (from
    // its SDP, or its source with NAT flags): use them as they are.
    f.trustAddress = true;
    for (int i = 0; i < c.directionCount; i++) f.direction.push_back(c.direction[i]);
    f.controlSource = source;
    f.keepSdpIn = true;  // lastSdpOf() reads it for the next U or L
    return f;
}

std::string lastSdpOf(session::CallStore& store, const std::string& callId,
                      const std::string& tag) {
    session::Call* call = store.find(callId);
    if (!call) return {};
    session::Participant* p = call->find(tag);
    return p ? p->lastSdpIn : std::string{};
}

// U and L: an offer and an answer of the SDP describeMedia() makes.
std::string offerAnswer(session::CallStore& store, const rp::Command& c,
                        const RtpproxyContext& ctx) {
    const bool offer = c.verb == rp::Verb::Update;
    if (c.echo) return rp::echoReply(c.cookie, c.portText, c.addressText);
    // L for a call that is not there: rtpengine answers port 0 at 0.0.0.0.
    if (!offer && !store.find(std::string(c.callId)))
        return rp::portReply(c.cookie, 0, net::IpAddress::any(net::Family::V4), false);
    session::Flags f = flagsOf(c, ctx.source);
    const std::string& sender = offer ? f.fromTag : f.toTag;
    f.sdp = rp::describeMedia(lastSdpOf(store, f.callId, sender), c.mediaNum, *c.address, c.port);
    f.hasSdp = true;
    session::CommandResult res = offer ? store.offer(f) : store.answer(f);
    if (!res) {
        NGM_LOG(log::Warning, "[" + f.callId + "]", "rtpproxy %s failed: %s", offer ? "U" : "L",
                res.error().reason.c_str());
        return rp::errorReply(c.cookie);
    }
    uint16_t port = 0;
    std::optional<net::IpAddress> addr;
    if (!rp::mediaEndpoint(res->sdp, c.mediaNum, port, addr)) return rp::errorReply(c.cookie);
    if (!addr) addr = ctx.defaultAddress;
    if (!addr->valid()) return rp::errorReply(c.cookie);
    return rp::portReply(c.cookie, port, *addr);
}

std::string query(session::CallStore& store, const rp::Command& c, int silentTimeout) {
    session::Call* call = store.find(std::string(c.callId));
    if (!call) return rp::errorReply(c.cookie);
    // A tag the call does not have: rtpengine 10.5 answers with a TTL
    // counted from 1970 and then deadlocks on the call; an error is the
    // useful answer.
    for (std::string_view tag : {c.fromTag, c.toTag})
        if (!tag.empty() && !call->find(std::string(tag))) return rp::errorReply(c.cookie);
    uint64_t rtp = 0, rtcp = 0;
    int64_t last = call->created;
    for (const auto& [tag, p] : call->participants)
        for (const auto& m : p->media) {
            rtp += m->rtp.stats().packets;
            rtcp += m->rtcp.stats().packets;
            last = std::max({last, m->rtp.stats().lastPacket, m->rtcp.stats().lastPacket});
        }
    return rp::queryReply(c.cookie, silentTimeout - (wallSeconds() - last), rtp, rtcp);
}

// V and VF need no call: answered where they arrive.
std::string versionCommand(const rp::Command& c) {
    if (!c.modifiers.empty() && c.modifiers[0] == 'F')
        return rp::capabilityReply(c.cookie, rp::hasCapability(c.argument));
    return rp::versionReply(c.cookie);
}

bool isError(const std::string& reply, std::string_view cookie) {
    return reply.compare(cookie.size(), 2, " E") == 0;
}

}  // namespace

std::string runRtpproxyCommand(session::CallStore& store, const rp::Command& c,
                               const RtpproxyContext& ctx) {
    switch (c.verb) {
        case rp::Verb::Update:
        case rp::Verb::Lookup:
            return offerAnswer(store, c, ctx);
        case rp::Verb::Delete: {
            session::Flags f = flagsOf(c, ctx.source);
            f.fatal = true;  // an unknown call is an error (E8), as rtpengine answers
            session::CommandResult res = store.deleteCall(f);
            if (!res) return rp::errorReply(c.cookie);
            return rp::deleteReply(c.cookie);
        }
        case rp::Verb::Query:
            return query(store, c, ctx.silentTimeout);
        case rp::Verb::Version:
            break;
    }
    return versionCommand(c);
}

struct RtpproxyUdpListener::Impl : net::PollHandler {
    Impl(session::WorkerPool& w, const session::RuntimeParams* r, net::IpAddress a,
         RtpproxyCounters& c)
        : workers(w),
          runtime(r),
          defaultAddress(a),
          counters(c),
          replies(kReplyLifetime, kReplyCacheEntries) {}

    void onReadable() override;
    void handle(std::string_view msg, const sockaddr_storage& to, socklen_t toLen);
    void send(const std::string& reply, const sockaddr_storage& to, socklen_t toLen) {
        sendto(socket.fd(), reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               toLen);
    }

    session::WorkerPool& workers;
    const session::RuntimeParams* runtime;
    net::IpAddress defaultAddress;
    RtpproxyCounters& counters;
    ReplyCache replies;
    net::UdpSocket socket;
    std::unique_ptr<net::EventLoop> loop;
    std::thread thread;
    // One more than the longest message taken, to tell the longer ones.
    std::vector<char> buf = std::vector<char>(rp::kMaxMessage + 1);
};

void RtpproxyUdpListener::Impl::onReadable() {
    for (int i = 0; i < kBatch; i++) {
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        ssize_t n = recvfrom(socket.fd(), buf.data(), buf.size(), MSG_DONTWAIT | MSG_TRUNC,
                             reinterpret_cast<sockaddr*>(&from), &fromLen);
        if (n < 0) return;
        if ((size_t)n > rp::kMaxMessage) {
            counters.dropped++;
            NGM_LOG(log::Warning, "", "rtpproxy: dropped a %zd-byte datagram (longest taken: %zu)",
                    n, rp::kMaxMessage);
            continue;
        }
        handle(std::string_view(buf.data(), (size_t)n), from, fromLen);
    }
}

void RtpproxyUdpListener::Impl::handle(std::string_view msg, const sockaddr_storage& to,
                                       socklen_t toLen) {
    std::string_view cookie = rp::cookieOf(msg);
    if (cookie.empty()) {
        counters.dropped++;  // nothing to answer to
        return;
    }
    auto from = net::Endpoint::fromSockaddr(reinterpret_cast<const sockaddr*>(&to));
    std::string key = ReplyCache::keyFor(cookie, from);
    ReplyCache::Lookup cached = replies.begin(key, std::chrono::steady_clock::now());
    if (cached.state == ReplyCache::State::InProgress) return;  // its first copy answers
    if (cached.state == ReplyCache::State::Done) return send(cached.reply, to, toLen);

    Result<rp::Command> parsed = rp::parse(msg);
    if (!parsed) {
        counters.errors++;
        NGM_LOG(log::Warning, "", "rtpproxy: unable to parse command from %s: %s",
                from.toString().c_str(), parsed.error().reason.c_str());
        std::string reply = rp::errorReply(cookie);
        replies.complete(key, reply);
        return send(reply, to, toLen);
    }
    NGM_LOG(log::Info, "", "rtpproxy: got command from %s: %.*s", from.toString().c_str(),
            (int)std::min<size_t>(msg.size(), 200), msg.data());
    if (parsed->verb == rp::Verb::Version) {
        std::string reply = versionCommand(*parsed);
        counters.commands++;
        replies.complete(key, reply);
        return send(reply, to, toLen);
    }
    // The call's worker runs it; the message is copied, the views of the
    // parse point into the receive buffer.
    auto& worker = workers.forCall(parsed->callId);
    workers.runOrPost(worker, [this, &worker, text = std::string(msg), key = std::move(key),
                               source = from.toString(), to, toLen] {
        Result<rp::Command> c = rp::parse(text);
        RtpproxyContext ctx{source, 3600, defaultAddress};
        if (runtime) ctx.silentTimeout = runtime->silentTimeout.load(std::memory_order_relaxed);
        std::string reply = runRtpproxyCommand(worker.store, *c, ctx);
        (isError(reply, c->cookie) ? counters.errors : counters.commands)++;
        replies.complete(key, reply);
        send(reply, to, toLen);
    });
}

RtpproxyUdpListener::RtpproxyUdpListener(session::WorkerPool& workers,
                                         const session::RuntimeParams* runtime,
                                         net::IpAddress defaultAddress, RtpproxyCounters& counters)
    : impl_(std::make_unique<Impl>(workers, runtime, defaultAddress, counters)) {}

RtpproxyUdpListener::~RtpproxyUdpListener() { stop(); }

bool RtpproxyUdpListener::start(const net::Endpoint& ep) {
    // Not shared with another process (see NgUdpListener::start).
    if (!impl_->socket.bind(ep, /*reuseAddr*/ false)) return false;
    impl_->socket.setReceiveBuffer(1 << 20);
    impl_->loop = std::make_unique<net::EventLoop>();
    if (!impl_->loop->add(impl_->socket.fd(), impl_.get())) return false;
    impl_->loop->setTick(std::chrono::seconds(1), [impl = impl_.get()] {
        impl->replies.purge(std::chrono::steady_clock::now());
    });
    impl_->thread = std::thread([loop = impl_->loop.get()] {
        pthread_setname_np(pthread_self(), "ngm-rtpproxy");
        loop->run();
    });
    return true;
}

void RtpproxyUdpListener::stop() {
    if (impl_->thread.joinable()) {
        impl_->loop->stop();
        impl_->thread.join();
    }
}

const net::Endpoint& RtpproxyUdpListener::local() const { return impl_->socket.local(); }

}  // namespace ngm::control
