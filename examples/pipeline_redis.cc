// Reads a key from a real Redis server through a resilience Pipeline (timeout, retry with a
// budget, circuit breaker, attempt timeout), then prints the reply and the breaker's state.
//
//   pipeline_redis_example --port 6390 [--host 127.0.0.1] [--key example:key]
//
// Exit status 0 on success; otherwise 1 with the typed error on stderr (stop the server to see
// kUnavailable, retried within the budget, then given up).
#include <cstdio>
#include <string>

#include <boost/asio/io_context.hpp>

#include "examples/example_flags.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/system_random.h"
#include "faultline/resilience/pipeline.h"

namespace {

using namespace std::chrono_literals;
using namespace faultline;
using namespace faultline::resilience;
using backends::redis::Connection;
using backends::redis::RedisReply;

Task<Result<RedisReply>> read_key(Pipeline& pipeline, Connection& connection, Clock& clock,
                                  const std::string& key) {
  auto get = [&](const CallContext& call) {
    return connection.command({"GET", key}, call.remaining(clock.now()));
  };
  co_return co_await pipeline.execute<RedisReply>(get);
}

}  // namespace

int main(int argc, char** argv) {
  Result<examples::RedisExampleFlags> flags = examples::parse_flags(argc, argv, "example:key");
  if (!flags.ok()) return examples::fail(flags.error());
  const backends::redis::ConnectionOptions& options = flags->redis;
  const std::string& key = flags->key;

  boost::asio::io_context io;
  backends::AsioClock clock;
  backends::SystemRandom random;
  Result<Connection> connection = Connection::create(io, options);
  if (!connection.ok()) return examples::fail(connection.error());

  // The README's example, verbatim.
  auto breaker = CircuitBreaker::create(clock, {.name = "redis", .window_size = 50,
                                                .minimum_calls = 20, .wait_in_open = 5s}).value();
  auto budget = RetryBudget::create(clock, {.ratio = 0.1}).value();  // ~10% of calls, + a burst
  auto pipeline = Pipeline::create(clock, random, {.timeout = 2s,
                                                   .retry = RetryOptions{.max_attempts = 3},
                                                   .retry_budget = &budget,
                                                   .circuit_breaker = &breaker,
                                                   .attempt_timeout = 500ms}).value();

  Result<RedisReply> reply = backends::block_on(io, read_key(pipeline, *connection, clock, key));
  if (!reply.ok()) return examples::fail(reply.error());
  std::printf("GET %s -> %s; breaker %s\n", key.c_str(),
              reply->is_nil() ? "(nil)" : std::string(reply->as_text()).c_str(),
              std::string(to_string(breaker.state())).c_str());
  return 0;
}
