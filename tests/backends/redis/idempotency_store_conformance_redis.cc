// The IdempotencyStore conformance suite's harness for a real redis-server on loopback.
//
// Idempotency records need no durable counter, so the suite runs on the first of the plain
// servers (FAULTLINE_REDIS_PORTS), which scripts/redis-servers.sh sets when it starts the test
// servers. Without it the suite skips, saying so. Waits are real time (the suite's are short).
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/idempotency_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/idempotency/idempotency_store_conformance.h"
#include "tests/support/redis_env.h"

namespace faultline::testing {
namespace {

class RedisHarness final : public IdempotencyStoreHarness {
 public:
  explicit RedisHarness(int port) {
    backends::redis::ConnectionOptions options;
    options.port = port;
    for (int i = 0; i < kClients; ++i) {
      auto store = backends::redis::RedisIdempotencyStore::create(io_, options);
      if (!store) throw std::runtime_error(store.error().to_string());
      stores_.push_back(std::move(store).value());
    }
    // Keys unique across runs too: a previous run's records may still live on the server.
    backends::SystemRandom random;
    prefix_ = "conformance:" + random_token(random).substr(0, 12);
  }

  idempotency::IdempotencyStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }
  void run(std::function<Task<void>()> body) override { backends::block_on(io_, body()); }
  // Real time must pass on the server; the harness has nothing else to do meanwhile.
  void wait(Duration duration) override { std::this_thread::sleep_for(duration); }
  std::string unique_key() override { return fmt::format("{}:{}", prefix_, next_key_++); }
  std::string name() const override { return "redis-server"; }
  bool reaps() const override { return false; }

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<backends::redis::RedisIdempotencyStore>> stores_;
  std::string prefix_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<IdempotencyStoreHarness> make_idempotency_store_harness(std::string& why_not) {
  const std::optional<int> port = first_redis_port();
  if (!port) {
    why_not = "FAULTLINE_REDIS_PORTS is not set: run via scripts/redis-servers.sh run";
    return nullptr;
  }
  return std::make_unique<RedisHarness>(*port);
}

}  // namespace faultline::testing
