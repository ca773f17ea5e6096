// How a retry is composed with what refuses calls: the library's Pipeline against the two
// hand-rolled retries the catalogue forbids.
//
// Eight callers in one process call a dependency every 10-40 ms; the dependency goes through
// outages (drawn from the seed), and now and then a caller builds a malformed request, which the
// dependency rejects with kInvalidArgument (a 400). Each caller has its circuit breaker. The
// process's clock drifts and jumps forward. One invariant for all three scenarios, judged from
// the dependency's record of arrivals (per request and caller, in true time) and the result
// codes the callers got, never from the breaker's state or events:
//   - a request never reaches the dependency again after its caller was told it was malformed
//     (a 400) or refused (kCircuitOpen);
//   - with a breaker in the path, while a caller's breaker is refusing, none of that caller's
//     attempts reach the dependency: after a refusal, nothing arrives from that caller until the
//     open wait (on a clock that may run fast) has passed since its last attempt before the
//     refusal, which the breaker must have opened after (windows with a clock step skipped);
//   - with a breaker in the path, per outage, each caller's attempts stay within
//     outage_attempt_bound() and within the permitted probes per open wait
//     (probes_beyond_permitted(), breaker_bounds.h; skipped for an outage with a clock step),
//     and an outage longer than kMustOpenAfter makes every caller see a refusal.
// pipeline/outage           holds: Retry inside the Pipeline, even with a classifier that calls
//                           every error retryable (a careless user), never retries those.
// retry/non-retryable       hazard: a loop that retries every error (the catalogue's
//                           `@retry(retryable_exceptions={Exception})`) re-sends a 400. It has
//                           no breaker, so only the first rule applies to it.
// retry/outside-breaker     hazard: the same loop (told only that a 400 is final) wrapped around
//                           the breaker's execute() keeps knocking on the open circuit (`@retry`
//                           over `@circuit_breaker`).
#include "scenarios/resilience/resilience_scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "faultline/duration_text.h"
#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/pipeline.h"
#include "faultline/resilience/retry.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "scenarios/resilience/breaker_bounds.h"
#include "scenarios/resilience/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::CallContext;
using resilience::CircuitBreaker;
using resilience::CircuitBreakerOptions;
using resilience::OutcomeKind;
using resilience::Pipeline;
using resilience::PipelineOptions;

enum class Composition { kPipeline, kNaiveRetry, kNaiveRetryOutsideBreaker };

constexpr int kCallers = 8;
constexpr Duration kRunFor = 10s;
constexpr Duration kCallTimeout = 100ms;
constexpr int kAttempts = 4;
constexpr std::uint32_t kMalformedPpm = 5'000;  // 0.5% of requests
constexpr Duration kLatencyMax = 5ms;           // DependencyRun's default
constexpr Duration kBackoffMax = 50ms;
constexpr Duration kPauseMax = 40ms;
constexpr Duration kOpenWait = 500ms;
constexpr std::uint64_t kRequestsPerCaller = 1'000'000;
// The shortest open wait in true time: wait_in_open on a clock running fast.
constexpr Duration kMinOpenWait =
    std::chrono::duration_cast<Duration>(kOpenWait / ClockFaults::fast());

// The longest one call takes in an outage (every attempt failing, each followed by the longest
// backoff on a clock that may run slow), then the pause before the next call.
constexpr Duration kCallRound =
    kAttempts * (2 * kLatencyMax +
                 std::chrono::duration_cast<Duration>(kBackoffMax / ClockFaults::slow())) +
    std::chrono::duration_cast<Duration>(kPauseMax / ClockFaults::slow());
// A call under way at the outage's start, then failures_to_open (5) failed attempts: the second
// call's second attempt is refused. One call of margin.
constexpr Duration kMustOpenAfter = 3 * kCallRound;

