#include "scenarios/resilience/backoff_contention.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faultline/invariant.h"
#include "faultline/resilience/retry.h"
#include "faultline/sim/history.h"
#include "faultline/sim/network.h"
#include "faultline/sim/rpc.h"
#include "faultline/sim/timeline.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "scenarios/framework/runner.h"
#include "scenarios/resilience/dependency.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using resilience::BackoffStrategy;
using resilience::CallContext;
using resilience::Retry;
using resilience::RetryOptions;

constexpr Duration kTimeUnit = 1ms;
constexpr Duration kLatencyMean = 10 * kTimeUnit;
constexpr Duration kLatencyStddev = 2 * kTimeUnit;
constexpr Duration kBase = 5 * kTimeUnit;
constexpr Duration kCap = 2000 * kTimeUnit;
// No faults, so no call should time out: the deadline only bounds a bug.
constexpr Duration kCallTimeout = 60s;
// Every round of contention lets at least one client through, so N attempts always suffice;
// the bound leaves room and keeps a broken strategy from looping for ever.
constexpr int kMaxAttempts = 1000;
constexpr Duration kRunLimit = 24h;
// The network's normal latencies are Irwin-Hall draws: never beyond six deviations.
constexpr Duration kLatencyMax = kLatencyMean + 6 * kLatencyStddev;
// The spread check (backoff_contention.h): from the retry whose ceiling is 5 x 2^6 = 320 units,
// where any jittered strategy's draws vary by several times the latencies' noise.
constexpr int kSpreadFrom = 6;
constexpr std::size_t kSpreadSamples = 20;
constexpr Duration kSpreadMin = 20 * kTimeUnit;

struct Trial {
  Trial(const sim::TopologyBuilder& spec, bool record, bool judged)
      : topology(spec), world(topology.world()), network(topology.network()), judged(judged) {
    if (record) history.emplace(world);
  }
  sim::Topology topology;
  sim::World& world;      // the topology's
  sim::Network& network;  // the topology's
  std::optional<sim::History> history;
  bool judged;
  std::int64_t version = 0;  // the record, on the server
  std::uint64_t writes = 0;
  std::map<sim::ProcessId, std::vector<Duration>> writes_at;  // judged trials only
  int succeeded = 0;
  int gave_up = 0;
  int finished = 0;
  sim::SimTime last_success{};
};

Task<void> run_client(Trial& trial, sim::Process& self, sim::Process& server,
                      BackoffStrategy strategy) {
  RetryOptions options;
  options.max_attempts = kMaxAttempts;
  options.backoff = resilience::BackoffOptions{strategy, kBase, kCap};
  Result<Retry> made = Retry::create(self.clock(), self.rng(), options);
  FAULTLINE_INVARIANT(made.ok(), "the study's backoff options are valid");
  Retry retry = std::move(made).value();

  // One attempt: read the version, then write conditionally on it.
  auto attempt = [&trial, &self, &server](const CallContext&) -> Task<Result<std::int64_t>> {
    Result<std::int64_t> read = co_await sim::call<std::int64_t>(
        trial.network, self, server, kCallTimeout,
        [&trial]() { return Result<std::int64_t>(trial.version); });
    if (!read.ok()) co_return std::move(read).error();
    const std::int64_t expected = *read;
    std::optional<std::size_t> op;
    if (trial.history) op = trial.history->invoke(self.id(), "write", fmt::format("if v={}", expected));
    const sim::ProcessId writer = self.id();
    Result<std::int64_t> written = co_await sim::call<std::int64_t>(
        trial.network, self, server, kCallTimeout, [&trial, expected, writer]() -> Result<std::int64_t> {
          ++trial.writes;
          if (trial.judged) trial.writes_at[writer].push_back(trial.world.now() - sim::SimTime{});
          if (trial.version != expected) {
            return Error{ErrorCode::kAborted, fmt::format("version is {}, not {}", trial.version, expected)};
          }
          return ++trial.version;
        });
    if (op) {
      trial.history->complete(*op, written.ok() ? sim::OpStatus::kOk : sim::OpStatus::kFail,
                              written.ok() ? fmt::format("v={}", *written) : written.error().message);
    }
    co_return written;
  };
  Result<std::int64_t> done = co_await retry.execute<std::int64_t>(attempt);
  if (done.ok()) {
    ++trial.succeeded;
    trial.last_success = trial.world.now();
  } else {
    ++trial.gave_up;
  }
  ++trial.finished;
}

}  // namespace

