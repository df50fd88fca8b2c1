// ResultRouter on its own: deliveries built by hand, replies captured by a
// fake sender. Each test checks which connection a client would hear from.
#include "result_router.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace syncd::ws {
namespace {

constexpr char kTenant[] = "t1";
constexpr int64_t kNow = 1764130000000;

// Records what each connection was sent; `refused` ids fail every send.
class FakeSender final : public ConnectionSender {
 public:
  bool Send(uint64_t connection, const std::string& json) override {
    sent[connection].push_back(json);
    return refused.count(connection) == 0;
  }
  size_t Count(uint64_t connection, const std::string& needle) const {
    auto it = sent.find(connection);
    if (it == sent.end()) return 0;
    size_t n = 0;
    for (const std::string& s : it->second) n += s.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }
  std::map<uint64_t, std::vector<std::string>> sent;
  std::set<uint64_t> refused;
};

pipeline::Delivery Applied(const std::string& entry_id) {
  pipeline::Delivery d;
  d.tenant_id = kTenant;
  d.entry_id = entry_id;
  d.entity_type = domain::EntityType::kAccount;
  d.entity_id = "a-1";
  d.operation_type = domain::Operation::kUpdate;
  d.result.acked = true;
  d.result.outcome = domain::Outcome::kApplied;
  d.result.server_timestamp_ms = kNow;
  d.result.checksum = "abc";
  d.entity_data = R"({"id":"a-1","name":"Cash"})";
  return d;
}

pipeline::Delivery DeadLettered(const std::string& entry_id) {
  pipeline::Delivery d = Applied(entry_id);
  d.result = domain::EntryResult{};
  d.result.acked = false;
  d.result.reason = domain::NackReason::kSystem;
  d.result.detail = "database unavailable";
  d.entity_data.clear();
  d.state = pipeline::FinalState::kDead;  // the pipeline says so; the router does not guess
  return d;
}

TEST(ResultRouterTest, AnswersEachWaiterOnceAndUpdatesTheTenantsOthers) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Open(2, kTenant);
  router.Open(3, "other-tenant");
  router.Wait(kTenant, "e1", 1);
  FakeSender sender;
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "\"type\":\"sync_ack\""), 1u);
  EXPECT_EQ(sender.Count(1, "data_update"), 0u);
  EXPECT_EQ(sender.Count(2, "\"type\":\"data_update\""), 1u);
  EXPECT_EQ(sender.Count(2, "sync_ack"), 0u);
  EXPECT_EQ(sender.sent.count(3), 0u);
  // The waiter is answered: the same result again goes to nobody as an ack.
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "sync_ack"), 1u);
}

TEST(ResultRouterTest, SupersededSendsTheStoredStateBackToTheSenderOnly) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Open(2, kTenant);
  router.Wait(kTenant, "e1", 1);
  router.Wait(kTenant, "e1", 1);  // resent on the same connection: one update
  pipeline::Delivery d = Applied("e1");
  d.result.outcome = domain::Outcome::kSuperseded;
  FakeSender sender;
  router.Route({d}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "\"outcome\":\"superseded\""), 2u);
  EXPECT_EQ(sender.Count(1, "\"type\":\"data_update\""), 1u);
  EXPECT_EQ(sender.sent.count(2), 0u);
}

TEST(ResultRouterTest, DeadLetteredWaitersGetTheOperatorsReply) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Wait(kTenant, "e1", 1);
  FakeSender sender;
  router.Route({DeadLettered("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "\"reason\":\"system_error\""), 1u);
  // The operator acknowledges it later (REST): the same connection hears.
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "\"type\":\"sync_ack\""), 1u);
  // And only once.
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "sync_ack"), 1u);
}

// A system_error NACK of an entry that was never queued (a lost database,
// failed ingest commits) is final for this send: nothing durable exists for
// an operator to answer, so the connection is not kept waiting.
TEST(ResultRouterTest, ARefusedEntrysWaitersAreNotKept) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Wait(kTenant, "e1", 1);
  FakeSender sender;
  pipeline::Delivery refused = DeadLettered("e1");
  refused.state = pipeline::FinalState::kRefused;
  router.Route({refused}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "\"reason\":\"system_error\""), 1u);
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "sync_ack"), 0u);
}

TEST(ResultRouterTest, AWaiterThatClosedIsSkipped) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Open(2, kTenant);
  router.Wait(kTenant, "e1", 1);
  router.Wait(kTenant, "e2", 2);
  router.Close(1);
  router.Close(2);
  EXPECT_EQ(router.connections(), 0);
  EXPECT_EQ(router.tenants(), 0);
  FakeSender sender;
  router.Route({Applied("e1"), DeadLettered("e2")}, kNow, sender);
  EXPECT_TRUE(sender.sent.empty());
  // A closed connection is not kept for the dead-lettered entry's later reply.
  router.Open(3, kTenant);
  router.Route({Applied("e2")}, kNow, sender);
  EXPECT_EQ(sender.Count(3, "sync_ack"), 0u);
  EXPECT_EQ(sender.Count(3, "data_update"), 1u);
}

TEST(ResultRouterTest, CancelWaitForgetsOnlyTheLatestWait) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Open(2, kTenant);
  router.Wait(kTenant, "e1", 1);
  router.Wait(kTenant, "e1", 2);
  router.CancelWait(kTenant, "e1", 2);
  FakeSender sender;
  router.Route({Applied("e1")}, kNow, sender);
  EXPECT_EQ(sender.Count(1, "sync_ack"), 1u);
  EXPECT_EQ(sender.Count(2, "sync_ack"), 0u);
  EXPECT_EQ(sender.Count(2, "data_update"), 1u);
}

TEST(ResultRouterTest, CountsConnectionsPerTenant) {
  ResultRouter router(nullptr);
  router.Open(1, kTenant);
  router.Open(2, kTenant);
  router.Open(3, "t2");
  EXPECT_EQ(router.connections(), 3);
  EXPECT_EQ(router.tenants(), 2);
  EXPECT_EQ(router.TenantConnections(kTenant), 2);
  router.Close(1);
  EXPECT_EQ(router.TenantConnections(kTenant), 1);
  EXPECT_EQ(router.TenantConnections("nobody"), 0);
}

}  // namespace
}  // namespace syncd::ws
