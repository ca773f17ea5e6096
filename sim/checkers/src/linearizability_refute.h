// Rejecting a history before the search (linearizability.cc): an operation that returned and
// can be shown to have no possible linearization point, whatever order the others take.
//
// Contract
//   - refute() looks at one part (indices into `ops`) and returns the operation that cannot be
//     linearized, with why, or nullopt. It uses the model's needs() and can_set() and steps the
//     model (each step counts against `steps`, never past `max_steps`: when the budget runs out
//     it stops and says nothing). Cost: O(n log n) per distinct needed state, n = part size.
//   - Sound: it never rejects a linearizable history. The argument, for an operation c that
//     returned and needs the state V at its point t_c (model.needs(c) = V):
//       In a linearization, take the last operation p before t_c that changed the state. The
//       operations between p and c did not change it, so p changed it to V (model.can_set(p, V))
//       and p's point is after p's invocation, so p.invoke <= c.return. If there is no such p,
//       the state at t_c is the initial one, so it is V.
//       Every operation w that returned is linearized somewhere. If w is forced between p and c
//       (w invoked after p returned -- p open: never -- and w returned before c was invoked),
//       the state was V when w took effect and stayed V, so stepping w from V gives V. A w for
//       which the model refuses that step or changes the state ("blocks V") cannot be there.
//       Likewise with no p: a blocking w that returned before c was invoked comes before c,
//       where the state was still the initial one.
//     So, with L the latest invocation among blocking operations that returned before c was
//     invoked, a linearization needs p with can_set(p, V), p.invoke <= c.return and (no L or
//     p open or L <= p.return), or no L and the initial state V. When neither exists, no
//     linearization exists. The conditions are necessary ones only: what passes goes to the
//     search. Open operations may or may not take effect: they are candidates for p (from their
//     invocation on) but never block (they need not be linearized).
// Thread-safety: pure function of its inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "faultline/sim/linearizability.h"

namespace faultline::sim::detail {

struct Refutation {
  std::size_t op = 0;  // index into ops
  std::string state;   // the state it needs, for humans (Model::describe_state)
  std::string why;     // "it needs the state 99, which no operation invoked before it returned..."
};

// Of the operations refuted, the one that returned first (ties: the lowest index).
[[nodiscard]] std::optional<Refutation> refute(std::span<const LinOp> ops,
                                               const std::vector<std::size_t>& part,
                                               const Model& model, std::uint64_t& steps,
                                               std::uint64_t max_steps);

}  // namespace faultline::sim::detail
