#include "scenarios/ratelimit/tier_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace faultline::scenarios::ratelimit {
namespace {

// The tier set holding every one of `keys`, if any.
const std::vector<std::string>* tier_set_of(const std::set<std::string>& keys,
                                            const std::vector<std::vector<std::string>>& sets) {
  for (const std::vector<std::string>& set : sets) {
    const bool holds = std::all_of(keys.begin(), keys.end(), [&set](const std::string& k) {
      return std::find(set.begin(), set.end(), k) != set.end();
    });
    if (holds) return &set;
  }
  return nullptr;
}

// Whether one charging step charged every tier of one request, the same cost each.
bool whole(const std::vector<TierEvent>& events, const std::vector<std::size_t>& step,
           const std::vector<std::vector<std::string>>& sets) {
  std::set<std::string> keys;
  const std::int64_t cost = events[step.front()].cost;
  for (std::size_t i : step) {
    const TierEvent& e = events[i];
    if (!e.allowed || e.cost != cost || !keys.insert(e.key).second) return false;
  }
  const std::vector<std::string>* set = tier_set_of(keys, sets);
  return set != nullptr && set->size() == keys.size();
}

std::string describe(const std::vector<TierEvent>& events, const std::vector<std::size_t>& step,
                     const std::vector<std::vector<std::string>>& sets) {
  std::vector<std::string> charged;
  std::vector<std::string> refused;
  std::set<std::string> keys;
  for (std::size_t i : step) {
    const TierEvent& e = events[i];
    keys.insert(e.key);
    if (e.cost > 0) charged.push_back(fmt::format("{} +{}", e.key, e.cost));
    if (!e.allowed) refused.push_back(e.key);
  }
  std::string text = fmt::format("the store's decision at {} charged {}",
                                 seconds_text(events[step.front()].at), fmt::join(charged, ", "));
  if (!refused.empty()) text += fmt::format(" while refusing {}", fmt::join(refused, ", "));
  std::vector<std::string> missing;
  if (const std::vector<std::string>* set = tier_set_of(keys, sets)) {
    for (const std::string& k : *set) {
      if (keys.count(k) == 0) missing.push_back(k);
    }
  }
  if (!missing.empty()) text += fmt::format(", not {} in the same step", fmt::join(missing, ", "));
  return text;
}

// The first event of `request` after `step` whose tier refused.
std::optional<std::size_t> later_refusal(const std::vector<TierEvent>& events,
                                         std::ptrdiff_t request, std::uint64_t step) {
  if (request < 0) return std::nullopt;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TierEvent& e = events[i];
    if (e.request == request && e.step > step && !e.allowed) return i;
  }
  return std::nullopt;
}

}  // namespace

std::optional<PartialCharge> check_all_or_nothing(
    const std::vector<TierEvent>& events, const std::vector<std::vector<std::string>>& tier_sets) {
  std::map<std::uint64_t, std::vector<std::size_t>> steps;
  for (std::size_t i = 0; i < events.size(); ++i) steps[events[i].step].push_back(i);
  std::optional<PartialCharge> first;
  for (const auto& [step, members] : steps) {
    const bool charged = std::any_of(members.begin(), members.end(),
                                     [&events](std::size_t i) { return events[i].cost > 0; });
    if (!charged || whole(events, members, tier_sets)) continue;
    std::ptrdiff_t request = -1;
    for (std::size_t i : members) request = std::max(request, events[i].request);
    PartialCharge found{step, members, request, describe(events, members, tier_sets)};
    if (const auto refusal = later_refusal(events, request, step)) {
      const TierEvent& r = events[*refusal];
      found.message += fmt::format(
          "; its request (operation {}) was then refused at {} at {}: what it charged was never "
          "refunded",
          request, r.key, seconds_text(r.at));
      found.events.push_back(*refusal);
      return found;
    }
    if (!first) first = std::move(found);
  }
  return first;
}

std::optional<FallbackViolation> check_fallback_bound(const std::vector<Admission>& store,
                                                      const std::vector<Admission>& fallback,
                                                      std::int64_t store_limit,
                                                      std::int64_t fallback_limit,
                                                      rl::Micros window) {
  if (auto over = check_window_limit(store, store_limit, window)) {
    over->message = "the store's admissions: " + over->message;
    return FallbackViolation{false, std::move(*over)};
  }
  if (auto over = check_window_limit(fallback, fallback_limit, window)) {
    over->message = "the fallbacks' admissions together: " + over->message;
    return FallbackViolation{true, std::move(*over)};
  }
  return std::nullopt;
}

}  // namespace faultline::scenarios::ratelimit
