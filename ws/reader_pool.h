// Private to ws/: where the WebSocket server's database reads run, so that
// the one Asio thread never waits on SQLite or on serialising a large answer
// (ARCHITECTURE.md). Nothing here knows websocketpp.
//
// ReaderPool: a few threads and one job queue. A job reads, serialises and
// posts its finished text back to the Asio thread itself (the server gives it
// a closure that does so). Owned by the server; Submit from any thread.
//
// ReadQueues: the bookkeeping that keeps each connection's reads in request
// order and bounded. Asio thread only.
#ifndef SYNCD_WS_READER_POOL_H_
#define SYNCD_WS_READER_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace syncd::ws {

class ReaderPool {
 public:
  explicit ReaderPool(int threads);
  ~ReaderPool();  // Stop()
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Runs `job` on one of the threads. Dropped after Stop().
  void Submit(std::function<void()> job);
  // Jobs not started yet (for a bound on the whole server).
  size_t waiting() const;
  // Drops the jobs not started, waits for the running ones, joins.
  void Stop();

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

// Per connection: one read runs at a time, later ones wait in order, so the
// answers to two reads of one connection are sent in request order (a ping
// or an entry is not held behind them). Bounded per connection and for the
// whole server; beyond either bound a read is refused (the server answers
// `busy`).
class ReadQueues {
 public:
  struct Limits {
    size_t per_connection = 4;  // running + waiting, one connection
    size_t total = 1024;        // running + waiting, all connections
  };
  enum class Admit { kStarted, kQueued, kBusy };

  explicit ReadQueues(Limits limits) : limits_(limits) {}

  // Starts `start` now when `conn` has no read running, else queues it.
  Admit Add(uint64_t conn, std::function<void()> start);
  // The running read of `conn` has been answered: starts its next one.
  void Done(uint64_t conn);
  // `conn` closed: its waiting reads are dropped (a running one still ends
  // with Done).
  void Drop(uint64_t conn);
  size_t total() const { return total_; }

 private:
  struct PerConn {
    bool running = false;
    bool dropped = false;
    std::deque<std::function<void()>> waiting;
  };
  const Limits limits_;
  std::unordered_map<uint64_t, PerConn> conns_;
  size_t total_ = 0;
};

}  // namespace syncd::ws

#endif  // SYNCD_WS_READER_POOL_H_
