// The linearizability checker on Porcupine's histories: the 102 etcd logs (single register,
// read / write / cas; Jepsen logs) and the 6 kv histories (get / put / append per key; EDN), each
// suite whole per iteration, with the slowest history as a counter.
//
//   build/bench/linearizability_bench [--benchmark_filter=...]
//
// The data: $FAULTLINE_EXTERNAL_DIR/porcupine when that variable is set, else shared/external/
// beside the checkout (fixed at build time). scripts/compare-checker.sh builds this same source
// against an older checker too, so it uses only the API both have.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
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

fsys::path porcupine_dir() {
  const char* dir = std::getenv("FAULTLINE_EXTERNAL_DIR");
  return fsys::path(dir != nullptr ? dir : FAULTLINE_EXTERNAL_DIR) / "porcupine";
}

std::string read_text(const fsys::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// Loaded once, outside the timed region; empty when the data is missing.
const std::vector<Log>& etcd_logs() {
  static const std::vector<Log> logs = [] {
    std::vector<Log> out;
    const fsys::path dir = porcupine_dir() / "jepsen";
    std::ifstream csv(dir / "expected.csv");
    std::string line;
    std::getline(csv, line);  // header
    while (std::getline(csv, line)) {
      const std::string name = line.substr(0, line.find(','));
      if (name.empty()) continue;
      auto ops = faultline::sim::parse_jepsen_log(read_text(dir / name));
      if (ops) out.push_back(Log{name, std::move(*ops)});
    }
    return out;
  }();
  return logs;
}

const std::vector<Log>& kv_histories() {
  static const std::vector<Log> logs = [] {
    std::vector<Log> out;
    for (const char* name : {"c01-ok.txt", "c01-bad.txt", "c10-ok.txt", "c10-bad.txt",
                             "c50-ok.txt", "c50-bad.txt"}) {
      const fsys::path path = porcupine_dir() / "kv" / name;
      if (!fsys::exists(path)) continue;
      auto ops = faultline::sim::parse_edn_history(read_text(path));
      if (ops) out.push_back(Log{name, std::move(*ops)});
    }
    return out;
  }();
  return logs;
}

// Checks every history per iteration; counters: histories, linearizable ones, model steps, and
// the slowest history (its time, and its index in the suite).
void run_suite(benchmark::State& state, const std::vector<Log>& logs,
               const faultline::sim::Model& model) {
  if (logs.empty()) {
    state.SkipWithError("no data: set FAULTLINE_EXTERNAL_DIR or put shared/external beside the "
                        "checkout");
    return;
  }
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
  state.counters["slowest_index"] = static_cast<double>(slowest);
  state.SetLabel("slowest: " + logs[slowest].name);
}

void BM_EtcdSuite(benchmark::State& state) {
  run_suite(state, etcd_logs(), faultline::sim::CasRegisterModel{});
}
BENCHMARK(BM_EtcdSuite)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_KvSuite(benchmark::State& state) {
  run_suite(state, kv_histories(), faultline::sim::KvModel{});
}
BENCHMARK(BM_KvSuite)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
