// Where REST requests wait for their entries' results without holding a
// Pistache thread: a ResultSink that matches each Delivery to the waiting
// slots by (tenant id, entry id), and one thread of its own that completes a
// wait when its results are in, its deadline passes or Shutdown() runs.
//
// Threads: Expect/Fill/WaitAsync/WaitFuture from Pistache threads; Deliver on
// the pipeline thread (only fills slots and wakes our thread); every `done`
// callback runs on our thread (or on the caller of WaitAsync/WaitFuture when
// the answer is already known). Owned by HttpServer's Impl (ApiContext).
#ifndef SYNCD_API_RESULT_WAITERS_H_
#define SYNCD_API_RESULT_WAITERS_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "syncd/pipeline/pipeline.h"

namespace syncd::api {

class ResultWaiters final : public pipeline::ResultSink {
 public:
  using Results = std::vector<std::optional<pipeline::Delivery>>;
  // Gets the result of each slot, nullopt when none came in time.
  using GroupDone = std::function<void(Results)>;
  // Gets the operation's result, nullopt when it did not come in time (or the
  // pipeline broke its promise).
  using OperationDone = std::function<void(std::optional<pipeline::OperatorResult>)>;

  // The entries of one request. Slots are indexes into the request.
  class Group {
   public:
    explicit Group(size_t slots) : results_(slots) {}

   private:
    friend class ResultWaiters;
    Results results_;
    std::vector<std::pair<std::string, std::string>> keys_;  // registered keys
    size_t expected_ = 0;  // slots registered and still without a result
    std::chrono::steady_clock::time_point deadline_;
    GroupDone done_;  // set by WaitAsync; cleared when called
  };

  ResultWaiters();
  ~ResultWaiters() override;  // Shutdown()
  ResultWaiters(const ResultWaiters&) = delete;
  ResultWaiters& operator=(const ResultWaiters&) = delete;

  // Registers a slot before the entry is submitted, so no delivery is missed.
  void Expect(const std::shared_ptr<Group>& group, size_t slot, const std::string& tenant_id,
              const std::string& entry_id);
  // The entry was not queued after all (queue full): its slot gets `result`
  // (a Delivery built by the caller) and is no longer expected.
  void Fill(const std::shared_ptr<Group>& group, size_t slot, pipeline::Delivery result);
  // Calls `done` once, when every expected slot has a result, `deadline`
  // passes or Shutdown() runs, and unregisters the group. Returns at once.
  void WaitAsync(const std::shared_ptr<Group>& group,
                 std::chrono::steady_clock::time_point deadline, GroupDone done);
  // Calls `done` once with the value of `future` when it is ready, or with
  // nullopt at `deadline` or Shutdown(). std::future has no continuation, so
  // our thread polls it (every few milliseconds, only while one is waiting).
  void WaitFuture(std::future<pipeline::OperatorResult> future,
                  std::chrono::steady_clock::time_point deadline, OperationDone done);
  // Completes every wait now (with what has arrived) and stops our thread;
  // later waits complete at once. Returns after every callback ran. Idempotent.
  void Shutdown();

  void Deliver(pipeline::Deliveries deliveries) override;

 private:
  using Key = std::pair<std::string, std::string>;
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::shared_ptr<Group> group;
    size_t index;
  };
  struct Operation {
    std::future<pipeline::OperatorResult> future;
    Clock::time_point deadline;
    OperationDone done;
  };

  void Run();
  void UnregisterLocked(const std::shared_ptr<Group>& group);

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<Key, std::vector<Slot>> slots_;
  std::vector<std::shared_ptr<Group>> groups_;  // waiting (WaitAsync called, not done)
  std::vector<Operation> operations_;           // waiting futures
  bool shutdown_ = false;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace syncd::api

#endif  // SYNCD_API_RESULT_WAITERS_H_
