// Progress of a sweep on stderr: on a terminal, one line redrawn in place with a bar, the
// rate and the time left; otherwise (a CI log, a batch job's output) a plain line now and then,
// so that a long sweep shows it is alive without flooding the log. Never on stdout, which
// carries the results (and JSON).
// Thread-safety: none; called from the sweep's calling thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace faultline::harness::cli {

class Progress {
 public:
  Progress(std::string label, bool terminal);
  // Seeds done of `total`; cheap when called often.
  void update(std::uint64_t done, std::uint64_t total);
  // Clears the terminal line (a plain log keeps its lines).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  bool terminal_;
  Clock::time_point started_ = Clock::now();
  Clock::time_point last_line_ = Clock::now();
};

// "1m05s", "3.2s": a duration for people.
[[nodiscard]] std::string rough_duration(double seconds);

}  // namespace faultline::harness::cli
