// The IdempotencyStore conformance suite's harness for a real PostgreSQL server
// (PgIdempotencyStore). The server comes from FAULTLINE_PG_*, which scripts/postgres-server.sh
// sets in `run` mode; without it the suite skips. Each client has a store over a pool of its
// own (its own connections); the schema is ensured once, when the harness is made.
#include <fmt/format.h>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/idempotency_store.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/idempotency/idempotency_store_conformance.h"
#include "tests/support/postgres_env.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using backends::postgres::ConnectionOptions;
using backends::postgres::PgIdempotencyStore;
using backends::postgres::Pool;
using backends::postgres::PoolOptions;

class PgHarness final : public IdempotencyStoreHarness {
 public:
  explicit PgHarness(const ConnectionOptions& options) {
    for (int i = 0; i < kClients; ++i) {
      PoolOptions pool_options;
      pool_options.connection = options;
      pool_options.connection.application_name = fmt::format("faultline-idempotency-{}", i);
      pool_options.max_connections = 2;
      auto pool = Pool::create(io_, pool_options);
      if (!pool) throw std::runtime_error(pool.error().to_string());
      pools_.push_back(std::move(pool).value());
      stores_.push_back(std::make_unique<PgIdempotencyStore>(*pools_.back()));
    }
    Result<void> schema = backends::block_on(io_, stores_.front()->ensure_schema(10s));
    if (!schema.ok()) throw std::runtime_error(schema.error().to_string());
    // Keys unique across runs too: the server (and its table) may be shared.
    backends::SystemRandom random;
    prefix_ = "conformance:" + random_token(random).substr(0, 12);
  }

  idempotency::IdempotencyStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }

  void run(std::function<Task<void>()> body) override {
    bool done = false;
    std::exception_ptr failure;
    boost::asio::co_spawn(io_, wrap(std::move(body)), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    if (io_.stopped()) io_.restart();
    while (!done) {
      if (io_.run_one() == 0) throw std::logic_error("the io_context ran out of work");
    }
    if (failure) std::rethrow_exception(failure);
  }

  // Real time must pass on the server; the harness has nothing else to do meanwhile.
  void wait(Duration duration) override { std::this_thread::sleep_for(duration); }
  std::string unique_key() override { return fmt::format("{}:{}", prefix_, next_key_++); }
  std::string name() const override { return "postgresql server"; }
  bool reaps() const override { return true; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body) { co_await body(); }

  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<Pool>> pools_;
  std::vector<std::unique_ptr<PgIdempotencyStore>> stores_;
  std::string prefix_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<IdempotencyStoreHarness> make_idempotency_store_harness(std::string& why_not) {
  std::optional<ConnectionOptions> options = options_from_env();
  if (!options) {
    why_not = kPgEnvMissing;
    return nullptr;
  }
  return std::make_unique<PgHarness>(*options);
}

}  // namespace faultline::testing
