// HTTP, HTTPS and WebSocket control (--listen-http, --listen-https): the
// only caller of libwebsockets. One service thread ("ngm-http") moves the
// bytes; --http-threads handler threads ("ngm-http-N") run the requests
// (ng messages through NgDispatcher::handleAsync, /metrics, CLI commands),
// so a slow scrape never holds up the connections. Replies computed on the
// handler threads or on the media workers come back to the service thread
// through a queue.
//
//   GET  /ping            -> "pong"
//   GET  /cli/<command>   -> the CLI handler's output ('+' for spaces)
//   GET  /metrics         -> the metrics renderer's output
//   POST /ng              -> Content-Type application/x-rtpengine-ng,
//                            "COOKIE BENCODE" (or "COOKIE {JSON}") in and out
//   WebSocket subprotocols echo.rtpengine.com, ng.rtpengine.com,
//   cli.rtpengine.com: one request per message, one reply per request.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/address.h"

namespace ngm::control {

class NgDispatcher;

struct HttpConfig {
    std::vector<net::Endpoint> http, https;
    std::string certFile, keyFile;  // PEM, needed when `https` is not empty
    int handlerThreads = 1;
    // Largest request body (POST /ng) or WebSocket message taken; larger
    // ones are refused (413, or WebSocket close 1009).
    size_t maxMessage = 1 << 20;
    // Requests queued for the handler threads before new ones get 503.
    size_t maxQueued = 4096;
    // Open HTTP/WebSocket connections, all listeners together. At the limit
    // a new connection closes the oldest one that has no request in
    // progress and is no WebSocket; when there is none, the new one is
    // closed. So idle connections cannot lock out /ping or POST /ng.
    size_t maxConnections = 256;
    // Seconds a connection has for its request headers (slowloris), and
    // an idle HTTP/1.1 keep-alive connection stays open.
    unsigned headerTimeout = 5;
};

// What the HTTP surface refused, for /metrics.
struct HttpCounters {
    uint64_t open = 0;     // connections now
    uint64_t evicted = 0;  // idle connections closed for a new one
    uint64_t refused = 0;  // new connections closed at the limit
};

// What the surfaces beyond ng answer with; run on a handler thread. An empty
// function: the URI or subprotocol answers 404 / closes.
struct HttpHandlers {
    // The text of /metrics (Prometheus exposition format).
    std::function<std::string()> metrics;
    // The output of one CLI command line ("list totals").
    std::function<std::string(std::string_view command)> cli;
};

class HttpServer {
  public:
    HttpServer(NgDispatcher& dispatcher, HttpHandlers handlers);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Opens every listener and starts the threads; false with `error` set
    // when a listener cannot be opened or the certificate not loaded.
    bool start(const HttpConfig& cfg, std::string& error);
    // Closes the listeners and connections and joins the threads.
    // Idempotent; the destructor calls it.
    void stop();

    // The ports listened on, HTTP listeners first, in the order configured
    // (the kernel's port when configured as 0).
    std::vector<uint16_t> ports() const;
    // Connections open, evicted and refused; any thread.
    HttpCounters counters() const;

    // Opaque; public only for the libwebsockets callback.
    struct Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// The CLI command line of a /cli/ URI's rest: '+' stands for a space.
std::string cliCommandFromPath(std::string_view rest);

// True when a Content-Type header value names the ng media type
// (application/x-rtpengine-ng, case-insensitive; no parameters, as
// rtpengine 10.5 takes it).
bool isNgContentType(std::string_view contentType);

}  // namespace ngm::control
