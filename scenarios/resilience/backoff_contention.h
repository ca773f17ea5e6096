// backoff/contention: the AWS Architecture Blog's study "Exponential Backoff And Jitter" (Marc
// Brooker, 2015) reproduced in the simulator, through the library's own Retry and Backoff and
// the simulator's network, so that our numbers can be held against the published ones.
//
// The model. N clients share one record whose version starts at 0; each needs one successful
// write, then stops. A client reads the version, then writes conditionally on it; the write
// fails (kAborted) if another write landed in between, and the client's Retry sleeps its backoff,
// then reads again. One-way latency is |Normal(10, 2)| time units per message (a time unit is a
// simulated millisecond); the server answers at once. Backoff base 5, cap 2000. Measured per
// trial: every write the server handled (successful or not), and the time the last client
// learns of its success.
//
// As a scenario (`faultline run backoff/contention`): each seed draws N in {10, 20, ..., 190}
// and a strategy, and runs one trial, the clients' clocks drifting (a forward step would not
// change a sleep already begun in this simulator, and the study's model has none). Invariant,
// judged from the server's record of each client's writes (time of each):
//   - every client learns of exactly one successful write within its attempt bound, and the
//     version ends at N (no write lost, none applied twice);
//   - the strategy is the one claimed: the gap between a client's writes k and k + 1 is its
//     sleep before retry k plus four one-way latencies (reply, read, its reply, the write), so
//     it lies within [min sleep / fast clock, max sleep / slow clock + 4 x the largest latency],
//     the sleep's range being the strategy's formula (backoff.h). A retry that does not back
//     off breaks the lower end for exponential and equal jitter;
//   - jittered strategies spread their clients: for every retry number from kSpreadFrom on
//     with at least kSpreadSamples gaps, their standard deviation is at least kSpreadMin (the
//     latencies alone give about 4 units). Without jitter, or without backoff, retries of the
//     same number land together and break it.
//
// As a study (`faultline study backoff`): every strategy x N, `trials` trials each, reporting the
// mean calls and mean completion time per point, as a table or JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "faultline/resilience/backoff.h"
#include "scenarios/resilience/resilience_scenarios.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

struct ContentionTrial {
  int clients = 0;
  int succeeded = 0;             // clients that learned of their successful write
  int gave_up = 0;               // clients whose Retry stopped first
  std::uint64_t writes = 0;      // writes the server handled
  std::int64_t final_version = 0;
  Duration completion{};         // when the last success was learned (from the start)
  std::uint64_t trace_hash = 0;
  std::uint64_t events = 0;
  // Judged trials only: per client, when the server handled each of its writes (from the start).
  std::vector<std::vector<Duration>> writes_at;
};

// One trial, from `seed`. With `rendered`, the writes are recorded as a history (which the
// trace hash then covers) and rendered into it as `options` asks; the study leaves it out, as
// recording costs more than the trial. `judged` (the scenario) keeps the server's log of writes
// in writes_at. `plan`, when given, is applied (the scenario's: its clients' clock drifts, named
// c1..cN, the server "db"); the study passes none and keeps true clocks, as its model.
[[nodiscard]] ContentionTrial run_contention_trial(resilience::BackoffStrategy strategy,
                                                   int clients, std::uint64_t seed,
                                                   const RunOptions& options = {},
                                                   RunResult* rendered = nullptr,
                                                   bool judged = false,
                                                   const sim::FaultPlan* plan = nullptr);

struct ContentionStudyOptions {
  int clients_from = 10;
  int clients_to = 190;
  int clients_step = 10;
  int trials = 100;
  int jobs = 1;
  std::uint64_t first_seed = 0x5EED;
};

struct ContentionPoint {
  resilience::BackoffStrategy strategy;
  int clients = 0;
  double calls = 0;  // mean writes per trial
  double time = 0;   // mean completion, in time units (simulated milliseconds)
};

// The five strategies of the study, in its order.
[[nodiscard]] const std::vector<resilience::BackoffStrategy>& study_strategies();

// Every (strategy, N) point, strategies in study order, N ascending. Trials run on `jobs`
// threads (each trial is its own World); the result does not depend on `jobs`.
[[nodiscard]] std::vector<ContentionPoint> run_contention_study(
    const ContentionStudyOptions& options,
    const std::function<void(int done, int total)>& progress = nullptr);

// The study as JSON: [{"strategy": "full_jitter", "clients": 10, "calls": 39.2, "time": 470.1},
// ...], strategy names as to_string(BackoffStrategy).
[[nodiscard]] std::string contention_study_json(const std::vector<ContentionPoint>& points);

// `sabotage` (resilience_scenarios.h): kNoJitter or kNoBackoff change the strategy that runs,
// not the one the invariant judges.
[[nodiscard]] std::unique_ptr<Scenario> make_backoff_contention_scenario(
    Sabotage sabotage = Sabotage::kNone);

}  // namespace faultline::scenarios
