// HTTP, HTTPS and WebSocket control (--listen-http, --listen-https) and
// Prometheus /metrics, against the real daemon. The suite also runs against
// Debian's rtpengine (integration.oracle_http, CMakeLists.txt): the metric
// families and the replies are then rtpengine's own; tests of a deliberate
// difference skip under it, saying which.
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "daemon_test.h"
#include "http_client.h"

namespace ngm::itest {
namespace {

constexpr const char* kNgType = "Content-Type: application/x-rtpengine-ng\r\n";

class HttpControl : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        DaemonConfig cfg;
        cfg.http = true;
        cfg.args.push_back("--delete-delay=0");
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }
    void TearDown() override {
        DaemonTest::TearDown();
        if (!pem_.empty()) {
            std::string dir = pem_.substr(0, pem_.rfind('/'));
            for (const char* f : {"/server.pem", "/server.pem.key", "/server.pem.crt"})
                unlink((dir + f).c_str());
            rmdir(dir.c_str());
        }
    }
    // Restarts the daemon with an HTTPS listener too.
    void restartWithHttps() {
        std::string why;
        pem_ = makeTestCertificate(why);
        ASSERT_FALSE(pem_.empty()) << why;
        daemon.stop();
        DaemonConfig cfg;
        cfg.http = true;
        cfg.httpsPem = pem_;
        ASSERT_TRUE(startDaemon(cfg)) << daemon.error();
    }

    // POST /ng of "COOKIE BODY"; the reply's body after the cookie.
    Reply postNg(HttpClient& c, const std::string& cookie, const std::string& body) {
        auto r = c.request("POST", "/ng", cookie + " " + body, kNgType);
        if (!r) return Reply();
        EXPECT_EQ(r->status, 200) << r->body;
        EXPECT_EQ(r->headers["content-type"], "application/x-rtpengine-ng");
        if (r->body.compare(0, cookie.size() + 1, cookie + " ") != 0) {
            ADD_FAILURE() << "reply without the cookie: " << printable(r->body);
            return Reply();
        }
        return Reply(r->body.substr(cookie.size() + 1));
    }
    Reply wsNg(HttpClient& c, const std::string& cookie, const std::string& body) {
        if (!c.sendMessage(cookie + " " + body)) return Reply();
        auto f = c.readFrame();
        if (!f || f->payload.compare(0, cookie.size() + 1, cookie + " ") != 0) return Reply();
        return Reply(f->payload.substr(cookie.size() + 1));
    }
    std::string metrics() {
        HttpClient c(daemon.httpPort(), false);
        auto r = c.request("GET", "/metrics");
        if (!r) return {};
        EXPECT_EQ(r->status, 200);
        return r->body;
    }
    bool udpPingAnswers() { return ng->request(Request("ping")).result() == "pong"; }

    std::string pem_;
};

// Offer, answer and delete of one call over `exchange` (an ng transport).
template <typename Exchange>
void offerAnswerDelete(Exchange exchange, int portMin, int portMax, const std::string& callId) {
    Request offer("offer");
    offer.set("call-id", callId).set("from-tag", "ft").set("sdp", audioSdp(6000));
    Reply o = exchange("o" + callId, offer.bencode());
    ASSERT_EQ(o.result(), "ok") << o.describe();
    auto ports = sdpMediaPorts(o.sdp());
    ASSERT_TRUE(ports);
    EXPECT_GE(ports->rtp, portMin);
    EXPECT_LE(ports->rtp, portMax);
    Request answer("answer");
    answer.set("call-id", callId).set("from-tag", "ft").set("to-tag", "tt").set("sdp", audioSdp(6002));
    Reply a = exchange("a" + callId, answer.bencode());
    ASSERT_EQ(a.result(), "ok") << a.describe();
    EXPECT_TRUE(sdpMediaPorts(a.sdp()));
    Request del("delete");
    del.set("call-id", callId).set("from-tag", "ft");
    Reply d = exchange("d" + callId, del.bencode());
    EXPECT_EQ(d.result(), "ok") << d.describe();
}

