#include "syncd/common/origin_policy.h"

#include <gtest/gtest.h>

namespace syncd::common {
namespace {

TEST(OriginPolicyTest, DefaultAllowsLoopbackOnAnyPortOnly) {
  OriginPolicy p;
  EXPECT_TRUE(p.Allows("http://localhost:5173"));
  EXPECT_TRUE(p.Allows("http://localhost"));
  EXPECT_TRUE(p.Allows("http://127.0.0.1:8080"));
  EXPECT_TRUE(p.Allows("http://[::1]:3000"));
  EXPECT_TRUE(p.Allows("HTTP://LOCALHOST:5173"));
  EXPECT_FALSE(p.Allows("https://evil.example"));
  EXPECT_FALSE(p.Allows("http://localhost.evil.example"));
  EXPECT_FALSE(p.Allows("http://localhost:80.evil.example"));
  EXPECT_FALSE(p.Allows("http://127.0.0.1.nip.io"));
  EXPECT_FALSE(p.Allows("null"));
  EXPECT_FALSE(p.Allows(""));
  EXPECT_FALSE(p.any());
}

TEST(OriginPolicyTest, ListReplacesTheDefault) {
  std::string error;
  auto p = OriginPolicy::Parse(" https://app.example.com , http://dev.example:* ", &error);
  ASSERT_TRUE(p) << error;
  EXPECT_TRUE(p->Allows("https://app.example.com"));
  EXPECT_FALSE(p->Allows("https://app.example.com:8443"));
  EXPECT_FALSE(p->Allows("http://app.example.com"));
  EXPECT_TRUE(p->Allows("http://dev.example:9000"));
  EXPECT_FALSE(p->Allows("http://localhost:5173"));
}

TEST(OriginPolicyTest, StarAllowsEveryOrigin) {
  std::string error;
  auto p = OriginPolicy::Parse("*", &error);
  ASSERT_TRUE(p) << error;
  EXPECT_TRUE(p->any());
  EXPECT_TRUE(p->Allows("https://anything.example"));
}

TEST(OriginPolicyTest, EmptyListIsTheDefault) {
  std::string error;
  auto p = OriginPolicy::Parse("  ", &error);
  ASSERT_TRUE(p) << error;
  EXPECT_TRUE(p->Allows("http://localhost:1"));
  EXPECT_FALSE(p->Allows("https://app.example.com"));
}

TEST(OriginPolicyTest, MalformedEntriesAreRefused) {
  std::string error;
  EXPECT_FALSE(OriginPolicy::Parse("app.example.com", &error));
  EXPECT_NE(error.find("app.example.com"), std::string::npos);
  EXPECT_FALSE(OriginPolicy::Parse("https://app.example.com/path", &error));
  EXPECT_FALSE(OriginPolicy::Parse(",,", &error));
}

}  // namespace
}  // namespace syncd::common
