#include "scenarios/idempotency/consumer_dedup.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/harness/sim_scenario.h"
#include "faultline/idempotency/consumer_dedup.h"
#include "faultline/invariant.h"
#include "faultline/sim/pg_dedup_ledger.h"
#include "faultline/sim/redis_dedup_cache.h"
#include "faultline/sim/rpc.h"
#include "scenarios/idempotency/sim_queue.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
using idempotency::DedupOutcome;
using idempotency::MessageId;

constexpr int kMessages = 12;
constexpr int kConsumers = 2;
constexpr Duration kVisibility = 400ms;
constexpr Duration kCallTimeout = 300ms;
constexpr std::string_view kEffects = "effects";
constexpr const char* kConsumer = "billing";

struct Consumption {
  std::unique_ptr<SimQueue> queue;  // made in setup, on the "broker" host
  std::map<std::string, std::vector<std::size_t>> process_ops;  // message -> its "process" ops
};
using Run = harness::SimRun<Consumption>;

// The hazard's ledger: the effect in a transaction, but no record (the cache alone decides).
class EffectOnlyLedger {
 public:
  using Effect = sim::SimDedupLedger::Effect;
  EffectOnlyLedger(sim::Network& network, sim::Process& client, sim::PgNode& node)
      : network_(network), client_(client), node_(node) {}
  Task<Result<bool>> apply_once(MessageId, const Effect& effect, Duration timeout) {
    sim::PgNode* node = &node_;
    const sim::ProcessId client = client_.id();
    auto op = [node, client, effect]() -> Result<bool> {
      const sim::SessionId session = node->open_session(client);
      Result<bool> done = node->transaction(session, [&](sim::PgDatabase& db) -> Result<bool> {
        if (Result<void> r = effect(db); !r.ok()) return std::move(r).error();
        return true;
      });
      node->close_session(session);
      return done;
    };
    auto reply = sim::call<bool>(network_, client_, node_.host(), timeout, std::move(op));
    co_return co_await std::move(reply);
  }

 private:
  sim::Network& network_;
  sim::Process& client_;
  sim::PgNode& node_;
};

// The effect: one more application of `message` in the effects table.
sim::SimDedupLedger::Effect count_effect(std::string message) {
  return [message = std::move(message)](sim::PgDatabase& db) -> Result<void> {
    sim::PgTable& table = db.table(kEffects);
    if (table.insert(message, sim::PgRow{{"count", "1"}})) return Ok{};
    const int count = std::stoi(table.find(message)->at("count"));
    table.update(message, "count", std::to_string(count + 1));
    return Ok{};
  };
}

template <class Ledger>
Task<void> consume(Run& run, sim::Process& self, Ledger ledger) {
  sim::SimDedupCache cache(run.network(), self, run.topology->redis("redis"));
  idempotency::ConsumerDedupOptions options;
  options.window = 10min;
  options.cache_timeout = 50ms;
  auto dedup = idempotency::ConsumerDedup<Ledger>::create(&cache, ledger, self.clock(), options);
  FAULTLINE_INVARIANT(dedup.ok(), "the scenario's dedup options are valid");
  SimQueue& queue = *run.state.queue;
  while (queue.pending() > 0) {
    auto receiving = receive_from(run.network(), self, queue, kCallTimeout);
    Result<std::optional<Delivery>> got = co_await std::move(receiving);
    if (!got.ok() || !got->has_value()) {
      auto idle = self.clock().sleep_for(50ms);
      co_await std::move(idle);
      continue;
    }
    const Delivery delivery = **got;
    const std::size_t op = run.history->invoke(self.id(), "process", delivery.message_id);
    run.state.process_ops[delivery.message_id].push_back(op);
    const sim::SimDedupLedger::Effect effect = count_effect(delivery.message_id);
    auto processing = dedup->process(MessageId{kConsumer, delivery.message_id}, effect, 1s);
    Result<idempotency::DedupReply> reply = co_await std::move(processing);
    if (!reply.ok()) {
      const bool unknown = reply.error().may_have_happened();
      run.history->complete(op, unknown ? sim::OpStatus::kUnknown : sim::OpStatus::kFail,
                            reply.error().to_string());
      continue;  // not acked: the queue redelivers it
    }
    const bool applied = reply->outcome == DedupOutcome::kApplied;
    run.history->complete(op, sim::OpStatus::kOk,
                          applied ? "applied" : (reply->from_cache ? "dup (cache)" : "dup (ledger)"));
    auto acking = ack_to(run.network(), self, queue, delivery.receipt, kCallTimeout);
    (void)co_await std::move(acking);
  }
}

