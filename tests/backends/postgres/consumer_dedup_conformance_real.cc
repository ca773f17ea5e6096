// The consumer dedup conformance suite's harness for the real servers: RedisDedupCache on the
// first plain redis-server (FAULTLINE_REDIS_PORTS) and PgDedupLedger on the PostgreSQL server
// (FAULTLINE_PG_*); without either the suite skips, saying which. Each client has its own Redis
// connection and its own pool. The effect is an upsert counting applications per message in
// faultline_test_dedup_effects, on the ledger's connection, inside its transaction.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/dedup_ledger.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/backends/redis/dedup_cache.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/idempotency/consumer_dedup_conformance.h"
#include "tests/support/postgres_env.h"
#include "tests/support/redis_env.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
namespace pg = backends::postgres;
namespace redis = backends::redis;

constexpr std::string_view kCreateEffects =
    "CREATE TABLE IF NOT EXISTS faultline_test_dedup_effects (key text PRIMARY KEY, "
    "count integer NOT NULL)";
constexpr std::string_view kCountEffect =
    "INSERT INTO faultline_test_dedup_effects AS e (key, count) VALUES ($1, 1) "
    "ON CONFLICT (key) DO UPDATE SET count = e.count + 1";
constexpr std::string_view kReadEffects =
    "SELECT count FROM faultline_test_dedup_effects WHERE key = $1";

template <class T>
T must(Result<T> result) {
  if (!result.ok()) throw std::runtime_error(result.error().to_string());
  return std::move(result).value();
}

class RealHarness final : public ConsumerDedupHarness {
 public:
  RealHarness(const pg::ConnectionOptions& pg_options, int redis_port)  {
    redis::ConnectionOptions redis_options;
    redis_options.port = redis_port;
    for (int i = 0; i < kClients; ++i) {
      pg::PoolOptions pool_options;
      pool_options.connection = pg_options;
      pool_options.max_connections = 2;
      pools_.push_back(must(pg::Pool::create(io_, pool_options)));
      ledgers_.push_back(std::make_unique<pg::PgDedupLedger>(*pools_.back()));
      redis_.push_back(
          std::make_unique<redis::Connection>(must(redis::Connection::create(io_, redis_options))));
      caches_.push_back(std::make_unique<redis::RedisDedupCache>(*redis_.back()));
    }
    Result<void> schema = backends::block_on(io_, ledgers_.front()->ensure_schema(10s));
    if (!schema.ok()) throw std::runtime_error(schema.error().to_string());
    const pg::PgResult created = must(backends::block_on(io_, run_sql(kCreateEffects, {})));
    if (created.is_error()) throw std::runtime_error(created.to_error().to_string());
    backends::SystemRandom random;
    prefix_ = "conformance-" + random_token(random).substr(0, 12);
  }

  Task<Result<idempotency::DedupReply>> process(int client, idempotency::DedupCache* cache,
                                                idempotency::MessageId id, bool fail_effect,
                                                Duration timeout) override {
    // The suite asserts the cache answered (cache_errors == 0). Labelled postgres, it may run
    // beside the Redis tests, one of which blocks the shared server with DEBUG SLEEP 0.5: a
    // cache call's default 100 ms was missed so in CI (2026-11-30, under the sanitizers, both
    // calls failed). Two seconds ride through that.
    auto dedup = idempotency::ConsumerDedup<pg::PgDedupLedger>::create(
        cache, *ledgers_.at(static_cast<std::size_t>(client)), clock_,
        {.cache_timeout = std::chrono::seconds(2)});
    if (!dedup.ok()) co_return std::move(dedup).error();
    const pg::PgDedupLedger::Effect effect =
        [key = std::string(id.message_id), fail_effect](
            pg::Connection& connection, Duration remaining) -> Task<Result<void>> {
      const std::array<std::string, 1> params{key};
      Result<pg::PgResult> counted = co_await connection.query(kCountEffect, params, remaining);
      if (!counted.ok()) co_return std::move(counted).error();
      if (counted->is_error()) co_return counted->to_error();
      if (fail_effect) co_return unavailable("effect failed");
      co_return Ok{};
    };
    auto processing = dedup->process(id, effect, timeout);
    co_return co_await std::move(processing);
  }

  idempotency::DedupCache& cache(int client) override {
    return *caches_.at(static_cast<std::size_t>(client));
  }

  Task<Result<int>> effects(idempotency::MessageId id) override {
    const std::array<std::string, 1> params{std::string(id.message_id)};
    Result<pg::PgResult> read = co_await run_sql(kReadEffects, params);
    if (!read.ok()) co_return std::move(read).error();
    if (read->is_error()) co_return read->to_error();
    if (read->rows().empty()) co_return 0;
    co_return std::stoi(read->cell(0, 0).value_or("0"));
  }

  Task<void> forget(idempotency::MessageId id) override {
    const std::array<std::string, 2> argv{"DEL", idempotency::dedup_key(id)};
    auto deleting = redis_.front()->command(std::span<const std::string>(argv), 5s);
    Result<redis::RedisReply> deleted = co_await std::move(deleting);
    if (!deleted.ok()) throw std::runtime_error(deleted.error().to_string());
  }

  void run(std::function<Task<void>()> body) override { backends::block_on(io_, body()); }

  std::string unique_id() override { return fmt::format("{}-{}", prefix_, next_id_++); }
  std::string name() const override { return "redis-server + postgresql server"; }

 private:
  Task<Result<pg::PgResult>> run_sql(std::string_view sql, std::span<const std::string> params) {
    Result<pg::PooledConnection> lease = co_await pools_.front()->acquire(5s);
    if (!lease.ok()) co_return std::move(lease).error();
    co_return co_await (*lease)->query(sql, params, 5s);
  }

  boost::asio::io_context io_{1};
  backends::AsioClock clock_;
  std::vector<std::unique_ptr<pg::Pool>> pools_;
  std::vector<std::unique_ptr<pg::PgDedupLedger>> ledgers_;
  std::vector<std::unique_ptr<redis::Connection>> redis_;
  std::vector<std::unique_ptr<redis::RedisDedupCache>> caches_;
  std::string prefix_;
  int next_id_ = 0;
};

}  // namespace

std::unique_ptr<ConsumerDedupHarness> make_consumer_dedup_harness(std::string& why_not) {
  std::optional<pg::ConnectionOptions> options = options_from_env();
  const std::optional<int> port = first_redis_port();
  if (!options || !port) {
    why_not = !options ? kPgEnvMissing : "FAULTLINE_REDIS_PORTS is not set";
    return nullptr;
  }
  return std::make_unique<RealHarness>(*options, *port);
}

}  // namespace faultline::testing
