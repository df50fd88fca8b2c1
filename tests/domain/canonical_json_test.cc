#include "syncd/domain/canonical_json.h"

#include <gtest/gtest.h>

#include <string>

#include "syncd/domain/json_limits.h"

namespace syncd::domain {
namespace {

// Expected strings and MD5s below were computed independently with Python:
//   c = json.dumps(json.loads(text), sort_keys=True, separators=(',', ':'),
//                  ensure_ascii=False)
//   hashlib.md5(c.encode()).hexdigest()
// A client doing the same gets the same checksum as the server.

std::string Canonical(const std::string& text) {
  rapidjson::Document doc;
  std::string message;
  EXPECT_EQ(ParseJsonLimited(text, &doc, &message), JsonParseError::kNone) << message;
  return CanonicalJson(doc);
}

TEST(CanonicalJsonTest, SortsKeysAtEveryLevelByByteValue) {
  const std::string c = Canonical(R"({"b":1,"a":{"d":[3,2,1],"c":null},"A":true,"_":false})");
  EXPECT_EQ(c, R"({"A":true,"_":false,"a":{"c":null,"d":[3,2,1]},"b":1})");
  EXPECT_EQ(Md5Hex(c), "3b2dd6e7fd1dad4a0607130d43d88c87");
}

TEST(CanonicalJsonTest, UnicodeIsWrittenAsIsAndSortedByUtf8Bytes) {
  const std::string c = Canonical(R"({"é":"ü","z":"日本語","a":"😀","ä":1,"e":"plain"})");
  EXPECT_EQ(c, R"({"a":"😀","e":"plain","z":"日本語","ä":1,"é":"ü"})");
  EXPECT_EQ(Md5Hex(c), "5ce6c99840256e1ca4496cbaa8bfa897");
}

TEST(CanonicalJsonTest, EscapesOnlyWhatJsonRequires) {
  const std::string c = Canonical(
      R"({"s":"quote\" backslash\\ slash\/ nl\n tab\t cr\r bs\b ff\f ctl\u0001\u001f nul\u0000 del\u007f","u":"\u00e9\ud83d\ude00"})");
  const std::string expected =
      R"({"s":"quote\" backslash\\ slash/ nl\n tab\t cr\r bs\b ff\f ctl\u0001\u001f nul\u0000 del)"
      "\x7f"
      R"(","u":"é😀"})";
  EXPECT_EQ(c, expected);
  EXPECT_EQ(Md5Hex(c), "41ae8019a0cd113f0d9a00097b646b8b");
}

TEST(CanonicalJsonTest, NumbersAsTheParserReadThem) {
  const std::string c = Canonical(
      R"({"i":42,"n":-17,"z":0,"f":12.5,"g":0.1,"h":1.0,"neg":-3.25,"big":9007199254740993,)"
      R"("min":-9223372036854775808,"umax":18446744073709551615,"e":1.5e3,"mz":-0.0})");
  EXPECT_EQ(c, R"({"big":9007199254740993,"e":1500.0,"f":12.5,"g":0.1,"h":1.0,"i":42,)"
               R"("min":-9223372036854775808,"mz":-0.0,"n":-17,"neg":-3.25,)"
               R"("umax":18446744073709551615,"z":0})");
  EXPECT_EQ(Md5Hex(c), "cd6f48cd93409070e96e5b2efe62a69f");
}

TEST(CanonicalJsonTest, NestedArraysKeepOrderAndTopLevelArraysWork) {
  const std::string c = Canonical(R"([{"b":[{"y":1,"x":2}],"a":[]},[],{},"s",null,true])");
  EXPECT_EQ(c, R"([{"a":[],"b":[{"x":2,"y":1}]},[],{},"s",null,true])");
  EXPECT_EQ(Md5Hex(c), "92749b71382d977935c856dafd9a409e");
}

TEST(CanonicalJsonTest, WhitespaceIsRemovedAndEntityChecksumIsStable) {
  const std::string c = Canonical(
      R"( { "name" : "Girokonto", "accountGroupId":"g1", "balance": 1234.56, "id":"acc-1",
            "updated_at":"2025-11-26T04:26:40.123Z", "tags":["x","y"],
            "meta":{"z":1,"a":{"k":"v"}} } )");
  EXPECT_EQ(c,
            R"({"accountGroupId":"g1","balance":1234.56,"id":"acc-1","meta":{"a":{"k":"v"},"z":1},)"
            R"("name":"Girokonto","tags":["x","y"],"updated_at":"2025-11-26T04:26:40.123Z"})");
  EXPECT_EQ(ChecksumOfCanonical(c), "7a2fb9018035afa2b3fd819f5f3edad5");
}

TEST(CanonicalJsonTest, DuplicateKeysKeepInputOrder) {
  EXPECT_EQ(Canonical(R"({"b":1,"a":2,"c":0,"a":1})"), R"({"a":2,"a":1,"b":1,"c":0})");
}

TEST(CanonicalJsonTest, ScalarsAtTopLevel) {
  EXPECT_EQ(Canonical("null"), "null");
  EXPECT_EQ(Canonical("true"), "true");
  EXPECT_EQ(Canonical("false"), "false");
  EXPECT_EQ(Canonical(R"("a/b")"), R"("a/b")");
  EXPECT_EQ(Canonical("-0"), "0");
  EXPECT_EQ(Canonical("1e21"), "1e21");
}

TEST(CanonicalJsonTest, BuiltValuesMatchParsedOnes) {
  rapidjson::Document doc;
  doc.SetObject();
  auto& a = doc.GetAllocator();
  doc.AddMember("z", 12.5, a);
  doc.AddMember("a", rapidjson::Value(std::string("x\ny"), a), a);
  doc.AddMember("m", int64_t{-3}, a);
  EXPECT_EQ(CanonicalJson(doc), R"({"a":"x\ny","m":-3,"z":12.5})");
}

TEST(CanonicalJsonTest, Md5OfKnownInputs) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(Md5Hex(std::string("a\0b", 3)), Md5Hex(std::string("a\0b", 3)));
  EXPECT_NE(Md5Hex(std::string("a\0b", 3)), Md5Hex("a"));
}

}  // namespace
}  // namespace syncd::domain
