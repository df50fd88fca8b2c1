#include "syncd/common/percent_decoding.h"

#include <gtest/gtest.h>

#include <string>

namespace syncd::common {
namespace {

using std::string_literals::operator""s;

TEST(PercentDecodingTest, DecodesStrictly) {
  EXPECT_EQ(PercentDecode("a%20b"), "a b");
  EXPECT_EQ(PercentDecode("%41%62c"), "Abc");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("a%2Fb"), "a/b");
  EXPECT_EQ(PercentDecode("%ff"), "\xff");
  EXPECT_EQ(PercentDecode("a%00b"), "a\0b"s);
  EXPECT_EQ(PercentDecode(""), "");
  EXPECT_EQ(PercentDecode("%zz"), std::nullopt);
  EXPECT_EQ(PercentDecode("%"), std::nullopt);
  EXPECT_EQ(PercentDecode("a%4"), std::nullopt);
  EXPECT_EQ(PercentDecode("%4g"), std::nullopt);
  EXPECT_EQ(PercentDecode("%%41"), std::nullopt);
}

}  // namespace
}  // namespace syncd::common
