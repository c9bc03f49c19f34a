// The CLI over TCP: one command line per connection, answer, close.
#include <pthread.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "control/cli.h"
#include "net/event_loop.h"
#include "net/tcp_socket.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

namespace {
// A command line is a few words; anything longer is not one (rtpengine
// takes 4 KiB).
constexpr size_t kMaxLine = 4096;
// EventLoop tells readability only: an answer the socket did not take at
// once (jsonstats, a long session list) is flushed on a timer.
constexpr std::chrono::milliseconds kWriteRetry{10};
// A client that sends no full line, or reads no answer, is dropped after this.
constexpr std::chrono::seconds kIdle{10};
constexpr int kAcceptBatch = 16;
constexpr size_t kMaxConnections = 256;
}  // namespace

struct CliListener::Impl {
    struct Connection;
    struct Acceptor : net::PollHandler {
        Impl* impl = nullptr;
        void onReadable() override { impl->acceptAll(); }
    };

    explicit Impl(Cli& c) : cli(c) { acceptor.impl = this; }
    ~Impl() { stop(); }
    void acceptAll();
    void close(Connection& c);
    void stop();

    Cli& cli;
    std::unique_ptr<net::EventLoop> loop;
    net::TcpListener socket;
    Acceptor acceptor;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;  // loop thread
    std::thread thread;
};

struct CliListener::Impl::Connection : net::PollHandler {
    Connection(Impl& i, net::TcpConnection c) : impl(i), conn(std::move(c)) {
        retry.setCallback([this] { flush(); });
        idle.setCallback([this] { impl.close(*this); });
        impl.loop->timers().arm(idle, kIdle);
    }

    void onReadable() override {
        if (closed || answered) return;
        size_t before = input.size();
        net::TcpConnection::ReadStatus st = conn.read(input, kMaxLine + 1 - input.size());
        if (st == net::TcpConnection::ReadStatus::WouldBlock) return;
        size_t eol = input.find('\n', before);
        if (eol != std::string::npos) {
            input.resize(eol);
        } else if (input.size() > kMaxLine) {
            NGM_LOG(log::Warning, "", "CLI command from %s too long, closing",
                    conn.peer().toString().c_str());
            return answer("Command too long.\n");
        } else if (st == net::TcpConnection::ReadStatus::Data) {
            return;  // wait for the rest of the line
        } else if (input.empty()) {
            return impl.close(*this);  // closed without a command
        }
        // A line, or what came before the client closed its side.
        NGM_LOG(log::Info, "", "Got CLI command: %s", input.c_str());
        answer(impl.cli.run(input));
    }

    void answer(const std::string& text) {
        answered = true;
        impl.loop->remove(conn.fd());
        if (!conn.write(text)) return impl.close(*this);
        if (!conn.pending()) return impl.close(*this);
        impl.loop->timers().arm(retry, kWriteRetry);
    }

    void flush() {
        if (closed) return;
        if (!conn.flush() || !conn.pending()) return impl.close(*this);
        impl.loop->timers().arm(retry, kWriteRetry);
    }

    Impl& impl;
    net::TcpConnection conn;
    std::string input;
    net::Timer retry, idle;
    bool answered = false;  // no longer registered for reading
    bool closed = false;
};

void CliListener::Impl::acceptAll() {
    for (int i = 0; i < kAcceptBatch; i++) {
        net::TcpConnection c = socket.accept();
        if (!c.isOpen()) return;
        if (connections.size() >= kMaxConnections) continue;  // closed at once
        NGM_LOG(log::Info, "", "New cli connection from %s", c.peer().toString().c_str());
        auto conn = std::make_unique<Connection>(*this, std::move(c));
        if (!loop->add(conn->conn.fd(), conn.get())) continue;
        connections.emplace(conn.get(), std::move(conn));
    }
}

void CliListener::Impl::close(Connection& c) {
    if (c.closed) return;
    c.closed = true;
    if (!c.answered) loop->remove(c.conn.fd());
    c.retry.cancel();
    c.idle.cancel();
    c.conn.close();
    loop->defer([this, p = &c] { connections.erase(p); });
}

void CliListener::Impl::stop() {
    if (thread.joinable()) {
        loop->stop();
        thread.join();
    }
    connections.clear();
    if (loop && socket.isOpen()) loop->remove(socket.fd());
    socket.close();
}

CliListener::CliListener(Cli& cli) : impl_(std::make_unique<Impl>(cli)) {}

CliListener::~CliListener() = default;

bool CliListener::start(const net::Endpoint& ep) {
    if (!impl_->socket.listen(ep)) return false;
    impl_->loop = std::make_unique<net::EventLoop>();
    if (!impl_->loop->add(impl_->socket.fd(), &impl_->acceptor)) return false;
    impl_->thread = std::thread([loop = impl_->loop.get()] {
        pthread_setname_np(pthread_self(), "ngm-cli");
        loop->run();
    });
    return true;
}

void CliListener::stop() { impl_->stop(); }

const net::Endpoint& CliListener::local() const { return impl_->socket.local(); }

}  // namespace ngm::control
