// scale.md, Start: PostgreSQL lost while syncd runs. /health says
// degraded, entries that cannot be persisted are NACKed system_error with
// retry_after (never ACKed), and once the server is back syncd reconnects by
// itself: healthy again, and the client's resend is applied. The test stops
// and starts a server of its own (support/postgres_server.h).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "support/entry_builders.h"
#include "support/http_client.h"
#include "support/json_helpers.h"
#include "support/postgres_server.h"
#include "support/syncd_process.h"
#include "support/ws_client.h"

namespace syncd::crash {
namespace {

using test::Millis;

constexpr const char* kTenant = "lost-pg";

std::string HealthStatus(const test::SyncdProcess& server) {
  test::HttpResponse r = test::HttpRequest("127.0.0.1", server.http_port(), "GET", "/health");
  return test::GetString(test::ParseJson(r.body), "status");
}

bool WaitForHealth(const test::SyncdProcess& server, const std::string& want, Millis timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (HealthStatus(server) == want) return true;
  }
  return false;
}

std::optional<rapidjson::Document> Reply(test::WsClient* client, const std::string& id,
                                         Millis timeout) {
  std::optional<std::string> frame = client->WaitFor(
      [&id](const rapidjson::Document& d) {
        return test::IsSyncReply(d) && test::GetString(d, "id") == id;
      },
      timeout);
  if (!frame) return std::nullopt;
  return test::ParseJson(*frame);
}

TEST(LostPostgresTest, WhileTheDatabaseIsAwayEntriesAreNackedAndSyncdRecoversByItself) {
  test::PostgresServer pg;
  SYNCD_POSTGRES_SERVER_OR_SKIP(pg);
  test::SyncdProcess server;
  ASSERT_TRUE(server.Start({"--db", pg.url(), "--instance-id", "lost", "--max-attempts", "3",
                            "--retry-base-ms", "10", "--retry-max-ms", "200"},
                           {}))
      << server.error();
  test::WsClient client;
  ASSERT_TRUE(test::ConnectOnline(client, server.ws_url(kTenant)));
  const int64_t t0 = 1764130000000LL;
  auto entry = [&](const std::string& id, int n) {
    return test::AccountEntryJson(kTenant, id, "acc-" + id, "create", "n", "g", n, t0 + n);
  };
  ASSERT_TRUE(client.Send(entry("before", 1)));
  std::optional<rapidjson::Document> before = Reply(&client, "before", Millis(10000));
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(test::GetString(*before, "type"), "sync_ack");
  EXPECT_EQ(HealthStatus(server), "ok");

  ASSERT_TRUE(pg.Stop());
  EXPECT_TRUE(WaitForHealth(server, "degraded", Millis(15000))) << HealthStatus(server);
  ASSERT_TRUE(client.Send(entry("during", 2)));
  std::optional<rapidjson::Document> during = Reply(&client, "during", Millis(20000));
  ASSERT_TRUE(during.has_value()) << server.stderr_text();
  EXPECT_EQ(test::GetString(*during, "type"), "sync_nack");
  EXPECT_EQ(test::GetString(*during, "reason"), "system_error");
  ASSERT_TRUE(during->HasMember("is_permanent"));
  EXPECT_FALSE((*during)["is_permanent"].GetBool());
  EXPECT_GT(test::GetInt(*during, "retry_after"), 0);

  ASSERT_TRUE(pg.Start()) << pg.why();
  EXPECT_TRUE(WaitForHealth(server, "ok", Millis(30000))) << HealthStatus(server) << "\n"
                                                          << server.stderr_text();
  ASSERT_TRUE(client.Send(entry("during", 2)));
  std::optional<rapidjson::Document> again = Reply(&client, "during", Millis(20000));
  ASSERT_TRUE(again.has_value()) << server.stderr_text();
  EXPECT_EQ(test::GetString(*again, "type"), "sync_ack") << server.stderr_text();
  EXPECT_EQ(test::GetString(*again, "outcome"), "applied");
  EXPECT_EQ(server.Terminate(), 0) << server.stderr_text();
}

}  // namespace
}  // namespace syncd::crash
