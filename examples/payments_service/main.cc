// payments_service: an HTTP payments API whose POST /payments is idempotent per
// (caller, Idempotency-Key), over Redis (idempotency records) and PostgreSQL (payments).
//
//   payments_service --listen 127.0.0.1:8080 --redis 127.0.0.1:6379
//                    --postgres 'host=127.0.0.1 port=5432 dbname=app user=app password=...'
//
// Prints "listening on HOST:PORT" once it serves (with --listen ...:0, the port it picked), a
// line per request and per processor call on stderr, never a credential, an idempotency key or
// a bearer token. Ends on SIGINT/SIGTERM (exit 0) or at once with 1 when it cannot start.
// The routes: payment_service.h; the phases: payment_phases.h; the flags: service_flags.h; the
// rate limits: caller_limits.h.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "backends/src/common/redact.h"
#include "examples/payments_service/conninfo.h"
#include "examples/payments_service/http_server.h"
#include "examples/payments_service/payment_phases.h"
#include "examples/payments_service/payment_service.h"
#include "examples/payments_service/service_flags.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/pool.h"
#include "faultline/backends/redis/idempotency_store.h"
#include "faultline/backends/redis/limit_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/idempotency/idempotent_executor.h"
#include "faultline/resilience/pipeline.h"

namespace {

using namespace std::chrono_literals;
using namespace faultline;
using namespace faultline::payments;
namespace asio = boost::asio;

// Everything the service is made of, built in dependency order (and destroyed in reverse).
struct App {
  std::unique_ptr<backends::redis::RedisIdempotencyStore> store;
  std::optional<backends::redis::RedisLimitStore> limit_store;  // on the store's connection
  std::optional<CallerLimits> limits;
  std::unique_ptr<backends::postgres::Pool> pool;
  std::optional<PaymentsTable> table;
  std::optional<SimulatedProcessor> processor;
  std::optional<resilience::CircuitBreaker> breaker;
  std::optional<resilience::Pipeline> pipeline;
  std::optional<idempotency::IdempotentExecutor> executor;
  std::optional<PaymentFlow> flow;
  std::optional<PaymentService> service;
};

// The processor's pipeline: a timeout on the whole call, one retry (two attempts) with a short
// backoff, a circuit breaker, and a timeout per attempt. The retry is `idempotent`: every
// attempt carries the same downstream key, so one whose outcome is unknown may be repeated. With
// two attempts, --fail-first 1 is absorbed by the retry, and --fail-first N >= 2 reaches the
// client as a 503 (nothing stored) until the processor recovers: the client's retry with the
// same key then resumes the request and succeeds.
Result<resilience::Pipeline> processor_pipeline(Clock& clock, Random& random,
                                                resilience::CircuitBreaker& breaker,
                                                const ServiceFlags& flags) {
  resilience::RetryOptions retry;
  retry.max_attempts = 2;
  retry.idempotent = true;
  retry.backoff.base = 50ms;
  retry.backoff.cap = 500ms;
  return resilience::Pipeline::create(
      clock, random,
      {.timeout = 2 * flags.processor_timeout + 1s,
       .retry = retry,
       .circuit_breaker = &breaker,
       .attempt_timeout = flags.processor_timeout});
}

Result<void> build(App& app, asio::io_context& io, Clock& clock, Random& random,
                   const ServiceFlags& flags) {
  auto store = backends::redis::RedisIdempotencyStore::create(io, flags.redis);
  if (!store.ok()) return std::move(store).error();
  app.store = std::move(store).value();
  if (flags.rate_limit.enabled()) {
    app.limit_store.emplace(app.store->connection());
    auto limits = CallerLimits::create(clock, *app.limit_store, flags.rate_limit);
    if (!limits.ok()) return std::move(limits).error();
    app.limits.emplace(std::move(limits).value());
  }
  auto pool = backends::postgres::Pool::create(io, {flags.postgres, flags.pg_connections});
  if (!pool.ok()) return std::move(pool).error();
  app.pool = std::move(pool).value();
  app.table.emplace(*app.pool, 2s);
  if (Result<void> schema = backends::block_on(io, app.table->ensure_schema()); !schema.ok()) {
    return schema;
  }
  app.processor.emplace(clock, flags.processor_latency, flags.fail_first);
  // Opens when half of the last 20 calls failed (at least 10 seen), probes again after 5 s.
  auto breaker = resilience::CircuitBreaker::create(
      clock, {.name = "processor", .window_size = 20, .minimum_calls = 10, .wait_in_open = 5s});
  if (!breaker.ok()) return std::move(breaker).error();
  app.breaker.emplace(std::move(breaker).value());
  auto pipeline = processor_pipeline(clock, random, *app.breaker, flags);
  if (!pipeline.ok()) return std::move(pipeline).error();
  app.pipeline.emplace(std::move(pipeline).value());
  idempotency::ExecutorOptions options;
  options.max_wait = flags.max_wait;
  if (Result<void> valid = idempotency::validate(options); !valid.ok()) return valid;
  app.executor.emplace(*app.store, clock, random, options);
  app.flow.emplace(*app.table, *app.processor, *app.pipeline, clock);
  app.service.emplace(*app.executor, *app.flow, *app.table, app.limits ? &*app.limits : nullptr);
  return {};
}

Task<HttpResponse> handle_and_log(PaymentService& service, const HttpRequest& request) {
  HttpResponse response = co_await service.handle(request);
  std::fprintf(stderr, "%s %.64s -> %d%s\n", request.method.c_str(), request.target.c_str(),
               response.status, response.replayed ? " (replayed)" : "");
  co_return response;
}

}  // namespace

int main(int argc, char** argv) {
  std::variant<ServiceFlags, int> parsed = parse_service_flags(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const ServiceFlags& flags = std::get<ServiceFlags>(parsed);
  // Every error printed passes through redact: a server may echo what it was sent.
  const auto fail = [&](const Error& error) {
    std::fprintf(stderr, "error: %s\n",
                 backends::detail::redact(error.to_string(), flags.postgres.password).c_str());
    return 1;
  };

  asio::io_context io;
  backends::AsioClock clock;
  backends::SystemRandom random;
  App app;
  if (Result<void> built = build(app, io, clock, random, flags); !built.ok()) {
    return fail(built.error());
  }
  Handler handler = [&app](const HttpRequest& request) {
    return handle_and_log(*app.service, request);
  };
  auto server = HttpServer::create(io, flags.listen, flags.limits, std::move(handler));
  if (!server.ok()) return fail(server.error());
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*server)->stop();
    io.stop();
  });
  const auto endpoint = (*server)->local_endpoint();
  std::fprintf(stderr, "payments_service: listening on %s:%u (redis %s:%d, postgres %s)\n",
               endpoint.address().to_string().c_str(), endpoint.port(), flags.redis.host.c_str(),
               flags.redis.port, describe(flags.postgres).c_str());
  asio::co_spawn(io, (*server)->run(), asio::detached);
  io.run();
  // Coroutines still suspended (keep-alive connections, requests in progress) are not unwound:
  // their frames refer to objects above, and nothing durable depends on them (PostgreSQL and
  // Redis see the sockets close; an unfinished request is resumed by the client's retry).
  std::fflush(nullptr);
  std::_Exit(0);
}
