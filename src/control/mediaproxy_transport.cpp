// --listen-tcp: OpenSER's mediaproxy protocol; the parser is control/mediaproxy.cpp.
#include "control/mediaproxy_transport.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/clock.h"
#include "common/log.h"
#include "control/control_statistics.h"
#include "control/rtpproxy.h"
#include "net/event_loop.h"
#include "net/tcp_server.h"
#include "session/call_store.h"
#include "session/worker.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

namespace mp = mediaproxy;

namespace {

// A whole line of kMaxLine is read at once when it arrives at once.
constexpr size_t kReadChunk = mp::kMaxLine;

// Request and lookup: an offer and an answer of a minimal SDP with one
// audio m= line per stream (the rtpproxy protocol's SDP helpers), the reply
// read from the SDP the session layer writes.
std::optional<std::string> offerAnswer(session::CallStore& store, const mp::Command& c,
                                       const std::string& source) {
    const bool offer = c.verb == mp::Verb::Request;
    // rtpengine answers nothing without the tags the exchange needs, nor a
    // lookup of a call it does not have.
    if (c.fromTag.empty()) return std::nullopt;
    if (!offer && (c.toTag.empty() || !store.find(std::string(c.callId)))) return std::nullopt;
    if (!c.streamsValid || c.streams.empty()) return mp::portsReply({}, {});
    session::Flags f;
    f.callId = std::string(c.callId);
    f.fromTag = std::string(c.fromTag);
    f.toTag = std::string(c.toTag);
    f.trustAddress = true;  // the module sends the addresses it wants used
    f.controlSource = source;
    std::string sdp;
    for (size_t i = 0; i < c.streams.size(); i++)
        sdp = rtpproxy::describeMedia(sdp, int(i + 1), c.streams[i].address, c.streams[i].port);
    f.sdp = std::move(sdp);
    f.hasSdp = true;
    session::CommandResult res = offer ? store.offer(f) : store.answer(f);
    if (!res) {
        NGM_LOG(log::Warning, "[" + f.callId + "]", "mediaproxy %s failed: %s",
                offer ? "request" : "lookup", res.error().reason.c_str());
        return std::nullopt;
    }
    std::vector<uint16_t> ports;
    net::IpAddress first;
    for (size_t i = 0; i < c.streams.size(); i++) {
        uint16_t port = 0;
        std::optional<net::IpAddress> addr;
        if (!rtpproxy::mediaEndpoint(res->sdp, int(i + 1), port, addr)) return std::nullopt;
        if (i == 0) first = addr ? *addr : c.streams[0].address;
        ports.push_back(port);
    }
    return mp::portsReply(first, ports);
}

}  // namespace

std::optional<std::string> runMediaproxyCommand(session::CallStore& store, const mp::Command& c,
                                                const std::string& source) {
    switch (c.verb) {
        case mp::Verb::Request:
        case mp::Verb::Lookup:
            return offerAnswer(store, c, source);
        case mp::Verb::Delete: {
            session::Flags f;
            f.callId = std::string(c.callId);
            f.controlSource = source;
            (void)store.deleteCall(f);  // rtpengine answers nothing, found or not
            return std::nullopt;
        }
        default:
            return std::nullopt;  // the listener answers the others itself
    }
}

struct MediaproxyTcpListener::Impl {
    struct Connection;

    Impl(session::WorkerPool& w, const ControlStatistics* s, std::string v, MediaproxyCounters& c);
    ~Impl() { server.stop(); }
    void handle(Connection& c, std::string line);
    std::string status();

    session::WorkerPool& workers;
    const ControlStatistics* statistics;
    std::string version;
    MediaproxyCounters& counters;
    net::TcpServer server;
};

struct MediaproxyTcpListener::Impl::Connection : net::TcpServer::Connection {
    Connection(Impl& i, net::TcpConnection c)
        : net::TcpServer::Connection(i.server, std::move(c)), impl(i), peerText(peer().toString()) {
        NGM_LOG(log::Info, "", "New TCP control connection from %s", peerText.c_str());
    }

    void onReadable() override {
        if (closed() || !reading()) return;
        switch (socket().read(in, kReadChunk)) {
            case net::TcpConnection::ReadStatus::Data:
                break;
            case net::TcpConnection::ReadStatus::WouldBlock:
                return;
            case net::TcpConnection::ReadStatus::Closed:
                return close();
        }
        // Empty lines are skipped; the first command is the only one.
        for (;;) {
            size_t eol = in.find('\n');
            if (eol == std::string::npos) break;
            std::string line = in.substr(0, eol);
            in.erase(0, eol + 1);
            if (line.empty() || line == "\r") continue;
            stopReading();
            return impl.handle(*this, std::move(line));
        }
        if (in.size() > mp::kMaxPartialLine) {
            impl.counters.dropped++;
            NGM_LOG(log::Warning, "", "Buffer length exceeded in control connection from %s",
                    peerText.c_str());
            close();
        }
    }

