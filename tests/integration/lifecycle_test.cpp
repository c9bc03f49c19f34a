// How calls end: delete delay, timeouts, and what the limits on ports and
// sessions do.
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "daemon_test.h"

namespace ngm::itest {
namespace {

using Lifecycle = DaemonTest;

TEST_F(Lifecycle, SigtermRightAfterStartupExitsCleanly) {
    // Once the daemon answers, SIGTERM must mean an orderly shutdown (exit
    // 0), not death by the signal's default action. Busy threads make the
    // daemon's start-up threads get preempted, as on a loaded host.
    std::atomic<bool> busy{true};
    std::vector<std::thread> burners;
    for (unsigned i = 0; i < std::max(2u, std::thread::hardware_concurrency()); i++)
        burners.emplace_back([&] {
            while (busy.load(std::memory_order_relaxed)) {
            }
        });
    std::string failure;
    for (int attempt = 0; attempt < 30 && failure.empty(); attempt++) {
        Daemon d;
        if (!d.start({})) {
            failure = "start failed: " + d.error();
            break;
        }
        std::string how = d.stop();
        if (!d.stoppedCleanly())
            failure = "attempt " + std::to_string(attempt) + ": ngmediad " + how;
    }
    busy = false;
    for (auto& t : burners) t.join();
    EXPECT_TRUE(failure.empty()) << failure;
}

TEST_F(Lifecycle, PortExhaustionReturnsErrorAndLeaksNothing) {
    // Six ports: three RTP/RTCP pairs. A call takes two pairs, so the second
    // call gets one pair and then runs out.
    ASSERT_TRUE(startDaemon({.args = {"--delete-delay=0"}, .mediaPorts = 6})) << daemon.error();
    int idleFds = daemon.openFds();
    Reply first = offer("c1", "alice", audioSdp(2000));
    ASSERT_EQ(first.result(), "ok") << first.describe();
    ASSERT_EQ(daemon.openFds(), idleFds + 4);

    Reply second = offer("c2", "carol", audioSdp(4000));
    EXPECT_EQ(second.result(), "error") << second.describe();
    EXPECT_EQ(second.errorReason(), "Ran out of ports") << second.describe();
    // rtpengine destroys a call that ran out of ports: nothing of it may stay.
    EXPECT_EQ(daemon.openFds(), idleFds + 4) << "the failed call kept sockets";
    EXPECT_FALSE(isListed("c2")) << "the failed call is still listed";

    ASSERT_EQ(deleteNow("c1", "alice").result(), "ok");
    EXPECT_EQ(daemon.openFds(), idleFds);

    Reply third = offer("c3", "dave", audioSdp(6000));
    ASSERT_EQ(third.result(), "ok") << third.describe();
    Reply third_answer = answer("c3", "dave", "erin", audioSdp(7000));
    ASSERT_EQ(third_answer.result(), "ok") << third_answer.describe();
    ASSERT_EQ(deleteNow("c3", "dave").result(), "ok");
    EXPECT_EQ(daemon.openFds(), idleFds);
    EXPECT_TRUE(listCalls().empty());
}

TEST_F(Lifecycle, MaxSessionsGivesError) {
    ASSERT_TRUE(startDaemon({.args = {"--max-sessions=1"}})) << daemon.error();
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    Reply r = offer("c2", "carol", audioSdp(4000));
    EXPECT_EQ(r.result(), "error") << r.describe();
    EXPECT_EQ(r.errorReason(), "Parallel session limit reached") << r.describe();
    EXPECT_FALSE(isListed("c2"));
    Reply s = statistics();
    EXPECT_EQ(s.integer({"statistics", "totalstatistics", "rejectedsessions"}), 1) << s.describe();
}

TEST_F(Lifecycle, MaxSessionsGivesLoadLimitWhenSupported) {
    ASSERT_TRUE(startDaemon({.args = {"--max-sessions=1"}})) << daemon.error();
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    Reply r = ng->request(Request("offer")
                              .set("call-id", "c2")
                              .set("from-tag", "carol")
                              .set("sdp", audioSdp(4000))
                              .setList("supports", {"load limit"}));
    EXPECT_EQ(r.result(), "load limit") << r.describe();
    EXPECT_FALSE(isListed("c2"));
}

TEST_F(Lifecycle, MaxSessionsStillAllowsSignallingOnExistingCall) {
    ASSERT_TRUE(startDaemon({.args = {"--max-sessions=1"}})) << daemon.error();
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    Reply a = answer("c1", "alice", "bob", audioSdp(3000, "192.0.2.20"));
    EXPECT_EQ(a.result(), "ok") << a.describe();
}

TEST_F(Lifecycle, DeleteDelayKeepsCallListed) {
    ASSERT_TRUE(startDaemon()) << daemon.error();  // default delete delay: 30 s
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    ASSERT_EQ(answer("c1", "alice", "bob", audioSdp(3000)).result(), "ok");
    Reply d = ng->request(Request("delete").set("call-id", "c1").set("from-tag", "alice"));
    ASSERT_EQ(d.result(), "ok") << d.describe();
    EXPECT_TRUE(isListed("c1"));
    EXPECT_EQ(query("c1").result(), "ok");
}

TEST_F(Lifecycle, DeleteDelayZeroRemovesCallAtOnce) {
    ASSERT_TRUE(startDaemon()) << daemon.error();
    int idleFds = daemon.openFds();
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    ASSERT_EQ(answer("c1", "alice", "bob", audioSdp(3000)).result(), "ok");
    ASSERT_EQ(ng->request(Request("delete").set("call-id", "c1").set("from-tag", "alice")).result(),
              "ok");
    ASSERT_TRUE(isListed("c1"));

    Reply d = deleteNow("c1", "alice");
    EXPECT_EQ(d.result(), "ok") << d.describe();
    EXPECT_FALSE(isListed("c1"));
    EXPECT_EQ(daemon.openFds(), idleFds);
}

TEST_F(Lifecycle, OfferTimeoutDeletesCall) {
    ASSERT_TRUE(startDaemon({.args = {"--offer-timeout=1"}})) << daemon.error();
    ASSERT_EQ(offer("unanswered", "alice", audioSdp(2000)).result(), "ok");
    ASSERT_EQ(offer("answered", "carol", audioSdp(4000)).result(), "ok");
    ASSERT_EQ(answer("answered", "carol", "dave", audioSdp(5000)).result(), "ok");
    ASSERT_TRUE(isListed("unanswered"));

    EXPECT_TRUE(eventually([&] { return !isListed("unanswered"); }, milliseconds(4000)))
        << "an offer never answered outlived --offer-timeout=1 by 3 s";
    EXPECT_TRUE(isListed("answered")) << "offer timeout hit an answered call";
    Reply s = statistics();
    EXPECT_EQ(s.integer({"statistics", "totalstatistics", "offertimeoutsessions"}), 1)
        << s.describe();
}

TEST_F(Lifecycle, FinalTimeoutDeletesCall) {
    ASSERT_TRUE(startDaemon({.args = {"--final-timeout=1"}})) << daemon.error();
    int idleFds = daemon.openFds();
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    ASSERT_EQ(answer("c1", "alice", "bob", audioSdp(3000)).result(), "ok");

    EXPECT_TRUE(eventually([&] { return !isListed("c1"); }, milliseconds(4000)))
        << "the call outlived --final-timeout=1 by 3 s";
    Reply s = statistics();
    EXPECT_EQ(s.integer({"statistics", "totalstatistics", "finaltimeoutsessions"}), 1)
        << s.describe();
    EXPECT_EQ(daemon.openFds(), idleFds);
}

}  // namespace
}  // namespace ngm::itest
