// Untrusted input and long runs: garbage on the control port must be answered
// and must not touch established calls; call churn must not grow memory.
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <thread>
#include <chrono>
#include <unordered_set>

#include "daemon_test.h"

namespace ngm::itest {
namespace {

using Robustness = DaemonTest;


struct Garbage {
    std::string datagram;
    std::string cookie;  // empty: the message has no cookie and gets no reply
    const char* kind;
};

// Deterministic stream of broken ng messages; message i carries cookie "g<i>"
// (sometimes followed by binary bytes) unless it is of the no-cookie kind.
class GarbageGenerator {
  public:
    explicit GarbageGenerator(uint32_t seed) : rng_(seed) { buildTemplates(); }

    Garbage next(int i) {
        Garbage g;
        g.cookie = "g" + std::to_string(i);
        if (pick(8) == 0) g.cookie += randomBytes(1 + pick(6), /*noSpace=*/true);
        std::string body;
        switch (pick(20)) {
            case 0:
            case 1:
            case 2:
                g.kind = "random bytes";
                body = randomBytes(pick(1200), false);
                break;
            case 3:
            case 4:
            case 5:
            case 6:
                g.kind = "flipped template";
                body = flip(tmpl());
                break;
            case 7:
            case 8:
            case 9:
                g.kind = "truncated template";
                body = tmpl();
                body.resize(pick(body.size()));
                break;
            case 10:
                g.kind = "spliced template";
                body = tmpl();
                body.insert(pick(body.size() + 1), tmpl().substr(0, pick(200)));
                break;
            case 11:
            case 12:
                g.kind = "deep nesting";
                body = deepNesting();
                break;
            case 13:
                g.kind = "huge length prefix";
                body = hugeLength();
                break;
            case 14:
                g.kind = "not a dictionary";
                body = nonDict();
                break;
            case 15:
            case 16:
            case 17:
                g.kind = "wrong value types";
                body = wrongTypes();
                break;
            case 18:
                if (pick(10) == 0) {
                    g.kind = "large datagram";
                    body = randomBytes(20000 + pick(40000), false);
                } else {
                    g.kind = "valid template";
                    body = tmpl();
                }
                break;
            default:
                if (pick(4) == 0) {
                    g.kind = "no cookie";
                    g.datagram = pick(2) ? " " + randomBytes(pick(300), false)
                                         : randomBytes(1 + pick(300), true);
                    g.cookie.clear();
                    return g;
                }
                g.kind = "empty or whitespace body";
                body = std::string(pick(4), " \t\r\n"[pick(4)]);
                break;
        }
        g.datagram = g.cookie + " " + body;
        return g;
    }

  private:
    size_t pick(size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng_) : 0; }

    std::string randomBytes(size_t n, bool noSpace) {
        std::string s(n, '\0');
        for (auto& c : s) {
            c = (char)pick(256);
            if (noSpace && c == ' ') c = '_';
        }
        return s;
    }

    const std::string& tmpl() { return templates_[pick(templates_.size())]; }

    std::string flip(std::string s) {
        size_t n = 1 + pick(8);
        for (size_t k = 0; k < n && !s.empty(); k++) s[pick(s.size())] = (char)pick(256);
        return s;
    }

    std::string deepNesting() {
        size_t depth = 33 + pick(20000);
        switch (pick(5)) {
            case 0:
                return std::string(depth, 'l') + std::string(depth, 'e');
            case 1:
                return std::string(depth, 'l');
            case 2: {
                std::string s;
                for (size_t k = 0; k < depth / 4; k++) s += "d1:a";
                return s + "i1e" + std::string(depth / 4, 'e');
            }
            case 3:
                return "d7:command" + std::string(depth, 'l') + std::string(depth, 'e') + "e";
            default:
                return std::string(depth, '[') + std::string(depth, ']');
        }
    }