CircuitBreakerOptions claimed_options(int caller) {
  CircuitBreakerOptions o;
  o.name = fmt::format("dep@caller-{}", caller);
  o.window_size = 10;
  o.minimum_calls = 5;
  o.failure_rate_threshold = 50;
  o.wait_in_open = kOpenWait;
  o.permitted_calls_in_half_open = 2;
  return o;
}

CircuitBreakerOptions running_options(int caller, Sabotage sabotage) {
  CircuitBreakerOptions o = claimed_options(caller);
  if (sabotage == Sabotage::kBreakerNeverOpens) {
    o.classify_error = [](const Error&) { return OutcomeKind::kSuccess; };
  }
  if (sabotage == Sabotage::kShortOpenWait) o.wait_in_open = 1ms;
  return o;
}

struct Learned {
  sim::SimTime at{};
  std::string why;
};

struct Run : DependencyRun {
  using DependencyRun::DependencyRun;
  // Per request: when its caller learned it must not be attempted again, and why.
  std::map<std::uint64_t, Learned> final_;
  // Per caller: when it was told kCircuitOpen.
  std::vector<std::vector<sim::SimTime>> refusals = std::vector<std::vector<sim::SimTime>>(kCallers);
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::map<std::uint64_t, std::size_t> call_op;  // request -> its "call" operation
  void learn(std::uint64_t request, std::string why) {
    final_.emplace(request, Learned{world.now(), std::move(why)});
  }
};

int caller_of(std::uint64_t request) {
  return static_cast<int>(request / kRequestsPerCaller) - 1;
}

// A witness: caller `c`'s calls in progress at some time in [from, to], the first six.
std::vector<std::size_t> calls_of(const Run& run, int c, sim::SimTime from, sim::SimTime to) {
  std::vector<std::size_t> ops;
  for (const auto& [request, id] : run.call_op) {
    const sim::Operation& op = run.history.operations()[id];
    if (ops.size() < 6 && caller_of(request) == c && overlaps(op, from, to)) ops.push_back(id);
  }
  return ops;
}

Task<void> caller(Run& run, sim::Process& app, int index, Composition composition,
                  Sabotage sabotage) {
  auto breaker = std::make_unique<CircuitBreaker>(
      CircuitBreaker::create(app.clock(), running_options(index, sabotage)).value());
  PipelineOptions po;
  if (sabotage != Sabotage::kNoBreaker) po.circuit_breaker = breaker.get();
  po.retry.emplace();
  po.retry->max_attempts = kAttempts;
  po.retry->backoff = resilience::BackoffOptions{resilience::BackoffStrategy::kFullJitter, 10ms, kBackoffMax};
  po.retry->retryable = [](const Error&) { return true; };  // careless, on purpose
  Pipeline pipeline = Pipeline::create(app.clock(), app.rng(), po).value();
  const auto refused = [&run, index](const Result<std::uint64_t>& r, std::uint64_t id) {
    if (r.ok() || r.error().code != ErrorCode::kCircuitOpen) return;
    run.refusals[static_cast<std::size_t>(index)].push_back(run.world.now());
    run.learn(id, "the circuit refused it");
  };

  std::uint64_t request = static_cast<std::uint64_t>(index + 1) * kRequestsPerCaller;
  while (run.world.now() < sim::SimTime(kRunFor)) {
    ++request;
    ++run.calls;
    const bool bad = chance_ppm(app.rng(), kMalformedPpm);
    const std::uint64_t id = request;
    // One attempt: send, and remember a 400 as final.
    auto send = [&run, &app, id, bad](const CallContext&) -> Task<Result<std::uint64_t>> {
      ++run.attempts;
      Result<std::uint64_t> reply = co_await run.dependency.call(app, kCallTimeout, id, bad);
      if (!reply.ok() && reply.error().code == ErrorCode::kInvalidArgument) run.learn(id, "a 400");
      co_return reply;
    };
    const std::size_t op = run.history.invoke(app.id(), "call", fmt::format("#{}{}", id, bad ? " (malformed)" : ""));
    run.call_op.emplace(id, op);
    Result<std::uint64_t> result = Error{ErrorCode::kUnavailable, "not run"};
    switch (composition) {
      case Composition::kPipeline:
        result = co_await pipeline.execute<std::uint64_t>(send);
        refused(result, id);
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
            refused(result, id);
          }
          if (result.ok() || attempt == kAttempts) break;
          // The wrapped variant does know a 400 is final; its mistake is the open circuit.
          if (composition == Composition::kNaiveRetryOutsideBreaker &&
              result.error().code == ErrorCode::kInvalidArgument) {
            break;
          }
          co_await app.clock().sleep_for(uniform_duration(app.rng(), Duration(10ms), kBackoffMax));
        }
        break;
    }
    run.history.complete(op, result.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                         result.ok() ? "ok" : std::string(to_string(result.error().code)));
    co_await app.clock().sleep_for(uniform_duration(app.rng(), Duration(10ms), kPauseMax));
  }
}

