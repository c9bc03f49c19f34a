#include "netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace ngm::itest {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kNamePrefix = "ngm-itest-";

std::string joined(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}

bool isIpv6Cidr(const std::string& cidr) { return cidr.find(':') != std::string::npos; }

// Namespaces of test processes that no longer exist (killed before their
// destructors ran). Only those: a live process's namespaces are its own.
void deleteOrphanedNamespaces(const std::string& ipPath) {
    DIR* d = opendir(kNetnsDir);
    if (!d) return;
    std::vector<std::string> orphans;
    const size_t prefixLen = strlen(kNamePrefix);
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n.compare(0, prefixLen, kNamePrefix) != 0) continue;
        long pid = strtol(n.c_str() + prefixLen, nullptr, 10);
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) orphans.push_back(n);
    }
    closedir(d);
    for (const auto& n : orphans) runCommand({ipPath, "netns", "del", n});
}

}  // namespace

std::string findExecutable(const std::string& name) {
    if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
    std::string dirs = getenv("PATH") ? getenv("PATH") : "";
    // root's PATH is not always the one of a login shell (ctest, CI runners).
    dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
    std::istringstream in(dirs);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        if (dir.empty()) continue;
        std::string p = dir + "/" + name;
        struct stat st;
        if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0)
            return p;
    }
    return "";
}

CommandResult runCommand(const std::vector<std::string>& argv, milliseconds timeout) {
    CommandResult r;
    if (argv.empty()) return r;
    std::string path = findExecutable(argv[0]);
    if (path.empty()) {
        r.output = argv[0] + ": not found";
        return r;
    }
    std::vector<std::string> args = argv;
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        r.output = std::string("pipe2: ") + strerror(errno);
        return r;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        r.output = std::string("fork: ") + strerror(errno);
        close(out[0]);
        close(out[1]);
        return r;
    }
    if (pid == 0) {
        // Child: only async-signal-safe calls until exec.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        execv(path.c_str(), cargv.data());
        _exit(127);
    }
    close(out[1]);
    auto deadline = Clock::now() + timeout;
    bool timedOut = false;
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            timedOut = true;
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) continue;  // the deadline check above ends it
        ssize_t got = read(out[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;  // EOF: the command (and whatever it forked) closed its output
        r.output.append(buf, (size_t)got);
    }
    close(out[0]);
    if (timedOut) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timedOut)
        r.output += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
    else if (WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    return r;
}

std::string netnsUnavailableReason() {
    if (geteuid() != 0)
        return "network namespaces need root (euid is " + std::to_string(geteuid()) + ")";
    if (findExecutable("ip").empty()) return "ip (package iproute2) is not installed";
    if (access("/proc/thread-self/ns/net", R_OK) != 0)
        return "kernel without network namespaces (/proc/thread-self/ns/net missing)";
    return "";
}

// --- NetnsLab ------------------------------------------------------------------

NetnsLab::NetnsLab() : ipPath_(findExecutable("ip")) {
    static std::atomic<int> labs{0};
    static std::atomic<bool> swept{false};
    prefix_ = kNamePrefix + std::to_string(getpid()) + "-" + std::to_string(labs++);
    if (!ipPath_.empty() && !swept.exchange(true)) deleteOrphanedNamespaces(ipPath_);
}

NetnsLab::~NetnsLab() {
    // Processes still inside (a daemon being killed) keep a namespace alive
    // until they exit; its name is gone at once either way.
    for (auto it = created_.rbegin(); it != created_.rend(); ++it)
        runCommand({ipPath_, "netns", "del", *it});
}

bool NetnsLab::run(const std::vector<std::string>& argv) {
    if (ipPath_.empty()) {
        error_ = "ip (package iproute2) is not installed";
        return false;
    }
    CommandResult r = runCommand(argv);
    if (r.ok()) return true;
    error_ = "`" + joined(argv) + "` failed (exit " + std::to_string(r.exitCode) + "): " + r.output;
    return false;
}

