// How a retry is composed with what refuses calls: the library's Pipeline against the two
// hand-rolled retries the catalogue forbids.
//
// Eight callers in one process call a dependency every 10-40 ms; the dependency goes through
// outages (drawn from the seed), and now and then a caller builds a malformed request, which the
// dependency rejects with kInvalidArgument (a 400). Each caller has its circuit breaker. One
// invariant for all three scenarios, checked as the calls run:
//   a call is never attempted again after the dependency rejected it as malformed, nor after
//   the circuit breaker refused it.
// pipeline/outage           holds: Retry inside the Pipeline, even with a classifier that calls
//                           every error retryable (a careless user), never retries those.
// retry/non-retryable       hazard: a loop that retries every error (the catalogue's
//                           `@retry(retryable_exceptions={Exception})`) re-sends a 400.
// retry/outside-breaker     hazard: the same loop (told only that a 400 is final) wrapped around
//                           the breaker's execute() keeps knocking on the open circuit (`@retry`
//                           over `@circuit_breaker`).
#include "scenarios/resilience_scenarios.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/pipeline.h"
#include "faultline/resilience/retry.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::CallContext;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerOptions;
using resilience::CircuitEventKind;
using resilience::Pipeline;
using resilience::PipelineOptions;

enum class Composition { kPipeline, kNaiveRetry, kNaiveRetryOutsideBreaker };

constexpr int kCallers = 8;
constexpr Duration kRunFor = 10s;
constexpr Duration kCallTimeout = 100ms;
constexpr int kAttempts = 4;
constexpr std::uint32_t kMalformedPpm = 5'000;  // 0.5% of requests

CircuitBreakerOptions breaker_options(int caller) {
  CircuitBreakerOptions o;
  o.name = fmt::format("dep@caller-{}", caller);
  o.window_size = 10;
  o.minimum_calls = 5;
  o.failure_rate_threshold = 50;
  o.wait_in_open = 500ms;
  o.permitted_calls_in_half_open = 2;
  return o;
}

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  // Per request: why it must not be attempted again, once that is known.
  std::map<std::uint64_t, std::string> final_;
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  void attempt(std::uint64_t request) {
    ++attempts;
    auto it = final_.find(request);
    if (it != final_.end()) violate(fmt::format("request {} attempted again after {}", request, it->second));
  }
  void mark(std::uint64_t request, std::string why) { final_.emplace(request, std::move(why)); }
};