    // Writes the reply (if any), then closes once it is out.
    void reply(const std::optional<std::string>& text) {
        if (text) send(*text);
        closeWhenSent();
    }

    void onIdle() override {
        impl.counters.dropped++;
        NGM_LOG(log::Info, "", "Closing idle control connection from %s", peerText.c_str());
        close();
    }

    void onClose() override {
        NGM_LOG(log::Info, "", "Control connection from %s closed", peerText.c_str());
    }

    Impl& impl;
    std::string peerText;
    std::string in;
};

MediaproxyTcpListener::Impl::Impl(session::WorkerPool& w, const ControlStatistics* s, std::string v,
                                  MediaproxyCounters& c)
    : workers(w),
      statistics(s),
      version(std::move(v)),
      counters(c),
      server(
          {.threadName = "ngm-mediaproxy",
           .maxConnections = kMaxConnections,
           .idle = std::chrono::seconds(kIdleSeconds)},
          [this](net::TcpConnection&& conn) {
              return std::make_unique<Connection>(*this, std::move(conn));
          },
          [this](const net::Endpoint& peer, size_t open) {
              counters.dropped++;
              NGM_LOG(log::Warning, "", "Refusing control connection from %s: %zu open already",
                      peer.toString().c_str(), open);
          }) {}

std::string MediaproxyTcpListener::Impl::status() {
    struct Entry {
        int64_t createdUs;
        mp::SessionLine line;
    };
    std::vector<Entry> all;
    const int64_t now = wallSeconds();
    for (size_t i = 0; i < workers.size(); i++) {
        session::Worker& w = workers.at(i);
        workers.runOn(w, [&] {
            for (const auto& [id, call] : w.store.calls())
                all.push_back({call->createdUs, {id, now - call->created}});
        });
    }
    // Newest first, as rtpengine lists them.
    std::sort(all.begin(), all.end(),
              [](const Entry& a, const Entry& b) { return a.createdUs > b.createdUs; });
    std::vector<mp::SessionLine> lines;
    lines.reserve(all.size());
    for (auto& e : all) lines.push_back(std::move(e.line));
    int64_t rate = statistics ? statistics->snapshot().byteRate : 0;
    return mp::statusReply(lines.size(), rate, lines);
}

void MediaproxyTcpListener::Impl::handle(Connection& c, std::string line) {
    c.cancelIdle();
    Result<mp::Command> parsed = mp::parse(line);
    if (!parsed) {
        counters.errors++;
        NGM_LOG(log::Warning, "", "Unable to parse command line from %s: %.*s", c.peerText.c_str(),
                (int)std::min<size_t>(line.size(), 200), line.data());
        return c.close();
    }
    counters.commands++;
    NGM_LOG(log::Info, "", "Got valid command from %s: %.*s", c.peerText.c_str(),
            (int)std::min<size_t>(line.size(), 200), line.data());
    switch (parsed->verb) {
        case mp::Verb::Quit:
            return c.close();
        case mp::Verb::Version:
            return c.reply(mp::versionReply(version));
        case mp::Verb::Controls: {
            std::vector<std::string> peers;
            server.forEach([&](net::TcpServer::Connection& conn) {
                peers.push_back(static_cast<Connection&>(conn).peerText);
            });
            return c.reply(mp::controlsReply(peers));
        }
        case mp::Verb::Status:
            return c.reply(status());
        default:
            break;
    }
    // The call's worker runs it; the views of the parse point into `line`,
    // which goes along.
    auto& worker = workers.forCall(parsed->callId);
    workers.runOrPost(
        worker, [this, &worker, line = std::move(line), id = c.id(), peer = c.peerText] {
            Result<mp::Command> cmd = mp::parse(line);
            std::optional<std::string> reply = runMediaproxyCommand(worker.store, *cmd, peer);
            server.loop()->post([this, id, reply = std::move(reply)] {
                if (auto* conn = server.find(id)) static_cast<Connection*>(conn)->reply(reply);
            });
        });
}

MediaproxyTcpListener::MediaproxyTcpListener(session::WorkerPool& workers,
                                             const ControlStatistics* statistics,
                                             std::string version, MediaproxyCounters& counters)
    : impl_(std::make_unique<Impl>(workers, statistics, std::move(version), counters)) {}

MediaproxyTcpListener::~MediaproxyTcpListener() = default;

bool MediaproxyTcpListener::start(const net::Endpoint& ep) { return impl_->server.start(ep); }

void MediaproxyTcpListener::stop() { impl_->server.stop(); }

const net::Endpoint& MediaproxyTcpListener::local() const { return impl_->server.local(); }

}  // namespace ngm::control
