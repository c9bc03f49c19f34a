// rtpengine-compatible command line and config file.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "media/learning.h"
#include "net/address.h"

// The version --version prints; the build may define it from the project version.
#ifndef NGM_VERSION_STRING
#define NGM_VERSION_STRING "0.1.0"
#endif

namespace ngm::app {

// One --interface entry after parsing (a device name expands to one entry per
// address of the device).
struct InterfaceSpec {
    std::string name = "default";  // logical interface name ("pub" of "pub:1/1.2.3.4")
    std::string suffix;            // round-robin group member suffix ("1" of "pub:1/..."), empty if none
    net::IpAddress address;        // local address to bind
    std::optional<net::IpAddress> advertised;  // address written into SDP, if different
};

struct Options {
    // Interfaces and ports
    std::vector<InterfaceSpec> interfaces;
    int portMin = 30000;
    int portMax = 40000;

    // Control listeners (empty = not listening)
    std::vector<net::Endpoint> listenNg;     // UDP ng
    std::vector<net::Endpoint> listenTcpNg;  // TCP ng
    std::vector<net::Endpoint> listenCli;
    std::vector<net::Endpoint> listenUdp;    // rtpproxy UDP
    std::vector<net::Endpoint> listenTcp;    // rtpproxy TCP
    std::vector<net::Endpoint> listenHttp;
    std::vector<net::Endpoint> listenHttps;
    std::string httpsCert, httpsKey;  // PEM files of the HTTPS listeners
    int httpThreads = 0;              // 0 = as many as --num-threads

    // TOS byte for media packets; 0 leaves it untouched. rtpengine's built-in
    // default is 0 too (its packaged config file sets 184).
    int tos = 0;
    int controlTos = 0;
    int timeout = 60;
    int silentTimeout = 3600;
    int finalTimeout = 0;  // 0 = off
    int offerTimeout = 3600;
    int deleteDelay = 30;
    int ngReplyCache = 30;  // ngmedia only: seconds ng replies are kept for retransmissions
    int maxSessions = -1;  // -1 = unlimited
    double maxLoad = 0;     // 1-minute load average; 0 = off
    double maxCpu = 0;      // system CPU usage in percent; 0 = off
    int64_t maxBandwidth = 0;  // received bytes per second; 0 = off
    int table = 0;
    bool noFallback = false;
    bool noIoUring = false;  // ngmedia only: media through epoll + recvmmsg/sendmmsg
    bool sipSource = false;
    bool rejectInvalidSdp = false;
    bool saveInterfacePorts = false;
    media::Learning endpointLearning = media::Learning::Delayed;

    // Process
    std::string pidfile;
    bool foreground = false;
    int logLevel = 6;
    // --log-level-<subsystem> (log::Subsystem order); -2: not given, so
    // --log-level applies (internals: off).
    std::array<int, 13> subsystemLogLevels{-2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2, -2};
    bool logStderr = false;
    std::string logFacility = "daemon";
    int numThreads = 0;  // 0 = number of cores

    // DTLS-SRTP certificate and role (rtpengine's defaults).
    bool dtlsPassive = false;
    int dtlsRsaKeySize = 2048;
    std::string dtlsCertCipher = "prime256v1";  // or RSA
    int dtlsMtu = 1200;
    std::string dtlsCiphers;  // empty: the built-in list
    std::string dtlsSignature = "SHA-256";

    // Options accepted for rtpengine compatibility whose capability is not
    // built yet: long option name -> value as given. Startup logs one warning
    // line naming all of them.
    // List options (given several times) are joined with ';' as in the
    // config file. Values may hold secrets (redis password, mqtt-pass, ...):
    // log the names only.
    std::map<std::string, std::string> notYetImplemented;

    // Where the settings came from: the config file actually read (empty if
    // none) and the section used.
    std::string configFile;
    std::string configSection = "rtpengine";

    // Non-fatal remarks for the start-up log, one line each (e.g. an unknown
    // key in the config file, which rtpengine ignores silently).
    std::vector<std::string> warnings;
};

struct ParseResult {
    enum class Action { Run, ExitSuccess, ExitFailure } action = Action::Run;
    std::string message;  // text for --help/--version (stdout) or the error (stderr)
};

// Parses argv (and the config file it names, or the default one) into `opts`.
// A wrong value yields ExitFailure with a message naming the option and value.
ParseResult parseOptions(int argc, char** argv, Options& opts);

}  // namespace ngm::app
