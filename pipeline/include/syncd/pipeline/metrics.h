// In-memory windows for rates, ack latency and batches (the parts of the
// statistics that are not exact database counters). Thread-safe.
#ifndef SYNCD_PIPELINE_METRICS_H_
#define SYNCD_PIPELINE_METRICS_H_

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace syncd::pipeline {

class Metrics {
 public:
  // Prometheus histogram bounds of ack latency, seconds.
  static constexpr std::array<double, 14> kLatencyBucketsS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  struct Snapshot {
    double received_per_s = 0, acked_per_s = 0;             // last 10 s
    double ack_p50_ms = 0, ack_p95_ms = 0, ack_p99_ms = 0;  // last 60 s
    int64_t batch_count = 0, batch_entries = 0, batch_max_size = 0;
    double batch_avg_commit_ms = 0;
    // Cumulative since start, for the Prometheus histogram.
    std::array<int64_t, kLatencyBucketsS.size()> latency_bucket_counts{};
    int64_t latency_count = 0;
    double latency_sum_s = 0;
  };

  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void RecordReceived(int64_t n);
  // One reply handed to a socket (or REST caller) `latency_us` after receipt.
  void RecordAck(int64_t latency_us);
  void RecordBatch(int64_t size, int64_t commit_us);
  Snapshot Take() const;

 private:
  static constexpr int kRateWindowS = 10;
  static constexpr int kLatencyWindowS = 60;
  static constexpr int kBins = 400;  // log-spaced, 5% wide, 1 us .. > 60 s

  struct Second {
    int64_t second = -1;
    int64_t received = 0, acked = 0;
    std::array<int32_t, kBins> bins{};
  };
  Second& SlotLocked(int64_t now_s);
  static int BinOf(int64_t latency_us);
  static double BinUpperMs(int bin);

  mutable std::mutex mu_;
  std::vector<Second> seconds_;  // ring of kLatencyWindowS slots
  int64_t batch_count_ = 0, batch_entries_ = 0, batch_max_ = 0, batch_commit_us_ = 0;
  std::array<int64_t, kLatencyBucketsS.size()> latency_buckets_{};
  int64_t latency_count_ = 0;
  double latency_sum_s_ = 0;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_PIPELINE_METRICS_H_
