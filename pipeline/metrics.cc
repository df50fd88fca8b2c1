#include "syncd/pipeline/metrics.h"

#include <algorithm>
#include <cmath>

#include "syncd/common/clock.h"

namespace syncd::pipeline {

namespace {
constexpr double kBinGrowth = 1.05;
int64_t NowSeconds() { return common::MonotonicMicros() / 1000000; }
}  // namespace

Metrics::Metrics() : seconds_(kLatencyWindowS) {}

Metrics::Second& Metrics::SlotLocked(int64_t now_s) {
  Second& slot = seconds_[static_cast<size_t>(now_s % kLatencyWindowS)];
  if (slot.second != now_s) {
    slot = Second();
    slot.second = now_s;
  }
  return slot;
}

int Metrics::BinOf(int64_t latency_us) {
  if (latency_us <= 1) return 0;
  int bin = static_cast<int>(std::log(static_cast<double>(latency_us)) / std::log(kBinGrowth)) + 1;
  return std::min(bin, kBins - 1);
}

double Metrics::BinUpperMs(int bin) {
  if (bin == 0) return 0.001;
  return std::pow(kBinGrowth, bin) / 1000.0;
}

void Metrics::RecordReceived(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  SlotLocked(NowSeconds()).received += n;
}

void Metrics::RecordAck(int64_t latency_us) {
  latency_us = std::max<int64_t>(latency_us, 0);
  std::lock_guard<std::mutex> lock(mu_);
  Second& slot = SlotLocked(NowSeconds());
  slot.acked += 1;
  slot.bins[static_cast<size_t>(BinOf(latency_us))] += 1;
  double seconds = static_cast<double>(latency_us) / 1e6;
  for (size_t i = 0; i < kLatencyBucketsS.size(); ++i) {
    if (seconds <= kLatencyBucketsS[i]) latency_buckets_[i] += 1;
  }
  latency_count_ += 1;
  latency_sum_s_ += seconds;
}

void Metrics::RecordBatch(int64_t size, int64_t commit_us) {
  std::lock_guard<std::mutex> lock(mu_);
  batch_count_ += 1;
  batch_entries_ += size;
  batch_max_ = std::max(batch_max_, size);
  batch_commit_us_ += commit_us;
}

Metrics::Snapshot Metrics::Take() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot s;
  int64_t now_s = NowSeconds();
  int64_t received = 0, acked = 0, total = 0;
  std::array<int64_t, kBins> bins{};
  for (const Second& slot : seconds_) {
    if (slot.second < 0 || slot.second > now_s || now_s - slot.second >= kLatencyWindowS) continue;
    // Rates over the last 10 whole seconds plus the current one, scaled to 10 s.
    if (now_s - slot.second < kRateWindowS) {
      received += slot.received;
      acked += slot.acked;
    }
    for (int i = 0; i < kBins; ++i)
      bins[static_cast<size_t>(i)] += slot.bins[static_cast<size_t>(i)];
  }
  s.received_per_s = static_cast<double>(received) / kRateWindowS;
  s.acked_per_s = static_cast<double>(acked) / kRateWindowS;
  for (int64_t n : bins) total += n;
  auto percentile = [&](double q) {
    if (total == 0) return 0.0;
    int64_t rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(total)));
    int64_t seen = 0;
    for (int i = 0; i < kBins; ++i) {
      seen += bins[static_cast<size_t>(i)];
      if (seen >= rank) return BinUpperMs(i);
    }
    return BinUpperMs(kBins - 1);
  };
  s.ack_p50_ms = percentile(0.50);
  s.ack_p95_ms = percentile(0.95);
  s.ack_p99_ms = percentile(0.99);
  s.batch_count = batch_count_;
  s.batch_entries = batch_entries_;
  s.batch_max_size = batch_max_;
  s.batch_avg_commit_ms =
      batch_count_ == 0 ? 0 : static_cast<double>(batch_commit_us_) / 1000.0 / batch_count_;
  s.latency_bucket_counts = latency_buckets_;
  s.latency_count = latency_count_;
  s.latency_sum_s = latency_sum_s_;
  return s;
}

}  // namespace syncd::pipeline