    std::string hugeLength() {
        static const char* const kForms[] = {
            "99999999:",
            "d7:command99999999:pinge",
            "d99999999999999999999:xe",
            "d7:command4294967296:pinge",
            "d7:command18446744073709551616:pinge",
            "d7:command-1:e",
            "d7:commandi99999999999999999999999ee",
            "d7:command5:querye7:call-id99999999:",
            "d3:sdp2147483647:v=0e",
            "d5:limiti-9223372036854775808e7:command4:liste",
            "d7:command4:list5:limiti99999999999999999999999999ee",
            "999999999999999999999999999999999999999999999999999999:",
            "d0:0:e",
            "d:e",
            "d7:command4:ping99999999",
        };
        return kForms[pick(std::size(kForms))];
    }

    std::string nonDict() {
        static const char* const kForms[] = {
            "le",
            "l7:command4:pinge",
            "i42e",
            "i-0e",
            "4:ping",
            "0:",
            "e",
            "de junk",
            "[]",
            "[{\"command\":\"ping\"}]",
            "\"ping\"",
            "42",
            "null",
            "true",
            "{\"command\":\"ping\"} trailing",
            "{\"command\":\"ping\"",
            "{\"command\":ping}",
            "{command:\"ping\"}",
            "{\"command\":\"ping\",}",
            "{}",
            "{\"command\":\"\\ud800\"}",
            "{\"command\":\"\\u0000\"}",
            "{\"command\":1e999}",
            "d7:command4:pingee",
            "dee",
        };
        return kForms[pick(std::size(kForms))];
    }

    std::string wrongTypes() {
        static const char* const kCommands[] = {"offer", "answer",     "delete", "query",
                                                "list",  "statistics", "ping"};
        static const char* const kKeys[] = {
            "command",
            "call-id",
            "from-tag",
            "to-tag",
            "via-branch",
            "sdp",
            "flags",
            "replace",
            "direction",
            "limit",
            "delete delay",
            "delete-delay",
            "received from",
            "received-from",
            "codec",
            "supports",
            "rtcp-mux",
            "TOS",
            "label",
            "address family",
            "media address",
            "interface",
            "ICE",
            "DTLS",
            "SDES",
            "ptime",
            "record call",
            "metadata",
            "T.38",
            "drop-traffic",
            "transport protocol",
            "set-label",
        };
        std::string s = "d";
        auto str = [](const std::string& v) { return std::to_string(v.size()) + ":" + v; };
        if (pick(6)) s += str("command") + str(kCommands[pick(std::size(kCommands))]);
        size_t n = 1 + pick(6);
        for (size_t k = 0; k < n; k++) {
            s += str(kKeys[pick(std::size(kKeys))]);
            s += randomValue(0);
        }
        if (pick(2)) s += str("call-id") + str("flood-" + std::to_string(pick(10)));
        return s + "e";
    }

    std::string randomValue(int depth) {
        auto str = [](const std::string& v) { return std::to_string(v.size()) + ":" + v; };
        switch (depth > 3 ? pick(4) : pick(7)) {
            case 0:
                return "i" +
                       std::to_string(
                           std::uniform_int_distribution<int64_t>(INT64_MIN, INT64_MAX)(rng_)) +
                       "e";
            case 1:
                return str(randomBytes(pick(40), false));
            case 2:
                return "i9223372036854775807e";
            case 3:
                return str(pick(2) ? "IP4" : "192.0.2.1");
            case 4: {
                std::string l = "l";
                for (size_t k = pick(4); k > 0; k--) l += randomValue(depth + 1);
                return l + "e";
            }
            case 5: {
                std::string d = "d";
                for (size_t k = pick(4); k > 0; k--)
                    d += str(randomBytes(1 + pick(8), false)) + randomValue(depth + 1);
                return d + "e";
            }
            default:
                return "le";
        }
    }

