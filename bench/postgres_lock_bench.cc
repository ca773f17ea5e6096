// postgres_lock_bench: session advisory lock + unlock round trips through PgLockSession against
// pgbench doing the same, both on the same loopback cluster in the same run.
//
//   scripts/postgres-server.sh run -- build/bench/postgres_lock_bench
//
// Ours: kSessions PgLockSessions (one connection each) on one or two io_context threads (the
// `threads` argument; the sessions are dealt out between them), each looping lock(id) +
// unlock(id) on a random id in [1, 1000000] for kSeconds: `SELECT pg_advisory_lock($1)` then
// `SELECT pg_advisory_unlock($1)` (extended protocol, one round trip each; lock_timeout is set
// once per session, during the warm-up). Theirs: pgbench -n -M extended -c 8 -j 2 -T 5
// running
//   \set id random(1, 1000000)
//   SELECT pg_advisory_lock(:id);
//   SELECT pg_advisory_unlock(:id);
// (two statements per transaction). -M extended makes pgbench speak the same protocol we do (an
// unnamed statement with a parameter per query); its default, the simple protocol, would
// compare two different amounts of server work. pgbench always uses two threads (-j 2): on
// this two-core machine the client's threads compete with the eight backends for the cores, so
// threads = 2 is the like-for-like layout and threads = 1 shows what one loop manages.
//
// The pair (ours, then pgbench) runs kRepetitions times, interleaved. Counters (set by
// faultline::bench::versus_pgbench, bench/versus_pgbench.h): ours_tps and pgbench_tps (lock +
// unlock pairs per second, medians), ratio = ours / theirs (the median; target >= 0.8, reported,
// not asserted) with ratio_min and ratio_max, failures, and the client CPU per statement on
// each side.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/pgbench_runner.h"
#include "bench/versus_pgbench.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/advisory_lock_store.h"
#include "tests/support/postgres_env.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::postgres::ConnectionOptions;
using faultline::backends::postgres::PgLockSession;
using faultline::backends::postgres::PgSessionLockStore;
using faultline::testing::options_from_env;
using SteadyClock = std::chrono::steady_clock;

constexpr int kSessions = 8;
constexpr auto kSeconds = 5s;
constexpr auto kWarmup = 500ms;
constexpr std::int64_t kIdRange = 1'000'000;
constexpr int kRepetitions = 3;  // interleaved (ours, pgbench) pairs; medians reported
constexpr int kStatementsPerPair = 2;

// A small per-client generator for lock ids (xorshift64*); quality is irrelevant here.
std::int64_t next_id(std::uint64_t& state) {
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return static_cast<std::int64_t>((state * 0x2545F4914F6CDD1DULL) % kIdRange) + 1;
}

struct Tally {
  long round_trips = 0;
  long failures = 0;
};

// Lock + unlock round trips until `until`; failures are counted, not retried.
Task<void> client(PgLockSession& session, std::uint64_t seed, SteadyClock::time_point until,
                  Tally& tally) {
  std::uint64_t state = seed;
  while (SteadyClock::now() < until) {
    const std::int64_t id = next_id(state);
    Result<void> locked = co_await session.lock(id, 5s);
    if (!locked.ok()) {
      ++tally.failures;
      continue;
    }
    Result<bool> unlocked = co_await session.unlock(id, 5s);
    if (!unlocked.ok() || !*unlocked) ++tally.failures;
    ++tally.round_trips;
  }
}

// One client thread (see faultline::bench::run_shards) with its share of the sessions.
struct Shard {
  boost::asio::io_context io{1};
  std::unique_ptr<PgSessionLockStore> store;
  std::vector<std::unique_ptr<PgLockSession>> sessions;
  Tally tally;
};

// One timed run of every shard's sessions, for `duration`.
faultline::bench::OursRun run_ours(std::vector<std::unique_ptr<Shard>>& shards,
                                   std::chrono::nanoseconds duration) {
  const auto clients = [](Shard& shard, std::size_t index, SteadyClock::time_point until) {
    shard.tally = Tally{};
    std::vector<Task<void>> tasks;
    for (std::size_t i = 0; i < shard.sessions.size(); ++i) {
      const std::uint64_t seed = 0x9E3779B97F4A7C15ULL * (index * kSessions + i + 1);
      tasks.push_back(client(*shard.sessions[i], seed, until, shard.tally));
    }
    return tasks;
  };
  faultline::bench::OursRun run;
  run.seconds = faultline::bench::run_shards(shards, duration, clients);
  for (const auto& shard : shards) {
    run.pairs += shard->tally.round_trips;
    run.failures += shard->tally.failures;
  }
  return run;
}

// Runs pgbench with the same two statements; nothing if it could not run.
std::optional<faultline::bench::PgbenchRun> pgbench(const ConnectionOptions& options) {
  constexpr std::string_view kScript =
      "\\set id random(1, 1000000)\n"
      "SELECT pg_advisory_lock(:id);\n"
      "SELECT pg_advisory_unlock(:id);\n";
  return faultline::bench::pgbench(options, kScript, kSessions, 2,
                                   std::chrono::duration_cast<std::chrono::seconds>(kSeconds));
}

// Argument: client threads (io_contexts) the kSessions sessions are dealt out between.
void BM_AdvisoryLockUnlock(benchmark::State& state) {
  const std::optional<ConnectionOptions> options = options_from_env();
  if (!options) {
    state.SkipWithError(faultline::testing::kPgEnvMissing);
    return;
  }
  const auto threads = static_cast<std::size_t>(state.range(0));
  std::vector<std::unique_ptr<Shard>> shards;
  for (std::size_t t = 0; t < threads; ++t) {
    auto shard = std::make_unique<Shard>();
    Result<std::unique_ptr<PgSessionLockStore>> store =
        PgSessionLockStore::create(shard->io, *options);
    if (!store.ok()) {
      state.SkipWithError(store.error().to_string().c_str());
      return;
    }
    shard->store = std::move(store).value();
    shards.push_back(std::move(shard));
  }
  for (int i = 0; i < kSessions; ++i) {
    Shard& shard = *shards[static_cast<std::size_t>(i) % threads];
    Result<std::unique_ptr<PgLockSession>> session =
        faultline::backends::block_on(shard.io, shard.store->open_pg_session(5s));
    if (!session.ok()) {
      state.SkipWithError(session.error().to_string().c_str());
      return;
    }
    shard.sessions.push_back(std::move(session).value());
  }

  const faultline::bench::Versus versus{.warmup = kWarmup,
                                        .duration = kSeconds,
                                        .repetitions = kRepetitions,
                                        .statements_per_pair = kStatementsPerPair};
  faultline::bench::versus_pgbench(
      state, versus, [&shards](std::chrono::nanoseconds d) { return run_ours(shards, d); },
      [&options] { return pgbench(*options); });
}

BENCHMARK(BM_AdvisoryLockUnlock)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)  // as many client threads as pgbench's -j 2
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
