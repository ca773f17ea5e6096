// The commands of `faultline`, one file each under scenarios/cli/ (main.cc lists them), and the
// studies `faultline study NAME` can run (studies.cc lists them).
#pragma once

#include <span>

#include "scenarios/cli/command.h"

namespace faultline::scenarios::cli {

// faultline list
[[nodiscard]] Command list_command();
// faultline run SCENARIO|all [--seeds N] [--seed S] [--jobs J] [--json]
[[nodiscard]] Command run_command();
// faultline replay SCENARIO --seed S [--shrink] [--plan FILE] [--html FILE]
[[nodiscard]] Command replay_command();
// faultline check --model cas-register|kv|mutex FILE [--max-steps N]
[[nodiscard]] Command check_command();
// faultline study NAME [the study's own options]
[[nodiscard]] Command study_command();

// The studies, by name: adding one is a Command (its file) and one entry in studies().
[[nodiscard]] std::span<const Command> studies();
// faultline study backoff [--trials N] [--clients FROM:TO:STEP] [--jobs J] [--json]
[[nodiscard]] Command backoff_study();

}  // namespace faultline::scenarios::cli
