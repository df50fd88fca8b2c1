#include "syncd/domain/canonical_json.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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
  EXPECT_EQ(Canonical("1e21"), "1e+21");  // as Python writes it
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
  // All three bytes count, the NUL included (python3: hashlib.md5(b"a\x00b")).
  EXPECT_EQ(Md5Hex(std::string("a\0b", 3)), "70350f6027bce3713f6b76473084309b");
  EXPECT_NE(Md5Hex(std::string("a\0b", 3)), Md5Hex("a"));
}

// Doubles are written as Python's json.dumps writes them (shortest digits
// that read back the same, repr's layout), so a client's checksum matches.
// Expected strings computed with python3: json.dumps(float(json.loads(n))).
TEST(CanonicalJsonTest, DoublesMatchPythonJsonDumps) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-943305.0469559873", "-943305.0469559873"},
      {"123456789.123456789", "123456789.12345679"},
      {"1e21", "1e+21"},
      {"1e-7", "1e-07"},
      {"1.5e-7", "1.5e-07"},
      {"100.0", "100.0"},
      {"1e16", "1e+16"},
      {"1e15", "1000000000000000.0"},
      {"0.0001", "0.0001"},
      {"0.00001", "1e-05"},
      {"-0.0", "-0.0"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      {"5e-324", "5e-324"},
      {"12.5", "12.5"},
      {"0.1", "0.1"},
      {"2.5e-5", "2.5e-05"},
      {"1e2", "100.0"},
      {"-150961.62171497208", "-150961.62171497208"},
      {"261251.83146347408", "261251.83146347408"},
      {"0.30000000000000004", "0.30000000000000004"},
      {"9007199254740993.0", "9007199254740992.0"},
      {"3.844899952994701e+240", "3.844899952994701e+240"},
      {"-7.344083959492241e-156", "-7.344083959492241e-156"},
      {"-1.1041517734934132e+276", "-1.1041517734934132e+276"},
      {"-5.716765822553976e+130", "-5.716765822553976e+130"},
      {"3.140286135367374e+92", "3.140286135367374e+92"},
      {"2.5158638014362304e-31", "2.5158638014362304e-31"},
      {"-1.0549078516472708e-152", "-1.0549078516472708e-152"},
      {"2.6611075574796747e-180", "2.6611075574796747e-180"},
      {"3.58753152054441e+117", "3.58753152054441e+117"},
      {"-1.3896921882545672e-254", "-1.3896921882545672e-254"},
      {"2.2397476324494955e-150", "2.2397476324494955e-150"},
      {"-3.338593469659212e-120", "-3.338593469659212e-120"},
      {"-8.269239359792111e-224", "-8.269239359792111e-224"},
      {"1.2188946702838646e+192", "1.2188946702838646e+192"},
      {"-3.2778636368931506e-71", "-3.2778636368931506e-71"},
      {"-8.725092638835179e+296", "-8.725092638835179e+296"},
      {"9.245900233403122e-57", "9.245900233403122e-57"},
      {"-1.992461511689391e+103", "-1.992461511689391e+103"},
      {"-5.3149656958467083e-219", "-5.3149656958467083e-219"},
      {"3.768409153258753e-17", "3.768409153258753e-17"},
      {"423948.0461624183", "423948.0461624183"},
      {"582980.8280712662", "582980.8280712662"},
      {"-296545.96790069167", "-296545.96790069167"},
      {"204658.35921968846", "204658.35921968846"},
      {"-203669.4548109026", "-203669.4548109026"},
      {"51620.026912645204", "51620.026912645204"},
      {"-479496.49339254166", "-479496.49339254166"},
      {"-167054.58915046533", "-167054.58915046533"},
      {"-943738.7410244602", "-943738.7410244602"},
      {"-82055.90637029323", "-82055.90637029323"},
  };
  for (const auto& [input, expected] : cases) {
    rapidjson::Document doc;
    std::string error;
    ASSERT_EQ(ParseJsonLimited("[" + input + "]", &doc, &error), JsonParseError::kNone) << input;
    EXPECT_EQ(CanonicalJson(doc), "[" + expected + "]") << input;
  }
}

}  // namespace
}  // namespace syncd::domain
