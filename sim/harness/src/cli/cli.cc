#include "faultline/harness/cli.h"

namespace faultline::harness {

int run_cli(int argc, char** argv, const Catalogue& catalogue, const CliOptions& options) {
  CLI::App app{options.description};
  app.require_subcommand(1);
  const cli::Context context{catalogue, options.program.empty() && argc > 0
                                            ? std::string(argv[0])
                                            : options.program};
  std::vector<cli::Command> commands = {cli::list_command(),    cli::run_command(),
                                        cli::replay_command(),  cli::explore_command(),
                                        cli::merge_command(),   cli::check_command()};
  commands.insert(commands.end(), options.extra_commands.begin(), options.extra_commands.end());
  const auto added = cli::add_commands(app, commands, context);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::kExitAsExpected : cli::kExitUsage;
  }
  const cli::Run* run = cli::chosen(added);
  return run != nullptr ? (*run)() : cli::kExitUsage;  // require_subcommand(1): always one
}

}  // namespace faultline::harness
