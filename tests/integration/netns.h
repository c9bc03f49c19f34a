// Network namespaces for integration tests that need several links,
// addresses or a NAT between the daemon and its peers: created with `ip`
// (iproute2), linked by veth pairs, and removed again when the test ends,
// whether it passed or not.
//
// Everything runs in namespaces of its own, so tests in parallel (ctest -j)
// may use the same addresses, and nothing touches the host's interfaces or
// loopback ports. Needs root; see unavailableReason().
//
// Nothing here depends on GoogleTest.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ngm::itest {

struct CommandResult {
    int exitCode = -1;   // -1: could not be started, or was killed
    std::string output;  // stdout and stderr together
    bool ok() const { return exitCode == 0; }
};

// Runs argv[0] (a path, or a name looked up in PATH, /usr/sbin and /sbin)
// with the arguments, stdin from /dev/null; killed after `timeout`.
CommandResult runCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// The full path of an executable in PATH, /usr/sbin or /sbin; "" if none.
std::string findExecutable(const std::string& name);

// Why this process cannot build network namespaces (not root, no `ip`),
// "" when it can as far as can be told without trying.
std::string netnsUnavailableReason();

// A set of network namespaces, named "ngm-itest-PID-N-ROLE" so that
// concurrent test processes never share one. The destructor deletes them;
// veths die with their namespace. Namespaces left by a test process that
// was killed are deleted by the next NetnsLab created on the machine.
class NetnsLab {
  public:
    NetnsLab();
    ~NetnsLab();
    NetnsLab(const NetnsLab&) = delete;
    NetnsLab& operator=(const NetnsLab&) = delete;

    // Creates the namespace for `role` ("media", "caller", ...), lo up.
    bool add(const std::string& role);
    // Its name for `ip netns`; "" for an unknown role.
    std::string name(const std::string& role) const;
    // The path setns() takes.
    std::string path(const std::string& role) const;

    // A veth pair from namespace `a` (device aDev, address aCidr) to `b`
    // (bDev, bCidr), both ends up. IPv6 addresses skip duplicate address
    // detection, so sockets can bind them at once.
    bool link(const std::string& a, const std::string& aDev, const std::string& aCidr,
              const std::string& b, const std::string& bDev, const std::string& bCidr);
    // `ip -n NS args...`.
    bool ip(const std::string& role, const std::vector<std::string>& args);
    // argv inside the namespace (`ip netns exec NS argv...`); argv[0] must be
    // a full path.
    bool exec(const std::string& role, const std::vector<std::string>& argv);
    // Writes /proc/sys/`key` (e.g. "net/ipv4/ip_forward") of the namespace.
    bool sysctl(const std::string& role, const std::string& key, const std::string& value);

    // What the last failing call said (command and output).
    const std::string& error() const { return error_; }

  private:
    bool run(const std::vector<std::string>& argv);

    std::string prefix_;
    std::string ipPath_;
    std::vector<std::string> created_;  // in creation order
    std::map<std::string, std::string> names_;
    std::string error_;
};

// Moves the calling thread into a namespace until destroyed. Sockets the
// thread creates meanwhile, and processes it forks, belong to that namespace
// for good; the thread itself returns to where it was.
class NetnsScope {
  public:
    explicit NetnsScope(const std::string& nsPath);
    ~NetnsScope();
    NetnsScope(const NetnsScope&) = delete;
    NetnsScope& operator=(const NetnsScope&) = delete;

    bool ok() const { return entered_; }
    const std::string& error() const { return error_; }

  private:
    int home_ = -1;  // the thread's namespace before
    bool entered_ = false;
    std::string error_;
};

}  // namespace ngm::itest
