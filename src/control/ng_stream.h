// The transport-neutral half of a connection-oriented ng transport (TCP
// now; WebSocket, the CLI or the rtpproxy protocol later): frames the
// requests of one connection, passes each to NgDispatcher::handleAsync, and
// hands the replies back to the connection's loop, in request order. A
// transport file only moves bytes: it feeds received() (or dispatch(), when
// it frames messages itself) and implements Output.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/address.h"

namespace ngm::net {
class EventLoop;
}

namespace ngm::control {

class NgDispatcher;

class NgStream : public std::enable_shared_from_this<NgStream> {
  public:
    // What the transport does with the stream's output; called on the loop
    // thread only, never from inside received() or dispatch().
    struct Output {
        virtual ~Output() = default;
        virtual void write(std::string_view reply) = 0;
        // No more replies will come: close once what was written is sent.
        virtual void finish() = 0;
    };

    // Framing limits: bytes before the cookie's end, bytes of one message.
    static constexpr size_t kMaxCookie = 256;
    static constexpr size_t kMaxBuffered = 1 << 20;

    // `loop` runs the connection; replies computed on other threads are
    // posted to it (it may stop before they come: then they are dropped).
    static std::shared_ptr<NgStream> create(NgDispatcher& d, std::shared_ptr<net::EventLoop> loop,
                                            const net::Endpoint& peer, Output& out);

    // Loop thread. Bytes as they arrive: "COOKIE DICT" messages back to back
    // (bencode or JSON), each framed by bencode::messageExtent. After a
    // framing error the stream answers the broken message with an error
    // reply and finishes; over the size limits it finishes without one.
    void received(std::string_view bytes);
    // Loop thread. One complete message, for transports that frame by
    // themselves (a WebSocket frame, an HTTP body).
    void dispatch(std::string_view message);
    // Loop thread. The peer sent all it will send: finish after the replies
    // still to come.
    void endOfInput();
    // Loop thread. The transport is gone: replies still to come are dropped.
    void detach() { out_ = nullptr; }

    // Requests whose replies have not been written yet.
    size_t outstanding() const { return replies_.size(); }
    bool finishing() const { return finishing_; }

  private:
    NgStream(NgDispatcher& d, std::shared_ptr<net::EventLoop> loop, const net::Endpoint& peer,
             Output& out)
        : dispatcher_(d), loop_(std::move(loop)), peer_(peer), out_(&out) {}
    void deliver(uint64_t seq, std::string reply);
    void writeReady();
    void finish();

    NgDispatcher& dispatcher_;
    std::shared_ptr<net::EventLoop> loop_;
    net::Endpoint peer_;
    Output* out_;
    std::string in_;
    // Replies in request order from sequence number firstSeq_; nullopt:
    // still being computed, "": none will come.
    std::deque<std::optional<std::string>> replies_;
    uint64_t firstSeq_ = 0;
    bool finishing_ = false;  // read no more; finish once replies_ is empty
    bool finished_ = false;
};

}  // namespace ngm::control
