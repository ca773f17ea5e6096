// Keys as clients send them (quoted Structured Field strings, Stripe's bare form), refused with
// a reason when malformed; fingerprints that tell requests apart; SHA-256 on FIPS 180-4's
// vectors.
#include "faultline/idempotency/request_key.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>

namespace faultline::idempotency {
namespace {

std::string key_of(std::string_view header) {
  auto key = parse_key(header);
  EXPECT_TRUE(key.ok()) << key.error().to_string();
  return key.ok() ? *key : "";
}

std::string refusal(std::string_view header) {
  auto key = parse_key(header);
  EXPECT_FALSE(key.ok()) << "accepted " << header;
  if (key.ok()) return "";
  EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  return key.error().message;
}

TEST(IdempotencyKey, BothHeaderFormsAreAccepted) {
  EXPECT_EQ(key_of("\"8e03978e-40d5-43e8-bc93-6894a57f9324\""),
            "8e03978e-40d5-43e8-bc93-6894a57f9324");
  EXPECT_EQ(key_of("8e03978e-40d5-43e8-bc93-6894a57f9324"), "8e03978e-40d5-43e8-bc93-6894a57f9324");
  EXPECT_EQ(key_of("  \"a b\"  "), "a b");
  EXPECT_EQ(key_of(R"("say \"hi\" \\ bye")"), R"(say "hi" \ bye)");
}

TEST(IdempotencyKey, MalformedKeysAreRefusedWithAReason) {
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal("\"\"").find("empty"), std::string::npos);
  EXPECT_NE(refusal(std::string(256, 'k')).find("256 characters; at most 255"), std::string::npos);
  EXPECT_NE(refusal("\"abc").find("no closing quote"), std::string::npos);
  EXPECT_NE(refusal("\"abc\"x").find("after the closing quote"), std::string::npos);
  EXPECT_NE(refusal("\"a\\nb\"").find("may be escaped"), std::string::npos);
  EXPECT_NE(refusal("ab\"c").find("stray quote"), std::string::npos);
  EXPECT_NE(refusal("caf\xc3\xa9").find("character 4 is not printable ASCII"), std::string::npos);
  EXPECT_EQ(refusal("").rfind("Idempotency-Key: ", 0), 0U);
  EXPECT_EQ(key_of(std::string(255, 'k')).size(), 255U);
}

RC_GTEST_PROP(IdempotencyKey, AnyKeyQuotedReadsBackAsItself, ()) {
  const auto key = *rc::gen::container<std::string>(rc::gen::inRange<char>(0x20, 0x7f));
  RC_PRE(!key.empty() && key.size() <= 255);
  std::string quoted = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  auto parsed = parse_key(quoted);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == key);
}

TEST(Fingerprint, CoversMethodPathAndBodyUnambiguously) {
  const std::string base = fingerprint("POST", "/payments", R"({"amount":100})");
  EXPECT_EQ(base.size(), 64U);
  EXPECT_EQ(base, fingerprint("POST", "/payments", R"({"amount":100})"));
  std::set<std::string> all = {base, fingerprint("PUT", "/payments", R"({"amount":100})"),
                               fingerprint("POST", "/refunds", R"({"amount":100})"),
                               fingerprint("POST", "/payments", R"({"amount":101})"),
                               // The same bytes split differently must differ too.
                               fingerprint("POST", "/payments{", R"("amount":100})"),
                               fingerprint("POS", "T/payments", R"({"amount":100})")};
  EXPECT_EQ(all.size(), 6U);
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Lengths at the padding boundary: 55 bytes pad into one block, 56 and 63 into two.
  EXPECT_EQ(to_hex(sha256(std::string(55, 'a'))),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(to_hex(sha256(std::string(56, 'a'))),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(to_hex(sha256(std::string(63, 'a'))),
            "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
  EXPECT_EQ(to_hex(sha256(std::string(64, 'a'))),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

}  // namespace
}  // namespace faultline::idempotency
