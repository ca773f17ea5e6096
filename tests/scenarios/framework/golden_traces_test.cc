// Golden trace hashes: determinism proven across builds and across changes.
//
// golden_traces.txt holds, for every scenario of the catalogue, a few seeds and what each run
// produced: its trace hash (every event's time and owner, every fault verb; see sim/trace.h), its
// event count and its end time. The same table is checked by the RelWithDebInfo build, the
// AddressSanitizer build and any other, so a run that depends on the compiler's choices, on
// uninitialised memory or on addresses fails here even when two runs in one build agree. A
// change that claims not to alter behaviour (a faster scheduler, a refactoring) must leave the
// table as it is; a change that does alter runs regenerates it and says why in its commit:
//
//   FAULTLINE_GOLDEN_UPDATE=1 build/tests/scenarios/golden_traces_test
//
// rewrites the table in the source tree from the current build (and passes; run the whole
// program: it is GoldenTraceTable.HasNoScenarioTheCatalogueLacks that writes).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "scenarios/framework/catalogue.h"
#include "scenarios/framework/runner.h"
#include "tests/support/catalogue_params.h"

namespace faultline::scenarios {
namespace {

constexpr std::uint64_t kFirstSeed = 0x5EED;
constexpr std::uint64_t kSeedsPerScenario = 2;

// One row: what one run of one scenario produced.
struct Golden {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  std::int64_t finished_at_ns = 0;

  friend bool operator==(const Golden&, const Golden&) = default;
};

std::string to_line(const Golden& g) {
  return fmt::format("{} {:#018x} {:#018x} {} {}", g.scenario, g.seed, g.trace_hash, g.events,
                     g.finished_at_ns);
}

Golden observe(const Scenario& scenario, std::uint64_t seed) {
  const RunResult r = scenario.run(seed);
  return Golden{scenario.name(), seed, r.trace_hash, r.events,
                static_cast<std::int64_t>(r.finished_at.time_since_epoch().count())};
}

// Rows by scenario name, in the file's order; '#' starts a comment line.
std::map<std::string, std::vector<Golden>> read_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::map<std::string, std::vector<Golden>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    Golden g;
    fields >> g.scenario >> std::hex >> g.seed >> g.trace_hash >> std::dec >> g.events >>
        g.finished_at_ns;
    if (!fields) throw std::runtime_error("malformed line in " + path + ": " + line);
    rows[g.scenario].push_back(g);
  }
  return rows;
}

void write_table(const std::string& path) {
  std::ofstream out(path);
  out << "# scenario seed trace-hash events end-time-ns: see golden_traces_test.cc\n";
  for (const auto& scenario : catalogue()) {
    for (std::uint64_t i = 0; i < kSeedsPerScenario; ++i) {
      out << to_line(observe(*scenario, seed_at(kFirstSeed, i))) << '\n';
    }
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

bool updating() { return std::getenv("FAULTLINE_GOLDEN_UPDATE") != nullptr; }

class GoldenTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTrace, RunsAsRecorded) {
  if (updating()) GTEST_SKIP() << "rewriting the table";
  static const auto table = read_table(FAULTLINE_GOLDEN_TABLE);
  const auto found = table.find(GetParam());
  ASSERT_NE(found, table.end()) << GetParam() << " has no rows in " << FAULTLINE_GOLDEN_TABLE
                                << "; regenerate it (see golden_traces_test.cc)";
  ASSERT_EQ(found->second.size(), kSeedsPerScenario);
  const Scenario& scenario = catalogue_scenario(GetParam());
  for (std::uint64_t i = 0; i < kSeedsPerScenario; ++i) {
    const Golden& want = found->second[i];
    ASSERT_EQ(want.seed, seed_at(kFirstSeed, i)) << "the table's seeds are seed_at(0x5eed, i)";
    EXPECT_EQ(to_line(observe(scenario, want.seed)), to_line(want))
        << "the run of seed " << fmt::format("{:#x}", want.seed)
        << " differs from the recorded one (fields: scenario seed hash events end-ns)";
  }
}

INSTANTIATE_TEST_SUITE_P(AllScenarios, GoldenTrace, ::testing::ValuesIn(catalogue_names()),
                         catalogue_test_name);

TEST(GoldenTraceTable, HasNoScenarioTheCatalogueLacks) {
  if (updating()) {
    write_table(FAULTLINE_GOLDEN_TABLE);
    GTEST_SKIP() << "rewrote " << FAULTLINE_GOLDEN_TABLE;
  }
  const auto table = read_table(FAULTLINE_GOLDEN_TABLE);
  const harness::Catalogue all = catalogue();
  for (const auto& [name, rows] : table) {
    EXPECT_NE(all.find(name), nullptr) << name << " is in the table but not in the catalogue";
  }
}

}  // namespace
}  // namespace faultline::scenarios