    void buildTemplates() {
        std::string sdp = noPortsSdp("192.0.2.99");
        for (int k = 0; k < 10; k++) {
            std::string id = "flood-" + std::to_string(k), from = "f" + std::to_string(k),
                        to = "t" + std::to_string(k);
            auto add = [&](const Request& r) {
                templates_.push_back(r.bencode());
                templates_.push_back(r.json());
            };
            add(Request("offer")
                    .set("call-id", id)
                    .set("from-tag", from)
                    .set("sdp", sdp)
                    .setList("flags", {"trust-address", "symmetric", "loop-protect"})
                    .setList("replace", {"origin", "session-connection"})
                    .setList("rtcp-mux", {"demux"}));
            add(Request("answer")
                    .set("call-id", id)
                    .set("from-tag", from)
                    .set("to-tag", to)
                    .set("sdp", sdp));
            add(Request("delete")
                    .set("call-id", id)
                    .set("from-tag", from)
                    .setInt("delete delay", 0));
            add(Request("query").set("call-id", id));
            add(Request("list").setInt("limit", 5));
            add(Request("statistics"));
            add(Request("ping"));
            add(Request("block DTMF").set("call-id", id).set("from-tag", from));
        }
    }

    std::mt19937 rng_;
    std::vector<std::string> templates_;
};

// A reply must be "COOKIE DICT" whose dictionary has a string `result`.
bool wellFormed(const std::string& reply, std::string* why, std::map<std::string, int>& results) {
    size_t sp = reply.find(' ');
    Reply r(reply.substr(sp + 1));
    results[r.result()]++;
    if (!r.decoded()) {
        *why = "undecodable reply: " + r.describe(300);
        return false;
    }
    if (!r.root().isDict() || r.result().empty()) {
        *why = "reply without result: " + r.describe(300);
        return false;
    }
    return true;
}

TEST_F(Robustness, GarbageFloodDoesNotDisturbCalls) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    const std::string keeper = "keeper-call-Z9";
    ASSERT_EQ(offer(keeper, "alice", audioSdp(2000, "192.0.2.10")).result(), "ok");
    ASSERT_EQ(answer(keeper, "alice", "bob", audioSdp(3000, "192.0.2.20")).result(), "ok");
    Reply before = query(keeper);
    ASSERT_EQ(before.result(), "ok") << before.describe();
    long rssBefore = daemon.rssKiB();
    ASSERT_GT(rssBefore, 0);

    constexpr int kMessages = 10000;
    constexpr int kBatch = 50;  // bounds the rate: at most this many unanswered at once
    const uint32_t seed = 20240601;
    GarbageGenerator gen(seed);
    int expected = 0, answered = 0, noCookie = 0;
    std::vector<std::string> problems;  // first few, for the failure message
    auto note = [&](std::string p) {
        if (problems.size() < 10) problems.push_back(std::move(p));
    };
    std::unordered_map<std::string, std::string> pending;  // cookie -> kind
    std::map<std::string, int> results;                    // reply `result` -> count
    for (int base = 0; base < kMessages; base += kBatch) {
        pending.clear();
        for (int i = base; i < base + kBatch && i < kMessages; i++) {
            Garbage g = gen.next(i);
            ASSERT_TRUE(ng->send(g.datagram))
                << "send failed for message " << i << " (" << g.kind << ")";
            if (g.cookie.empty()) {
                noCookie++;
                continue;
            }
            expected++;
            pending.emplace(g.cookie, g.kind);
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!pending.empty()) {
            auto left = std::chrono::duration_cast<milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            auto r = ng->receive(left);
            if (!r) break;
            size_t sp = r->find(' ');
            auto it = sp == std::string::npos ? pending.end() : pending.find(r->substr(0, sp));
            if (it == pending.end()) {
                note("reply to no pending request: " + printable(*r, 200));
                continue;
            }
            std::string why;
            if (!wellFormed(*r, &why, results)) note(std::string(it->second) + ": " + why);
            pending.erase(it);
            answered++;
        }
        for (const auto& [cookie, kind] : pending)
            note("no reply to " + printable(cookie) + " (" + kind + ")");
        if (!daemon.alive()) break;
    }
    printf("[ FLOOD    ] %d sent, %d without cookie, %d answered:", kMessages, noCookie, answered);
    for (const auto& [result, n] : results) printf(" %s %d", result.c_str(), n);
    printf("\n");
    std::string problemList;
    for (const auto& p : problems) problemList += "\n  " + p;
    ASSERT_TRUE(daemon.alive()) << "ngmediad " << daemon.exitDescription()
                                << " during the flood (seed " << seed << ")";
    EXPECT_EQ(answered, expected) << "seed " << seed << problemList;
    EXPECT_TRUE(problems.empty()) << problemList;
    EXPECT_GT(noCookie, 0);

