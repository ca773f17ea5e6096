#include "faultline/harness/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace faultline::harness {
namespace {

using nlohmann::json;

std::string hex(std::uint64_t value) { return fmt::format("{:#x}", value); }

std::uint64_t parse_hex(const std::string& text) {
  std::size_t used = 0;
  const std::uint64_t value = std::stoull(text, &used, 0);
  if (used != text.size()) throw std::invalid_argument("not a number: " + text);
  return value;
}

json violation_json(const FoundViolation& v) {
  return {{"seed", hex(v.seed)},         {"seeds_until_found", v.index + 1},
          {"violation", v.message},      {"kind", v.kind},
          {"shrunk_plan", v.shrunk_plan}, {"shrink_runs", v.shrink_runs},
          {"replay", v.replay}};
}

FoundViolation violation_from(const json& j) {
  FoundViolation v;
  v.seed = parse_hex(j.at("seed").get<std::string>());
  v.index = j.at("seeds_until_found").get<std::uint64_t>() - 1;
  v.message = j.at("violation").get<std::string>();
  v.kind = j.value("kind", std::string());
  v.shrunk_plan = j.at("shrunk_plan").get<std::string>();
  v.shrink_runs = j.value("shrink_runs", 0);
  v.replay = j.at("replay").get<std::string>();
  return v;
}

ScenarioReport report_from(const json& j) {
  ScenarioReport r;
  r.scenario = j.at("scenario").get<std::string>();
  const std::string expect = j.at("expect").get<std::string>();
  if (expect != "holds" && expect != "violation_found") {
    throw std::invalid_argument("expect: '" + expect + "' is neither holds nor violation_found");
  }
  r.expect = expect == "holds" ? Expect::kHolds : Expect::kViolationFound;
  r.first_seed = parse_hex(j.at("first_seed").get<std::string>());
  r.seeds = j.at("seeds").get<std::uint64_t>();
  auto shard = parse_shard(j.at("shard").get<std::string>(), [](const char*) { return nullptr; });
  if (auto* error = std::get_if<std::string>(&shard)) throw std::invalid_argument(*error);
  r.shard = std::get<Shard>(shard);
  r.swarm = j.at("swarm").get<bool>();
  r.seeds_run = j.at("seeds_run").get<std::uint64_t>();
  r.events = j.value("events", std::uint64_t{0});
  r.wall_seconds = j.value("wall_seconds", 0.0);
  if (j.at("verdict").get<std::string>() == "violated") r.violation = violation_from(j);
  return r;
}

// Refuses shards of one scenario that belong to different sweeps, repeat or miss a shard.
std::optional<std::string> check_shards(const std::vector<const ScenarioReport*>& shards) {
  const ScenarioReport& a = *shards.front();
  std::vector<bool> seen(a.shard.count, false);
  for (const ScenarioReport* r : shards) {
    if (r->first_seed != a.first_seed || r->seeds != a.seeds || r->swarm != a.swarm ||
        r->shard.count != a.shard.count || r->expect != a.expect) {
      return fmt::format("{}: shard {}/{} is of another sweep than shard {}/{} (first seed, seeds, "
                         "shard count, swarm or expectation differ)",
                         a.scenario, r->shard.index, r->shard.count, a.shard.index, a.shard.count);
    }
    if (seen[r->shard.index]) {
      return fmt::format("{}: shard {}/{} given twice", a.scenario, r->shard.index, r->shard.count);
    }
    seen[r->shard.index] = true;
  }
  for (std::uint64_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) return fmt::format("{}: shard {}/{} is missing", a.scenario, i, a.shard.count);
  }
  return std::nullopt;
}

ScenarioReport merge_one(const std::vector<const ScenarioReport*>& shards) {
  ScenarioReport merged = *shards.front();
  merged.shard = Shard{};
  merged.seeds_run = merged.events = 0;
  merged.wall_seconds = 0;
  merged.violation.reset();
  for (const ScenarioReport* r : shards) {
    merged.seeds_run += r->seeds_run;
    merged.events += r->events;
    merged.wall_seconds = std::max(merged.wall_seconds, r->wall_seconds);
    if (r->violation && (!merged.violation || r->violation->index < merged.violation->index)) {
      merged.violation = r->violation;
    }
  }
  return merged;
}

}  // namespace

std::string replay_command(const std::string& program, const std::string& scenario,
                           std::uint64_t seed, bool swarm) {
  return fmt::format("{} replay '{}' --seed {}{}", program, scenario, hex(seed),
                     swarm ? " --swarm" : "");
}

