#include "reader_pool.h"

#include <utility>

namespace syncd::ws {

ReaderPool::ReaderPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

ReaderPool::~ReaderPool() { Stop(); }

void ReaderPool::Submit(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

size_t ReaderPool::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void ReaderPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    jobs_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ReaderPool::Run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

ReadQueues::Admit ReadQueues::Add(uint64_t conn, std::function<void()> start) {
  PerConn& c = conns_[conn];
  size_t mine = (c.running ? 1 : 0) + c.waiting.size();
  if (mine >= limits_.per_connection || total_ >= limits_.total) {
    if (!c.running && c.waiting.empty()) conns_.erase(conn);
    return Admit::kBusy;
  }
  ++total_;
  if (c.running) {
    c.waiting.push_back(std::move(start));
    return Admit::kQueued;
  }
  c.running = true;
  start();
  return Admit::kStarted;
}

void ReadQueues::Done(uint64_t conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || !it->second.running) return;
  --total_;
  PerConn& c = it->second;
  if (c.dropped || c.waiting.empty()) {
    conns_.erase(it);
    return;
  }
  std::function<void()> next = std::move(c.waiting.front());
  c.waiting.pop_front();
  next();
}

void ReadQueues::Drop(uint64_t conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  total_ -= it->second.waiting.size();
  it->second.waiting.clear();
  if (it->second.running) {
    it->second.dropped = true;
  } else {
    conns_.erase(it);
  }
}

}  // namespace syncd::ws
