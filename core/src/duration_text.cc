#include "faultline/duration_text.h"

#include <array>
#include <cstdint>

namespace faultline {

std::string duration_text(Duration d) {
  if (d == Duration::max()) return "max";
  if (d == Duration::zero()) return "0";  // needs no unit
  struct Unit {
    std::int64_t ns;
    const char* suffix;
  };
  // Coarsest first: the first unit that divides the value exactly names it.
  static constexpr std::array<Unit, 5> kUnits{{{3'600'000'000'000, "h"},
                                               {60'000'000'000, "min"},
                                               {1'000'000'000, "s"},
                                               {1'000'000, "ms"},
                                               {1'000, "us"}}};
  const std::int64_t n = d.count();
  for (const Unit& unit : kUnits) {
    if (n % unit.ns == 0) return std::to_string(n / unit.ns) + unit.suffix;
  }
  return std::to_string(n) + "ns";
}

}  // namespace faultline
