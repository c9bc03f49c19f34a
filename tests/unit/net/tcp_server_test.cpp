// TcpServer: the accept loop, connection limit, idle timeout, output retry
// and shutdown shared by the TCP control surfaces. Loopback only, every port
// chosen by the kernel (port 0), every wait bounded by a generous deadline.
#include "net/tcp_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>

namespace ngm::net {
namespace {

using namespace std::chrono_literals;
using Status = TcpConnection::ReadStatus;

Endpoint loopbackAnyPort() { return Endpoint{*IpAddress::parse("127.0.0.1"), 0}; }

// What the client got until the server closed (or the deadline passed).
struct Received {
    std::string bytes;
    bool closed = false;
};

Received readUntilClosed(TcpConnection& c, std::chrono::milliseconds deadline = 5000ms) {
    Received r;
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        Status st = c.read(r.bytes);
        if (st == Status::Closed) {
            r.closed = true;
            break;
        }
        pollfd p{c.fd(), POLLIN, 0};
        poll(&p, 1, 100);
    }
    return r;
}

bool eventually(const std::function<bool()>& f, std::chrono::milliseconds deadline = 5000ms) {
    auto until = std::chrono::steady_clock::now() + deadline;
    while (!f()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// What the tests observe of the server's connections, from any thread.
struct Observed {
    std::atomic<int> made{0}, destroyed{0}, idle{0}, closes{0}, refused{0};
    std::atomic<size_t> openAtRefusal{0};
};

// Answers the first line with `reply` (or the line itself), then closes
// once the answer is out; cancels its idle timer when the line comes.
struct LineConnection : TcpServer::Connection {
    LineConnection(TcpServer& s, TcpConnection c, Observed& o, std::string r)
        : Connection(s, std::move(c)), observed(o), reply(std::move(r)) {
        observed.made++;
    }
    ~LineConnection() override { observed.destroyed++; }

    void onReadable() override {
        if (socket().read(in) == Status::Closed) return close();
        size_t eol = in.find('\n');
        if (eol == std::string::npos) return;
        cancelIdle();
        stopReading();
        send(reply.empty() ? in.substr(0, eol + 1) : reply);
        closeWhenSent();
    }
    void onIdle() override {
        observed.idle++;
        close();
    }
    void onClose() override { observed.closes++; }

    Observed& observed;
    std::string reply;
    std::string in;
};

struct Server {
    explicit Server(TcpServer::Options o, std::string reply = {})
        : server(
              o,
              [this, reply](TcpConnection&& c) {
                  return std::make_unique<LineConnection>(server, std::move(c), observed, reply);
              },
              [this](const Endpoint&, size_t open) {
                  observed.refused++;
                  observed.openAtRefusal = open;
              }) {}
    TcpConnection connect() {
        TcpConnection c;
        EXPECT_TRUE(c.connect(server.local())) << errno;
        return c;
    }
    // Starts, connects one client and waits until the server holds it.
    TcpConnection startWithOneClient() {
        EXPECT_TRUE(server.start(loopbackAnyPort()));
        TcpConnection c = connect();
        EXPECT_TRUE(eventually([&] { return observed.made == 1; }));
        return c;
    }
    // Runs `f` on the loop thread and waits for its result.
    template <class F>
    auto onLoop(F f) {
        std::promise<decltype(f())> p;
        auto result = p.get_future();
        server.loop()->post([&] { p.set_value(f()); });
        return result.get();
    }
    Observed observed;
    TcpServer server;
};

TEST(TcpServer, StartsOnTheKernelsPortAndFailsOnAPortInUse) {
    Server a({}), b({});
    ASSERT_TRUE(a.server.start(loopbackAnyPort()));
    EXPECT_NE(a.server.local().port, 0);
    errno = 0;
    EXPECT_FALSE(b.server.start(a.server.local()));
    EXPECT_EQ(errno, EADDRINUSE);
}

TEST(TcpServer, AConnectionAnswersAndIsClosedAndDestroyedOnceTheAnswerIsOut) {
    Server s({});
    ASSERT_TRUE(s.server.start(loopbackAnyPort()));
    TcpConnection c = s.connect();
    ASSERT_TRUE(c.write("hello\n"));
    Received r = readUntilClosed(c);
    EXPECT_EQ(r.bytes, "hello\n");
    EXPECT_TRUE(r.closed);
    EXPECT_TRUE(eventually([&] { return s.observed.destroyed == 1; }));
    EXPECT_EQ(s.observed.closes, 1);
    EXPECT_EQ(s.onLoop([&] { return s.server.size(); }), 0u);
}

TEST(TcpServer, OutputTheSocketDidNotTakeIsSentBeforeTheClose) {
    const std::string big(8 << 20, 'x');
    Server s({}, big);
    ASSERT_TRUE(s.server.start(loopbackAnyPort()));
    TcpConnection c = s.connect();
    ASSERT_TRUE(c.write("go\n"));
    // Far more than the socket buffers take: the rest goes on the retry timer.
    Received r = readUntilClosed(c, 20000ms);
    EXPECT_EQ(r.bytes.size(), big.size());
    EXPECT_TRUE(r.closed);
}

TEST(TcpServer, APeerThatReadsNothingIsDroppedOverMaxUnsent) {
    Server s({.maxUnsent = 64 << 10}, std::string(16 << 20, 'x'));
    ASSERT_TRUE(s.server.start(loopbackAnyPort()));
    TcpConnection c = s.connect();
    ASSERT_TRUE(c.write("go\n"));
    EXPECT_TRUE(eventually([&] { return s.observed.closes == 1; }));
    Received r = readUntilClosed(c);
    EXPECT_TRUE(r.closed);
    EXPECT_LT(r.bytes.size(), size_t(16 << 20));
}

TEST(TcpServer, OneConnectionOverTheLimitIsRefusedAndReported) {
    Server s({.maxConnections = 2});
    ASSERT_TRUE(s.server.start(loopbackAnyPort()));
    TcpConnection a = s.connect(), b = s.connect();
    ASSERT_TRUE(eventually([&] { return s.observed.made == 2; }));
    TcpConnection over = s.connect();
    Received r = readUntilClosed(over);
    EXPECT_TRUE(r.closed);
    EXPECT_TRUE(r.bytes.empty());
    EXPECT_EQ(s.observed.refused, 1);
    EXPECT_EQ(s.observed.openAtRefusal, 2u);
    EXPECT_EQ(s.observed.made, 2);
    // Once one is gone, a new one is taken again.
    ASSERT_TRUE(a.write("x\n"));
    EXPECT_TRUE(readUntilClosed(a).closed);
    ASSERT_TRUE(eventually([&] { return s.observed.destroyed == 1; }));
    TcpConnection d = s.connect();
    ASSERT_TRUE(d.write("again\n"));
    EXPECT_EQ(readUntilClosed(d).bytes, "again\n");
    EXPECT_EQ(s.observed.refused, 1);
}

TEST(TcpServer, AConnectionIdleTooLongIsClosedByItsOnIdle) {
    Server s({.idle = 100ms});
    ASSERT_TRUE(s.server.start(loopbackAnyPort()));
    TcpConnection c = s.connect();
    Received r = readUntilClosed(c);
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(s.observed.idle, 1);
}

TEST(TcpServer, WithoutAnIdleTimeAConnectionStaysOpen) {
    Server s({});
    TcpConnection c = s.startWithOneClient();
    Received r = readUntilClosed(c, 300ms);
    EXPECT_FALSE(r.closed);
    EXPECT_EQ(s.observed.idle, 0);
}

TEST(TcpServer, FindGivesAnOpenConnectionByIdAndNothingOnceItClosed) {
    Server s({});
    TcpConnection c = s.startWithOneClient();
    const uint64_t id = s.onLoop([&] {
        uint64_t found = 0;
        s.server.forEach([&](TcpServer::Connection& conn) { found = conn.id(); });
        return found;
    });
    ASSERT_NE(id, 0u);
    EXPECT_TRUE(s.onLoop([&] { return s.server.find(id) != nullptr; }));
    EXPECT_EQ(s.onLoop([&] {
        size_t n = 0;
        s.server.forEach([&](TcpServer::Connection&) { n++; });
        return n;
    }),
              1u);
    EXPECT_TRUE(s.onLoop([&] { return s.server.find(id + 1) == nullptr; }));
    s.onLoop([&] {
        s.server.find(id)->close();
        return 0;
    });
    EXPECT_TRUE(s.onLoop([&] { return s.server.find(id) == nullptr; }));
    EXPECT_TRUE(readUntilClosed(c).closed);
}

TEST(TcpServer, StopClosesAndDestroysOpenConnections) {
    Server s({});
    TcpConnection c = s.startWithOneClient();
    const Endpoint where = s.server.local();
    s.server.stop();
    EXPECT_EQ(s.observed.destroyed, 1);
    EXPECT_TRUE(readUntilClosed(c).closed);
    TcpConnection late;
    EXPECT_FALSE(late.connect(where));
}

}  // namespace
}  // namespace ngm::net
