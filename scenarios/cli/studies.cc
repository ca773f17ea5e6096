// The registry of studies: `faultline study NAME` runs the one named here. A study is a Command
// (a name, a description and its Declare, in a file of its own); adding one is that file and one
// line below.
#include "scenarios/cli/commands.h"

namespace faultline::scenarios::cli {

std::span<const Command> studies() {
  static const Command kStudies[] = {
      backoff_study(),
      swarm_study(),
  };
  return kStudies;
}

}  // namespace faultline::scenarios::cli