TEST_F(HttpControl, PingAnswersPong) {
    HttpClient c(daemon.httpPort(), false);
    ASSERT_TRUE(c.ok()) << c.error();
    auto r = c.request("GET", "/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "pong\n");
    EXPECT_EQ(r->headers["content-type"], "text/plain");
    // Keep-alive: a second request on the same connection.
    auto again = c.request("GET", "/ping");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->body, "pong\n");
}

TEST_F(HttpControl, NgOverHttpRunsOfferAnswerDelete) {
    HttpClient c(daemon.httpPort(), false);
    ASSERT_TRUE(c.ok()) << c.error();
    offerAnswerDelete([&](const std::string& cookie, const std::string& body) { return postNg(c, cookie, body); },
                      daemon.portMin(), daemon.portMax(), "http-call-1");
    // The call is gone for the other transports too.
    Request q("query");
    q.set("call-id", "http-call-1");
    EXPECT_EQ(ng->request(q).result(), "error");
}

TEST_F(HttpControl, NgOverHttpTakesJsonAfterTheCookie) {
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("POST", "/ng", "j1 {\"command\":\"ping\"}", kNgType);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("pong"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.rfind("j1 ", 0), 0u) << r->body;
}

TEST_F(HttpControl, NgWithAnotherContentTypeIsNotFound) {
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("POST", "/ng", "t1 d7:command4:pinge", "Content-Type: application/json\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    HttpClient c2(daemon.httpPort(), false);
    auto g = c2.request("GET", "/ng");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 404);
    HttpClient c3(daemon.httpPort(), false);
    auto u = c3.request("GET", "/no-such-thing");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->status, 404);
    EXPECT_TRUE(udpPingAnswers());
}

TEST_F(HttpControl, GarbageNgBodyGetsAnErrorReply) {
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("POST", "/ng", "g1 this is not bencode", kNgType);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    ASSERT_EQ(r->body.rfind("g1 ", 0), 0u) << r->body;
    Reply body(r->body.substr(3));
    EXPECT_EQ(body.result(), "error") << body.describe();
    EXPECT_TRUE(udpPingAnswers());
}

TEST_F(HttpControl, NgBodyWithoutCookieIsBadRequest) {
    if (underOracle()) GTEST_SKIP() << "rtpengine answers HTTP status 600; ngmediad 400";
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("POST", "/ng", "nocookie", kNgType);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(udpPingAnswers());
}

TEST_F(HttpControl, OversizedNgBodyIsRefusedWith413) {
    if (underOracle()) GTEST_SKIP() << "rtpengine's limits differ; this checks ngmediad's 1 MiB limit";
    HttpClient c(daemon.httpPort(), false);
    std::string big = "b1 " + std::string(2 << 20, 'x');
    auto r = c.request("POST", "/ng", big, kNgType);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    // Far beyond: refused before the body is read, and the connection closed.
    HttpClient c3(daemon.httpPort(), false);
    ASSERT_TRUE(c3.writeRaw(std::string("POST /ng HTTP/1.1\r\nHost: x\r\n") + kNgType +
                            "Content-Length: 1000000000\r\n\r\n"));
    auto r3 = c3.request("GET", "/ping");  // reads the 413 the daemon sent for the POST
    if (r3) {
        EXPECT_EQ(r3->status, 413);
    }
    EXPECT_TRUE(udpPingAnswers());
    HttpClient after(daemon.httpPort(), false);
    auto p = after.request("GET", "/ping");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->body, "pong\n");
}

