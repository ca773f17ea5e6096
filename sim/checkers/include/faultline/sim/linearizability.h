// Linearizability checking of recorded histories (Wing & Gong's search with Lowe's memoisation,
// the approach Porcupine takes), for any sequential model of an object.
//
// Contract
//   - Input: a list of `LinOp` records (who, what, arguments, result, when invoked, when returned
//     or "never returned") and a `Model` (the sequential specification). The history is
//     linearizable when every operation that returned can be given a point between its
//     invocation and its return such that the model, applying the operations in the order of
//     their points, produces every recorded result. An operation that never returned is open
//     until the end of the history: it may have taken effect at any point after its invocation,
//     or not at all, and its result is unknown.
//   - Output: `CheckResult`: linearizable, not linearizable (with the longest prefix that could
//     be linearized and the operation that could not be linearized next, as text), or unknown
//     (the step budget ran out first). Malformed records (a return before the invocation, an
//     operation the model does not know) are a kInvalidArgument error, never a verdict.
//   - Bounded: at most `CheckOptions::max_steps` model steps over the whole check; memory grows
//     with the steps taken (one memo entry per successful step) and is freed on return. No wall
//     clock is read here: a caller that wants a time limit measures it and picks a step budget.
//   - Deterministic: the same input gives the same verdict, report and step count.
//   - Partitioning (Herlihy & Wing's locality, "P-compositionality" in Porcupine): a model may
//     split a history into independent sub-histories (e.g. per key); each is checked on its own
//     and the history is linearizable iff every part is.
//   - Rejection before the search (CheckOptions::refute_first): a part in which an operation
//     that returned has no possible linearization point -- it needs a state that no operation
//     could have set in time (a read of a value never written, or only overwritten before the
//     read began) -- is not linearizable, decided in a few steps per operation. Only what the
//     model states through needs() and can_set() is used, and the test is a necessary condition
//     (argued in src/linearizability_refute.h): a linearizable history is never rejected.
//
// Thread-safety: `check_linearizable` is reentrant; models are immutable after construction and
// may be shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "faultline/result.h"

namespace faultline::sim {

// One argument or result as histories write them: nil, an integer or a string.
using Datum = std::variant<std::monostate, std::int64_t, std::string>;

[[nodiscard]] std::string to_string(const Datum& d);  // nil, 42, "text" (quoted)

// One operation of a history, for the checker.
struct LinOp {
  std::uint64_t process = 0;  // the client that invoked it (reports only; not a constraint)
  std::string f;              // the operation: "read", "cas", "get", "acquire", ...
  std::string key;            // the object it addresses; "" for single-object histories
  std::vector<Datum> input;   // arguments: write {v}, cas {from, to}, append {s}, read {}
  Datum output;               // the result, when it returned (read's value, cas's "ok"/"fail")
  // Positions on one time line (history line numbers, sequence numbers, nanoseconds...). Only
  // their order matters; an invocation and a return at the same position count as overlapping.
  std::uint64_t invoke_at = 0;
  std::optional<std::uint64_t> return_at;  // nullopt: never returned (open, result unknown)

  [[nodiscard]] bool returned() const noexcept { return return_at.has_value(); }
};

// "process 3: cas(1, 4) -> ok [17..20]", "process 1: write(2) -> ? [5..never returned]".
[[nodiscard]] std::string describe(const LinOp& op);

// The sequential specification of an object.
//
// States are opaque byte strings that the model encodes: two states are equal iff their
// encodings are equal (so the encoding must be canonical), and the checker hashes the bytes.
// This keeps the checker generic and its memo table cheap (states are interned once).
class Model {
 public:
  virtual ~Model() = default;

