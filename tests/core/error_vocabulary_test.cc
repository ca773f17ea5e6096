// The error vocabulary (result.h) and where the resilience patterns place each code (call.h,
// retry.h): every code has a name, a group and a retry decision, decided once.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "faultline/resilience/call.h"
#include "faultline/resilience/retry.h"
#include "faultline/result.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

// Every code, in declaration order. A new code goes here too; the count check below fails
// until it does.
constexpr ErrorCode kAllCodes[] = {
    ErrorCode::kInvalidArgument, ErrorCode::kUnavailable,   ErrorCode::kOutcomeUnknown,
    ErrorCode::kFailedPrecondition, ErrorCode::kDeadlineExceeded, ErrorCode::kProtocol,
    ErrorCode::kBusy,            ErrorCode::kAborted,       ErrorCode::kNotFound,
    ErrorCode::kAlreadyExists,   ErrorCode::kCircuitOpen,   ErrorCode::kBulkheadFull,
    ErrorCode::kRateLimited,
};

TEST(ErrorVocabulary, TheListAboveHasEveryCode) {
  EXPECT_EQ(std::size(kAllCodes), static_cast<std::size_t>(ErrorCode::kRateLimited) + 1);
}

TEST(ErrorVocabulary, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  for (ErrorCode code : kAllCodes) {
    const std::string_view name = to_string(code);
    EXPECT_NE(name, "?") << static_cast<int>(code);
    EXPECT_TRUE(names.insert(name).second) << name << " is used twice";
  }
  EXPECT_EQ(to_string(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(to_string(ErrorCode::kAlreadyExists), "already_exists");
}

TEST(ErrorVocabulary, NotFoundAndAlreadyExistsHaveFactoriesAndDidNotHappen) {
  const Error missing = not_found("idempotency record 'k'");
  EXPECT_EQ(missing.code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.to_string(), "not_found: idempotency record 'k'");
  EXPECT_FALSE(missing.may_have_happened());
  const Error taken = already_exists("key 'k'");
  EXPECT_EQ(taken.code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.to_string(), "already_exists: key 'k'");
  EXPECT_FALSE(taken.may_have_happened());
}

TEST(ErrorVocabulary, RetryAfterIsOptionalAndCarriedWithTheError) {
  const Error plain = unavailable("down");
  EXPECT_FALSE(plain.retry_after.has_value());
  const Error later = with_retry_after(Error{ErrorCode::kRateLimited, "slow down"}, 250ms);
  ASSERT_TRUE(later.retry_after.has_value());
  EXPECT_EQ(*later.retry_after, 250ms);
  EXPECT_EQ(later.code, ErrorCode::kRateLimited);
  EXPECT_EQ(later.message, "slow down");
  // It travels with the error through a Result.
  const Result<int> result = with_retry_after(unavailable("503"), 2s);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().retry_after, std::chrono::nanoseconds(2s));
}

// Not found and already exists are caller errors: the request was wrong for the state it met.
// Never retried, and by default no evidence against the dependency's health.
TEST(ErrorVocabulary, NotFoundAndAlreadyExistsAreCallerErrors) {
  for (ErrorCode code : {ErrorCode::kNotFound, ErrorCode::kAlreadyExists}) {
    EXPECT_TRUE(resilience::is_caller_error(code)) << to_string(code);
    EXPECT_FALSE(resilience::is_local_refusal(code)) << to_string(code);
    EXPECT_TRUE(resilience::never_retried(code)) << to_string(code);
    EXPECT_EQ(resilience::default_breaker_outcome(code), resilience::OutcomeKind::kIgnored)
        << to_string(code);
    EXPECT_FALSE(resilience::default_retryable(code, true)) << to_string(code);
  }
}

// The groups, for every code at once: a code is a local refusal, a caller error, or judged by the
// classifiers; and only codes of the last group are ever retried by default.
TEST(ErrorVocabulary, EveryCodeIsPlacedOnce) {
  for (ErrorCode code : kAllCodes) {
    EXPECT_FALSE(resilience::is_local_refusal(code) && resilience::is_caller_error(code))
        << to_string(code);
    if (resilience::never_retried(code)) {
      EXPECT_FALSE(resilience::default_retryable(code, true)) << to_string(code);
      EXPECT_EQ(resilience::default_breaker_outcome(code), resilience::OutcomeKind::kIgnored)
          << to_string(code);
    }
  }
}

}  // namespace
}  // namespace faultline