ContentionTrial run_contention_trial(BackoffStrategy strategy, int clients, std::uint64_t seed,
                                     const RunOptions& options, RunResult* rendered,
                                     bool judged, const sim::FaultPlan* plan) {
  FAULTLINE_INVARIANT(clients > 0, "at least one client");
  sim::LinkProfile link;
  link.latency_mean = kLatencyMean;
  link.latency_stddev = kLatencyStddev;
  sim::TopologyBuilder spec(seed);
  spec.link(link).service("db");
  for (int i = 0; i < clients; ++i) spec.client(fmt::format("c{}", i + 1));
  // A plan's faults are noted in a history, so one is kept whenever there is a plan.
  Trial trial(spec, rendered != nullptr || plan != nullptr, judged);
  sim::Process& server = trial.topology.process("db");
  const std::vector<sim::Process*>& processes = trial.topology.clients();
  if (plan != nullptr) sim::apply(trial.topology.faults(), *trial.history, *plan);
  trial.topology.start();
  for (sim::Process* p : processes) p->spawn(run_client(trial, *p, server, strategy));
  const sim::SimTime limit = sim::SimTime(kRunLimit);
  while (trial.finished < clients && trial.world.now() <= limit && trial.world.step()) {
  }

  ContentionTrial out;
  out.clients = clients;
  out.succeeded = trial.succeeded;
  out.gave_up = trial.gave_up;
  out.writes = trial.writes;
  out.final_version = trial.version;
  out.completion = trial.last_success - sim::SimTime{};
  out.trace_hash = trial.world.trace().hash();
  out.events = trial.world.events_run();
  for (sim::Process* p : processes) out.writes_at.push_back(std::move(trial.writes_at[p->id()]));
  if (rendered != nullptr) {
    if (options.timeline) rendered->timeline = sim::render_timeline(*trial.history);
    if (options.html) {
      rendered->html =
          sim::render_timeline_html(*trial.history,
                                    fmt::format("backoff/contention: {} clients, {}", clients,
                                                resilience::to_string(strategy)),
                                    std::span<const std::size_t>{});
    }
  }
  return out;
}

const std::vector<BackoffStrategy>& study_strategies() {
  static const std::vector<BackoffStrategy> strategies{
      BackoffStrategy::kNone, BackoffStrategy::kExponential, BackoffStrategy::kFullJitter,
      BackoffStrategy::kEqualJitter, BackoffStrategy::kDecorrelatedJitter};
  return strategies;
}

std::vector<ContentionPoint> run_contention_study(const ContentionStudyOptions& options,
                                                  const std::function<void(int, int)>& progress) {
  struct Job {
    std::size_t point;
    std::uint64_t seed;
  };
  std::vector<ContentionPoint> points;
  std::vector<Job> jobs;
  for (BackoffStrategy strategy : study_strategies()) {
    for (int n = options.clients_from; n <= options.clients_to; n += options.clients_step) {
      points.push_back(ContentionPoint{strategy, n, 0, 0});
      for (int t = 0; t < options.trials; ++t) {
        // The same seeds for every strategy: the strategies face the same latencies' draws.
        const auto index = static_cast<std::uint64_t>(n) * 1'000'003u + static_cast<std::uint64_t>(t);
        jobs.push_back(Job{points.size() - 1, seed_at(options.first_seed, index)});
      }
    }
  }
  std::vector<ContentionTrial> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<int> done{0};
  const auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      const ContentionPoint& point = points[jobs[i].point];
      results[i] = run_contention_trial(point.strategy, point.clients, jobs[i].seed);
      done.fetch_add(1);
    }
  };
  std::vector<std::thread> workers;
  for (int j = 1; j < std::max(1, options.jobs); ++j) workers.emplace_back(work);
  if (progress) {
    // The calling thread reports; the workers (at least one) do the trials.
    if (workers.empty()) workers.emplace_back(work);
    while (done.load() < static_cast<int>(jobs.size())) {
      progress(done.load(), static_cast<int>(jobs.size()));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    progress(done.load(), static_cast<int>(jobs.size()));
  } else {
    work();
  }
  for (std::thread& w : workers) w.join();

  // Sums in job order, so the means do not depend on which thread ran what.
  std::vector<int> counts(points.size(), 0);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    ContentionPoint& point = points[jobs[i].point];
    point.calls += static_cast<double>(results[i].writes);
    point.time += std::chrono::duration<double, std::milli>(results[i].completion).count();
    ++counts[jobs[i].point];
  }
  for (std::size_t p = 0; p < points.size(); ++p) {
    if (counts[p] == 0) continue;
    points[p].calls /= counts[p];
    points[p].time /= counts[p];
  }
  return points;
}

