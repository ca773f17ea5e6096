#include "scenarios/locks/lock_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "faultline/duration_text.h"

namespace faultline::scenarios {
namespace {

std::ptrdiff_t blame(const ObservedSection& s) { return static_cast<std::ptrdiff_t>(s.id); }

// Sections ordered by when their acquire returned, ties by id: the order of acquisition.
std::vector<const ObservedSection*> by_acquisition(std::span<const ObservedSection> sections) {
  std::vector<const ObservedSection*> order;
  order.reserve(sections.size());
  for (const ObservedSection& s : sections) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const ObservedSection* a, const ObservedSection* b) {
    return a->acquired != b->acquired ? a->acquired < b->acquired : a->id < b->id;
  });
  return order;
}

}  // namespace

std::optional<Violation> check_mutual_exclusion(std::span<const ObservedSection> sections) {
  // Sweep the intervals by start. Until the first overlap they are disjoint, so the latest one
  // also reaches furthest: comparing each start with the previous interval's end suffices.
  const ObservedSection* reach = nullptr;
  for (const ObservedSection* s : by_acquisition(sections)) {
    if (!s->written) continue;
    if (reach != nullptr && s->acquired < *reach->written) {
      return Violation{
          fmt::format("mutual exclusion: {} (section #{}, token {}) acquired the lock at "
                      "{:.6f}s while {} (section #{}, token {}, acquired at {:.6f}s) still held "
                      "it: its write was applied only at {:.6f}s",
                      s->holder, s->id, s->token, in_seconds(s->acquired), reach->holder, reach->id,
                      reach->token, in_seconds(reach->acquired), in_seconds(*reach->written)),
          blame(*s)};
    }
    reach = s;
  }
  return std::nullopt;
}

std::optional<Violation> check_tokens_unique(std::span<const ObservedSection> sections) {
  std::map<locks::FencingToken, const ObservedSection*> seen;
  for (const ObservedSection* s : by_acquisition(sections)) {
    auto [it, fresh] = seen.emplace(s->token, s);
    if (!fresh) {
      return Violation{
          fmt::format("fencing: {} (section #{}, acquired at {:.6f}s) got token {}, which {} "
                      "(section #{}, acquired at {:.6f}s) already carried",
                      s->holder, s->id, in_seconds(s->acquired), s->token, it->second->holder,
                      it->second->id, in_seconds(it->second->acquired)),
          blame(*s)};
    }
  }
  return std::nullopt;
}

std::optional<Violation> check_tokens_rise(std::span<const ObservedSection> sections) {
  const ObservedSection* previous = nullptr;
  for (const ObservedSection* s : by_acquisition(sections)) {
    if (previous != nullptr && s->token <= previous->token) {
      return Violation{
          fmt::format("fencing: {} (section #{}) acquired at {:.6f}s with token {}, not above "
                      "token {} of {} (section #{}), who acquired before it at {:.6f}s",
                      s->holder, s->id, in_seconds(s->acquired), s->token, previous->token,
                      previous->holder, previous->id, in_seconds(previous->acquired)),
          blame(*s)};
    }
    previous = s;
  }
  return std::nullopt;
}

int sections_written(std::span<const ObservedSection> sections) {
  return static_cast<int>(std::count_if(sections.begin(), sections.end(),
                                        [](const ObservedSection& s) { return s.written; }));
}

std::optional<Violation> check_liveness_floor(std::span<const ObservedSection> sections,
                                              int floor) {
  const int written = sections_written(sections);
  if (floor <= 0 || written >= floor) return std::nullopt;
  return Violation{fmt::format("liveness floor: only {} of {} acquisitions ended in an applied "
                               "write; the claim promises at least {}",
                               written, sections.size(), floor)};
}

}  // namespace faultline::scenarios
