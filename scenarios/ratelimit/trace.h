// A recorded request trace, as `faultline limit --trace FILE` reads it: one request per line,
//
//   TIME_MS KEY COST
//
// whitespace separated; TIME_MS a whole number of milliseconds in [0, 9e12] (any epoch), never
// less than the line before's; KEY any run of non-blank characters (at most 512); COST a whole
// number in [0, 100000] (0 peeks). Blank lines and lines starting with '#' are skipped.
// Errors: kInvalidArgument "line N: <what was wrong>; expected TIME_MS KEY COST" (or the
// field's range), for the first bad line. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "faultline/result.h"

namespace faultline::scenarios::ratelimit {

struct TraceRequest {
  std::int64_t at_ms{0};
  std::string key;
  std::int64_t cost{0};
  int line{0};  // 1-based, in the file
};

inline constexpr std::int64_t kMaxTraceTimeMs = 9'000'000'000'000;

[[nodiscard]] Result<std::vector<TraceRequest>> read_trace(std::istream& in);

}  // namespace faultline::scenarios::ratelimit
