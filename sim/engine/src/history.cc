#include "faultline/sim/history.h"

#include "faultline/invariant.h"

namespace faultline::sim {

const char* to_string(OpStatus status) noexcept {
  switch (status) {
    case OpStatus::kPending: return "pending";
    case OpStatus::kOk: return "ok";
    case OpStatus::kFail: return "fail";
    case OpStatus::kUnknown: return "unknown";
  }
  return "?";
}

std::size_t History::invoke(ProcessId process, std::string name, std::string input) {
  Trace& trace = world_.trace();
  trace.mix(process);
  trace.mix(name);
  trace.mix(input);
  // Built in place: a lock seed records a few hundred operations, and moving a finished one in
  // moved its three strings again.
  Operation& op = ops_.emplace_back();
  op.id = ops_.size() - 1;
  op.process = process;
  op.name = std::move(name);
  op.input = std::move(input);
  op.invoked = world_.now();
  op.invoke_seq = next_seq_++;
  return op.id;
}

void History::complete(std::size_t id, OpStatus status, std::string output) {
  FAULTLINE_INVARIANT(id < ops_.size(), "complete() names an operation that invoke() recorded");
  Operation& op = ops_[id];
  FAULTLINE_INVARIANT(op.status == OpStatus::kPending, "an operation completes once");
  FAULTLINE_INVARIANT(status != OpStatus::kPending,
                      "a completion is ok, fail or unknown, never pending");
  op.status = status;
  op.output = std::move(output);
  op.completed = world_.now();
  op.complete_seq = next_seq_++;
  Trace& trace = world_.trace();
  trace.mix(id);
  trace.mix(static_cast<std::uint64_t>(status));
  trace.mix(op.output);
}

void History::note(ProcessId process, std::string text) {
  world_.trace().mix(text);
  notes_.push_back(Note{world_.now(), process, std::move(text), next_seq_++});
}

void History::span(ProcessId process, std::string label, SimTime from, SimTime to,
                   std::optional<std::size_t> operation) {
  FAULTLINE_INVARIANT(from <= to, "a span ends no earlier than it begins");
  FAULTLINE_INVARIANT(!operation || *operation < ops_.size(),
                      "a span's operation is one that invoke() recorded");
  // Deliberately not mixed into the trace: a rendering aid, derived from recorded outcomes.
  spans_.push_back(Span{process, std::move(label), from, to, operation});
}

}  // namespace faultline::sim
