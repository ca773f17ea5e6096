// The search: Wing & Gong's backtracking over a doubly linked list of call/return entries, with
// Lowe's memo of (set of linearized ops, model state) so that no configuration is explored
// twice, extended so that a configuration is not explored either when one with the same state,
// the same returned ops and fewer open ops was (linearizability_memo.h says why that is sound).
// Open operations (never returned) have a call entry and no return entry: they may be
// linearized anywhere after their call, and the search succeeds once every op that returned is
// linearized, so an open op may also never take effect. States are interned
// (linearizability_states.h) and transitions cached (linearizability_transitions.h).
#include "faultline/sim/linearizability.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <tuple>
#include <unordered_map>
#include <memory>

#include <fmt/format.h>

#include "faultline/invariant.h"
#include "linearizability_memo.h"
#include "linearizability_refute.h"
#include "linearizability_states.h"
#include "linearizability_transitions.h"

namespace faultline::sim {

std::string to_string(const Datum& d) {
  if (std::holds_alternative<std::monostate>(d)) return "nil";
  if (const auto* i = std::get_if<std::int64_t>(&d)) return std::to_string(*i);
  return fmt::format("\"{}\"", std::get<std::string>(d));
}

std::string describe(const LinOp& op) {
  std::string args;
  for (const Datum& d : op.input) {
    if (!args.empty()) args += ", ";
    args += to_string(d);
  }
  std::string text = fmt::format("process {}: ", op.process);
  if (!op.key.empty()) text += fmt::format("[key \"{}\"] ", op.key);
  text += fmt::format("{}({}) -> ", op.f, args);
  if (op.returned()) {
    text += to_string(op.output);
    text += fmt::format(" [{}..{}]", op.invoke_at, *op.return_at);
  } else {
    text += fmt::format("? [{}..never returned]", op.invoke_at);
  }
  return text;
}

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::kLinearizable: return "linearizable";
    case Verdict::kNotLinearizable: return "not linearizable";
    case Verdict::kUnknown: return "unknown";
  }
  return "?";
}

std::vector<std::vector<std::size_t>> Model::partition(std::span<const LinOp> ops) const {
  std::vector<std::vector<std::size_t>> parts;
  std::unordered_map<std::string_view, std::size_t> part_of;  // key -> part, first appearance
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto [it, added] = part_of.try_emplace(ops[i].key, parts.size());
    if (added) parts.emplace_back();
    parts[it->second].push_back(i);
  }
  return parts;
}

std::string Model::describe_state(std::string_view state) const { return std::string(state); }

std::optional<std::string> Model::needs(const LinOp& /*op*/) const { return std::nullopt; }
bool Model::can_set(const LinOp& /*op*/, std::string_view /*state*/) const { return true; }

Model::Step Model::step_into(std::string_view state, const LinOp& op, std::string& next) const {
  std::optional<std::string> stepped = step(state, op);
  if (!stepped) return Step::kRefused;
  if (*stepped == state) return Step::kUnchanged;
  next = std::move(*stepped);
  return Step::kChanged;
}

namespace {

constexpr std::size_t kNil = std::numeric_limits<std::size_t>::max();

std::uint64_t mix64(std::uint64_t x) noexcept {  // splitmix64's finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Entry {
  std::size_t op = kNil;     // local op index; kNil for the head sentinel
  bool is_call = false;
  std::size_t match = kNil;  // a call's return entry; kNil when the op never returned
  std::size_t prev = kNil;
  std::size_t next = kNil;
};

enum class PartOutcome { kLinearizable, kNotLinearizable, kPaused };

// The search over one part, resumable: run() takes a slice of the step budget and may be called
// again where it stopped, so that parts can be searched round-robin (a violation in a cheap part
// is found even when another part's search is expensive; Porcupine runs parts in parallel for
// the same reason). Deterministic for a given sequence of slices.
class PartSearch {
 public:
  PartSearch(std::span<const LinOp> all, const std::vector<std::size_t>& part, const Model& model)
      : all_(all),
        part_(part),
        model_(model),
        memo_(0, 0) {
    build_entries();
    linearized_.assign((returned_count_ + 63) / 64, 0);
    open_linearized_.assign((part_.size() - returned_count_ + 63) / 64, 0);
    memo_ = detail::MemoTable(linearized_.size(), open_linearized_.size());
    state_ = states_.intern(model_.init(all_[part_.front()].key));
    remaining_ = returned_count_;
    e_ = entries_[0].next;
  }

