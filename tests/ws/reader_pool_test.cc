// ReadQueues (per-connection order and bounds of the WebSocket server's
// database reads) and ReaderPool, without a server.
#include "reader_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace syncd::ws {
namespace {

TEST(ReadQueuesTest, OneReadPerConnectionRunsTheRestWaitInOrder) {
  ReadQueues queues(ReadQueues::Limits{4, 100});
  std::vector<std::string> started;
  auto read = [&started](std::string name) {
    return [&started, name] { started.push_back(name); };
  };
  EXPECT_EQ(queues.Add(1, read("a")), ReadQueues::Admit::kStarted);
  EXPECT_EQ(queues.Add(1, read("b")), ReadQueues::Admit::kQueued);
  EXPECT_EQ(queues.Add(1, read("c")), ReadQueues::Admit::kQueued);
  // Another connection is not held behind the first one's reads.
  EXPECT_EQ(queues.Add(2, read("x")), ReadQueues::Admit::kStarted);
  EXPECT_EQ(started, (std::vector<std::string>{"a", "x"}));
  queues.Done(1);
  EXPECT_EQ(started, (std::vector<std::string>{"a", "x", "b"}));
  queues.Done(1);
  queues.Done(1);
  queues.Done(2);
  EXPECT_EQ(started, (std::vector<std::string>{"a", "x", "b", "c"}));
  EXPECT_EQ(queues.total(), 0u);
}

TEST(ReadQueuesTest, BeyondTheConnectionBoundAReadIsBusy) {
  ReadQueues queues(ReadQueues::Limits{2, 100});
  int started = 0;
  auto read = [&started] { ++started; };
  EXPECT_EQ(queues.Add(1, read), ReadQueues::Admit::kStarted);
  EXPECT_EQ(queues.Add(1, read), ReadQueues::Admit::kQueued);
  EXPECT_EQ(queues.Add(1, read), ReadQueues::Admit::kBusy);
  queues.Done(1);
  EXPECT_EQ(started, 2);
  EXPECT_EQ(queues.Add(1, read), ReadQueues::Admit::kQueued) << "a place freed by an answer";
}

TEST(ReadQueuesTest, BeyondTheServerBoundAReadIsBusy) {
  ReadQueues queues(ReadQueues::Limits{4, 3});
  auto read = [] {};
  EXPECT_EQ(queues.Add(1, read), ReadQueues::Admit::kStarted);
  EXPECT_EQ(queues.Add(2, read), ReadQueues::Admit::kStarted);
  EXPECT_EQ(queues.Add(3, read), ReadQueues::Admit::kStarted);
  EXPECT_EQ(queues.Add(4, read), ReadQueues::Admit::kBusy);
  queues.Done(2);
  EXPECT_EQ(queues.Add(4, read), ReadQueues::Admit::kStarted);
}

TEST(ReadQueuesTest, AClosedConnectionsWaitingReadsAreDropped) {
  ReadQueues queues(ReadQueues::Limits{4, 100});
  int started = 0;
  auto read = [&started] { ++started; };
  queues.Add(1, read);
  queues.Add(1, read);
  queues.Add(1, read);
  queues.Drop(1);
  EXPECT_EQ(queues.total(), 1u) << "the running read still ends with Done";
  queues.Done(1);
  EXPECT_EQ(started, 1);
  EXPECT_EQ(queues.total(), 0u);
  queues.Done(1);  // a late answer of a forgotten connection is harmless
  EXPECT_EQ(queues.total(), 0u);
}

TEST(ReaderPoolTest, RunsJobsOnItsThreadsAndStopJoins) {
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  {
    ReaderPool pool(2);
    for (int i = 0; i < 10; ++i) {
      pool.Submit([&] {
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return done == 10; }));
  }
  ReaderPool stopped(1);
  stopped.Stop();
  std::atomic<bool> ran{false};
  stopped.Submit([&ran] { ran = true; });
  EXPECT_FALSE(ran.load());
  EXPECT_EQ(stopped.waiting(), 0u);
}

}  // namespace
}  // namespace syncd::ws
