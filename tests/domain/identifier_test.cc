#include "syncd/domain/identifier.h"

#include <gtest/gtest.h>

#include <string>

namespace syncd::domain {
namespace {

using std::string_literals::operator""s;

TEST(IdentifierTest, AcceptsPrintableIdsOfOneTo128Characters) {
  EXPECT_EQ(CheckIdentifier("a", "id"), std::nullopt);
  EXPECT_EQ(CheckIdentifier("tenant-1 with spaces, dots. and :colons", "id"), std::nullopt);
  EXPECT_EQ(CheckIdentifier(std::string(128, 'a'), "id"), std::nullopt);
  std::string umlauts;
  for (int i = 0; i < 128; ++i) umlauts += "ü";  // 256 bytes, 128 characters
  EXPECT_EQ(CheckIdentifier(umlauts, "id"), std::nullopt);
  EXPECT_EQ(CheckIdentifier("\u00a0nbsp and 😀", "id"), std::nullopt);
}

TEST(IdentifierTest, RefusesEmptyAndTooLong) {
  EXPECT_EQ(CheckIdentifier("", "entityId"), "entityId must be 1-128 characters");
  EXPECT_EQ(CheckIdentifier(std::string(129, 'a'), "entityId"),
            "entityId must be 1-128 characters");
  std::string umlauts;
  for (int i = 0; i < 129; ++i) umlauts += "ü";
  EXPECT_EQ(CheckIdentifier(umlauts, "id"), "id must be 1-128 characters");
}

TEST(IdentifierTest, RefusesControlCharactersSlashAndInvalidUtf8) {
  EXPECT_EQ(CheckIdentifier("x\0ATTACKER"s, "entry_id"),
            "entry_id must not contain control characters");
  EXPECT_EQ(CheckIdentifier("a\nb", "id"), "id must not contain control characters");
  EXPECT_EQ(CheckIdentifier("a\x7f", "id"), "id must not contain control characters");
  EXPECT_EQ(CheckIdentifier("a\u009b", "id"), "id must not contain control characters");  // C1
  EXPECT_EQ(CheckIdentifier("a/b", "tenant"), "tenant must not contain '/'");
  EXPECT_EQ(CheckIdentifier("\xff", "tenant"), "tenant must be valid UTF-8");
  EXPECT_EQ(CheckIdentifier("\xed\xb0\x80", "tenant"), "tenant must be valid UTF-8");
}

TEST(IdentifierTest, Utf8IsCheckedStrictly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80"));          // U+0080, the smallest two-byte form
  EXPECT_TRUE(IsValidUtf8("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xee\x80\x80"));      // U+E000, just above them
  EXPECT_TRUE(IsValidUtf8("\xef\xbf\xbf"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("a\0b"s));             // NUL is a character; IsPrintableUtf8 refuses it

  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // U+D800, a high surrogate (CESU-8)
  EXPECT_FALSE(IsValidUtf8("\xed\xb0\x80"));      // U+DC00, a low surrogate
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));      // overlong three-byte form
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));  // overlong four-byte form
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\x80"));        // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));    // truncated
  EXPECT_FALSE(IsValidUtf8("\xe2\x82xy"));  // interrupted
  EXPECT_FALSE(IsValidUtf8("ok\xff"));
}

TEST(IdentifierTest, PrintableMeansNoC0DelOrC1) {
  EXPECT_TRUE(IsPrintableUtf8("a b\u00a0ü😀"));
  EXPECT_FALSE(IsPrintableUtf8("a\0"s));
  EXPECT_FALSE(IsPrintableUtf8("\t"));
  EXPECT_FALSE(IsPrintableUtf8("\x7f"));
  EXPECT_FALSE(IsPrintableUtf8("\u0080"));
  EXPECT_FALSE(IsPrintableUtf8("\u009f"));
  EXPECT_FALSE(IsPrintableUtf8("\xff"));
}

}  // namespace
}  // namespace syncd::domain
