// GoogleTest integration: a scenario's verdict checked over N seeds inside a user's test.
//
//   TEST(Inventory, ReservationsNeverOversell) {
//     FAULTLINE_EXPECT_VERDICT(*scenario);   // seeds from the environment, see below
//     FAULTLINE_EXPECT_VERDICT(*scenario, "inventory-sim");  // and how to replay it there
//   }
//
// The sweep is read from the environment, so CI can raise it without a rebuild:
//   FAULTLINE_SEEDS  how many seeds (default: the macro's caller's, 200 for the macro)
//   FAULTLINE_SEED   the first seed, decimal or 0x hex (default kDefaultFirstSeed)
//   FAULTLINE_JOBS   worker threads (default 1)
//   FAULTLINE_SWARM  1: swarm testing (swarm.h)
// A value that does not read fails the test, naming the variable and its value.
// On a verdict that differs, the failure carries the seed, the violation, the shrunk fault plan,
// and two ways to replay it: this very test with FAULTLINE_SEED=<seed> FAULTLINE_SEEDS=1, and,
// when `program` is given, the program's replay command.
//
// Header-only: the user's test links GoogleTest itself.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "faultline/harness/report.h"
#include "faultline/harness/sweep.h"

namespace faultline::harness {

struct TestSweep {
  SweepOptions sweep;
  std::string program;  // the program whose `replay` runs this scenario; may be empty
  std::string error;    // an environment variable that did not read
};

namespace detail {

inline bool read_env_number(const char* name, std::uint64_t& value, std::string& error) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return true;
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(text, &end, 0);
  if (*end != '\0' || *text == '-') {
    error = std::string(name) + "='" + text + "' is not a number";
    return false;
  }
  value = parsed;
  return true;
}

// "FAULTLINE_SEED=0x1f FAULTLINE_SEEDS=1 /path/to/test --gtest_filter=Suite.Name".
inline std::string rerun_command(std::uint64_t seed, bool swarm) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string filter = info == nullptr ? std::string("*")
                                       : std::string(info->test_suite_name()) + "." + info->name();
  char hex[24];
  std::snprintf(hex, sizeof hex, "%#llx", static_cast<unsigned long long>(seed));
  return std::string("FAULTLINE_SEED=") + hex + " FAULTLINE_SEEDS=1" +
         (swarm ? " FAULTLINE_SWARM=1 " : " ") + (error ? "<this test>" : self.string()) +
         " --gtest_filter='" + filter + "'";
}

}  // namespace detail

// The sweep the environment asks for, `default_seeds` seeds when FAULTLINE_SEEDS is unset.
[[nodiscard]] inline TestSweep sweep_from_env(std::uint64_t default_seeds = 200,
                                              std::string program = {}) {
  TestSweep t;
  t.program = std::move(program);
  t.sweep.count = default_seeds;
  std::uint64_t jobs = 1;
  std::uint64_t swarm = 0;
  if (detail::read_env_number("FAULTLINE_SEEDS", t.sweep.count, t.error) &&
      detail::read_env_number("FAULTLINE_SEED", t.sweep.first, t.error) &&
      detail::read_env_number("FAULTLINE_JOBS", jobs, t.error) &&
      detail::read_env_number("FAULTLINE_SWARM", swarm, t.error)) {
    t.sweep.jobs = static_cast<int>(jobs < 1 ? 1 : jobs > 256 ? 256 : jobs);
    t.sweep.swarm = swarm != 0;
  }
  return t;
}

// Sweeps `scenario` and judges its verdict; the failure message says how to replay.
[[nodiscard]] inline ::testing::AssertionResult verdict_as_expected(const Scenario& scenario,
                                                                    const TestSweep& test) {
  if (!test.error.empty()) return ::testing::AssertionFailure() << test.error;
  const SweepResult result = sweep(scenario, test.sweep);
  const std::string program = test.program.empty() ? "<your binary>" : test.program;
  const ScenarioReport report = make_report(scenario, test.sweep, result, program);
  if (report.as_expected()) return ::testing::AssertionSuccess() << to_text(report);
  auto failure = ::testing::AssertionFailure() << to_text(report);
  if (report.violation) {
    failure << "\n    rerun this test on it: "
            << detail::rerun_command(report.violation->seed, test.sweep.swarm);
  } else {
    failure << "\n    (raise FAULTLINE_SEEDS to look further)";
  }
  return failure;
}

}  // namespace faultline::harness

// Expects `scenario`'s verdict (its claim holds / its hazard is found) over the environment's
// sweep (200 seeds unless FAULTLINE_SEEDS says otherwise). An optional second argument names
// the program whose `replay` the failure message prints.
#define FAULTLINE_EXPECT_VERDICT(scenario, ...)                 \
  EXPECT_TRUE(::faultline::harness::verdict_as_expected(        \
      (scenario), ::faultline::harness::sweep_from_env(200 __VA_OPT__(, ) __VA_ARGS__)))
