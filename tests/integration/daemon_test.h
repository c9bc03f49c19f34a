// GoogleTest fixture: one daemon per test, an ng client for it, and the
// offer/answer/delete shorthands most tests need.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "ng_client.h"

namespace ngm::itest {

// AddressSanitizer's quarantine holds freed memory back, so RSS bounds say
// nothing about leaks in such a build (LeakSanitizer covers those instead).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRssMeaningful = false;
#else
constexpr bool kRssMeaningful = true;
#endif
#else
constexpr bool kRssMeaningful = true;
#endif

class DaemonTest : public ::testing::Test {
  protected:
    // The suite drives Debian's rtpengine (NGM_DAEMON=/usr/bin/rtpengine),
    // the behavioural oracle, instead of ngmediad. Tests of a deliberate
    // difference skip then, saying which.
    static bool underOracle() { return daemonIsRtpengine(); }

    // Fixtures with a SetUp of their own call this first and return when
    // IsSkipped().
    void SetUp() override {
        // A run in an ngmediad-only mode (NGM_DAEMON_EXTRA_ARG=--no-io-uring)
        // cannot start rtpengine.
        if (const char* extra = getenv("NGM_DAEMON_EXTRA_ARG");
            underOracle() && extra && isNgmediadOnlyOption(extra))
            GTEST_SKIP() << extra << " is an ngmediad option; rtpengine cannot run this mode";
    }

    // Starts the daemon; use as ASSERT_TRUE(startDaemon(...)) << daemon.error().
    bool startDaemon(DaemonConfig cfg = {}) {
        if (!daemon.start(cfg)) return false;
        ng = std::make_unique<NgClient>(daemon.ngPort());
        return ng->ok();
    }

    void TearDown() override {
        // A daemon that died by itself (crash, sanitizer abort) fails the test.
        if (daemon.pid() > 0 && !daemon.alive())
            ADD_FAILURE() << "ngmediad " << daemon.exitDescription()
                          << " while the test was running";
        else if (daemon.pid() > 0) {
            std::string how = daemon.stop();
            // Death by SIGTERM's default action (the signal came before the
            // daemon's handler was in place) is the business of
            // Lifecycle.SigtermRightAfterStartupExitsCleanly; counting it here
            // would make every short test flaky. Crashes, failed exits and
            // hangs fail the test that saw them.
            // Under the oracle, rtpengine 10.5's own shutdown is not what the
            // suite checks: it sometimes dies by SIGSEGV on SIGTERM after
            // HTTPS use (seen in CI). That is said, not counted.
            if (daemon.endSignal() != SIGTERM && !daemon.stoppedCleanly()) {
                if (underOracle())
                    std::cerr << "note: rtpengine did not shut down cleanly on SIGTERM (" << how
                              << "); its shutdown is not under test\n";
                else
                    ADD_FAILURE() << "ngmediad did not shut down cleanly on SIGTERM: " << how;
            }
        }
        if (HasFailure()) {
            std::string cmd;
            for (const auto& a : daemon.argv()) cmd += a + " ";
            std::cerr << "---- ngmediad: " << cmd << "\n"
                      << daemon.log(20000) << "---- end of ngmediad log\n";
        }
        ng.reset();
    }

    Reply offer(const std::string& callId, const std::string& fromTag, const std::string& sdp) {
        return ng->request(
            Request("offer").set("call-id", callId).set("from-tag", fromTag).set("sdp", sdp));
    }
    Reply answer(const std::string& callId, const std::string& fromTag, const std::string& toTag,
                 const std::string& sdp) {
        return ng->request(Request("answer")
                               .set("call-id", callId)
                               .set("from-tag", fromTag)
                               .set("to-tag", toTag)
                               .set("sdp", sdp));
    }
    // Deletes at once (delete delay 0), whatever the daemon's default.
    Reply deleteNow(const std::string& callId, const std::string& fromTag) {
        return ng->request(Request("delete")
                               .set("call-id", callId)
                               .set("from-tag", fromTag)
                               .setInt("delete delay", 0));
    }
    Reply query(const std::string& callId) {
        return ng->request(Request("query").set("call-id", callId));
    }
    Reply statistics() { return ng->request(Request("statistics")); }

    // Call-ids `list` returns (limit big enough for any test).
    std::vector<std::string> listCalls(int64_t limit = 10000) {
        Reply r = ng->request(Request("list").setInt("limit", limit));
        std::vector<std::string> ids;
        if (const auto* calls = r.get({"calls"}); calls && calls->isList())
            for (const auto& c : calls->items()) ids.emplace_back(c.str());
        return ids;
    }
    bool isListed(const std::string& callId) {
        for (const auto& id : listCalls())
            if (id == callId) return true;
        return false;
    }

    // Polls `pred` every 50 ms until it holds or `timeout` passes.
    template <class Pred>
    static bool eventually(Pred pred, milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (pred()) return true;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            std::this_thread::sleep_for(milliseconds(50));
        }
    }

    Daemon daemon;
    std::unique_ptr<NgClient> ng;
};

}  // namespace ngm::itest
