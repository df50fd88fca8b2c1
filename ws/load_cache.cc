#include "load_cache.h"

#include <exception>
#include <utility>

namespace syncd::ws {

LoadCache::Pages LoadCache::Get(const Key& key, int64_t now_ms,
                                const std::function<Built()>& build) {
  std::shared_future<Pages> elsewhere;
  std::promise<Pages> promise;
  std::vector<Pages> dropped;
  {
    MutexLock lock(&mu_);
    Trim(now_ms, &dropped);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      ++shares_;
      if (it->second.done) lru_.splice(lru_.begin(), lru_, it->second.lru);
      elsewhere = it->second.answer;
    } else {
      ++builds_;
      // The tenant has moved on: its answers of older positions are of no
      // use to anyone any more.
      Key first;
      first.tenant = key.tenant;
      for (auto old = entries_.lower_bound(first);
           old != entries_.end() && old->first.tenant == key.tenant;) {
        auto next = std::next(old);
        if (old->second.done && (old->first.epoch != key.epoch || old->first.seq < key.seq)) {
          Forget(old, &dropped);
        }
        old = next;
      }
      Entry& entry = entries_[key];
      entry.answer = promise.get_future().share();
    }
  }
  ReleaseDropped(std::move(dropped));
  if (elsewhere.valid()) return elsewhere.get();  // rethrows the builder's exception

  Built built;
  try {
    built = build();
  } catch (...) {
    promise.set_exception(std::current_exception());
    MutexLock lock(&mu_);
    entries_.erase(key);
    throw;
  }
  promise.set_value(built.pages);
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return built.pages;
    size_t bytes = 0;
    if (built.pages) {
      for (const std::string& page : *built.pages) bytes += page.size();
    }
    if (!built.keep || !built.pages || bytes > limits_.max_bytes) {
      entries_.erase(it);
      return built.pages;
    }
    Entry& entry = it->second;
    entry.done = true;
    entry.built_at_ms = now_ms;
    entry.bytes = bytes;
    lru_.push_front(key);
    entry.lru = lru_.begin();
    kept_bytes_ += bytes;
    Trim(now_ms, &dropped);
  }
  ReleaseDropped(std::move(dropped));
  return built.pages;
}

void LoadCache::Expire(int64_t now_ms) {
  std::vector<Pages> dropped;
  {
    MutexLock lock(&mu_);
    Trim(now_ms, &dropped);
  }
  ReleaseDropped(std::move(dropped));
}

void LoadCache::Forget(std::map<Key, Entry>::iterator it, std::vector<Pages>* dropped) {
  if (it->second.done) {
    kept_bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    dropped->push_back(it->second.answer.get());
  }
  entries_.erase(it);
}

void LoadCache::Trim(int64_t now_ms, std::vector<Pages>* dropped) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.done && now_ms - it->second.built_at_ms >= limits_.keep_ms) {
      Forget(it, dropped);
    }
    it = next;
  }
  while (kept_bytes_ > limits_.max_bytes && !lru_.empty()) {
    Forget(entries_.find(lru_.back()), dropped);
  }
}

void LoadCache::ReleaseDropped(std::vector<Pages> dropped) {
  if (dropped.empty()) return;
  if (release_) {
    release_(std::move(dropped));
  }  // else: freed here, at the end of this scope
}

int64_t LoadCache::builds() const {
  MutexLock lock(&mu_);
  return builds_;
}

int64_t LoadCache::shares() const {
  MutexLock lock(&mu_);
  return shares_;
}

size_t LoadCache::kept_bytes() const {
  MutexLock lock(&mu_);
  return kept_bytes_;
}

}  // namespace syncd::ws
