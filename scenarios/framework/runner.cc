#include "scenarios/framework/runner.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "faultline/sim/rng.h"

namespace faultline::scenarios {

std::uint64_t seed_at(std::uint64_t first, std::uint64_t index) {
  if (index == 0) return first;
  std::uint64_t state = first + index * 0x9E3779B97F4A7C15ULL;
  return sim::splitmix64(state);
}

SweepResult sweep(const Scenario& scenario, std::uint64_t first, std::uint64_t count, int jobs,
                  bool stop_at_violation,
                  const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  const auto started = std::chrono::steady_clock::now();  // reporting only, outside any World
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> stop_index{UINT64_MAX};
  std::mutex mutex;
  std::optional<std::uint64_t> violation_index;
  std::optional<RunResult> violation;

  auto work = [&] {
    for (;;) {
      const std::uint64_t i = next.fetch_add(1);
      if (i >= count || i > stop_index.load()) return;
      RunResult result = scenario.run(seed_at(first, i));
      events += result.events;
      ++done;
      if (result.violation) {
        std::lock_guard lock(mutex);
        if (!violation_index || i < *violation_index) {
          violation_index = i;
          violation = std::move(result);
          if (stop_at_violation) stop_index = i;
        }
      }
    }
  };
  jobs = std::max(1, jobs);
  if (jobs == 1 && !progress) {
    work();
  } else {
    std::atomic<int> running{jobs};
    std::vector<std::thread> workers;
    for (int j = 0; j < jobs; ++j) {
      workers.emplace_back([&] {
        work();
        --running;
      });
    }
    while (progress && running.load() > 0) {
      progress(done.load(), count);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (auto& t : workers) t.join();
  }
  if (progress) progress(done.load(), count);

  SweepResult sweep;
  sweep.seeds_run = done.load();
  sweep.first_violation_index = violation_index.value_or(0);
  sweep.first_violation = std::move(violation);
  sweep.events = events.load();
  sweep.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return sweep;
}

Shrunk shrink(const Scenario& scenario, std::uint64_t seed, sim::FaultPlan plan, int max_runs) {
  Shrunk best{plan, scenario.run(seed, plan, RunOptions{}), 1};
  auto still_fails = [&](const sim::FaultPlan& candidate) {
    if (best.runs >= max_runs) return false;
    ++best.runs;
    RunResult result = scenario.run(seed, candidate, RunOptions{});
    if (!result.violation) return false;
    best.plan = candidate;
    best.result = std::move(result);
    return true;
  };
  if (!best.result.violation) return best;

  bool changed = true;
  while (changed && best.runs < max_runs) {
    changed = false;
    // 1. Drop whole faults, last first (later faults are more often incidental).
    for (std::size_t i = best.plan.faults.size(); i-- > 0;) {
      sim::FaultPlan candidate = best.plan;
      candidate.faults.erase(candidate.faults.begin() + static_cast<std::ptrdiff_t>(i));
      changed |= still_fails(candidate);
    }
    // 2. Quieten the network, one kind of message fault at a time.
    for (std::uint32_t sim::NetworkFaults::*field :
         {&sim::NetworkFaults::request_loss_ppm, &sim::NetworkFaults::reply_loss_ppm,
          &sim::NetworkFaults::duplicate_ppm, &sim::NetworkFaults::spike_ppm}) {
      if (best.plan.network.*field == 0) continue;
      sim::FaultPlan candidate = best.plan;
      candidate.network.*field = 0;
      changed |= still_fails(candidate);
    }
    // 3. Tame what is left, as each kind knows how (shorter, smaller, failing fast): the first
    //    simpler variant that still fails replaces the fault.
    for (std::size_t i = 0; i < best.plan.faults.size(); ++i) {
      for (const sim::Fault& simpler : sim::shrink_candidates(best.plan.faults[i])) {
        sim::FaultPlan candidate = best.plan;
        candidate.faults[i] = simpler;
        if (still_fails(candidate)) {
          changed = true;
          break;
        }
      }
    }
  }
  return best;
}

}  // namespace faultline::scenarios
