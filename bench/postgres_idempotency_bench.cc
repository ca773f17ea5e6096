// postgres_idempotency_bench: idempotent requests (begin + complete) through PgIdempotencyStore
// against pgbench running the same two statements, both on the same loopback cluster in the
// same run.
//
//   scripts/postgres-server.sh run -- build/bench/postgres_idempotency_bench
//
// Ours: kClients coroutines over a Pool of kClients connections, on one or two io_context
// threads (the `threads` argument; each thread has its own Pool and store, and the clients are
// dealt out between them), each looping for kSeconds: begin on a key never used before (the
// record is created: kStarted), then complete with a kResponseBytes response (the record is
// completed). Each is ONE statement (idempotency_sql.h: INSERT ... ON CONFLICT ... RETURNING,
// then UPDATE ... RETURNING 1), extended protocol, one round trip, autocommit.
// Theirs: pgbench -n -M extended -c 8 -j 2 -T 5 running the very same two statements (the
// store's constants, their $n turned into pgbench :variables) as one script:
//   \set key random(1, 999999999)
//   <kBeginSql>;     -- scope, key, fingerprint, owner (hex), lease, retention, started point
//   <kCompleteSql>;  -- scope, key, owner (hex), response (hex)
// with the same fingerprint, owner and response sizes (-D variables, sent as text parameters as
// ours are). Its keys are random among 10^9, so nearly every begin creates a record and its
// complete, on the same key and owner, completes it. Our keys are above 10^9: the two never meet.
// Both sides insert into the same table, emptied when a benchmark starts, which grows through
// the run; they alternate, so each sees it about as large.
//
// The pair (ours, then pgbench) runs kRepetitions times, interleaved. Counters (set by
// faultline::bench::versus_pgbench, bench/versus_pgbench.h): ours_tps and pgbench_tps
// (idempotent requests, i.e. begin + complete pairs, per second; medians), ratio = ours / theirs
// (the median; target >= 0.8, reported, not asserted), ratio_min, ratio_max, failures (ours: any
// outcome but kStarted, then true), and each side's client CPU per statement.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "bench/idempotency_request.h"
#include "bench/pgbench_runner.h"
#include "bench/versus_pgbench.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/idempotency_sql.h"
#include "faultline/backends/postgres/idempotency_store.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/invariant.h"
#include "tests/support/postgres_env.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::postgres::ConnectionOptions;
using faultline::backends::postgres::PgIdempotencyStore;
using faultline::backends::postgres::Pool;
using faultline::backends::postgres::PoolOptions;
using faultline::idempotency::BeginOutcome;
using faultline::idempotency::BeginReply;
using faultline::idempotency::RequestId;
using SteadyClock = std::chrono::steady_clock;
using namespace faultline::bench::idempotent_request;

constexpr int kClients = 8;
constexpr auto kSeconds = 5s;
constexpr auto kWarmup = 500ms;
constexpr int kRepetitions = 3;  // interleaved (ours, pgbench) pairs; medians reported
constexpr int kStatementsPerPair = 2;
constexpr int kPgbenchThreads = 2;
constexpr std::string_view kScope = "bench";
constexpr long kOurKeysFrom = 1'000'000'000;  // pgbench's keys are below

struct Tally {
  long pairs = 0;
  long failures = 0;
};

// One client thread (see faultline::bench::run_shards): its Pool, its store and its share of
// the clients.
struct Shard {
  boost::asio::io_context io{1};
  std::unique_ptr<Pool> pool;
  std::unique_ptr<PgIdempotencyStore> store;
  int clients = 0;
  long serial = 0;  // the next unused key: kOurKeysFrom * (shard + 1) + serial
  Tally tally;
};

// Idempotent requests until `until`; failures are counted, not retried.
Task<void> client(Shard& shard, long keys_from, std::string owner, SteadyClock::time_point until) {
  while (SteadyClock::now() < until) {
    const std::string key = std::to_string(keys_from + shard.serial++);
    const RequestId id{.scope = kScope, .key = key};
    Result<BeginReply> begun =
        co_await shard.store->begin(id, kFingerprint, owner, kLease, kRetention, kTimeout);
    if (!begun.ok() || begun->outcome != BeginOutcome::kStarted) {
      ++shard.tally.failures;
      continue;
    }
    Result<bool> completed = co_await shard.store->complete(id, owner, kResponse, kTimeout);
    if (!completed.ok() || !*completed) {
      ++shard.tally.failures;
      continue;
    }
    ++shard.tally.pairs;
  }
}

// One timed run of every shard's clients, for `duration`.
faultline::bench::OursRun run_ours(std::vector<std::unique_ptr<Shard>>& shards,
                                   std::chrono::nanoseconds duration) {
  const auto clients = [](Shard& shard, std::size_t index, SteadyClock::time_point until) {
    shard.tally = Tally{};
    std::vector<Task<void>> tasks;
    for (int i = 0; i < shard.clients; ++i) {
      char owner[32];
      std::snprintf(owner, sizeof owner, "owner-%zu%d", index, i);
      const long keys_from = kOurKeysFrom * static_cast<long>(index + 1);
      tasks.push_back(client(shard, keys_from, owner, until));
    }
    return tasks;
  };
  faultline::bench::OursRun run;
  run.seconds = faultline::bench::run_shards(shards, duration, clients);
  for (const auto& shard : shards) {
    run.pairs += shard->tally.pairs;
    run.failures += shard->tally.failures;
  }
  return run;
}