// No request arrives after its caller learned it was final.
void check_final(Run& run) {
  for (const Dependency::Arrival& a : run.dependency.arrivals()) {
    const auto it = run.final_.find(a.request);
    if (it == run.final_.end() || a.at <= it->second.at) continue;
    const auto op = run.call_op.find(a.request);
    run.violate(
        "retried-after-final",
        fmt::format("request {} reached the dependency again at {:.3f}s after {} at {:.3f}s",
                    a.request, in_seconds(a.at), it->second.why, in_seconds(it->second.at)),
        op == run.call_op.end() ? std::vector<std::size_t>{}
                                : std::vector<std::size_t>{op->second});
    return;
  }
}

// While a caller's breaker refuses, none of its attempts arrive (see the file comment).
void check_refusing(Run& run, sim::ProcessId app) {
  const Duration wait = kMinOpenWait;
  for (int c = 0; c < kCallers; ++c) {
    std::vector<sim::SimTime> mine;
    for (const Dependency::Arrival& a : run.dependency.arrivals()) {
      if (caller_of(a.request) == c) mine.push_back(a.at);
    }
    for (sim::SimTime refused : run.refusals[static_cast<std::size_t>(c)]) {
      const auto next = std::upper_bound(mine.begin(), mine.end(), refused);
      if (next == mine.begin() || next == mine.end()) continue;
      const sim::SimTime last = *std::prev(next);
      const sim::SimTime open_until = last + wait;
      if (*next >= open_until || run.stepped(app, last, open_until) > Duration::zero()) continue;
      run.violate("refused-yet-arrived",
                  fmt::format("caller {} was refused at {:.3f}s, yet its attempt reached the "
                              "dependency at {:.3f}s, before the open wait after its last attempt "
                              "({:.3f}s) had passed",
                              c, in_seconds(refused), in_seconds(*next), in_seconds(last)),
                  calls_of(run, c, last, *next));
      return;
    }
  }
}

