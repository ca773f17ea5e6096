#include "scenarios.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultline/harness/sim_scenario.h"
#include "faultline/invariant.h"
#include "faultline/random.h"
#include "faultline/sim/redis_strings.h"
#include "inventory.h"
#include "inventory_sim.h"

namespace inventory {
namespace {

namespace harness = faultline::harness;
using faultline::harness::Violation;

constexpr const char* kSku = "widget";

// What the workload itself saw: only for the summary and the witness, never for the verdict.
struct Shop {
  std::unique_ptr<PaymentsServer> payments;        // made in setup, after the topology
  std::map<std::string, std::size_t> reserve_ops;  // reservation -> its "reserve" operation
  int finished = 0;
  int paid = 0;
  int failed = 0;   // certainly failed (sold out, busy, a charge refused, ...)
  int unknown = 0;  // its outcome is unknown (a write or a charge may have happened)
};
using Run = harness::SimRun<Shop>;

void record_outcome(Run& run, std::size_t op, const Result<Receipt>& receipt) {
  if (receipt) {
    ++run.state.paid;
    run.history->complete(op, sim::OpStatus::kOk,
                          fmt::format("{} ({} left)", receipt->charge_id, receipt->units_left));
    return;
  }
  const faultline::Error& error = receipt.error();
  const bool unknown = error.may_have_happened();
  ++(unknown ? run.state.unknown : run.state.failed);
  run.history->complete(op, unknown ? sim::OpStatus::kUnknown : sim::OpStatus::kFail,
                        error.to_string());
}

// One customer: kPurchasesEach reservations, a short think time between them.
Task<void> customer(Run& run, sim::Process& self, bool idempotency_key) {
  SimStock stock(run.network(), self, run.topology->redis("redis"), *run.history);
  SimPayments payments(run.network(), self, *run.state.payments, *run.history);
  RecordingLockStore locks(run.topology->lock_store(self.name(), "redis"), self, *run.history);
  InventoryOptions options;
  options.idempotency_key = idempotency_key;
  auto service =
      InventoryService::create(locks, stock, payments, self.clock(), self.rng(), options);
  FAULTLINE_INVARIANT(service.ok(), "the scenario's InventoryOptions are valid");
  for (int n = 1; n <= kPurchasesEach; ++n) {
    std::string reservation = fmt::format("{}/{}", self.name(), n);
    const std::size_t op = run.history->invoke(self.id(), "reserve", reservation);
    run.state.reserve_ops[reservation] = op;
    auto reserving = service->reserve(kSku, self.name(), reservation);
    Result<Receipt> receipt = co_await std::move(reserving);
    record_outcome(run, op, receipt);
    auto think = self.clock().sleep_for(faultline::uniform_duration(
        self.rng(), std::chrono::milliseconds(10), std::chrono::milliseconds(100)));
    co_await std::move(think);
  }
  ++run.state.finished;
}

// The operations that show what happened to `reservation`: its "reserve", the client's
// charge attempts for it, and the charges the server applied for it.
std::vector<std::size_t> witness_of(const Run& run, const std::string& reservation) {
  std::vector<std::size_t> ops;
  if (auto it = run.state.reserve_ops.find(reservation); it != run.state.reserve_ops.end()) {
    ops.push_back(it->second);
  }
  const std::string prefix = reservation + " ";
  for (const sim::Operation& op : run.history->operations()) {
    const bool charge = op.name == "charge" || op.name == "charge-applied";
    if (charge && op.input.starts_with(prefix)) ops.push_back(op.id);
  }
  return ops;
}

std::optional<Violation> double_charge(const Run& run) {
  std::map<std::string, std::vector<std::string>> charges;  // reservation -> charge ids
  for (const PaymentsServer::Entry& e : run.state.payments->ledger()) {
    charges[e.charge.reservation].push_back(e.charge_id);
  }
  for (const auto& [reservation, ids] : charges) {
    if (ids.size() < 2) continue;
    return Violation{fmt::format("double charge: reservation {} was charged {} times ({})",
                                 reservation, ids.size(), fmt::join(ids, ", ")),
                     -1, "double-charge", witness_of(run, reservation)};
  }
  return std::nullopt;
}

std::optional<Violation> oversell(Run& run) {
  const auto value = sim::RedisStrings(run.topology->redis("redis")).get(stock_key(kSku));
  const long long left = value ? std::stoll(*value) : 0;
  std::map<std::string, std::size_t> paid;  // reservation -> its charge's operation
  for (const PaymentsServer::Entry& e : run.state.payments->ledger()) {
    paid.emplace(e.charge.reservation, e.operation);
  }
  const long long taken = kInitialStock - left;
  if (left >= 0 && static_cast<long long>(paid.size()) <= taken) return std::nullopt;
  std::vector<std::size_t> witness;
  for (const auto& [reservation, op] : paid) witness.push_back(op);
  return Violation{fmt::format("oversell: {} reservations were charged but the stock went from "
                               "{} to {}",
                               paid.size(), kInitialStock, left),
                   -1, "oversell", std::move(witness)};
}

// The claim, judged from the payments ledger and the stock on the Redis node.
std::optional<Violation> judge(Run& run) {
  if (auto v = double_charge(run)) return v;
  return oversell(run);
}

sim::FaultSpace faults() {
  sim::FaultSpace space = sim::FaultSpace::none();
  space.nodes = {"redis", "payments"};  // partition peers (no crashes, no clock faults)
  space.partitions = true;
  space.partition_max = std::chrono::milliseconds(500);
  space.services = {"payments"};
  space.outages = true;
  space.outage_timeouts = true;
  space.outage_max = std::chrono::milliseconds(500);
  space.horizon = std::chrono::milliseconds(400);  // a quiet run takes about half a second
  space.max_faults = 4;
  space.network_max = sim::NetworkFaults{50'000, 50'000, 0, 0, std::chrono::seconds(1)};
  return space;
}

}  // namespace

std::unique_ptr<harness::Scenario> reserve_scenario(bool idempotency_key) {
  harness::SimScenarioSpec<Shop> spec;
  spec.name = idempotency_key ? "inventory/reserve" : "inventory/no-key";
  spec.description = idempotency_key
                         ? "lease lock + retried charge with an idempotency key: no double "
                           "charge, no oversell"
                         : "the charge retried without an idempotency key: a lost reply "
                           "charges the customer twice";
  spec.expect = idempotency_key ? harness::Expect::kHolds : harness::Expect::kViolationFound;
  spec.clients = kCustomers;
  spec.topology = [](sim::TopologyBuilder& t) { t.redis("redis").service("payments"); };
  spec.setup = [](Run& run) {
    run.state.payments = std::make_unique<PaymentsServer>(
        run.network(), run.topology->process("payments"), *run.history);
    sim::RedisStrings(run.topology->redis("redis"))
        .set(stock_key(kSku), std::to_string(kInitialStock));
  };
  spec.workload = [idempotency_key](Run& run, sim::Process& self, std::size_t) {
    self.spawn(customer(run, self, idempotency_key));
  };
  spec.done = [](const Run& run) { return run.state.finished == kCustomers; };
  spec.invariant = judge;
  spec.summary = [](const Run& run) {
    return fmt::format("reservations: {} paid, {} failed, {} unknown; {} charges in the ledger",
                       run.state.paid, run.state.failed, run.state.unknown,
                       run.state.payments->ledger().size());
  };
  spec.faults = faults();
  return harness::make_sim_scenario(std::move(spec));
}

void add_scenarios(harness::Catalogue& catalogue) {
  catalogue.add(reserve_scenario(true));
  catalogue.add(reserve_scenario(false));
}

}  // namespace inventory
