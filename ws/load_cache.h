// Private to ws/: one read and one serialisation per tenant state for
// initial data loads (issue #10: the web frontend asks three times within
// ~20 ms of connecting, and each was a full read of the tenant).
//
// A load's answer is fully determined by its Key: the tenant, its change
// position when asked (epoch and seq: no change committed in between means
// the same key), the `since` position the answer starts after (0: full) and
// the page size. The first request of a key builds the answer; requests of
// the same key that arrive while it is being built wait for it; requests
// that arrive later, within keep_ms, get the kept answer. Every connection of
// every tenant shares one LoadCache.
//
// Bounded: kept answers total at most max_bytes (least recently used go
// first; an answer larger than that is shared while in flight only), and
// each is dropped keep_ms after it was built or as soon as the tenant moves
// on. Owned by the WebSocket server; any thread (reader threads).
#ifndef SYNCD_WS_LOAD_CACHE_H_
#define SYNCD_WS_LOAD_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "syncd/common/mutex.h"

namespace syncd::ws {

class LoadCache {
 public:
  // The text of one answer: one message, or its pages in order.
  using Pages = std::shared_ptr<const std::vector<std::string>>;
  struct Key {
    std::string tenant;
    int64_t epoch = 0;
    int64_t seq = 0;
    int64_t since = 0;  // db::ReadStore::kFullLoad for a full load
    int page_size = 0;
    bool operator<(const Key& o) const {
      return std::tie(tenant, epoch, seq, since, page_size) <
             std::tie(o.tenant, o.epoch, o.seq, o.since, o.page_size);
    }
  };
  // What a build returns: `keep` false for an answer that must not be
  // shared with later requests (an error message).
  struct Built {
    Pages pages;
    bool keep = true;
  };
  struct Limits {
    size_t max_bytes = 256u << 20;
    int64_t keep_ms = 10000;
  };
  // Takes answers that were dropped (expired, evicted, outdated), so that
  // freeing tens of megabytes is not done in the middle of answering the
  // request that dropped them. Unset: they are freed there.
  using Release = std::function<void(std::vector<Pages>)>;

  explicit LoadCache(Limits limits, Release release = nullptr)
      : limits_(limits), release_(std::move(release)) {}
  LoadCache(const LoadCache&) = delete;
  LoadCache& operator=(const LoadCache&) = delete;

  // The answer for `key`: kept, in flight elsewhere (waits for it), or built
  // now by `build` on this thread (without holding the lock). An exception
  // of `build` reaches this caller and the waiters of the same key.
  // `now_ms`: a monotonic time, for keep_ms.
  Pages Get(const Key& key, int64_t now_ms, const std::function<Built()>& build);

  // Drops the kept answers that expired by `now_ms`, without a request: an
  // idle server does not hold a load's text for longer than keep_ms (the
  // owner calls it from a timer).
  void Expire(int64_t now_ms);
  int64_t keep_ms() const { return limits_.keep_ms; }

  // Since construction: answers built, and requests answered with an
  // answer built for another request (kept or in flight).
  int64_t builds() const;
  int64_t shares() const;
  size_t kept_bytes() const;

 private:
  struct Entry {
    std::shared_future<Pages> answer;
    bool done = false;
    int64_t built_at_ms = 0;
    size_t bytes = 0;
    std::list<Key>::iterator lru;  // valid when done
  };

  // Drops kept answers that expired, then the least recently used until
  // at most max_bytes remain. Holds mu_.
  // Dropped answers are appended to *dropped (released by the caller,
  // without the lock).
  void Trim(int64_t now_ms, std::vector<Pages>* dropped) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(std::map<Key, Entry>::iterator it, std::vector<Pages>* dropped)
      EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseDropped(std::vector<Pages> dropped);

  const Limits limits_;
  const Release release_;
  mutable Mutex mu_;
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  std::list<Key> lru_ GUARDED_BY(mu_);  // kept keys, most recent first
  size_t kept_bytes_ GUARDED_BY(mu_) = 0;
  int64_t builds_ GUARDED_BY(mu_) = 0;
  int64_t shares_ GUARDED_BY(mu_) = 0;
};

}  // namespace syncd::ws

#endif  // SYNCD_WS_LOAD_CACHE_H_
