// local_limiter_bench: the in-process limiter's cost per decision (ratelimit::LocalLimiter),
// each algorithm beside the pure `decide` it runs, in the same run.
//
//   build/bench/local_limiter_bench
//
// Policies: 1000 units a second per key (GCRA 1000/s with a burst of 1000; a bucket of 1000
// refilled 1000/s; windows of 1 s with a limit of 1000). Time: a stepping clock whose every
// reading is 1 ms after the last, so a hot key decides at exactly its rate: every decision is
// allowed and writes state, and a hot key's sliding log holds its full 1000 entries (one
// dropped, one added per decision, the steady state of a key at its limit).
//   BM_PureDecide/<algorithm>/<keys>   ratelimit::decide on a vector of states (no map, no key),
//                                      at instants advancing 1 ms per call: the baseline;
//   BM_LocalLimiter/<algorithm>/<keys> LocalLimiter::decide on the same sequence of keys and
//                                      instants: the key checks, the clock (a virtual call),
//                                      the map lookup, the LRU move;
//   BM_LocalLimiterAsioClock           GCRA, one hot key, on the production clock (a
//                                      steady_clock read per decision; refusals once the
//                                      burst is spent, as the loop outruns 1000/s).
// Keys: 1 (a hot key) or 10,000 (twelve-digit names, cycled). Counter allowed_share.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "faultline/backends/asio_clock.h"
#include "faultline/ratelimit/local_limiter.h"

namespace {

using namespace std::chrono_literals;
using faultline::Task;
namespace rl = faultline::ratelimit;

constexpr auto kStep = 1ms;

const rl::Policy kPolicies[] = {
    rl::GcraPolicy{.count = 1000, .period = 1s, .max_burst = 999},
    rl::SlidingLogPolicy{.limit = 1000, .window = 1s},
    rl::FixedWindowPolicy{.limit = 1000, .window = 1s},
    rl::TokenBucketPolicy{.capacity = 1000, .count = 1000, .period = 1s},
    rl::SlidingCounterPolicy{.limit = 1000, .window = 1s},
};

// A Clock whose every reading is kStep after the previous one.
class SteppingClock final : public faultline::Clock {
 public:
  [[nodiscard]] faultline::TimePoint now() const override { return now_ += kStep; }

 protected:
  void start_sleep(faultline::Duration, faultline::SleepHandler wake) override {
    std::move(wake).post();
  }

 private:
  mutable faultline::TimePoint now_{std::chrono::hours(24 * 365)};
};

std::vector<std::string> make_keys(std::size_t count) {
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < count; ++i) {
    char text[24];
    std::snprintf(text, sizeof text, "%012zu", i);
    keys.emplace_back(text);
  }
  return keys;
}

void set_counters(benchmark::State& state, long allowed) {
  state.SetLabel(std::string(rl::algorithm_name(kPolicies[state.range(0)])));
  state.counters["allowed_share"] =
      static_cast<double>(allowed) / static_cast<double>(state.iterations());
}

void BM_PureDecide(benchmark::State& state) {
  const rl::Policy& policy = kPolicies[state.range(0)];
  std::vector<rl::State> states(static_cast<std::size_t>(state.range(1)),
                                rl::initial_state(policy));
  rl::Instant now{std::chrono::hours(24 * 365)};
  std::size_t next = 0;
  long allowed = 0;
  for (auto _ : state) {
    now += kStep;
    const rl::Decision d = rl::decide(states[next], policy, now, 1);
    benchmark::DoNotOptimize(d);
    allowed += d.allowed ? 1 : 0;
    if (++next == states.size()) next = 0;
  }
  set_counters(state, allowed);
}

void BM_LocalLimiter(benchmark::State& state) {
  SteppingClock clock;
  rl::LocalLimiter limiter =
      rl::LocalLimiter::create(clock, {.policy = kPolicies[state.range(0)]}).value();
  const std::vector<std::string> keys = make_keys(static_cast<std::size_t>(state.range(1)));
  std::size_t next = 0;
  long allowed = 0;
  for (auto _ : state) {
    const faultline::Result<rl::Decision> d = limiter.decide(keys[next], 1);
    benchmark::DoNotOptimize(d);
    allowed += d->allowed ? 1 : 0;
    if (++next == keys.size()) next = 0;
  }
  set_counters(state, allowed);
}

void BM_LocalLimiterAsioClock(benchmark::State& state) {
  faultline::backends::AsioClock clock;
  rl::LocalLimiter limiter = rl::LocalLimiter::create(clock, {.policy = kPolicies[0]}).value();
  long allowed = 0;
  for (auto _ : state) {
    const faultline::Result<rl::Decision> d = limiter.decide("000000000000", 1);
    benchmark::DoNotOptimize(d);
    allowed += d->allowed ? 1 : 0;
  }
  state.counters["allowed_share"] =
      static_cast<double>(allowed) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_PureDecide)->ArgsProduct({{0, 1, 2, 3, 4}, {1, 10'000}});
BENCHMARK(BM_LocalLimiter)->ArgsProduct({{0, 1, 2, 3, 4}, {1, 10'000}});
BENCHMARK(BM_LocalLimiterAsioClock);

}  // namespace

BENCHMARK_MAIN();
