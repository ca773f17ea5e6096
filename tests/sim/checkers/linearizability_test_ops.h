// Hand-written histories for the linearizability tests: op(process, f, input, output, invoke,
// return [, key]) builds one operation (kOpen as the return: it never returned), i() and s()
// build integer and string data.
#pragma once

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

}  // namespace faultline::sim::test_ops
