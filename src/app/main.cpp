// ngmediad: the daemon's life cycle.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <map>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <random>
#include <thread>

#include "app/options.h"
#include "app/service_notify.h"
#include "common/log.h"
#include "crypto/dtls.h"
#include "media/stage.h"
#include "control/cli.h"
#include "control/http_transport.h"
#include "control/metrics.h"
#include "control/ng_dispatcher.h"
#include "control/ng_transport.h"
#include "control/mediaproxy_transport.h"
#include "control/rtpproxy_transport.h"
#include "net/event_loop.h"
#include "net/interface.h"
#include "offload/kernel_path.h"
#include "session/load_limits.h"
#include "session/registry.h"
#include "session/worker.h"

using namespace ngm;

namespace {

int facilityFromName(const std::string& n) {
    static const std::pair<const char*, int> kMap[] = {
        {"kern", LOG_KERN},     {"user", LOG_USER},     {"mail", LOG_MAIL},
        {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},     {"syslog", LOG_SYSLOG},
        {"lpr", LOG_LPR},       {"news", LOG_NEWS},     {"uucp", LOG_UUCP},
        {"cron", LOG_CRON},     {"authpriv", LOG_AUTHPRIV}, {"ftp", LOG_FTP},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    };
    for (auto& [name, v] : kMap)
        if (n == name) return v;
    return LOG_DAEMON;  // the options parser has already refused unknown names
}

std::string randomToken() {
    std::random_device rd;
    char buf[13];
    snprintf(buf, sizeof buf, "%06x%06x", rd() & 0xffffff, rd() & 0xffffff);
    return buf;
}

void writePidfile(const std::string& path) {
    if (path.empty()) return;
    FILE* f = fopen(path.c_str(), "w");
    if (!f) {
        NGM_LOG_WARN("Failed to write pidfile %s: %s", path.c_str(), strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

// Waits for SIGINT, SIGTERM or SIGQUIT and returns it. SIGHUP reopens the
// log. With the systemd watchdog on, sends WATCHDOG=1 at half its interval,
// but only while every worker loop still runs the tasks posted to it: a
// stuck worker stops the pings and systemd restarts the service.
int waitForStopSignal(const sigset_t& signals, app::ServiceNotifier& notifier, session::WorkerPool& workers) {
    auto interval = notifier.watchdogInterval() / 2;
    // One flag per worker, set by a task on that worker's loop; shared so a
    // task still queued at shutdown never writes freed memory.
    auto alive = std::make_shared<std::vector<std::atomic<bool>>>(workers.size());
    auto postHeartbeats = [&] {
        for (size_t i = 0; i < workers.size(); i++)
            workers.at(i).loop.post([alive, i] { (*alive)[i].store(true); });
    };
    if (interval.count() > 0) {
        NGM_LOG_INFO("systemd watchdog: WATCHDOG=1 every %lld ms", (long long)(interval.count() / 1000));
        postHeartbeats();
    }
    // Pings follow a deadline, so a stream of SIGHUPs cannot hold them off.
    auto nextPing = std::chrono::steady_clock::now() + interval;
    for (;;) {
        int sig;
        if (interval.count() > 0) {
            auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(nextPing - std::chrono::steady_clock::now());
            if (left.count() < 0) left = std::chrono::nanoseconds(0);
            timespec ts{time_t(left.count() / 1000000000), long(left.count() % 1000000000)};
            sig = sigtimedwait(&signals, nullptr, &ts);
        } else {
            sig = sigwaitinfo(&signals, nullptr);
        }
        if (interval.count() > 0 && std::chrono::steady_clock::now() >= nextPing) {
            nextPing = std::chrono::steady_clock::now() + interval;
            bool all = std::all_of(alive->begin(), alive->end(), [](const auto& a) { return a.load(); });
            if (all) {
                notifier.send("WATCHDOG=1");
                for (auto& a : *alive) a.store(false);
                postHeartbeats();
            } else {
                NGM_LOG_WARN("A media worker did not run its heartbeat task: no watchdog ping");
            }
        }
        if (sig < 0) continue;  // the timeout (EAGAIN) or EINTR
        if (sig == SIGHUP) {
            log::reopen();
            NGM_LOG_NOTICE("Log reopened (SIGHUP)");
            continue;
        }
        return sig;
    }
}

}  // namespace

int main(int argc, char** argv) {
    app::Options opts;
    app::ParseResult pr = app::parseOptions(argc, argv, opts);
    if (pr.action == app::ParseResult::Action::ExitSuccess) {
        fputs(pr.message.c_str(), stdout);
        if (!pr.message.empty() && pr.message.back() != '\n') fputc('\n', stdout);
        return 0;
    }
    if (pr.action == app::ParseResult::Action::ExitFailure) {
        fprintf(stderr, "ngmediad: %s\n", pr.message.c_str());
        return 1;
    }

    log::Config lc;
    lc.level = opts.logLevel;
    // As rtpengine: syslog unless --log-stderr, also in the foreground.
    lc.toStderr = opts.logStderr;
    lc.facility = facilityFromName(opts.logFacility);
    log::init(lc);

    for (const auto& w : opts.warnings) NGM_LOG_WARN("%s", w.c_str());
    // Listeners of capabilities not built yet are parsed into Options; name them too.
    std::map<std::string, std::string> later = opts.notYetImplemented;
    if (!later.empty()) {
        std::string names;
        for (const auto& [k, v] : later) names += (names.empty() ? "--" : ", --") + k;
        NGM_LOG_WARN("Options accepted but not implemented yet (no effect): %s", names.c_str());
    }

    // Media needs four descriptors per call; raise the soft limit as far as allowed.
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    std::vector<net::InterfaceConfig> ifcfg;
    for (const auto& s : opts.interfaces)
        ifcfg.push_back({s.name, s.suffix, s.address, s.advertised ? *s.advertised : net::IpAddress()});
    net::InterfaceTable interfaces;
    interfaces.build(ifcfg, opts.portMin, opts.portMax);

    // In-kernel forwarding (docs/ebpf.md): --table >= 0 loads the eBPF path;
    // when it cannot, one line says why and userspace forwards everything,
    // or with --no-fallback the daemon refuses to start.
    std::unique_ptr<offload::KernelPath> kernelPath;
    if (opts.table >= 0) {
        std::vector<net::IpAddress> addrs;
        for (const auto& s : opts.interfaces) addrs.push_back(s.address);
        std::string why;
        kernelPath = offload::KernelPath::open(addrs, why);
        if (!kernelPath && opts.noFallback) {
            fprintf(stderr, "ngmediad: in-kernel forwarding is not available (%s) and --no-fallback is set\n",
                    why.c_str());
            return 1;
        }
        if (kernelPath)
            NGM_LOG_NOTICE("In-kernel forwarding (eBPF, table %d) on %s", opts.table,
                           kernelPath->deviceNames().c_str());
        else
            NGM_LOG_WARN("In-kernel forwarding is not available (%s): forwarding in userspace", why.c_str());
    }

    session::CallRegistry registry;
    session::SessionConfig sc;
    sc.interfaces = &interfaces;
    sc.registry = &registry;
    sc.timeout = opts.timeout;
    sc.silentTimeout = opts.silentTimeout;
    sc.finalTimeout = opts.finalTimeout;
    sc.offerTimeout = opts.offerTimeout;
    sc.deleteDelay = opts.deleteDelay;
    sc.maxSessions = opts.maxSessions;
    sc.sipSource = opts.sipSource;
    sc.rejectInvalidSdp = opts.rejectInvalidSdp;
    sc.learning = opts.endpointLearning;
    sc.tos = opts.tos;
    sc.instanceToken = randomToken();
    // DTLS-SRTP: one certificate for the daemon's life, as rtpengine makes
    // it from the --dtls-* options. Without it no DTLS is offered or
    // answered (SDES still is).
    {
        crypto::DtlsCertificateOptions dc;
        if (strcasecmp(opts.dtlsCertCipher.c_str(), "RSA") == 0) dc.keyType = crypto::DtlsKeyType::Rsa;
        if (opts.dtlsRsaKeySize > 0) dc.rsaKeyBits = unsigned(opts.dtlsRsaKeySize);
        if (strncasecmp(opts.dtlsSignature.c_str(), "SHA1", 4) == 0 ||
            strncasecmp(opts.dtlsSignature.c_str(), "SHA-1", 5) == 0)
            dc.signature = crypto::DtlsSignatureHash::Sha1;
        if (!opts.dtlsCiphers.empty()) dc.ciphers = opts.dtlsCiphers;
        dc.mtu = size_t(opts.dtlsMtu);
        auto cert = crypto::DtlsCertificate::create(dc);
        if (cert) {
            sc.dtlsCert = *cert;
            NGM_LOG_INFO("DTLS certificate made, fingerprint %s",
                         crypto::writeFingerprint((*cert)->fingerprint(crypto::FingerprintHash::Sha256)).c_str());
        } else {
            NGM_LOG_ERR("No DTLS certificate (%s): DTLS-SRTP will not be offered", cert.error().reason.c_str());
        }
        sc.dtlsPassive = opts.dtlsPassive;
    }
    if (kernelPath)
        sc.offload = [&kernelPath, tos = uint8_t(opts.tos > 0 ? opts.tos : 0)] {
            return std::unique_ptr<media::OffloadHook>(kernelPath->forwarder(tos));
        };
    // A benchmark knob, not an option: one enabled stage that does nothing
    // on every stream, to measure what a stage costs (bench/README.md).
    static media::NoopStage noopStage;
    if (const char* v = getenv("NGMEDIA_NOOP_STAGE"); v && *v && strcmp(v, "0") != 0) {
        sc.extraStage = &noopStage;
        NGM_LOG_NOTICE("NGMEDIA_NOOP_STAGE: a no-op stage runs on every stream");
    }

    // Another benchmark knob: the DTLS work a worker does per loop round
    // (microseconds; 0 turns the pacing off) for before/after figures.
    if (const char* v = getenv("NGMEDIA_DTLS_ROUND_BUDGET_US"); v && *v) {
        sc.dtlsRoundBudget = std::chrono::microseconds(strtoll(v, nullptr, 10));
        NGM_LOG_NOTICE("NGMEDIA_DTLS_ROUND_BUDGET_US: %lld us of DTLS work per loop round",
                       (long long)sc.dtlsRoundBudget.count());
    }

    // Termination signals and SIGHUP are taken by the main thread alone
    // (waitForStopSignal): block them before any thread starts so every
    // thread inherits the mask.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGQUIT);
    sigaddset(&stopSignals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    if (!opts.foreground) {
        if (daemon(1, 0) != 0) {
            fprintf(stderr, "ngmediad: cannot daemonize: %s\n", strerror(errno));
            return 1;
        }
    }
    writePidfile(opts.pidfile);

    size_t threads = opts.numThreads > 0 ? (size_t)opts.numThreads : std::max(1u, std::thread::hardware_concurrency());
    // What the CLI may change at runtime; the workers read it from here.
    session::RuntimeValues startValues;
    startValues.timeout = opts.timeout;
    startValues.silentTimeout = opts.silentTimeout;
    startValues.finalTimeout = opts.finalTimeout;
    startValues.offerTimeout = opts.offerTimeout;
    startValues.deleteDelay = opts.deleteDelay;
    startValues.maxSessions = opts.maxSessions;
    startValues.controlTos = opts.controlTos;
    startValues.maxCpu = opts.maxCpu;
    startValues.maxLoad = opts.maxLoad;
    startValues.maxBandwidth = opts.maxBandwidth;
    startValues.logLevels.fill(opts.logLevel);
    startValues.logLevels[size_t(log::Subsystem::Internals)] = -1;  // off unless asked for, as rtpengine
    for (size_t i = 0; i < startValues.logLevels.size(); i++)
        if (opts.subsystemLogLevels[i] != -2) startValues.logLevels[i] = opts.subsystemLogLevels[i];
    for (size_t i = 0; i < startValues.logLevels.size(); i++)
        log::setLevel(log::Subsystem(i), startValues.logLevels[i]);
    session::RuntimeParams runtime(startValues);
    sc.runtime = &runtime;
    // --max-load, --max-cpu, --max-bandwidth: sampled once a second on
    // worker 0's tick, whether limits are set or not (the CLI may set them).
    session::LoadMonitor loadMonitor;
    sc.load = &loadMonitor;
    session::SessionCounters counters;
    net::EventLoop::allowIoUring(!opts.noIoUring);
    session::WorkerPool workers(threads, sc, counters);
    control::NgDispatcher dispatcher(workers, counters, sc, opts.ngReplyCache);
    workers.onTick([&dispatcher, &loadMonitor, &workers] {
        dispatcher.purge();
        uint64_t received = 0;
        for (size_t i = 0; i < workers.size(); i++) {
            const auto& st = workers.at(i).stats;
            received += st.bytes.load(std::memory_order_relaxed) + st.kernelBytes.load(std::memory_order_relaxed);
        }
        loadMonitor.sample(std::chrono::steady_clock::now(), received);
    });
    workers.start();

    std::vector<std::unique_ptr<control::NgUdpListener>> udp;
    std::vector<std::unique_ptr<control::NgTcpListener>> tcp;
    std::mutex udpMutex;  // `udp` against the CLI's `set controltos`
    // The CLI (rtpengine-ctl): one wiring block. Listening before ng does, so
    // a client that saw ng answer finds the CLI too.
    std::unique_ptr<control::Cli> cli;
    std::vector<std::unique_ptr<control::CliListener>> cliListeners;
    // HTTP's /cli/ and cli.rtpengine.com run the same commands.
    bool cliWanted = !opts.listenCli.empty() || !opts.listenHttp.empty() || !opts.listenHttps.empty();
    if (cliWanted) {
        std::vector<std::pair<std::string, std::string>> fixed = {
            {"table", std::to_string(opts.table)},
            {"tos", std::to_string(opts.tos)},
            {"no-fallback", opts.noFallback ? "1" : "0"},
            {"port-min", std::to_string(opts.portMin)},
            {"port-max", std::to_string(opts.portMax)},
            {"num-threads", std::to_string(threads)},
        };
        for (size_t i = 0; i < opts.interfaces.size(); i++)
            fixed.push_back({"interface[" + std::to_string(i) + "]",
                             opts.interfaces[i].name + "\\" + opts.interfaces[i].address.toString() + " " +
                                 (opts.interfaces[i].advertised ? opts.interfaces[i].advertised->toString() : "")});
        for (const auto& ep : opts.listenNg) fixed.push_back({"listen-ng", ep.toString()});
        for (const auto& ep : opts.listenCli) fixed.push_back({"listen-cli", ep.toString()});
        control::CliSources cs{workers, counters, &interfaces, dispatcher, runtime, startValues, std::move(fixed), {}};
        cs.applied = [&udp, &udpMutex](const session::RuntimeValues& v) {
            for (size_t i = 0; i < v.logLevels.size(); i++) log::setLevel(log::Subsystem(i), v.logLevels[i]);
            std::lock_guard lk(udpMutex);
            for (auto& l : udp) l->setTos(v.controlTos);
        };
        cli = std::make_unique<control::Cli>(std::move(cs));
        for (const auto& ep : opts.listenCli) {
            auto l = std::make_unique<control::CliListener>(*cli);
            if (!l->start(ep)) {
                NGM_LOG_ERR("Failed to open TCP CLI port (%s): %s", ep.toString().c_str(), strerror(errno));
                return 1;
            }
            cliListeners.push_back(std::move(l));
        }
    }

    for (const auto& ep : opts.listenNg) {
        std::lock_guard lk(udpMutex);
        auto l = std::make_unique<control::NgUdpListener>(dispatcher, workers, runtime.controlTos.load());
        if (!l->start(ep)) {
            NGM_LOG_ERR("Failed to open UDP control connection port (%s): %s", ep.toString().c_str(), strerror(errno));
            return 1;
        }
        udp.push_back(std::move(l));
    }
    for (const auto& ep : opts.listenTcpNg) {
        auto l = std::make_unique<control::NgTcpListener>(dispatcher);
        if (!l->start(ep)) {
            NGM_LOG_ERR("Failed to open TCP control connection port (%s): %s", ep.toString().c_str(), strerror(errno));
            return 1;
        }
        tcp.push_back(std::move(l));
    }

    // The rtpproxy protocol (Kamailio's rtpproxy module).
    control::RtpproxyCounters rtpproxyCounters;
    std::vector<std::unique_ptr<control::RtpproxyUdpListener>> rtpproxy;
    net::IpAddress rtpproxyAddress;
    if (auto* li = interfaces.defaultInterface(); li && !li->addresses.empty())
        rtpproxyAddress = li->addresses.front()->advertised;
    for (const auto& ep : opts.listenUdp) {
        auto l = std::make_unique<control::RtpproxyUdpListener>(workers, &runtime, rtpproxyAddress,
                                                                rtpproxyCounters);
        if (!l->start(ep)) {
            NGM_LOG_ERR("Failed to open UDP control port (%s): %s", ep.toString().c_str(), strerror(errno));
            return 1;
        }
        rtpproxy.push_back(std::move(l));
    }
    // OpenSER's mediaproxy protocol (--listen-tcp).
    control::MediaproxyCounters mediaproxyCounters;
    std::vector<std::unique_ptr<control::MediaproxyTcpListener>> mediaproxy;
    for (const auto& ep : opts.listenTcp) {
        auto l = std::make_unique<control::MediaproxyTcpListener>(
            workers, &dispatcher.statistics(), "ngmedia " NGM_VERSION_STRING, mediaproxyCounters);
        if (!l->start(ep)) {
            NGM_LOG_ERR("Failed to open TCP control port (%s): %s", ep.toString().c_str(), strerror(errno));
            return 1;
        }
        mediaproxy.push_back(std::move(l));
    }

    // HTTP, HTTPS and WebSocket (--listen-http, --listen-https): /ping, /ng,
    // /metrics, /cli/ and the WebSocket subprotocols.
    control::MetricsSources metricsSources{
        {workers, counters, &interfaces, dispatcher.statistics(), dispatcher.startTime()},
        &dispatcher.replyCache(), &loadMonitor, nullptr,
        opts.listenUdp.empty() ? nullptr : &rtpproxyCounters,
        opts.listenTcp.empty() ? nullptr : &mediaproxyCounters};
    control::HttpHandlers httpHandlers;
    httpHandlers.metrics = [&metricsSources] { return control::renderMetrics(metricsSources); };
    // GET /cli/... and cli.rtpengine.com: the CLI's commands (Cli::run
    // takes one at a time, whichever surface asks).
    if (cli) httpHandlers.cli = [&cli](std::string_view command) { return cli->run(command); };
    control::HttpServer http(dispatcher, std::move(httpHandlers));
    metricsSources.http = &http;
    if (!opts.listenHttp.empty() || !opts.listenHttps.empty()) {
        control::HttpConfig hc;
        hc.http = opts.listenHttp;
        hc.https = opts.listenHttps;
        hc.certFile = opts.httpsCert;
        hc.keyFile = opts.httpsKey;
        hc.handlerThreads = opts.httpThreads > 0 ? opts.httpThreads : (int)threads;
        std::string error;
        if (!http.start(hc, error)) {
            NGM_LOG_ERR("Failed to start the HTTP listeners: %s", error.c_str());
            return 1;
        }
    }

    NGM_LOG_NOTICE("Startup complete, version ngmedia %s", NGM_VERSION_STRING);
    // systemd (Type=notify): ready now that every listener is open.
    // MAINPID because without --foreground this is daemon()'s child.
    app::ServiceNotifier notifier;
    notifier.send("READY=1\nSTATUS=Processing requests\nMAINPID=" + std::to_string(getpid()));
    int sig = waitForStopSignal(stopSignals, notifier, workers);
    NGM_LOG_NOTICE("Shutting down (signal %d)", sig);
    notifier.send("STOPPING=1\nSTATUS=Shutting down");
    // Control listeners first, so no new call starts while the calls end.
    // The ng UDP socket is read by the workers and closes with them.
    cliListeners.clear();  // before the workers its commands wait for
    http.stop();
    tcp.clear();
    for (auto& l : rtpproxy) l->stop();
    for (auto& l : mediaproxy) l->stop();
    // Every call ends as a forced delete would end it (ports released,
    // totals counted) while the loops still run.
    size_t ended = 0;
    for (size_t i = 0; i < workers.size(); i++) {
        session::Worker& w = workers.at(i);
        workers.runOn(w, [&w, &ended] {
            ended += w.store.size();
            w.store.clear();
        });
    }
    if (ended) NGM_LOG_NOTICE("Ended %zu call(s) at shutdown", ended);
    workers.stop();
    udp.clear();
    rtpproxy.clear();
    mediaproxy.clear();
    if (!opts.pidfile.empty()) unlink(opts.pidfile.c_str());
    return 0;
}