TEST_F(HttpControl, ChunkedNgBodyNeedsALength) {
    if (underOracle()) GTEST_SKIP() << "rtpengine never answers a chunked POST; ngmediad says 411";
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("POST", "/ng", "5\r\nc1 d7\r\n0\r\n\r\n",
                       std::string(kNgType) + "Transfer-Encoding: chunked\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 411);
    EXPECT_TRUE(udpPingAnswers());
}

// The CLI over HTTP (GET /cli/<command>, spaces as '+') and WebSocket.
TEST_F(HttpControl, CliCommandsOverHttpAndWebSocket) {
    HttpClient c(daemon.httpPort(), false);
    auto r = c.request("GET", "/cli/list+numsessions");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("Current sessions own: 0"), std::string::npos) << r->body;
    HttpClient w(daemon.httpPort(), false);
    ASSERT_EQ(w.upgrade("cli.rtpengine.com"), 101);
    ASSERT_TRUE(w.sendMessage("list numsessions"));
    auto f = w.readFrame();
    ASSERT_TRUE(f);
    EXPECT_NE(f->payload.find("Current sessions own: 0"), std::string::npos) << f->payload;
}

TEST_F(HttpControl, MalformedHttpAndWebSocketInputOnlyClosesThatConnection) {
    {
        HttpClient c(daemon.httpPort(), false);
        ASSERT_TRUE(c.writeRaw("\x16\x03\x01 not http at all\r\n\r\n"));
        auto r = c.request("GET", "/ping");
        if (r) {
            EXPECT_NE(r->status, 200);
        }
    }
    {
        // A header flood beyond what libwebsockets keeps for a request.
        HttpClient c(daemon.httpPort(), false);
        std::string headers;
        for (int i = 0; i < 2000; i++) headers += "X-Flood-" + std::to_string(i) + ": " + std::string(64, 'h') + "\r\n";
        auto r = c.request("GET", "/ping", {}, headers);
        if (r) {
            EXPECT_NE(r->status, 200);
        }
    }
    {
        // A client frame without a mask: RFC 6455 §5.1 wants the server to
        // close; libwebsockets 4.1 takes it (rtpengine's too). Either way the
        // daemon carries on.
        HttpClient c(daemon.httpPort(), false);
        ASSERT_EQ(c.upgrade("echo.rtpengine.com"), 101);
        ASSERT_TRUE(c.writeRaw(std::string("\x81\x05hello", 7)));
        auto f = c.readFrame();
        if (f && f->opcode != 8) {
            EXPECT_EQ(f->payload, "hello");
        }
    }
    // A frame announcing 2^62 bytes: closed at once (1009). (rtpengine waits
    // for the bytes, until the client's timeout.)
    if (!underOracle()) {
        HttpClient c(daemon.httpPort(), false);
        ASSERT_EQ(c.upgrade("ng.rtpengine.com"), 101);
        ASSERT_TRUE(c.writeRaw(std::string("\x82\xff\x40\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04xxxx", 18)));
        auto f = c.readFrame();
        if (f) {
            EXPECT_EQ(f->opcode, 8);
        }
    }
    EXPECT_TRUE(udpPingAnswers());
    HttpClient after(daemon.httpPort(), false);
    auto p = after.request("GET", "/ping");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->body, "pong\n");
}

TEST_F(HttpControl, WebSocketEchoReturnsEachMessage) {
    HttpClient c(daemon.httpPort(), false);
    ASSERT_EQ(c.upgrade("echo.rtpengine.com"), 101);
    ASSERT_TRUE(c.sendMessage("hello"));
    auto f = c.readFrame();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->opcode, 2);  // binary, as rtpengine answers even a text frame
    EXPECT_EQ(f->payload, "hello");
    // A message larger than one receive buffer, in three fragments.
    std::string big(200000, 'q');
    for (size_t i = 0; i < big.size(); i += 997) big[i] = char('a' + i % 26);
    ASSERT_TRUE(c.sendMessage(big, true, 3));
    auto g = c.readFrame();
    ASSERT_TRUE(g);
    EXPECT_EQ(g->opcode, 2);
    EXPECT_EQ(g->payload, big);
}

