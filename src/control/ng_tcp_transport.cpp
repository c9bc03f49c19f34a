// ng over TCP: each connection's bytes go to an NgStream, which frames,
// dispatches and hands the replies back (ng_stream.h); accepting, output
// and closing are net::TcpServer's.
#include "control/ng_stream.h"
#include "control/ng_transport.h"
#include "net/tcp_server.h"

namespace ngm::control {

namespace {
// A peer that reads no replies is dropped rather than buffered for.
constexpr size_t kMaxUnsent = 4 << 20;
constexpr size_t kReadChunk = 65536;

struct NgConnection : net::TcpServer::Connection, NgStream::Output {
    NgConnection(net::TcpServer& server, net::TcpConnection c, NgDispatcher& dispatcher)
        : Connection(server, std::move(c)) {
        stream = NgStream::create(dispatcher, server.loop(), peer(), *this);
    }
    ~NgConnection() override { stream->detach(); }

    void onReadable() override {
        if (closed()) return;
        chunk.clear();
        switch (socket().read(chunk, kReadChunk)) {
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

    void write(std::string_view reply) override { send(reply); }
    void finish() override { closeWhenSent(); }
    void onClose() override { stream->detach(); }

    std::shared_ptr<NgStream> stream;
    std::string chunk;
};
}  // namespace

struct NgTcpListener::Impl {
    explicit Impl(NgDispatcher& d)
        : server({.threadName = "ngm-ng-tcp", .maxUnsent = kMaxUnsent},
                 [this, &d](net::TcpConnection&& c) {
                     return std::make_unique<NgConnection>(server, std::move(c), d);
                 }) {}

    net::TcpServer server;
};

NgTcpListener::NgTcpListener(NgDispatcher& d) : impl_(std::make_unique<Impl>(d)) {}

NgTcpListener::~NgTcpListener() = default;

bool NgTcpListener::start(const net::Endpoint& ep) { return impl_->server.start(ep); }

void NgTcpListener::stop() { impl_->server.stop(); }

const net::Endpoint& NgTcpListener::local() const { return impl_->server.local(); }

}  // namespace ngm::control
