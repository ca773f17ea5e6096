// Backoff: exponential with jitter, bounded.
#include "tests/resilience/retry/retry_support.h"

namespace faultline::resilience {
namespace {

// ---- backoff -----------------------------------------------------------------------------------

Backoff make_backoff(BackoffStrategy strategy, Duration base, Duration cap) {
  return Backoff::create(BackoffOptions{strategy, base, cap}).value();
}

TEST(Backoff, DeterministicStrategiesFollowTheStudysFormulas) {
  Rng rng(1);
  const Backoff none = make_backoff(BackoffStrategy::kNone, 5ms, 2000ms);
  const Backoff constant = make_backoff(BackoffStrategy::kConstant, 5ms, 2000ms);
  const Backoff exponential = make_backoff(BackoffStrategy::kExponential, 5ms, 2000ms);
  EXPECT_EQ(none.delay(rng, 3, 0ms), 0ms);
  EXPECT_EQ(constant.delay(rng, 3, 0ms), 5ms);
  EXPECT_EQ(exponential.delay(rng, 1, 0ms), 10ms);   // 5 * 2^1
  EXPECT_EQ(exponential.delay(rng, 4, 0ms), 80ms);   // 5 * 2^4
  EXPECT_EQ(exponential.delay(rng, 8, 0ms), 1280ms);
  EXPECT_EQ(exponential.delay(rng, 9, 0ms), 2000ms);  // capped
  EXPECT_EQ(exponential.delay(rng, 1'000'000, 0ms), 2000ms);  // no overflow
}

TEST(Backoff, ExponentialCeilingNeverOverflows) {
  EXPECT_EQ(exponential_ceiling(1ns, Duration::max(), 62), Duration(std::int64_t{1} << 62));
  EXPECT_EQ(exponential_ceiling(3ns, Duration::max(), 1000), Duration::max());
  EXPECT_EQ(exponential_ceiling(1ns, Duration::max(), 63), Duration::max());
  EXPECT_EQ(exponential_ceiling(0ns, 1s, 5), 0ns);
  EXPECT_EQ(exponential_ceiling(1s, 1s, 0), 1s);
}

RC_GTEST_PROP(Backoff, JitteredDelaysStayWithinTheirRanges, ()) {
  const auto base = Duration(*rc::gen::inRange<std::int64_t>(0, 1'000'000));
  const auto cap = base + Duration(*rc::gen::inRange<std::int64_t>(1, 1'000'000'000));
  const int retry = *rc::gen::inRange(1, 80);
  const auto previous = Duration(*rc::gen::inRange<std::int64_t>(0, 2'000'000'000));
  Rng rng(*rc::gen::arbitrary<std::uint64_t>());
  const Duration ceiling = exponential_ceiling(base, cap, retry);

  const Duration full = make_backoff(BackoffStrategy::kFullJitter, base, cap).delay(rng, retry, previous);
  RC_ASSERT(full >= 0ns);
  RC_ASSERT(full <= ceiling);

  const Duration equal = make_backoff(BackoffStrategy::kEqualJitter, base, cap).delay(rng, retry, previous);
  RC_ASSERT(equal >= ceiling / 2);
  RC_ASSERT(equal <= ceiling);

  const Duration decorrelated =
      make_backoff(BackoffStrategy::kDecorrelatedJitter, base, cap).delay(rng, retry, previous);
  RC_ASSERT(decorrelated >= std::min(base, cap));
  RC_ASSERT(decorrelated <= cap);
  const Duration last = previous > 0ns ? previous : base;
  RC_ASSERT(decorrelated <= std::max(base, last * 3));
}

RC_GTEST_PROP(Backoff, UniformStaysWithinBaseAndCapWhateverTheRetry, ()) {
  const auto base = Duration(*rc::gen::inRange<std::int64_t>(0, 1'000'000));
  const auto cap = base + Duration(*rc::gen::inRange<std::int64_t>(1, 1'000'000'000));
  const int retry = *rc::gen::inRange(1, 1000);
  Rng rng(*rc::gen::arbitrary<std::uint64_t>());
  const Duration uniform = make_backoff(BackoffStrategy::kUniform, base, cap).delay(rng, retry, 0ns);
  RC_ASSERT(uniform >= base);
  RC_ASSERT(uniform <= cap);
}

// LeaseLock and Redlock moved from faultline/backoff.h's full_jitter(base, cap, attempt) (attempt
// from 0) and a uniform [min, max] delay to these options. The same draws give the same sleeps:
// full jitter with half the old base (retry n = attempt + 1), and kUniform.
RC_GTEST_PROP(Backoff, TheLocksOldDelaysAreReproducedExactly, ()) {
  const auto old_base = Duration(2 * *rc::gen::inRange<std::int64_t>(1, 500'000'000));
  const auto cap = old_base + Duration(*rc::gen::inRange<std::int64_t>(0, 10'000'000'000));
  // Up to 30: the old formula stopped doubling after 32 attempts (a tiny base could then sleep
  // less than the cap), the new one doubles until the cap.
  const int attempt = *rc::gen::inRange(0, 31);
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  // The old formula: uniform in [0, min(cap, old_base * 2^attempt)], the shift clamped at 32.
  const int shift = std::min(attempt, 32);
  Duration ceiling = cap;
  if (old_base.count() <= (cap.count() >> shift)) ceiling = old_base * (std::int64_t{1} << shift);
  Rng old_rng(seed);
  const Duration old_sleep = uniform_duration(old_rng, Duration::zero(), ceiling);
  Rng new_rng(seed);
  const Duration new_sleep = make_backoff(BackoffStrategy::kFullJitter, old_base / 2, cap)
                                 .delay(new_rng, attempt + 1, 0ns);
  RC_ASSERT(new_sleep == old_sleep);

  Rng old_uniform(seed);
  Rng new_uniform(seed);
  RC_ASSERT(make_backoff(BackoffStrategy::kUniform, old_base, cap).delay(new_uniform, attempt + 1, 0ns) ==
            uniform_duration(old_uniform, old_base, cap));
}

TEST(Backoff, JitterIsReproducibleFromTheSeed) {
  const Backoff full = make_backoff(BackoffStrategy::kFullJitter, 5ms, 2000ms);
  Rng a(42);
  Rng b(42);
  for (int retry = 1; retry < 20; ++retry) EXPECT_EQ(full.delay(a, retry, 0ms), full.delay(b, retry, 0ms));
}

TEST(Backoff, RejectsBadOptionsNamingTheField) {
  const auto message = [](BackoffOptions options) {
    Result<Backoff> made = Backoff::create(options);
    EXPECT_FALSE(made.ok());
    return made.ok() ? std::string() : made.error().message;
  };
  EXPECT_NE(message({BackoffStrategy::kFullJitter, -1ms, 1s}).find("backoff.base"), std::string::npos);
  EXPECT_NE(message({BackoffStrategy::kFullJitter, 2s, 1s}).find("backoff.cap"), std::string::npos);
  EXPECT_NE(message({BackoffStrategy::kConstant, 0ms, 0ms}).find("backoff.cap"), std::string::npos);
  EXPECT_TRUE(Backoff::create({BackoffStrategy::kNone, 0ms, 0ms}).ok());
}

}  // namespace
}  // namespace faultline::resilience
