// HTTP/HTTPS/WebSocket control over libwebsockets (the only file that
// includes it). libwebsockets owns the sockets, HTTP parsing, TLS and
// WebSocket framing; this file routes requests, runs them on the handler
// threads and writes the replies back on the service thread.
#include "control/http_transport.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/log.h"
#include "common/strings.h"
#include "control/ng_dispatcher.h"

namespace ngm::control {

// Log lines of this file (common/log.h).
namespace {
constexpr auto kNgmLogSubsystem = log::Subsystem::Http;
}  // namespace

std::string cliCommandFromPath(std::string_view rest) {
    std::string s(rest);
    for (char& c : s)
        if (c == '+') c = ' ';
    return s;
}

bool isNgContentType(std::string_view contentType) {
    return iequals(trim(contentType), "application/x-rtpengine-ng");
}

namespace {

constexpr const char* kNgType = "application/x-rtpengine-ng";
constexpr const char* kTextType = "text/plain";
// Bytes of a reply body written per writeable callback.
constexpr size_t kWriteChunk = 32 * 1024;
// An ng reply over HTTP/WS is not bound by a datagram's size.
constexpr size_t kMaxNgReply = 4 << 20;
// Per WebSocket connection: requests being worked on, and reply bytes not
// yet sent, beyond which the connection is not read until they drain.
constexpr size_t kMaxInFlight = 64;
constexpr size_t kMaxUnsent = 4 << 20;
// A declared body beyond this many times the limit is not even read.
constexpr size_t kDiscardFactor = 16;

enum Proto : unsigned { kHttp = 0, kEcho, kNg, kCli };

// The replies on their way back to the service thread. Shared with the
// reply sinks, which may run on a media worker after the server is gone.
struct Mailbox {
    struct Letter {
        uint64_t conn = 0, seq = 0;
        int status = 200;
        const char* type = kTextType;
        std::string body;
    };
    std::mutex mutex;
    lws_context* context = nullptr;  // null once the server stops
    std::vector<Letter> letters;

    void post(Letter l) {
        std::lock_guard lock(mutex);
        if (!context) return;
        letters.push_back(std::move(l));
        lws_cancel_service(context);
    }
    std::vector<Letter> take() {
        std::lock_guard lock(mutex);
        return std::exchange(letters, {});
    }
};

// One connection (one lws wsi), HTTP or, after the upgrade, WebSocket.
struct Conn {
    uint64_t id = 0;
    lws* wsi = nullptr;
    net::Endpoint peer;
    // HTTP: the request being served (seq numbers the requests of a
    // keep-alive connection, so a late reply cannot answer the next one).
    uint64_t seq = 0;
    enum class Post { None, Ng, Refused } post = Post::None;
    int refusedStatus = 0;
    std::string refusedBody;
    size_t bodySeen = 0;
    std::string body;
    // HTTP: the response.
    bool responding = false, headersSent = false;
    bool closeAfter = false;  // the request's body cannot be skipped: close after the reply
    int status = 200;
    const char* type = kTextType;
    std::string out;
    size_t outPos = 0;
    // An HTTP request is being read or answered (not evicted for a newcomer).
    bool inRequest = false;
    // WebSocket.
    bool ws = false;
    std::string msg;
    std::deque<std::string> wsOut;
    size_t unsent = 0, inFlight = 0;
    bool throttled = false;
};

net::Endpoint peerOf(lws* wsi) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    if (ss.ss_family == AF_INET6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            sockaddr_in s4{};
            s4.sin_family = AF_INET;
            s4.sin_port = s6->sin6_port;
            memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
            return net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&s4));
        }
    }
    return net::Endpoint::fromSockaddr(reinterpret_cast<sockaddr*>(&ss));
}

std::string header(lws* wsi, lws_token_indexes h) {
    int n = lws_hdr_total_length(wsi, h);
    if (n <= 0) return {};
    std::string s((size_t)n + 1, '\0');
    if (lws_hdr_copy(wsi, s.data(), n + 1, h) < 0) return {};
    s.resize((size_t)n);
    return s;
}

