#include "net/tcp_server.h"

#include <pthread.h>

#include <utility>

namespace ngm::net {

namespace {
// EventLoop tells readability only: output the socket did not take is
// retried on a timer until it is sent.
constexpr std::chrono::milliseconds kWriteRetry{10};
// Accepted per wake-up, so that a flood of connections does not starve the
// ones already open.
constexpr int kAcceptBatch = 16;
}  // namespace

TcpServer::Connection::Connection(TcpServer& server, TcpConnection conn)
    : server_(server), conn_(std::move(conn)) {
    retry_.setCallback([this] { flush(); });
    idle_.setCallback([this] { onIdle(); });
}

TcpServer::Connection::~Connection() = default;

void TcpServer::Connection::send(std::string_view data) {
    if (closed_) return;
    const size_t limit = server_.options_.maxUnsent;
    if (!conn_.write(data) || (limit && conn_.pending() > limit)) return close();
    if (conn_.pending() && !retry_.armed()) server_.loop_->timers().arm(retry_, kWriteRetry);
}

void TcpServer::Connection::closeWhenSent() {
    if (closed_) return;
    finishing_ = true;
    if (!conn_.pending()) close();
}

void TcpServer::Connection::flush() {
    if (closed_) return;
    if (!conn_.flush()) return close();
    if (conn_.pending())
        server_.loop_->timers().arm(retry_, kWriteRetry);
    else if (finishing_)
        close();
}

void TcpServer::Connection::stopReading() {
    if (!reading_) return;
    server_.loop_->remove(conn_.fd());
    reading_ = false;
}

void TcpServer::Connection::close() {
    if (closed_) return;
    closed_ = true;
    onClose();
    stopReading();
    retry_.cancel();
    idle_.cancel();
    conn_.close();
    // Handlers go after the I/O events of the batch, never from inside one.
    server_.loop_->defer([&server = server_, id = id_] { server.connections_.erase(id); });
}

TcpServer::TcpServer(Options options, Accept accept, Refused refused)
    : options_(options), accept_(std::move(accept)), refused_(std::move(refused)) {
    acceptor_.server = this;
}

TcpServer::~TcpServer() { stop(); }

bool TcpServer::start(const Endpoint& ep) {
    if (!socket_.listen(ep)) return false;
    loop_ = std::make_shared<EventLoop>();
    if (!loop_->add(socket_.fd(), &acceptor_)) return false;
    thread_ = std::thread([loop = loop_, name = options_.threadName] {
        pthread_setname_np(pthread_self(), name);
        loop->run();
    });
    return true;
}

void TcpServer::stop() {
    if (thread_.joinable()) {
        loop_->stop();
        thread_.join();
    }
    // Their timers leave the wheel; replies still to come find no connection.
    connections_.clear();
    if (loop_ && socket_.isOpen()) loop_->remove(socket_.fd());
    socket_.close();
}

void TcpServer::acceptAll() {
    for (int i = 0; i < kAcceptBatch; i++) {
        TcpConnection c = socket_.accept();
        if (!c.isOpen()) return;
        if (options_.maxConnections && connections_.size() >= options_.maxConnections) {
            if (refused_) refused_(c.peer(), connections_.size());
            continue;  // closed as it goes out of scope
        }
        std::unique_ptr<Connection> conn = accept_(std::move(c));
        if (!conn) continue;
        conn->id_ = nextId_++;
        if (!loop_->add(conn->conn_.fd(), conn.get())) continue;
        conn->reading_ = true;
        if (options_.idle.count() > 0) loop_->timers().arm(conn->idle_, options_.idle);
        connections_.emplace(conn->id_, std::move(conn));
    }
}

TcpServer::Connection* TcpServer::find(uint64_t id) {
    auto it = connections_.find(id);
    return it == connections_.end() || it->second->closed_ ? nullptr : it->second.get();
}

void TcpServer::forEach(const std::function<void(Connection&)>& f) {
    for (auto& [id, conn] : connections_)
        if (!conn->closed_) f(*conn);
}

}  // namespace ngm::net