TEST_F(HttpControl, WebSocketNgRunsOfferAnswerDelete) {
    HttpClient c(daemon.httpPort(), false);
    ASSERT_EQ(c.upgrade("ng.rtpengine.com"), 101);
    offerAnswerDelete([&](const std::string& cookie, const std::string& body) { return wsNg(c, cookie, body); },
                      daemon.portMin(), daemon.portMax(), "ws-call-1");
}

TEST_F(HttpControl, WebSocketMessageTooLargeClosesWith1009) {
    if (underOracle()) GTEST_SKIP() << "rtpengine's limits differ; this checks ngmediad's 1 MiB limit";
    HttpClient c(daemon.httpPort(), false);
    ASSERT_EQ(c.upgrade("ng.rtpengine.com"), 101);
    c.sendMessage("x1 " + std::string(2 << 20, 'x'));
    auto f = c.readFrame();
    if (f) {
        EXPECT_EQ(f->opcode, 8);  // close
        ASSERT_GE(f->payload.size(), 2u);
        EXPECT_EQ(((uint8_t)f->payload[0] << 8) | (uint8_t)f->payload[1], 1009);
    }
    EXPECT_TRUE(udpPingAnswers());
}

TEST_F(HttpControl, HttpsAndWssServePingAndNg) {
    restartWithHttps();
    HttpClient c(daemon.httpsPort(), true);
    ASSERT_TRUE(c.ok()) << c.error();
    auto r = c.request("GET", "/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "pong\n");
    offerAnswerDelete([&](const std::string& cookie, const std::string& body) { return postNg(c, cookie, body); },
                      daemon.portMin(), daemon.portMax(), "https-call-1");
    HttpClient w(daemon.httpsPort(), true);
    ASSERT_TRUE(w.ok()) << w.error();
    ASSERT_EQ(w.upgrade("ng.rtpengine.com"), 101);
    EXPECT_EQ(wsNg(w, "p1", "d7:command4:pinge").result(), "pong");
    // Plain HTTP on the HTTPS port gets no answer.
    HttpClient plain(daemon.httpsPort(), false);
    EXPECT_FALSE(plain.request("GET", "/ping"));
}

// rtpengine 10.5's families, as its /metrics exports them (recorded from
// Debian's 10.5.3.5 with a call up; the oracle run proves the list): name,
// type, label names.
struct Family {
    const char* name;
    const char* type;
    std::set<std::string> labels;
};
const Family kRtpengineFamilies[] = {
    {"rtpengine_sessions", "gauge", {"type"}},
    {"rtpengine_transcoded_media", "gauge", {}},
    {"rtpengine_mediastreams", "gauge", {"type"}},
    {"rtpengine_uptime_seconds", "gauge", {}},
    {"rtpengine_sessions_total", "counter", {}},
    {"rtpengine_closed_sessions_total", "counter", {"reason"}},
    {"rtpengine_packets_total", "counter", {"type"}},
    {"rtpengine_packet_errors_total", "counter", {"type"}},
    {"rtpengine_bytes_total", "counter", {"type"}},
    {"rtpengine_zero_packet_streams_total", "counter", {}},
    {"rtpengine_one_way_sessions_total", "counter", {}},
    {"rtpengine_call_duration_avg", "gauge", {}},
    {"rtpengine_call_duration_total", "counter", {}},
    {"rtpengine_call_duration2_total", "counter", {}},
    {"rtpengine_mos_total", "counter", {}},
    {"rtpengine_mos2_total", "counter", {}},
    {"rtpengine_mos_samples_total", "counter", {}},
    {"rtpengine_requests_total", "counter", {"proxy", "request"}},
    {"rtpengine_request_seconds_total", "counter", {"proxy", "request"}},
    {"rtpengine_errors_total", "counter", {"proxy"}},
    {"rtpengine_ports_used", "gauge", {"name", "address"}},
    {"rtpengine_ports_free", "gauge", {"name", "address"}},
    {"rtpengine_ports", "gauge", {"name", "address"}},
};

struct Parsed {
    std::map<std::string, std::string> types;
    std::map<std::string, std::set<std::set<std::string>>> labelSets;
    std::map<std::string, std::string> values;  // "name{labels}" -> value
};
Parsed parseExposition(const std::string& text) {
    Parsed p;
    std::istringstream in(text);
    std::string line;
    static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$)");
    static const std::regex kLabel(R"(([a-zA-Z_][a-zA-Z0-9_]*)=")");
    while (std::getline(in, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream t(line.substr(7));
            std::string n, ty;
            t >> n >> ty;
            p.types[n] = ty;
            continue;
        }
        std::smatch m;
        if (line.empty() || line[0] == '#' || !std::regex_match(line, m, kSample)) continue;
        std::set<std::string> names;
        std::string labels = m[3];
        for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel); it != std::sregex_iterator(); ++it)
            names.insert((*it)[1]);
        p.labelSets[m[1]].insert(names);
        p.values[std::string(m[1]) + std::string(m[2])] = m[4];
    }
    return p;
}

