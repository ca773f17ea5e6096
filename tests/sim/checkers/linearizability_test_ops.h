// Hand-written histories for the linearizability tests: op(process, f, input, output, invoke,
// return [, key]) builds one operation (kOpen as the return: it never returned), i() and s()
// build integer and string data; read_file() and check() are the tests' shared plumbing.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/sim/linearizability.h"

namespace faultline::sim::test_ops {

inline LinOp op(std::uint64_t process, std::string f, std::vector<Datum> input, Datum output,
                std::uint64_t invoke, std::optional<std::uint64_t> ret, std::string key = {}) {
  LinOp o;
  o.process = process;
  o.f = std::move(f);
  o.key = std::move(key);
  o.input = std::move(input);
  o.output = std::move(output);
  o.invoke_at = invoke;
  o.return_at = ret;
  return o;
}
inline Datum i(std::int64_t v) { return Datum{v}; }
inline Datum s(std::string v) { return Datum{std::move(v)}; }
constexpr std::nullopt_t kOpen = std::nullopt;

// The whole file, or "" when it cannot be read (the test then fails on what it parses).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

// check_linearizable's result, with a failed check reported as a test failure.
inline CheckResult check(const std::vector<LinOp>& ops, const Model& model,
                         CheckOptions options = {}) {
  Result<CheckResult> r = check_linearizable(ops, model, options);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r ? *r : CheckResult{};
}

}  // namespace faultline::sim::test_ops
