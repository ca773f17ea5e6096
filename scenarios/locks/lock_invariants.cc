#include "scenarios/locks/lock_invariants.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "faultline/duration_text.h"

namespace faultline::scenarios {
namespace {

std::ptrdiff_t blame(const ObservedSection& s) { return static_cast<std::ptrdiff_t>(s.id); }

// A violation blamed on section `s`, witnessed by `s` and `other`.
Violation between(const ObservedSection& s, const ObservedSection& other, std::string kind,
                  std::string message) {
  return Violation{.message = std::move(message),
                   .operation = blame(s),
                   .kind = std::move(kind),
                   .witness = {static_cast<std::size_t>(other.id), static_cast<std::size_t>(s.id)}};
}

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
      return between(
          *s, *reach, "mutual-exclusion",
          fmt::format("mutual exclusion: {} (section #{}, token {}) acquired the lock at "
                      "{:.6f}s while {} (section #{}, token {}, acquired at {:.6f}s) still held "
                      "it: its write was applied only at {:.6f}s",
                      s->holder, s->id, s->token, in_seconds(s->acquired), reach->holder, reach->id,
                      reach->token, in_seconds(reach->acquired), in_seconds(*reach->written)));
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
      return between(
          *s, *it->second, "token-reuse",
          fmt::format("fencing: {} (section #{}, acquired at {:.6f}s) got token {}, which {} "
                      "(section #{}, acquired at {:.6f}s) already carried",
                      s->holder, s->id, in_seconds(s->acquired), s->token, it->second->holder,
                      it->second->id, in_seconds(it->second->acquired)));
    }
  }
  return std::nullopt;
}

std::optional<Violation> check_tokens_rise(std::span<const ObservedSection> sections) {
  const ObservedSection* previous = nullptr;
  for (const ObservedSection* s : by_acquisition(sections)) {
    if (previous != nullptr && s->token <= previous->token) {
      return between(
          *s, *previous, "token-order",
          fmt::format("fencing: {} (section #{}) acquired at {:.6f}s with token {}, not above "
                      "token {} of {} (section #{}), who acquired before it at {:.6f}s",
                      s->holder, s->id, in_seconds(s->acquired), s->token, previous->token,
                      previous->holder, previous->id, in_seconds(previous->acquired)));
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
  return Violation{.message = fmt::format("liveness floor: only {} of {} acquisitions ended in "
                                          "an applied write; the claim promises at least {}",
                                          written, sections.size(), floor),
                   .operation = -1,
                   .kind = "liveness-floor",
                   .witness = {}};
}

namespace {

// The sections a stale write (`writes[i]`) clobbered: its own, the one it overwrote, and the
// first one written after the value it read, when that is another.
std::vector<std::size_t> clobbered(std::span<const ObservedWrite> writes, std::size_t i) {
  std::vector<std::size_t> sections{static_cast<std::size_t>(writes[i].section)};
  if (i > 0) sections.push_back(static_cast<std::size_t>(writes[i - 1].section));
  for (std::size_t j = i; j-- > 0;) {
    if (writes[j].value != writes[i].value) continue;
    if (j + 1 != i) sections.push_back(static_cast<std::size_t>(writes[j].section));
    break;
  }
  return sections;
}

}  // namespace

std::optional<Violation> check_no_lost_update(std::span<const ObservedWrite> writes,
                                              std::span<const std::uint64_t> reported_ok) {
  std::vector<std::uint64_t> applied;  // sorted below; a set's nodes cost more than the check
  applied.reserve(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const ObservedWrite& w = writes[i];
    if (w.value != w.previous + 1) {
      return Violation{.message = fmt::format(
                           "lost update: {} (section #{}, token {}) wrote {} over {} at "
                           "{:.6f}s, so an update was lost; its read was stale",
                           w.writer, w.section, w.token, w.value, w.previous, in_seconds(w.at)),
                       .operation = static_cast<std::ptrdiff_t>(w.section),
                       .kind = "lost-update",
                       .witness = clobbered(writes, i)};
    }
    applied.push_back(w.section);
  }
  std::sort(applied.begin(), applied.end());
  for (std::uint64_t section : reported_ok) {
    if (std::binary_search(applied.begin(), applied.end(), section)) continue;
    return Violation{
        .message = fmt::format("section #{} reported success but its write is not in the "
                               "register",
                               section),
        .operation = static_cast<std::ptrdiff_t>(section),
        .kind = "unapplied-success",
        .witness = {static_cast<std::size_t>(section)}};
  }
  return std::nullopt;
}

std::optional<Violation> check_liveness_window(std::span<const ObservedAcquire> acquires,
                                               Duration window,
                                               std::span<const Duration> vanished) {
  if (window <= Duration::zero()) return std::nullopt;
  const auto vanished_within = [&](Duration returned) {
    return std::any_of(vanished.begin(), vanished.end(), [&](Duration at) {
      return at <= returned && at >= returned - window;
    });
  };
  std::vector<std::pair<Duration, std::uint64_t>> successes;  // (returned, id)
  for (const ObservedAcquire& a : acquires) {
    if (a.ok) successes.emplace_back(a.returned, a.id);
  }
  std::sort(successes.begin(), successes.end());
  for (const ObservedAcquire& a : acquires) {
    if (!a.failed || a.returned < window) continue;
    const auto it =
        std::upper_bound(successes.begin(), successes.end(),
                         std::pair{a.returned, std::numeric_limits<std::uint64_t>::max()});
    if (it != successes.begin() && std::prev(it)->first >= a.returned - window) continue;
    if (vanished_within(a.returned)) continue;
    std::vector<std::size_t> witness{static_cast<std::size_t>(a.id)};
    if (it != successes.begin()) witness.push_back(static_cast<std::size_t>(std::prev(it)->second));
    return Violation{
        .message = fmt::format("liveness: {} gave up acquiring at {:.6f}s and nobody had acquired "
                               "the lock for {:.0f}s before that: it is held by someone who will "
                               "never release it",
                               a.holder, in_seconds(a.returned), in_seconds(window)),
        .operation = static_cast<std::ptrdiff_t>(a.id),
        .kind = "liveness",
        .witness = std::move(witness)};
  }
  return std::nullopt;
}

}  // namespace faultline::scenarios