// Exactly once, judged from the effects table alone: every message applied, none twice.
std::optional<Violation> exactly_once(Run& run) {
  const sim::PgTable* effects = run.topology->postgres("pg").database().find_table(kEffects);
  for (int n = 1; n <= kMessages; ++n) {
    const std::string message = fmt::format("m-{}", n);
    const sim::PgRow* row = effects == nullptr ? nullptr : effects->find(message);
    const int count = row == nullptr ? 0 : std::stoi(row->at("count"));
    if (count == 1) continue;
    return Violation{fmt::format("message {} was applied {} times (exactly once expected)",
                                 message, count),
                     -1, count == 0 ? "lost-message" : "duplicate-effect",
                     run.state.process_ops[message]};
  }
  return std::nullopt;
}

sim::FaultSpace faults() {
  sim::FaultSpace space = sim::FaultSpace::none();
  space.nodes = {"redis", "pg"};
  space.node_crashes = true;
  space.node_crash_without_persistence = true;
  space.node_crash_always_loses_data = true;  // Redis without persistence (PG is durable)
  space.downtime_max = 500ms;
  space.client_crashes = true;
  space.pauses = true;
  space.pause_max = 600ms;  // past the visibility timeout: a concurrent redelivery
  space.partitions = true;
  space.partition_max = 500ms;
  space.horizon = 2s;
  space.max_faults = 4;
  return space;
}

}  // namespace

std::unique_ptr<Scenario> consumer_dedup_scenario(DedupVariant variant) {
  const bool ledger = variant == DedupVariant::kLedger;
  harness::SimScenarioSpec<Consumption> spec;
  spec.name = ledger ? "idempotency/consumer-dedup" : "idempotency/redis-only-dedup";
  spec.description =
      ledger ? "Redis fast path + PostgreSQL record in the effect's transaction: each message "
               "applied once through duplicates, redeliveries and Redis restarts"
             : "hazard: dedup in a Redis without persistence only: a duplicate effect after a "
               "restart (or a race)";
  spec.expect = ledger ? Expect::kHolds : Expect::kViolationFound;
  // One consumer in the hazard, so that what finds it is the cache losing data (a restart, a
  // crash between the effect and the mark), not two deliveries racing past an empty cache.
  spec.clients = ledger ? kConsumers : 1;
  spec.topology = [](sim::TopologyBuilder& t) {
    t.redis("redis").postgres("pg").service("broker");
  };
  spec.setup = [](Run& run) {
    run.state.queue = std::make_unique<SimQueue>(run.topology->process("broker"), kVisibility);
    sim::Rng rng(run.seed ^ 0xD0B1E5ULL);
    for (int n = 1; n <= kMessages; ++n) {
      run.state.queue->publish(fmt::format("m-{}", n));
      if (rng.next_u64() % 3 == 0) run.state.queue->publish(fmt::format("m-{}", n));  // duplicate
    }
  };
  spec.workload = [ledger](Run& run, sim::Process& self, std::size_t) {
    sim::PgNode& pg = run.topology->postgres("pg");
    if (ledger) {
      self.spawn(consume(run, self, sim::SimDedupLedger(run.network(), self, pg)));
    } else {
      self.spawn(consume(run, self, EffectOnlyLedger(run.network(), self, pg)));
    }
  };
  spec.done = [](const Run& run) { return run.state.queue->pending() == 0; };
  spec.invariant = exactly_once;
  spec.faults = faults();
  spec.run_limit = 120s;
  return harness::make_sim_scenario(std::move(spec));
}

}  // namespace faultline::scenarios
