// The fault kinds' descriptors: everything one kind knows, in one entry of one table.
//
// generate_plan, apply, to_string, parse_plan and shrink_candidates (fault_plan.cc) only look a
// kind up here; none of them switches on FaultKind. Private to sim/src.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/sim/fault_plan.h"
#include "faultline/sim/faults.h"

namespace faultline::sim::detail {

struct ApplyContext {
  Faults faults;
  History& history;
};

struct FaultKindInfo {
  FaultKind kind;
  // Its line, printed and parsed from this (fault_text.h lists the fields). Must start with
  // "at {at} " so a plan's lines read by time.
  std::string_view pattern;
  // Whether `space` admits the kind at all.
  bool (*admitted)(const FaultSpace& space);
  // Draws the kind's own fields (kind and `at` are already set). Must draw the same number of
  // values whatever the space's switches, so that spaces differ only in outcome.
  void (*draw)(Rng& rng, const FaultSpace& space, Fault& fault);
  // Schedules the fault in the world; `text` is its line, for the history.
  void (*apply)(const ApplyContext& context, const Fault& fault, std::string text);
  // Simpler variants, simplest first (see shrink_candidates).
  std::vector<Fault> (*shrink)(const Fault& fault);
};

// One entry per FaultKind, in enum order.
[[nodiscard]] std::span<const FaultKindInfo> fault_kinds();
[[nodiscard]] const FaultKindInfo& kind_info(FaultKind kind);

}  // namespace faultline::sim::detail