Task<void> caller(Run& run, sim::Process& app, int index, Composition composition) {
  auto breaker = std::make_unique<CircuitBreaker>(
      CircuitBreaker::create(app.clock(), breaker_options(index)).value());
  std::uint64_t current = 0;  // the request being made, for the breaker's listener
  breaker->subscribe([&run, &current](const resilience::CircuitEvent& e) {
    if (e.kind == CircuitEventKind::kNotPermitted) run.mark(current, "the circuit refused it");
  });
  PipelineOptions po;
  po.circuit_breaker = breaker.get();
  po.retry.emplace();
  po.retry->max_attempts = kAttempts;
  po.retry->backoff = resilience::BackoffOptions{resilience::BackoffStrategy::kFullJitter, 10ms, 50ms};
  po.retry->retryable = [](const Error&) { return true; };  // careless, on purpose
  Pipeline pipeline = Pipeline::create(app.clock(), app.rng(), po).value();

  std::uint64_t request = static_cast<std::uint64_t>(index + 1) * 1'000'000;
  while (run.world.now() < sim::SimTime(kRunFor)) {
    current = ++request;
    ++run.calls;
    const bool bad = chance_ppm(app.rng(), kMalformedPpm);
    const std::uint64_t id = request;
    // One attempt: send, and remember a 400 as final.
    auto send = [&run, &app, id, bad](const CallContext&) -> Task<Result<std::uint64_t>> {
      run.attempt(id);
      Result<std::uint64_t> reply = co_await run.dependency.call(app, kCallTimeout, id, bad);
      if (!reply.ok() && reply.error().code == ErrorCode::kInvalidArgument) run.mark(id, "a 400");
      co_return reply;
    };
    const std::size_t op = run.history.invoke(app.id(), "call", fmt::format("#{}{}", id, bad ? " (malformed)" : ""));
    Result<std::uint64_t> result = Error{ErrorCode::kUnavailable, "not run"};
    switch (composition) {
      case Composition::kPipeline:
        result = co_await pipeline.execute<std::uint64_t>(send);
        break;
      case Composition::kNaiveRetry:
      case Composition::kNaiveRetryOutsideBreaker:
        // The anti-pattern: every error is retried, after a short fixed sleep.
        for (int attempt = 1; attempt <= kAttempts; ++attempt) {
          const CallContext context{TimePoint::max(), attempt};
          if (composition == Composition::kNaiveRetry) {
            result = co_await send(context);
          } else {
            auto guarded = [&send, context]() { return send(context); };
            result = co_await breaker->execute<std::uint64_t>(guarded);
          }
          if (result.ok() || attempt == kAttempts) break;
          // The wrapped variant does know a 400 is final; its mistake is the open circuit.
          if (composition == Composition::kNaiveRetryOutsideBreaker &&
              result.error().code == ErrorCode::kInvalidArgument) {
            break;
          }
          co_await app.clock().sleep_for(uniform_duration(app.rng(), Duration(10ms), Duration(50ms)));
        }
        break;
    }
    run.history.complete(op, result.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                         result.ok() ? "ok" : std::string(to_string(result.error().code)));
    co_await app.clock().sleep_for(uniform_duration(app.rng(), Duration(10ms), Duration(40ms)));
  }
}

class RetryCompositionScenario final : public Scenario {
 public:
  explicit RetryCompositionScenario(Composition composition) : composition_(composition) {}
  [[nodiscard]] std::string name() const override {
    switch (composition_) {
      case Composition::kPipeline: return "pipeline/outage";
      case Composition::kNaiveRetry: return "retry/non-retryable";
      case Composition::kNaiveRetryOutsideBreaker: return "retry/outside-breaker";
    }
    return "?";
  }
  [[nodiscard]] std::string description() const override {
    switch (composition_) {
      case Composition::kPipeline:
        return "the library Pipeline (retry + breaker) under outages and malformed requests never "
               "retries a refusal or a 400";
      case Composition::kNaiveRetry:
        return "a hand-rolled retry of every error re-sends requests rejected as malformed";
      case Composition::kNaiveRetryOutsideBreaker:
        return "a hand-rolled retry around the breaker retries calls the open circuit refused";
    }
    return "?";
  }
  [[nodiscard]] Expect expect() const override {
    return composition_ == Composition::kPipeline ? Expect::kHolds : Expect::kViolationFound;
  }
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t) const override { return {}; }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan&,
                              const RunOptions& options) const override {
    sim::Rng draw(seed ^ 0xC0305E);
    Run run(seed, draw_outages(draw, 2, 1s, 8s, 100ms, 1500ms));
    sim::Process& app = run.world.add_process("app");
    run.world.start();
    for (int i = 0; i < kCallers; ++i) app.spawn(caller(run, app, i, composition_));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    return run.result(seed, name(),
                      fmt::format("{} calls, {} attempts, {} reached the dependency", run.calls,
                                  run.attempts, run.dependency.arrivals().size()),
                      options);
  }

 private:
  Composition composition_;
};

}  // namespace

std::unique_ptr<Scenario> make_pipeline_outage_scenario() {
  return std::make_unique<RetryCompositionScenario>(Composition::kPipeline);
}
std::unique_ptr<Scenario> make_non_retryable_hazard() {
  return std::make_unique<RetryCompositionScenario>(Composition::kNaiveRetry);
}
std::unique_ptr<Scenario> make_retry_outside_breaker_hazard() {
  return std::make_unique<RetryCompositionScenario>(Composition::kNaiveRetryOutsideBreaker);
}

}  // namespace faultline::scenarios
