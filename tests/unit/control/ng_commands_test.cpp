// The ng command table: lookup by wire name, the statistics columns in
// rtpengine 10.5's order, and the required keys with their error-reasons.
#include "control/ng_commands.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "session/flags.h"

namespace ngm::control {
namespace {

TEST(NgCommands, FindsCommandsByTheirWireNameOnly) {
    const NgCommand* offer = findCommand("offer");
    ASSERT_NE(offer, nullptr);
    EXPECT_EQ(offer->name, "offer");
    EXPECT_NE(findCommand("block DTMF"), nullptr);
    EXPECT_EQ(findCommand("block dtmf"), nullptr);
    EXPECT_EQ(findCommand("Offer"), nullptr);
    EXPECT_EQ(findCommand(""), nullptr);
}

TEST(NgCommands, NamesAreUnique) {
    std::set<std::string_view> names;
    for (const NgCommand& c : ngCommands()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

TEST(NgCommands, StatisticsColumnsFollowRtpengineOrder) {
    ASSERT_EQ(countedCommands(), 24u);
    auto column = [](std::string_view name) { return statisticsColumn(*findCommand(name)); };
    EXPECT_EQ(column("ping"), 0);
    EXPECT_EQ(column("offer"), 1);
    EXPECT_EQ(column("statistics"), 17);
    EXPECT_EQ(column("silence media"), 18);
    EXPECT_EQ(column("unsubscribe"), 23);
    EXPECT_EQ(column("pause recording"), -1);
    EXPECT_EQ(findCommand("statistics")->controlKey, "stats");
    EXPECT_EQ(findCommand("start recording")->intervalKey, "start recording");
    EXPECT_EQ(findCommand("start recording")->controlKey, "startrec");
}

TEST(NgCommands, FirstMissingRequiredKeyGivesRtpengineReason) {
    const NgCommand& answer = *findCommand("answer");
    session::Flags f;
    EXPECT_EQ(missingKey(answer, f), "No call-id in message");
    f.callId = "c";
    EXPECT_EQ(missingKey(answer, f), "No from-tag in message");
    f.fromTag = "a";
    EXPECT_EQ(missingKey(answer, f), "No SDP body in message");
    f.hasSdp = true;
    EXPECT_EQ(missingKey(answer, f), "No to-tag in message");
    f.toTag = "b";
    EXPECT_EQ(missingKey(answer, f), "");
}

TEST(NgCommands, OfferNeedsNoToTagAndQueryOnlyACallId) {
    session::Flags f;
    f.callId = "c";
    EXPECT_EQ(missingKey(*findCommand("query"), f), "");
    // rtpengine 10.5 deletes the whole call when delete names no tag.
    EXPECT_EQ(missingKey(*findCommand("delete"), f), "");
    f.fromTag = "a";
    f.hasSdp = true;
    EXPECT_EQ(missingKey(*findCommand("offer"), f), "");
    EXPECT_EQ(missingKey(*findCommand("statistics"), session::Flags{}), "");
    EXPECT_EQ(missingKey(*findCommand("list"), session::Flags{}), "");
}

TEST(NgCommands, UnimplementedCommandsHaveNoHandler) {
    EXPECT_EQ(findCommand("play media")->handler, nullptr);
    EXPECT_EQ(findCommand("pause recording")->handler, nullptr);
    EXPECT_NE(findCommand("unsilence media")->handler, nullptr);
}

TEST(NgCommands, PingAnswersPongBeforeFlagsAreParsed) {
    const NgCommand& ping = *findCommand("ping");
    EXPECT_EQ(ping.runsOn, RunsOn::ArrivalUnparsed);
    session::Flags f;
    bencode::Document d;
    CommandContext c{f, d};
    CommandReply r = ping.handler(c);
    EXPECT_FALSE(r.error);
    std::string out;
    bencode::encode(r.value, out);
    EXPECT_EQ(out, "d6:result4:ponge");
}

}  // namespace
}  // namespace ngm::control
