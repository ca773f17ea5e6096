// History: what happened in a run, in the manner of Jepsen.
//
// Every operation of interest is recorded when it is invoked and again when it completes: ok,
// fail (certainly did not happen) or unknown (may have happened; Jepsen's "info"). Faults and
// other remarks are recorded as notes. Checkers read histories; the timeline printer renders
// them. Every operation and note is also mixed into the World's trace, so the trace hash covers
// outcomes.
//
// Spans are the one exception: an interval a process holds something over (a lease's validity,
// from the acquire's return to its valid_until; on a server, what it granted, from the grant to
// its expiry or release), recorded for renderings only. Any family may
// record them; they are derived from what operations already returned, so they are not mixed
// into the trace: recording spans, or not, never changes a run's trace hash.
//
// Thread-safety: none (belongs to one run).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faultline/sim/world.h"

namespace faultline::sim {

enum class OpStatus { kPending, kOk, kFail, kUnknown };

[[nodiscard]] const char* to_string(OpStatus status) noexcept;

struct Operation {
  std::size_t id = 0;
  ProcessId process = 0;
  std::string name;    // "acquire", "write", ...
  std::string input;   // human-readable arguments
  std::string output;  // human-readable result, filled at completion
  SimTime invoked{};
  SimTime completed{};
  OpStatus status = OpStatus::kPending;
  std::uint64_t invoke_seq = 0;    // order among all records, for the timeline
  std::uint64_t complete_seq = 0;
};

struct Note {
  SimTime at{};
  ProcessId process = 0;  // kWorldProcess for world-wide notes
  std::string text;
  std::uint64_t seq = 0;
};

struct Span {
  ProcessId process = 0;
  std::string label;  // "lease token=7", ...
  SimTime from{};
  SimTime to{};  // >= from
  // The operation that began it (an acquire), if any: the witness shows the span beside it.
  std::optional<std::size_t> operation;
};

class History {
 public:
  explicit History(World& world) : world_(world) {}

  // Records an invocation by `process`; returns the operation's id.
  std::size_t invoke(ProcessId process, std::string name, std::string input = {});
  // Records the completion of operation `id` (which must be pending).
  void complete(std::size_t id, OpStatus status, std::string output = {});
  void note(ProcessId process, std::string text);
  // Records that `process` holds `label` over [from, to] in true time (`to` may lie in the
  // future, past the run's end), begun by `operation` if given (an id invoke() returned).
  // Not mixed into the trace (see above). Requires from <= to.
  void span(ProcessId process, std::string label, SimTime from, SimTime to,
            std::optional<std::size_t> operation = std::nullopt);

  [[nodiscard]] const std::vector<Operation>& operations() const noexcept { return ops_; }
  [[nodiscard]] const std::vector<Note>& notes() const noexcept { return notes_; }
  [[nodiscard]] const std::vector<Span>& spans() const noexcept { return spans_; }
  [[nodiscard]] World& world() noexcept { return world_; }

 private:
  World& world_;
  std::vector<Operation> ops_;
  std::vector<Note> notes_;
  std::vector<Span> spans_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace faultline::sim
