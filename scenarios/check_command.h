// `faultline check --model cas-register|kv|mutex FILE`: is a recorded history linearizable?
//
// The file's format is detected from its content (Jepsen log lines, EDN maps or faultline's JSON
// lines; see sim/history_formats.h). Exit status: 0 linearizable; 1 not linearizable (the
// longest linearizable prefix and the operation that could not be linearized next are printed
// to `out`); 2 unreadable input, unknown model or invalid operations (the line number and what
// was expected there go to `err`); 3 unknown (the step budget ran out).
//
// Thread-safety: reentrant; writes only to the given streams.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "faultline/sim/linearizability.h"

namespace faultline::scenarios {

inline constexpr int kCheckLinearizable = 0;
inline constexpr int kCheckNotLinearizable = 1;
inline constexpr int kCheckBadInput = 2;
inline constexpr int kCheckUnknown = 3;

[[nodiscard]] int run_check(const std::string& model, const std::string& file, std::ostream& out,
                            std::ostream& err, const sim::CheckOptions& options = {});

}  // namespace faultline::scenarios
