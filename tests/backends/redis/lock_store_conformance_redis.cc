// The conformance suite's harness for a real redis-server on loopback.
//
// The suite checks fencing tokens, so it runs on the durable server
// (FAULTLINE_REDIS_DURABLE_PORT: AOF with appendfsync always, as the fenced claims assume), which
// scripts/redis-servers.sh sets when it starts the test servers. Without it the suite skips.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/locks/lock_store_conformance.h"
#include "tests/support/redis_env.h"

namespace faultline::testing {
namespace {

class RedisHarness final : public LockStoreHarness {
 public:
  explicit RedisHarness(int port) {
    backends::redis::ConnectionOptions options;
    options.port = port;
    for (int i = 0; i < kClients; ++i) {
      auto store = backends::redis::RedisLockStore::create(io_, options);
      if (!store) throw std::runtime_error(store.error().to_string());
      stores_.push_back(std::move(store).value());
    }
    // Keys unique across runs too: a previous run's keys may still live on the server.
    backends::SystemRandom random;
    prefix_ = "conformance:" + random_token(random).substr(0, 12);
  }

  locks::LockStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }
  void run(std::function<Task<void>()> body) override { backends::block_on(io_, body()); }
  // Real time must pass on the server; the harness has nothing else to do meanwhile.
  void wait(Duration duration) override { std::this_thread::sleep_for(duration); }
  std::string unique_key() override { return fmt::format("{}:{}", prefix_, next_key_++); }
  std::string name() const override { return "redis-server"; }

 private:
  boost::asio::io_context io_;
  std::vector<std::unique_ptr<backends::redis::RedisLockStore>> stores_;
  std::string prefix_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<LockStoreHarness> make_lock_store_harness(std::string& why_not) {
  const std::optional<int> port = durable_redis_port();
  if (!port) {
    why_not = kDurableRedisMissing;
    return nullptr;
  }
  return std::make_unique<RedisHarness>(*port);
}

}  // namespace faultline::testing
