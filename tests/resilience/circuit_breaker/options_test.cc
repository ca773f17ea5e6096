// Configuration errors name the field that is wrong.
#include "tests/resilience/circuit_breaker/breaker_support.h"

namespace faultline::resilience {
namespace {

// ---------------------------------------------------------------------------------------------
// Configuration errors

TEST(CircuitBreaker, RejectsBadConfigurationNamingTheField) {
  using Mutate = void (*)(CircuitBreakerOptions&);
  struct Case {
    const char* field;
    Mutate mutate;
  };
  const Case cases[] = {
      {"name", [](CircuitBreakerOptions& o) { o.name = ""; }},
      {"name", [](CircuitBreakerOptions& o) { o.name = std::string(300, 'x'); }},
      {"window_size", [](CircuitBreakerOptions& o) { o.window_size = 0; }},
      {"window_size",
       [](CircuitBreakerOptions& o) { o.window_size = CountWindow::kMaxSize + 1; }},
      {"minimum_calls", [](CircuitBreakerOptions& o) { o.minimum_calls = 0; }},
      {"minimum_calls", [](CircuitBreakerOptions& o) { o.minimum_calls = 101; }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = Duration::zero();
       }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = -seconds(1);
       }},
      {"window_duration",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_duration = hours(25);
       }},
      {"window_buckets",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_buckets = 0;
       }},
      {"window_buckets",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.window_buckets = 1001;
       }},
      {"minimum_calls",
       [](CircuitBreakerOptions& o) {
         o.window_kind = WindowKind::kTimeBased;
         o.minimum_calls = 0;
       }},
      {"failure_rate_threshold", [](CircuitBreakerOptions& o) { o.failure_rate_threshold = 0; }},
      {"failure_rate_threshold",
       [](CircuitBreakerOptions& o) { o.failure_rate_threshold = 100.5; }},
      {"failure_rate_threshold",
       [](CircuitBreakerOptions& o) { o.failure_rate_threshold = std::nan(""); }},
      {"slow_call_rate_threshold",
       [](CircuitBreakerOptions& o) { o.slow_call_rate_threshold = -1; }},
      {"slow_call_duration",
       [](CircuitBreakerOptions& o) { o.slow_call_duration = Duration::zero(); }},
      {"slow_call_duration",
       [](CircuitBreakerOptions& o) { o.slow_call_duration = -milliseconds(1); }},
      {"permitted_calls_in_half_open",
       [](CircuitBreakerOptions& o) { o.permitted_calls_in_half_open = 0; }},
      {"permitted_calls_in_half_open",
       [](CircuitBreakerOptions& o) { o.permitted_calls_in_half_open = 1001; }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = Duration::zero(); }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = -seconds(1); }},
      {"wait_in_open", [](CircuitBreakerOptions& o) { o.wait_in_open = hours(25); }},
      {"wait_multiplier", [](CircuitBreakerOptions& o) { o.wait_multiplier = 0.5; }},
      {"wait_multiplier", [](CircuitBreakerOptions& o) { o.wait_multiplier = 101; }},
      {"max_wait_in_open",
       [](CircuitBreakerOptions& o) { o.max_wait_in_open = o.wait_in_open - nanoseconds(1); }},
      {"max_wait_in_open", [](CircuitBreakerOptions& o) { o.max_wait_in_open = hours(25); }},
      {"max_wait_in_half_open",
       [](CircuitBreakerOptions& o) { o.max_wait_in_half_open = Duration::zero(); }},
  };
  ManualClock clock;
  ASSERT_TRUE(CircuitBreaker::create(clock, CircuitBreakerOptions{}).ok());
  for (const Case& c : cases) {
    CircuitBreakerOptions o;
    c.mutate(o);
    Result<CircuitBreaker> b = CircuitBreaker::create(clock, std::move(o));
    ASSERT_FALSE(b.ok()) << c.field;
    EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(b.error().message.rfind(std::string(c.field) + ":", 0), 0u)
        << "expected the message to start with '" << c.field << ":', got: " << b.error().message;
    EXPECT_NE(b.error().message.find("must"), std::string::npos) << b.error().message;
  }
}

// ---------------------------------------------------------------------------------------------
// execute(), on a simulated process's clock

TEST(CircuitBreakerExecute, RunsReportsAndRefusesWithoutCalling) {
  sim::World world(7);
  sim::Process& client = world.add_process("client");
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 2;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  o.slow_call_rate_threshold = 100;
  o.slow_call_duration = seconds(1);
  std::optional<CircuitBreaker> holder(make(client.clock(), o));
  CircuitBreaker* b = &*holder;
  int calls = 0;
  sim::ProcessClock& clock = client.clock();
  // An lvalue op: referenced by execute().
  auto slow_ok = [&]() -> Task<Result<int>> {
    ++calls;
    co_await clock.sleep_for(seconds(2));
    co_return 7;
  };
  auto run = [&](Task<Result<int>> t) { return testing::run_on(world, client, std::move(t)); };
  Result<int> r1 = run(b->execute<int>(slow_ok));
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(*r1, 7);
  EXPECT_EQ(b->metrics().slow_calls, 1u);

  // An rvalue op with a non-trivial capture, moved into the coroutine; the breaker handle is
  // moved while the call is suspended.
  std::string reason = "backend says 503";
  Task<Result<int>> pending = b->execute<int>(
      [reason, &clock, &calls]() -> Task<Result<int>> {
        ++calls;
        co_await clock.sleep_for(milliseconds(1500));
        co_return Error{ErrorCode::kUnavailable, reason};
      });
  std::optional<Result<int>> r2;
  client.spawn([](Task<Result<int>> t, std::optional<Result<int>>* out) -> Task<void> {
    Result<int> r = co_await std::move(t);
    out->emplace(std::move(r));
  }(std::move(pending), &r2));
  while (calls < 2 && world.step()) {
  }
  ASSERT_EQ(calls, 2) << "the call is now suspended in its sleep";
  CircuitBreaker moved = std::move(*holder);
  holder.reset();
  b = &moved;
  while (!r2 && world.step()) {
  }
  ASSERT_TRUE(r2.has_value());
  ASSERT_FALSE(r2->ok());
  EXPECT_EQ(r2->error().message, "backend says 503");
  EXPECT_EQ(b->state(), CircuitState::kOpen);  // two slow calls

  Result<int> r3 = run(b->execute<int>(slow_ok));
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, ErrorCode::kCircuitOpen);
  EXPECT_EQ(calls, 2) << "a refused execute() never calls op";
}

TEST(CircuitBreakerExecute, ResultPredicateCountsValuesAsFailures) {
  sim::World world(8);
  sim::Process& client = world.add_process("client");
  CircuitBreakerOptions o = small_count_options();
  o.window_size = 2;
  o.minimum_calls = 2;
  o.failure_rate_threshold = 100;
  CircuitBreaker b = make(client.clock(), o);
  auto http = []() -> Task<Result<int>> { co_return 503; };
  const auto is_503 = [](int status) { return status == 503; };
  for (int i = 0; i < 2; ++i) {
    Result<int> r = testing::run_on(world, client, b.execute<int>(http, is_503));
    ASSERT_TRUE(r.ok()) << "the value still reaches the caller";
    EXPECT_EQ(*r, 503);
  }
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

}  // namespace
}  // namespace faultline::resilience
