#include "app/service_notify.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ngm::app {

ServiceNotifier::ServiceNotifier() {
    const char* path = getenv("NOTIFY_SOCKET");
    // sd_notify(3): an absolute path, or '@' for Linux's abstract namespace.
    if (!path || (path[0] != '/' && path[0] != '@')) return;
    sockaddr_un sa{};
    size_t len = strlen(path);
    if (len >= sizeof sa.sun_path) return;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@') sa.sun_path[0] = '\0';
    socklen_t salen = socklen_t(offsetof(sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), salen) != 0) {
        close(fd);
        return;
    }
    fd_ = fd;
    path_ = path;

    // sd_watchdog_enabled(3): WATCHDOG_PID, when set, names the process the
    // watchdog is meant for.
    const char* usec = getenv("WATCHDOG_USEC");
    const char* pid = getenv("WATCHDOG_PID");
    if (usec && *usec) {
        char* end = nullptr;
        unsigned long long v = strtoull(usec, &end, 10);
        bool forUs = !pid || !*pid || strtol(pid, nullptr, 10) == (long)getpid();
        if (end && *end == '\0' && v > 0 && forUs) watchdog_ = std::chrono::microseconds(v);
    }
}

ServiceNotifier::~ServiceNotifier() {
    if (fd_ >= 0) close(fd_);
}

bool ServiceNotifier::send(std::string_view state) {
    if (fd_ < 0) return false;
    for (;;) {
        ssize_t n = ::send(fd_, state.data(), state.size(), MSG_NOSIGNAL);
        if (n >= 0) return true;
        if (errno != EINTR) return false;
    }
}

}  // namespace ngm::app
