#include "faultline/harness/explore.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "faultline/harness/report.h"
#include "faultline/harness/shrink.h"
#include "faultline/harness/sweep.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Known = std::set<std::pair<std::string, std::string>>;  // (scenario, kind)

json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ExploreError("explore: cannot read " + path.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw ExploreError(fmt::format("explore: {} is not valid JSON: {}", path.string(), e.what()));
  }
}

// Written whole or not at all: a run stopped mid-write leaves the previous file.
void write_json(const fs::path& path, const json& value) {
  const fs::path temp = path.string() + ".tmp";
  {
    std::ofstream out(temp);
    out << value.dump(2) << "\n";
    if (!out) throw ExploreError("explore: cannot write " + temp.string());
  }
  std::error_code error;
  fs::rename(temp, path, error);
  if (error) throw ExploreError("explore: cannot write " + path.string() + ": " + error.message());
}

// "locks/redlock fenced" -> "locks-redlock-fenced": a file name from any text.
std::string slug(const std::string& text, std::size_t max) {
  std::string out;
  for (char c : text) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (plain) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
    if (out.size() >= max) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "x" : out;
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

fs::path finding_path(const fs::path& out, const std::string& scenario, const std::string& kind) {
  // The hash keeps two kinds that slug alike apart.
  return out / "findings" /
         fmt::format("{}--{}-{:08x}.json", slug(scenario, 60), slug(kind, 60),
                     fnv1a(scenario + '\0' + kind) & 0xffffffffU);
}

Known load_findings(const fs::path& dir) {
  Known known;
  if (!fs::exists(dir)) return known;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const json j = read_json(file);
    if (!j.contains("scenario") || !j.contains("kind")) {
      throw ExploreError("explore: " + file.string() + " is not a finding (no scenario or kind)");
    }
    known.emplace(j["scenario"].get<std::string>(), j["kind"].get<std::string>());
  }
  return known;
}

struct State {
  fs::path path;
  json streams = json::object();  // first seed (hex) -> scenario -> next index
  std::string stream;

  std::uint64_t& next(const std::string& scenario) {
    json& slot = streams[stream][scenario];
    if (slot.is_null()) slot = std::uint64_t{0};
    return *slot.get_ptr<json::number_unsigned_t*>();
  }
  void save() const { write_json(path, json{{"version", 1}, {"streams", streams}}); }
};

State load_state(const ExploreOptions& options) {
  State state{options.out / "state.json", json::object(), fmt::format("{:#x}", options.first)};
  if (!fs::exists(state.path)) return state;
  const json j = read_json(state.path);
  if (!j.contains("streams") || !j["streams"].is_object()) {
    throw ExploreError("explore: " + state.path.string() + " has no \"streams\" object");
  }
  state.streams = j["streams"];
  return state;
}

json finding_json(const Finding& f) {
  return {{"scenario", f.scenario},       {"kind", f.kind},
          {"expected", f.expected},       {"seed", fmt::format("{:#x}", f.seed)},
          {"seed_index", f.seed_index},   {"swarm", f.swarm},
          {"violation", f.violation},     {"shrunk_plan", f.shrunk_plan},
          {"shrink_runs", f.shrink_runs}, {"replay", f.replay}};
}

struct Explorer {
  const ExploreOptions& options;
  State state;
  Known known;
  ExploreSummary summary;

  void log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  Finding make_finding(const Scenario& scenario, std::uint64_t index, const RunResult& run,
                       bool swarm) {
    const Shrunk shrunk = shrink(scenario, run.seed, plan_for(scenario, run.seed, swarm));
    return Finding{scenario.name(), kind_of(*run.violation),
                   scenario.expect() == Expect::kViolationFound, run.seed, index, swarm,
                   run.violation->message, shrunk.plan.to_string(), shrunk.runs,
                   replay_command(options.program, scenario.name(), run.seed, swarm)};
  }

  void consider(const Scenario& scenario, std::uint64_t index, const RunResult& run, bool swarm) {
    const std::string kind = kind_of(*run.violation);
    if (!known.emplace(scenario.name(), kind).second) return;
    if (known.size() > options.max_findings) {
      summary.findings_bounded = true;
      return;
    }
    Finding finding = make_finding(scenario, index, run, swarm);
    write_json(finding_path(options.out, scenario.name(), kind), finding_json(finding));
    log(fmt::format("new finding: {} [{}] at seed {:#x}{}\n    {}\n    replay: {}",
                    scenario.name(), kind, run.seed, finding.expected ? " (the hazard)" : "",
                    finding.violation, finding.replay));
    summary.new_findings.push_back(std::move(finding));
  }

  void batch(const Scenario& scenario) {
    std::uint64_t& next = state.next(scenario.name());
    std::vector<std::pair<std::uint64_t, RunResult>> violating;
    SweepOptions sweep_options;
    sweep_options.first = options.first;
    sweep_options.start = next;
    const std::uint64_t size =
        options.batch * static_cast<std::uint64_t>(std::max(1, options.jobs));
    sweep_options.count = next + size;
    sweep_options.jobs = options.jobs;
    sweep_options.stop_at_violation = false;
    // Every other batch of a scenario's seeds runs swarm plans: swarm testing finds what a
    // mix of every kind masks, full plans what needs several kinds at once.
    sweep_options.swarm = options.swarm && (next / size) % 2 == 1;
    sweep_options.on_violation = [&](std::uint64_t index, const RunResult& run) {
      violating.emplace_back(index, run);
    };
    const SweepResult result = sweep(scenario, sweep_options);
    std::sort(violating.begin(), violating.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [index, run] : violating) consider(scenario, index, run, sweep_options.swarm);
    summary.seeds_run[scenario.name()] += result.seeds_run;
    summary.violations[scenario.name()] += violating.size();
    next = sweep_options.count;
    state.save();
  }
};

}  // namespace

bool ExploreSummary::claim_violated() const {
  return std::any_of(new_findings.begin(), new_findings.end(),
                     [](const Finding& f) { return !f.expected; });
}

ExploreSummary explore(const std::vector<const Scenario*>& scenarios,
                       const ExploreOptions& options) {
  std::error_code error;
  fs::create_directories(options.out / "findings", error);
  if (error) {
    throw ExploreError("explore: cannot create " + (options.out / "findings").string() + ": " +
                       error.message());
  }
  Explorer explorer{options, load_state(options), load_findings(options.out / "findings"), {}};
  // Wall-clock time bounds the exploration only; every run inside is deterministic.
  const auto deadline = std::chrono::steady_clock::now() + options.budget;
  while (!scenarios.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const Scenario* scenario : scenarios) {
      explorer.batch(*scenario);
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
  }
  return std::move(explorer.summary);
}

}  // namespace faultline::harness
