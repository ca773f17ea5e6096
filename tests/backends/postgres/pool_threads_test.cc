// Pools on several threads at once against a real PostgreSQL server (scripts/postgres-server.sh
// starts it and sets FAULTLINE_PG_*; without it the test skips). Built to run under
// ThreadSanitizer too (scripts/test-tsan.sh).
//
// A Pool is not thread-safe (pool.h): it lives on one single-threaded io_context. The threaded
// layout it supports is the benchmarks' and a server's: one io_context per thread, each with its
// own Pool, all at once against the same server. This test runs that layout with more clients
// than each pool's bound (so clients wait for returned connections) and discards a connection
// now and then (returned inside a transaction block, so the next acquire opens a fresh one while
// the other thread does the same): whatever the pools, connections and libpq share behind the
// scenes (nothing, by design) would show as a ThreadSanitizer report, and a lost update or a
// broken bound as a wrong count.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/backends/postgres/pool.h"
#include "tests/support/postgres_test_support.h"

namespace {

using namespace std::chrono_literals;
using faultline::Result;
using faultline::Task;
using faultline::backends::postgres::PgResult;
using faultline::backends::postgres::Pool;
using faultline::backends::postgres::PooledConnection;
using faultline::backends::postgres::PoolOptions;

constexpr int kThreads = 2;
constexpr int kClientsPerThread = 4;
constexpr std::size_t kConnectionsPerPool = 2;  // fewer than the clients: some always wait
constexpr int kRounds = 20;                      // per client
constexpr int kDiscardEvery = 5;                 // every 5th round leaves a transaction open

// What one thread's clients saw; read by the test after the thread is joined.
struct Tally {
  int increments = 0;
  int failures = 0;
  std::size_t largest_pool = 0;
  std::string first_error;
};

void fail(Tally& tally, const std::string& what) {
  if (tally.failures++ == 0) tally.first_error = what;
}

// One client: kRounds leases, each adding one to the shared row; every kDiscardEvery-th lease
// is returned inside a transaction block (committed first, so the increment counts), which
// makes the pool close it rather than reuse it.
Task<void> client(Pool& pool, Tally& tally) {
  constexpr faultline::Duration kTimeout = 10s;
  constexpr std::string_view kAdd = "UPDATE faultline_pool_threads SET n = n + 1 WHERE id = 1";
  constexpr std::string_view kBegin = "BEGIN";
  for (int round = 1; round <= kRounds; ++round) {
    Result<PooledConnection> lease = co_await pool.acquire(kTimeout);
    if (!lease.ok()) {
      fail(tally, lease.error().to_string());
      continue;
    }
    tally.largest_pool = std::max(tally.largest_pool, pool.size());
    Result<PgResult> added = co_await (*lease)->query(kAdd, kTimeout);
    if (!added.ok() || added->is_error() || added->command_status() != "UPDATE 1") {
      fail(tally, added.ok() ? added->error_message() : added.error().to_string());
      continue;
    }
    ++tally.increments;
    if (round % kDiscardEvery == 0) {
      Result<PgResult> begun = co_await (*lease)->query(kBegin, kTimeout);
      if (!begun.ok() || begun->is_error()) fail(tally, "BEGIN failed");
    }
  }
}

// One thread's io_context and Pool, its clients run to completion on this thread alone.
void run_thread(const PoolOptions& options, Tally& tally) {
  boost::asio::io_context io{1};
  Result<std::unique_ptr<Pool>> pool = Pool::create(io, options);
  if (!pool.ok()) {
    fail(tally, pool.error().to_string());
    return;
  }
  int running = kClientsPerThread;
  for (int c = 0; c < kClientsPerThread; ++c) {
    boost::asio::co_spawn(io, client(**pool, tally), [&running, &tally](std::exception_ptr e) {
      if (e) fail(tally, "a client threw");
      --running;
    });
  }
  while (running > 0) io.run_one();
}

class PostgresPoolThreadsTest : public faultline::testing::PostgresTest {};

TEST_F(PostgresPoolThreadsTest, PoolsOnSeveralThreadsAtOnceLoseNothing) {
  faultline::backends::postgres::Connection setup = connect();
  for (const char* sql : {"CREATE TABLE IF NOT EXISTS faultline_pool_threads "
                          "(id int PRIMARY KEY, n bigint NOT NULL)",
                          "DELETE FROM faultline_pool_threads",
                          "INSERT INTO faultline_pool_threads VALUES (1, 0)"}) {
    Result<PgResult> done = query(setup, sql);
    ASSERT_TRUE(done.ok() && !done->is_error()) << sql;
  }
  PoolOptions options;
  options.connection = options_;
  options.max_connections = kConnectionsPerPool;

  std::vector<Tally> tallies(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(run_thread, std::cref(options), std::ref(tallies[t]));
  }
  for (std::thread& thread : threads) thread.join();

  int increments = 0;
  for (const Tally& tally : tallies) {
    EXPECT_EQ(tally.failures, 0) << tally.first_error;
    EXPECT_LE(tally.largest_pool, kConnectionsPerPool);
    increments += tally.increments;
  }
  EXPECT_EQ(increments, kThreads * kClientsPerThread * kRounds);
  Result<PgResult> total = query(setup, "SELECT n FROM faultline_pool_threads WHERE id = 1");
  ASSERT_TRUE(total.ok() && !total->is_error());
  EXPECT_EQ(total->cell(0, 0), std::to_string(increments));
}

}  // namespace
