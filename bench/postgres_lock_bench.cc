// postgres_lock_bench: session advisory lock + unlock round trips through PgLockSession against
// pgbench doing the same, both on the same loopback cluster in the same run.
//
//   scripts/postgres-server.sh run -- build/bench/postgres_lock_bench
//
// Ours: kSessions PgLockSessions (one connection each) on one io_context thread, each looping
// lock(id) + unlock(id) on a random id in [1, 1000000] for kSeconds: `SELECT pg_advisory_lock($1)`
// then `SELECT pg_advisory_unlock($1)` (extended protocol, one round trip each; lock_timeout is
// set once per session, during the warm-up). Theirs: pgbench -n -M extended -c 8 -j 2 -T 5
// running
//   \set id random(1, 1000000)
//   SELECT pg_advisory_lock(:id);
//   SELECT pg_advisory_unlock(:id);
// (two statements per transaction). -M extended makes pgbench speak the same protocol we do (an
// unnamed statement with a parameter per query); its default, the simple protocol, would
// compare two different amounts of server work. Counters: ours_tps and pgbench_tps (lock +
// unlock pairs per second), ratio = ours / theirs (reported, not asserted), failures.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/advisory_lock_store.h"
#include "tests/postgres_env.h"

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
constexpr const char* kPgbench = "/usr/lib/postgresql/15/bin/pgbench";

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

// Runs every session for `duration`; returns round trips per second.
double run_sessions(boost::asio::io_context& io,
                    std::vector<std::unique_ptr<PgLockSession>>& sessions,
                    std::chrono::nanoseconds duration, Tally& tally) {
  int running = static_cast<int>(sessions.size());
  const auto started = SteadyClock::now();
  const auto until = started + duration;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    boost::asio::co_spawn(io, client(*sessions[i], 0x9E3779B97F4A7C15ULL * (i + 1), until, tally),
                          [&running](std::exception_ptr) { --running; });
  }
  if (io.stopped()) io.restart();
  while (running > 0) io.run_one();
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  return static_cast<double>(tally.round_trips) / seconds;
}

// Runs pgbench with the same two statements; returns its tps, or nothing if it could not run.
std::optional<double> pgbench(const ConnectionOptions& options) {
  char script_path[] = "/tmp/faultline-pgbench-XXXXXX";
  const int fd = ::mkstemp(script_path);
  if (fd < 0) return std::nullopt;
  const std::string script =
      "\\set id random(1, 1000000)\n"
      "SELECT pg_advisory_lock(:id);\n"
      "SELECT pg_advisory_unlock(:id);\n";
  const bool written = ::write(fd, script.data(), script.size()) ==
                       static_cast<ssize_t>(script.size());
  ::close(fd);
  if (!written) return std::nullopt;
  // The password goes through the environment (PGPASSWORD), not the command line.
  ::setenv("PGPASSWORD", options.password.c_str(), 1);
  const std::string command =
      std::string(kPgbench) + " -n -M extended -c " + std::to_string(kSessions) + " -j 2 -T " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kSeconds).count()) +
      " -f " + script_path + " -h " + options.host + " -p " + std::to_string(options.port) +
      " -U " + options.user + " " + options.dbname + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char chunk[4096];
    for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) {
      output.append(chunk, n);
    }
  }
  const int status = pipe != nullptr ? ::pclose(pipe) : -1;
  ::unsetenv("PGPASSWORD");
  ::unlink(script_path);
  if (status != 0) {
    std::fprintf(stderr, "pgbench failed:\n%s\n", output.c_str());
    return std::nullopt;
  }
  // "tps = 9012.345678 (without initial connection time)"
  const std::size_t at = output.find("tps = ");
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(output.c_str() + at + 6, nullptr);
}

void BM_AdvisoryLockUnlock(benchmark::State& state) {
  const std::optional<ConnectionOptions> options = options_from_env();
  if (!options) {
    state.SkipWithError(faultline::testing::kPgEnvMissing);
    return;
  }
  boost::asio::io_context io(1);  // one thread: no locking inside Asio
  Result<std::unique_ptr<PgSessionLockStore>> store = PgSessionLockStore::create(io, *options);
  if (!store.ok()) {
    state.SkipWithError(store.error().to_string().c_str());
    return;
  }
  std::vector<std::unique_ptr<PgLockSession>> sessions;
  for (int i = 0; i < kSessions; ++i) {
    Result<std::unique_ptr<PgLockSession>> session =
        faultline::backends::block_on(io, (*store)->open_pg_session(5s));
    if (!session.ok()) {
      state.SkipWithError(session.error().to_string().c_str());
      return;
    }
    sessions.push_back(std::move(session).value());
  }

  double ours = 0;
  double theirs = 0;
  long failures = 0;
  for (auto _ : state) {
    Tally warmup;
    run_sessions(io, sessions, kWarmup, warmup);
    Tally tally;
    ours = run_sessions(io, sessions, kSeconds, tally);
    failures = warmup.failures + tally.failures;
    const std::optional<double> measured = pgbench(*options);
    if (!measured) {
      state.SkipWithError("pgbench failed to run");
      return;
    }
    theirs = *measured;
  }
  state.counters["ours_tps"] = ours;
  state.counters["pgbench_tps"] = theirs;
  state.counters["ratio"] = theirs > 0 ? ours / theirs : 0;
  state.counters["failures"] = static_cast<double>(failures);
}

BENCHMARK(BM_AdvisoryLockUnlock)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
