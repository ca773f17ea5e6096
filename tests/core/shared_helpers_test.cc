// The helpers every pattern shares: duration text, named range checks (integers, durations in
// any unit, reals, sizes), the timeout check and the parked completion handler.
#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "faultline/detail/parked_handler.h"
#include "faultline/duration_text.h"
#include "faultline/validate.h"

namespace faultline {
namespace {

using namespace std::chrono_literals;

TEST(DurationText, UsesTheLargestExactUnit) {
  EXPECT_EQ(duration_text(0ns), "0");
  EXPECT_EQ(duration_text(7ns), "7ns");
  EXPECT_EQ(duration_text(1500us), "1500us");
  EXPECT_EQ(duration_text(250ms), "250ms");
  EXPECT_EQ(duration_text(1001ms), "1001ms");
  EXPECT_EQ(duration_text(60s), "1min");
  EXPECT_EQ(duration_text(90s), "90s");
  EXPECT_EQ(duration_text(2h), "2h");
  EXPECT_EQ(duration_text(-5ms), "-5ms");
  EXPECT_EQ(duration_text(Duration::max()), "max");
}

TEST(CheckRange, AcceptsBothBoundsAndNamesTheFieldOutside) {
  EXPECT_TRUE(check_range("attempts", 1, 1, 100).ok());
  EXPECT_TRUE(check_range("attempts", 100, 1, 100).ok());
  const Result<void> low = check_range("attempts", 0, 1, 100);
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(low.error().message, "attempts: 0; must be in [1, 100]");
  EXPECT_FALSE(check_range("attempts", 101, 1, 100).ok());
}

TEST(CheckRange, PrintsDurationsReadably) {
  EXPECT_TRUE(check_range("wait", Duration::zero(), Duration::zero(), 1h).ok());
  EXPECT_TRUE(check_range("wait", Duration(1h), Duration::zero(), 1h).ok());
  const Result<void> high = check_range("wait", Duration(2h), Duration::zero(), 1h);
  ASSERT_FALSE(high.ok());
  EXPECT_EQ(high.error().message, "wait: 2h; must be in [0, 1h]");
  EXPECT_FALSE(check_range("wait", Duration(-1ns), Duration::zero(), 1h).ok());
}

TEST(ValidateTimeout, RequiresAPositiveDeadline) {
  EXPECT_TRUE(validate_timeout(1ns).ok());
  EXPECT_TRUE(validate_timeout(Duration::max()).ok());
  const Result<void> zero = validate_timeout(Duration::zero());
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(zero.error().message, "timeout: 0; must be > 0 (every remote call needs a deadline)");
  const Result<void> negative = validate_timeout(-3ms, "call_timeout");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message.rfind("call_timeout: -3ms;", 0), 0u);
}

TEST(ValidateTimeout, HonoursAnUpperBound) {
  EXPECT_TRUE(validate_timeout(60s, "connect_timeout", 60s).ok());
  const Result<void> long_wait = validate_timeout(61s, "connect_timeout", 60s);
  ASSERT_FALSE(long_wait.ok());
  EXPECT_EQ(long_wait.error().message,
            "connect_timeout: 61s; must be in (0, 1min] (every remote call needs a deadline)");
}

TEST(CheckRange, AddsTheReasonWhenGiven) {
  EXPECT_EQ(check_range("ttl", Duration::zero(), Duration(1ms), Duration(24h), "locks expire")
                .error()
                .message,
            "ttl: 0; must be in [1ms, 24h] (locks expire)");
}

TEST(CheckRange, ComparesCoarseUnitsWithoutOverflow) {
  EXPECT_TRUE(check_range("idle", std::chrono::seconds(10), std::chrono::seconds(1),
                          std::chrono::seconds(7200))
                  .ok());
  // 10^12 s is past what nanoseconds hold: it must be refused, not wrap into range.
  const Result<void> huge = check_range("idle", std::chrono::seconds(1'000'000'000'000),
                                        std::chrono::seconds(1), std::chrono::seconds(7200));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().message, "idle: max; must be in [1s, 2h]");
  EXPECT_EQ(check_range("user_timeout", std::chrono::milliseconds(-1), std::chrono::milliseconds(0),
                        std::chrono::milliseconds(3'600'000))
                .error()
                .message,
            "user_timeout: -1ms; must be in [0, 1h]");
}

TEST(CheckPositive, OpenAtZeroAndBoundedOrNot) {
  EXPECT_TRUE(check_positive("wait", Duration(1ns), Duration(24h)).ok());
  EXPECT_TRUE(check_positive("wait", Duration(24h), Duration(24h)).ok());
  EXPECT_EQ(check_positive("wait", Duration::zero(), Duration(24h)).error().message,
            "wait: 0; must be in (0, 24h]");
  EXPECT_EQ(check_positive("slow", Duration(-1ms)).error().message, "slow: -1ms; must be > 0");
  EXPECT_TRUE(check_positive("slow", Duration::max()).ok());
}

TEST(CheckReal, PrintsTheShortestExactTextAndRefusesNaN) {
  EXPECT_TRUE(check_real_range("ratio", 0.1, 0, 1000).ok());
  EXPECT_EQ(check_real_range("ratio", -0.1, 0, 1000, "retries per call").error().message,
            "ratio: -0.1; must be in [0, 1000] (retries per call)");
  EXPECT_EQ(check_real_range("ratio", 1e-7, 1, 2).error().message,
            "ratio: 1e-07; must be in [1, 2]");
  EXPECT_FALSE(check_real_range("ratio", std::nan(""), 0, 1000).ok());
  EXPECT_TRUE(check_real_positive("rate", 100, 100).ok());
  EXPECT_EQ(check_real_positive("rate", 0, 100, "percent").error().message,
            "rate: 0; must be in (0, 100] (percent)");
  EXPECT_FALSE(check_real_positive("rate", std::nan(""), 100).ok());
}

TEST(CheckSize, NamesTheUnitAndPrintsHugeValuesAsTheyAre) {
  EXPECT_TRUE(check_size("name", 1, 1, 200, "characters").ok());
  EXPECT_EQ(check_size("name", 0, 1, 200, "characters").error().message,
            "name: 0 characters; must be in [1, 200]");
  EXPECT_EQ(check_size("max_params", SIZE_MAX, 0, 65535).error().message,
            "max_params: " + std::to_string(SIZE_MAX) + "; must be in [0, 65535]");
}

TEST(ParkedHandler, ResumesOnceInline) {
  int runs = 0;
  int seen = 0;
  detail::ParkedHandler<int> parked([&](int v) {
    ++runs;
    seen = v;
  });
  ASSERT_TRUE(parked);
  parked.resume(42);
  EXPECT_FALSE(parked);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen, 42);
}

TEST(ParkedHandler, PostRunsOnlyWhenTheExecutorRuns) {
  boost::asio::io_context io;
  std::string seen;
  auto handler = [&](std::string v) { seen = std::move(v); };
  detail::ParkedHandler<std::string> parked(
      boost::asio::bind_executor(io.get_executor(), std::move(handler)));
  parked.post("done");
  EXPECT_FALSE(parked);
  EXPECT_EQ(seen, "");  // never inside the code that resumes it
  io.run();
  EXPECT_EQ(seen, "done");
}

TEST(ParkedHandler, ResetDropsWithoutRunning) {
  bool ran = false;
  detail::ParkedHandler<> parked([&] { ran = true; });
  parked.reset();
  EXPECT_FALSE(parked);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace faultline
