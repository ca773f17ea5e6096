#include "scenarios/lease_lock_scenario.h"

#include <fmt/format.h>

#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "faultline/locks/lease_lock.h"
#include "faultline/sim/history.h"
#include "faultline/sim/redis_node.h"
#include "faultline/sim/register_node.h"
#include "faultline/sim/timeline.h"

namespace faultline::scenarios {
namespace {

using sim::OpStatus;

constexpr std::uint64_t kPlanStream = 0x6C65617365UL;  // "lease": the plan's own generator

struct Counters {
  int acquired = 0;
  int acquire_failed = 0;
  int sections_ok = 0;
  int sections_refused = 0;    // a stale token, refused by the register
  int sections_abandoned = 0;  // the lease ran out before the write
  int sections_unknown = 0;    // the write's outcome is unknown
  int sections_failed = 0;     // other failures (read failed, write not sent)
};

struct Client {
  sim::Process* process = nullptr;
  std::unique_ptr<sim::SimLockStore> store;
  std::unique_ptr<sim::RegisterClient> storage;
  std::optional<locks::LeaseLock> lock;
  bool finished = false;  // survives crashes: a restarted client that had finished stays idle
};

// Everything one run needs, in construction order. Coroutines refer to it; it outlives them.
struct Run {
  Run(std::uint64_t seed, const LeaseLockWorkload& w, bool fenced)
      : world(seed),
        workload(w),
        network(world),
        history(world),
        redis(world.add_process("redis")),
        storage(world.add_process("storage"), fenced) {}

