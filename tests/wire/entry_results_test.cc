// One entry's result as each transport writes it: the WebSocket sync_ack /
// sync_nack and the REST results[] item and entry state, byte for byte (the
// clients and the e2e tests read these fields).
#include "syncd/wire/entry_results.h"

#include <gtest/gtest.h>

#include <string>

namespace syncd::wire {
namespace {

domain::EntryResult Applied() {
  domain::EntryResult r;
  r.acked = true;
  r.outcome = domain::Outcome::kApplied;
  r.server_timestamp_ms = 1764130000123;
  r.checksum = "0cc175b9c0f1b6a831c399e269772661";
  return r;
}

domain::EntryResult RateLimited() {
  domain::EntryResult r;
  r.acked = false;
  r.reason = domain::NackReason::kRateLimit;
  r.detail = "queue full; try again later";
  r.retry_after_ms = 250;
  r.server_timestamp_ms = 1764130000123;
  return r;
}

std::string RestItem(const std::optional<std::string>& id, const domain::EntryResult& r,
                     bool duplicate) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WriteEntryResult(w, id, r, duplicate);
  return std::string(buf.GetString(), buf.GetSize());
}

TEST(EntryResultsTest, AnAckOnBothTransports) {
  pipeline::Delivery d;
  d.entry_id = "e-1";
  d.entity_id = "a-1";
  d.entity_type = domain::EntityType::kAccount;
  d.operation_type = domain::Operation::kCreate;
  d.result = Applied();
  EXPECT_EQ(SyncReplyJson(d),
            R"({"type":"sync_ack","id":"e-1","status":"processed","entityId":"a-1",)"
            R"("entityType":"Account","operationType":"create","outcome":"applied",)"
            R"("server_timestamp":1764130000123,"checksum":"0cc175b9c0f1b6a831c399e269772661"})");
  EXPECT_EQ(RestItem(std::string("e-1"), d.result, /*duplicate=*/true),
            R"({"id":"e-1","status":"processed","outcome":"applied",)"
            R"("checksum":"0cc175b9c0f1b6a831c399e269772661","duplicate":true})");
}

TEST(EntryResultsTest, ATransientNackOnBothTransportsCarriesRetryAfter) {
  // A refusal as the pipeline hands it back from Submit (queue full).
  pipeline::Delivery d;
  d.entry_id = "e-2";
  d.entity_id = "a-2";
  d.entity_type = domain::EntityType::kAccount;
  d.operation_type = domain::Operation::kUpdate;
  d.result = RateLimited();
  d.result.server_timestamp_ms = 1764130000123;
  EXPECT_EQ(SyncReplyJson(d),
            R"({"type":"sync_nack","id":"e-2","status":"failed","entityId":"a-2",)"
            R"("entityType":"Account","operationType":"update","reason":"rate_limit_error",)"
            R"("detail":"queue full; try again later","is_permanent":false,"retry_after":250,)"
            R"("server_timestamp":1764130000123})");
  EXPECT_EQ(RestItem(std::nullopt, RateLimited(), false),
            R"({"id":null,"status":"failed","reason":"rate_limit_error",)"
            R"("detail":"queue full; try again later","is_permanent":false,"retry_after":250})");
}

TEST(EntryResultsTest, PendingItemAndEntryState) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  WritePendingResult(w, "e-3");
  EXPECT_EQ(std::string(buf.GetString(), buf.GetSize()), R"({"id":"e-3","status":"pending"})");

  db::QueueRow row;
  row.entry.tenant_id = "t-1";
  row.entry.id = "e-4";
  row.state = common::EntryState::kDone;
  row.attempts = 1;
  row.received_at_ms = 1000;
  row.finished_at_ms = 2000;
  row.result = Applied();
  EXPECT_EQ(EntryStateJson(row),
            R"({"tenant_id":"t-1","entry_id":"e-4","state":"done","attempts":1,)"
            R"("last_error":null,"received_at_ms":1000,"finished_at_ms":2000,)"
            R"("next_attempt_at_ms":null,"result":{"status":"processed","outcome":"applied",)"
            R"("checksum":"0cc175b9c0f1b6a831c399e269772661","server_timestamp":1764130000123}})");
}

// The stats answers' latencies (service.md, queue statistics): 3 decimals,
// rounded, not the estimate's 17 significant digits.
TEST(EntryResultsTest, Rounded3WritesAtMostThreeDecimals) {
  auto text = [](double v) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    Rounded3(w, v);
    return std::string(buf.GetString(), buf.GetSize());
  };
  EXPECT_EQ(text(3.6291276459745904), "3.629");
  EXPECT_EQ(text(3.6295001), "3.63");  // rounded, not cut
  EXPECT_EQ(text(0.0004), "0.0");
  EXPECT_EQ(text(12.0), "12.0");
  EXPECT_EQ(text(1234.56789), "1234.568");
}

}  // namespace
}  // namespace syncd::wire