TEST_F(HttpControl, MetricsHaveRtpengineFamiliesTypesAndLabels) {
    Request offer("offer");
    offer.set("call-id", "metrics-1").set("from-tag", "ft").set("sdp", audioSdp(6000));
    ASSERT_EQ(ng->request(offer).result(), "ok");
    std::string text = metrics();
    Parsed p = parseExposition(text);
    for (const Family& f : kRtpengineFamilies) {
        ASSERT_TRUE(p.types.count(f.name)) << f.name << " missing in:\n" << text;
        EXPECT_EQ(p.types[f.name], f.type) << f.name;
        ASSERT_EQ(p.labelSets[f.name].size(), 1u) << f.name;
        EXPECT_EQ(*p.labelSets[f.name].begin(), f.labels) << f.name;
    }
    for (const auto& [name, type] : p.types) {
        bool known = false;
        for (const Family& f : kRtpengineFamilies) known = known || name == f.name;
        EXPECT_TRUE(known || name.rfind("ngmedia_", 0) == 0) << "unexpected family " << name;
    }
    EXPECT_EQ(p.values["rtpengine_sessions{type=\"own\"}"], "1") << text;
    EXPECT_EQ(p.values["rtpengine_requests_total{proxy=\"127.0.0.1\",request=\"offer\"}"], "1") << text;
    std::string ports = "rtpengine_ports{name=\"default\",address=\"127.0.0.1\"}";
    EXPECT_EQ(p.values[ports], std::to_string(daemon.portMax() - daemon.portMin() + 1)) << text;
    EXPECT_EQ(p.values["rtpengine_ports_used{name=\"default\",address=\"127.0.0.1\"}"], "4") << text;  // RTP and RTCP of both sides
}

TEST_F(HttpControl, MetricsOfOurOwnCountPerWorker) {
    if (underOracle()) GTEST_SKIP() << "ngmedia_* families are ngmediad's own";
    Parsed p = parseExposition(metrics());
    for (const char* f : {"ngmedia_worker_packets_total", "ngmedia_worker_bytes_total",
                          "ngmedia_worker_packet_errors_total", "ngmedia_worker_media_with_traffic",
                          "ngmedia_reply_cache_entries"})
        EXPECT_TRUE(p.types.count(f)) << f;
    EXPECT_TRUE(p.values.count("ngmedia_worker_packets_total{worker=\"0\"}"));
}

TEST_F(HttpControl, MetricsPassPromtoolCheck) {
    if (underOracle()) GTEST_SKIP() << "rtpengine 10.5 leaves some families without HELP, which promtool flags";
    Request offer("offer");
    offer.set("call-id", "metrics-2").set("from-tag", "ft").set("sdp", audioSdp(6000));
    ASSERT_EQ(ng->request(offer).result(), "ok");
    struct stat st;
    if (stat("/usr/bin/promtool", &st) != 0)
        GTEST_SKIP() << "promtool (Debian package prometheus, scripts/install-deps.sh) is not installed";
    std::string out;
    int rc = promtoolCheck(metrics(), out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out, "");
}

