// `faultline limit --policy SPEC --trace FILE [--json]`: replays a recorded trace through a
// rate-limit policy in virtual time (scenarios/ratelimit/ has the spec grammar, the trace format
// and the replay). Prints each request's decision and a summary per key; a spec or a trace line
// that does not read is a usage error (exit 2) that says where and what was expected.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "faultline/ratelimit/policy_spec.h"
#include "scenarios/cli/commands.h"
#include "scenarios/ratelimit/replay.h"

namespace faultline::scenarios::cli {
namespace {

namespace rl = faultline::ratelimit;
using ratelimit::Replay;

struct LimitArgs {
  rl::Policy policy;
  std::string trace_path;
  bool json = false;
};

void print_json(const Replay& replay, rl::Micros window) {
  for (const ratelimit::ReplayedRequest& r : replay.requests) {
    nlohmann::ordered_json line = {
        {"at_ms", r.request.at_ms},
        {"key", r.request.key},
        {"cost", r.request.cost},
        {"allowed", r.decision.allowed},
        {"limit", r.decision.limit},
        {"remaining", r.decision.remaining},
        {"retry_after_ms", ratelimit::retry_after_ms(r.decision)},
        {"reset_after_ms", ratelimit::reset_after_ms(r.decision)},
    };
    std::cout << line.dump() << "\n";
  }
  for (const ratelimit::KeySummary& k : replay.keys) {
    nlohmann::ordered_json line = {
        {"summary", true},
        {"key", k.key},
        {"allowed", k.allowed},
        {"refused", k.refused},
        {"window_ms", rl::ceil_div(window.count(), 1000)},
        {"max_in_window", k.max_in_window},
        {"max_units_in_window", k.max_units_in_window},
    };
    std::cout << line.dump() << "\n";
  }
}

void print_table(const Replay& replay, const rl::Policy& policy) {
  std::cout << fmt::format("policy {} (window {}ms)\n", rl::policy_spec(policy),
                           rl::ceil_div(rl::policy_window(policy).count(), 1000));
  std::cout << fmt::format("{:>10} {:<16} {:>5} {:<8} {:>6} {:>9} {:>14} {:>14}\n", "at_ms", "key",
                           "cost", "result", "limit", "remaining", "retry_after_ms",
                           "reset_after_ms");
  for (const ratelimit::ReplayedRequest& r : replay.requests) {
    const std::int64_t retry = ratelimit::retry_after_ms(r.decision);
    std::string retry_text;
    if (!r.decision.allowed) retry_text = retry < 0 ? "never" : std::to_string(retry);
    std::cout << fmt::format(
        "{:>10} {:<16} {:>5} {:<8} {:>6} {:>9} {:>14} {:>14}\n", r.request.at_ms, r.request.key,
        r.request.cost, r.decision.allowed ? "allowed" : "REFUSED", r.decision.limit,
        r.decision.remaining, retry_text, ratelimit::reset_after_ms(r.decision));
  }
  std::cout << fmt::format("\n{:<16} {:>8} {:>8} {:>14} {:>20}\n", "key", "allowed", "refused",
                           "max_in_window", "max_units_in_window");
  for (const ratelimit::KeySummary& k : replay.keys) {
    std::cout << fmt::format("{:<16} {:>8} {:>8} {:>14} {:>20}\n", k.key, k.allowed, k.refused,
                             k.max_in_window, k.max_units_in_window);
  }
}

int run_limit(const LimitArgs& args) {
  std::ifstream file(args.trace_path);
  if (!file) {
    std::cerr << "limit: cannot read the trace '" << args.trace_path << "'\n";
    return kExitUsage;
  }
  Result<std::vector<ratelimit::TraceRequest>> trace = ratelimit::read_trace(file);
  if (!trace) {
    std::cerr << "limit: " << args.trace_path << ": " << trace.error().message << "\n";
    return kExitUsage;
  }
  const Replay replay = ratelimit::replay(args.policy, *trace);
  if (args.json) {
    print_json(replay, rl::policy_window(args.policy));
  } else {
    print_table(replay, args.policy);
  }
  return kExitAsExpected;
}

Run declare_limit(CLI::App& command, const Context& /*context*/) {
  auto args = std::make_shared<LimitArgs>();
  command
      .add_option_function<std::string>(
          "--policy",
          [args](const std::string& text) {
            Result<rl::Policy> policy = rl::parse_policy_spec(text);
            if (!policy) throw CLI::ValidationError("--policy", policy.error().message);
            args->policy = *policy;
          },
          "gcra:rate=COUNT/PERIOD,burst=B, token-bucket:capacity=C,rate=COUNT/PERIOD, "
          "sliding-log|sliding-counter|fixed-window:limit=N,window=W (durations: 500ms, 1s, 1m)")
      ->required();
  command.add_option("--trace", args->trace_path, "The trace: lines of TIME_MS KEY COST")
      ->required();
  command.add_flag("--json", args->json,
                   "One JSON object per request, then one per key (\"summary\": true)");
  return [args] { return run_limit(*args); };
}

}  // namespace

Command limit_command() {
  return {"limit", "Replay a trace of requests through a rate-limit policy", declare_limit};
}

}  // namespace faultline::scenarios::cli
