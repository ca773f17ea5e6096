// IdempotentExecutor against a real Redis (FAULTLINE_REDIS_PORTS, set by
// scripts/redis-servers.sh; skipped without it), judged by the same check as the simulated
// scenarios (scenarios/idempotency/payment_invariants.h): duplicates of every request sent by
// four clients at once, each with its own connection, to a processor that takes no idempotency
// key (so only the executor can keep it to one charge), with transient processor failures and a
// holder that outlives its lease and is taken over.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/idempotency_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/idempotency/idempotent_executor.h"
#include "faultline/random.h"
#include "scenarios/idempotency/payment_invariants.h"
#include "tests/support/redis_env.h"

namespace {

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::Result;
using faultline::Task;
using faultline::backends::AsioClock;
using faultline::backends::SystemRandom;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisIdempotencyStore;
namespace idem = faultline::idempotency;
using faultline::scenarios::PaymentRecord;

constexpr int kClients = 4;
constexpr int kRequests = 8;
constexpr int kMaxAttempts = 200;

// A processor without idempotency keys: every charge that arrives is applied, after a latency.
// The first attempt of every request fails before applying anything (a 503).
struct Processor {
  AsioClock& clock;
  PaymentRecord& record;
  std::map<std::string, int> attempts;

  [[nodiscard]] bool charged(const std::string& request) const {
    return std::any_of(record.charges.begin(), record.charges.end(),
                       [&](const auto& c) { return c.request == request; });
  }

  Task<Result<std::string>> charge(std::string request) {
    co_await clock.sleep_for(5ms);
    if (attempts[request]++ == 0) co_return faultline::unavailable("503: try again");
    std::string id = "ch-" + std::to_string(record.charges.size() + 1);
    record.charges.push_back({request, id});
    co_return id;
  }
};

struct Client {
  std::unique_ptr<RedisIdempotencyStore> store;
  std::unique_ptr<idem::IdempotentExecutor> executor;
};

// The payment's phases; `slow_after_charge` makes the last phase outlive the lease.
idem::Phases phases_for(Processor& processor, AsioClock& clock, std::string request,
                        bool slow_after_charge) {
  idem::Phases phases;
  phases.add("started", [&processor, request](const idem::PhaseContext&)
                            -> Task<Result<idem::PhaseResult>> {
    auto charging = processor.charge(request);
    Result<std::string> charged = co_await std::move(charging);
    if (!charged) co_return std::move(charged).error();
    co_return idem::PhaseResult{idem::Next{"charged", charged.value()}};
  });
  phases.add("charged", [&clock, slow_after_charge](const idem::PhaseContext& ctx)
                            -> Task<Result<idem::PhaseResult>> {
    if (slow_after_charge) co_await clock.sleep_for(1500ms);
    co_return idem::PhaseResult{idem::Final{"201 " + ctx.data()}};
  });
  return phases;
}

Task<void> send(Client& client, Processor& processor, AsioClock& clock, PaymentRecord& record,
                std::string scope, std::string request, bool slow, int& running, int& aborted) {
  const idem::Phases phases = phases_for(processor, clock, request, slow);
  const std::string key = "key-" + request;
  const std::string print = "POST /payments " + request;
  // The slow client goes first, and the others start once the request is charged: the slow one
  // is then the holder that outlives its lease, however loaded the machine (bounded wait).
  for (int waited = 0; !slow && !processor.charged(request) && waited < 2000; ++waited) {
    co_await clock.sleep_for(Duration(5ms));
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto executing = client.executor->execute({scope, key}, print, phases);
    Result<idem::Execution> done = co_await std::move(executing);
    if (!done && done.error().code == faultline::ErrorCode::kAborted) ++aborted;
    if (done && (done->disposition == idem::Disposition::kExecuted ||
                 done->disposition == idem::Disposition::kReplayed)) {
      record.answers[request].push_back(done->response);
      if (done->response.starts_with("201")) break;
    }
    // Bound first: g++ 12 mishandles a conditional inside a co_await operand.
    const Duration pause = done && done->disposition == idem::Disposition::kInFlight
                               ? std::min(done->retry_after, Duration(100ms))
                               : Duration(10ms);
    co_await clock.sleep_for(pause);
  }
  --running;
}

TEST(IdempotentExecutorOnRedis, DuplicatesFailuresAndATakeOverChargeEachRequestOnce) {
  const std::optional<int> port = faultline::testing::first_redis_port();
  if (!port) GTEST_SKIP() << "FAULTLINE_REDIS_PORTS is not set; run via scripts/redis-servers.sh";
  boost::asio::io_context io;
  AsioClock clock;
  SystemRandom random;
  PaymentRecord record;
  Processor processor{clock, record, {}};
  // A fresh scope per run: records of earlier runs (kept for their retention) stay out of it.
  const std::string scope = "exec-test-" + faultline::random_token(random);
  std::vector<Client> clients(kClients);
  for (int i = 0; i < kClients; ++i) {
    ConnectionOptions options;
    options.port = *port;
    auto store = RedisIdempotencyStore::create(io, options);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    idem::ExecutorOptions exec;
    exec.lease = 500ms;
    exec.max_wait = i % 2 == 0 ? Duration::zero() : Duration(2s);  // 409s and waits both
    clients[i].store = std::move(store).value();
    clients[i].executor =
        std::make_unique<idem::IdempotentExecutor>(*clients[i].store, clock, random, exec);
  }
  std::vector<std::string> requests;
  int running = 0;
  int aborted = 0;  // completions refused to a holder that was taken over
  for (int j = 0; j < kRequests; ++j) {
    requests.push_back("req-" + std::to_string(j));
    for (int i = 0; i < kClients; ++i) {
      ++running;
      // Client 0 is slow after the charge on every request: its lease lapses, another client
      // takes the request over and finishes it; client 0's completion is refused.
      boost::asio::co_spawn(io, send(clients[i], processor, clock, record, scope,
                                     requests.back(), i == 0, running, aborted),
                            boost::asio::detached);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (running > 0 && std::chrono::steady_clock::now() < deadline) io.run_for(100ms);
  ASSERT_EQ(running, 0) << "clients still running after 60 s";
  const auto violation = faultline::scenarios::check_payments(requests, record);
  EXPECT_FALSE(violation) << violation->kind << ": " << violation->message;
  EXPECT_EQ(record.charges.size(), static_cast<std::size_t>(kRequests));
  EXPECT_GT(aborted, 0) << "no holder was taken over: the test did not exercise a take-over";
}

}  // namespace
