// The linearizability checker on Porcupine's 102 etcd histories (single register, read / write /
// cas; Jepsen logs): the whole suite per iteration, and the slowest history as a counter.
// Target: the suite in under 5 s on one core.
//
//   build-lin/bench/linearizability_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability.h"
#include "faultline/sim/linearizability_models.h"

namespace {

namespace fsys = std::filesystem;
using faultline::sim::LinOp;

struct Log {
  std::string name;
  std::vector<LinOp> ops;
};

// Loaded once, outside the timed region; empty when the data is missing.
const std::vector<Log>& etcd_logs() {
  static const std::vector<Log> logs = [] {
    std::vector<Log> out;
    const fsys::path dir = fsys::path(FAULTLINE_EXTERNAL_DIR) / "porcupine" / "jepsen";
    std::ifstream csv(dir / "expected.csv");
    std::string line;
    std::getline(csv, line);  // header
    while (std::getline(csv, line)) {
      const std::string name = line.substr(0, line.find(','));
      if (name.empty()) continue;
      std::ifstream in(dir / name, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      auto ops = faultline::sim::parse_jepsen_log(text.str());
      if (ops) out.push_back(Log{name, std::move(*ops)});
    }
    return out;
  }();
  return logs;
}

void BM_EtcdSuite(benchmark::State& state) {
  const std::vector<Log>& logs = etcd_logs();
  if (logs.empty()) {
    state.SkipWithError("no data: shared/external/porcupine/jepsen beside the checkout");
    return;
  }
  const faultline::sim::CasRegisterModel model;
  double slowest_ms = 0;
  std::size_t slowest = 0;
  std::uint64_t steps = 0;
  std::size_t linearizable = 0;
  for (auto _ : state) {
    steps = 0;
    linearizable = 0;
    for (std::size_t k = 0; k < logs.size(); ++k) {
      const auto start = std::chrono::steady_clock::now();
      auto result = faultline::sim::check_linearizable(logs[k].ops, model);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      benchmark::DoNotOptimize(result);
      if (!result || result->verdict == faultline::sim::Verdict::kUnknown) {
        state.SkipWithError(("no verdict for " + logs[k].name).c_str());
        return;
      }
      steps += result->steps;
      linearizable += result->linearizable() ? 1 : 0;
      if (ms > slowest_ms) {
        slowest_ms = ms;
        slowest = k;
      }
    }
  }
  state.counters["histories"] = static_cast<double>(logs.size());
  state.counters["linearizable"] = static_cast<double>(linearizable);
  state.counters["steps"] = static_cast<double>(steps);
  state.counters["slowest_ms"] = slowest_ms;
  // The slowest history's number (etcd_NNN.log), as a counter can only hold a number.
  state.counters["slowest_etcd"] = std::stod(logs[slowest].name.substr(5, 3));
}
BENCHMARK(BM_EtcdSuite)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