  sim::World world;
  LeaseLockWorkload workload;
  sim::Network network;
  sim::History history;
  sim::RedisNode redis;
  sim::RegisterNode storage;
  std::vector<Client> clients;
  Counters counters;
  int finished = 0;
};

OpStatus status_of(const Error& error) {
  return error.may_have_happened() ? OpStatus::kUnknown : OpStatus::kFail;
}

Task<void> critical_section(Run& run, Client& client, const locks::Lease& lease) {
  sim::Process& p = *client.process;
  const LeaseLockWorkload& w = run.workload;
  const std::size_t cs = run.history.invoke(p.id(), "cs", fmt::format("token={}", lease.token));

  Result<std::int64_t> read = co_await client.storage->read(lease.token, w.call_timeout);
  if (!read) {
    ++run.counters.sections_failed;
    run.history.complete(cs, OpStatus::kFail, "read: " + read.error().to_string());
    co_return;
  }
  co_await p.clock().sleep_for(uniform_duration(p.rng(), w.work_min, w.work_max));
  if (p.clock().now() >= lease.valid_until) {
    ++run.counters.sections_abandoned;
    run.history.complete(cs, OpStatus::kFail, "lease ran out before the write; abandoned");
    co_return;
  }
  // Serialising the write, a page fault, a GC safepoint: time a pause can fall into after the
  // check and before the write leaves. Kleppmann's point is that this window always exists.
  co_await p.clock().sleep_for(w.prepare);
  const std::int64_t value = *read + 1;
  Result<void> written = co_await client.storage->write(lease.token, value, cs, w.call_timeout);
  if (written) {
    ++run.counters.sections_ok;
    run.history.complete(cs, OpStatus::kOk, fmt::format("read {} wrote {}", *read, value));
  } else if (written.error().code == ErrorCode::kFailedPrecondition) {
    ++run.counters.sections_refused;
    run.history.complete(cs, OpStatus::kFail, "write refused: " + written.error().message);
  } else {
    const OpStatus status = status_of(written.error());
    ++(status == OpStatus::kUnknown ? run.counters.sections_unknown
                                    : run.counters.sections_failed);
    run.history.complete(cs, status, "write: " + written.error().to_string());
  }
}

Task<void> client_loop(Run& run, Client& client) {
  sim::Process& p = *client.process;
  const LeaseLockWorkload& w = run.workload;
  for (int section = 0; section < w.sections; ++section) {
    co_await p.clock().sleep_for(uniform_duration(p.rng(), Duration::zero(), w.think_max));
    const std::size_t acquire = run.history.invoke(p.id(), "acquire");
    Result<locks::Lease> lease = co_await client.lock->acquire();
    if (!lease) {
      ++run.counters.acquire_failed;
      run.history.complete(acquire, status_of(lease.error()), lease.error().to_string());
      continue;
    }
    ++run.counters.acquired;
    run.history.complete(acquire, OpStatus::kOk, fmt::format("token={}", lease->token));
    co_await critical_section(run, client, *lease);
    const std::size_t release =
        run.history.invoke(p.id(), "release", fmt::format("token={}", lease->token));
    Result<void> released = co_await client.lock->release(*lease);
    if (released) {
      run.history.complete(release, OpStatus::kOk);
    } else {
      run.history.complete(release, status_of(released.error()), released.error().to_string());
    }
  }
  client.finished = true;
  ++run.finished;
}

// No lost update: applied writes chain 1, 2, 3, ...; every successful section is applied.
std::optional<Violation> check(Run& run) {
  const auto& log = run.storage.log();
  std::set<std::uint64_t> applied;
  for (const auto& write : log) {
    if (write.value != write.previous + 1) {
      return Violation{
          fmt::format("lost update: {} (section #{}, token {}) wrote {} over {} at {:.6f}s, so "
                      "an update was lost; its read was stale",
                      run.world.process(write.writer).name(), write.write_id, write.token,
                      write.value, write.previous,
                      static_cast<double>(write.at.time_since_epoch().count()) / 1e9),
          static_cast<std::ptrdiff_t>(write.write_id)};
    }
    applied.insert(write.write_id);
  }
  for (const auto& op : run.history.operations()) {
    if (op.name == "cs" && op.status == OpStatus::kOk && !applied.contains(op.id)) {
      return Violation{fmt::format("section #{} reported success but its write is not in the "
                                   "register",
                                   op.id),
                       static_cast<std::ptrdiff_t>(op.id)};
    }
  }
  if (run.finished < static_cast<int>(run.clients.size())) {
    return Violation{fmt::format("only {} of {} clients finished by {:.0f}s of virtual time",
                                 run.finished, run.clients.size(),
                                 static_cast<double>(run.workload.run_limit.count()) / 1e9)};
  }
  return std::nullopt;
}

}  // namespace

std::string LeaseLockScenario::name() const {
  return fenced_ ? "lease-lock/fenced" : "lease-lock/unfenced";
}

std::string LeaseLockScenario::description() const {
  return fenced_ ? "lease lock + fencing tokens on the register: no lost update under pauses, "
                   "skew, lost replies, partitions and Redis restarts (must hold)"
                 : "lease lock without fencing: a pause or delay outlives the lease and a stale "
                   "write loses an update (Kleppmann 2016; must be found)";
}

sim::FaultSpace LeaseLockScenario::fault_space() const {
  sim::FaultSpace space;
  for (int i = 1; i <= workload_.clients; ++i) space.clients.push_back(fmt::format("client-{}", i));
  space.nodes = {"redis"};
  space.client_crashes = true;
  // Fencing is only as good as its counter. Redis without persistence forgets the counter on a
  // restart and issues the same tokens again, so two holders can carry equal tokens, which a
  // fenced resource cannot tell apart. The fenced claim therefore assumes a durable counter
  // (AOF); the unfenced hazard keeps data-losing restarts.
  space.node_crash_without_persistence = !fenced_;
  space.horizon = std::chrono::seconds(6);
  space.max_faults = 6;
  space.pause_max = std::chrono::seconds(2);
  return space;
}

sim::FaultPlan LeaseLockScenario::plan_for_seed(std::uint64_t seed) const {
  sim::Rng rng(seed ^ kPlanStream);
  return sim::generate_plan(rng, fault_space());
}

RunResult LeaseLockScenario::run(std::uint64_t seed, const sim::FaultPlan& plan,
                                 const RunOptions& options) const {
  auto run = std::make_unique<Run>(seed, workload_, fenced_);
  sim::World& world = run->world;
  const sim::LinkProfile base;
  const sim::LinkProfile request = sim::request_link(base, plan.network);
  const sim::LinkProfile reply = sim::reply_link(base, plan.network);

  locks::LeaseLockOptions lock_options;
  lock_options.ttl = workload_.ttl;
  lock_options.call_timeout = workload_.call_timeout;
  lock_options.attempts = 20;
  lock_options.retry_base = std::chrono::milliseconds(5);
  lock_options.retry_max = std::chrono::milliseconds(200);

  run->clients.resize(static_cast<std::size_t>(workload_.clients));
  for (int i = 0; i < workload_.clients; ++i) {
    Client& client = run->clients[static_cast<std::size_t>(i)];
    sim::Process& p = world.add_process(fmt::format("client-{}", i + 1));
    client.process = &p;
    for (sim::Process* server : {&run->redis.host(), &run->storage.host()}) {
      run->network.set_link(p.id(), server->id(), request);
      run->network.set_link(server->id(), p.id(), reply);
    }
    client.store = std::make_unique<sim::SimLockStore>(run->network, p, run->redis);
    client.storage = std::make_unique<sim::RegisterClient>(run->network, p, run->storage);
    auto lock = locks::LeaseLock::create(*client.store, p.clock(), p.rng(), "resource-lock",
                                         lock_options);
    assert(lock.ok());
    client.lock.emplace(std::move(lock).value());
    Run* r = run.get();
    // At boot and after every crash: a crash loses the coroutine (and any lease it held in
    // memory); the restarted process starts its sections afresh.
    p.on_start([r, &client](sim::Process& self) {
      if (!client.finished) self.spawn(client_loop(*r, client));
    });
  }

  sim::History& history = run->history;
  run->network.set_observer([&world, &history](sim::ProcessId from, sim::ProcessId to,
                                               const std::string& what) {
    history.note(from, what + " (" + world.process(from).name() + " -> " +
                           world.process(to).name() + ")");
  });
  sim::apply(world, run->network, run->history, plan);
  world.start();
  const sim::SimTime limit = sim::SimTime(workload_.run_limit);
  while (run->finished < workload_.clients && world.now() <= limit && world.step()) {
  }

  RunResult result;
  result.seed = seed;
  result.violation = check(*run);
  result.trace_hash = world.trace().hash();
  result.events = world.events_run();
  result.finished_at = world.now();
  result.stale_refused = run->storage.refused();
  const Counters& c = run->counters;
  result.summary = fmt::format(
      "acquired {} (failed {}), sections ok {}, refused {}, abandoned {}, unknown {}, failed {}; "
      "writes applied {}",
      c.acquired, c.acquire_failed, c.sections_ok, c.sections_refused, c.sections_abandoned,
      c.sections_unknown, c.sections_failed, run->storage.log().size());
  if (options.timeline) result.timeline = sim::render_timeline(run->history);
  if (options.html) {
    result.html = sim::render_timeline_html(
        run->history,
        fmt::format("{} seed {:#x}{}", name(), seed,
                    result.violation ? ": " + result.violation->message : ": invariant held"),
        result.violation ? result.violation->operation : -1);
  }
  return result;
}

}  // namespace faultline::scenarios
