// Fuzzes the three history readers (history_formats.h) and format detection: any text gives
// operations or kInvalidArgument "line N: ..." (detection may also say "unknown history format"
// or name the blank text), and every operation read completes no earlier than it was invoked,
// at positions that are lines of the text.
#include <algorithm>
#include <functional>

#include "faultline/sim/history_formats.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

using Parser = std::function<Result<std::vector<sim::LinOp>>(std::string_view)>;

void check(std::string_view name, std::string_view text, const Parser& parse) {
  const Result<std::vector<sim::LinOp>> ops = parse(text);
  if (!ops.ok()) {
    const Error& error = ops.error();
    require(error.code == ErrorCode::kInvalidArgument, std::string(name) + ": " + error.message);
    require(error.message.starts_with("line ") || name == "parse_history",
            std::string(name) + ": error names no line: " + error.message);
    return;
  }
  const std::uint64_t lines =
      1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  for (const sim::LinOp& op : *ops) {
    require(op.invoke_at >= 1 && op.invoke_at <= lines,
            std::string(name) + ": invocation off the text");
    require(!op.return_at || (*op.return_at > op.invoke_at && *op.return_at <= lines),
            std::string(name) + ": completion before its invocation or off the text");
  }
}

}  // namespace

int fuzz_history_formats(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  check("parse_jepsen_log", text, sim::parse_jepsen_log);
  check("parse_edn_history", text, sim::parse_edn_history);
  check("parse_json_history", text, sim::parse_json_history);
  check("parse_history", text, sim::parse_history);
  return 0;
}

}  // namespace faultline::fuzz
