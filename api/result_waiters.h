// Where REST requests wait for their entries' results: a ResultSink that
// matches each Delivery to the waiting slots by (tenant id, entry id).
// Deliver runs on the pipeline thread and only fills slots and notifies;
// Wait runs on a Pistache thread. Owned by HttpServer's Impl.
#ifndef SYNCD_API_RESULT_WAITERS_H_
#define SYNCD_API_RESULT_WAITERS_H_

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

class ResultWaiters final : public pipeline::ResultSink {
 public:
  // The entries of one request. Slots are indexes into the request.
  class Group {
   public:
    explicit Group(size_t slots) : results_(slots) {}
    // After Wait returns (or once nothing is expected any more): the result of
    // each slot, nullopt when none came.
    std::vector<std::optional<pipeline::Delivery>> TakeResults();

   private:
    friend class ResultWaiters;
    std::condition_variable cv_;
    std::vector<std::optional<pipeline::Delivery>> results_;
    std::vector<std::pair<std::string, std::string>> keys_;  // registered keys
    size_t expected_ = 0;  // slots registered and still without a result
  };

  ResultWaiters() = default;
  ResultWaiters(const ResultWaiters&) = delete;
  ResultWaiters& operator=(const ResultWaiters&) = delete;

  // Registers a slot before the entry is submitted, so no delivery is missed.
  void Expect(const std::shared_ptr<Group>& group, size_t slot, const std::string& tenant_id,
              const std::string& entry_id);
  // The entry was not queued after all (queue full): its slot gets `result`
  // (a Delivery built by the caller) and is no longer expected.
  void Fill(const std::shared_ptr<Group>& group, size_t slot, pipeline::Delivery result);
  // Until every expected slot has a result, `deadline` passes or Shutdown();
  // then unregisters the group.
  void Wait(const std::shared_ptr<Group>& group, std::chrono::steady_clock::time_point deadline);
  // Wakes every waiter now and makes later waits return at once.
  void Shutdown();

  void Deliver(pipeline::Deliveries deliveries) override;

 private:
  using Key = std::pair<std::string, std::string>;
  struct Slot {
    std::shared_ptr<Group> group;
    size_t index;
  };
  void UnregisterLocked(const std::shared_ptr<Group>& group);

  std::mutex mu_;
  std::map<Key, std::vector<Slot>> slots_;
  std::vector<std::shared_ptr<Group>> groups_;  // waiting now, for Shutdown
  bool shutdown_ = false;
};

}  // namespace syncd::api

#endif  // SYNCD_API_RESULT_WAITERS_H_