  [[nodiscard]] virtual std::string_view name() const = 0;
  // kInvalidArgument when `op` is not an operation of this model (unknown f, wrong arguments or
  // result type). Called once per operation before checking.
  [[nodiscard]] virtual Result<void> validate(const LinOp& op) const = 0;
  // The state of object `key` before any operation.
  [[nodiscard]] virtual std::string init(std::string_view key) const = 0;
  // Applies `op` to `state`. Returns the new state if `op` may take effect there and produce its
  // recorded result; nullopt otherwise. For an open op (!op.returned()) any result is allowed.
  [[nodiscard]] virtual std::optional<std::string> step(std::string_view state,
                                                        const LinOp& op) const = 0;
  // step() as the search calls it, without allocating: kRefused (nullopt), kUnchanged (the new
  // state is `state`), or kChanged with the new state written into `next`, whose capacity is
  // reused from call to call (kChanged with the same bytes is allowed). Must agree with step();
  // the default calls it. Override when states are long (the search takes millions of steps).
  enum class Step { kRefused, kUnchanged, kChanged };
  [[nodiscard]] virtual Step step_into(std::string_view state, const LinOp& op,
                                       std::string& next) const;
  // Facts for rejecting a history before the search (a read of a value nothing could have
  // written). The defaults say nothing, which leaves every history to the search; an override
  // must be exact where it claims something, or verdicts go wrong:
  //   needs(op): the one state in which `op` (which returned) can take effect with its recorded
  //     result -- step(s, op) refuses every other s -- or nullopt when there is no such state.
  //   can_set(op, s): false only when `op` cannot change any other state into `s`, whether it
  //     returned or not.
  [[nodiscard]] virtual std::optional<std::string> needs(const LinOp& op) const;
  [[nodiscard]] virtual bool can_set(const LinOp& op, std::string_view state) const;
  // Independent sub-histories, as index lists into `ops` (each in increasing order, together
  // covering every op exactly once). Default: one part per distinct key.
  [[nodiscard]] virtual std::vector<std::vector<std::size_t>> partition(
      std::span<const LinOp> ops) const;
  // A state for humans, for failure reports. Default: the bytes.
  [[nodiscard]] virtual std::string describe_state(std::string_view state) const;
};

struct CheckOptions {
  // Upper bound on model steps across all parts (capped at 2^32 - 2^16); beyond it the verdict
  // is kUnknown. Memory: at most one memo entry and one cached transition per step, about
  // (ops in the part / 64 + 6) * 8 bytes together, plus the distinct model states' bytes.
  // Porcupine's 102 etcd histories take 0.88 million steps in all (the largest 0.47 million);
  // its kv histories at most 0.81 million (of which 0.07 million before the search).
  std::uint64_t max_steps = 10'000'000;
  // Before searching a part, look for an operation that returned and has no possible
  // linearization point (Model::needs and can_set; sound: never rejects a linearizable history).
  // Such histories are rejected in a few steps per operation where the search could run out of
  // budget. Off: the search alone decides (to compare the two).
  bool refute_first = true;
};

enum class Verdict { kLinearizable, kNotLinearizable, kUnknown };
[[nodiscard]] const char* to_string(Verdict v) noexcept;

struct CheckResult {
  Verdict verdict = Verdict::kUnknown;
  std::uint64_t steps = 0;  // model steps taken (the budget measure)
  std::size_t parts = 0;    // independent sub-histories checked
  bool refuted = false;     // not linearizable, decided before the search (refute_first)

  // When kNotLinearizable (about the first failing part, in partition order; when refuted, the
  // prefix is empty, `stuck` is the operation with no possible linearization point and
  // `stuck_state` the state it needed):
  std::string key;                        // the failing part's key
  std::vector<std::size_t> longest_prefix;  // indices into the input ops, linearization order
  std::optional<std::size_t> stuck;       // the op that could not be linearized next
  std::string stuck_state;                // the model state it met (describe_state)
  // A report for humans: the prefix, the stuck op and the state (or why the verdict is unknown).
  std::string explanation;

  [[nodiscard]] bool linearizable() const noexcept { return verdict == Verdict::kLinearizable; }
};

// Checks `ops` against `model`. Errors: kInvalidArgument (with the op's index) when an op is
// rejected by model.validate or returns before it was invoked.
[[nodiscard]] Result<CheckResult> check_linearizable(std::span<const LinOp> ops,
                                                     const Model& model,
                                                     const CheckOptions& options = {});

}  // namespace faultline::sim