    // Business as usual afterwards.
    EXPECT_EQ(ng->request(Request("ping")).result(), "pong");
    Reply o = offer("after-flood", "carol", audioSdp(4000));
    Reply a = answer("after-flood", "carol", "dave", audioSdp(5000, "192.0.2.20"));
    EXPECT_EQ(o.result(), "ok") << o.describe();
    EXPECT_EQ(a.result(), "ok") << a.describe();
    EXPECT_TRUE(sdpMediaPorts(o.sdp()) && sdpMediaPorts(a.sdp()));
    EXPECT_EQ(deleteNow("after-flood", "carol").result(), "ok");
    EXPECT_FALSE(isListed("after-flood"));

    Reply after = query(keeper);
    EXPECT_EQ(after.body(), before.body()) << "the established call changed during the flood";

    long rssAfter = daemon.rssKiB();
    printf("[ RSS      ] before flood %ld KiB, after %ld KiB (+%ld KiB)\n", rssBefore, rssAfter,
           rssAfter - rssBefore);
    if (kRssMeaningful)
        EXPECT_LT(rssAfter - rssBefore, 5 * 1024)
            << "RSS grew by " << (rssAfter - rssBefore) << " KiB";
    else
        printf("[ RSS      ] not checked: sanitizer build\n");
}

TEST_F(Robustness, ChurnDoesNotGrowMemory) {
    if (underOracle()) GTEST_SKIP() << "needs --ng-reply-cache, an ngmediad option";
    // Replies are cached for retransmissions; a 1 s cache lets the test read
    // RSS once they have expired instead of waiting out the default 30 s.
    ASSERT_TRUE(startDaemon({.args = {"--delete-delay=0", "--log-level=5", "--ng-reply-cache=1"}}))
        << daemon.error();
    auto settledRss = [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return daemon.rssKiB();
    };
    int idleFds = daemon.openFds();
    int failures = 0;
    std::string firstFailure;
    auto cycle = [&](int i) {
        std::string id = "churn-" + std::to_string(i);
        Reply o = offer(id, "alice", audioSdp(2000));
        Reply a = answer(id, "alice", "bob", audioSdp(3000, "192.0.2.20"));
        Reply d = ng->request(Request("delete").set("call-id", id).set("from-tag", "alice"));
        if (o.result() != "ok" || a.result() != "ok" || d.result() != "ok") {
            if (failures++ == 0)
                firstFailure = "cycle " + std::to_string(i) + ": offer " + o.describe(200) +
                               ", answer " + a.describe(200) + ", delete " + d.describe(200);
        }
    };
    constexpr int kWarmup = 500, kTotal = 5000;
    for (int i = 0; i < kWarmup; i++) cycle(i);
    long rssWarm = settledRss();
    for (int i = kWarmup; i < kTotal; i++) cycle(i);
    long rssEnd = settledRss();
    long perCycle = (rssEnd - rssWarm) * 1024 / (kTotal - kWarmup);
    printf(
        "[ RSS      ] after %d cycles %ld KiB, after %d cycles %ld KiB (+%ld KiB, ~%ld bytes per "
        "cycle)\n",
        kWarmup, rssWarm, kTotal, rssEnd, rssEnd - rssWarm, perCycle);

    EXPECT_EQ(failures, 0) << firstFailure;
    if (kRssMeaningful)
        EXPECT_LE(rssEnd, rssWarm + rssWarm / 10 + 2048)
            << "RSS grew from " << rssWarm << " KiB to " << rssEnd << " KiB over "
            << kTotal - kWarmup << " cycles (~" << perCycle
            << " bytes per offer/answer/delete cycle)";
    else
        printf("[ RSS      ] not checked: sanitizer build\n");
    EXPECT_EQ(daemon.openFds(), idleFds);
    EXPECT_TRUE(listCalls().empty());
}

}  // namespace
}  // namespace ngm::itest
