// /metrics. The rtpengine_* families are read off the `statistics` reply
// (its numbers already formatted as rtpengine formats them), never computed
// a second time; the ngmedia_* ones from the objects that hold them. Each
// family is written as one block (HELP, TYPE, samples).
#include "control/metrics.h"

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <string_view>
#include <thread>

#include "bencode/value.h"
#include "common/strings.h"
#include "control/http_transport.h"
#include "control/ng_commands.h"
#include "control/reply_cache.h"
#include "control/mediaproxy_transport.h"
#include "control/rtpproxy_transport.h"
#include "net/interface.h"
#include "session/load_limits.h"

namespace ngm::control {

using bencode::Value;

namespace {

struct Label {
    std::string_view name, value;
};

class Exposition {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    // `value` as text: strings of the statistics reply go out as they are.
    void sample(std::string_view name, std::initializer_list<Label> labels, std::string_view value) {
        out_ += name;
        if (labels.size()) {
            out_ += '{';
            bool first = true;
            for (const auto& l : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += l.name;
                out_ += "=\"";
                escape(l.value);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        out_ += value.empty() ? std::string_view("0") : value;
        out_ += '\n';
    }
    void sample(std::string_view name, std::initializer_list<Label> labels, int64_t value) {
        std::string v;
        appendInt(v, value);
        sample(name, labels, v);
    }
    std::string take() { return std::move(out_); }

  private:
    // Label values: backslash, double quote and newline escaped.
    void escape(std::string_view v) {
        for (char c : v) {
            if (c == '\\' || c == '"') {
                out_ += '\\';
                out_ += c;
            } else if (c == '\n') {
                out_ += "\\n";
            } else {
                out_ += c;
            }
        }
    }
    std::string out_;
};

const Value* at(const Value* v, std::string_view key) { return v ? v->find(key) : nullptr; }

// A number of the statistics reply, as its text: integers printed, strings
// (rtpengine's "%.6f" figures, the uptime) as they are.
std::string text(const Value* v) {
    if (!v) return "0";
    if (v->isInteger()) return std::to_string(v->integer());
    if (v->isString()) return std::string(v->str());
    return "0";
}

// CPU time (user + system) of a running thread, 0 when it is not running
// (workers not started). Read from another thread through its CPU clock: no
// cost to the worker.
double threadCpuSeconds(std::thread& t) {
    if (!t.joinable()) return 0;
    clockid_t clock;
    if (pthread_getcpuclockid(t.native_handle(), &clock) != 0) return 0;
    timespec ts{};
    if (clock_gettime(clock, &ts) != 0) return 0;
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string decimal(double v, int places) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", places, v);
    return buf;
}

}  // namespace

std::string renderMetrics(const MetricsSources& src) {
    bencode::Document doc;
    Value reply = buildStatistics(src.statistics, doc);
    const Value* st = reply.find("statistics");
    const Value* cur = at(st, "currentstatistics");
    const Value* tot = at(st, "totalstatistics");
    const Value* mos = at(st, "mos");
    Exposition x;

    x.family("rtpengine_sessions", "gauge", "Sessions (calls) now, by ownership");
    x.sample("rtpengine_sessions", {{"type", "own"}}, text(at(cur, "sessionsown")));
    x.sample("rtpengine_sessions", {{"type", "foreign"}}, text(at(cur, "sessionsforeign")));
    x.family("rtpengine_transcoded_media", "gauge", "Media sections now being transcoded");
    x.sample("rtpengine_transcoded_media", {}, text(at(cur, "transcodedmedia")));
    x.family("rtpengine_mediastreams", "gauge",
             "Media sections now with traffic, by the path that relays them");
    x.sample("rtpengine_mediastreams", {{"type", "userspace"}}, text(at(cur, "media_userspace")));
    x.sample("rtpengine_mediastreams", {{"type", "kernel"}}, text(at(cur, "media_kernel")));
    x.sample("rtpengine_mediastreams", {{"type", "mixed"}}, text(at(cur, "media_mixed")));
    x.family("rtpengine_uptime_seconds", "gauge", "Seconds since the daemon started");
    x.sample("rtpengine_uptime_seconds", {}, text(at(tot, "uptime")));

    x.family("rtpengine_sessions_total", "counter", "Sessions that have ended since start");
    x.sample("rtpengine_sessions_total", {}, text(at(tot, "managedsessions")));
    x.family("rtpengine_closed_sessions_total", "counter",
             "Sessions ended or refused since start, by reason");
    static constexpr std::pair<std::string_view, std::string_view> kClosed[] = {
        {"rejected", "rejectedsessions"},
        {"timeout", "timeoutsessions"},
        {"silent_timeout", "silenttimeoutsessions"},
        {"final_timeout", "finaltimeoutsessions"},
        {"offer_timeout", "offertimeoutsessions"},
        {"terminated", "regularterminatedsessions"},
        {"force_terminated", "forcedterminatedsessions"},
    };
    for (auto [reason, key] : kClosed)
        x.sample("rtpengine_closed_sessions_total", {{"reason", reason}}, text(at(tot, key)));

    static constexpr std::pair<std::string_view, std::string_view> kPaths[] = {
        {"userspace", "_user"}, {"kernel", "_kernel"}};
    auto perPath = [&](std::string_view name, std::string_view help, std::string_view key) {
        x.family(name, "counter", help);
        for (auto [type, suffix] : kPaths)
            x.sample(name, {{"type", type}}, text(at(tot, std::string(key) + std::string(suffix))));
    };
    perPath("rtpengine_packets_total", "Packets relayed since start, by path", "relayedpackets");
    perPath("rtpengine_packet_errors_total",
            "Packets received since start that could not be relayed, by path", "relayedpacketerrors");
    perPath("rtpengine_bytes_total", "Bytes relayed since start, by path", "relayedbytes");

    x.family("rtpengine_zero_packet_streams_total", "counter",
             "Streams of ended sessions that relayed no packet at all");
    x.sample("rtpengine_zero_packet_streams_total", {}, text(at(tot, "zerowaystreams")));
    x.family("rtpengine_one_way_sessions_total", "counter",
             "Streams of ended sessions that relayed packets in one direction only");
    x.sample("rtpengine_one_way_sessions_total", {}, text(at(tot, "onewaystreams")));
    x.family("rtpengine_call_duration_avg", "gauge", "Mean duration of the ended sessions, in seconds");
    x.sample("rtpengine_call_duration_avg", {}, text(at(tot, "avgcallduration")));
    x.family("rtpengine_call_duration_total", "counter", "Summed duration of the ended sessions, in seconds");
    x.sample("rtpengine_call_duration_total", {}, text(at(tot, "totalcallsduration")));
    x.family("rtpengine_call_duration2_total", "counter",
             "Summed squared duration of the ended sessions, in seconds squared");
    x.sample("rtpengine_call_duration2_total", {}, text(at(tot, "totalcallsduration2")));
    x.family("rtpengine_mos_total", "counter", "Sum of the MOS values sampled");
    x.sample("rtpengine_mos_total", {}, text(at(mos, "mos_total")));
    x.family("rtpengine_mos2_total", "counter", "Sum of the squared MOS values sampled");
    x.sample("rtpengine_mos2_total", {}, text(at(mos, "mos2_total")));
    x.family("rtpengine_mos_samples_total", "counter", "Number of MOS values sampled");
    x.sample("rtpengine_mos_samples_total", {}, text(at(mos, "mos_samples_total")));

    {
        const session::SessionCounters& c = src.statistics.counters;
        x.family("ngmedia_mos", "histogram",
                 "MOS estimate of each stream that received RTP, its average over the call, taken when "
                 "the call ends (from loss and jitter as ngmediad receives them; no RTCP needed)");
        int64_t cumulative = 0;
        for (size_t i = 0; i < c.mosBuckets.size(); i++) {
            cumulative += c.mosBuckets[i].load();
            std::string le = i < c.kMosBuckets.size() ? decimal(c.kMosBuckets[i], 1) : "+Inf";
            x.sample("ngmedia_mos_bucket", {{"le", le}}, cumulative);
        }
        x.sample("ngmedia_mos_sum", {}, decimal(c.mosSum.load(), 6));
        x.sample("ngmedia_mos_count", {}, c.mosCount.load());
    }

    // Per control client (proxy) and command: the controlstatistics rows.
    const Value* proxies = at(at(st, "controlstatistics"), "proxies");
    std::span<const NgCommand> commands = ngCommands().first(countedCommands());
    static const Value kNoProxies = Value::list();
    const auto& rows = proxies && proxies->isList() ? proxies->items() : kNoProxies.items();
    auto perCommand = [&](std::string_view name, std::string_view help, std::string_view suffix) {
        x.family(name, "counter", help);
        for (const Value& row : rows) {
            std::string proxy = text(row.find("proxy"));
            for (const NgCommand& c : commands)
                x.sample(name, {{"proxy", proxy}, {"request", c.name}},
                         text(row.find(std::string(c.controlKey) + std::string(suffix))));
        }
    };
    perCommand("rtpengine_requests_total", "ng requests answered, by control client and command", "count");
    perCommand("rtpengine_request_seconds_total",
               "Seconds spent answering ng requests, by control client and command", "duration");
    x.family("rtpengine_errors_total", "counter", "ng requests answered with an error, by control client");
    for (const Value& row : rows)
        x.sample("rtpengine_errors_total", {{"proxy", text(row.find("proxy"))}}, text(row.find("errorcount")));

    // Per local address of each logical interface.
    const Value* ifs = at(st, "interfaces");
    static const Value kNoInterfaces = Value::list();
    const auto& ifRows = ifs && ifs->isList() ? ifs->items() : kNoInterfaces.items();
    auto perInterface = [&](std::string_view name, std::string_view help, std::string_view key) {
        x.family(name, "gauge", help);
        for (const Value& e : ifRows)
            x.sample(name, {{"name", text(e.find("name"))}, {"address", text(e.find("address"))}},
                     text(at(e.find("ports"), key)));
    };
    perInterface("rtpengine_ports_used", "Media ports in use, by interface and local address", "used");
    perInterface("rtpengine_ports_free", "Media ports free, by interface and local address", "free");
    perInterface("rtpengine_ports", "Media ports of the range, by interface and local address", "totals");

    // ---- ngmedia's own ----
    session::WorkerPool& workers = src.statistics.workers;
    auto perWorker = [&](std::string_view name, std::string_view help,
                         std::atomic<uint64_t> media::WorkerStats::*field) {
        x.family(name, "counter", help);
        for (size_t i = 0; i < workers.size(); i++) {
            std::string w = std::to_string(i);
            x.sample(name, {{"worker", w}},
                     (int64_t)(workers.at(i).stats.*field).load(std::memory_order_relaxed));
        }
    };
    perWorker("ngmedia_worker_packets_total",
              "Media packets accepted since start, by media worker thread (ngm-media-N)",
              &media::WorkerStats::packets);
    perWorker("ngmedia_worker_bytes_total", "Media bytes accepted since start, by media worker thread",
              &media::WorkerStats::bytes);
    perWorker("ngmedia_worker_packet_errors_total",
              "Media packets dropped as errors since start (not RTP/RTCP, wrong source, stage "
              "error), by media worker thread",
              &media::WorkerStats::errors);
    perWorker("ngmedia_srtp_failures_total",
              "SRTP/SRTCP packets refused (authentication, replay, length, expired key) since start, "
              "by media worker thread",
              &media::WorkerStats::srtpFailures);
    x.family("ngmedia_dtls_handshakes_total", "counter",
             "DTLS-SRTP handshakes since start by result (ok, failed: e.g. a fingerprint mismatch or "
             "the handshake deadline), by media worker thread");
    for (size_t i = 0; i < workers.size(); i++) {
        const auto& st = workers.at(i).stats;
        x.sample("ngmedia_dtls_handshakes_total", {{"worker", std::to_string(i)}, {"result", "ok"}},
                 (int64_t)st.dtlsHandshakesOk.load(std::memory_order_relaxed));
        x.sample("ngmedia_dtls_handshakes_total", {{"worker", std::to_string(i)}, {"result", "failed"}},
                 (int64_t)st.dtlsHandshakesFailed.load(std::memory_order_relaxed));
    }
    perWorker("ngmedia_dtls_records_refused_total",
              "DTLS records dropped for not coming from the handshake's peer, or for more of the peer's "
              "waiting than an association holds while the worker's DTLS time is spent, since start, by "
              "media worker thread",
              &media::WorkerStats::dtlsRefused);
    perWorker("ngmedia_dtls_work_put_off_total",
              "DTLS records (and ClientHellos to send) put off to a later event-loop round because the "
              "worker's DTLS time for the round was spent, since start, by media worker thread",
              &media::WorkerStats::dtlsPutOff);
    // ICE on the media path (media/ice_transport.cpp adds each agent's counters as they move).
    perWorker("ngmedia_ice_failures_total",
              "ICE agents that failed (no checked pair in time, or every pair failed) since start, by "
              "media worker thread; the call stays up",
              &media::WorkerStats::iceFailures);
    perWorker("ngmedia_ice_media_refused_total",
              "Media packets dropped for not coming from the ICE-selected pair (or before one was "
              "selected) since start, by media worker thread",
              &media::WorkerStats::iceRefused);
    x.family("ngmedia_ice_checks_total", "counter",
             "ICE connectivity checks (STUN Binding requests) since start by direction: sent "
             "(retransmissions and consent checks included) and received (authenticated), by media "
             "worker thread");
    for (size_t i = 0; i < workers.size(); i++) {
        const auto& st = workers.at(i).stats;
        x.sample("ngmedia_ice_checks_total", {{"worker", std::to_string(i)}, {"direction", "sent"}},
                 (int64_t)st.iceChecksSent.load(std::memory_order_relaxed));
        x.sample("ngmedia_ice_checks_total", {{"worker", std::to_string(i)}, {"direction", "received"}},
                 (int64_t)st.iceChecksReceived.load(std::memory_order_relaxed));
    }
    x.family("ngmedia_ice_checks_refused_total", "counter",
             "Incoming STUN messages the ICE agents refused since start by reason: malformed (not "
             "parseable, missing attributes), unknown_username, bad_integrity (MESSAGE-INTEGRITY), by "
             "media worker thread");
    for (size_t i = 0; i < workers.size(); i++) {
        const auto& st = workers.at(i).stats;
        std::string w = std::to_string(i);
        x.sample("ngmedia_ice_checks_refused_total", {{"worker", w}, {"reason", "malformed"}},
                 (int64_t)st.iceChecksMalformed.load(std::memory_order_relaxed));
        x.sample("ngmedia_ice_checks_refused_total", {{"worker", w}, {"reason", "unknown_username"}},
                 (int64_t)st.iceChecksUnknownUsername.load(std::memory_order_relaxed));
        x.sample("ngmedia_ice_checks_refused_total", {{"worker", w}, {"reason", "bad_integrity"}},
                 (int64_t)st.iceChecksBadIntegrity.load(std::memory_order_relaxed));
    }
    perWorker("ngmedia_ice_consent_expired_total",
              "ICE selected pairs dropped because consent expired (RFC 7675: no answered check for 30 s) "
              "since start, by media worker thread",
              &media::WorkerStats::iceConsentExpired);
    perWorker("ngmedia_ice_role_conflicts_total",
              "ICE role conflicts (487 sent or received, or role switched) since start, by media worker "
              "thread",
              &media::WorkerStats::iceRoleConflicts);
    perWorker("ngmedia_ice_nominations_total",
              "ICE pairs nominated and selected for media (by ngmediad as controlling, or by the peer's "
              "USE-CANDIDATE) since start, by media worker thread",
              &media::WorkerStats::iceNominations);
    // BUNDLE (media/packet_stream.cpp): rtpengine 10.5 has no bundle, so no
    // `statistics` key to mirror; only this family.
    perWorker("ngmedia_bundle_unmatched_total",
              "Packets on a bundled transport that no media section claimed (no known MID, SSRC or "
              "unique payload type), dropped since start (also counted as packet errors), by media "
              "worker thread",
              &media::WorkerStats::bundleUnmatched);
    x.family("ngmedia_worker_media_with_traffic", "gauge",
             "Media sections of live calls that have received packets, by media worker thread");
    for (size_t i = 0; i < workers.size(); i++)
        x.sample("ngmedia_worker_media_with_traffic", {{"worker", std::to_string(i)}},
                 workers.at(i).stats.mediaWithTraffic.load(std::memory_order_relaxed));
    if (src.replies) {
        x.family("ngmedia_reply_cache_entries", "gauge",
                 "ng replies kept for retransmitted requests (--ng-reply-cache)");
        x.sample("ngmedia_reply_cache_entries", {}, (int64_t)src.replies->size());
        ReplyCache::Counts rc = src.replies->counts();
        x.family("ngmedia_reply_cache_lookups_total", "counter",
                 "ng requests looked up in the reply cache since start, by result: hit (a retransmission "
                 "answered from the cache), in_progress (a retransmission of a request still running, "
                 "not answered), miss (a new request)");
        x.sample("ngmedia_reply_cache_lookups_total", {{"result", "hit"}}, (int64_t)rc.hits);
        x.sample("ngmedia_reply_cache_lookups_total", {{"result", "in_progress"}}, (int64_t)rc.inProgress);
        x.sample("ngmedia_reply_cache_lookups_total", {{"result", "miss"}}, (int64_t)rc.misses);
        x.family("ngmedia_reply_cache_evictions_total", "counter",
                 "ng replies dropped from the reply cache by its size bound before their lifetime ended");
        x.sample("ngmedia_reply_cache_evictions_total", {}, (int64_t)rc.evicted);
    }
    auto perLoop = [&](std::string_view name, std::string_view help,
                       std::atomic<uint64_t> net::UringCounters::*field) {
        x.family(name, "counter", help);
        for (size_t i = 0; i < workers.size(); i++)
            x.sample(name, {{"worker", std::to_string(i)}},
                     (int64_t)(workers.at(i).loop.uringCounters().*field).load(std::memory_order_relaxed));
    };
    perLoop("ngmedia_uring_submissions_total",
            "io_uring requests (receives, sends, timers) handed to the kernel since start, by media worker "
            "thread (0 on the epoll fallback)",
            &net::UringCounters::submitted);
    perLoop("ngmedia_uring_completions_total",
            "io_uring completions (received datagrams, failed sends, timers) collected since start, by media "
            "worker thread",
            &net::UringCounters::completed);
    perLoop("ngmedia_uring_waits_total",
            "Times a media worker's io_uring loop slept in the kernel waiting for work since start",
            &net::UringCounters::waits);
    // Busy: the thread's CPU time, which includes the kernel's sending and
    // receiving done inside its io_uring calls; idle: the wall-clock time it
    // spent in its wait calls (io_uring_submit_and_wait, epoll_wait).
    x.family("ngmedia_worker_busy_seconds_total", "counter",
             "CPU seconds (user and system) a media worker thread has used since start: datagrams, timers, "
             "signalling tasks and the kernel's send and receive work for them; its rate is the worker's busy "
             "share of a core");
    for (size_t i = 0; i < workers.size(); i++)
        x.sample("ngmedia_worker_busy_seconds_total", {{"worker", std::to_string(i)}},
                 decimal(threadCpuSeconds(workers.at(i).thread), 6));
    x.family("ngmedia_worker_idle_seconds_total", "counter",
             "Wall-clock seconds a media worker thread has spent in its waits for work (io_uring or epoll) "
             "since start");
    for (size_t i = 0; i < workers.size(); i++)
        x.sample("ngmedia_worker_idle_seconds_total", {{"worker", std::to_string(i)}},
                 decimal(double(workers.at(i).loop.loopTimes().waitNs.load(std::memory_order_relaxed)) / 1e9, 6));

    // Per local address of each logical interface: what its media ports received.
    if (const net::InterfaceTable* table = src.statistics.interfaces) {
        auto perAddress = [&](std::string_view name, std::string_view help,
                              std::atomic<uint64_t> net::InterfaceTraffic::*field) {
            x.family(name, "counter", help);
            for (const auto& li : table->all())
                for (const auto& local : li->addresses)
                    x.sample(name, {{"name", li->name}, {"address", local->address.toString()}},
                             (int64_t)(local->traffic.*field).load(std::memory_order_relaxed));
        };
        perAddress("ngmedia_interface_packets_total",
                   "Media packets (RTP and RTCP) received and accepted for relaying on the ports of a local address "
                   "of a logical interface since start (added once a second per stream)",
                   &net::InterfaceTraffic::packets);
        perAddress("ngmedia_interface_bytes_total",
                   "Bytes of those media packets, by local address of a logical interface, since start",
                   &net::InterfaceTraffic::bytes);
        perAddress("ngmedia_interface_packet_errors_total",
                   "Media packets received on the ports of a local address of a logical interface and refused "
                   "(not RTP/RTCP, wrong source, stage error) since start",
                   &net::InterfaceTraffic::errors);
        perAddress("ngmedia_interface_packets_lost_total",
                   "RTP packets that never reached the ports of a local address of a logical interface (gaps "
                   "in the sequence numbers of each received stream) since start",
                   &net::InterfaceTraffic::lost);
    }
    if (src.http) {
        HttpCounters h = src.http->counters();
        x.family("ngmedia_http_connections", "gauge", "HTTP/WebSocket control connections open now");
        x.sample("ngmedia_http_connections", {}, (int64_t)h.open);
        x.family("ngmedia_http_connections_closed_total", "counter",
                 "HTTP/WebSocket connections closed at the connection limit since start: an idle one "
                 "evicted for a newcomer, or the newcomer refused when none was idle");
        x.sample("ngmedia_http_connections_closed_total", {{"reason", "evicted"}}, (int64_t)h.evicted);
        x.sample("ngmedia_http_connections_closed_total", {{"reason", "refused"}}, (int64_t)h.refused);
    }
    if (src.load) {
        const session::LoadMonitor& l = *src.load;
        x.family("ngmedia_load_average", "gauge",
                 "1-minute load average as last sampled for --max-load (about once a second)");
        x.sample("ngmedia_load_average", {}, decimal(l.loadAverage(), 2));
        x.family("ngmedia_cpu_usage_percent", "gauge",
                 "CPU usage of the whole system in percent (/proc/stat), as last sampled for --max-cpu");
        x.sample("ngmedia_cpu_usage_percent", {}, decimal(l.cpuUsage(), 1));
        x.family("ngmedia_received_bytes_per_second", "gauge",
                 "Media bytes received per second over the last second, as checked for --max-bandwidth");
        x.sample("ngmedia_received_bytes_per_second", {}, l.bandwidth());
        x.family("ngmedia_offers_refused_total", "counter",
                 "Offers for new calls refused since start, by the limit that refused them (max-sessions, "
                 "max-load, max-cpu, max-bandwidth)");
        x.sample("ngmedia_offers_refused_total", {{"limit", "sessions"}}, text(at(tot, "rejectedsessions")));
        x.sample("ngmedia_offers_refused_total", {{"limit", "load"}}, l.refusedLoad.load());
        x.sample("ngmedia_offers_refused_total", {{"limit", "cpu"}}, l.refusedCpu.load());
        x.sample("ngmedia_offers_refused_total", {{"limit", "bandwidth"}}, l.refusedBandwidth.load());
    }
    if (src.rtpproxy) {
        x.family("ngmedia_rtpproxy_requests_total", "counter",
                 "rtpproxy protocol datagrams (--listen-udp) since start by outcome: ok (run), "
                 "error (answered E8), dropped (blank or over 8 KiB, not answered)");
        const RtpproxyCounters& rc = *src.rtpproxy;
        x.sample("ngmedia_rtpproxy_requests_total", {{"result", "ok"}},
                 (int64_t)rc.commands.load(std::memory_order_relaxed));
        x.sample("ngmedia_rtpproxy_requests_total", {{"result", "error"}},
                 (int64_t)rc.errors.load(std::memory_order_relaxed));
        x.sample("ngmedia_rtpproxy_requests_total", {{"result", "dropped"}},
                 (int64_t)rc.dropped.load(std::memory_order_relaxed));
    }
    if (src.mediaproxy) {
        const MediaproxyCounters& mc = *src.mediaproxy;
        x.family("ngmedia_mediaproxy_commands_total", "counter",
                 "mediaproxy protocol command lines (--listen-tcp) since start by outcome: ok (parsed "
                 "and run), error (not parsed; the connection closed without a reply)");
        x.sample("ngmedia_mediaproxy_commands_total", {{"result", "ok"}},
                 (int64_t)mc.commands.load(std::memory_order_relaxed));
        x.sample("ngmedia_mediaproxy_commands_total", {{"result", "error"}},
                 (int64_t)mc.errors.load(std::memory_order_relaxed));
        x.family("ngmedia_mediaproxy_connections_dropped_total", "counter",
                 "mediaproxy protocol connections (--listen-tcp) refused or closed without a command "
                 "since start: over the 256 open, a line over 1024 bytes, or idle for 30 s");
        x.sample("ngmedia_mediaproxy_connections_dropped_total", {},
                 (int64_t)mc.dropped.load(std::memory_order_relaxed));
    }
    return x.take();
}

}  // namespace ngm::control
