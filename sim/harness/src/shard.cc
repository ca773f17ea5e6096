#include "faultline/harness/shard.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace faultline::harness {
namespace {

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return {};
  return value;
}

std::variant<std::uint64_t, std::string> from_env(const Getenv& getenv, const char* name) {
  const char* value = getenv(name);
  if (value == nullptr) return fmt::format("{} is not set", name);
  if (auto n = number(value)) return *n;
  return fmt::format("{}='{}' is not a number", name, value);
}

std::variant<Shard, std::string> checked(Shard shard, std::string_view text) {
  if (shard.count == 0) return fmt::format("--shard {}: the shard count must be at least 1", text);
  if (shard.index >= shard.count) {
    return fmt::format("--shard {}: shard index {} is not below the count {} (indices are 0-based)",
                       text, shard.index, shard.count);
  }
  return shard;
}

// "auto" and "auto/N": the index (and for plain "auto" the count) from the job engine.
std::variant<Shard, std::string> from_engine(std::string_view text, std::string_view count_text,
                                             const Getenv& getenv) {
  const bool kubernetes = getenv("JOB_COMPLETION_INDEX") != nullptr;
  auto index = from_env(getenv, kubernetes ? "JOB_COMPLETION_INDEX" : "SLURM_ARRAY_TASK_ID");
  if (auto* error = std::get_if<std::string>(&index)) {
    return fmt::format("--shard {}: {} (run it in a Slurm job array or a Kubernetes Indexed Job)",
                       text, *error);
  }
  Shard shard{std::get<std::uint64_t>(index), 0};
  if (!count_text.empty()) {
    auto count = number(count_text);
    if (!count) return fmt::format("--shard {}: '{}' is not a shard count", text, count_text);
    shard.count = *count;
  } else {
    auto count = from_env(getenv, "SLURM_ARRAY_TASK_COUNT");
    if (auto* error = std::get_if<std::string>(&count)) {
      return fmt::format("--shard {}: {} (give the count: --shard auto/N)", text, *error);
    }
    shard.count = std::get<std::uint64_t>(count);
  }
  return checked(shard, text);
}

}  // namespace

std::variant<Shard, std::string> parse_shard(std::string_view text, const Getenv& getenv) {
  const std::size_t slash = text.find('/');
  const std::string_view first = text.substr(0, slash);
  const std::string_view rest =
      slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
  if (first == "auto") return from_engine(text, rest, getenv);
  const auto index = number(first);
  const auto count = number(rest);
  if (!index || !count) {
    return fmt::format("--shard '{}': expected I/N (shard I of N, 0-based), auto or auto/N", text);
  }
  return checked(Shard{*index, *count}, text);
}

}  // namespace faultline::harness
