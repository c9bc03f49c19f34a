// Test client for the HTTP/HTTPS/WebSocket control surface: one blocking
// connection (plain or TLS through OpenSSL), HTTP/1.1 requests with a
// Content-Length body, and a minimal WebSocket client (RFC 6455: upgrade,
// masked client frames, unfragmented or fragmented; reads whole frames).
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ngm::itest {

class HttpClient {
  public:
    HttpClient(uint16_t port, bool tls);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    bool ok() const { return fd_ >= 0 && (!tls_ || ssl_); }
    const std::string& error() const { return error_; }

    struct Response {
        int status = 0;
        std::map<std::string, std::string> headers;  // names lower-cased
        std::string body;
    };
    // One request on this connection; nullopt when no complete response came
    // (connection closed, timeout). `extraHeaders`: "Name: value\r\n" lines.
    std::optional<Response> request(std::string_view method, std::string_view path,
                                    std::string_view body = {}, std::string_view extraHeaders = {});

    // WebSocket upgrade on "/" asking for `subprotocol`; returns the HTTP
    // status of the answer (101 on success), 0 when none came.
    int upgrade(std::string_view subprotocol);
    // One message: in one frame, or split into `fragments` frames.
    bool sendMessage(std::string_view payload, bool binary = false, int fragments = 1);
    struct Frame {
        int opcode = 0;
        std::string payload;
    };
    // The next frame from the server; nullopt on close of the connection or
    // timeout.
    std::optional<Frame> readFrame();

    // Raw bytes, for malformed requests.
    bool writeRaw(std::string_view bytes);

  private:
    bool readMore();
    bool readExact(size_t n);
    int fd_ = -1;
    bool tls_ = false;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    std::string in_;
    std::string error_;
};

// A self-signed certificate and its key in one PEM file, made with
// `openssl req` in a fresh temp directory; "" (and `why`) on failure.
std::string makeTestCertificate(std::string& why);

// Runs promtool check metrics on `text`; returns its exit status (-1 when it
// could not run) and its output in `output`.
int promtoolCheck(const std::string& text, std::string& output);

}  // namespace ngm::itest
