// systemd's service notification protocol (sd_notify(3)) for Type=notify:
// one datagram of "KEY=VALUE\n" lines to the socket named by NOTIFY_SOCKET.
// Spoken directly, without libsystemd, so the daemon has no new dependency.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ngm::app {

class ServiceNotifier {
  public:
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
    // Without NOTIFY_SOCKET (not started by systemd) every send is a no-op.
    ServiceNotifier();
    ~ServiceNotifier();
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    bool enabled() const { return fd_ >= 0; }
    // Sends `state` ("READY=1", "STOPPING=1", "WATCHDOG=1", several lines
    // joined by '\n'). False if there is no socket or the send failed.
    bool send(std::string_view state);
    // How often systemd expects WATCHDOG=1 (WatchdogSec=); zero when the
    // watchdog is off or meant for another process (WATCHDOG_PID).
    std::chrono::microseconds watchdogInterval() const { return watchdog_; }
    // The socket path as given (for log lines), empty when disabled.
    const std::string& socketPath() const { return path_; }

  private:
    int fd_ = -1;
    std::string path_;
    std::chrono::microseconds watchdog_{0};
};

}  // namespace ngm::app
