// Redaction shared by the Redis and PostgreSQL backends: the cases each backend's former copy
// covered, held by the one that replaced both.
#include <gtest/gtest.h>

#include <string>

#include "redact.h"

namespace faultline::backends::detail {
namespace {

TEST(Redact, EmptySecretChangesNothing) {
  EXPECT_EQ(redact("password authentication failed\n", ""), "password authentication failed\n");
}

TEST(Redact, EveryFullOccurrence) {
  // PostgreSQL's case: a message that quotes the password, possibly twice.
  EXPECT_EQ(redact("FATAL: bad s3cr3t-pass, s3cr3t-pass again", "s3cr3t-pass"),
            "FATAL: bad <redacted>, <redacted> again");
}

TEST(Redact, TruncatedEchoUpToTheQuote) {
  // Redis 7's case: an unknown command's arguments quoted and cut short.
  const std::string secret = "correct-horse-battery-staple";
  const std::string reply =
      "ERR unknown command 'correct-horse-batt', with args beginning with: 'x'";
  const std::string got = redact(reply, secret);
  EXPECT_EQ(got, "ERR unknown command '<redacted>', with args beginning with: 'x'");
  EXPECT_EQ(got.find(secret.substr(0, 6)), std::string::npos);
}

TEST(Redact, TruncatedEchoAtTheEnd) {
  EXPECT_EQ(redact("args: correct-hor", "correct-horse"), "args: <redacted>");
}

TEST(Redact, ASecretInsideTheMarkDoesNotMangleIt) {
  // The former Redis copy searched its own output again and garbled "<redacted>" for a secret
  // such as "act".
  EXPECT_EQ(redact("act and act", "act"), "<redacted> and <redacted>");
}

TEST(Redact, KeepsTrailingText) {
  // The PostgreSQL caller trims libpq's newline itself; redaction keeps the text's shape.
  EXPECT_EQ(redact("no secret here\n", "hunter2"), "no secret here\n");
}

}  // namespace
}  // namespace faultline::backends::detail
