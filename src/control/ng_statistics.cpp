// The `statistics` reply: same layout as rtpengine's `list jsonstats`.
#include "common/clock.h"
#include "control/ng_dispatcher.h"

#include <cstdio>
#include <string_view>

namespace ngm::control {

using bencode::Value;

namespace {
std::string fixed6(double v) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}
const char* const kProxyKeys[] = {
    "pingcount", "offercount", "answercount", "deletecount", "querycount", "listcount",
    "startreccount", "stopreccount", "startfwdcount", "stopfwdcount", "blkdtmfcount",
    "unblkdtmfcount", "blkmedia", "unblkmedia", "playmedia", "stopmedia", "playdtmf", "statistics",
};
}  // namespace

Value NgDispatcher::buildStatistics(bencode::Document& d) {
    auto& c = counters_;
    Totals media = mediaTotals();
    int64_t packetRate, byteRate, errorRate;
    {
        std::lock_guard lk(statsMutex_);
        packetRate = packetRate_;
        byteRate = byteRate_;
        errorRate = errorRate_;
    }
    Value r = Value::dict();
    Value& st = r.add("statistics", Value::dict());

    Value& cur = st.add("currentstatistics", Value::dict());
    cur.add("sessionsown", Value::integer(c.sessionsOwn.load()));
    cur.add("sessionsforeign", Value::integer(0));
    cur.add("sessionstotal", Value::integer(c.sessionsOwn.load()));
    cur.add("transcodedmedia", Value::integer(0));
    cur.add("packetrate", Value::integer(packetRate));
    cur.add("byterate", Value::integer(byteRate));
    cur.add("errorrate", Value::integer(errorRate));

    Value& tot = st.add("totalstatistics", Value::dict());
    tot.add("uptime", Value::string(d.intern(std::to_string(wallSeconds() - startTime_))));
    tot.add("managedsessions", Value::integer(c.managedSessions.load()));
    tot.add("rejectedsessions", Value::integer(c.rejectedSessions.load()));
    tot.add("timeoutsessions", Value::integer(c.timeoutSessions.load()));
    tot.add("silenttimeoutsessions", Value::integer(c.silentTimeoutSessions.load()));
    tot.add("finaltimeoutsessions", Value::integer(c.finalTimeoutSessions.load()));
    tot.add("offertimeoutsessions", Value::integer(c.offerTimeoutSessions.load()));
    tot.add("regularterminatedsessions", Value::integer(c.regularTerminated.load()));
    tot.add("forcedterminatedsessions", Value::integer(c.forcedTerminated.load()));
    // As rtpengine splits them: everything is relayed in userspace (no
    // kernel module), so the totals are the userspace figures.
    for (const char* path : {"_user", "_kernel", ""}) {
        bool kernel = path == std::string_view("_kernel");
        auto key = [&](const char* name) { return d.intern(std::string(name) + path); };
        tot.add(key("relayedpackets"), Value::integer(kernel ? 0 : (int64_t)media.packets));
        tot.add(key("relayedpacketerrors"), Value::integer(kernel ? 0 : (int64_t)media.errors));
        tot.add(key("relayedbytes"), Value::integer(kernel ? 0 : (int64_t)media.bytes));
    }
    tot.add("zerowaystreams", Value::integer(c.zeroWayStreams.load()));
    tot.add("onewaystreams", Value::integer(c.oneWayStreams.load()));
    int64_t ended = c.endedSessions.load();
    double avgDur = ended ? (double)c.totalCallDurationUs.load() / 1e6 / (double)ended : 0.0;
    tot.add("avgcallduration", Value::string(d.intern(fixed6(avgDur))));

    std::lock_guard lk(statsMutex_);
    Value& iv = st.add("intervalstatistics", Value::dict());
    iv.add("totalcallsduration", Value::string(d.intern(fixed6((double)c.totalCallDurationUs.load() / 1e6))));
    iv.add("minmanagedsessions", Value::integer(minSessions_));
    iv.add("maxmanagedsessions", Value::integer(maxSessions_));
    auto delays = [&](const char* name, const DelayStats& s) {
        iv.add(d.intern(std::string("min") + name + "delay"), Value::string(d.intern(fixed6(s.min))));
        iv.add(d.intern(std::string("max") + name + "delay"), Value::string(d.intern(fixed6(s.max))));
        iv.add(d.intern(std::string("avg") + name + "delay"),
               Value::string(d.intern(fixed6(s.count ? s.sum / (double)s.count : 0.0))));
    };
    delays("offer", offerDelay_);
    delays("answer", answerDelay_);
    delays("delete", deleteDelay_);

    Value& ctl = st.add("controlstatistics", Value::dict());
    Value& proxies = ctl.add("proxies", Value::list());
    std::array<int64_t, (int)Cmd::Count + 1> totals{};
    for (const auto& [addr, row] : perProxy_) {
        Value p = Value::dict();
        p.add("proxy", Value::string(d.intern(addr)));
        for (int i = 0; i < (int)Cmd::Other; i++) p.add(kProxyKeys[i], Value::integer(row[i]));
        p.add("errorcount", Value::integer(row[(int)Cmd::Count]));
        for (size_t i = 0; i < totals.size(); i++) totals[i] += row[i];
        proxies.push(std::move(p));
    }
    for (int i = 0; i < (int)Cmd::Other; i++)
        ctl.add(d.intern(std::string("total") + kProxyKeys[i]), Value::integer(totals[i]));
    ctl.add("totalerrorcount", Value::integer(totals[(int)Cmd::Count]));
    r.add("result", Value::string("ok"));
    return r;
}

}  // namespace ngm::control
