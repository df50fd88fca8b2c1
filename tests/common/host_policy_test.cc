#include "syncd/common/host_policy.h"

#include <gtest/gtest.h>

namespace syncd::common {
namespace {

TEST(HostPolicyTest, LoopbackIsParsedNotGuessedFromAPrefix) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("LocalHost."));
  EXPECT_FALSE(IsLoopbackHost("127.example.net"));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1.nip.io"));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.example"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

TEST(HostPolicyTest, DefaultChecksNothing) {
  HostPolicy p;
  EXPECT_FALSE(p.restricted());
  EXPECT_TRUE(p.Allows("evil.example"));
}

TEST(HostPolicyTest, RestrictedAllowsLoopbackTheBindHostAndTheList) {
  std::string error;
  auto p = HostPolicy::Restricted("192.168.1.5", " sync.lan , [fd00::1] ", &error);
  ASSERT_TRUE(p) << error;
  EXPECT_TRUE(p->Allows("127.0.0.1:8000"));
  EXPECT_TRUE(p->Allows("127.0.0.1"));
  EXPECT_TRUE(p->Allows("localhost:8001"));
  EXPECT_TRUE(p->Allows("[::1]:8000"));
  EXPECT_TRUE(p->Allows("192.168.1.5:8000"));
  EXPECT_TRUE(p->Allows("SYNC.LAN:8000"));
  EXPECT_TRUE(p->Allows("sync.lan."));
  EXPECT_TRUE(p->Allows("[fd00::1]:8000"));
  // A rebound name resolving to 127.0.0.1 still says its own name.
  EXPECT_FALSE(p->Allows("evil.example:8000"));
  EXPECT_FALSE(p->Allows("127.0.0.1.nip.io:8000"));
  EXPECT_FALSE(p->Allows("localhost.evil.example"));
  EXPECT_FALSE(p->Allows("sync.lan.evil.example"));
  EXPECT_FALSE(p->Allows("localhost:80x"));
  EXPECT_FALSE(p->Allows("::1"));  // an IPv6 literal needs its brackets in Host
  EXPECT_FALSE(p->Allows(""));
  EXPECT_FALSE(p->Allows(":8000"));
}

TEST(HostPolicyTest, AMalformedEntryIsRefused) {
  std::string error;
  EXPECT_FALSE(HostPolicy::Restricted("127.0.0.1", "http://sync.lan", &error));
  EXPECT_NE(error.find("http://sync.lan"), std::string::npos) << error;
  EXPECT_FALSE(HostPolicy::Restricted("127.0.0.1", "sync.lan:8000", &error));
  EXPECT_TRUE(HostPolicy::Restricted("127.0.0.1", "", &error));
}

}  // namespace
}  // namespace syncd::common
