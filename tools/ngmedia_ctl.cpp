// ngmedia-ctl: sends one command line to the daemon's CLI port
// (--listen-cli) and prints the answer. The options, defaults and exit codes
// are rtpengine-ctl's, so scripts can call either.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* kUsage = R"(
    ngmedia-ctl [ -ip <ipaddress>[:<port>] -port <port> ] <command>

    Supported commands are:

    help                       : generated complete list of commands

    list <option>
         help                  : generated complete list of sub-commands
         numsessions           : print the number of sessions
         maxsessions           : print the number of allowed sessions
         maxopenfiles          : print the number of allowed open files
         maxcpu                : print maxmimum CPU usage allowed
         maxload               : print maxmimum load average allowed
         maxbw                 : print maxmimum bandwidth usage average allowed
         sessions <callid>     : print detail about one session
         sessions all          : print one-liner all sessions information
         sessions own          : print one-liner own sessions information
         sessions foreign      : print one-liner foreign sessions information
         totals                : print total statistics
         jsonstats             : print total statistics in JSON format
         timeout               : print timeout parameter
         silenttimeout         : print silent-timeout parameter
         finaltimeout          : print final-timeout parameter
         offertimeout          : print offer-timeout parameter
         loglevels             : print available log levels
         loglevel              : print current log levels
         loglevel <system>     : print one current log level
         controltos            : print control-tos parameter
         deletedelay           : print delete-delay parameter
         interfaces            : print local interface/port statistics
         transcoders           : print transcoding statistics

    get                        : get is an alias for list, same parameters apply

    terminate <option>
         <callid>              : session is immediately terminated
         all                   : terminates all current sessions
         own                   : terminates own current sessions
         foreign               : terminates foreign current sessions

    set <option>
         help                  : generated complete list of sub-commands
         maxsessions  <int>    : set the max nr of allowed sessions
         maxopenfiles <uint>   : set the max nr of allowed open files
         maxcpu <float>        : set maxmimum CPU usage allowed
         maxload <float>       : set maxmimum load average allowed
         maxbw <uint>          : set maxmimum bandwidth usage average allowed
         timeout <uint>        : set the --timeout parameter 
         silenttimeout <uint>  : set the --silent-timeout parameter 
         finaltimeout <uint>   : set the --final-timeout parameter 
         offertimeout <uint>   : set the --offer-timeout parameter 
         loglevel <uint>       : set all log levels to new value (1-7)
         loglevel <sys> <uint> : set one log level to new value (1-7)
         controltos            : set the --control-tos parameter
         deletedelay           : set the --delete-delay parameter

    params <option>
         start                 : lists the initial values of all the configuration file parameters
         current               : lists the present values of all the configuration file parameters
         diff                  : compares initial and present values of all the configuration file parameters and lists the updated parameters
         revert                : reverts the values of all the configuration file parameters to their initial values

    ksadd [ keyspace <uint>]
         keyspace <uint>       : subscribe to 'keyspace' database

    ksrm [ keyspace <uint>]
         keyspace <uint>       : unsubscribe to 'keyspace' database
                               : remove all foreign calls for that 'keyspace'

    kslist                     : print all currently subscribed keyspaces

    active                     : set all running sessions to 'owned'
    standby                    : set all running sessions to 'foreign'

    debug <callid> <on/off>    : set debugging flag for given call

    call <callid> info|terminate|debug <on/off>|tag <tag> info
                               : one call, or one of its participants

    Options:
    -ip <address>[:<port>]     : the daemon's CLI address (default 127.0.0.1)
    -port <port>               : the daemon's CLI port (default 9900)
    -config-file <file>        : read listen-cli from the [rtpengine] section
                                 (default /etc/rtpengine/rtpengine.conf)

    Return Value:
    0 on success with output from server side, other values for failure.

)";

std::string trim(std::string s) {
    size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return {};
    size_t b = s.find_last_not_of(" \t\r\n");
    return s.substr(a, b - a + 1);
}

