// The refutation before the search; the contract and the soundness argument are in
// linearizability_refute.h.
#include "linearizability_refute.h"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace faultline::sim::detail {
namespace {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();  // open: never returns

// What a consumer of the state V needs, precomputed for one V.
struct Needed {
  std::vector<std::size_t> blockers;   // returned ops that block V, by return position
  std::vector<std::size_t> setters;    // ops that can set V, by invocation position
  std::vector<std::uint64_t> latest;   // latest[k]: the latest return among setters[0..k]
                                       // (kNever when one of them is open)
};

std::uint64_t returned_at(const LinOp& op) { return op.return_at.value_or(kNever); }

// Whether `op`, which returned, cannot take effect in state `v` and leave it `v`.
bool blocks(const Model& model, std::string_view v, const LinOp& op, std::string& scratch) {
  switch (model.step_into(v, op, scratch)) {
    case Model::Step::kRefused: return true;
    case Model::Step::kUnchanged: return false;
    case Model::Step::kChanged: return scratch != v;
  }
  return true;
}

// nullopt when the budget ran out.
std::optional<Needed> prepare(std::span<const LinOp> ops, const std::vector<std::size_t>& part,
                              const Model& model, std::string_view v, std::uint64_t& steps,
                              std::uint64_t max_steps) {
  Needed n;
  std::string scratch;
  for (std::size_t i : part) {
    if (model.can_set(ops[i], v)) n.setters.push_back(i);
    if (!ops[i].returned()) continue;
    if (steps >= max_steps) return std::nullopt;
    ++steps;
    if (blocks(model, v, ops[i], scratch)) n.blockers.push_back(i);
  }
  std::stable_sort(n.blockers.begin(), n.blockers.end(), [&](std::size_t a, std::size_t b) {
    return *ops[a].return_at < *ops[b].return_at;
  });
  std::stable_sort(n.setters.begin(), n.setters.end(), [&](std::size_t a, std::size_t b) {
    return ops[a].invoke_at < ops[b].invoke_at;
  });
  for (std::size_t k = 0; k < n.setters.size(); ++k) {
    const std::uint64_t r = returned_at(ops[n.setters[k]]);
    n.latest.push_back(k == 0 ? r : std::max(n.latest.back(), r));
  }
  return n;
}

std::string why(std::span<const LinOp> ops, const Model& model, std::string_view v,
                std::string_view init, std::optional<std::size_t> blocker, std::size_t setters) {
  const std::string state = model.describe_state(v);
  if (setters == 0 && init != v) {
    return fmt::format("it needs the state {}, which no operation invoked before it returned can "
                       "set, and the initial state is {}",
                       state, model.describe_state(init));
  }
  // Here a blocker exists: without one, the initial state or a setter would explain the op.
  std::string text = fmt::format(
      "it needs the state {}, but {} returned before it was invoked and cannot take effect in "
      "that state, so {} was set after that operation took effect; ",
      state, describe(ops[*blocker]), state);
  if (setters == 0) return text + "only the initial state is " + state;
  return text + fmt::format("the {} operation{} that can set it returned before that operation "
                            "was invoked",
                            setters, setters == 1 ? "" : "s");
}

// The refutation of consumer c (which needs v), if any. `last`: the blocker invoked last among
// those that returned before c was invoked.
std::optional<Refutation> refute_one(std::span<const LinOp> ops, const Model& model,
                                     std::string_view v, std::string_view init, const Needed& n,
                                     std::size_t c, std::optional<std::size_t> last) {
  if (!last && init == v) return std::nullopt;
  // Setters invoked no later than c returned; one that returns no earlier than `last` was
  // invoked (or never returns) explains c.
  const auto end = std::upper_bound(n.setters.begin(), n.setters.end(), *ops[c].return_at,
                                    [&](std::uint64_t at, std::size_t s) {
                                      return at < ops[s].invoke_at;
                                    });
  const auto count = static_cast<std::size_t>(end - n.setters.begin());
  if (count > 0 && (!last || ops[*last].invoke_at <= n.latest[count - 1])) return std::nullopt;
  return Refutation{c, model.describe_state(v), why(ops, model, v, init, last, count)};
}

// Whether refutation a names an op that returned earlier than b's (ties: the lower index).
bool earlier(std::span<const LinOp> ops, const Refutation& a, const Refutation& b) {
  const std::uint64_t ra = *ops[a.op].return_at;
  const std::uint64_t rb = *ops[b.op].return_at;
  return ra != rb ? ra < rb : a.op < b.op;
}

// The earliest refutation among the ops needing v (sorted by invocation), swept once: the
// blockers that returned before each one's invocation only grow.
std::optional<Refutation> refute_needing(std::span<const LinOp> ops, const Model& model,
                                         std::string_view v, std::string_view init,
                                         const Needed& n, const std::vector<std::size_t>& needing) {
  std::optional<Refutation> first;
  std::optional<std::size_t> last;
  std::size_t next_blocker = 0;
  for (std::size_t c : needing) {
    for (; next_blocker < n.blockers.size(); ++next_blocker) {
      const std::size_t w = n.blockers[next_blocker];
      if (*ops[w].return_at >= ops[c].invoke_at) break;
      if (!last || ops[w].invoke_at > ops[*last].invoke_at) last = w;
    }
    std::optional<Refutation> r = refute_one(ops, model, v, init, n, c, last);
    if (r && (!first || earlier(ops, *r, *first))) first = std::move(r);
  }
  return first;
}

}  // namespace

std::optional<Refutation> refute(std::span<const LinOp> ops, const std::vector<std::size_t>& part,
                                 const Model& model, std::uint64_t& steps,
                                 std::uint64_t max_steps) {
  std::map<std::string, std::vector<std::size_t>> consumers;  // needed state -> ops needing it
  for (std::size_t i : part) {
    if (!ops[i].returned()) continue;
    if (std::optional<std::string> v = model.needs(ops[i])) consumers[*v].push_back(i);
  }
  if (consumers.empty()) return std::nullopt;
  const std::string init = model.init(ops[part.front()].key);
  std::optional<Refutation> first;
  for (auto& [v, needing] : consumers) {
    const std::optional<Needed> n = prepare(ops, part, model, v, steps, max_steps);
    if (!n) break;  // out of budget: what was found stands, the rest is the search's
    std::stable_sort(needing.begin(), needing.end(), [&](std::size_t a, std::size_t b) {
      return ops[a].invoke_at < ops[b].invoke_at;
    });
    std::optional<Refutation> r = refute_needing(ops, model, v, init, *n, needing);
    if (r && (!first || earlier(ops, *r, *first))) first = std::move(r);
  }
  return first;
}

}  // namespace faultline::sim::detail
