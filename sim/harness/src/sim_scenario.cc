#include "faultline/harness/sim_scenario.h"

#include "faultline/sim/timeline.h"

namespace faultline::harness {

RunResult finish_run(const std::string& name, std::uint64_t seed, sim::Topology& topology,
                     sim::History& history, std::optional<Violation> violation,
                     const RunOptions& options) {
  RunResult result;
  result.seed = seed;
  result.violation = std::move(violation);
  result.trace_hash = topology.world().trace().hash();
  result.events = topology.world().events_run();
  result.finished_at = topology.world().now();
  const std::vector<std::size_t> witness =
      result.violation ? result.violation->witness : std::vector<std::size_t>{};
  if (options.timeline) {
    result.timeline = sim::render_replay_timeline(
        history, witness, result.violation ? kind_of(*result.violation) : std::string());
  }
  if (options.html) {
    result.html = sim::render_timeline_html(
        history,
        fmt::format("{} seed {:#x}: {}", name, seed,
                    result.violation ? result.violation->message : "invariant held"),
        witness);
  }
  return result;
}

}  // namespace faultline::harness
