#include "faultline/harness/sweep.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "faultline/harness/swarm.h"
#include "faultline/sim/rng.h"

namespace faultline::harness {
namespace {

std::uint64_t global_index(const SweepOptions& options, std::uint64_t k) {
  return options.start + options.shard.global(k);
}

// What the workers share. Indices are this shard's (k), mapped to global ones on use.
struct Shared {
  Shared(const Scenario& s, const SweepOptions& o, std::uint64_t n)
      : scenario(s), options(o), count(n) {}
  const Scenario& scenario;
  const SweepOptions& options;
  const std::uint64_t count;  // seeds in this shard
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> stop_at{UINT64_MAX};
  std::mutex mutex;
  std::optional<std::uint64_t> violation_k;
  std::optional<RunResult> violation;
};

void record_violation(Shared& s, std::uint64_t k, RunResult result) {
  std::lock_guard lock(s.mutex);
  if (s.options.on_violation) s.options.on_violation(global_index(s.options, k), result);
  if (s.violation_k && *s.violation_k < k) return;
  s.violation_k = k;
  s.violation = std::move(result);
  if (s.options.stop_at_violation) s.stop_at = k;
}

void work(Shared& s) {
  for (;;) {
    const std::uint64_t k = s.next.fetch_add(1);
    if (k >= s.count || k > s.stop_at.load()) return;
    const std::uint64_t seed = seed_at(s.options.first, global_index(s.options, k));
    RunResult result =
        s.scenario.run(seed, plan_for(s.scenario, seed, s.options.swarm), RunOptions{});
    s.events += result.events;
    ++s.done;
    if (result.violation) record_violation(s, k, std::move(result));
  }
}

void run_workers(Shared& s) {
  const int jobs = std::max(1, s.options.jobs);
  const auto& progress = s.options.progress;
  if (jobs == 1 && !progress) return work(s);
  std::atomic<int> running{jobs};
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      work(s);
      --running;
    });
  }
  while (progress && running.load() > 0) {
    progress(s.done.load(), s.count);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : workers) t.join();
}

}  // namespace

std::uint64_t seed_at(std::uint64_t first, std::uint64_t index) {
  if (index == 0) return first;
  std::uint64_t state = first + index * 0x9E3779B97F4A7C15ULL;
  return sim::splitmix64(state);
}

sim::FaultPlan plan_for(const Scenario& scenario, std::uint64_t seed, bool swarm) {
  sim::FaultPlan plan = scenario.plan_for_seed(seed);
  return swarm ? swarm_plan(seed, std::move(plan)) : plan;
}

SweepResult sweep(const Scenario& scenario, const SweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();  // reporting only, outside any World
  const std::uint64_t total = options.count > options.start ? options.count - options.start : 0;
  Shared s(scenario, options, options.shard.size_of(total));
  run_workers(s);
  if (options.progress) options.progress(s.done.load(), s.count);

  SweepResult result;
  result.seeds_run = s.done.load();
  result.first_violation_index = global_index(options, s.violation_k.value_or(0));
  result.first_violation = std::move(s.violation);
  result.events = s.events.load();
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace faultline::harness
