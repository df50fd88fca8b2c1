// A ResultSink for pipeline tests: keeps every delivery in order; tests on
// the real worker thread wait on it with a deadline (WaitFor).
#ifndef SYNCD_TESTS_PIPELINE_CAPTURING_SINK_H_
#define SYNCD_TESTS_PIPELINE_CAPTURING_SINK_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "syncd/pipeline/pipeline.h"

namespace syncd::pipeline {

class CapturingSink final : public ResultSink {
 public:
  void Deliver(Deliveries deliveries) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      all_.insert(all_.end(), deliveries->begin(), deliveries->end());
    }
    cv_.notify_all();
  }
  std::vector<Delivery> All() const {
    std::lock_guard<std::mutex> lock(mu_);
    return all_;
  }
  std::vector<Delivery> For(const std::string& entry_id) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Delivery> out;
    for (const Delivery& d : all_) {
      if (d.entry_id == entry_id) out.push_back(d);
    }
    return out;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return all_.size();
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    all_.clear();
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return all_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> all_;
};

}  // namespace syncd::pipeline

#endif  // SYNCD_TESTS_PIPELINE_CAPTURING_SINK_H_
