// wakecost: what one wake-up from sleep costs the woken thread on this host.
//
// A thread pinned to --sleeper-cpu blocks in read() on an eventfd; the main
// thread, pinned to --waker-cpu, writes to it every --interval-us. The
// sleeper's own CPU time (user + system) divided by the wake-ups it saw is
// the price of one cross-CPU wake-up: entering and leaving sleep, the
// wake-up interrupt, the context switches, and whatever the hypervisor
// charges to the guest for resuming an idle virtual CPU. The media benchmark
// multiplies it by each daemon's wake-ups per second to show how much of
// their CPU is this cost rather than packet work. On bare metal it is a few
// microseconds; on some virtual machines ten times that.
//
//   wakecost [--sleeper-cpu 0] [--waker-cpu 1] [--interval-us 200] [--seconds 2]
//
// stdout: wakes=N, sleeper_cpu_s=S, wake_cost_us=U.

#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

bool pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return ::sched_setaffinity(0, sizeof set, &set) == 0;
}

double threadCpuSeconds() {
    rusage ru{};
    ::getrusage(RUSAGE_THREAD, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    int sleeperCpu = 0, wakerCpu = 1;
    long intervalUs = 200;
    double seconds = 2;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "usage: wakecost [--sleeper-cpu N] [--waker-cpu N] [--interval-us N] [--seconds S]\n");
            return 2;
        }
        const char* v = argv[++i];
        if (a == "--sleeper-cpu")
            sleeperCpu = std::atoi(v);
        else if (a == "--waker-cpu")
            wakerCpu = std::atoi(v);
        else if (a == "--interval-us")
            intervalUs = std::max(10L, std::atol(v));
        else if (a == "--seconds")
            seconds = std::max(0.1, std::atof(v));
        else {
            std::fprintf(stderr, "wakecost: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    int efd = ::eventfd(0, EFD_CLOEXEC);
    if (efd < 0) {
        std::perror("eventfd");
        return 1;
    }
    std::atomic<bool> stop{false};
    std::atomic<bool> pinned{true};
    long wakes = 0;
    double cpu = 0;
    std::thread sleeper([&] {
        if (!pin(sleeperCpu)) pinned = false;
        double start = threadCpuSeconds();
        uint64_t v;
        while (!stop.load()) {
            if (::read(efd, &v, sizeof v) == sizeof v) wakes++;
        }
        cpu = threadCpuSeconds() - start;
    });
    if (!pin(wakerCpu)) pinned = false;
    timespec next{};
    ::clock_gettime(CLOCK_MONOTONIC, &next);
    const long rounds = long(seconds * 1e6 / double(intervalUs));
    const uint64_t one = 1;
    for (long i = 0; i < rounds; i++) {
        next.tv_nsec += intervalUs * 1000;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr) == EINTR) {
        }
        if (::write(efd, &one, sizeof one) != sizeof one) break;
    }
    stop = true;
    if (::write(efd, &one, sizeof one) != sizeof one) std::perror("write");
    sleeper.join();
    ::close(efd);
    if (!pinned) std::fprintf(stderr, "wakecost: could not pin to CPUs %d/%d\n", sleeperCpu, wakerCpu);
    if (wakes <= 1) {
        std::fprintf(stderr, "wakecost: the sleeper was not woken\n");
        return 1;
    }
    std::printf("wakes=%ld\nsleeper_cpu_s=%.4f\nwake_cost_us=%.1f\n", wakes, cpu, cpu / double(wakes) * 1e6);
    return 0;
}
