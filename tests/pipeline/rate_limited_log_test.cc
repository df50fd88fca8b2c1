// The fault log: a burst of identical failures (a full disk fails every
// commit) writes a few lines and one summary, not one line per failure.
#include "syncd/pipeline/rate_limited_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/fake_clock.h"

namespace syncd::pipeline {
namespace {

class RateLimitedLogTest : public ::testing::Test {
 protected:
  test::FakeClock clock_;
  std::vector<std::string> lines_;
  RateLimitedLog log_{3, &clock_, [this](const std::string& line) { lines_.push_back(line); }};
};

TEST_F(RateLimitedLogTest, ABurstWritesTheLimitThenOneSummary) {
  for (int i = 0; i < 150; ++i) log_.Log("ingest", "ingest failed " + std::to_string(i));
  ASSERT_EQ(lines_.size(), 3u);
  EXPECT_EQ(lines_[0], "ingest failed 0");
  EXPECT_EQ(lines_[2], "ingest failed 2");
  log_.Flush();  // the second is not over yet
  EXPECT_EQ(lines_.size(), 3u);
  clock_.Advance(1000);
  log_.Log("ingest", "ingest failed again");
  ASSERT_EQ(lines_.size(), 5u);
  EXPECT_EQ(lines_[3], "syncd: ingest: … (suppressed 147 similar lines)");
  EXPECT_EQ(lines_[4], "ingest failed again");
}

TEST_F(RateLimitedLogTest, KeysAreLimitedSeparately) {
  for (int i = 0; i < 10; ++i) {
    log_.Log("ingest", "i");
    log_.Log("apply", "a");
  }
  EXPECT_EQ(lines_.size(), 6u);
}

TEST_F(RateLimitedLogTest, FlushSummarisesOnceTheSecondIsOver) {
  for (int i = 0; i < 5; ++i) log_.Log("apply", "a");
  clock_.Advance(1500);
  log_.Flush();
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[3], "syncd: apply: … (suppressed 2 similar lines)");
  log_.Flush();
  EXPECT_EQ(lines_.size(), 4u) << "a summary is written once";
}

}  // namespace
}  // namespace syncd::pipeline
