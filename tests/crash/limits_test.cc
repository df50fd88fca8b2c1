// The real binary under the usual soft limit of 1024 descriptors (issue #8):
// it raises the soft limit to the hard one at start, so that half-open
// connections cannot exhaust it long before --max-connections is reached.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>

#include "support/syncd_process.h"

namespace syncd::crash {
namespace {

// "Max open files" soft and hard limits of a process, as /proc shows them
// ("unlimited" or a number).
bool OpenFileLimits(pid_t pid, std::string* soft, std::string* hard) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(std::string("Max open files").size()));
    return static_cast<bool>(fields >> *soft >> *hard);
  }
  return false;
}

TEST(LimitsTest, SoftFileLimitIsRaisedToTheHardLimit) {
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  if (mine.rlim_max != RLIM_INFINITY && mine.rlim_max <= 1024) {
    GTEST_SKIP() << "the hard limit is " << mine.rlim_max << ": nothing to raise";
  }
  // `ulimit -Sn 1024` for the child only: it inherits our limits at fork.
  rlimit low = mine;
  low.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  test::TempDir dir;
  test::SyncdProcess server;
  bool started = server.Start({"--db", dir.path() + "/syncd.db"}, {});
  setrlimit(RLIMIT_NOFILE, &mine);
  ASSERT_TRUE(started) << server.error();

  std::string soft, hard;
  ASSERT_TRUE(OpenFileLimits(server.pid(), &soft, &hard));
  if (hard == "unlimited") {
    EXPECT_GT(std::stoll(soft), 1024) << "soft " << soft << ", hard " << hard;
  } else {
    EXPECT_EQ(soft, hard);
  }
  EXPECT_NE(server.stderr_text().find("open file limit " + soft), std::string::npos)
      << server.stderr_text();
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace syncd::crash
