#include "progress.h"

#include <fmt/format.h>

#include <cstdio>

namespace faultline::harness::cli {
namespace {

constexpr int kBarWidth = 24;
constexpr auto kPlainEvery = std::chrono::seconds(30);

}  // namespace

std::string rough_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto whole = static_cast<long long>(seconds);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

Progress::Progress(std::string label, bool terminal)
    : label_(std::move(label)), terminal_(terminal) {}

void Progress::update(std::uint64_t done, std::uint64_t total) {
  const auto now = Clock::now();
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const std::string eta =
      rate > 0 ? rough_duration(static_cast<double>(total - done) / rate) : std::string("?");
  if (terminal_) {
    const auto filled = total == 0 ? kBarWidth : static_cast<int>(done * kBarWidth / total);
    std::fprintf(stderr, "\r%-24s [%s%s] %llu/%llu  %.0f seeds/s  ETA %s  ", label_.c_str(),
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kBarWidth - filled), '.').c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 rate, eta.c_str());
    std::fflush(stderr);
    return;
  }
  if (now - last_line_ < kPlainEvery) return;
  last_line_ = now;
  std::fprintf(stderr, "%s: %llu/%llu seeds, %.0f seeds/s, about %s left\n", label_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), rate,
               eta.c_str());
}

void Progress::finish() {
  if (terminal_) std::fprintf(stderr, "\r%100s\r", "");
}

}  // namespace faultline::harness::cli