// `sql` with each $n replaced by :names[n - 1], pgbench's spelling of a variable (which it sends
// back as parameter $n under -M extended). `sql` must use at most nine parameters.
std::string with_variables(std::string_view sql, std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '$' || i + 1 == sql.size() || sql[i + 1] < '1' || sql[i + 1] > '9') {
      out.push_back(sql[i]);
      continue;
    }
    const auto n = static_cast<std::size_t>(sql[++i] - '0');
    FAULTLINE_INVARIANT(n <= names.size(), "every parameter of the statement has a name");
    FAULTLINE_INVARIANT(i + 1 == sql.size() || sql[i + 1] < '0' || sql[i + 1] > '9',
                        "at most nine parameters");
    out += ':';
    out += names.begin()[n - 1];
  }
  return out;
}

std::string hex(std::string_view bytes) {
  std::string out;
  char pair[3];
  for (const char c : bytes) {
    std::snprintf(pair, sizeof pair, "%02x", static_cast<unsigned char>(c));
    out += pair;
  }
  return out;
}

// pgbench running the store's begin and complete statements; nothing if it could not run.
std::optional<faultline::bench::PgbenchRun> pgbench(const ConnectionOptions& options) {
  namespace sql = faultline::backends::postgres::idempotency_sql;
  const std::string script =
      "\\set key random(1, " + std::to_string(kOurKeysFrom - 1) + ")\n" +
      with_variables(sql::kBeginSql,
                     {"scope", "key", "fp", "owner", "lease", "retention", "point"}) +
      ";\n" + with_variables(sql::kCompleteSql, {"scope", "key", "owner", "response"}) + ";\n";
  const std::string variables =
      "-D scope=" + std::string(kScope) + " -D fp=" + std::string(kFingerprint) +
      " -D owner=" + hex(kTheirOwner) +
      " -D lease=" + std::to_string(std::chrono::milliseconds(kLease).count()) +
      " -D retention=" + std::to_string(std::chrono::milliseconds(kRetention).count()) +
      " -D point=" + std::string(faultline::idempotency::kStartedPoint) +
      " -D response=" + hex(kResponse);
  return faultline::bench::pgbench(options, script, kClients, kPgbenchThreads,
                                   std::chrono::duration_cast<std::chrono::seconds>(kSeconds),
                                   variables);
}

// Every benchmark starts on an empty table: our keys restart from the same numbers (a key used
// before would be a replay, not a new request), and both layouts see the same table growth.
Task<Result<void>> empty_table(Pool& pool) {
  Result<faultline::backends::postgres::PooledConnection> lease = co_await pool.acquire(10s);
  if (!lease.ok()) co_return std::move(lease).error();
  Result<faultline::backends::postgres::PgResult> result =
      co_await (*lease)->query("TRUNCATE faultline_idempotency", 10s);
  if (!result.ok()) co_return std::move(result).error();
  if (result->is_error()) co_return result->to_error();
  co_return faultline::Ok{};
}

// `threads` shards, each with its Pool, store and share of kClients; an error names what failed.
Result<std::vector<std::unique_ptr<Shard>>> make_shards(const ConnectionOptions& options,
                                                        std::size_t threads) {
  std::vector<std::unique_ptr<Shard>> shards;
  for (std::size_t t = 0; t < threads; ++t) {
    auto shard = std::make_unique<Shard>();
    for (int i = static_cast<int>(t); i < kClients; i += static_cast<int>(threads)) {
      ++shard->clients;
    }
    PoolOptions pool_options;
    pool_options.connection = options;
    pool_options.max_connections = static_cast<std::size_t>(shard->clients);
    Result<std::unique_ptr<Pool>> pool = Pool::create(shard->io, pool_options);
    if (!pool.ok()) return std::move(pool).error();
    shard->pool = std::move(pool).value();
    shard->store = std::make_unique<PgIdempotencyStore>(*shard->pool);
    shards.push_back(std::move(shard));
  }
  Shard& first = *shards.front();
  Result<void> schema = faultline::backends::block_on(first.io, first.store->ensure_schema(10s));
  if (!schema.ok()) return std::move(schema).error();
  Result<void> emptied = faultline::backends::block_on(first.io, empty_table(*first.pool));
  if (!emptied.ok()) return std::move(emptied).error();
  return shards;
}

// Argument: client threads (io_contexts) the kClients clients are dealt out between.
void BM_IdempotentBeginComplete(benchmark::State& state) {
  const std::optional<ConnectionOptions> options = faultline::testing::options_from_env();
  if (!options) {
    state.SkipWithError(faultline::testing::kPgEnvMissing);
    return;
  }
  Result<std::vector<std::unique_ptr<Shard>>> made =
      make_shards(*options, static_cast<std::size_t>(state.range(0)));
  if (!made.ok()) {
    state.SkipWithError(made.error().to_string().c_str());
    return;
  }
  std::vector<std::unique_ptr<Shard>>& shards = *made;
  const faultline::bench::Versus versus{.warmup = kWarmup,
                                        .duration = kSeconds,
                                        .repetitions = kRepetitions,
                                        .statements_per_pair = kStatementsPerPair};
  faultline::bench::versus_pgbench(
      state, versus, [&shards](std::chrono::nanoseconds d) { return run_ours(shards, d); },
      [&options] { return pgbench(*options); });
}

BENCHMARK(BM_IdempotentBeginComplete)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)  // as many client threads as pgbench's -j 2
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
