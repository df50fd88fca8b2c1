// The in-memory parts of GET /api/v1/queue/stats: ack latency percentiles,
// rates and batch sizes.
#include "syncd/pipeline/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

namespace syncd::pipeline {
namespace {

void ExpectWithin5Percent(double actual, double expected, const char* what) {
  EXPECT_LE(std::fabs(actual - expected), 0.05 * expected)
      << what << ": " << actual << " vs " << expected;
}

TEST(MetricsTest, EmptyMetricsAreZero) {
  Metrics metrics;
  Metrics::Snapshot s = metrics.Take();
  EXPECT_EQ(s.ack_p50_ms, 0);
  EXPECT_EQ(s.ack_p99_ms, 0);
  EXPECT_EQ(s.batch_count, 0);
  EXPECT_EQ(s.batch_avg_commit_ms, 0);
  EXPECT_EQ(s.received_per_s, 0);
}

TEST(MetricsTest, AckPercentilesAreWithinFivePercent) {
  Metrics metrics;
  // 1 ms .. 10 ms, uniformly: p50 = 5 ms, p95 = 9.5 ms, p99 = 9.9 ms.
  for (int64_t us = 1; us <= 10000; ++us) metrics.RecordAck(us);
  Metrics::Snapshot s = metrics.Take();
  ExpectWithin5Percent(s.ack_p50_ms, 5.0, "p50");
  ExpectWithin5Percent(s.ack_p95_ms, 9.5, "p95");
  ExpectWithin5Percent(s.ack_p99_ms, 9.9, "p99");
  EXPECT_EQ(s.latency_count, 10000);
  ExpectWithin5Percent(s.latency_sum_s, 10000.0 * 10001 / 2 / 1e6, "sum");
  EXPECT_DOUBLE_EQ(s.acked_per_s, 10000 / 10.0);
}

TEST(MetricsTest, AFewSlowAcksShowInP99NotP50) {
  Metrics metrics;
  for (int i = 0; i < 980; ++i) metrics.RecordAck(2000);   // 2 ms
  for (int i = 0; i < 20; ++i) metrics.RecordAck(400000);  // 400 ms
  Metrics::Snapshot s = metrics.Take();
  ExpectWithin5Percent(s.ack_p50_ms, 2.0, "p50");
  ExpectWithin5Percent(s.ack_p95_ms, 2.0, "p95");
  ExpectWithin5Percent(s.ack_p99_ms, 400.0, "p99");
  // Prometheus buckets are cumulative: 2 ms acks are <= 2.5 ms, all are <= 0.5 s.
  EXPECT_EQ(s.latency_bucket_counts[1], 0);     // <= 1 ms
  EXPECT_EQ(s.latency_bucket_counts[2], 980);   // <= 2.5 ms
  EXPECT_EQ(s.latency_bucket_counts[8], 980);   // <= 250 ms
  EXPECT_EQ(s.latency_bucket_counts[9], 1000);  // <= 500 ms
  EXPECT_EQ(s.latency_count, 1000);
}

TEST(MetricsTest, NegativeLatencyCountsAsZero) {
  Metrics metrics;
  metrics.RecordAck(-50);
  Metrics::Snapshot s = metrics.Take();
  EXPECT_EQ(s.latency_count, 1);
  EXPECT_GE(s.ack_p50_ms, 0);
  EXPECT_LE(s.ack_p50_ms, 0.001);
}

TEST(MetricsTest, BatchesReportCountAverageAndMax) {
  Metrics metrics;
  metrics.RecordBatch(10, 1000);
  metrics.RecordBatch(30, 3000);
  metrics.RecordBatch(20, 2000);
  Metrics::Snapshot s = metrics.Take();
  EXPECT_EQ(s.batch_count, 3);
  EXPECT_EQ(s.batch_entries, 60);
  EXPECT_DOUBLE_EQ(static_cast<double>(s.batch_entries) / s.batch_count, 20.0);  // avg size
  EXPECT_EQ(s.batch_max_size, 30);
  EXPECT_DOUBLE_EQ(s.batch_avg_commit_ms, 2.0);
}

TEST(MetricsTest, ReceivedRateIsOverTenSeconds) {
  Metrics metrics;
  metrics.RecordReceived(50);
  metrics.RecordReceived(30);
  EXPECT_DOUBLE_EQ(metrics.Take().received_per_s, 8.0);
}

}  // namespace
}  // namespace syncd::pipeline
