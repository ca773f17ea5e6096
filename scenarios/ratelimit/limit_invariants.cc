#include "scenarios/ratelimit/limit_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/invariant.h"

namespace faultline::scenarios::ratelimit {
namespace {

// "client-1 +2 at 1.203s, client-3 +1 at 1.250s": who was let through in the window.
std::string members_text(const std::vector<Admission>& admissions, const BusiestWindow& w) {
  std::vector<std::string> shown;
  for (std::size_t i : w.members) {
    const Admission& a = admissions[i];
    shown.push_back(
        fmt::format("{}+{} at {}", a.by.empty() ? "" : a.by + " ", a.units, seconds_text(a.at)));
  }
  return fmt::format("{}", fmt::join(shown, ", "));
}

LimitViolation violation(const std::vector<Admission>& admissions, const std::string& key,
                         std::int64_t bound, BusiestWindow window, std::string_view what) {
  std::string message =
      fmt::format("key '{}': {} units admitted in [{}, {}) ({} {}): {}", key, window.units,
                  seconds_text(window.from), seconds_text(window.from + window.length), what, bound,
                  members_text(admissions, window));
  return LimitViolation{key, bound, std::move(window), std::move(message)};
}

}  // namespace

std::string seconds_text(rl::Micros t) {
  return fmt::format("{:.3f}s", static_cast<double>(t.count()) / 1e6);
}

std::map<std::string, std::vector<std::size_t>> admissions_by_key(
    const std::vector<Admission>& admissions) {
  std::map<std::string, std::vector<std::size_t>> keys;
  for (std::size_t i = 0; i < admissions.size(); ++i) {
    FAULTLINE_INVARIANT(admissions[i].units > 0, "an admission lets at least one unit through");
    keys[admissions[i].key].push_back(i);
  }
  for (auto& [key, indices] : keys) {
    std::stable_sort(indices.begin(), indices.end(), [&](std::size_t a, std::size_t b) {
      return admissions[a].at < admissions[b].at;
    });
  }
  return keys;
}

BusiestWindow busiest_window(const std::vector<Admission>& admissions,
                             const std::vector<std::size_t>& indices, rl::Micros length) {
  FAULTLINE_INVARIANT(length > rl::Micros::zero(), "a window has a positive length");
  BusiestWindow best{.from = {}, .length = length, .units = 0, .members = {}};
  std::size_t right = 0;
  std::int64_t units = 0;  // of indices[left, right)
  for (std::size_t left = 0; left < indices.size(); ++left) {
    const rl::Micros from = admissions[indices[left]].at;
    while (right < indices.size() && admissions[indices[right]].at < from + length) {
      units += admissions[indices[right++]].units;
    }
    if (units > best.units) {
      best.from = from;
      best.units = units;
      best.members.assign(indices.begin() + static_cast<std::ptrdiff_t>(left),
                          indices.begin() + static_cast<std::ptrdiff_t>(right));
    }
    units -= admissions[indices[left]].units;
  }
  return best;
}

std::optional<LimitViolation> check_window_limit(const std::vector<Admission>& admissions,
                                                 std::int64_t limit, rl::Micros window) {
  for (const auto& [key, indices] : admissions_by_key(admissions)) {
    BusiestWindow busiest = busiest_window(admissions, indices, window);
    if (busiest.units > limit) {
      return violation(admissions, key, limit, std::move(busiest), "limit");
    }
  }
  return std::nullopt;
}

std::optional<LimitViolation> check_gcra_bound(const std::vector<Admission>& admissions,
                                               std::int64_t limit, rl::Micros emission_interval,
                                               const std::vector<rl::Micros>& lengths) {
  FAULTLINE_INVARIANT(emission_interval > rl::Micros::zero(), "T is positive");
  for (const auto& [key, indices] : admissions_by_key(admissions)) {
    for (const rl::Micros length : lengths) {
      const std::int64_t bound = limit + length / emission_interval;
      BusiestWindow busiest = busiest_window(admissions, indices, length);
      if (busiest.units > bound) {
        const std::string what =
            fmt::format("GCRA's bound limit + d/T = {} + {}/{} =", limit, duration_text(length),
                        duration_text(emission_interval));
        return violation(admissions, key, bound, std::move(busiest), what);
      }
    }
  }
  return std::nullopt;
}

}  // namespace faultline::scenarios::ratelimit
