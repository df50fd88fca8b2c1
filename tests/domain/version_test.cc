#include "syncd/domain/version.h"

#include <gtest/gtest.h>

#include <string>

namespace syncd::domain {
namespace {

// 2025-11-26T04:26:40.123Z, computed independently with Python's datetime.
constexpr int64_t kRef = 1764131200123;

std::optional<int64_t> Parse(const std::string& s) { return ParseIso8601Ms(s); }

TEST(VersionTest, ParsesUtcWithZ) {
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123Z"), kRef);
  EXPECT_EQ(Parse("2025-11-26t04:26:40.123z"), kRef);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
}

TEST(VersionTest, ParsesOffsets) {
  EXPECT_EQ(Parse("2025-11-26T06:26:40.123+02:00"), kRef);
  EXPECT_EQ(Parse("2025-11-26T06:26:40.123+0200"), kRef);
  EXPECT_EQ(Parse("2025-11-26T06:26:40.123+02"), kRef);
  EXPECT_EQ(Parse("2025-11-25T22:56:40.123-0530"), kRef);
  EXPECT_EQ(Parse("2025-11-25T22:56:40.123-05:30"), kRef);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123+00:00"), kRef);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123-00:00"), kRef);
}

TEST(VersionTest, NoZoneMeansUtc) {
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123"), kRef);
  EXPECT_EQ(Parse("2025-11-26T04:26:40"), kRef - 123);
}

TEST(VersionTest, SpaceSeparatorIsAccepted) {
  EXPECT_EQ(Parse("2025-11-26 04:26:40.123Z"), kRef);
  EXPECT_EQ(Parse("2025-11-26 04:26:40.123"), kRef);
}

TEST(VersionTest, FractionalSecondsOfAnyLengthTruncateToMilliseconds) {
  EXPECT_EQ(Parse("2025-11-26T04:26:40.1Z"), kRef - 23);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.12Z"), kRef - 3);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123Z"), kRef);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123456Z"), kRef);
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123999Z"), kRef);  // truncated, not rounded
  EXPECT_EQ(Parse("2025-11-26T04:26:40.123456789+00:00"), kRef);
}

TEST(VersionTest, DateOnlyAndMinutePrecision) {
  EXPECT_EQ(Parse("2025-11-26"), 1764115200000);
  EXPECT_EQ(Parse("2025-11-26T04:26Z"), 1764131160000);
  EXPECT_EQ(Parse("2025-11-26T04:26"), 1764131160000);
}

TEST(VersionTest, LeapYearsAndLeapSecond) {
  EXPECT_EQ(Parse("2000-02-29"), 951782400000);
  EXPECT_EQ(Parse("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_FALSE(Parse("2023-02-29").has_value());
  EXPECT_FALSE(Parse("2100-02-29").has_value());
  EXPECT_EQ(Parse("2016-12-31T23:59:60Z"), 1483228800000);
}

TEST(VersionTest, PreEpochTimes) {
  EXPECT_EQ(Parse("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(Parse("1969-07-20T20:17:40Z"), -14182940000);
  EXPECT_EQ(Parse("1900-01-01"), -2208988800000);
}

TEST(VersionTest, RejectsOutOfRangeFields) {
  for (const char* s : {"2025-13-01", "2025-00-10", "2025-04-31", "2025-01-32", "2025-01-00",
                        "2025-11-26T24:00:00Z", "2025-11-26T12:60:00Z", "2025-11-26T12:00:61Z",
                        "2025-11-26T04:26:40+24:00", "2025-11-26T04:26:40+02:60"}) {
    EXPECT_FALSE(Parse(s).has_value()) << s;
  }
}

TEST(VersionTest, RejectsMalformedText) {
  for (const char* s : {"",
                        "garbage",
                        "now",
                        "1764131200123",
                        "2025/11/26",
                        "2025-1-26",
                        "25-11-26",
                        "2025-11-26T",
                        "2025-11-26T04",
                        "2025-11-26T04:2",
                        "2025-11-26T04:26:4",
                        "2025-11-26T04:26:40.",
                        "2025-11-26T04:26:40.Z",
                        "2025-11-26T04:26:40.123Zjunk",
                        "2025-11-26T04:26:40.123Z ",
                        " 2025-11-26",
                        "2025-11-26 ",
                        "2025-11-26Z",
                        "2025-11-26T04:26:40+02:",
                        "2025-11-26T04:26:40+2",
                        "2025-11-26T04:26:40+02:0",
                        "2025-11-26T04:26:40 +02:00",
                        "2025-11-26T04:26.5Z",
                        "2025-11-26X04:26:40Z",
                        "+2025-11-26",
                        "2025-11-26T04:26:40,123Z"}) {
    EXPECT_FALSE(Parse(s).has_value()) << '"' << s << '"';
  }
}

TEST(VersionTest, FormatsNormalisedUtcWithMilliseconds) {
  EXPECT_EQ(FormatIso8601Ms(kRef), "2025-11-26T04:26:40.123Z");
  EXPECT_EQ(FormatIso8601Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Ms(-14182940000), "1969-07-20T20:17:40.000Z");
  EXPECT_EQ(FormatIso8601Ms(-2208988800000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Ms(-62135596800000), "0001-01-01T00:00:00.000Z");
}

TEST(VersionTest, FormatRoundTrips) {
  for (int64_t ms :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{999}, int64_t{-999}, int64_t{-1000},
        int64_t{-1001}, kRef, int64_t{-14182940000}, int64_t{-2208988800001}, int64_t{951782400000},
        int64_t{4102444799999}, int64_t{-62135596800000}, int64_t{253402300799999}}) {
    const std::string text = FormatIso8601Ms(ms);
    EXPECT_EQ(ParseIso8601Ms(text), ms) << text;
  }
  EXPECT_EQ(FormatIso8601Ms(*Parse("2025-11-25T22:56:40.123456-05:30")),
            "2025-11-26T04:26:40.123Z");
}

}  // namespace
}  // namespace syncd::domain
