#include "scenarios/ratelimit/replay.h"

#include <map>

namespace faultline::scenarios::ratelimit {
namespace {

namespace rl = faultline::ratelimit;

rl::Instant instant(std::int64_t at_ms) { return rl::Instant(std::chrono::milliseconds(at_ms)); }

std::int64_t ceil_ms(rl::Micros d) { return rl::ceil_div(d.count(), 1000); }

// The most allowed requests and units within any window (t - W, t]: `allowed` is in time order,
// so the window ending at each request starts at the first one after t - W.
void sweep(const std::vector<const TraceRequest*>& allowed, rl::Micros window, KeySummary& out) {
  std::size_t left = 0;
  std::int64_t units = 0;
  for (std::size_t right = 0; right < allowed.size(); ++right) {
    units += allowed[right]->cost;
    const rl::Instant start = instant(allowed[right]->at_ms) - window;
    while (instant(allowed[left]->at_ms) <= start) units -= allowed[left++]->cost;
    out.max_in_window =
        std::max<std::int64_t>(out.max_in_window, static_cast<std::int64_t>(right - left + 1));
    out.max_units_in_window = std::max(out.max_units_in_window, units);
  }
}

}  // namespace

Replay replay(const rl::Policy& policy, const std::vector<TraceRequest>& trace) {
  struct PerKey {
    rl::State state;
    KeySummary summary;
    std::vector<const TraceRequest*> allowed;
  };
  std::map<std::string, PerKey, std::less<>> keys;
  Replay out;
  out.requests.reserve(trace.size());
  for (const TraceRequest& r : trace) {
    auto found = keys.find(r.key);
    if (found == keys.end()) {
      found = keys.emplace(r.key,
                           PerKey{.state = rl::initial_state(policy), .summary = {}, .allowed = {}})
                  .first;
    }
    PerKey& k = found->second;
    const rl::Decision d = rl::decide(k.state, policy, instant(r.at_ms), r.cost);
    ++(d.allowed ? k.summary.allowed : k.summary.refused);
    if (d.allowed) k.allowed.push_back(&r);
    out.requests.push_back({.request = r, .decision = d});
  }
  for (auto& [key, k] : keys) {
    k.summary.key = key;
    sweep(k.allowed, rl::policy_window(policy), k.summary);
    out.keys.push_back(k.summary);
  }
  return out;
}

std::int64_t retry_after_ms(const rl::Decision& decision) {
  if (decision.allowed || !decision.retry_after.has_value()) return -1;
  return ceil_ms(*decision.retry_after);
}

std::int64_t reset_after_ms(const rl::Decision& decision) { return ceil_ms(decision.reset_after); }

}  // namespace faultline::scenarios::ratelimit
