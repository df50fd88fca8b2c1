// End-to-end: frames a broken or hostile client may send. Each gets an error
// and the connection stays usable (a ping still gets its pong), except a
// frame above the size limit, which closes only that connection with 1009.
#include <set>
#include <string>
#include <vector>

#include "e2e_fixture.h"
#include "support/entry_builders.h"
#include "support/json_helpers.h"
#include "support/ws_client.h"

namespace syncd::e2e {
namespace {

class WsRobustnessTest : public E2eTest {
 protected:
  // Sends `text`, expects an error frame first, then a working ping.
  rapidjson::Document ExpectError(test::WsClient* c, const std::string& text) {
    rapidjson::Document error;
    error.SetNull();
    if (!c->Send(text)) {
      ADD_FAILURE() << "could not send";
      return error;
    }
    std::optional<std::string> frame = c->Next();
    if (!frame) {
      ADD_FAILURE() << "no reply to " << text.substr(0, 80);
      return error;
    }
    error = test::ParseJson(*frame);
    EXPECT_EQ(test::GetString(error, "type"), "error") << *frame;
    EXPECT_TRUE(test::Has(error, "message")) << *frame;
    std::vector<std::string> before;
    EXPECT_TRUE(test::FlushWithPing(c, &before))
        << "connection unusable after " << text.substr(0, 80);
    EXPECT_TRUE(before.empty()) << before.front();
    EXPECT_FALSE(c->closed());
    return error;
  }
};

TEST_F(WsRobustnessTest, InvalidJsonIsAnError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(test::GetString(ExpectError(c, "{not json"), "code"), "invalid_json");
  EXPECT_EQ(test::GetString(ExpectError(c, R"({"type":"ping",)"), "code"), "invalid_json");
  EXPECT_EQ(test::GetString(ExpectError(c, ""), "code"), "invalid_json");
}

TEST_F(WsRobustnessTest, UnknownTypeNamesTheOriginalType) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  rapidjson::Document e = ExpectError(c, R"({"type":"frobnicate","x":1})");
  EXPECT_EQ(test::GetString(e, "code"), "unknown_type");
  EXPECT_EQ(test::GetString(e, "original_type"), "frobnicate");
}

TEST_F(WsRobustnessTest, NonObjectJsonIsAnError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  for (const char* text : {"[1,2,3]", R"("hello")", "42", "null", "true", R"({"no_type":1})"}) {
    SCOPED_TRACE(text);
    // Valid JSON that is not a message with a string "type".
    EXPECT_EQ(test::GetString(ExpectError(c, text), "code"), "invalid_message");
  }
}

TEST_F(WsRobustnessTest, DeeplyNestedJsonIsAnError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  // Nesting past the limit is refused by the parser: invalid_json.
  EXPECT_EQ(test::GetString(ExpectError(c, std::string(100000, '[')), "code"), "invalid_json");
  // Deep but well-formed, inside an otherwise valid message.
  std::string deep = R"({"type":"ping","timestamp":1,"x":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(test::GetString(ExpectError(c, deep), "code"), "invalid_json");
}

TEST_F(WsRobustnessTest, ForeignTenantIdInRequestsIsPermissionError) {
  test::WsClient* c = Open("tenant-a");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(
      test::GetString(ExpectError(c, R"({"type":"request_initial_data","tenant_id":"tenant-b"})"),
                      "code"),
      "permission_error");
  EXPECT_EQ(test::GetString(
                ExpectError(c, R"({"type":"data_status_request","tenant_id":"tenant-b"})"), "code"),
            "permission_error");
  EXPECT_EQ(test::GetString(
                ExpectError(c, R"({"type":"request_data_status","tenant_id":"tenant-b"})"), "code"),
            "permission_error");
  // "nothing else happens": no disconnect.
  EXPECT_EQ(
      test::GetString(
          ExpectError(c, R"({"type":"tenant_disconnect","tenant_id":"tenant-b","reason":"x"})"),
          "code"),
      "permission_error");
  EXPECT_FALSE(c->closed());
}

TEST_F(WsRobustnessTest, OversizedFrameClosesWith1009AndOthersKeepWorking) {
  test::WsClient* big = Open("tenant-a");
  test::WsClient* bystander = Open("tenant-a");
  ASSERT_TRUE(big && bystander);
  std::string frame = R"({"type":"ping","timestamp":1,"pad":")" + std::string(2 << 20, 'x') + "\"}";
  ASSERT_TRUE(big->Send(frame));
  ASSERT_TRUE(big->WaitClosed());
  EXPECT_EQ(big->close_code(), 1009) << big->close_reason();

  std::vector<std::string> before;
  EXPECT_TRUE(test::FlushWithPing(bystander, &before));
  test::WsClient* fresh = Open("tenant-a");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(test::FlushWithPing(fresh, &before));
  rapidjson::Document ack = SendEntry(
      fresh, "e1",
      test::EntryJson("e1", "tenant-a", "Tag", "t-1", "create", R"({"name":"x"})", NowMs()));
  EXPECT_EQ(test::GetString(ack, "outcome"), "applied");
}

}  // namespace
}  // namespace syncd::e2e