std::string contention_study_json(const std::vector<ContentionPoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const ContentionPoint& p : points) {
    out.push_back({{"strategy", std::string(resilience::to_string(p.strategy))},
                   {"clients", p.clients},
                   {"calls", p.calls},
                   {"time", p.time}});
  }
  return out.dump(1);
}

namespace {

// The range of the sleep before retry `n` (backoff.h's formulas), in true time on a clock whose
// drift is within ClockFaults' bound.
struct SleepRange {
  Duration lo;
  Duration hi;
};

SleepRange sleep_range(BackoffStrategy strategy, int n) {
  const Duration ceiling = resilience::exponential_ceiling(kBase, kCap, n);
  SleepRange r{};
  switch (strategy) {
    case BackoffStrategy::kNone: r = {Duration::zero(), Duration::zero()}; break;
    case BackoffStrategy::kConstant: r = {kBase, kBase}; break;
    case BackoffStrategy::kExponential: r = {ceiling, ceiling}; break;
    case BackoffStrategy::kFullJitter: r = {Duration::zero(), ceiling}; break;
    case BackoffStrategy::kEqualJitter: r = {ceiling / 2, ceiling}; break;
    case BackoffStrategy::kDecorrelatedJitter: r = {std::min(kBase, kCap), kCap}; break;
    case BackoffStrategy::kUniform: r = {kBase, kCap}; break;
  }
  return {std::chrono::duration_cast<Duration>(r.lo / ClockFaults::fast()),
          std::chrono::duration_cast<Duration>(r.hi / ClockFaults::slow()) + 1ns};
}

bool jittered(BackoffStrategy strategy) {
  return strategy == BackoffStrategy::kFullJitter || strategy == BackoffStrategy::kEqualJitter ||
         strategy == BackoffStrategy::kDecorrelatedJitter || strategy == BackoffStrategy::kUniform;
}

BackoffStrategy sabotaged(BackoffStrategy strategy, Sabotage sabotage) {
  if (sabotage == Sabotage::kNoBackoff) return BackoffStrategy::kNone;
  if (sabotage == Sabotage::kNoJitter && jittered(strategy)) return BackoffStrategy::kExponential;
  return strategy;
}

double units(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The study's verdicts name no operation: the trial is judged after its history is rendered.
Violation study_violation(std::string kind, std::string message) {
  return Violation{
      .message = std::move(message), .operation = -1, .kind = std::move(kind), .witness = {}};
}

// Every gap within the strategy's range; returns the gaps by retry number.
std::optional<Violation> check_gaps(BackoffStrategy strategy, const ContentionTrial& trial,
                                    std::map<int, std::vector<Duration>>* by_retry) {
  for (std::size_t c = 0; c < trial.writes_at.size(); ++c) {
    const std::vector<Duration>& at = trial.writes_at[c];
    for (std::size_t k = 1; k < at.size(); ++k) {
      const int retry = static_cast<int>(k);
      const Duration gap = at[k] - at[k - 1];
      const SleepRange r = sleep_range(strategy, retry);
      (*by_retry)[retry].push_back(gap);
      if (gap < r.lo || gap > r.hi + 4 * kLatencyMax) {
        return study_violation(
            "backoff-gap", fmt::format("client c{}: {:.1f} units between its writes {} and {}; {} "
                                       "sleeps {:.1f}-{:.1f} before "
                                       "retry {}, plus four latencies of at most {:.0f}",
                                       c + 1, units(gap), k, k + 1, resilience::to_string(strategy),
                                       units(r.lo), units(r.hi), retry, units(kLatencyMax)));
      }
    }
  }
  return std::nullopt;
}

std::optional<Violation> check_spread(BackoffStrategy strategy,
                                      const std::map<int, std::vector<Duration>>& by_retry) {
  if (!jittered(strategy)) return std::nullopt;
  for (const auto& [retry, gaps] : by_retry) {
    if (retry < kSpreadFrom || gaps.size() < kSpreadSamples) continue;
    double mean = 0;
    for (Duration g : gaps) mean += units(g);
    mean /= static_cast<double>(gaps.size());
    double square = 0;
    for (Duration g : gaps) square += (units(g) - mean) * (units(g) - mean);
    const double deviation = std::sqrt(square / static_cast<double>(gaps.size() - 1));
    if (deviation < units(kSpreadMin)) {
      return study_violation("backoff-spread",
                             fmt::format("{} gaps before retry {} deviate by {:.1f} units; {} must "
                                         "spread them by at least {:.0f}",
                                         gaps.size(), retry, deviation,
                                         resilience::to_string(strategy), units(kSpreadMin)));
    }
  }
  return std::nullopt;
}

std::optional<Violation> judge(BackoffStrategy strategy, int clients, const ContentionTrial& trial) {
  if (trial.succeeded != clients) {
    return study_violation("contention-gave-up",
                           fmt::format("{} of {} clients succeeded ({} gave up)", trial.succeeded,
                                       clients, trial.gave_up));
  }
  if (trial.final_version != clients) {
    return study_violation("contention-version",
                           fmt::format("the version ended at {} after {} successful writes",
                                       trial.final_version, clients));
  }
  std::map<int, std::vector<Duration>> by_retry;
  if (std::optional<Violation> v = check_gaps(strategy, trial, &by_retry)) return v;
  return check_spread(strategy, by_retry);
}

// The point of the study a seed picks: how many clients, and which strategy.
struct StudyPoint {
  int clients;
  BackoffStrategy strategy;
};
StudyPoint point(std::uint64_t seed) {
  sim::Rng pick(seed ^ 0xB0FFu);
  const int clients = 10 * static_cast<int>(1 + uniform_below(pick, 19));
  return {clients, study_strategies()[uniform_below(pick, study_strategies().size())]};
}

class BackoffContentionScenario final : public Scenario {
 public:
  explicit BackoffContentionScenario(Sabotage sabotage) : sabotage_(sabotage) {}
  [[nodiscard]] std::string name() const override { return "backoff/contention"; }
  [[nodiscard]] std::string description() const override {
    return "N clients race optimistic writes to one record with a Retry of each backoff strategy "
           "(AWS's 2015 jitter study); every client succeeds exactly once, its writes spaced as "
           "its strategy says, jitter spreading them";
  }
  [[nodiscard]] Expect expect() const override { return Expect::kHolds; }
  // Each client's clock drifts, from the start, by up to ClockFaults::kMaxDriftPpm either way.
  [[nodiscard]] sim::FaultPlan plan_for_seed(std::uint64_t seed) const override {
    sim::FaultPlan plan;
    sim::Rng drifts(seed ^ 0xC10C);
    for (int i = 0; i < point(seed).clients; ++i) {
      sim::Fault f;
      f.kind = sim::FaultKind::kClockDrift;
      f.target = fmt::format("c{}", i + 1);
      f.drift_ppm = static_cast<std::int32_t>(
          uniform_between(drifts, -ClockFaults::kMaxDriftPpm, ClockFaults::kMaxDriftPpm));
      plan.faults.push_back(std::move(f));
    }
    return plan;
  }
  [[nodiscard]] RunResult run(std::uint64_t seed, const sim::FaultPlan& plan,
                              const RunOptions& options) const override {
    const auto [clients, strategy] = point(seed);
    RunResult result;
    result.seed = seed;
    const ContentionTrial trial = run_contention_trial(sabotaged(strategy, sabotage_), clients,
                                                       seed, options, &result, /*judged=*/true,
                                                       &plan);
    result.trace_hash = trial.trace_hash;
    result.events = trial.events;
    result.finished_at = sim::SimTime(trial.completion);
    result.summary = fmt::format("{} clients, {}: {} writes, done at {:.0f} units", clients,
                                 resilience::to_string(strategy), trial.writes,
                                 units(trial.completion));
    result.violation = judge(strategy, clients, trial);
    return result;
  }

 private:
  Sabotage sabotage_;
};

}  // namespace

std::unique_ptr<Scenario> make_backoff_contention_scenario(Sabotage sabotage) {
  return std::make_unique<BackoffContentionScenario>(sabotage);
}

}  // namespace faultline::scenarios