// libwebsockets' own log lines, and the first complaint of a start().
std::mutex gLwsLogMutex;
std::string gLwsLastError;  // cleared before each vhost is made
void lwsLog(int level, const char* line) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (level & (LLL_ERR | LLL_WARN)) {
        std::lock_guard lock(gLwsLogMutex);
        if (gLwsLastError.empty()) gLwsLastError = s;  // the first says most
    }
    NGM_LOG_WARN("[http] libwebsockets: %s", s.c_str());
}

int lwsCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

const lws_protocols kProtocols[] = {
    {"http", lwsCallback, 0, 65536, kHttp, nullptr, 0},
    {"echo.rtpengine.com", lwsCallback, 0, 65536, kEcho, nullptr, 0},
    {"ng.rtpengine.com", lwsCallback, 0, 65536, kNg, nullptr, 0},
    {"cli.rtpengine.com", lwsCallback, 0, 65536, kCli, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

struct HttpServer::Impl {
    Impl(NgDispatcher& d, HttpHandlers h) : dispatcher(d), handlers(std::move(h)) {}

    NgDispatcher& dispatcher;
    HttpHandlers handlers;
    HttpConfig cfg;
    lws_context* context = nullptr;
    std::vector<lws_vhost*> vhosts;
    std::vector<std::string> ifaces, names;  // the vhosts' strings outlive them
    std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
    std::thread service;
    std::atomic<bool> stopping{false};

    // Handler threads.
    std::vector<std::thread> handlerThreads;
    std::mutex jobMutex;
    std::condition_variable jobCv;
    std::deque<std::function<void()>> jobs;
    bool jobsStopping = false;

    // Every accepted connection by order of arrival (service thread), for
    // the connection limit; the counts for any thread.
    std::map<uint64_t, lws*> arrivals;
    std::unordered_map<lws*, uint64_t> arrivalOf;
    uint64_t nextArrival = 0;
    std::atomic<uint64_t> openCount{0}, evicted{0}, refused{0};

    // Service thread only.
    std::unordered_map<lws*, std::unique_ptr<Conn>> conns;
    std::unordered_map<uint64_t, Conn*> byId;
    uint64_t nextId = 1;
    std::vector<unsigned char> scratch;

    bool submit(std::function<void()> job) {
        std::lock_guard lock(jobMutex);
        if (jobsStopping || jobs.size() >= cfg.maxQueued) return false;
        jobs.push_back(std::move(job));
        jobCv.notify_one();
        return true;
    }
    void runHandler(size_t index) {
        std::string name = "ngm-http-" + std::to_string(index);
        pthread_setname_np(pthread_self(), name.c_str());
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(jobMutex);
                jobCv.wait(lock, [this] { return jobsStopping || !jobs.empty(); });
                if (jobs.empty()) return;
                job = std::move(jobs.front());
                jobs.pop_front();
            }
            job();
        }
    }

    Conn& connFor(lws* wsi) {
        auto& c = conns[wsi];
        if (!c) {
            c = std::make_unique<Conn>();
            c->id = nextId++;
            c->wsi = wsi;
            c->peer = peerOf(wsi);
            byId[c->id] = c.get();
        }
        return *c;
    }
    Conn* find(lws* wsi) {
        auto it = conns.find(wsi);
        return it == conns.end() ? nullptr : it->second.get();
    }
    void forget(lws* wsi) {
        auto it = conns.find(wsi);
        if (it == conns.end()) return;
        byId.erase(it->second->id);
        conns.erase(it);
    }

    // ---- connection limit and header deadline ----
    void dropArrival(lws* wsi) {
        auto it = arrivalOf.find(wsi);
        if (it == arrivalOf.end()) return;
        arrivals.erase(it->second);
        arrivalOf.erase(it);
        openCount = arrivalOf.size();
    }
    int onAccept(lws* wsi) {
        if (arrivalOf.size() >= cfg.maxConnections) {
            lws* victim = nullptr;
            for (auto& [order, w] : arrivals) {
                Conn* c = find(w);
                if (!c || (!c->ws && !c->inRequest)) {
                    victim = w;
                    break;
                }
            }
            if (!victim) {
                refused++;
                return -1;
            }
            // Closed on the next service round; off the books now.
            lws_set_timeout(victim, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            dropArrival(victim);
            evicted++;
        }
        arrivals[nextArrival] = wsi;
        arrivalOf[wsi] = nextArrival++;
        openCount = arrivalOf.size();
        // The request headers must come within this (a slowloris client
        // gets nothing more); libwebsockets' own deadlines take over after.
        lws_set_timeout(wsi, (pending_timeout)(PENDING_TIMEOUT_USER_REASON_BASE + 1), (int)cfg.headerTimeout);
        return 0;
    }

    // ---- HTTP ----
    void respond(Conn& c, int status, const char* type, std::string body) {
        c.responding = true;
        c.headersSent = false;
        c.status = status;
        c.type = type;
        c.out = std::move(body);
        c.outPos = 0;
        lws_callback_on_writable(c.wsi);
    }
    // Runs `work` on a handler thread; its result answers request `c.seq`.
    void respondLater(Conn& c, std::function<std::string()> work, const char* type) {
        uint64_t id = c.id, seq = c.seq;
        auto box = mailbox;
        bool queued = submit([box, id, seq, type, work = std::move(work)] {
            box->post({id, seq, 200, type, work()});
        });
        if (!queued) respond(c, 503, kTextType, "busy\n");
    }
    void dispatchNg(Conn& c, std::string message) {
        uint64_t id = c.id, seq = c.seq;
        net::Endpoint peer = c.peer;
        auto box = mailbox;
        NgDispatcher* d = &dispatcher;
        bool queued = submit([box, id, seq, peer, d, message = std::move(message)] {
            bool willReply = d->handleAsync(
                message, peer,
                [box, id, seq](const std::string& reply) { box->post({id, seq, 200, kNgType, reply}); },
                kMaxNgReply);
            // No cookie (or a retransmission still being worked on): the
            // dispatcher sends nothing, HTTP must still answer.
            if (!willReply) box->post({id, seq, 400, kTextType, "error: no ng reply (missing cookie?)\n"});
        });
        if (!queued) respond(c, 503, kTextType, "busy\n");
    }

    int onHttp(lws* wsi, std::string_view uri) {
        Conn& c = connFor(wsi);
        c.seq++;
        c.inRequest = true;
        c.post = Conn::Post::None;
        c.body.clear();
        c.bodySeen = 0;
        c.responding = false;
        c.closeAfter = false;
        bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
        bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
        if (post) {
            // The body follows; answered once it is complete (a reply sent
            // before would leave the body to be parsed as the next request).
            std::string lenText = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
            int64_t declared = lenText.empty() ? -1 : parseInt<int64_t>(lenText).value_or(-1);
            bool chunked = !header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING).empty();
            if (uri != "/ng" || !isNgContentType(header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE))) {
                c.post = Conn::Post::Refused;
                c.refusedStatus = 404;
                c.refusedBody = "not found\n";
            } else if (declared > (int64_t)cfg.maxMessage) {
                c.post = Conn::Post::Refused;
                c.refusedStatus = 413;
                c.refusedBody = "request body too large\n";
            } else {
                c.post = Conn::Post::Ng;
            }
            if (declared > (int64_t)(cfg.maxMessage * kDiscardFactor)) {
                respond(c, 413, kTextType, "request body too large\n");
                c.post = Conn::Post::None;
                c.closeAfter = true;
                return 0;
            }
            // libwebsockets does not take chunked request bodies apart.
            if (chunked && declared < 0) {
                respond(c, 411, kTextType, "Content-Length required\n");
                c.post = Conn::Post::None;
                c.closeAfter = true;
                return 0;
            }
            // No body to wait for.
            if (declared <= 0 && !chunked) return onBodyComplete(c);
            return 0;
        }
        if (!get) {
            respond(c, 404, kTextType, "not found\n");
            return 0;
        }
        if (uri == "/ping") {
            respond(c, 200, kTextType, "pong\n");
        } else if (uri == "/metrics" && handlers.metrics) {
            respondLater(c, handlers.metrics, kTextType);
        } else if (uri.starts_with("/cli/") && handlers.cli) {
            std::string cmd = cliCommandFromPath(uri.substr(5));
            auto* cli = &handlers.cli;
            respondLater(c, [cli, cmd] { return (*cli)(cmd); }, kTextType);
        } else {
            respond(c, 404, kTextType, "not found\n");
        }
        return 0;
    }
    int onBody(lws* wsi, std::string_view chunk) {
        Conn* c = find(wsi);
        if (!c) return -1;
        c->bodySeen += chunk.size();
        if (c->post == Conn::Post::Ng) {
            if (c->body.size() + chunk.size() > cfg.maxMessage) {
                c->post = Conn::Post::Refused;
                c->refusedStatus = 413;
                c->refusedBody = "request body too large\n";
                c->body.clear();
            } else {
                c->body.append(chunk);
            }
        }
        // A body without (or beyond) a declared length is not read forever.
        if (c->bodySeen > cfg.maxMessage * kDiscardFactor) return -1;
        return 0;
    }
    int onBodyComplete(Conn& c) {
        switch (c.post) {
            case Conn::Post::Ng:
                if (c.body.empty()) {
                    respond(c, 400, kTextType, "error: empty request\n");
                    break;
                }
                dispatchNg(c, std::move(c.body));
                c.body.clear();
                break;
            case Conn::Post::Refused:
                respond(c, c.refusedStatus, kTextType, c.refusedBody);
                break;
            case Conn::Post::None:
                break;
        }
        c.post = Conn::Post::None;
        return 0;
    }
    int onHttpWriteable(lws* wsi) {
        Conn* c = find(wsi);
        if (!c || !c->responding) return 0;
        if (!c->headersSent) {
            unsigned char buf[LWS_PRE + 512];
            unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
            if (lws_add_http_common_headers(wsi, (unsigned)c->status, c->type, c->out.size(), &p, end))
                return 1;
            if (lws_finalize_write_http_header(wsi, start, &p, end)) return 1;
            c->headersSent = true;
            if (!c->out.empty()) {
                lws_callback_on_writable(wsi);
                return 0;
            }
        } else {
            size_t n = std::min(kWriteChunk, c->out.size() - c->outPos);
            bool last = c->outPos + n == c->out.size();
            scratch.resize(LWS_PRE + n);
            memcpy(scratch.data() + LWS_PRE, c->out.data() + c->outPos, n);
            if (lws_write(wsi, scratch.data() + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
                (int)n)
                return 1;
            c->outPos += n;
            if (!last) {
                lws_callback_on_writable(wsi);
                return 0;
            }
        }
        c->responding = false;
        c->inRequest = false;
        c->out.clear();
        c->out.shrink_to_fit();
        if (c->closeAfter) return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }

    // ---- WebSocket ----
    void wsQueue(Conn& c, std::string msg) {
        c.unsent += msg.size();
        c.wsOut.push_back(std::move(msg));
        lws_callback_on_writable(c.wsi);
    }
    void wsThrottle(Conn& c) {
        bool hold = c.inFlight >= kMaxInFlight || c.unsent > kMaxUnsent;
        if (hold != c.throttled) {
            c.throttled = hold;
            lws_rx_flow_control(c.wsi, hold ? 0 : 1);
        }
    }
    int onWsReceive(lws* wsi, unsigned proto, std::string_view data) {
        Conn* c = find(wsi);
        if (!c) return -1;
        if (lws_is_first_fragment(wsi)) c->msg.clear();
        // What the frame header announces counts too: a frame of 2^62
        // bytes is refused at its first bytes.
        if (c->msg.size() + data.size() + lws_remaining_packet_payload(wsi) > cfg.maxMessage) {
            static const char kWhy[] = "message too large";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char*)kWhy, sizeof kWhy - 1);
            return -1;
        }
        c->msg.append(data);
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
        std::string msg = std::move(c->msg);
        c->msg.clear();
        if (proto == kEcho) {
            wsQueue(*c, std::move(msg));
        } else if (proto == kNg || proto == kCli) {
            uint64_t id = c->id;
            auto box = mailbox;
            std::function<void()> job;
            if (proto == kNg) {
                net::Endpoint peer = c->peer;
                NgDispatcher* d = &dispatcher;
                job = [box, id, peer, d, msg = std::move(msg)] {
                    bool willReply = d->handleAsync(
                        msg, peer,
                        [box, id](const std::string& reply) {
                            box->post({id, 0, 200, kNgType, reply});
                        },
                        kMaxNgReply);
                    // No reply will come: release the slot.
                    if (!willReply) box->post({id, 0, 0, kNgType, {}});
                };
            } else {
                auto* cli = &handlers.cli;
                job = [box, id, cli, msg = std::move(msg)] {
                    box->post({id, 0, 200, kTextType, (*cli)(msg)});
                };
            }
            if (!submit(std::move(job))) {
                static const char kWhy[] = "busy";
                lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char*)kWhy, sizeof kWhy - 1);
                return -1;
            }
            c->inFlight++;
        }
        wsThrottle(*c);
        return 0;
    }
    int onWsWriteable(lws* wsi) {
        Conn* c = find(wsi);
        if (!c || c->wsOut.empty()) return 0;
        std::string msg = std::move(c->wsOut.front());
        c->wsOut.pop_front();
        c->unsent -= msg.size();
        scratch.resize(LWS_PRE + msg.size());
        memcpy(scratch.data() + LWS_PRE, msg.data(), msg.size());
        // Binary frames, whatever the request was, as rtpengine 10.5 answers
        // (an ng reply may hold any bytes).
        if (lws_write(wsi, scratch.data() + LWS_PRE, msg.size(), LWS_WRITE_BINARY) <
            (int)msg.size())
            return -1;
        if (!c->wsOut.empty()) lws_callback_on_writable(wsi);
        wsThrottle(*c);
        return 0;
    }

    // ---- replies from the handler threads and workers ----
    void deliverMail() {
        for (auto& l : mailbox->take()) {
            auto it = byId.find(l.conn);
            if (it == byId.end()) continue;  // the connection is gone
            Conn& c = *it->second;
            if (l.seq != 0) {
                if (l.seq == c.seq && !c.responding) respond(c, l.status, l.type, std::move(l.body));
                continue;
            }
            if (c.inFlight) c.inFlight--;
            if (l.status != 0) wsQueue(c, std::move(l.body));
            wsThrottle(c);
        }
    }

    int callback(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
        const lws_protocols* p = lws_get_protocol(wsi);
        unsigned proto = p ? p->id : kHttp;
        switch (reason) {
            case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
                deliverMail();
                return 0;
            case LWS_CALLBACK_HTTP:
                return onHttp(wsi, std::string_view(static_cast<const char*>(in), in ? strlen(static_cast<const char*>(in)) : 0));
            case LWS_CALLBACK_HTTP_BODY:
                return onBody(wsi, std::string_view(static_cast<const char*>(in), len));
            case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
                Conn* c = find(wsi);
                return c ? onBodyComplete(*c) : -1;
            }
            case LWS_CALLBACK_HTTP_WRITEABLE:
                return onHttpWriteable(wsi);
            case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
                // A WebSocket without a subprotocol of ours, or the CLI
                // before there is one, is refused at the upgrade.
                if (proto == kHttp || (proto == kCli && !handlers.cli)) return 1;
                return 0;
            case LWS_CALLBACK_ESTABLISHED: {
                Conn& c = connFor(wsi);
                c.responding = false;
                c.inRequest = false;
                c.ws = true;
                c.out.clear();
                lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);  // the header deadline is met
                return 0;
            }
            case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
                return onAccept(wsi);
            case LWS_CALLBACK_RECEIVE:
                return onWsReceive(wsi, proto, std::string_view(static_cast<const char*>(in), len));
            case LWS_CALLBACK_SERVER_WRITEABLE:
                return onWsWriteable(wsi);
            case LWS_CALLBACK_CLOSED:
            case LWS_CALLBACK_CLOSED_HTTP:
                forget(wsi);
                return 0;
            case LWS_CALLBACK_WSI_DESTROY:
                forget(wsi);
                dropArrival(wsi);
                return 0;
            default:
                return 0;
        }
    }

    void stopAll() {
        {
            std::lock_guard lock(jobMutex);
            jobsStopping = true;
            jobs.clear();
        }
        jobCv.notify_all();
        for (auto& t : handlerThreads) t.join();
        handlerThreads.clear();
        if (context) {
            stopping = true;
            lws_cancel_service(context);
            if (service.joinable()) service.join();
            {
                std::lock_guard lock(mailbox->mutex);
                mailbox->context = nullptr;
                mailbox->letters.clear();
            }
            lws_context_destroy(context);
            context = nullptr;
        }
        conns.clear();
        byId.clear();
        arrivals.clear();
        arrivalOf.clear();
        openCount = 0;
        vhosts.clear();
    }
};

