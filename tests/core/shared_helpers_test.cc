// The helpers every pattern shares: duration text, named range checks, the timeout check and
// the parked completion handler.
#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
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
  EXPECT_EQ(zero.error().message.rfind("timeout: 0; must be positive", 0), 0u)
      << zero.error().message;
  const Result<void> negative = validate_timeout(-3ms, "call_timeout");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message.rfind("call_timeout: -3ms;", 0), 0u);
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