bool NetnsLab::add(const std::string& role) {
    if (names_.count(role)) {
        error_ = "namespace for role " + role + " exists already";
        return false;
    }
    std::string n = prefix_ + "-" + role;
    if (!run({ipPath_, "netns", "add", n})) return false;
    created_.push_back(n);
    names_[role] = n;
    // ng over 127.0.0.1 inside the namespace needs lo; a new namespace has it down.
    return ip(role, {"link", "set", "lo", "up"});
}

std::string NetnsLab::name(const std::string& role) const {
    auto it = names_.find(role);
    return it == names_.end() ? std::string() : it->second;
}

std::string NetnsLab::path(const std::string& role) const {
    return std::string(kNetnsDir) + "/" + name(role);
}

bool NetnsLab::ip(const std::string& role, const std::vector<std::string>& args) {
    std::string n = name(role);
    if (n.empty()) {
        error_ = "no namespace for role " + role;
        return false;
    }
    std::vector<std::string> argv = {ipPath_, "-n", n};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

bool NetnsLab::exec(const std::string& role, const std::vector<std::string>& argv) {
    std::string n = name(role);
    if (n.empty()) {
        error_ = "no namespace for role " + role;
        return false;
    }
    std::vector<std::string> full = {ipPath_, "netns", "exec", n};
    full.insert(full.end(), argv.begin(), argv.end());
    return run(full);
}

bool NetnsLab::link(const std::string& a, const std::string& aDev, const std::string& aCidr,
                    const std::string& b, const std::string& bDev, const std::string& bCidr) {
    if (name(b).empty()) {
        error_ = "no namespace for role " + b;
        return false;
    }
    // Both ends are born in their namespaces: device names never meet the
    // host's or another test's.
    if (!ip(a, {"link", "add", aDev, "type", "veth", "peer", "name", bDev, "netns", name(b)}))
        return false;
    auto address = [&](const std::string& role, const std::string& dev, const std::string& cidr) {
        std::vector<std::string> args = {"addr", "add", cidr, "dev", dev};
        // Without nodad the address stays tentative for a second or two and
        // bind() fails with EADDRNOTAVAIL.
        if (isIpv6Cidr(cidr)) args.push_back("nodad");
        return ip(role, args) && ip(role, {"link", "set", dev, "up"});
    };
    return address(a, aDev, aCidr) && address(b, bDev, bCidr);
}

bool NetnsLab::sysctl(const std::string& role, const std::string& key, const std::string& value) {
    NetnsScope in(path(role));
    if (!in.ok()) {
        error_ = in.error();
        return false;
    }
    // /proc/sys/net resolves to the namespace of the thread that opens it.
    std::string file = "/proc/sys/" + key;
    int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        error_ = "open " + file + ": " + strerror(errno);
        return false;
    }
    bool ok = write(fd, value.data(), value.size()) == (ssize_t)value.size();
    if (!ok) error_ = "write " + file + ": " + strerror(errno);
    close(fd);
    return ok;
}

// --- NetnsScope ----------------------------------------------------------------

NetnsScope::NetnsScope(const std::string& nsPath) {
    home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_ < 0) {
        error_ = std::string("open /proc/thread-self/ns/net: ") + strerror(errno);
        return;
    }
    int target = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        error_ = "open " + nsPath + ": " + strerror(errno);
        return;
    }
    if (setns(target, CLONE_NEWNET) != 0)
        error_ = "setns " + nsPath + ": " + strerror(errno);
    else
        entered_ = true;
    close(target);
}

NetnsScope::~NetnsScope() {
    if (entered_ && setns(home_, CLONE_NEWNET) != 0) {
        // Every later test would silently run in the wrong namespace.
        fprintf(stderr, "NetnsScope: cannot return to the original network namespace: %s\n",
                strerror(errno));
        abort();
    }
    if (home_ >= 0) close(home_);
}

}  // namespace ngm::itest
