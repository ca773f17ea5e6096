// Sweeping a scenario over many seeds.
//
// Seeds: the i-th seed of a sweep starting at `first` is seed_at(first, i), a mixed, well spread
// 64-bit value, printed in hex so that it can be pasted into `replay --seed`. The indices a
// sweep runs are 0 .. count-1 (start .. count-1 when it goes on from an earlier sweep), or, for
// shard I of N (shard.h), those with (i - start) % N == I: the N shards together run exactly
// the seeds of the whole sweep.
// Swarm testing (swarm.h): with `swarm`, each seed's plan keeps only the fault kinds that seed
// switched on, so that rare combinations of few kinds get explored.
// Parallelism: `jobs` worker threads each run whole Worlds; a World itself never sees a thread.
// The verdict does not depend on `jobs`: the lowest-indexed violation is the one reported, and
// every index below it has been run (seeds_run may count further when other workers ran on).
// Wall-clock time is read for reporting only (wall_seconds, progress), never inside a World.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "faultline/harness/scenario.h"
#include "faultline/harness/shard.h"

namespace faultline::harness {

// The first seed of a sweep when none is given.
inline constexpr std::uint64_t kDefaultFirstSeed = 0x5EED;

[[nodiscard]] std::uint64_t seed_at(std::uint64_t first, std::uint64_t index);

// The plan a sweep runs for `seed`: the scenario's own, thinned by the seed's swarm when
// `swarm` is set. Replay uses the same function, so a swarm finding replays exactly.
[[nodiscard]] sim::FaultPlan plan_for(const Scenario& scenario, std::uint64_t seed, bool swarm);

struct SweepOptions {
  std::uint64_t first = kDefaultFirstSeed;
  std::uint64_t count = 1000;  // seed indices start .. count-1, before sharding
  std::uint64_t start = 0;     // a sweep that goes on from an earlier one (explore) starts later
  Shard shard{};               // the whole range unless told
  int jobs = 1;                // worker threads, at least 1
  bool stop_at_violation = true;
  bool swarm = false;
  // Called from the calling thread about every 100 ms with (seeds done, seeds in this shard).
  std::function<void(std::uint64_t, std::uint64_t)> progress{};
  // Called for every violating run with its global index, one call at a time, in whichever
  // order workers find them.
  std::function<void(std::uint64_t, const RunResult&)> on_violation{};
};

struct SweepResult {
  std::uint64_t seeds_run = 0;
  std::optional<RunResult> first_violation;  // the lowest-indexed violating seed, if any
  // Its global index (the i of seed_at): the same for any `jobs` and any sharding.
  std::uint64_t first_violation_index = 0;
  std::uint64_t events = 0;
  double wall_seconds = 0;
};

[[nodiscard]] SweepResult sweep(const Scenario& scenario, const SweepOptions& options);

}  // namespace faultline::harness
