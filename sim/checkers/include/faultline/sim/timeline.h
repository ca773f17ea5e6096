// Timeline: a run's history rendered for a person, in order of occurrence.
//
//   0.412031s  client-2   acquire                 -> ok token=7
//   0.950000s  client-2   !! at 0.950s pause client-2 for 1.200s
//
// Each operation shows at its completion with the time it was invoked; notes (faults) show as
// they happen, marked "!!".
//
// A violation's witness (render_witness) comes first in a replay: the few operations that make
// the violation and the faults among them, then the full timeline (render_replay_timeline).
//
// All functions only read the history (the World is used for process names and the current
// time); none changes the run or its trace. Thread-safety: none (the history's own).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "faultline/sim/history.h"

namespace faultline::sim {

[[nodiscard]] std::string render_timeline(History& history);

// At most this many lines in a witness.
inline constexpr std::size_t kWitnessMaxLines = 20;

// The witness of a violation: the operations `ops` (history ids; ids out of range and repeats
// are ignored) in order of completion, each with the span it began (History::span: a lease's
// validity) if any; the end of such a span when it falls inside the witness's window; and the
// notes (faults) recorded inside that window, from the invocation of the earliest operation to
// the completion of the last (the run's end for one never completed), that concern them: notes
// on the operations' own processes, on the world, or on a process that invoked no operation at
// all (a server: its crash, restart, outage, data loss). Notes are marked "!!", span ends "--".
// At most kWitnessMaxLines lines: the operations and span ends always, then the notes, those on
// the operations' processes first; what did not fit is counted on the last line. Empty when
// `ops` names no operation.
[[nodiscard]] std::string render_witness(History& history, std::span<const std::size_t> ops);

// What a replay prints. With a witness (render_witness not empty): "witness: <kind>", the
// witness, a blank line, "timeline:" and the full timeline. Without one: the full timeline
// alone, as render_timeline gives it.
[[nodiscard]] std::string render_replay_timeline(History& history,
                                                 std::span<const std::size_t> witness,
                                                 std::string_view kind);

// A self-contained HTML page (inline CSS and script, no external resource): one lane per
// process (client lanes: the processes that invoked operations or hold a span an operation
// began; server lanes: the others; a "world" lane for world-wide notes), operations as bars from
// invoke to completion coloured by outcome, spans on client lanes (lease validity) as thin bars
// under them (class "hold"), spans on server lanes (what a server granted, until its expiry or
// release) as bars of their own (class "grant", the label as tooltip), notes as markers
// (server-side events labelled on their lane), the witness operations highlighted, their window
// shaded and every span that overlaps it highlighted too (class "witness"), a time axis with
// tick labels, and zoom (mouse wheel, drag to pan, buttons). Under the picture: the witness and the full text timeline. `title` is shown at the
// top. The script sets document.body.dataset.rendered to "ok" once drawn, or to "error: ..."
// when a script error occurs.
[[nodiscard]] std::string render_timeline_html(History& history, const std::string& title,
                                               std::span<const std::size_t> witness);

}  // namespace faultline::sim
