// Canonical JSON and JSON fingerprints: spellings of one request agree, different requests and
// bad bodies do not.
#include "faultline/idempotency/json_fingerprint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "faultline/idempotency/request_key.h"

namespace faultline::idempotency {
namespace {

std::string canon(std::string_view body, std::vector<std::string> fields = {}) {
  Result<std::string> r = canonical_json(body, fields);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r.value() : std::string();
}

TEST(CanonicalJson, KeyOrderAndWhitespaceDoNotMatterAtAnyDepth) {
  EXPECT_EQ(canon(R"({"b": 1, "a": {"y": [1, 2], "x": "s"}})"),
            R"({"a":{"x":"s","y":[1,2]},"b":1})");
  EXPECT_EQ(canon("{ \"a\" :1 }"), canon("{\"a\":1}"));
  // Array order is meaning: it stays.
  EXPECT_NE(canon("[1,2]"), canon("[2,1]"));
  // An integer and a float are different values; two spellings of one float are one.
  EXPECT_NE(canon(R"({"n":100})"), canon(R"({"n":100.0})"));
  EXPECT_EQ(canon(R"({"n":1e2})"), canon(R"({"n":100.0})"));
}

TEST(CanonicalJson, SelectedFieldsIgnoreTheRestAndNameTheAbsent) {
  const std::vector<std::string> fields{"amount", "currency"};
  EXPECT_EQ(canon(R"({"currency":"EUR","amount":5,"trace":"t-1"})", fields),
            canon(R"({"amount":5,"currency":"EUR","trace":"t-2","at":"12:00"})", fields));
  EXPECT_EQ(canon(R"({"amount":5})", fields), R"({"amount":5,"currency":null})");
  EXPECT_NE(canon(R"({"amount":5,"currency":"EUR"})", fields),
            canon(R"({"amount":6,"currency":"EUR"})", fields));
}

TEST(CanonicalJson, BadBodiesAreRefusedNamingTheBody) {
  const std::vector<std::string> fields{"a"};
  for (const auto& [body, why] : std::vector<std::pair<std::string, std::string>>{
           {"{", "not valid JSON"},
           {"amount=5", "not valid JSON"},
           {std::string(100, '[') + std::string(100, ']'), "nested deeper"},
           {std::string(kMaxJsonBytes + 1, ' '), "bytes"}}) {
    Result<std::string> r = canonical_json(body);
    ASSERT_FALSE(r.ok()) << body.substr(0, 20);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message.rfind("body", 0), 0U) << r.error().message;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
  Result<std::string> not_object = canonical_json("[1]", fields);
  ASSERT_FALSE(not_object.ok());
  EXPECT_NE(not_object.error().message.find("not a JSON object"), std::string::npos);
  // An escaped quote does not end a string: what follows it is still nesting.
  Result<std::string> hidden = canonical_json(R"(["\"",)" + std::string(100'000, '['));
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.error().message.find("nested deeper"), std::string::npos);
  EXPECT_TRUE(canonical_json(R"({"s":"a\\"})").ok());  // an escaped backslash, then the end
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(canonical_json(R"({"s":")" + std::string(200, '[') + R"("})").ok());
}

TEST(JsonFingerprint, IsTheFingerprintOfTheCanonicalForm) {
  Result<std::string> a = json_fingerprint("POST", "/payments", R"({"b":1,"a":2})");
  Result<std::string> b = json_fingerprint("POST", "/payments", R"({ "a": 2, "b": 1 })");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value(), b.value());
  EXPECT_EQ(a.value(), fingerprint("POST", "/payments", R"({"a":2,"b":1})"));
  EXPECT_NE(a.value(), json_fingerprint("PUT", "/payments", R"({"b":1,"a":2})").value());
}

}  // namespace
}  // namespace faultline::idempotency
