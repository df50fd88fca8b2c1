#include "tracker.h"

#include <algorithm>

namespace syncd::loadgen {
namespace {

void Count(std::map<std::string, uint64_t, std::less<>>* counts, std::string_view key) {
  if (key.empty()) key = "(none)";
  auto it = counts->find(key);
  if (it == counts->end()) {
    counts->emplace(std::string(key), 1);
  } else {
    ++it->second;
  }
}

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)] / 1000.0;
}

}  // namespace

ReplyTracker::ReplyTracker(uint64_t entries)
    : sent_ns_(entries, 0), latency_us_(entries, 0), replies_(entries, 0) {}

void ReplyTracker::MarkSent(uint64_t index, int64_t now_ns) {
  if (sent_ == 0) first_send_ns_ = now_ns;
  sent_ns_[index] = now_ns;
  ++sent_;
}

bool ReplyTracker::OnReply(uint64_t index, bool ack, std::string_view detail,
                           bool flagged_duplicate, int64_t now_ns) {
  if (index >= replies_.size()) return false;
  if (replies_[index] != 0) {
    if (replies_[index] < 255) ++replies_[index];
    ++duplicates_;
    return false;
  }
  replies_[index] = 1;
  ++answered_;
  const int64_t sent = sent_ns_[index];
  if (sent != 0 && now_ns > sent) {
    const int64_t us = (now_ns - sent) / 1000;
    latency_us_[index] = static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX));
  }
  last_first_reply_ns_ = std::max(last_first_reply_ns_, now_ns);
  if (flagged_duplicate) ++flagged_duplicate_;
  if (ack) {
    ++acks_;
    Count(&outcomes_, detail);
  } else {
    ++nacks_;
    Count(&nack_reasons_, detail);
  }
  return true;
}

Summary ReplyTracker::Summarize() const {
  Summary s;
  s.entries = entries();
  s.sent = sent_;
  s.answered = answered_;
  s.acks = acks_;
  s.nacks = nacks_;
  s.missing = s.entries - answered_;
  s.duplicates = duplicates_;
  s.flagged_duplicate = flagged_duplicate_;
  s.nack_reasons.insert(nack_reasons_.begin(), nack_reasons_.end());
  s.outcomes.insert(outcomes_.begin(), outcomes_.end());
  if (answered_ > 0 && last_first_reply_ns_ > first_send_ns_) {
    s.seconds = static_cast<double>(last_first_reply_ns_ - first_send_ns_) / 1e9;
    s.entries_per_s = static_cast<double>(answered_) / s.seconds;
  }
  std::vector<uint32_t> lat;
  lat.reserve(answered_);
  for (size_t i = 0; i < replies_.size(); ++i) {
    if (replies_[i] != 0 && sent_ns_[i] != 0) lat.push_back(latency_us_[i]);
  }
  std::sort(lat.begin(), lat.end());
  s.p50_ms = Percentile(lat, 0.50);
  s.p95_ms = Percentile(lat, 0.95);
  s.p99_ms = Percentile(lat, 0.99);
  s.max_ms = lat.empty() ? 0 : lat.back() / 1000.0;
  return s;
}

}  // namespace syncd::loadgen
