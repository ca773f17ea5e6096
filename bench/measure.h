// Measuring a benchmark against a reference client in the same run: client CPU and the median of
// repeated runs. Shared by the Redis and PostgreSQL benchmarks.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace faultline::bench {

// User + system CPU seconds of RUSAGE_SELF (this process) or RUSAGE_CHILDREN (children reaped
// so far, e.g. by pclose).
inline double cpu_seconds(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// A smoke run (FAULTLINE_BENCH_SMOKE set, and not to "0"), as scripts/test-tsan.sh makes under
// ThreadSanitizer: each layout runs only its own client threads, once and briefly, and skips the
// reference client; the counters then say nothing about speed. A smoke run that did no work or
// saw a failure is reported with SkipWithError ("ERROR OCCURRED" in the output).
inline bool smoke_run() {
  const char* value = std::getenv("FAULTLINE_BENCH_SMOKE");
  return value != nullptr && *value != '\0' && std::string_view(value) != "0";
}

// How long a smoke run's clients run.
inline constexpr std::chrono::milliseconds kSmokeDuration{300};

// The median of a non-empty sample (the mean of the middle two for an even count).
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace faultline::bench
