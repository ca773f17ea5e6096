// Shard: one part of a sweep's seed range, for running a sweep on many machines through an
// engine that already exists (a Slurm job array, a Kubernetes Indexed Job, a CI matrix).
//
// Shard I of N runs the seed indices i with i % N == I. The partition is deterministic and
// needs no coordination: N shards run exactly the seeds of the unsharded sweep, and merging
// their reports (report.h) gives the unsharded verdict and first violation.
//
// As typed on a command line (parse_shard):
//   "I/N"     shard I (0-based) of N;
//   "auto"    from Slurm's job array: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT (an array
//             must be 0-based and contiguous: --array=0-(N-1));
//   "auto/N"  index from the environment (Kubernetes' JOB_COMPLETION_INDEX, else
//             SLURM_ARRAY_TASK_ID), N given here (Kubernetes does not export the count).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

namespace faultline::harness {

struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;

  // How many of the indices 0 .. total-1 belong to this shard.
  [[nodiscard]] std::uint64_t size_of(std::uint64_t total) const noexcept {
    return index >= total ? 0 : (total - index + count - 1) / count;
  }
  // The global index of this shard's k-th seed.
  [[nodiscard]] std::uint64_t global(std::uint64_t k) const noexcept { return index + k * count; }
  bool operator==(const Shard&) const = default;
};

// Reads an environment variable; null when unset. Passed in so tests need no real environment.
using Getenv = std::function<const char*(const char*)>;

// The shard `text` names, or a message saying what was wrong with it (or with the environment
// variable it read, named with its value).
[[nodiscard]] std::variant<Shard, std::string> parse_shard(std::string_view text,
                                                           const Getenv& getenv);

}  // namespace faultline::harness
