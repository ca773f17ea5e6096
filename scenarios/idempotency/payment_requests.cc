#include "scenarios/idempotency/payment_requests.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "faultline/harness/sim_scenario.h"
#include "faultline/idempotency/completer.h"
#include "faultline/idempotency/idempotent_executor.h"
#include "faultline/invariant.h"
#include "faultline/random.h"
#include "faultline/sim/redis_idempotency.h"
#include "scenarios/idempotency/broken_stores.h"
#include "scenarios/idempotency/card_processor.h"
#include "scenarios/idempotency/payment_invariants.h"

namespace faultline::scenarios {
namespace {

using namespace std::chrono_literals;
namespace idem = idempotency;

constexpr int kInstances = 3;
constexpr int kRequests = 6;      // logical requests, "req-0" .. "req-5"
constexpr int kMaxAttempts = 40;  // per request and instance: an instance gives up after these
constexpr Duration kChargeTimeout = 300ms;

// Which mistake a variant makes (none for the claims).
enum class Mistake { kNone, kFreshKeyPerRetry, kStoredTransientError, kCheckThenSet,
                     kNoRecoveryPoints };

struct Variant {
  bool keyed_processor = true;
  // Instances are killed between phases; a restarted one gives up the requests it had begun,
  // and a completer finishes what they abandoned.
  bool crash_between_phases = false;
  Mistake mistake = Mistake::kNone;
};

struct Payments {
  std::unique_ptr<CardProcessor> processor;
  Variant variant;
  std::map<std::string, std::vector<std::string>> answers;   // request -> every final answer
  std::map<std::string, std::vector<std::size_t>> pay_ops;   // request -> its "pay" operations
  std::set<std::string> gave_up;
  std::set<std::pair<std::size_t, int>> begun;  // (instance, request): survives its crashes
  std::vector<bool> finished = std::vector<bool>(kInstances, false);
};
using Run = harness::SimRun<Payments>;

std::string request_name(int j) { return fmt::format("req-{}", j); }
// Requests are sent by two instances each, in order: duplicates arrive at once.
std::vector<int> requests_of(std::size_t instance) {
  std::vector<int> mine;
  for (int j = 0; j < kRequests; ++j) {
    const auto owner = static_cast<std::size_t>(j % kInstances);
    if (owner == instance || (owner + 1) % kInstances == instance) mine.push_back(j);
  }
  return mine;
}

// The payment's phases: record it, charge it (with the downstream key), answer.
idem::Phases payment_phases(Run& run, sim::Process& self, std::string request) {
  idem::Phases phases;
  phases.add("started", [request](const idem::PhaseContext&) -> Task<Result<idem::PhaseResult>> {
    co_return idem::PhaseResult{idem::Next{"created", "pay/" + request}};
  });
  phases.add("created", [&run, &self, request](
                            const idem::PhaseContext& ctx) -> Task<Result<idem::PhaseResult>> {
    ChargeRequest charge_request{request, ctx.downstream_key()};
    auto charging = charge(run.network(), self, *run.state.processor, *run.history,
                           std::move(charge_request), kChargeTimeout);
    Result<std::string> charged = co_await std::move(charging);
    if (!charged && run.state.variant.mistake == Mistake::kStoredTransientError) {
      co_return idem::PhaseResult{idem::Final{"503 " + charged.error().message}};
    }
    if (!charged) co_return std::move(charged).error();
    co_return idem::PhaseResult{idem::Next{"charged", charged.value()}};
  });
  phases.add("charged", [](const idem::PhaseContext& ctx) -> Task<Result<idem::PhaseResult>> {
    co_return idem::PhaseResult{idem::Final{"201 " + ctx.data()}};
  });
  return phases;
}

// The store this instance uses: the simulated Redis module, wrapped by the variant's mistake
// and, for the recovery scenarios, by the crash between phases.
struct InstanceStores {
  std::unique_ptr<idem::IdempotencyStore> base;
  std::unique_ptr<idem::IdempotencyStore> mistaken;
  std::unique_ptr<idem::IdempotencyStore> crashing;
  idem::IdempotencyStore* top = nullptr;
};

InstanceStores stores_for(Run& run, sim::Process& self, bool crashing = true) {
  InstanceStores s;
  sim::RedisNode& node = run.topology->redis("redis");
  s.base = std::make_unique<sim::SimIdempotencyStore>(run.network(), self, node);
  s.top = s.base.get();
  if (run.state.variant.mistake == Mistake::kCheckThenSet) {
    s.mistaken = std::make_unique<CheckThenSetStore>(*s.top, run.network(), self, node);
    s.top = s.mistaken.get();
  } else if (run.state.variant.mistake == Mistake::kNoRecoveryPoints) {
    s.mistaken = std::make_unique<NoRecoveryPointsStore>(*s.top);
    s.top = s.mistaken.get();
  }
  if (crashing && run.state.variant.crash_between_phases) {
    s.crashing = std::make_unique<CrashAfterCheckpoint>(*s.top, self, *run.history,
                                                        /*chance_ppm=*/300'000, 100ms);
    s.top = s.crashing.get();
  }
  return s;
}

idem::ExecutorOptions executor_options() {
  idem::ExecutorOptions options;
  options.lease = 1s;  // short, so a crashed holder's request is taken over within the run
  options.retention = 1h;
  options.store_timeout = 300ms;
  options.max_wait = 2s;
  options.poll_interval = 50ms;
  return options;
}

// The wait before attempt `attempt` + 1: exponential from 20 ms, capped at 1 s, full jitter.
Duration backoff(sim::Process& self, int attempt) {
  const Duration cap = std::min<Duration>(1s, 20ms * (1 << std::min(attempt, 6)));
  return uniform_duration(self.rng(), Duration(1ms), cap);
}

// One attempt's answer as the history shows it; true when it is final for this instance.
bool record(Run& run, const std::string& request, std::size_t op,
            const Result<idem::Execution>& result) {
  if (!result) {
    run.history->complete(op, result.error().may_have_happened() ? sim::OpStatus::kUnknown
                                                                 : sim::OpStatus::kFail,
                          result.error().to_string());
    return false;
  }
  const idem::Execution& e = result.value();
  const std::string shown = fmt::format("{}: {}", idem::to_string(e.disposition), e.response);
  if (e.disposition == idem::Disposition::kInFlight ||
      e.disposition == idem::Disposition::kMismatch) {
    run.history->complete(op, sim::OpStatus::kFail, shown);
    return e.disposition == idem::Disposition::kMismatch;
  }
  run.history->complete(op, sim::OpStatus::kOk, shown);
  run.state.answers[request].push_back(e.response);
  return e.response.starts_with("201");
}

Task<void> send_request(Run& run, sim::Process& self, idem::IdempotentExecutor& executor, int j) {
  const std::string request = request_name(j);
  const idem::Phases phases = payment_phases(run, self, request);
  const std::string scope = fmt::format("acct-{}", j % 2);
  const std::string print = "POST /payments " + request;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    const std::string key = run.state.variant.mistake == Mistake::kFreshKeyPerRetry
                                ? random_token(self.rng())
                                : fmt::format("key-{}", j);
    const std::size_t op = run.history->invoke(self.id(), "pay", request + " key=" + key);
    run.state.pay_ops[request].push_back(op);
    auto executing = executor.execute({scope, key}, print, phases);
    Result<idem::Execution> result = co_await std::move(executing);
    if (record(run, request, op, result)) co_return;
    auto pause = self.clock().sleep_for(backoff(self, attempt));
    co_await std::move(pause);
  }
  run.state.gave_up.insert(request);
}

Task<void> instance(Run& run, sim::Process& self, std::size_t index) {
  InstanceStores stores = stores_for(run, self);
  idem::IdempotentExecutor executor(*stores.top, self.clock(), self.rng(), executor_options());
  run.state.finished[index] = false;
  for (int j : requests_of(index)) {
    // A client whose server died mid-request gave up on it: the completer's work now.
    const bool resubmit = !run.state.variant.crash_between_phases;
    if (!run.state.begun.insert({index, j}).second && !resubmit) continue;
    auto sending = send_request(run, self, executor, j);
    co_await std::move(sending);
  }
  run.state.finished[index] = true;
}


// The completer's process: a pass every 200 ms until the run is over. It resumes any request,
// from the start too: the request is named by its key.
Task<void> completer_loop(Run& run, sim::Process& self) {
  InstanceStores stores = stores_for(run, self, /*crashing=*/false);
  idem::IdempotentExecutor executor(*stores.top, self.clock(), self.rng(), executor_options());
  std::map<int, idem::Phases> phases;
  for (int j = 0; j < kRequests; ++j) phases.emplace(j, payment_phases(run, self, request_name(j)));
  idem::Completer completer(*stores.top, executor,
                            [&phases](const idem::AbandonedRequest& r) -> const idem::Phases* {
                              const int j = std::stoi(r.key.substr(std::string("key-").size()));
                              return &phases.at(j);
                            });
  for (;;) {
    auto passing = completer.run_once();
    static_cast<void>(co_await std::move(passing));
    auto pause = self.clock().sleep_for(200ms);
    co_await std::move(pause);
  }
}

// The final response the Redis node holds for request `j`, if its record is completed: the
// server's record, read without touching it.
std::optional<std::string> stored_response(const Run& run, int j) {
  const std::string name = idem::record_key({fmt::format("acct-{}", j % 2), fmt::format("key-{}", j)});
  const sim::RedisKeyspace& keys = run.topology->redis("redis").keyspace();
  const std::string* state = keys.peek_hget(name, "state");
  const std::string* response = keys.peek_hget(name, "response");
  if (state == nullptr || *state != "completed" || response == nullptr) return std::nullopt;
  return *response;
}

// The operations that show what happened to `request`: its attempts and the charges applied.
std::vector<std::size_t> witness_of(const Run& run, const std::string& request) {
  std::vector<std::size_t> ops;
  if (auto it = run.state.pay_ops.find(request); it != run.state.pay_ops.end()) ops = it->second;
  for (const CardProcessor::Entry& e : run.state.processor->ledger()) {
    if (e.request == request) ops.push_back(e.operation);
  }
  std::sort(ops.begin(), ops.end());
  return ops;
}

Violation violation(const Run& run, const std::string& request, std::string kind,
                    std::string message) {
  std::vector<std::size_t> witness = witness_of(run, request);
  const auto blamed = witness.empty() ? std::ptrdiff_t{-1}
                                      : static_cast<std::ptrdiff_t>(witness.back());
  return Violation{std::move(message), blamed, std::move(kind), std::move(witness)};
}

// Judged from the processor's ledger, the clients' answers and the store's records alone
// (payment_invariants.h: the same check judges runs against real Redis).
std::optional<Violation> judge(Run& run) {
  PaymentRecord record;
  for (const CardProcessor::Entry& e : run.state.processor->ledger()) {
    record.charges.push_back({e.request, e.charge_id});
  }
  record.answers = run.state.answers;
  std::vector<std::string> requests;
  for (int j = 0; j < kRequests; ++j) {
    requests.push_back(request_name(j));
    if (auto kept = stored_response(run, j)) record.stored.emplace(request_name(j), *kept);
  }
  std::optional<PaymentViolation> found = check_payments(requests, record);
  if (!found) return std::nullopt;
  if (run.state.gave_up.contains(found->request)) found->message += ", and it gave up";
  return violation(run, found->request, found->kind, found->message);
}

struct Spec {
  std::string name;
  std::string description;
  Expect expect = Expect::kHolds;
  Variant variant;
  sim::FaultSpace faults = sim::FaultSpace::none();
};

// Lost replies, timeouts, partitions, pauses, crashes of instances and of Redis (with its
// AOF), processor outages: everything a retrying client lives through.
sim::FaultSpace retry_faults() {
  sim::FaultSpace f = sim::FaultSpace::none();
  f.horizon = 6s;
  f.max_faults = 6;
  f.nodes = {"redis"};
  f.pauses = true;
  f.pause_max = 1500ms;
  f.client_crashes = true;
  f.node_crashes = true;
  f.node_crash_without_persistence = false;
  f.downtime_max = 500ms;
  f.partitions = true;
  f.partition_max = 1s;
  f.services = {"processor"};
  f.outages = true;
  f.outage_timeouts = true;
  f.outage_max = 1s;
  f.network_max = sim::NetworkFaults{100'000, 100'000, 20'000, 20'000, std::chrono::milliseconds(300)};
  return f;
}

std::unique_ptr<Scenario> make(Spec spec) {
  harness::SimScenarioSpec<Payments> s;
  s.name = std::move(spec.name);
  s.description = std::move(spec.description);
  s.expect = spec.expect;
  s.clients = kInstances;
  s.faults = std::move(spec.faults);
  const Variant variant = spec.variant;
  s.topology = [variant](sim::TopologyBuilder& t) {
    t.redis("redis").service("processor");
    if (variant.crash_between_phases) t.service("completer");
  };
  s.setup = [variant](Run& run) {
    run.state.variant = variant;
    run.state.processor = std::make_unique<CardProcessor>(
        run.network(), run.topology->process("processor"), *run.history, variant.keyed_processor);
    if (variant.crash_between_phases) {
      sim::Process& host = run.topology->process("completer");
      host.on_start([&run](sim::Process& self) { self.spawn(completer_loop(run, self)); });
    }
  };
  s.workload = [](Run& run, sim::Process& self, std::size_t i) {
    self.spawn(instance(run, self, i));
  };
  s.done = [](const Run& run) {
    const bool instances_done = std::all_of(run.state.finished.begin(),
                                            run.state.finished.end(), [](bool f) { return f; });
    if (!instances_done || !run.state.variant.crash_between_phases) return instances_done;
    for (int j = 0; j < kRequests; ++j) {
      if (!stored_response(run, j)) return false;
    }
    return true;
  };
  s.invariant = judge;
  s.summary = [](const Run& run) {
    return fmt::format("{} charges for {} requests, {} gave up",
                       run.state.processor->ledger().size(), kRequests, run.state.gave_up.size());
  };
  return harness::make_sim_scenario(std::move(s));
}

}  // namespace

void add_payment_request_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  const Variant keyed{.keyed_processor = true};
  const Variant recovering{.keyed_processor = false, .crash_between_phases = true};
  auto mistaken = [](Variant v, Mistake m) {
    v.mistake = m;
    return v;
  };
  all.push_back(make({"idempotency/payments-retry",
                      "payments through IdempotentExecutor, retried through lost replies, "
                      "timeouts, partitions, pauses, crashes, Redis restarts and processor "
                      "outages: one charge per request, every request succeeds, every success "
                      "names that charge (must hold)",
                      Expect::kHolds, keyed, retry_faults()}));
  all.push_back(make({"idempotency/fresh-key-per-retry",
                      "the same payments, each attempt under a new random key: the duplicate "
                      "sent to a second instance, or a retry after a lost reply, is charged "
                      "again (must be found)",
                      Expect::kViolationFound, mistaken(keyed, Mistake::kFreshKeyPerRetry),
                      retry_faults()}));
  sim::FaultSpace outages = sim::FaultSpace::none();
  outages.services = {"processor"};
  outages.outages = true;
  outages.horizon = 3s;
  outages.max_faults = 3;
  outages.outage_max = 1s;
  all.push_back(make({"idempotency/stored-transient-error",
                      "the processor's 503 stored as the final response: every retry replays "
                      "it, and the request can never succeed (must be found)",
                      Expect::kViolationFound, mistaken(keyed, Mistake::kStoredTransientError),
                      outages}));
  all.push_back(make({"idempotency/crash-between-phases",
                      "instances killed between phases give up what they began, a processor "
                      "without idempotency keys, each request sent to two instances at once, a "
                      "completer for abandoned requests: one charge per request, each completed "
                      "(must hold)",
                      Expect::kHolds, recovering, sim::FaultSpace::none()}));
  all.push_back(make({"idempotency/check-then-set",
                      "begin as a read, then a blind write: two instances both start a "
                      "request and the processor charges twice (must be found)",
                      Expect::kViolationFound, mistaken(recovering, Mistake::kCheckThenSet),
                      sim::FaultSpace::none()}));
  all.push_back(make({"idempotency/no-recovery-points",
                      "a store that keeps no recovery points: an instance killed after the "
                      "charge is resumed from the start and charges again (must be found)",
                      Expect::kViolationFound, mistaken(recovering, Mistake::kNoRecoveryPoints),
                      sim::FaultSpace::none()}));
}

}  // namespace faultline::scenarios