  // Runs until a verdict or until `steps` reaches `step_limit`.
  PartOutcome run(std::uint64_t& steps, std::uint64_t step_limit) {
    while (remaining_ > 0) {
      // Every unlinearized returned op has its return entry in the list, after its call.
      assert(e_ != kNil);
      Entry& entry = entries_[e_];
      if (entry.is_call) {
        if (steps >= step_limit) return PartOutcome::kPaused;
        ++steps;
        if (try_linearize(entry)) {
          e_ = entries_[0].next;
        } else {
          e_ = entry.next;
        }
        continue;
      }
      // A return entry: its op was not linearized before it returned. The deepest such point
      // is the failure report (there, no candidate could step: a deeper state would exist).
      if (!recorded_ || stack_.size() > prefix_.size()) {
        recorded_ = true;
        prefix_.clear();
        for (const Frame& f : stack_) prefix_.push_back(entries_[f.entry].op);
        stuck_ = entry.op;
        stuck_state_ = model_.describe_state(states_.get(state_));
      }
      if (stack_.empty()) return PartOutcome::kNotLinearizable;
      backtrack();
    }
    return PartOutcome::kLinearizable;
  }

  // The failure report (valid after kNotLinearizable): local indices.
  [[nodiscard]] const std::vector<std::size_t>& prefix() const { return prefix_; }
  [[nodiscard]] std::size_t stuck() const { return stuck_; }
  [[nodiscard]] const std::string& stuck_state() const { return stuck_state_; }

 private:
  struct Frame {
    std::size_t entry;
    std::uint32_t state_before;
  };

  // Steps the call entry's op from the current state; on success with a configuration not seen
  // before, linearizes it (lifts it out of the list) and returns true.
  bool try_linearize(Entry& entry) {
    const std::uint32_t new_state = next_state(entry.op);
    if (new_state == detail::TransitionCache::kRefused) return false;
    std::uint64_t& word = bit_word(entry.op);
    const std::uint64_t bit = bit_of(entry.op);
    assert((word & bit) == 0);
    word |= bit;
    const std::uint64_t new_set_hash = set_hash_ ^ op_keys_[entry.op];
    if (!memo_.insert(linearized_, open_linearized_, new_state,
                      new_set_hash ^ mix64(0xA5A5A5A5ULL + new_state))) {
      word &= ~bit;
      return false;
    }
    stack_.push_back(Frame{static_cast<std::size_t>(&entry - entries_.data()), state_});
    state_ = new_state;
    set_hash_ = new_set_hash;
    lift(stack_.back().entry);
    if (entry.match != kNil) --remaining_;
    return true;
  }

  // The state `op` leaves from the current one (kRefused: it cannot take effect there).
  std::uint32_t next_state(std::size_t op) {
    if (cache_on_) {
      if (const std::optional<std::uint32_t> known = transitions_.find(state_, op)) {
        return *known;
      }
    }
    std::uint32_t id = detail::TransitionCache::kRefused;
    switch (model_.step_into(states_.get(state_), all_[part_[op]], scratch_)) {
      case Model::Step::kRefused: break;
      case Model::Step::kUnchanged: id = state_; break;
      case Model::Step::kChanged: id = states_.intern(scratch_); break;
    }
    if (cache_on_) remember(op, id);
    return id;
  }
  // The cache pays when states recur (a register's few values); when most steps make a new state
  // (a growing string of appends) it only costs. So after a trial it stays on only if the states
  // are few beside the transitions met. Speed only: the answers are the model's either way.
  void remember(std::size_t op, std::uint32_t id) {
    constexpr std::size_t kTrial = 4096;
    transitions_.add(state_, op, id);
    if (transitions_.size() == kTrial && states_.size() * 8 > kTrial) {
      cache_on_ = false;
      transitions_ = detail::TransitionCache();
    }
  }

  void backtrack() {
    const Frame top = stack_.back();
    stack_.pop_back();
    Entry& undone = entries_[top.entry];
    state_ = top.state_before;
    bit_word(undone.op) &= ~bit_of(undone.op);
    set_hash_ ^= op_keys_[undone.op];
    unlift(top.entry);
    if (undone.match != kNil) ++remaining_;
    e_ = undone.next;
  }

