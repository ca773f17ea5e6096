// Running bench/node/limit_bench.js (rate-limiter-flexible on Node.js) beside our own benchmark,
// in the same run, on the same server. Used by redis_limit_bench.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace faultline::bench {

// What one run of limit_bench.js measured (see its header).
struct NodeRun {
  double consumes_per_s = 0;
  double allowed_share = 0;
  double cpu_us_per_consume = 0;
  double errors = 0;
};

// The output of `command` (stdout and stderr) and whether it exited with 0.
inline std::pair<std::string, bool> run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {"popen failed", false};
  std::string output;
  char chunk[4096];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) output.append(chunk, n);
  return {output, ::pclose(pipe) == 0};
}

// Why the Node benchmark cannot run from `node_dir` (bench/node), or nothing if it can: node
// must be on PATH and `npm ci` must have installed node_modules there.
inline std::optional<std::string> node_missing(const std::string& node_dir) {
  if (!run_command("node --version").second) return "node is not on PATH";
  if (!std::filesystem::exists(node_dir + "/node_modules/rate-limiter-flexible")) {
    return "rate-limiter-flexible is not installed: run `npm ci --prefix " + node_dir + "`";
  }
  return std::nullopt;
}

// The number after "\"field\":" in a line of JSON, or nothing.
inline std::optional<double> json_number(const std::string& json, const std::string& field) {
  const std::size_t at = json.find("\"" + field + "\":");
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(json.c_str() + at + field.size() + 3, nullptr);
}

// limit_bench.js with `limiter` for `seconds` (after its warm-up) against 127.0.0.1:`port`,
// `clients` consumers cycling over `keys` keys; nothing if it failed.
inline std::optional<NodeRun> run_node(const std::string& node_dir, const std::string& limiter,
                                       int port, int clients, long keys, double seconds) {
  const std::string command = "node " + node_dir + "/limit_bench.js --port " +
                              std::to_string(port) + " --limiter " + limiter + " --clients " +
                              std::to_string(clients) + " --keys " + std::to_string(keys) +
                              " --seconds " + std::to_string(seconds);
  const auto [output, ok] = run_command(command);
  const std::optional<double> rate = json_number(output, "consumes_per_s");
  if (!ok || !rate) {
    std::fprintf(stderr, "redis_limit_bench: %s failed: %s\n", command.c_str(), output.c_str());
    return std::nullopt;
  }
  return NodeRun{.consumes_per_s = *rate,
                 .allowed_share = json_number(output, "allowed_share").value_or(0),
                 .cpu_us_per_consume = json_number(output, "cpu_us_per_consume").value_or(0),
                 .errors = json_number(output, "errors").value_or(0)};
}

}  // namespace faultline::bench