ScenarioReport make_report(const Scenario& scenario, const SweepOptions& options,
                           const SweepResult& sweep, const std::string& program) {
  ScenarioReport r;
  r.scenario = scenario.name();
  r.expect = scenario.expect();
  r.first_seed = options.first;
  r.seeds = options.count;
  r.shard = options.shard;
  r.swarm = options.swarm;
  r.seeds_run = sweep.seeds_run;
  r.events = sweep.events;
  r.wall_seconds = sweep.wall_seconds;
  if (!sweep.first_violation) return r;
  const RunResult& found = *sweep.first_violation;
  const Shrunk shrunk = shrink(scenario, found.seed, plan_for(scenario, found.seed, options.swarm));
  r.violation = FoundViolation{found.seed,
                               sweep.first_violation_index,
                               found.violation->message,
                               kind_of(*found.violation),
                               shrunk.plan.to_string(),
                               shrunk.runs,
                               replay_command(program, scenario.name(), found.seed, options.swarm)};
  return r;
}

std::string to_json(const ScenarioReport& r) {
  json j = {{"scenario", r.scenario},
            {"expect", r.expect == Expect::kHolds ? "holds" : "violation_found"},
            {"verdict", r.violation ? "violated" : "held"},
            {"as_expected", r.as_expected()},
            {"first_seed", hex(r.first_seed)},
            {"seeds", r.seeds},
            {"shard", fmt::format("{}/{}", r.shard.index, r.shard.count)},
            {"swarm", r.swarm},
            {"seeds_run", r.seeds_run},
            {"events", r.events},
            {"wall_seconds", r.wall_seconds},
            {"seeds_per_second",
             static_cast<double>(r.seeds_run) / std::max(r.wall_seconds, 1e-9)}};
  if (r.violation) j.update(violation_json(*r.violation));
  return j.dump();
}

std::variant<ScenarioReport, std::string> report_from_json(std::string_view line) {
  try {
    return report_from(json::parse(line));
  } catch (const std::exception& e) {
    return std::string("not a faultline report: ") + e.what();
  }
}

std::variant<std::vector<ScenarioReport>, std::string> merge(
    const std::vector<ScenarioReport>& reports) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const ScenarioReport*>> by_scenario;
  for (const ScenarioReport& r : reports) {
    auto& shards = by_scenario[r.scenario];
    if (shards.empty()) order.push_back(r.scenario);
    shards.push_back(&r);
  }
  std::vector<ScenarioReport> merged;
  for (const std::string& name : order) {
    const auto& shards = by_scenario[name];
    if (auto error = check_shards(shards)) return *error;
    merged.push_back(merge_one(shards));
  }
  return merged;
}

std::string to_text(const ScenarioReport& r) {
  const char* mark = r.as_expected() ? "ok  " : "FAIL";
  const double rate = static_cast<double>(r.seeds_run) / std::max(r.wall_seconds, 1e-9);
  std::string text = fmt::format("{:<24} ", r.scenario);
  if (!r.violation) {
    const bool shard = r.shard.count > 1;
    text += fmt::format("{} held for {} seeds ({:.0f} seeds/s)",
                        shard && !r.as_expected() ? "--  " : mark, r.seeds_run, rate);
    if (r.expect == Expect::kViolationFound) {
      text += shard ? fmt::format("  -- not found in shard {}/{} (merge the shards to judge)",
                                  r.shard.index, r.shard.count)
                    : "  -- the hazard was NOT found";
    }
    return text;
  }
  const FoundViolation& v = *r.violation;
  text += fmt::format("{} violation found at seed {} after {} seeds\n    {}\n", mark, hex(v.seed),
                      v.index + 1, v.message);
  auto parsed = sim::parse_plan(v.shrunk_plan);
  if (const auto* plan = std::get_if<sim::FaultPlan>(&parsed); plan && needs_no_fault(*plan)) {
    text += fmt::format(
        "    needs no fault: it shows on a quiet network with nothing scheduled "
        "(shrunk in {} runs)\n",
        v.shrink_runs);
  } else {
    text += fmt::format("    shrunk fault plan ({} runs):\n", v.shrink_runs);
    std::istringstream lines(v.shrunk_plan);
    for (std::string line; std::getline(lines, line);) text += "      " + line + "\n";
  }
  return text + fmt::format("    replay: {}  (add --shrink for the shrunk plan, --html FILE for a "
                            "picture)",
                            v.replay);
}

}  // namespace faultline::harness
