#include "session/participants.h"

#include <gtest/gtest.h>

#include <memory>

namespace ngm::session {
namespace {

Flags offer(const char* fromTag, const char* toTag = "", const char* viaBranch = "") {
    Flags f;
    f.callId = "call-1";
    f.fromTag = fromTag;
    f.toTag = toTag;
    f.viaBranch = viaBranch;
    return f;
}
// An answer names the offerer in from-tag and the answerer in to-tag.
Flags answer(const char* offererTag, const char* answererTag, const char* viaBranch = "") {
    return offer(offererTag, answererTag, viaBranch);
}

// Finds the sides and links them, as CallStore::offerAnswer does.
OfferAnswerSides exchange(Call& c, const Flags& f, bool isOffer) {
    auto s = findSides(c, f, isOffer, 100);
    EXPECT_TRUE(s);
    if (!s) return {};
    linkSides(c, *s, f, isOffer);
    return *s;
}

TEST(Participants, OfferWithoutToTagCreatesTheOffererAndAnUnnamedReceiver) {
    Call c;
    auto s = exchange(c, offer("a"), true);
    ASSERT_TRUE(s.from && s.to);
    EXPECT_EQ(s.from->tag, "a");
    EXPECT_EQ(s.to->tag, "");
    EXPECT_EQ(c.participants.size(), 2u);
    EXPECT_EQ(s.from->seq, 0);
    EXPECT_EQ(s.to->seq, 1);
    EXPECT_EQ(s.from->created, 100);
    EXPECT_EQ(s.from->peer, s.to);
    EXPECT_EQ(s.to->peer, s.from);
    EXPECT_FALSE(s.newAnswerer);
}

TEST(Participants, ReOfferGoesToTheCurrentPeer) {
    Call c;
    auto first = exchange(c, offer("a"), true);
    auto again = exchange(c, offer("a"), true);
    EXPECT_EQ(again.from, first.from);
    EXPECT_EQ(again.to, first.to);
    EXPECT_EQ(c.participants.size(), 2u);
}

TEST(Participants, EachViaBranchGetsItsOwnReceiverUntilATagNamesIt) {
    Call c;
    auto b1 = exchange(c, offer("a", "", "z9hG4bK1"), true);
    auto b2 = exchange(c, offer("a", "", "z9hG4bK2"), true);
    ASSERT_NE(b1.to, b2.to);
    EXPECT_EQ(b1.to->viaBranch, "z9hG4bK1");
    EXPECT_EQ(b1.to->tag, "");
    EXPECT_EQ(c.find(branchKey("z9hG4bK2")), b2.to);
    EXPECT_EQ(keyOf(*b2.to), branchKey("z9hG4bK2"));
    // The offerer hears the latest branch first and keeps the earlier one.
    ASSERT_EQ(b1.from->subscriptions.size(), 2u);
    EXPECT_EQ(b1.from->subscriptions[0], b2.to);
    EXPECT_EQ(b1.from->subscriptions[1], b1.to);
}

TEST(Participants, AnswerFromAnUnknownOffererFindsNoSides) {
    Call c;
    exchange(c, offer("a"), true);
    EXPECT_FALSE(findSides(c, answer("x", "b"), false, 100));
}

TEST(Participants, FirstAnswerNamesThePendingSide) {
    Call c;
    auto o = exchange(c, offer("a"), true);
    Participant* pending = o.to;
    auto s = exchange(c, answer("a", "b"), false);
    EXPECT_TRUE(s.newAnswerer);
    EXPECT_EQ(s.from, pending);
    EXPECT_EQ(s.from->tag, "b");
    EXPECT_EQ(c.find("b"), pending);
    EXPECT_EQ(c.find(""), nullptr);
    EXPECT_EQ(s.to, o.from);
    // The answerer receives only the offerer.
    ASSERT_EQ(s.from->subscriptions.size(), 1u);
    EXPECT_EQ(s.from->subscriptions[0], o.from);
    // A second answer from the same tag is not a new answerer.
    EXPECT_FALSE(findSides(c, answer("a", "b"), false, 100)->newAnswerer);
}

TEST(Participants, ForkedAnswerTakesOverTheOfferedMedia) {
    Call c;
    exchange(c, offer("a"), true);
    auto first = exchange(c, answer("a", "b"), false);
    first.from->media.push_back(std::make_unique<Media>());
    Media* offered = first.from->media.front().get();
    auto fork = exchange(c, answer("a", "c"), false);
    EXPECT_TRUE(fork.newAnswerer);
    EXPECT_EQ(fork.from->tag, "c");
    ASSERT_EQ(fork.from->media.size(), 1u);
    EXPECT_EQ(fork.from->media.front().get(), offered);
    EXPECT_TRUE(first.from->media.empty());
    EXPECT_EQ(first.from->peer, nullptr);
    EXPECT_EQ(c.participants.size(), 3u);
}

TEST(Participants, AnswerOnAViaBranchNamesThatBranch) {
    Call c;
    auto b1 = exchange(c, offer("a", "", "z9hG4bK1"), true);
    exchange(c, offer("a", "", "z9hG4bK2"), true);
    auto s = exchange(c, answer("a", "b", "z9hG4bK1"), false);
    EXPECT_EQ(s.from, b1.to);
    EXPECT_EQ(s.from->tag, "b");
    EXPECT_NE(c.find(branchKey("z9hG4bK2")), nullptr);
}

TEST(Participants, LinkRevivesBranchesAndTakesTheSendersLabel) {
    Call c;
    Flags f = offer("a");
    f.label = "caller";
    auto s = findSides(c, f, true, 100);
    ASSERT_TRUE(s);
    s->to->deleteAt = 42;
    linkSides(c, *s, f, true);
    EXPECT_EQ(s->to->deleteAt, 0);
    EXPECT_EQ(s->from->label, "caller");
    EXPECT_EQ(s->to->label, "");
}

TEST(Participants, ForgetTakesItOutOfPeersSubscriptionsAndTheCall) {
    Call c;
    auto b1 = exchange(c, offer("a", "", "z9hG4bK1"), true);
    auto b2 = exchange(c, offer("a", "", "z9hG4bK2"), true);
    forgetParticipant(c, *b2.to);
    EXPECT_EQ(c.find(branchKey("z9hG4bK2")), nullptr);
    EXPECT_EQ(b1.from->peer, nullptr);
    ASSERT_EQ(b1.from->subscriptions.size(), 1u);
    EXPECT_EQ(b1.from->subscriptions[0], b1.to);
    EXPECT_EQ(c.participants.size(), 2u);
}

}  // namespace
}  // namespace ngm::session
