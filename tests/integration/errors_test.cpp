// Malformed or incomplete requests get an error reply naming the problem
// (rtpengine's exact reason strings, which SIP proxies log and match on).
#include "daemon_test.h"

namespace ngm::itest {
namespace {

using bencode::Value;

class Errors : public DaemonTest {
  protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (IsSkipped()) return;
        ASSERT_TRUE(startDaemon()) << daemon.error();
    }

    // An error reply has exactly `result` and `error-reason` (README: "No
    // other keys should be present in the error case").
    static void expectError(const Reply& r, const std::string& reason) {
        ASSERT_TRUE(r.decoded()) << r.describe();
        EXPECT_EQ(r.result(), "error") << r.describe();
        EXPECT_EQ(r.errorReason(), reason) << r.describe();
        EXPECT_EQ(r.root().entries().size(), 2u) << r.describe();
    }
};

TEST_F(Errors, UnknownCommandIsError) {
    expectError(ng->request(Request("frobnicate")), "Unrecognized command");
}

TEST_F(Errors, MissingCommandIsError) {
    expectError(ng->requestRaw("d7:call-id2:c1e"), "Dictionary contains no key \"command\"");
}

TEST_F(Errors, MissingCallIdIsError) {
    expectError(ng->request(Request("offer").set("from-tag", "alice").set("sdp", audioSdp(2000))),
                "No call-id in message");
}

TEST_F(Errors, MissingFromTagIsError) {
    expectError(ng->request(Request("offer").set("call-id", "c1").set("sdp", audioSdp(2000))),
                "No from-tag in message");
    EXPECT_FALSE(isListed("c1"));
}

TEST_F(Errors, MissingSdpIsError) {
    expectError(ng->request(Request("offer").set("call-id", "c1").set("from-tag", "alice")),
                "No SDP body in message");
    EXPECT_FALSE(isListed("c1"));
}

TEST_F(Errors, MissingToTagInAnswerIsError) {
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    expectError(ng->request(Request("answer")
                                .set("call-id", "c1")
                                .set("from-tag", "alice")
                                .set("sdp", audioSdp(3000))),
                "No to-tag in message");
}

TEST_F(Errors, InvalidSdpIsError) {
    expectError(offer("c1", "alice", "this is not SDP\r\n"), "Failed to parse SDP");
}

TEST_F(Errors, UndecodableMessageIsError) {
    Reply r = ng->requestRaw("d7:command4:ping");  // dictionary never closed
    ASSERT_TRUE(r.decoded()) << r.describe();
    EXPECT_EQ(r.result(), "error");
    EXPECT_FALSE(r.errorReason().empty());
}

TEST_F(Errors, NonDictionaryMessageIsError) {
    Reply r = ng->requestRaw("l7:command4:pinge");
    ASSERT_TRUE(r.decoded()) << r.describe();
    EXPECT_EQ(r.result(), "error");
    EXPECT_FALSE(r.errorReason().empty());
}

TEST_F(Errors, WrongValueTypeIsError) {
    // rtpengine reads these keys as strings; a value of another type counts
    // as missing, so the reasons are the "missing" ones.
    Request callIdList("offer");
    Value l = Value::list();
    l.push(Value::string("c1"));
    callIdList.setValue("call-id", std::move(l))
        .set("from-tag", "alice")
        .set("sdp", audioSdp(2000));
    expectError(ng->request(callIdList), "No call-id in message");

    expectError(ng->requestRaw("d7:commandd3:foo3:baree"),
                "Dictionary contains no key \"command\"");
    expectError(ng->requestRaw("d7:commandi5ee"), "Dictionary contains no key \"command\"");

    Request sdpList("offer");
    sdpList.set("call-id", "c2").set("from-tag", "alice").setValue("sdp", Value::list());
    expectError(ng->request(sdpList), "No SDP body in message");

    // As rtpengine 10.5: a limit that is not a number leaves the default.
    Request limitWord("list");
    limitWord.set("limit", "many");
    Reply r = ng->request(limitWord);
    EXPECT_EQ(r.result(), "ok") << r.describe();

    EXPECT_TRUE(listCalls().empty()) << "a rejected offer must not create a call";
}

TEST_F(Errors, DeleteUnknownCallWarns) {
    Reply r = ng->request(Request("delete").set("call-id", "nope").set("from-tag", "alice"));
    ASSERT_TRUE(r.decoded()) << r.describe();
    EXPECT_EQ(r.result(), "ok") << r.describe();
    EXPECT_EQ(r.warning(), "Call-ID not found or tags didn't match") << r.describe();
}

TEST_F(Errors, DeleteUnknownCallWithFatalFlagIsError) {
    expectError(ng->request(Request("delete")
                                .set("call-id", "nope")
                                .set("from-tag", "alice")
                                .setList("flags", {"fatal"})),
                "Call-ID not found or tags didn't match");
}

TEST_F(Errors, DeleteWithUnknownTagWithFatalFlagIsError) {
    ASSERT_EQ(offer("c1", "alice", audioSdp(2000)).result(), "ok");
    expectError(ng->request(Request("delete")
                                .set("call-id", "c1")
                                .set("from-tag", "mallory")
                                .setList("flags", {"fatal"})),
                "Call-ID not found or tags didn't match");
    EXPECT_TRUE(isListed("c1"));
}

TEST_F(Errors, ErrorsAreCountedInStatistics) {
    ng->request(Request("frobnicate"));
    ng->request(Request("offer").set("call-id", "c1"));
    Reply s = statistics();
    const bencode::Value* proxies = s.get({"statistics", "controlstatistics", "proxies"});
    ASSERT_TRUE(proxies && proxies->isList() && proxies->items().size() == 1u) << s.describe();
    const bencode::Value* errors = lookup(proxies->items()[0], {"errorcount"});
    ASSERT_TRUE(errors && errors->isInteger()) << s.describe();
    EXPECT_EQ(errors->integer(), 2) << s.describe();
}

}  // namespace
}  // namespace ngm::itest
