// A TCP server on a thread of its own, for the control surfaces that speak
// over TCP (ng, the CLI, the mediaproxy protocol): it listens, accepts in
// batches, keeps at most so many connections, closes those idle too long,
// retries output the socket did not take, and stops. What a connection does
// with its bytes is the protocol's: a subclass of TcpServer::Connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "net/event_loop.h"
#include "net/tcp_socket.h"
#include "net/timer_wheel.h"

namespace ngm::net {

class TcpServer {
  public:
    struct Options {
        const char* threadName = "ngm-tcp";  // at most 15 characters
        // Open connections at most; one more is refused (closed at once). 0: no limit.
        size_t maxConnections = 0;
        // A connection is closed (Connection::onIdle) this long after it was
        // accepted unless it cancels the timer (cancelIdle). 0: never.
        std::chrono::milliseconds idle{0};
        // Output a peer has not read, at most; a connection over it is
        // closed rather than buffered for. 0: no limit.
        size_t maxUnsent = 0;
    };

    // One accepted connection, on the server's loop thread only. The
    // protocol's subclass reads in onReadable() (it is registered for
    // reading from accept until stopReading or close) and answers with
    // send() and closeWhenSent().
    class Connection : public PollHandler {
      public:
        Connection(TcpServer& server, TcpConnection conn);
        ~Connection() override;
        Connection(const Connection&) = delete;
        Connection& operator=(const Connection&) = delete;

        // Queues `data`; what the socket does not take now is retried on a
        // timer. Closes the connection when it failed or when more than
        // Options::maxUnsent waits.
        void send(std::string_view data);
        // Closes once everything sent is out (at once when it is).
        void closeWhenSent();
        // Closes now: the socket, the timers, the registration; the object
        // goes after the current batch of the loop.
        void close();
        // No more onReadable(); output still goes out.
        void stopReading();
        void cancelIdle() { idle_.cancel(); }

        bool closed() const { return closed_; }
        bool reading() const { return reading_; }
        // Unique for the server's lifetime: find() takes it, from a task
        // posted to the loop after the connection may have gone.
        uint64_t id() const { return id_; }
        const Endpoint& peer() const { return conn_.peer(); }
        TcpConnection& socket() { return conn_; }
        TcpServer& server() { return server_; }

      protected:
        // The idle timer fired; the default closes.
        virtual void onIdle() { close(); }
        // Called once, by close(), before the socket closes.
        virtual void onClose() {}

      private:
        friend class TcpServer;
        void flush();

        TcpServer& server_;
        TcpConnection conn_;
        Timer retry_, idle_;
        uint64_t id_ = 0;
        bool reading_ = false;  // registered on the loop
        bool finishing_ = false;
        bool closed_ = false;
    };

    // Makes the protocol's connection for an accepted socket (loop thread);
    // null refuses it.
    using Accept = std::function<std::unique_ptr<Connection>(TcpConnection&&)>;
    // A connection refused for maxConnections (loop thread), before it closes.
    using Refused = std::function<void(const Endpoint& peer, size_t open)>;

    TcpServer(Options options, Accept accept, Refused refused = nullptr);
    ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;

    // Listens on `ep` and starts the thread. False (errno set) if it cannot listen.
    bool start(const Endpoint& ep);
    // Stops the thread, then destroys the connections and closes the socket.
    void stop();
    // The address it listens on (the kernel's port when started on port 0).
    const Endpoint& local() const { return socket_.local(); }

    // The server's loop (null before start): tasks posted to it run on the
    // connections' thread. Shared, so that replies computed elsewhere may
    // hold it past stop().
    const std::shared_ptr<EventLoop>& loop() const { return loop_; }

    // Loop thread. The open connection with this id, or null.
    Connection* find(uint64_t id);
    // Loop thread. Every connection not closed yet, in no particular order.
    void forEach(const std::function<void(Connection&)>& f);
    // Loop thread. Connections held, closed ones not yet destroyed included.
    size_t size() const { return connections_.size(); }

  private:
    struct Acceptor : PollHandler {
        TcpServer* server = nullptr;
        void onReadable() override { server->acceptAll(); }
    };
    void acceptAll();

    Options options_;
    Accept accept_;
    Refused refused_;
    std::shared_ptr<EventLoop> loop_;
    TcpListener socket_;
    Acceptor acceptor_;
    uint64_t nextId_ = 1;
    std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;  // loop thread
    std::thread thread_;
};

}  // namespace ngm::net
