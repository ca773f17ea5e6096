// The commands `faultline` adds to the harness's command line (faultline/harness/cli.h has
// list, run, replay, explore, merge and check): the studies `faultline study NAME` runs
// (studies.cc lists them) and `faultline limit`, the rate-limit trace replay.
#pragma once

#include <span>

#include "faultline/harness/cli_command.h"

namespace faultline::scenarios::cli {

// The harness's command vocabulary (Command, Run, exit statuses, shared options), as ours.
using namespace harness::cli;  // NOLINT(google-build-using-namespace): one namespace, extended

// faultline study NAME [the study's own options]
[[nodiscard]] Command study_command();

// faultline limit --policy SPEC --trace FILE [--json] (limit.cc)
[[nodiscard]] Command limit_command();

// The studies, by name: adding one is a Command (its file) and one entry in studies().
[[nodiscard]] std::span<const Command> studies();
// faultline study backoff [--trials N] [--clients FROM:TO:STEP] [--jobs J] [--json]
[[nodiscard]] Command backoff_study();
// faultline study swarm [PATTERN] [--trials N] [--max-seeds M] [--jobs J] [--json]
[[nodiscard]] Command swarm_study();

}  // namespace faultline::scenarios::cli
