// rtpengine-ctl's commands: the wording and layouts are rtpengine 10.5's
// (recorded from Debian's binary, see tests/unit/control/cli_test.cpp);
// where 10.5 crashes or prints a wrong figure, docs/compatibility.md says
// what ngmediad does instead.
#include "control/cli.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "common/clock.h"
#include "common/log.h"
#include "control/ng_commands.h"
#include "control/ng_dispatcher.h"
#include "control/ng_statistics.h"
#include "session/call.h"
#include "session/worker.h"

namespace ngm::control {

using bencode::Value;

namespace {

constexpr std::string_view kMore = "More parameters required.\n";

std::string strf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string strf(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return {};
    if ((size_t)n < sizeof buf) return std::string(buf, (size_t)n);
    std::string s((size_t)n, '\0');
    va_start(ap, fmt);
    vsnprintf(s.data(), s.size() + 1, fmt, ap);
    va_end(ap);
    return s;
}

std::string joinFrom(const std::vector<std::string_view>& a, size_t i) {
    std::string s;
    for (; i < a.size(); i++) {
        if (!s.empty()) s += ' ';
        s += a[i];
    }
    return s;
}

std::string unknown(const std::vector<std::string_view>& a, size_t i) {
    return "Unknown or incomplete command::" + joinFrom(a, i) + "\n";
}

std::string help(std::initializer_list<std::string_view> subs) {
    std::string s = "Available sub-commands at this level:\n";
    for (auto n : subs) {
        s += '\t';
        s += n;
        s += '\n';
    }
    return s;
}

// --- reading the statistics reply ---------------------------------------

const Value* at(const Value* v, std::string_view key) {
    return v && v->isDict() ? v->find(key) : nullptr;
}

std::string text(const Value* v) {
    if (!v) return "0";
    if (v->isInteger()) return std::to_string(v->integer());
    if (v->isString()) return std::string(v->str());
    return "";
}

void line(std::string& out, std::string_view label, const std::string& value,
          std::string_view suffix = {}) {
    out += strf(" %-48.*s:%s%.*s\n", (int)label.size(), label.data(), value.c_str(),
                (int)suffix.size(), suffix.data());
}

struct Row {
    std::string_view key, label, suffix;
};

// currentstatistics and the counters, in rtpengine's order.
constexpr Row kRates[] = {
    {"packetrate_user", "Packets per second (userspace)", ""},
    {"byterate_user", "Bytes per second (userspace)", ""},
    {"errorrate_user", "Errors per second (userspace)", ""},
    {"packetrate_kernel", "Packets per second (kernel)", ""},
    {"byterate_kernel", "Bytes per second (kernel)", ""},
    {"errorrate_kernel", "Errors per second (kernel)", ""},
    {"packetrate", "Packets per second (total)", ""},
    {"byterate", "Bytes per second (total)", ""},
    {"errorrate", "Errors per second (total)", ""},
};
constexpr Row kCurrentHead[] = {
    {"sessionsown", "Owned sessions", ""},
    {"sessionsforeign", "Foreign sessions", ""},
    {"sessionstotal", "Total sessions", ""},
    {"transcodedmedia", "Transcoded media", ""},
};
constexpr Row kCurrentTail[] = {
    {"media_userspace", "Userspace-only media streams", ""},
    {"media_kernel", "Kernel-only media streams", ""},
    {"media_mixed", "Mixed kernel/userspace media streams", ""},
};
constexpr Row kTotals[] = {
    {"uptime", "Uptime of rtpengine", " seconds"},
    {"managedsessions", "Total managed sessions", ""},
    {"rejectedsessions", "Total rejected sessions", ""},
    {"timeoutsessions", "Total timed-out sessions via TIMEOUT", ""},
    {"silenttimeoutsessions", "Total timed-out sessions via SILENT_TIMEOUT", ""},
    {"finaltimeoutsessions", "Total timed-out sessions via FINAL_TIMEOUT", ""},
    {"offertimeoutsessions", "Total timed-out sessions via OFFER_TIMEOUT", ""},
    {"regularterminatedsessions", "Total regular terminated sessions", ""},
    {"forcedterminatedsessions", "Total forced terminated sessions", ""},
    {"relayedpackets_user", "Total relayed packets (userspace)", ""},
    {"relayedpacketerrors_user", "Total relayed packet errors (userspace)", ""},
    {"relayedbytes_user", "Total relayed bytes (userspace)", ""},
    {"relayedpackets_kernel", "Total relayed packets (kernel)", ""},
    {"relayedpacketerrors_kernel", "Total relayed packet errors (kernel)", ""},
    {"relayedbytes_kernel", "Total relayed bytes (kernel)", ""},
    {"relayedpackets", "Total relayed packets", ""},
    {"relayedpacketerrors", "Total relayed packet errors", ""},
    {"relayedbytes", "Total relayed bytes", ""},
    {"zerowaystreams", "Total number of streams with no relayed packets", ""},
    {"onewaystreams", "Total number of 1-way streams", ""},
    {"avgcallduration", "Average call duration", " seconds"},
    {"totalcallsduration", "Total calls duration", " seconds"},
    {"totalcallsduration2", "Total calls duration squared", " seconds squared"},
    {"totalcallsduration_stddev", "Total calls duration standard deviation", " seconds"},
};
constexpr Row kMos[] = {
    {"mos_total", "Sum of all MOS values sampled", ""},
    {"mos2_total", "Sum of all MOS square values sampled", ""},
    {"mos_samples_total", "Total number of MOS samples", ""},
    {"mos_average", "Average MOS", ""},
    {"mos_stddev", "MOS standard deviation", ""},
};

// The column titles of the control statistics, by the command's control key.
constexpr std::pair<std::string_view, std::string_view> kColumnTitles[] = {
    {"ping", "Ping"},           {"offer", "Offer"},           {"answer", "Answer"},
    {"delete", "Delete"},       {"query", "Query"},           {"list", "List"},
    {"startrec", "StartRec"},   {"stoprec", "StopRec"},       {"startfwd", "StartFwd"},
    {"stopfwd", "StopFwd"},     {"blkdtmf", "BlkDTMF"},       {"unblkdtmf", "UnblkDTMF"},
    {"blkmedia", "BlkMedia"},   {"unblkmedia", "UnblkMedia"}, {"playmedia", "PlayMedia"},
    {"stopmedia", "StopMedia"}, {"playdtmf", "PlayDTMF"},     {"stats", "Stats"},
    {"slnmedia", "SlnMedia"},   {"unslnmedia", "UnslnMedia"}, {"pub", "Pub"},
    {"subreq", "SubReq"},       {"subans", "SubAns"},         {"unsub", "Unsub"},
};

std::string_view columnTitle(std::string_view controlKey) {
    for (auto& [k, t] : kColumnTitles)
        if (k == controlKey) return t;
    return controlKey;
}

void rows(std::string& out, const Value* dict, std::span<const Row> rs) {
    for (const Row& r : rs) line(out, r.label, text(at(dict, r.key)), r.suffix);
}

std::string keyOf(std::string_view a, std::string_view b, std::string_view c) {
    std::string k(a);
    k += b;
    k += c;
    return k;
}

// --- JSON (jsonstats) -----------------------------------------------------

// The statistics reply keeps its decimals as strings (bencode has no
// floats); rtpengine's JSON writes them as numbers. Names and addresses stay
// strings.
bool numeric(std::string_view s) {
    if (s.empty()) return false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    bool dot = false;
    for (; i < s.size(); i++) {
        if (s[i] == '.') {
            if (dot) return false;
            dot = true;
        } else if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return s.back() != '.';
}

void json(std::string& out, const Value& v, std::string_view key) {
    switch (v.type()) {
        case Value::Type::Integer:
            out += std::to_string(v.integer());
            return;
        case Value::Type::String: {
            bool raw = numeric(v.str()) && key != "name" && key != "address" && key != "proxy";
            if (raw) {
                out += v.str();
                return;
            }
            out += '"';
            for (char ch : v.str()) {
                if (ch == '"' || ch == '\\') {
                    out += '\\';
                    out += ch;
                } else if ((unsigned char)ch < 0x20) {
                    out += strf("\\u%04x", (unsigned)(unsigned char)ch);
                } else {
                    out += ch;
                }
            }
            out += '"';
            return;
        }
        case Value::Type::List:
            out += '[';
            for (size_t i = 0; i < v.items().size(); i++) {
                if (i) out += ',';
                json(out, v.items()[i], {});
            }
            out += ']';
            return;
        case Value::Type::Dict:
            out += '{';
            for (size_t i = 0; i < v.entries().size(); i++) {
                if (i) out += ',';
                out += '"';
                out += v.entries()[i].first;
                out += "\":";
                json(out, v.entries()[i].second, v.entries()[i].first);
            }
            out += '}';
            return;
    }
}

// --- calls ------------------------------------------------------------------

// A participant's section of `list sessions <call-id>` / `call … info`.
void formatTag(std::string& out, const session::Call& call, const session::Participant& p,
               int64_t nowUs) {
    const char* type = p.tag.empty() ? "UNKNOWN_TAG" : p.seq == 0 ? "FROM_TAG" : "TO_TAG";
    // Participants know their creation to the second; the call to the µs.
    int64_t createdUs = p.created == call.created ? call.createdUs : p.created * 1000000;
    double duration = (double)(nowUs - createdUs) / 1e6;
    out += strf("--- Tag '%s', type: %s, label '%s', branch '%s', callduration %.6f\n",
                p.tag.c_str(), type, p.label.c_str(), p.viaBranch.c_str(), duration);
    for (const auto* s : p.subscriptions) out += "---     subscribed to '" + s->tag + "'\n";
    for (const auto& [k, q] : call.participants)
        if (std::find(q->subscriptions.begin(), q->subscriptions.end(), &p) !=
            q->subscriptions.end())
            out += "---     subscription of '" + q->tag + "'\n";
    for (const auto& m : p.media) {
        if (!m) continue;
        out += strf("------ Media #%d (%s over %s) using unknown codec\n", m->index,
                    m->type.c_str(), m->proto.c_str());
        for (const session::Stream* st : {&m->rtp, &m->rtcp}) {
            if (!st->attached()) continue;
            net::Endpoint peer = st->endpoint().valid() ? st->endpoint() : st->advertised();
            std::string local = st->local().address.toString();
            std::string remote = peer.valid() ? peer.address.toString() : "";
            const auto& s = st->stats();
            out += strf("-------- Port %15s:%-5u <> %15s:%-5u%s, SSRC %x, %" PRIu64 " p, %" PRIu64
                        " b, %" PRIu64 " e, %" PRId64 " ts\n",
                        local.c_str(), (unsigned)st->local().port, remote.c_str(),
                        peer.valid() ? (unsigned)peer.port : 0u, st->isRtcp() ? " (RTCP)" : "",
                        m->rtp.reception().ssrc(), (uint64_t)s.packets, (uint64_t)s.bytes,
                        (uint64_t)s.errors, (int64_t)(s.lastPacket ? s.lastPacket : p.created));
        }
        // ngmediad's MOS estimate of what this side sends (media/quality.h),
        // once there is one; rtpengine shows none here.
        const media::MosRecord& mos = m->rtp.mos();
        if (mos.samples()) {
            media::MosSample avg = mos.average();
            out += strf("-------- MOS %.1f (average of %" PRIu64 " samples, lowest %.1f, highest %.1f), "
                        "%.1f %% loss, %.1f ms jitter, %.1f ms round-trip (%.1f ms leg)\n",
                        avg.mos, mos.samples(), mos.lowest().mos, mos.highest().mos, avg.lossPercent,
                        avg.jitterMs, avg.rttMs, avg.rttLegMs);
        }
    }
}

std::string formatCall(const session::Call& c) {
    std::string out = "\n";
    out += "callid: " + c.callId + "\n";
    out += strf("deletionmark: %s\n", c.deleteAt ? "yes" : "no");
    out += strf("created: %" PRId64 "\n", c.created);
    out += "proxy: " + c.proxy + "\n";
    out += strf("tos: %d\n", c.tos < 0 ? 0 : c.tos);
    out += strf("last_signal: %" PRId64 "\n", c.lastSignal);
    out += "redis_keyspace: 0\n";
    out += strf("foreign: %s\n", c.foreign ? "yes" : "no");
    out += "\n";
    std::vector<const session::Participant*> ps;
    for (const auto& [k, p] : c.participants) ps.push_back(p.get());
    std::sort(ps.begin(), ps.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
    int64_t now = wallMicros();
    for (auto* p : ps) formatTag(out, c, *p, now);
    out += "\n";
    return out;
}

// Calls on every worker, one visit each on the worker's thread.
template <typename Fn>
void forEachWorker(session::WorkerPool& workers, Fn fn) {
    for (size_t i = 0; i < workers.size(); i++) {
        session::Worker& w = workers.at(i);
        workers.runOn(w, [&] { fn(w); });
    }
}

struct IntParse {
    bool ok = false;
    int64_t value = 0;
};
IntParse parseInt(std::string_view s) {
    std::string str(s);
    char* end = nullptr;
    errno = 0;
    long long v = strtoll(str.c_str(), &end, 10);
    if (end == str.c_str() || errno) return {};
    return {true, v};
}

}  // namespace

// --- formats of the statistics reply -------------------------------------------

std::string formatTotals(const Value& st) {
    std::string out = "\nStatistics over currently running sessions:\n\n";
    const Value* cur = at(&st, "currentstatistics");
    rows(out, cur, kCurrentHead);
    rows(out, cur, kRates);
    rows(out, cur, kCurrentTail);
    out += "\nTotal statistics (does not include current running sessions):\n\n";
    rows(out, at(&st, "totalstatistics"), kTotals);
    out += "\n\nGraphite interval statistics (last reported values to graphite):\n";
    const Value* iv = at(&st, "intervalstatistics");
    line(out, "Total calls duration", text(at(iv, "totalcallsduration")), " seconds");
    out += "\n";
    line(out, "Min managed sessions", text(at(iv, "minmanagedsessions")));
    line(out, "Max managed sessions", text(at(iv, "maxmanagedsessions")));
    std::span<const NgCommand> commands = ngCommands().first(countedCommands());
    for (const auto& c : commands)
        line(out, "Min/Max/Avg " + std::string(c.intervalKey) + " processing delay",
             text(at(iv, keyOf("min", c.intervalKey, "delay"))) + "/" +
                 text(at(iv, keyOf("max", c.intervalKey, "delay"))) + "/" +
                 text(at(iv, keyOf("avg", c.intervalKey, "delay"))),
             " sec");
    for (const auto& c : commands)
        line(out, "Min/Max/Avg " + std::string(c.intervalKey) + " requests per second",
             text(at(iv, keyOf("min", c.intervalKey, "requestrate"))) + "/" +
                 text(at(iv, keyOf("max", c.intervalKey, "requestrate"))) + "/" +
                 text(at(iv, keyOf("avg", c.intervalKey, "requestrate"))),
             " per sec");
    out += "\n\nMOS statistics:\n\n";
    rows(out, at(&st, "mos"), kMos);
    out += "\n\nControl statistics:\n\n";
    out += strf("%21s ", "Proxy");
    for (const auto& c : commands) {
        std::string_view t = columnTitle(c.controlKey);
        out += strf("| %10.*s ", (int)t.size(), t.data());
    }
    out += "\n";
    const Value* proxies = at(at(&st, "controlstatistics"), "proxies");
    if (proxies && proxies->isList()) {
        for (const Value& p : proxies->items()) {
            out += strf("%21s ", text(at(&p, "proxy")).c_str());
            for (const auto& c : commands)
                out += strf("| %10s ", text(at(&p, keyOf(c.controlKey, "count", ""))).c_str());
            out += "\n";
        }
    }
    out += "\n\n\n\n";
    return out;
}

std::string formatCounters(const Value& st) {
    std::string out = "\nCurrent per-second counters:\n\n";
    rows(out, at(&st, "currentstatistics"), kRates);
    return out;
}

std::string formatJsonStats(const Value& st) {
    std::string out;
    json(out, st, {});
    return out;  // rtpengine ends it without a line end
}

std::string formatInterfaces(const Value& st) {
    std::string out;
    const Value* ifs = at(&st, "interfaces");
    if (!ifs || !ifs->isList()) return out;
    for (const Value& e : ifs->items()) {
        std::string addr = text(at(&e, "address"));
        const Value* ports = at(&e, "ports");
        int64_t used = at(ports, "used") ? at(ports, "used")->integer() : 0;
        int64_t total = at(ports, "totals") ? at(ports, "totals")->integer() : 0;
        out += strf("Interface '%s' address '%s' (%s)\n", text(at(&e, "name")).c_str(),
                    addr.c_str(), addr.find(':') != std::string::npos ? "IPv6" : "IPv4");
        out += strf(" Port range: %s - %s\n", text(at(ports, "min")).c_str(),
                    text(at(ports, "max")).c_str());
        out += strf(" Ports used: %5" PRId64 " / %5" PRId64 " (%5.1f%%)\n", used, total,
                    total ? (double)used * 100.0 / (double)total : 0.0);
        out += strf(" Last port used: %s\n", text(at(ports, "last")).c_str());
    }
    return out;
}

// --- the commands -----------------------------------------------------------------

Cli::Cli(CliSources sources) : src_(std::move(sources)) {}

std::vector<std::string_view> Cli::words(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() &&
               (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
            i++;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' &&
               line[j] != '\n')
            j++;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

std::string Cli::run(std::string_view line) {
    std::lock_guard lk(mutex_);
    Args a = words(line);
    if (a.empty()) return std::string(kMore);
    std::string_view c = a[0];
    if (c == "help")
        return help({"list", "terminate", "set", "get", "params", "ksadd", "ksrm", "kslist",
                     "active", "standby", "debug", "call"});
    if (c == "list") return list(a, 1, false);
    if (c == "get") return list(a, 1, true);
    if (c == "set") return set(a, 1);
    if (c == "params") return params(a, 1);
    if (c == "terminate") return terminate(a, 1);
    if (c == "debug") return debug(a, 1);
    if (c == "call") return call(a, 1);
    if (c == "ksadd") return keyspaces(a, 1, 1);
    if (c == "ksrm") return keyspaces(a, 1, -1);
    if (c == "kslist") return keyspaces(a, 1, 0);
    if (c == "active") return standby(false);
    if (c == "standby") return standby(true);
    return unknown(a, 0);
}

Value Cli::statistics(bencode::Document& d) {
    StatisticsSources s{src_.workers, src_.counters, src_.interfaces, src_.dispatcher.statistics(),
                        src_.dispatcher.startTime()};
    Value r = buildStatistics(s, d);
    const Value* st = r.find("statistics");
    return st ? *st : Value::dict();
}

std::string Cli::list(const Args& a, size_t i, bool get) {
    (void)get;  // `get` is `list` under another name
    if (i >= a.size()) return std::string(kMore);
    std::string_view w = a[i];
    const session::RuntimeValues v = src_.params.load();
    if (w == "help")
        return help({"numsessions",   "sessions",     "totals",       "counters",  "maxopenfiles",
                     "maxsessions",   "maxcpu",       "maxload",      "maxbw",     "timeout",
                     "silenttimeout", "offertimeout", "finaltimeout", "loglevels", "loglevel",
                     "controltos",    "deletedelay",  "interfaces",   "jsonstats", "transcoders"});
    if (w == "numsessions") return numSessions();
    if (w == "sessions") {
        if (i + 1 >= a.size()) return std::string(kMore);
        return sessions(joinFrom(a, i + 1));
    }
    if (w == "totals" || w == "counters" || w == "jsonstats" || w == "interfaces") {
        bencode::Document d;
        Value st = statistics(d);
        if (w == "totals") return formatTotals(st);
        if (w == "counters") return formatCounters(st);
        if (w == "jsonstats") return formatJsonStats(st);
        return formatInterfaces(st);
    }
    if (w == "maxopenfiles") {
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        return strf("Maximum open-files configured on rtpengine: %llu; cat /proc/%d/limits\n",
                    (unsigned long long)rl.rlim_cur, (int)getpid());
    }
    if (w == "maxsessions")
        return strf("Maximum sessions configured on rtpengine: %d\n", v.maxSessions);
    if (w == "maxcpu") return strf("Maximum CPU usage configured on rtpengine: %.1f\n", v.maxCpu);
    if (w == "maxload")
        return strf("Maximum load average configured on rtpengine: %.2f\n", v.maxLoad);
    if (w == "maxbw")
        return strf("Maximum bandwidth configured on rtpengine: %" PRId64 "\n", v.maxBandwidth);
    if (w == "timeout") return strf("TIMEOUT=%d\n", v.timeout);
    if (w == "silenttimeout") return strf("SILENT_TIMEOUT=%d\n", v.silentTimeout);
    if (w == "offertimeout") return strf("OFFER_TIMEOUT=%d\n", v.offerTimeout);
    if (w == "finaltimeout") return strf("FINAL_TIMEOUT=%d\n", v.finalTimeout);
    if (w == "loglevels") {
        std::string out;
        for (const auto& s : session::kLogSubsystems)
            out += std::string(s.name) + " - " + std::string(s.description) + "\n";
        return out;
    }
    if (w == "loglevel") return loglevel(a, i + 1);
    if (w == "controltos") return strf("%d\n", v.controlTos);
    if (w == "deletedelay") return strf("%d\n", v.deleteDelay);
    if (w == "transcoders") return "No stats entries\n";  // no transcoding yet
    // Redis is not built: its settings are not listed (rtpengine lists them).
    return unknown(a, i);
}

std::string Cli::loglevel(const Args& a, size_t i) {
    const session::RuntimeValues v = src_.params.load();
    std::string out;
    for (size_t k = 0; k < session::kLogSubsystems.size(); k++) {
        const auto& s = session::kLogSubsystems[k];
        if (i < a.size()) {
            if (s.name == a[i]) return strf("%d\n", v.logLevels[k]);
            continue;
        }
        out += std::string(s.name) + " = " + std::to_string(v.logLevels[k]) + "\n";
    }
    return out;  // an unknown subsystem: nothing, as rtpengine
}

std::string Cli::set(const Args& a, size_t i) {
    if (i >= a.size()) return std::string(kMore);
    std::string_view w = a[i];
    if (w == "help")
        return help({"maxopenfiles", "maxsessions", "maxcpu", "maxload", "maxbw", "timeout",
                     "silenttimeout", "offertimeout", "finaltimeout", "loglevel", "controltos",
                     "deletedelay"});
    if (i + 1 >= a.size()) return std::string(kMore);
    std::string arg(a[i + 1]);
    auto& p = src_.params;
    constexpr auto r = std::memory_order_relaxed;
    auto noDigits = [&](std::string_view name) {
        return "Fail setting " + std::string(name) + " to " + arg + "; no digists found\n";
    };
    if (w == "maxsessions") {
        IntParse n = parseInt(arg);
        if (!n.ok) return noDigits("maxsessions");
        if (n.value < -1 || n.value > INT32_MAX)
            return "Fail setting maxsessions to " + arg +
                   "; either positive or -1 values allowed\n";
        p.maxSessions.store((int)n.value, r);
        applied();
        if (n.value == -1) return "Success setting maxsessions to -1; disable feature\n";
        return strf("Success setting maxsessions to %d\n", (int)n.value);
    }
    if (w == "maxcpu" || w == "maxload") {
        char* end = nullptr;
        double d = strtod(arg.c_str(), &end);
        if (end == arg.c_str() || !std::isfinite(d)) return noDigits(w);
        if (w == "maxcpu") {
            p.maxCpu.store(d, r);
            applied();
            return strf("Success setting maxcpu to %.1f\n", d);
        }
        p.maxLoad.store(d, r);
        applied();
        return strf("Success setting maxload to %.2f\n", d);
    }
    if (w == "maxbw") {
        IntParse n = parseInt(arg);
        if (!n.ok) return noDigits("maxbw");
        p.maxBandwidth.store(n.value, r);
        applied();
        return strf("Success setting maxbw to %" PRId64 "\n", n.value);
    }
    if (w == "maxopenfiles") {
        IntParse n = parseInt(arg);
        if (!n.ok || n.value <= 0) return noDigits("open_files");
        rlimit rl{};
        getrlimit(RLIMIT_NOFILE, &rl);
        if ((rlim_t)n.value < rl.rlim_cur)
            return strf("Fail setting open_files to %s; can't set it under %llu\n", arg.c_str(),
                        (unsigned long long)rl.rlim_cur);
        rl.rlim_cur = (rlim_t)n.value;
        if (rl.rlim_max < rl.rlim_cur) rl.rlim_max = rl.rlim_cur;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return strf("Fail setting open_files to %s; errno=%d\n", arg.c_str(), errno);
        return strf("Success setting open_files to %s\n", arg.c_str());
    }
    std::atomic<int>* timeout = w == "timeout"         ? &p.timeout
                                : w == "silenttimeout" ? &p.silentTimeout
                                : w == "offertimeout"  ? &p.offerTimeout
                                : w == "finaltimeout"  ? &p.finalTimeout
                                                       : nullptr;
    if (timeout) {
        // rtpengine says "timeout" for each of the four.
        IntParse n = parseInt(arg);
        if (!n.ok) return noDigits("timeout");
        if (n.value < 0 || n.value > INT32_MAX)
            return "Fail setting timeout to " + arg + "; errno=0\n";
        timeout->store((int)n.value, r);
        applied();
        // Deadlines already armed move with the new value.
        forEachWorker(src_.workers, [](session::Worker& wk) { wk.store.rescheduleAll(); });
        return strf("Success setting timeout to %d\n", (int)n.value);
    }
    if (w == "loglevel") {
        // `set loglevel N` (all subsystems) or `set loglevel SUBSYSTEM N`.
        size_t sub = session::kLogSubsystems.size();
        std::string_view levelText = a[i + 1];
        if (i + 2 < a.size()) {
            for (size_t k = 0; k < session::kLogSubsystems.size(); k++)
                if (session::kLogSubsystems[k].name == a[i + 1]) sub = k;
            if (sub == session::kLogSubsystems.size())
                return "Unknown log subsystem '" + std::string(a[i + 1]) + "'\n";
            levelText = a[i + 2];
        }
        IntParse n = parseInt(levelText);
        if (!n.ok || n.value < 0 || n.value > 7) return std::string(kMore);
        for (size_t k = 0; k < p.logLevels.size(); k++)
            if (sub == session::kLogSubsystems.size() || k == sub)
                p.logLevels[k].store((int)n.value, r);
        applied();
        return strf("Success setting loglevel to %d\n", (int)n.value);
    }
    if (w == "deletedelay") {
        IntParse n = parseInt(arg);
        if (!n.ok || n.value < INT32_MIN || n.value > INT32_MAX)
            return "Invalid delete-delay value\n";
        p.deleteDelay.store((int)n.value, r);
        applied();
        return strf("Success setting delete-delay to %d\n", (int)n.value);
    }
    if (w == "controltos") {
        IntParse n = parseInt(arg);
        if (!n.ok || n.value < 0 || n.value > 255) return "Invalid control-tos value\n";
        p.controlTos.store((int)n.value, r);
        applied();
        return strf("Success setting controltos to %d\n", (int)n.value);
    }
    return unknown(a, i);
}

void Cli::applied() {
    if (src_.applied) src_.applied(src_.params.load());
}

namespace {

// `params` lines: the runtime settings, by rtpengine's names and formats.
struct ParamLine {
    std::string name, value, diffValue;  // diffValue: as `params diff` shows it
};

std::vector<ParamLine> paramLines(const session::RuntimeValues& v, bool current) {
    std::vector<ParamLine> out;
    for (size_t k = 0; k < session::kLogSubsystems.size(); k++) {
        std::string n = std::to_string(v.logLevels[k]);
        out.push_back({"log-level-" + std::string(session::kLogSubsystems[k].name), n, n});
    }
    auto num = [](int64_t x) { return std::to_string(x); };
    out.push_back({"max-sessions", num(v.maxSessions), num(v.maxSessions)});
    out.push_back({"timeout", num(v.timeout), num(v.timeout)});
    out.push_back({"silent-timeout", num(v.silentTimeout), num(v.silentTimeout)});
    out.push_back({"final-timeout", num(v.finalTimeout), num(v.finalTimeout)});
    out.push_back({"offer-timeout", num(v.offerTimeout), num(v.offerTimeout)});
    out.push_back({"delete-delay", num(v.deleteDelay), num(v.deleteDelay)});
    out.push_back({"control-tos", num(v.controlTos), num(v.controlTos)});
    // rtpengine keeps CPU and load in hundredths and shows them so in `diff`.
    out.push_back({"max-cpu", strf("%.1f", v.maxCpu), num(std::llround(v.maxCpu * 100))});
    out.push_back({"max-load", strf("%.2f", v.maxLoad), num(std::llround(v.maxLoad * 100))});
    out.push_back({current ? "max-bw" : "max-bandwidth", num(v.maxBandwidth), num(v.maxBandwidth)});
    return out;
}

}  // namespace

std::string Cli::params(const Args& a, size_t i) {
    if (i >= a.size()) return std::string(kMore);
    std::string_view w = a[i];
    if (w == "help") return help({"start", "current", "diff", "revert"});
    if (w == "start" || w == "current") {
        bool current = w == "current";
        std::vector<ParamLine> ls = paramLines(current ? src_.params.load() : src_.start, current);
        std::string out;
        // The runtime settings first (log levels ... offer timeouts), then
        // the fixed ones, then CPU/load/bandwidth, as rtpengine orders them.
        size_t split = session::kLogSubsystems.size();
        for (size_t k = 0; k < split; k++) out += ls[k].name + " = " + ls[k].value + "\n";
        for (const auto& [n, v] : src_.fixedParams)
            if (n == "table") out += n + " = " + v + "\n";
        for (size_t k = split; k < split + 7; k++) out += ls[k].name + " = " + ls[k].value + "\n";
        for (const auto& [n, v] : src_.fixedParams)
            if (n != "table" && n.rfind("interface", 0) != 0 && n.rfind("listen", 0) != 0)
                out += n + " = " + v + "\n";
        for (size_t k = split + 7; k < ls.size(); k++)
            out += ls[k].name + " = " + ls[k].value + "\n";
        for (const auto& [n, v] : src_.fixedParams)
            if (n.rfind("interface", 0) == 0 || n.rfind("listen", 0) == 0)
                out += n + " = " + v + "\n";
        return out;
    }
    if (w == "diff") {
        std::vector<ParamLine> from = paramLines(src_.start, true),
                               to = paramLines(src_.params.load(), true);
        // rtpengine's order: log levels, then sessions, CPU, load, bandwidth,
        // then the timeouts.
        static constexpr std::string_view kOrder[] = {
            "max-sessions",   "max-cpu",       "max-load",      "max-bw",       "timeout",
            "silent-timeout", "final-timeout", "offer-timeout", "delete-delay", "control-tos"};
        std::string out;
        auto show = [&](size_t k) {
            if (from[k].diffValue != to[k].diffValue)
                out += from[k].name + ": " + from[k].diffValue + " => " + to[k].diffValue + "\n";
        };
        for (size_t k = 0; k < session::kLogSubsystems.size(); k++) show(k);
        for (auto name : kOrder)
            for (size_t k = 0; k < from.size(); k++)
                if (from[k].name == name) show(k);
        return out;
    }
    if (w == "revert") {
        src_.params.store(src_.start);
        applied();
        forEachWorker(src_.workers, [](session::Worker& wk) { wk.store.rescheduleAll(); });
        return {};
    }
    return unknown(a, i);
}

std::string Cli::numSessions() {
    int64_t own = 0, foreign = 0, v4 = 0, v6 = 0, mixed = 0;
    forEachWorker(src_.workers, [&](session::Worker& w) {
        for (const auto& [id, c] : w.store.calls()) {
            (c->foreign ? foreign : own)++;
            if (!c->answered) continue;
            bool has4 = false, has6 = false;
            for (const auto& [t, p] : c->participants)
                for (const auto& m : p->media)
                    if (m && m->rtp.attached())
                        (m->rtp.local().address.family() == net::Family::V6 ? has6 : has4) = true;
            if (has4 && has6)
                mixed++;
            else if (has4)
                v4++;
            else if (has6)
                v6++;
        }
    });
    std::string out;
    out += strf("Current sessions own: %" PRId64 "\n", own);
    out += strf("Current sessions foreign: %" PRId64 "\n", foreign);
    out += strf("Current sessions total: %" PRId64 "\n", own + foreign);
    out += "Current transcoded media: 0\n";
    out += strf("Current sessions ipv4 only media: %" PRId64 "\n", v4);
    out += strf("Current sessions ipv6 only media: %" PRId64 "\n", v6);
    out += strf("Current sessions ip mixed  media: %" PRId64 "\n", mixed);
    return out;
}

std::string Cli::sessions(std::string_view which) {
    bool all = which == "all", own = which == "own", foreign = which == "foreign";
    if (!all && !own && !foreign) return callInfo(which, {}, false);
    std::string out;
    size_t shown = 0;
    forEachWorker(src_.workers, [&](session::Worker& w) {
        for (const auto& [id, c] : w.store.calls()) {
            if ((own && c->foreign) || (foreign && !c->foreign)) continue;
            shown++;
            out += strf("callid: %60s | deletionmark:%4s | created:%12" PRId64
                        " | proxy:%s | redis_keyspace:%i | foreign:%s\n",
                        c->callId.c_str(), c->deleteAt ? "yes" : "no", c->created, c->proxy.c_str(),
                        0, c->foreign ? "yes" : "no");
        }
    });
    if (shown) return out;
    if (own) return "No own sessions on this media relay.\n";
    if (foreign) return "No foreign sessions on this media relay.\n";
    return "No sessions on this media relay.\n";
}

std::string Cli::callInfo(std::string_view callId, std::string_view tag, bool tagOnly) {
    std::string id(callId), t(tag), out;
    bool found = false, tagFound = false;
    session::Worker& w = src_.workers.forCall(id);
    src_.workers.runOn(w, [&] {
        session::Call* c = w.store.find(id);
        if (!c) return;
        found = true;
        if (!tagOnly) {
            out = formatCall(*c);
            return;
        }
        session::Participant* p = c->find(t);
        if (!p) return;
        tagFound = true;
        formatTag(out, *c, *p, wallMicros());
    });
    if (!tagOnly) return found ? out : "\nCall ID not found (" + id + ").\n\n";
    if (!found) return "No such call '" + id + "'\n";
    return tagFound ? out : "No such tag '" + t + "'\n";
}

std::string Cli::terminate(const Args& a, size_t i) {
    if (i >= a.size()) return std::string(kMore);
    std::string_view w = a[i];
    bool all = w == "all", own = w == "own", foreign = w == "foreign";
    if (all || own || foreign) {
        forEachWorker(src_.workers, [&](session::Worker& wk) {
            std::vector<std::string> ids;
            for (const auto& [id, c] : wk.store.calls())
                if (all || c->foreign == foreign) ids.push_back(id);
            for (const auto& id : ids) wk.store.terminate(id);
        });
        if (all) return "All calls terminated by operator.\n";
        return own ? "All own calls terminated by operator.\n"
                   : "All foreign calls terminated by operator.\n";
    }
    std::string id(w);
    bool done = false;
    session::Worker& wk = src_.workers.forCall(id);
    src_.workers.runOn(wk, [&] { done = wk.store.terminate(id); });
    if (!done) return "\nCall Id not found (" + id + ").\n\n";
    return "\nCall Id (" + id + ") successfully terminated by operator.\n\n";
}

std::string Cli::debug(const Args& a, size_t i) {
    if (i >= a.size()) return "No call ID specified\n";
    return debugCall(std::string(a[i]), i + 1 < a.size() ? a[i + 1] : std::string_view{});
}

std::string Cli::debugCall(const std::string& id, std::string_view onOff) {
    // `debug ID` alone switches it on, as rtpengine.
    bool on = !(onOff == "off" || onOff == "0" || onOff == "no");
    bool found = false;
    session::Worker& w = src_.workers.forCall(id);
    src_.workers.runOn(w, [&] {
        if (session::Call* c = w.store.find(id)) {
            c->debug = on;
            found = true;
        }
    });
    if (!found) return "Call ID '" + id + "' not found\n";
    return (on ? "Enabled" : "Disabled") + std::string(" debugging for call '") + id + "'\n";
}

std::string Cli::call(const Args& a, size_t i) {
    if (i >= a.size()) return std::string(kMore);
    std::string id(a[i]);
    bool exists = false;
    session::Worker& w = src_.workers.forCall(id);
    src_.workers.runOn(w, [&] { exists = w.store.find(id) != nullptr; });
    if (!exists) return "No such call '" + id + "'\n";
    if (i + 1 >= a.size()) return unknown(a, i + 1);
    std::string_view sub = a[i + 1];
    if (sub == "info") return callInfo(id, {}, false);
    if (sub == "terminate") {
        bool done = false;
        src_.workers.runOn(w, [&] { done = w.store.terminate(id); });
        return done ? "\nCall '" + id + "' terminated.\n\n" : "No such call '" + id + "'\n";
    }
    if (sub == "debug") return debugCall(id, i + 2 < a.size() ? a[i + 2] : std::string_view{});
    if (sub == "tag") {
        if (i + 2 >= a.size()) return std::string(kMore);
        std::string_view tag = a[i + 2];
        if (i + 3 < a.size() && a[i + 3] == "info") return callInfo(id, tag, true);
        std::string probe = callInfo(id, tag, true);
        if (probe.rfind("No such", 0) == 0) return probe;
        return unknown(a, i + 3);
    }
    return unknown(a, i + 1);
}

std::string Cli::keyspaces(const Args& a, size_t i, int op) {
    if (op == 0) {
        std::string out = "\nSubscribed-on keyspaces:\n";
        for (int k : keyspaces_) out += std::to_string(k) + "\n";
        out += "\n";
        return out;
    }
    if (i >= a.size()) return std::string(kMore);
    IntParse n = parseInt(a[i]);
    if (!n.ok || n.value < 0 || n.value > INT32_MAX)
        return "Fail adding keyspace " + std::string(a[i]) + " to redis notifications.\n";
    int k = (int)n.value;
    if (op > 0) {
        if (!keyspaces_.insert(k).second)
            return strf("Keyspace %d is already among redis notifications.\n", k);
        return strf("Success adding keyspace %d to redis notifications.\n", k);
    }
    if (!keyspaces_.erase(k)) return strf("Keyspace %d is not among redis notifications.\n", k);
    return strf("Successfully unsubscribed from keyspace %d.\n", k);
}

std::string Cli::standby(bool on) {
    standby_ = on;
    forEachWorker(src_.workers, [&](session::Worker& w) { w.store.setForeign(on); });
    return on ? "Ok, all calls set to 'foreign (standby)'\n"
              : "Ok, all calls set to 'owned (active)'\n";
}

}  // namespace ngm::control
