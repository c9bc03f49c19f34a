// The `statistics` reply: the keys, order and formats of rtpengine 10.5's
// (its `list jsonstats`), compared key by key in the diff suite
// (tests/diff, statistics_* scenarios).
#include "control/ng_statistics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "control/ng_commands.h"
#include "net/interface.h"

namespace ngm::control {

using bencode::Value;

namespace {

std::string fixed(double v, int decimals = 6) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

ControlStatistics::MediaTotals mediaTotals(session::WorkerPool& workers) {
    ControlStatistics::MediaTotals t;
    for (size_t i = 0; i < workers.size(); i++) {
        auto& st = workers.at(i).stats;
        t.packets += st.packets.load(std::memory_order_relaxed);
        t.bytes += st.bytes.load(std::memory_order_relaxed);
        t.errors += st.errors.load(std::memory_order_relaxed);
    }
    return t;
}

Value buildStatistics(const StatisticsSources& src, bencode::Document& d) {
    auto& c = src.counters;
    auto& workers = src.workers;
    ControlStatistics::MediaTotals media = mediaTotals(workers);
    auto str = [&](std::string s) { return Value::string(d.intern(s)); };
    auto key = [&](std::string_view a, std::string_view b = {}, std::string_view e = {}) {
        std::string k(a);
        k += b;
        k += e;
        return d.intern(k);
    };
    ControlStatistics::Snapshot ctlStats = src.control.snapshot();
    int64_t packetRate = ctlStats.packetRate, byteRate = ctlStats.byteRate,
            errorRate = ctlStats.errorRate;
    Value r = Value::dict();
    Value& st = r.add("statistics", Value::dict());

    // The rates are userspace's (the `_kernel` ones stay 0); the relayed
    // totals below count both paths.
    Value& cur = st.add("currentstatistics", Value::dict());
    cur.add("sessionsown", Value::integer(c.sessionsOwn.load()));
    cur.add("sessionsforeign", Value::integer(c.sessionsForeign.load()));
    cur.add("sessionstotal", Value::integer(c.sessionsOwn.load() + c.sessionsForeign.load()));
    cur.add("transcodedmedia", Value::integer(0));
    for (std::string_view path : {"_user", "_kernel", ""}) {
        bool kernel = path == "_kernel";
        cur.add(key("packetrate", path), Value::integer(kernel ? 0 : packetRate));
        cur.add(key("byterate", path), Value::integer(kernel ? 0 : byteRate));
        cur.add(key("errorrate", path), Value::integer(kernel ? 0 : errorRate));
    }
    // Media sections with traffic: all in userspace, all in the kernel path,
    // or some of each.
    int64_t mediaUser = 0, mediaKernel = 0, mediaMixed = 0;
    for (size_t i = 0; i < workers.size(); i++) {
        auto& ws = workers.at(i).stats;
        int64_t all = ws.mediaWithTraffic.load(std::memory_order_relaxed);
        int64_t k = ws.mediaKernel.load(std::memory_order_relaxed);
        int64_t m = ws.mediaMixed.load(std::memory_order_relaxed);
        mediaKernel += k;
        mediaMixed += m;
        mediaUser += std::max<int64_t>(0, all - k - m);
    }
    cur.add("media_userspace", Value::integer(mediaUser));
    cur.add("media_kernel", Value::integer(mediaKernel));
    cur.add("media_mixed", Value::integer(mediaMixed));

    Value& tot = st.add("totalstatistics", Value::dict());
    tot.add("uptime", str(std::to_string(wallSeconds() - src.startTime)));
    tot.add("managedsessions", Value::integer(c.managedSessions.load()));
    tot.add("rejectedsessions", Value::integer(c.rejectedSessions.load()));
    tot.add("timeoutsessions", Value::integer(c.timeoutSessions.load()));
    tot.add("silenttimeoutsessions", Value::integer(c.silentTimeoutSessions.load()));
    tot.add("finaltimeoutsessions", Value::integer(c.finalTimeoutSessions.load()));
    tot.add("offertimeoutsessions", Value::integer(c.offerTimeoutSessions.load()));
    tot.add("regularterminatedsessions", Value::integer(c.regularTerminated.load()));
    tot.add("forcedterminatedsessions", Value::integer(c.forcedTerminated.load()));
    // What the in-kernel path forwarded (0 without it) beside userspace's.
    ControlStatistics::MediaTotals kernel;
    for (size_t i = 0; i < workers.size(); i++) {
        auto& ws = workers.at(i).stats;
        kernel.packets += ws.kernelPackets.load(std::memory_order_relaxed);
        kernel.bytes += ws.kernelBytes.load(std::memory_order_relaxed);
        kernel.errors += ws.kernelErrors.load(std::memory_order_relaxed);
    }
    for (std::string_view path : {"_user", "_kernel", ""}) {
        const ControlStatistics::MediaTotals& m = path == "_kernel" ? kernel : media;
        int64_t k = path.empty() ? 1 : 0;  // the totals add the kernel's
        tot.add(key("relayedpackets", path), Value::integer(int64_t(m.packets + k * kernel.packets)));
        tot.add(key("relayedpacketerrors", path), Value::integer(int64_t(m.errors + k * kernel.errors)));
        tot.add(key("relayedbytes", path), Value::integer(int64_t(m.bytes + k * kernel.bytes)));
    }
    tot.add("zerowaystreams", Value::integer(c.zeroWayStreams.load()));
    tot.add("onewaystreams", Value::integer(c.oneWayStreams.load()));
    auto ended = (double)c.endedSessions.load();
    double sum = (double)c.totalCallDurationUs.load() / 1e6;
    double sum2 = c.totalCallDurationSquared.load();
    double mean = ended > 0 ? sum / ended : 0.0;
    double variance = ended > 0 ? sum2 / ended - mean * mean : 0.0;
    tot.add("avgcallduration", str(fixed(mean)));
    tot.add("totalcallsduration", str(fixed(sum)));
    tot.add("totalcallsduration2", str(fixed(sum2)));
    tot.add("totalcallsduration_stddev", str(fixed(variance > 0 ? std::sqrt(variance) : 0.0)));

    int64_t uptime = std::max<int64_t>(1, wallSeconds() - src.startTime);
    // rtpengine computes these per --graphite-interval; ngmediad's interval
    // is the daemon's lifetime (the diff suite compares their types only).
    Value& iv = st.add("intervalstatistics", Value::dict());
    iv.add("totalcallsduration", str(fixed(sum)));
    iv.add("minmanagedsessions", Value::integer(ctlStats.minSessions));
    iv.add("maxmanagedsessions", Value::integer(ctlStats.maxSessions));
    // One column per command with statistics keys: the table's first rows.
    std::span<const NgCommand> commands = ngCommands().first(countedCommands());
    for (size_t i = 0; i < commands.size(); i++) {
        const DelayStats& s = ctlStats.delays[i];
        std::string_view n = commands[i].intervalKey;
        iv.add(key("min", n, "delay"), str(fixed(s.min)));
        iv.add(key("max", n, "delay"), str(fixed(s.max)));
        iv.add(key("avg", n, "delay"), str(fixed(s.count ? s.sum / (double)s.count : 0.0)));
    }
    for (size_t i = 0; i < commands.size(); i++) {
        const RateStats& s = ctlStats.rates[i];
        std::string_view n = commands[i].intervalKey;
        iv.add(key("min", n, "requestrate"), str(std::to_string(s.min)));
        iv.add(key("max", n, "requestrate"), str(std::to_string(s.max)));
        iv.add(key("avg", n, "requestrate"), str(std::to_string(ctlStats.totals[i] / uptime)));
    }

    // MOS: one sample per stream that received RTP, its average over the
    // call, taken when the call ends (estimated from what ngmediad sees of
    // loss and jitter; see media/quality.h).
    Value& mos = st.add("mos", Value::dict());
    {
        double sum = c.mosSum.load(), sum2 = c.mosSquaredSum.load();
        int64_t n = c.mosCount.load();
        double avg = n ? sum / (double)n : 0;
        double var = n ? sum2 / (double)n - avg * avg : 0;
        mos.add("mos_total", str(fixed(sum)));
        mos.add("mos2_total", str(fixed(sum2)));
        mos.add("mos_samples_total", Value::integer(n));
        mos.add("mos_average", str(fixed(avg)));
        mos.add("mos_stddev", str(fixed(var > 0 ? std::sqrt(var) : 0)));
    }

    Value& ctl = st.add("controlstatistics", Value::dict());
    Value& proxies = ctl.add("proxies", Value::list());
    std::vector<int64_t> totals(commands.size());
    for (const auto& [addr, row] : ctlStats.proxies) {
        Value p = Value::dict();
        p.add("proxy", str(addr));
        for (size_t i = 0; i < commands.size(); i++) {
            p.add(key(commands[i].controlKey, "count"), Value::integer(row.count[i]));
            p.add(key(commands[i].controlKey, "duration"), str(fixed(row.seconds[i])));
            totals[i] += row.count[i];
        }
        p.add("errorcount", Value::integer(row.errors));
        proxies.push(std::move(p));
    }
    for (size_t i = 0; i < commands.size(); i++)
        ctl.add(key("total", commands[i].controlKey, "count"), Value::integer(totals[i]));

    // One entry per local address of each logical interface.
    Value& ifs = st.add("interfaces", Value::list());
    if (src.interfaces) {
        for (const auto& li : src.interfaces->all()) {
            for (const auto& local : li->addresses) {
                const net::PortPool& pool = *local->ports;
                int64_t total = pool.portMax() - pool.portMin() + 1;
                auto used = (int64_t)pool.inUse();
                Value e = Value::dict();
                e.add("name", str(li->name));
                e.add("address", str(local->address.toString()));
                Value& ports = e.add("ports", Value::dict());
                ports.add("min", Value::integer(pool.portMin()));
                ports.add("max", Value::integer(pool.portMax()));
                ports.add("used", Value::integer(used));
                ports.add("used_pct", str(fixed(total ? (double)used * 100.0 / (double)total : 0.0, 2)));
                ports.add("free", Value::integer(total - used));
                ports.add("totals", Value::integer(total));
                ports.add("last", Value::integer(pool.lastAllocated()));
                ifs.push(std::move(e));
            }
        }
    }
    // No transcoding yet, so no codec pairs in use.
    st.add("transcoders", Value::list());
    r.add("result", Value::string("ok"));
    return r;
}

}  // namespace ngm::control
