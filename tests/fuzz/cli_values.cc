// Fuzzes the values a harness command line reads (cli_values.h): seeds, --for durations and
// --clients ranges. Each gives a value or throws CLI::ValidationError naming the flag, nothing
// else; a seed that reads prints (in hex) as text that reads back to it, and a range is in
// bounds.
#include <fmt/format.h>

#include "faultline/harness/cli_values.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

// Runs `parse`; a ValidationError must name `flag` (CLI11 puts the name first).
template <typename Parse>
void refused_only_by_name(std::string_view flag, Parse parse) {
  try {
    parse();
  } catch (const CLI::ValidationError& error) {
    require(std::string_view(error.what()).starts_with(flag),
            fmt::format("{}: error does not name the flag: {}", flag, error.what()));
  }
}

}  // namespace

int fuzz_cli_values(const std::uint8_t* data, std::size_t size) {
  const std::string text(as_text(data, size));
  namespace cli = harness::cli;
  refused_only_by_name("--seed", [&] {
    const std::uint64_t seed = cli::parse_seed("--seed", text);
    require(cli::parse_seed("--seed", fmt::format("{:#x}", seed)) == seed,
            "--seed: hex round trip");
  });
  refused_only_by_name("--for", [&] {
    require(cli::parse_duration("--for", text).count() > 0, "--for: not positive");
  });
  refused_only_by_name("--clients", [&] {
    const cli::CountRange range = cli::parse_count_range("--clients", text, 10'000);
    require(1 <= range.from && range.from <= range.to && range.to <= 10'000 && range.step >= 1,
            "--clients: range out of bounds");
  });
  return 0;
}

}  // namespace faultline::fuzz
