// The CLI over TCP: one command line per connection, answer, close.
// Accepting, output and closing are net::TcpServer's.
#include "common/log.h"
#include "control/cli.h"
#include "net/tcp_server.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Control;
}  // namespace

namespace {
// A command line is a few words; anything longer is not one (rtpengine
// takes 4 KiB).
constexpr size_t kMaxLine = 4096;
// A client that sends no full line, or reads no answer, is dropped after this.
constexpr std::chrono::seconds kIdle{10};
constexpr size_t kMaxConnections = 256;

struct CliConnection : net::TcpServer::Connection {
    CliConnection(net::TcpServer& server, net::TcpConnection c, Cli& cli_)
        : Connection(server, std::move(c)), cli(cli_) {}

    void onReadable() override {
        if (closed() || !reading()) return;
        size_t before = input.size();
        net::TcpConnection::ReadStatus st = socket().read(input, kMaxLine + 1 - input.size());
        if (st == net::TcpConnection::ReadStatus::WouldBlock) return;
        size_t eol = input.find('\n', before);
        if (eol != std::string::npos) {
            input.resize(eol);
        } else if (input.size() > kMaxLine) {
            NGM_LOG(log::Warning, "", "CLI command from %s too long, closing",
                    peer().toString().c_str());
            return answer("Command too long.\n");
        } else if (st == net::TcpConnection::ReadStatus::Data) {
            return;  // wait for the rest of the line
        } else if (input.empty()) {
            return close();  // closed without a command
        }
        // A line, or what came before the client closed its side.
        NGM_LOG(log::Info, "", "Got CLI command: %s", input.c_str());
        answer(cli.run(input));
    }

    // The idle timer keeps running: it also bounds how long the answer may take to go out.
    void answer(const std::string& text) {
        stopReading();
        send(text);
        closeWhenSent();
    }

    Cli& cli;
    std::string input;
};
}  // namespace

struct CliListener::Impl {
    explicit Impl(Cli& cli)
        : server({.threadName = "ngm-cli", .maxConnections = kMaxConnections, .idle = kIdle},
                 [this, &cli](net::TcpConnection&& c) {
                     NGM_LOG(log::Info, "", "New cli connection from %s",
                             c.peer().toString().c_str());
                     return std::make_unique<CliConnection>(server, std::move(c), cli);
                 }) {}

    net::TcpServer server;
};

CliListener::CliListener(Cli& cli) : impl_(std::make_unique<Impl>(cli)) {}

CliListener::~CliListener() = default;

bool CliListener::start(const net::Endpoint& ep) { return impl_->server.start(ep); }

void CliListener::stop() { impl_->server.stop(); }

const net::Endpoint& CliListener::local() const { return impl_->server.local(); }

}  // namespace ngm::control
