// ng over TCP: accepts connections and moves their bytes. Framing, dispatch
// and the hand-back of replies are NgStream's (ng_stream.h).
#include <pthread.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "control/ng_stream.h"
#include "control/ng_transport.h"
#include "net/event_loop.h"
#include "net/tcp_socket.h"

namespace ngm::control {

namespace {
// EventLoop tells readability only: output the socket did not take is
// retried on a timer until it is sent.
constexpr std::chrono::milliseconds kWriteRetry{10};
// A peer that reads no replies is dropped rather than buffered for.
constexpr size_t kMaxUnsent = 4 << 20;
constexpr int kAcceptBatch = 16;
constexpr size_t kReadChunk = 65536;
}  // namespace

struct NgTcpListener::Impl {
    struct Connection;
    struct Acceptor : net::PollHandler {
        Impl* impl = nullptr;
        void onReadable() override { impl->acceptAll(); }
    };

    explicit Impl(NgDispatcher& d) : dispatcher(d) { acceptor.impl = this; }
    ~Impl() { stop(); }
    void acceptAll();
    void close(Connection& c);
    void stop();

    NgDispatcher& dispatcher;
    std::shared_ptr<net::EventLoop> loop;  // shared with the reply sinks
    net::TcpListener socket;
    Acceptor acceptor;
    std::unordered_map<Connection*, std::unique_ptr<Connection>> connections;  // loop thread
    std::thread thread;
};

// One client connection: a PollHandler on the listener's loop.
struct NgTcpListener::Impl::Connection : net::PollHandler, NgStream::Output {
    Connection(Impl& i, net::TcpConnection c) : impl(i), conn(std::move(c)) {
        stream = NgStream::create(impl.dispatcher, impl.loop, conn.peer(), *this);
        retry.setCallback([this] { flush(); });
    }
    ~Connection() override { stream->detach(); }

    void onReadable() override {
        if (closed) return;
        chunk.clear();
        switch (conn.read(chunk, kReadChunk)) {
            case net::TcpConnection::ReadStatus::Data:
                stream->received(chunk);
                break;
            case net::TcpConnection::ReadStatus::WouldBlock:
                break;
            case net::TcpConnection::ReadStatus::Closed:
                stopReading();
                stream->endOfInput();  // the replies still to come may get through
                break;
        }
        if (stream->finishing()) stopReading();
    }

    void write(std::string_view reply) override {
        if (closed) return;
        if (!conn.write(reply) || conn.pending() > kMaxUnsent) return impl.close(*this);
        if (conn.pending() && !retry.armed()) impl.loop->timers().arm(retry, kWriteRetry);
    }

    void finish() override {
        finishing = true;
        if (!conn.pending()) impl.close(*this);
    }

    void flush() {
        if (closed) return;
        if (!conn.flush()) return impl.close(*this);
        if (conn.pending())
            impl.loop->timers().arm(retry, kWriteRetry);
        else if (finishing)
            impl.close(*this);
    }

    void stopReading() {
        if (!reading) return;
        impl.loop->remove(conn.fd());
        reading = false;
    }

    Impl& impl;
    net::TcpConnection conn;
    std::shared_ptr<NgStream> stream;
    net::Timer retry;
    std::string chunk;
    bool reading = true;  // registered on the loop
    bool finishing = false;
    bool closed = false;
};

void NgTcpListener::Impl::acceptAll() {
    for (int i = 0; i < kAcceptBatch; i++) {
        net::TcpConnection c = socket.accept();
        if (!c.isOpen()) return;
        auto conn = std::make_unique<Connection>(*this, std::move(c));
        if (!loop->add(conn->conn.fd(), conn.get())) continue;
        connections.emplace(conn.get(), std::move(conn));
    }
}

void NgTcpListener::Impl::close(Connection& c) {
    if (c.closed) return;
    c.closed = true;
    c.stopReading();
    c.retry.cancel();
    c.stream->detach();
    c.conn.close();
    // Handlers go after the I/O events of the batch, never from inside one.
    loop->defer([this, p = &c] { connections.erase(p); });
}

void NgTcpListener::Impl::stop() {
    if (thread.joinable()) {
        loop->stop();
        thread.join();
    }
    connections.clear();  // their timers leave the wheel; late replies find no stream
    if (loop && socket.isOpen()) loop->remove(socket.fd());
    socket.close();
}

NgTcpListener::NgTcpListener(NgDispatcher& d) : impl_(std::make_unique<Impl>(d)) {}

NgTcpListener::~NgTcpListener() = default;

bool NgTcpListener::start(const net::Endpoint& ep) {
    if (!impl_->socket.listen(ep)) return false;
    impl_->loop = std::make_shared<net::EventLoop>();
    if (!impl_->loop->add(impl_->socket.fd(), &impl_->acceptor)) return false;
    impl_->thread = std::thread([loop = impl_->loop] {
        pthread_setname_np(pthread_self(), "ngm-ng-tcp");
        loop->run();
    });
    return true;
}

void NgTcpListener::stop() { impl_->stop(); }

const net::Endpoint& NgTcpListener::local() const { return impl_->socket.local(); }

}  // namespace ngm::control
