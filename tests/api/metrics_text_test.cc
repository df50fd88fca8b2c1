// GET /api/v1/queue/stats as written: the latency figures a dashboard shows
// are rounded to 3 decimals (the estimate's own digits are noise).
#include "metrics_text.h"

#include <gtest/gtest.h>

#include <string>

namespace syncd::api {
namespace {

TEST(MetricsTextTest, QueueStatsLatenciesAreRoundedToThreeDecimals) {
  StatsInput in;
  in.metrics.ack_p50_ms = 3.6291276459745904;
  in.metrics.ack_p95_ms = 9.99951;
  in.metrics.ack_p99_ms = 120.12345678;
  in.metrics.batch_avg_commit_ms = 0.123456789;
  std::string body = QueueStatsJson(in);
  EXPECT_NE(body.find("\"ack_p50\":3.629,"), std::string::npos) << body;
  EXPECT_NE(body.find("\"ack_p95\":10.0,"), std::string::npos) << body;
  EXPECT_NE(body.find("\"ack_p99\":120.123}"), std::string::npos) << body;
  EXPECT_NE(body.find("\"avg_commit_ms\":0.123}"), std::string::npos) << body;
}

// Every float of the body, rates and the average batch size included.
TEST(MetricsTextTest, QueueStatsRatesAndAverageBatchSizeAreRoundedToThreeDecimals) {
  StatsInput in;
  in.metrics.received_per_s = 1.0 / 3.0;
  in.metrics.acked_per_s = 20.0 / 3.0;
  in.metrics.batch_entries = 2;
  in.metrics.batch_count = 3;
  std::string body = QueueStatsJson(in);
  EXPECT_NE(body.find("\"received_per_s\":0.333,"), std::string::npos) << body;
  EXPECT_NE(body.find("\"acked_per_s\":6.667}"), std::string::npos) << body;
  EXPECT_NE(body.find("\"avg_size\":0.667,"), std::string::npos) << body;
}

}  // namespace
}  // namespace syncd::api
