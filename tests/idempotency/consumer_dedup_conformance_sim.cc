// The consumer dedup conformance suite's harness for the simulated servers: SimDedupCache on a
// RedisNode, SimDedupLedger on a PgNode, the effect a counter row in the node's database.
#include <fmt/format.h>

#include <stdexcept>

#include "faultline/sim/pg_dedup_ledger.h"
#include "faultline/sim/redis_dedup_cache.h"
#include "faultline/sim/redis_strings.h"
#include "faultline/sim/topology.h"
#include "tests/idempotency/consumer_dedup_conformance.h"

namespace faultline::testing {
namespace {

constexpr std::string_view kEffects = "dedup_effects";

class SimHarness final : public ConsumerDedupHarness {
 public:
  SimHarness()
      : topology_(sim::TopologyBuilder(0xDED0).redis("redis").postgres("pg").clients(kClients)) {
    for (int i = 0; i < kClients; ++i) {
      sim::Process& client = topology_.client(static_cast<std::size_t>(i));
      caches_.push_back(std::make_unique<sim::SimDedupCache>(topology_.network(), client,
                                                             topology_.redis("redis")));
      ledgers_.push_back(std::make_unique<sim::SimDedupLedger>(topology_.network(), client,
                                                               topology_.postgres("pg")));
    }
    topology_.start();
  }

  Task<Result<idempotency::DedupReply>> process(int client, idempotency::DedupCache* cache,
                                                idempotency::MessageId id, bool fail_effect,
                                                Duration timeout) override {
    const auto index = static_cast<std::size_t>(client);
    auto dedup = idempotency::ConsumerDedup<sim::SimDedupLedger>::create(
        cache, *ledgers_.at(index), topology_.client(index).clock(), {});
    if (!dedup.ok()) co_return std::move(dedup).error();
    const sim::SimDedupLedger::Effect effect = [key = std::string(id.message_id),
                                                fail_effect](sim::PgDatabase& db) -> Result<void> {
      sim::PgTable& table = db.table(kEffects);
      if (table.insert(key, sim::PgRow{{"count", "1"}})) return fail(fail_effect);
      const int count = std::stoi(table.find(key)->at("count"));
      table.update(key, "count", std::to_string(count + 1));
      return fail(fail_effect);
    };
    auto processing = dedup->process(id, effect, timeout);
    co_return co_await std::move(processing);
  }

  idempotency::DedupCache& cache(int client) override {
    return *caches_.at(static_cast<std::size_t>(client));
  }

  Task<Result<int>> effects(idempotency::MessageId id) override {
    const sim::PgTable* table = topology_.postgres("pg").database().find_table(kEffects);
    const sim::PgRow* row = table == nullptr ? nullptr : table->find(id.message_id);
    co_return row == nullptr ? 0 : std::stoi(row->at("count"));
  }

  Task<void> forget(idempotency::MessageId id) override {
    sim::RedisStrings(topology_.redis("redis")).del(idempotency::dedup_key(id));
    co_return;
  }

  void run(std::function<Task<void>()> body) override {
    bool done = false;
    topology_.client(0).spawn(wrap(std::move(body), done));
    while (!done && topology_.world().step()) {
    }
    if (!done) throw std::runtime_error("simulated run ended before the body finished");
  }

  std::string unique_id() override { return fmt::format("msg-{}", next_id_++); }
  std::string name() const override { return "simulated redis + postgres nodes"; }

 private:
  static Result<void> fail(bool failing) {
    if (failing) return unavailable("effect failed");
    return Ok{};
  }
  static Task<void> wrap(std::function<Task<void>()> body, bool& done) {
    auto task = body();
    co_await std::move(task);
    done = true;
  }

  sim::Topology topology_;
  std::vector<std::unique_ptr<sim::SimDedupCache>> caches_;
  std::vector<std::unique_ptr<sim::SimDedupLedger>> ledgers_;
  int next_id_ = 0;
};

}  // namespace

std::unique_ptr<ConsumerDedupHarness> make_consumer_dedup_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
