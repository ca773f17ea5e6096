// inventory-sim: the inventory scenarios behind faultline's command line (list, run, replay,
// explore, merge, check). Replay commands name this binary by the path it was started with,
// made absolute, so they can be pasted from any directory (a bare name was found on PATH).
#include <filesystem>
#include <string>

#include "faultline/harness/cli.h"
#include "scenarios.h"

int main(int argc, char** argv) {
  faultline::harness::Catalogue catalogue;
  inventory::add_scenarios(catalogue);
  faultline::harness::CliOptions options;
  options.program = argc > 0 ? argv[0] : "inventory-sim";
  if (options.program.find('/') != std::string::npos) {
    options.program = std::filesystem::absolute(options.program).lexically_normal().string();
  }
  return faultline::harness::run_cli(argc, argv, catalogue, options);
}