  void build_entries() {
    struct Event {
      std::uint64_t at;
      int kind;  // 0 call, 1 return: at equal positions calls come first (overlap)
      std::size_t op;
    };
    std::vector<Event> events;
    events.reserve(part_.size() * 2);
    std::size_t open_count = 0;
    for (std::size_t i = 0; i < part_.size(); ++i) {
      const LinOp& op = all_[part_[i]];
      events.push_back(Event{op.invoke_at, 0, i});
      if (op.returned()) {
        events.push_back(Event{*op.return_at, 1, i});
        bit_index_.push_back(returned_count_++);
        op_keys_.push_back(mix64(i + 1));  // the memo's hash covers the returned ops only
      } else {
        bit_index_.push_back(open_count++);
        op_keys_.push_back(0);
      }
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return std::tie(a.at, a.kind, a.op) < std::tie(b.at, b.kind, b.op);
    });
    entries_.resize(events.size() + 1);  // [0] is the head sentinel
    std::vector<std::size_t> call_entry(part_.size(), kNil);
    for (std::size_t k = 0; k < events.size(); ++k) {
      Entry& en = entries_[k + 1];
      en.op = events[k].op;
      en.is_call = events[k].kind == 0;
      en.prev = k;
      en.next = k + 2 <= events.size() ? k + 2 : kNil;
      if (en.is_call) {
        call_entry[en.op] = k + 1;
      } else {
        assert(call_entry[en.op] != kNil);  // return_at >= invoke_at was validated
        entries_[call_entry[en.op]].match = k + 1;
      }
    }
    entries_[0].next = events.empty() ? kNil : 1;
  }

  // An op's bit: among the returned ops' bits, or among the open ops' (the memo tells them apart).
  std::uint64_t& bit_word(std::size_t op) {
    std::vector<std::uint64_t>& bits = all_[part_[op]].returned() ? linearized_ : open_linearized_;
    return bits[bit_index_[op] / 64];
  }
  std::uint64_t bit_of(std::size_t op) const { return std::uint64_t{1} << (bit_index_[op] % 64); }

  void unlink(std::size_t i) {
    Entry& en = entries_[i];
    entries_[en.prev].next = en.next;
    if (en.next != kNil) entries_[en.next].prev = en.prev;
  }
  void relink(std::size_t i) {
    Entry& en = entries_[i];
    entries_[en.prev].next = i;
    if (en.next != kNil) entries_[en.next].prev = i;
  }
  // Removes a call entry and its return entry; `unlift` undoes the most recent `lift`.
  void lift(std::size_t call) {
    unlink(call);
    if (entries_[call].match != kNil) unlink(entries_[call].match);
  }
  void unlift(std::size_t call) {
    if (entries_[call].match != kNil) relink(entries_[call].match);
    relink(call);
  }

  std::span<const LinOp> all_;
  const std::vector<std::size_t>& part_;
  const Model& model_;
  std::vector<Entry> entries_;  // [0] is the head sentinel
  std::vector<std::uint64_t> op_keys_;    // Zobrist keys (0 for open ops)
  std::vector<std::size_t> bit_index_;    // per op, its bit among the returned or the open ops
  std::size_t returned_count_ = 0;
  detail::StateTable states_;
  detail::TransitionCache transitions_;
  bool cache_on_ = true;
  std::string scratch_;  // the model writes new states here (its capacity is reused)
  // The search position.
  std::vector<std::uint64_t> linearized_;       // returned ops linearized
  std::vector<std::uint64_t> open_linearized_;  // open ops linearized
  detail::MemoTable memo_;
  std::uint64_t set_hash_ = 0;
  std::uint32_t state_ = 0;
  std::size_t remaining_ = 0;  // returned ops not yet linearized
  std::vector<Frame> stack_;
  std::size_t e_ = kNil;
  // The deepest point, for the report.
  bool recorded_ = false;
  std::vector<std::size_t> prefix_;
  std::size_t stuck_ = kNil;
  std::string stuck_state_;
};

std::string explain(std::span<const LinOp> ops, const CheckResult& r) {
  std::string text = "not linearizable";
  if (!r.key.empty()) text += fmt::format(" (key \"{}\")", r.key);
  text += fmt::format(":\n  the longest linearizable prefix has {} operation{}{}\n",
                      r.longest_prefix.size(), r.longest_prefix.size() == 1 ? "" : "s",
                      r.longest_prefix.empty() ? "" : ", in order:");
  for (std::size_t k = 0; k < r.longest_prefix.size(); ++k) {
    text += fmt::format("    {:>4}. {}\n", k + 1, describe(ops[r.longest_prefix[k]]));
  }
  FAULTLINE_INVARIANT(r.stuck.has_value(), "a failed search records where it got stuck");
  text += fmt::format("  could not be linearized next: {}\n  (the state there was {}, and no "
                      "order of the operations still pending lets it take effect before it "
                      "returned)",
                      describe(ops[*r.stuck]), r.stuck_state);
  return text;
}

}  // namespace