// listen-cli of the [rtpengine] section (rtpengine-ctl reads the same key).
std::optional<std::string> listenCliFromConfig(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::string line, section;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            section = trim(line.substr(1, line.size() - 2));
            continue;
        }
        size_t eq = line.find('=');
        if (section != "rtpengine" || eq == std::string::npos) continue;
        if (trim(line.substr(0, eq)) == "listen-cli") return trim(line.substr(eq + 1));
    }
    return std::nullopt;
}

bool allDigits(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// Getopt::Long style: -name or --name, value as the next word or after '='.
bool takeOption(std::vector<std::string>& args, size_t& i, std::string_view name,
                std::string& value, bool& missing) {
    std::string a = args[i];
    size_t dashes = a.rfind("--", 0) == 0 ? 2 : 1;
    std::string body = a.substr(dashes);
    size_t eq = body.find('=');
    std::string key = body.substr(0, eq);
    if (key != name) return false;
    if (eq != std::string::npos) {
        value = body.substr(eq + 1);
    } else if (i + 1 < args.size()) {
        value = args[++i];
    } else {
        missing = true;
    }
    i++;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<std::string> ip, portText;
    std::string configFile = "/etc/rtpengine/rtpengine.conf";
    bool optionsOk = true;
    size_t i = 0;
    // Options come first; the first other word starts the command
    // (Getopt's require_order).
    while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
        if (args[i] == "--") {
            i++;
            break;
        }
        std::string v;
        bool missing = false;
        if (args[i] == "-h" || args[i] == "--h" || args[i] == "-help" || args[i] == "--help") {
            fputs(kUsage, stdout);
            return 0;
        }
        if (takeOption(args, i, "ip", v, missing)) {
            ip = v;
        } else if (takeOption(args, i, "port", v, missing)) {
            portText = v;
            if (!allDigits(v)) optionsOk = false;
        } else if (takeOption(args, i, "config-file", v, missing)) {
            configFile = v;
        } else {
            fprintf(stderr, "Unknown option: %s\n",
                    args[i].c_str() + (args[i].rfind("--", 0) == 0 ? 2 : 1));
            optionsOk = false;
            i++;
        }
        if (missing) {
            fprintf(stderr, "Option %s requires an argument\n", args[i - 1].c_str());
            optionsOk = false;
        }
    }
    if (auto listen = listenCliFromConfig(configFile)) {
        if (allDigits(*listen)) {
            if (!portText) portText = *listen;
        } else if (!ip) {
            ip = *listen;
        }
    }
    // "-ip 1.2.3.4:9901" carries the port unless -port gave one.
    if (ip) {
        size_t colon = ip->rfind(':');
        if (colon != std::string::npos && allDigits(ip->substr(colon + 1))) {
            std::string p = ip->substr(colon + 1);
            ip = ip->substr(0, colon);
            if (!portText) portText = p;
        }
        if (ip->size() > 2 && ip->front() == '[' && ip->back() == ']')
            ip = ip->substr(1, ip->size() - 2);
    }
    std::string command;
    for (; i < args.size(); i++) command += (command.empty() ? "" : " ") + args[i];
    command = trim(command);
    long port = portText ? strtol(portText->c_str(), nullptr, 10) : 9900;
    if (command.empty() || !optionsOk || port <= 0 || port > 65535) {
        fputs(kUsage, stdout);
        return 1;
    }
    std::string host = ip && !ip->empty() ? *ip : "127.0.0.1";

    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
        fprintf(stderr, "Cannot connect to the rtpengine %s\n", gai_strerror(rc));
        return 2;
    }
    int fd = -1, err = 0;
    for (addrinfo* a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "Cannot connect to the rtpengine %s\n", strerror(err));
        return err ? err : 1;
    }
    // As rtpengine-ctl: give up on a daemon that does not answer in 3 s.
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string line = command + "\n";
    if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != (ssize_t)line.size()) {
        fprintf(stderr, "Cannot send the command: %s\n", strerror(errno));
        close(fd);
        return 1;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            fwrite(buf, 1, (size_t)n, stdout);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;  // the answer ends with the connection (or the timeout)
    }
    close(fd);
    return 0;
}
