// The LimitStore conformance suite's harness for a real redis-server on loopback.
//
// Runs on the first of the plain servers (FAULTLINE_REDIS_PORTS), which scripts/redis-servers.sh
// sets when it starts the test servers; without it the suite skips, saying so. Waits are real
// time (the suite's are short); the model is fed the server's own TIME of each decision, so the
// comparison is exact however long a round trip takes.
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/limit_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/random.h"
#include "tests/ratelimit/limit_store_conformance.h"
#include "tests/support/redis_env.h"

namespace faultline::testing {
namespace {

class RedisHarness final : public LimitStoreHarness {
 public:
  explicit RedisHarness(int port) {
    backends::redis::ConnectionOptions options;
    options.port = port;
    for (int i = 0; i < kClients; ++i) {
      auto store = backends::redis::RedisLimitStore::create(io_, options);
      if (!store) throw std::runtime_error(store.error().to_string());
      stores_.push_back(std::move(store).value());
    }
    // Keys unique across runs too: a previous run's state may still live on the server.
    backends::SystemRandom random;
    prefix_ = "conformance:" + random_token(random).substr(0, 12);
  }

  ratelimit::LimitStore& store(int client) override { return at(client); }
  void run(std::function<Task<void>()> body) override { backends::block_on(io_, body()); }

  void run_concurrently(std::vector<std::function<Task<void>()>> bodies) override {
    std::size_t done = 0;
    std::exception_ptr failure;
    for (auto& body : bodies) {
      boost::asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
        if (e) failure = e;
        ++done;
      });
    }
    if (io_.stopped()) io_.restart();
    while (done < bodies.size()) {
      if (io_.run_one() == 0) throw std::logic_error("run_concurrently: out of work");
    }
    if (failure) std::rethrow_exception(failure);
  }

  // Real time must pass on the server; the harness has nothing else to do meanwhile.
  void wait(Duration duration) override { std::this_thread::sleep_for(duration); }
  ratelimit::Instant last_instant(int client) override { return at(client).last_instant(); }
  std::string unique_key() override { return fmt::format("{}:{}", prefix_, next_key_++); }
  std::string name() const override { return "redis-server"; }
  std::optional<Duration> pttl(const std::string& name) override {
    const std::array<std::string_view, 2> argv{"PTTL", name};
    auto reply = backends::block_on(io_, at(0).connection().command(argv, std::chrono::seconds(2)));
    if (!reply) throw std::runtime_error(reply.error().to_string());
    if (!reply->is_integer()) throw std::runtime_error("PTTL did not answer an integer");
    if (reply->as_integer() == -2) return std::nullopt;
    if (reply->as_integer() < 0) return Duration::max();
    return std::chrono::milliseconds(reply->as_integer());
  }
  bool supports(const ratelimit::Policy&) const override { return true; }

 private:
  backends::redis::RedisLimitStore& at(int client) {
    return *stores_.at(static_cast<std::size_t>(client));
  }

  boost::asio::io_context io_;
  std::vector<std::unique_ptr<backends::redis::RedisLimitStore>> stores_;
  std::string prefix_;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<LimitStoreHarness> make_limit_store_harness(std::string& why_not) {
  const std::optional<int> port = first_redis_port();
  if (!port) {
    why_not = "FAULTLINE_REDIS_PORTS is not set: run via scripts/redis-servers.sh run";
    return nullptr;
  }
  return std::make_unique<RedisHarness>(*port);
}

}  // namespace faultline::testing
