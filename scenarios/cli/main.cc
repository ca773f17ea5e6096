// faultline: the harness's command line over the built-in catalogue, plus `study` and `limit`.
//
//   faultline list
//   faultline run PATTERN [--seeds N] [--seed S] [--jobs J] [--shard I/N|auto] [--swarm] [--json]
//   faultline replay SCENARIO --seed S [--swarm] [--shrink] [--plan FILE] [--html FILE]
//   faultline explore PATTERN --for DURATION --out DIR [--jobs J]
//   faultline merge [--json] FILE...
//   faultline check --model cas-register|kv|mutex FILE [--max-steps N]
//   faultline study NAME [options]        (studies.cc lists the studies)
//   faultline limit --policy SPEC --trace FILE [--json]   (limit.cc: rate-limit trace replay)
//
// Exit statuses are the harness's (faultline/harness/cli.h).
#include "faultline/harness/cli.h"
#include "scenarios/cli/commands.h"
#include "scenarios/framework/catalogue.h"

int main(int argc, char** argv) {
  namespace harness = faultline::harness;
  const harness::Catalogue catalogue = faultline::scenarios::catalogue();
  harness::CliOptions options;
  options.program = "faultline";
  options.description =
      "faultline: distributed-systems patterns under a deterministic, fault-injecting simulator";
  options.extra_commands = {faultline::scenarios::cli::study_command(),
                            faultline::scenarios::cli::limit_command()};
  return harness::run_cli(argc, argv, catalogue, options);
}