// Per outage and caller: attempts within the breaker's bound, and a refusal in a long outage.
void check_outages(Run& run, sim::ProcessId app) {
  const std::vector<Outage>& outages = run.dependency.outages();
  for (std::size_t i = 0; i < outages.size(); ++i) {
    const Outage& o = outages[i];
    const Duration on_clock =
        std::chrono::duration_cast<Duration>((o.end - o.start) * ClockFaults::fast()) +
        run.stepped(app, o.start, o.end);
    std::vector<std::vector<sim::SimTime>> arrived(kCallers);
    for (const Dependency::Arrival& a : run.dependency.arrivals()) {
      if (a.at >= o.start && a.at < o.end) {
        arrived[static_cast<std::size_t>(caller_of(a.request))].push_back(a.at);
      }
    }
    const bool stepped = run.stepped(app, o.start, o.end) > Duration::zero();
    for (int c = 0; c < kCallers; ++c) {
      const std::uint64_t bound = outage_attempt_bound(claimed_options(c), 1, on_clock);
      const std::vector<sim::SimTime>& refusals = run.refusals[static_cast<std::size_t>(c)];
      const bool refused = std::any_of(refusals.begin(), refusals.end(), [&](sim::SimTime t) {
        return t >= o.start && t <= o.end;
      });
      if (o.end - o.start >= kMustOpenAfter && !refused) {
        run.violate("breaker-never-opened",
                    fmt::format("outage {} ({:.3f}s-{:.3f}s): caller {} was never refused; its "
                                "breaker must open in an outage that long",
                                i + 1, in_seconds(o.start), in_seconds(o.end), c),
                    calls_of(run, c, o.start, o.end));
      }
      const std::vector<sim::SimTime>& mine = arrived[static_cast<std::size_t>(c)];
      if (mine.size() > bound) {
        run.violate(
            "breaker-attempts",
            fmt::format("outage {} ({:.3f}s-{:.3f}s): {} attempts from caller {} reached "
                        "the dependency; its breaker's options allow at most {}",
                        i + 1, in_seconds(o.start), in_seconds(o.end), mine.size(), c, bound),
            calls_of(run, c, o.start, o.end));
      }
      // A step ends an open wait early, merging episodes: such outages have the total bound only.
      const auto excess =
          stepped ? std::nullopt
                  : probes_beyond_permitted(claimed_options(c), 1, mine, kMinOpenWait);
      if (excess) {
        run.violate("breaker-probes",
                    fmt::format("outage {} ({:.3f}s-{:.3f}s): {} attempts from caller {} in "
                                "open-wait episode {}; its breaker's options allow {}",
                                i + 1, in_seconds(o.start), in_seconds(o.end), excess->attempts, c,
                                excess->episode, excess->allowed),
                    calls_of(run, c, o.start, o.end));
      }
    }
  }
}

class RetryCompositionScenario final : public Scenario {
 public:
  RetryCompositionScenario(Composition composition, Sabotage sabotage)
      : composition_(composition), sabotage_(sabotage) {}
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
               "retries a refusal or a 400, sends nothing while refused, and its breaker opens";
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
  // Up to two outages of the dependency, and the app's clock drift and forward steps.
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
    sim::FaultPlan plan;
    sim::Rng draw(seed ^ 0xC0305E);
    add_outages(plan, draw_outages(draw, 2, 1s, 8s, 100ms, 1500ms));
    sim::Rng clocks(seed ^ 0xC10C);
    add_clock_faults(plan, "app", ClockFaults::draw(clocks, 2, 1s, 500ms, kRunFor));
    sort_by_time(plan);
    return plan;
  }

  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override {
    Run run(dependency_topology(seed, kLatencyMax).client("app"));
    sim::Process& app = run.topology.process("app");
    run.apply(plan);
    run.world.start();
    for (int i = 0; i < kCallers; ++i) app.spawn(caller(run, app, i, composition_, sabotage_));
    run.world.run_until(sim::SimTime(kRunFor + 2s));

    check_final(run);
    if (composition_ != Composition::kNaiveRetry) {
      check_refusing(run, app.id());
      check_outages(run, app.id());
    }
    return run.result(seed, name(),
                      fmt::format("{} calls, {} attempts, {} reached the dependency", run.calls,
                                  run.attempts, run.dependency.arrivals().size()),
                      options);
  }

 private:
  Composition composition_;
  Sabotage sabotage_;
};

}  // namespace

std::unique_ptr<Scenario> make_pipeline_outage_scenario(Sabotage sabotage) {
  return std::make_unique<RetryCompositionScenario>(Composition::kPipeline, sabotage);
}
std::unique_ptr<Scenario> make_non_retryable_hazard() {
  return std::make_unique<RetryCompositionScenario>(Composition::kNaiveRetry, Sabotage::kNone);
}
std::unique_ptr<Scenario> make_retry_outside_breaker_hazard() {
  return std::make_unique<RetryCompositionScenario>(Composition::kNaiveRetryOutsideBreaker,
                                                    Sabotage::kNone);
}

}  // namespace faultline::scenarios