namespace {

Result<void> validate_all(std::span<const LinOp> ops, const Model& model) {
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].return_at && *ops[i].return_at < ops[i].invoke_at) {
      return invalid_argument(fmt::format("operation {} ({}) returns before it was invoked", i,
                                          describe(ops[i])));
    }
    if (Result<void> valid = model.validate(ops[i]); !valid) {
      return invalid_argument(fmt::format("operation {} ({}): {}", i, describe(ops[i]),
                                          valid.error().message));
    }
  }
  return Ok{};
}

// The first part (in partition order) with an op that has no possible linearization point.
bool refute_parts(std::span<const LinOp> ops, const Model& model,
                  const std::vector<std::vector<std::size_t>>& parts, std::uint64_t max_steps,
                  CheckResult& result) {
  for (const std::vector<std::size_t>& part : parts) {
    std::optional<detail::Refutation> r =
        detail::refute(ops, part, model, result.steps, max_steps);
    if (!r) continue;
    result.verdict = Verdict::kNotLinearizable;
    result.refuted = true;
    result.key = ops[part.front()].key;
    result.stuck = r->op;
    result.stuck_state = r->state;
    result.explanation = fmt::format("not linearizable{}:\n  {} has no possible linearization "
                                     "point:\n  {}",
                                     result.key.empty() ? "" : fmt::format(" (key \"{}\")",
                                                                           result.key),
                                     describe(ops[r->op]), r->why);
    return true;
  }
  return false;
}

// Round-robin over the parts in slices of steps, so that one expensive part cannot use up the
// budget before a cheap part's violation is found.
void search_parts(std::span<const LinOp> ops, const Model& model,
                  const std::vector<std::vector<std::size_t>>& parts, std::uint64_t max_steps,
                  CheckResult& result) {
  constexpr std::uint64_t kSliceSteps = 4096;
  std::vector<std::unique_ptr<PartSearch>> active;
  std::vector<std::size_t> active_part;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    FAULTLINE_INVARIANT(!parts[p].empty(), "partitions are never empty");
    active.push_back(std::make_unique<PartSearch>(ops, parts[p], model));
    active_part.push_back(p);
  }
  while (!active.empty() && result.steps < max_steps) {
    for (std::size_t a = 0; a < active.size();) {
      const std::uint64_t limit = std::min(max_steps, result.steps + kSliceSteps);
      const PartOutcome outcome = active[a]->run(result.steps, limit);
      if (outcome == PartOutcome::kNotLinearizable) {
        const std::vector<std::size_t>& part = parts[active_part[a]];
        result.verdict = Verdict::kNotLinearizable;
        result.key = ops[part.front()].key;
        for (std::size_t local : active[a]->prefix()) result.longest_prefix.push_back(part[local]);
        result.stuck = part[active[a]->stuck()];
        result.stuck_state = active[a]->stuck_state();
        result.explanation = explain(ops, result);
        return;
      }
      if (outcome == PartOutcome::kLinearizable) {
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(a));
        active_part.erase(active_part.begin() + static_cast<std::ptrdiff_t>(a));
        continue;
      }
      ++a;
      if (result.steps >= max_steps) break;
    }
  }
  result.verdict = active.empty() ? Verdict::kLinearizable : Verdict::kUnknown;
}

}  // namespace

Result<CheckResult> check_linearizable(std::span<const LinOp> ops, const Model& model,
                                       const CheckOptions& options) {
  if (Result<void> valid = validate_all(ops, model); !valid) return valid.error();
  CheckResult result;
  const std::vector<std::vector<std::size_t>> parts = model.partition(ops);
  result.parts = parts.size();
  // Memo entries and state ids are 32-bit: at most one of each per step.
  const std::uint64_t max_steps = std::min<std::uint64_t>(options.max_steps, 0xFFFF'0000ULL);
  if (options.refute_first && refute_parts(ops, model, parts, max_steps, result)) return result;
  search_parts(ops, model, parts, max_steps, result);
  if (result.verdict == Verdict::kUnknown) {
    result.explanation = fmt::format(
        "unknown: the step budget ({} model steps) ran out before the search finished; raise "
        "max_steps or check a shorter history",
        options.max_steps);
  } else if (result.verdict == Verdict::kLinearizable) {
    result.explanation = fmt::format(
        "linearizable ({} operations, {} independent part{}, {} steps)", ops.size(), parts.size(),
        parts.size() == 1 ? "" : "s", result.steps);
  }
  return result;
}

}  // namespace faultline::sim
