#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

namespace ngm::itest {

HttpClient::HttpClient(uint16_t port, bool tls) : tls_(tls) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        error_ = strerror(errno);
        return;
    }
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        error_ = std::string("connect: ") + strerror(errno);
        close(fd_);
        fd_ = -1;
        return;
    }
    if (!tls) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // a self-signed test certificate
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
        char buf[256];
        ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
        error_ = std::string("TLS handshake: ") + buf;
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
}

HttpClient::~HttpClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) close(fd_);
}

bool HttpClient::writeRaw(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ssl_ ? SSL_write(ssl_, bytes.data(), (int)bytes.size())
                         : send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix((size_t)n);
    }
    return true;
}

bool HttpClient::readMore() {
    char buf[65536];
    ssize_t n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, (size_t)n);
    return true;
}

bool HttpClient::readExact(size_t n) {
    while (in_.size() < n)
        if (!readMore()) return false;
    return true;
}

std::optional<HttpClient::Response> HttpClient::request(std::string_view method, std::string_view path,
                                                        std::string_view body,
                                                        std::string_view extraHeaders) {
    std::string req = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    req += extraHeaders;
    if (method == "POST" && extraHeaders.find("Transfer-Encoding") == std::string_view::npos)
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    if (!writeRaw(req)) return std::nullopt;
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos)
        if (!readMore()) return std::nullopt;
    Response r;
    std::string head = in_.substr(0, end);
    in_.erase(0, end + 4);
    size_t lineEnd = head.find("\r\n");
    std::string status = head.substr(0, lineEnd);
    if (status.size() < 12) return std::nullopt;
    r.status = atoi(status.c_str() + 9);
    size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        pos = e + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (char& c : name) c = (char)tolower((unsigned char)c);
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    if (r.status == 101) return r;
    auto cl = r.headers.find("content-length");
    if (cl == r.headers.end()) return std::nullopt;  // every reply of ours has one
    size_t len = strtoul(cl->second.c_str(), nullptr, 10);
    if (!readExact(len)) return std::nullopt;
    r.body = in_.substr(0, len);
    in_.erase(0, len);
    return r;
}

int HttpClient::upgrade(std::string_view subprotocol) {
    std::string headers =
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n";
    if (!subprotocol.empty()) headers += "Sec-WebSocket-Protocol: " + std::string(subprotocol) + "\r\n";
    auto r = request("GET", "/", {}, headers);
    return r ? r->status : 0;
}

bool HttpClient::sendMessage(std::string_view payload, bool binary, int fragments) {
    static std::mt19937 rng(12345);
    size_t per = fragments > 1 ? (payload.size() + (size_t)fragments - 1) / (size_t)fragments : payload.size();
    size_t off = 0;
    bool first = true;
    do {
        size_t n = std::min(per, payload.size() - off);
        bool fin = off + n == payload.size();
        std::string f;
        f += char((fin ? 0x80 : 0) | (first ? (binary ? 2 : 1) : 0));
        if (n < 126) {
            f += char(0x80 | n);
        } else if (n < 65536) {
            f += char(0x80 | 126);
            f += char(n >> 8);
            f += char(n & 0xff);
        } else {
            f += char(0x80 | 127);
            for (int i = 7; i >= 0; i--) f += char((uint64_t)n >> (8 * i));
        }
        uint8_t mask[4];
        for (auto& m : mask) m = (uint8_t)rng();
        f.append(reinterpret_cast<char*>(mask), 4);
        for (size_t i = 0; i < n; i++) f += char(payload[off + i] ^ mask[i % 4]);
        if (!writeRaw(f)) return false;
        off += n;
        first = false;
    } while (off < payload.size());
    return true;
}

std::optional<HttpClient::Frame> HttpClient::readFrame() {
    if (!readExact(2)) return std::nullopt;
    Frame fr;
    fr.opcode = (uint8_t)in_[0] & 0x0f;
    uint64_t len = (uint8_t)in_[1] & 0x7f;
    size_t off = 2;
    if (len == 126) {
        if (!readExact(4)) return std::nullopt;
        len = ((uint8_t)in_[2] << 8) | (uint8_t)in_[3];
        off = 4;
    } else if (len == 127) {
        if (!readExact(10)) return std::nullopt;
        len = 0;
        for (int i = 0; i < 8; i++) len = (len << 8) | (uint8_t)in_[2 + i];
        off = 10;
    }
    if (!readExact(off + len)) return std::nullopt;
    fr.payload = in_.substr(off, len);
    in_.erase(0, off + len);
    return fr;
}

std::string makeTestCertificate(std::string& why) {
    char dir[] = "/tmp/ngmedia-https-XXXXXX";
    if (!mkdtemp(dir)) {
        why = std::string("mkdtemp: ") + strerror(errno);
        return {};
    }
    std::string pem = std::string(dir) + "/server.pem";
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout " +
                      pem + ".key -out " + pem + ".crt >/dev/null 2>&1 && cat " + pem + ".crt " + pem +
                      ".key > " + pem;
    if (system(cmd.c_str()) != 0) {
        why = "openssl req failed";
        return {};
    }
    return pem;
}

int promtoolCheck(const std::string& text, std::string& output) {
    char path[] = "/tmp/ngmedia-metrics-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    if (write(fd, text.data(), text.size()) != (ssize_t)text.size()) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        unlink(path);
        return -1;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
    int st = pclose(p);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace ngm::itest