// packaging/grafana-ngmedia.json: every metric its queries name is one that
// /metrics exports, and every query is valid PromQL (promtool check rules,
// with Grafana's variables given values).
TEST_F(HttpControl, GrafanaDashboardQueriesNameExportedMetrics) {
    std::ifstream f(std::string(NGM_SOURCE_DIR) + "/packaging/grafana-ngmedia.json");
    ASSERT_TRUE(f) << "packaging/grafana-ngmedia.json missing";
    std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Request offer("offer");
    offer.set("call-id", "grafana-1").set("from-tag", "ft").set("sdp", audioSdp(6000));
    ASSERT_EQ(ng->request(offer).result(), "ok");
    Parsed exported = parseExposition(metrics());

    static const std::regex kQuery(R"re("(?:expr|definition)": "((?:[^"\\]|\\.)*)")re");
    static const std::regex kMetric(R"(\b((?:rtpengine|ngmedia)_[a-z0-9_]+))");
    std::vector<std::string> queries;
    for (auto it = std::sregex_iterator(json.begin(), json.end(), kQuery); it != std::sregex_iterator(); ++it) {
        std::string q = (*it)[1];
        for (size_t p = q.find("\\\""); p != std::string::npos; p = q.find("\\\"", p)) q.replace(p, 2, "\"");
        queries.push_back(q);
    }
    ASSERT_GE(queries.size(), 10u);
    size_t named = 0;
    for (const auto& q : queries) {
        for (auto it = std::sregex_iterator(q.begin(), q.end(), kMetric); it != std::sregex_iterator(); ++it) {
            std::string m = (*it)[1];
            named++;
            if (underOracle() && m.rfind("ngmedia_", 0) == 0) continue;  // ours only
            // A histogram's series are named after its family plus a suffix.
            for (const char* suffix : {"_bucket", "_sum", "_count"}) {
                std::string_view sv(m), sx(suffix);
                if (sv.ends_with(sx)) {
                    auto t = exported.types.find(std::string(sv.substr(0, sv.size() - sx.size())));
                    if (t != exported.types.end() && t->second == "histogram") m = t->first;
                }
            }
            EXPECT_TRUE(exported.types.count(m)) << m << " in " << q;
        }
    }
    EXPECT_GE(named, queries.size());

    struct stat st;
    if (stat("/usr/bin/promtool", &st) != 0)
        GTEST_SKIP() << "promtool (Debian package prometheus, scripts/install-deps.sh) is not installed";
    char path[] = "/tmp/ngmedia-dashboard-rules-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string rules = "groups:\n- name: dashboard\n  rules:\n";
    int n = 0;
    for (std::string q : queries) {
        if (q.rfind("label_values(", 0) == 0) continue;  // a Grafana function, not PromQL
        for (auto [var, value] : {std::pair<std::string, std::string>{"$__rate_interval", "5m"}, {"$instance", ".*"}})
            for (size_t p = q.find(var); p != std::string::npos; p = q.find(var, p)) q.replace(p, var.size(), value);
        std::string quoted;
        for (char c : q) quoted += c == '\'' ? std::string("''") : std::string(1, c);
        rules += "  - record: dashboard:q" + std::to_string(n++) + "\n    expr: '" + quoted + "'\n";
    }
    ASSERT_EQ(write(fd, rules.data(), rules.size()), (ssize_t)rules.size());
    close(fd);
    std::string out;
    FILE* p = popen((std::string("promtool check rules ") + path + " 2>&1").c_str(), "r");
    ASSERT_TRUE(p);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
    int rc = pclose(p);
    unlink(path);
    EXPECT_EQ(rc, 0) << out << "\n" << rules;
}

}  // namespace
}  // namespace ngm::itest
