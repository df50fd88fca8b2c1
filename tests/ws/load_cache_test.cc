// LoadCache (ws/load_cache.h): the requests of one tenant state share one
// read and one serialisation, kept answers are bounded in time and bytes,
// and a tenant that moved on never gets an older answer.
#include "load_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace syncd::ws {
namespace {

LoadCache::Key KeyAt(int64_t seq, int64_t since = 0, int page_size = 0) {
  LoadCache::Key key;
  key.tenant = "tenant-1";
  key.epoch = 7;
  key.seq = seq;
  key.since = since;
  key.page_size = page_size;
  return key;
}

LoadCache::Built Answer(const std::string& text, bool keep = true) {
  return LoadCache::Built{std::make_shared<const std::vector<std::string>>(1, text), keep};
}

TEST(LoadCacheTest, ARequestWhileTheSameLoadIsBeingBuiltWaitsForItInsteadOfReadingAgain) {
  LoadCache cache(LoadCache::Limits{});
  std::atomic<bool> release{false};
  std::atomic<int> builds{0};
  auto slow = [&] {
    ++builds;
    while (!release.load()) std::this_thread::yield();
    return Answer("load");
  };
  LoadCache::Pages first, second;
  std::thread a([&] { first = cache.Get(KeyAt(1), 0, slow); });
  while (builds.load() == 0) std::this_thread::yield();
  std::thread b([&] { second = cache.Get(KeyAt(1), 0, slow); });
  // b has joined the load in flight (counted) before the build ends.
  while (cache.shares() == 0) std::this_thread::yield();
  release = true;
  a.join();
  b.join();
  EXPECT_EQ(builds.load(), 1);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first, second);  // the very same text, not a copy
  EXPECT_EQ(cache.builds(), 1);
  EXPECT_EQ(cache.shares(), 1);
}

TEST(LoadCacheTest, AKeptAnswerServesLaterRequestsUntilItExpires) {
  LoadCache::Limits limits;
  limits.keep_ms = 1000;
  LoadCache cache(limits);
  int builds = 0;
  auto build = [&] { return Answer("load " + std::to_string(++builds)); };
  EXPECT_EQ(cache.Get(KeyAt(1), 0, build)->front(), "load 1");
  EXPECT_EQ(cache.Get(KeyAt(1), 999, build)->front(), "load 1");
  // Another page size or another `since` is another answer.
  EXPECT_EQ(cache.Get(KeyAt(1, 0, 100), 999, build)->front(), "load 2");
  EXPECT_EQ(cache.Get(KeyAt(1, 1), 999, build)->front(), "load 3");
  EXPECT_EQ(cache.Get(KeyAt(1), 1000, build)->front(), "load 4");
  EXPECT_EQ(cache.shares(), 1);
}

TEST(LoadCacheTest, ExpireDropsKeptAnswersWithoutARequest) {
  std::vector<LoadCache::Pages> released;
  LoadCache::Limits limits;
  limits.keep_ms = 1000;
  LoadCache cache(limits, [&](std::vector<LoadCache::Pages> dropped) {
    released.insert(released.end(), dropped.begin(), dropped.end());
  });
  cache.Get(KeyAt(1), 0, [] { return Answer("load"); });
  cache.Expire(999);
  EXPECT_EQ(cache.kept_bytes(), 4u);
  EXPECT_TRUE(released.empty());
  cache.Expire(1000);
  EXPECT_EQ(cache.kept_bytes(), 0u);
  EXPECT_EQ(released.size(), 1u);
}

TEST(LoadCacheTest, ATenantThatMovedOnDropsItsOlderAnswersThroughTheReleaseHook) {
  std::vector<LoadCache::Pages> released;
  LoadCache cache(LoadCache::Limits{}, [&](std::vector<LoadCache::Pages> dropped) {
    released.insert(released.end(), dropped.begin(), dropped.end());
  });
  auto build = [] { return Answer(std::string(100, 'x')); };
  LoadCache::Pages old = cache.Get(KeyAt(1), 0, build);
  cache.Get(KeyAt(1, 0, 10), 0, build);
  EXPECT_EQ(cache.kept_bytes(), 200u);
  cache.Get(KeyAt(2), 0, build);
  EXPECT_EQ(cache.kept_bytes(), 100u);
  ASSERT_EQ(released.size(), 2u);
  EXPECT_TRUE(released[0] == old || released[1] == old);
}

TEST(LoadCacheTest, KeptAnswersStayWithinTheByteBound) {
  LoadCache::Limits limits;
  limits.max_bytes = 250;
  LoadCache cache(limits);
  int builds = 0;
  auto build = [&] {
    ++builds;
    return Answer(std::string(100, 'x'));
  };
  for (int since = 1; since <= 3; ++since) cache.Get(KeyAt(9, since), 0, build);
  EXPECT_EQ(cache.kept_bytes(), 200u);
  cache.Get(KeyAt(9, 1), 0, build);  // the least recently used went first
  EXPECT_EQ(builds, 4);
  // Larger than the bound: answered, never kept.
  auto huge = [] { return Answer(std::string(300, 'y')); };
  EXPECT_EQ(cache.Get(KeyAt(9, 5), 0, huge)->front().size(), 300u);
  EXPECT_LE(cache.kept_bytes(), 250u);
}

TEST(LoadCacheTest, FailedReadsAreNeitherKeptNorShared) {
  LoadCache cache(LoadCache::Limits{});
  int builds = 0;
  auto failing = [&] {
    ++builds;
    return Answer("error", /*keep=*/false);
  };
  cache.Get(KeyAt(1), 0, failing);
  cache.Get(KeyAt(1), 0, failing);
  EXPECT_EQ(builds, 2);
  EXPECT_EQ(cache.kept_bytes(), 0u);
  auto throwing = []() -> LoadCache::Built { throw std::runtime_error("out of memory"); };
  EXPECT_THROW(cache.Get(KeyAt(1), 0, throwing), std::runtime_error);
  EXPECT_EQ(cache.Get(KeyAt(1), 0, [] { return Answer("fine"); })->front(), "fine");
}

}  // namespace
}  // namespace syncd::ws
