// Timeline: a run's history rendered for a person, in order of occurrence.
//
//   0.412031s  client-2   acquire                 -> ok token=7
//   0.950000s  client-2   !! at 0.950s pause client-2 for 1.200s
//
// Each operation shows at its completion with the time it was invoked; notes (faults) show as
// they happen, marked "!!".
#pragma once

#include <string>

#include "faultline/sim/history.h"

namespace faultline::sim {

[[nodiscard]] std::string render_timeline(History& history);

// A self-contained HTML page: one lane per process, operations as bars from invoke to
// completion coloured by outcome, faults marked, and `highlight` (an operation id, if any)
// outlined in red. `title` is shown at the top.
[[nodiscard]] std::string render_timeline_html(History& history, const std::string& title,
                                               std::ptrdiff_t highlight);

}  // namespace faultline::sim