namespace {
int lwsCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    auto* impl = static_cast<HttpServer::Impl*>(lws_context_user(lws_get_context(wsi)));
    if (!impl) return 0;
    return impl->callback(wsi, reason, in, len);
}
}  // namespace

HttpServer::HttpServer(NgDispatcher& dispatcher, HttpHandlers handlers)
    : impl_(std::make_unique<Impl>(dispatcher, std::move(handlers))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() { impl_->stopAll(); }

bool HttpServer::start(const HttpConfig& cfg, std::string& error) {
    Impl& m = *impl_;
    m.cfg = cfg;
    if (m.cfg.handlerThreads < 1) m.cfg.handlerThreads = 1;
    lws_set_log_level(LLL_ERR | LLL_WARN, lwsLog);

    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (!cfg.https.empty()) info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = kProtocols;
    info.user = &m;
    info.count_threads = 1;
    // Header tables for every connection allowed, so none waits for one
    // behind slow clients (each is freed when its request is parsed).
    info.max_http_header_pool = (unsigned short)std::min<size_t>(m.cfg.maxConnections + 8, 0xffff);
    // Room for the connections, the listeners and lws' own descriptors;
    // the limit above is what closes connections before this is reached.
    info.fd_limit_per_thread = (unsigned)(m.cfg.maxConnections + 64);
    m.context = lws_create_context(&info);
    if (!m.context) {
        error = "cannot create the libwebsockets context";
        return false;
    }
    m.mailbox->context = m.context;

    auto addVhost = [&](const net::Endpoint& ep, bool tls) {
        m.names.push_back((tls ? "https-" : "http-") + ep.toString());
        m.ifaces.push_back(ep.address.toString());
        lws_context_creation_info vi{};
        vi.vhost_name = m.names.back().c_str();
        vi.port = ep.port;
        vi.iface = m.ifaces.back().c_str();
        vi.protocols = kProtocols;
        vi.alpn = "http/1.1";  // no HTTP/2: one request per connection at a time
        vi.keepalive_timeout = (int)cfg.headerTimeout;
        vi.timeout_secs = 20;
        // A header table held without finishing the headers (slowloris).
        vi.timeout_secs_ah_idle = cfg.headerTimeout;
        if (ep.address.af() == AF_INET)
            vi.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
        else
            vi.options |= LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
        if (tls) {
            // libwebsockets turns TLS on for a vhost only with this option in
            // the vhost's own options too.
            vi.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
            vi.ssl_cert_filepath = cfg.certFile.c_str();
            vi.ssl_private_key_filepath = cfg.keyFile.empty() ? cfg.certFile.c_str() : cfg.keyFile.c_str();
        }
        {
            std::lock_guard lock(gLwsLogMutex);
            gLwsLastError.clear();
        }
        lws_vhost* vh = lws_create_vhost(m.context, &vi);
        if (!vh) {
            std::lock_guard lock(gLwsLogMutex);
            error = std::string("cannot listen on ") + (tls ? "HTTPS " : "HTTP ") + ep.toString() +
                    (gLwsLastError.empty() ? "" : ": " + gLwsLastError);
            return false;
        }
        m.vhosts.push_back(vh);
        return true;
    };
    m.names.reserve(cfg.http.size() + cfg.https.size());
    m.ifaces.reserve(cfg.http.size() + cfg.https.size());
    for (const auto& ep : cfg.http)
        if (!addVhost(ep, false)) return stop(), false;
    for (const auto& ep : cfg.https)
        if (!addVhost(ep, true)) return stop(), false;

    for (int i = 0; i < m.cfg.handlerThreads; i++)
        m.handlerThreads.emplace_back([&m, i] { m.runHandler((size_t)i); });
    m.service = std::thread([&m] {
        pthread_setname_np(pthread_self(), "ngm-http");
        while (!m.stopping.load()) lws_service(m.context, 0);
    });
    return true;
}

HttpCounters HttpServer::counters() const {
    return {impl_->openCount.load(), impl_->evicted.load(), impl_->refused.load()};
}

std::vector<uint16_t> HttpServer::ports() const {
    std::vector<uint16_t> out;
    for (auto* vh : impl_->vhosts) out.push_back((uint16_t)lws_get_vhost_listen_port(vh));
    return out;
}

}  // namespace ngm::control
