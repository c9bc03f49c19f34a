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

#include "ngmedia_ctl_usage.h"

namespace {


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
            fputs(ngm::ctl::kUsage, stdout);
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
        fputs(ngm::ctl::kUsage, stdout);
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
