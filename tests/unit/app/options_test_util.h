// Helpers shared by the option parser tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "app/options.h"
#include "app/options_detail.h"

// Substring checks without gmock (the unit test binaries link gtest only).
#define EXPECT_CONTAINS(haystack, needle)                                     \
    do {                                                                      \
        const std::string ngmHay_ = (haystack);                               \
        const std::string ngmNeedle_ = (needle);                              \
        EXPECT_NE(ngmHay_.find(ngmNeedle_), std::string::npos)                \
            << "'" << ngmHay_ << "' does not contain '" << ngmNeedle_ << "'"; \
    } while (0)
#define EXPECT_STARTS_WITH(text, prefix)                                          \
    do {                                                                          \
        const std::string ngmText_ = (text);                                      \
        const std::string ngmPrefix_ = (prefix);                                  \
        EXPECT_EQ(ngmText_.rfind(ngmPrefix_, 0), 0u)                              \
            << "'" << ngmText_ << "' does not start with '" << ngmPrefix_ << "'"; \
    } while (0)

namespace ngm::net {
// Readable gtest failure output.
inline void PrintTo(const IpAddress& a, std::ostream* os) { *os << a.toString(); }
inline void PrintTo(const Endpoint& e, std::ostream* os) { *os << e.toString(); }
}  // namespace ngm::net

namespace ngm::app::testing {

// Owns argv storage for one parse.
class Argv {
  public:
    explicit Argv(std::vector<std::string> args) : args_(std::move(args)) {
        args_.insert(args_.begin(), "ngmediad");
        for (auto& a : args_) ptrs_.push_back(a.data());
        ptrs_.push_back(nullptr);
    }
    int argc() const { return static_cast<int>(args_.size()); }
    char** argv() { return ptrs_.data(); }

  private:
    std::vector<std::string> args_;
    std::vector<char*> ptrs_;
};

// A fixed device table so expansion tests do not depend on the host.
inline const std::vector<detail::LocalAddress>& fakeLocalAddresses() {
    static const std::vector<detail::LocalAddress> kAddrs = [] {
        auto ip = [](const char* s) { return *net::IpAddress::parse(s); };
        return std::vector<detail::LocalAddress>{
            {"lo", ip("127.0.0.1"), true, true},      {"lo", ip("::1"), true, true},
            {"eth0", ip("192.0.2.10"), true, false},  {"eth0", ip("2001:db8::10"), true, false},
            {"eth0", ip("fe80::1"), true, false},     {"eth1", ip("198.51.100.20"), true, false},
            {"dn0", ip("203.0.113.5"), false, false},
        };
    }();
    return kAddrs;
}

struct Parsed {
    ParseResult result;
    Options opts;
    bool ok() const { return result.action == ParseResult::Action::Run; }
};

// Parses with no default config file and the fake device table.
inline Parsed parse(std::vector<std::string> args, std::string defaultConfig = "") {
    Argv a(std::move(args));
    Parsed p;
    detail::ParseEnvironment env;
    env.defaultConfigFile = std::move(defaultConfig);
    env.localAddresses = &fakeLocalAddresses();
    p.result = detail::parseOptions(a.argc(), a.argv(), p.opts, env);
    return p;
}

// The smallest valid command line plus `extra`.
inline Parsed parseWithBasics(std::vector<std::string> extra) {
    std::vector<std::string> args = {"--interface=192.0.2.10", "--listen-ng=127.0.0.1:2223"};
    args.insert(args.end(), extra.begin(), extra.end());
    return parse(std::move(args));
}

// A config file in the temp directory, removed when the object goes.
class TempFile {
  public:
    explicit TempFile(const std::string& content) {
        char tmpl[] = "/tmp/ngm-options-XXXXXX";
        int fd = mkstemp(tmpl);
        path_ = tmpl;
        if (fd >= 0) close(fd);
        std::ofstream(path_) << content;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

inline net::IpAddress ip(const char* s) { return *net::IpAddress::parse(s); }
inline net::Endpoint ep(const char* addr, uint16_t port) { return {ip(addr), port}; }

}  // namespace ngm::app::testing
