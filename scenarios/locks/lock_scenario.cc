#include "scenarios/locks/lock_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "faultline/duration_text.h"
#include "faultline/invariant.h"
#include "faultline/locks/advisory_lock.h"
#include "faultline/locks/lease_keeper.h"
#include "faultline/locks/lease_lock.h"
#include "faultline/locks/redlock.h"
#include "faultline/sim/history.h"
#include "faultline/sim/register_node.h"
#include "faultline/sim/timeline.h"
#include "faultline/sim/topology.h"
#include "scenarios/locks/lock_invariants.h"
#include "scenarios/locks/naive_redlock.h"
#include "scenarios/locks/server_spans.h"
#include "scenarios/locks/workload_lock.h"

namespace faultline::scenarios {
namespace {

// `text` followed by `n` in decimal: the history's notes of every section (fmt::format's parsing
// of a format string was 3% of a lease-lock seed).
template <class Integer>
std::string numbered(std::string text, Integer n) {
  text += std::to_string(n);
  return text;
}

using sim::OpStatus;

constexpr std::uint64_t kPlanStream = 0x6C65617365UL;  // the plan's own generator stream

struct Counters {
  int acquired = 0;
  int acquire_failed = 0;
  int sections_ok = 0;
  int sections_refused = 0;    // a stale token, refused by the register
  int sections_abandoned = 0;  // the lease ran out before the write
  int sections_unknown = 0;    // the write's outcome is unknown
  int sections_failed = 0;     // other failures (read failed, write not sent)
  int extensions = 0;          // successful keeper extensions
};

struct Client {
  sim::Process* process = nullptr;
  std::vector<locks::LockStore*> stores;             // one per lock node (the topology's)
  locks::LockStore* token_store = nullptr;           // fenced Redlock's token source
  locks::SessionLockStore* session_store = nullptr;  // kPgAdvisory
  std::unique_ptr<sim::RegisterClient> storage;
  std::unique_ptr<WorkloadLock> lock;
  bool finished = false;  // survives crashes: a restarted client that had finished stays idle
};

struct Run;
// Client `i`'s boot hook: at start and after every crash (which loses the coroutine and any
// lease it held in memory), the client starts its sections afresh, unless it had finished.
void boot_client(Run& run, std::size_t i, sim::Process& self);

std::vector<std::string> node_names(const LockScenarioSpec& spec) {
  if (spec.kind == LockKind::kPgAdvisory) return {"postgres"};
  std::vector<std::string> names;
  for (int i = 0; i < spec.nodes; ++i) {
    names.push_back(spec.nodes == 1 ? std::string("redis") : fmt::format("redis-{}", i + 1));
  }
  return names;
}

// A fenced Redlock takes its tokens from a durable counter on a node of its own.
bool has_token_node(const LockScenarioSpec& spec) {
  return spec.fenced && spec.kind != LockKind::kLease && spec.kind != LockKind::kPgAdvisory;
}

// The register "storage", the lock's nodes, the token node, then the clients, whose requests
// and replies suffer the plan's network faults.
sim::TopologyBuilder topology_for(std::uint64_t seed, const LockScenarioSpec& s,
                                  const sim::NetworkFaults& faults, Run& run) {
  const sim::LinkProfile base;
  sim::TopologyBuilder t(seed);
  t.client_links(sim::request_link(base, faults), sim::reply_link(base, faults));
  t.service("storage");
  for (const std::string& name : node_names(s)) {
    if (s.kind == LockKind::kPgAdvisory) {
      t.postgres(name, {.keepalive = s.pg_keepalive});
    } else {
      t.redis(name, {.replica_lag = s.replication_lag, .aof_everysec = s.aof_fsync_every});
    }
  }
  if (has_token_node(s)) t.redis("tokens");
  for (std::size_t i = 0; i < static_cast<std::size_t>(s.workload.clients); ++i) {
    t.client(fmt::format("client-{}", i + 1),
             [&run, i](sim::Process& self) { boot_client(run, i, self); });
  }
  return t;
}

// Everything one run needs, in construction order. Coroutines refer to it; it outlives them.
struct Run {
  Run(std::uint64_t seed, const LockScenarioSpec& s, const sim::NetworkFaults& faults)
      : topology(topology_for(seed, s, faults, *this)),
        world(topology.world()),
        spec(s),
        workload(s.workload),
        network(topology.network()),
        history(world),
        storage(topology.process("storage"), s.fenced) {
    world.on_silent_crash([this](sim::ProcessId) { vanished.push_back(world.now() - sim::SimTime{}); });
    if (s.kind == LockKind::kPgAdvisory) return;
    for (const std::string& name : node_names(s)) nodes.push_back(&topology.redis(name));
  }

  sim::Topology topology;
  sim::World& world;
  const LockScenarioSpec& spec;
  LeaseLockWorkload workload;
  sim::Network& network;
  sim::History history;
  sim::RegisterNode storage;
  std::vector<sim::RedisNode*> nodes;  // the lock's Redis nodes
  std::vector<Client> clients;
  // One per successful acquisition, as the environment saw it; `written` is filled from the
  // register's log when the run is judged.
  std::vector<ObservedSection> sections;
  // Each section's acquisition: the "cs" operation's id -> its "acquire" operation's id.
  std::vector<std::pair<std::size_t, std::size_t>> acquisition_of;  // in history order
  Counters counters;
  std::vector<Duration> vanished;  // when clients crashed silently (World::crash_silently)
  int finished = 0;
  std::unique_ptr<ServerSpans> server_spans;  // the servers' grants: only for a rendered run
  bool rendering = false;                     // a sweep's runs skip formatting spans
};

OpStatus status_of(const Error& error) {
  return error.may_have_happened() ? OpStatus::kUnknown : OpStatus::kFail;
}

// Starts a keeper for `lease` on the client's clock (spec.keeper), or returns null.
Task<std::shared_ptr<locks::LeaseKeeper>> start_keeper(Run& run, Client& client,
                                                      const locks::Lease& lease) {
  if (!run.spec.keeper) co_return nullptr;
  WorkloadLock* lock = client.lock.get();
  locks::LeaseKeeper::Extend extend = [lock](const locks::Lease& l) { return lock->extend(l); };
  locks::LeaseKeeperOptions options;
  options.renew_every = run.workload.ttl / 3;
  // A named task: no non-trivially-destructible temporary inside the co_await (g++ 12).
  auto starting = locks::LeaseKeeper::start(client.process->clock(), lease, std::move(extend),
                                            std::move(options));
  Result<std::shared_ptr<locks::LeaseKeeper>> keeper = co_await std::move(starting);
  FAULTLINE_INVARIANT(keeper.ok(), "the spec's keeper options are valid");
  co_return std::move(keeper).value();
}

// Whether the holder may still write: its own clock shows more than the safety margin left of
// the lease (the keeper's latest one, when it has a keeper), and nothing told it the lock is
// gone.
bool may_write(const Run& run, const Client& client, const locks::Lease& lease,
               const locks::LeaseKeeper* keeper) {
  const TimePoint valid_until = keeper != nullptr ? keeper->lease().valid_until
                                                  : lease.valid_until;
  if (client.process->clock().now() + run.spec.safety_margin >= valid_until) return false;
  if (keeper != nullptr && keeper->lost()) return false;
  return client.lock->still_held();
}

// One critical section. Returns whether the holder may release the lock now: with
// hold_after_unknown_write, not while its write's outcome is unknown, since the write may still
// be in flight and would land in the next holder's section; only the lease's expiry (longer
// than any delay a claim admits) bounds it.
Task<bool> critical_section(Run& run, Client& client, const locks::Lease& lease,
                            sim::SimTime acquired, std::size_t acquire_op,
                            const locks::LeaseKeeper* keeper) {
  sim::Process& p = *client.process;
  const LeaseLockWorkload& w = run.workload;
  const std::size_t cs = run.history.invoke(p.id(), "cs", numbered("token=", lease.token));
  run.acquisition_of.emplace_back(cs, acquire_op);
  run.sections.push_back(ObservedSection{p.name(), cs, acquired - sim::SimTime{}, lease.token,
                                         std::nullopt});

  Result<std::int64_t> read = co_await client.storage->read(lease.token, w.call_timeout);
  if (!read) {
    ++run.counters.sections_failed;
    run.history.complete(cs, OpStatus::kFail, "read: " + read.error().to_string());
    co_return true;
  }
  co_await p.clock().sleep_for(uniform_duration(p.rng(), w.work_min, w.work_max));
  if (!may_write(run, client, lease, keeper)) {
    ++run.counters.sections_abandoned;
    const std::string why = keeper != nullptr && keeper->lost()
                                ? "the keeper lost the lease (" + keeper->why() + "); abandoned"
                                : std::string("lease ran out before the write; abandoned");
    run.history.complete(cs, OpStatus::kFail, why);
    co_return true;
  }
  // Serialising the write, a page fault, a GC safepoint: time a pause can fall into after the
  // check and before the write leaves. Kleppmann's point is that this window always exists.
  if (w.prepare > Duration::zero()) co_await p.clock().sleep_for(w.prepare);
  const std::int64_t value = *read + 1;
  Result<void> written = co_await client.storage->write(lease.token, value, cs, w.call_timeout);
  if (written) {
    ++run.counters.sections_ok;
    run.history.complete(cs, OpStatus::kOk, numbered(numbered("read ", *read) + " wrote ", value));
  } else if (written.error().code == ErrorCode::kFailedPrecondition) {
    ++run.counters.sections_refused;
    run.history.complete(cs, OpStatus::kFail, "write refused: " + written.error().message);
  } else {
    const OpStatus status = status_of(written.error());
    ++(status == OpStatus::kUnknown ? run.counters.sections_unknown
                                    : run.counters.sections_failed);
    run.history.complete(cs, status, "write: " + written.error().to_string());
    co_return status != OpStatus::kUnknown || !w.hold_after_unknown_write;
  }
  co_return true;
}

// The lease's validity as a span of the history, for the witness and the picture: from now
// until valid_until, measured on the holder's own clock (the span assumes it keeps its rate
// from here on). Not in the trace. A keeper's extensions are not drawn, nor a session lock's
// hold, which has no expiry (valid_until is TimePoint::max()).
void record_hold(Run& run, sim::Process& p, const locks::Lease& lease, std::size_t acquire) {
  if (!run.rendering || lease.valid_until == TimePoint::max()) return;
  const sim::SimTime now = run.world.now();
  const Duration left = std::max(Duration::zero(), lease.valid_until - p.clock().now());
  run.history.span(p.id(), numbered("lease token=", lease.token), now,
                   add_saturating(now, left), acquire);
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
      if (w.pause_after_failure > Duration::zero()) {
        co_await p.clock().sleep_for(w.pause_after_failure);
      }
      continue;
    }
    ++run.counters.acquired;
    run.history.complete(acquire, OpStatus::kOk, numbered("token=", lease->token));
    if (run.server_spans) run.server_spans->name_owner(lease->owner, p.name());
    const sim::SimTime acquired = run.world.now();
    record_hold(run, p, *lease, acquire);
    std::shared_ptr<locks::LeaseKeeper> keeper = co_await start_keeper(run, client, *lease);
    const bool may_release =
        co_await critical_section(run, client, *lease, acquired, acquire, keeper.get());
    if (keeper) {
      keeper->stop();
      run.counters.extensions += keeper->extensions();
    }
    if (!may_release) {
      run.history.note(p.id(), "write outcome unknown: not releasing, the lease runs out");
      continue;
    }
    // The keeper's latest lease: the same owner, whatever validity it reached.
    const locks::Lease held = keeper ? keeper->lease() : *lease;
    const std::size_t release =
        run.history.invoke(p.id(), "release", numbered("token=", held.token));
    Result<void> released = co_await client.lock->release(held);
    if (released) {
      run.history.complete(release, OpStatus::kOk);
    } else {
      run.history.complete(release, status_of(released.error()), released.error().to_string());
    }
  }
  client.finished = true;
  ++run.finished;
}

void boot_client(Run& run, std::size_t i, sim::Process& self) {
  Client& client = run.clients[i];
  if (!client.finished) self.spawn(client_loop(run, client));
}

// Every acquire that completed, as the liveness window reads them.
std::vector<ObservedAcquire> observed_acquires(Run& run) {
  std::vector<ObservedAcquire> acquires;
  for (const auto& op : run.history.operations()) {
    if (op.name != "acquire" || op.status == OpStatus::kPending) continue;
    acquires.push_back({run.world.process(op.process).name(), op.id, op.completed - sim::SimTime{},
                        op.status == OpStatus::kOk, op.status == OpStatus::kFail});
  }
  return acquires;
}

// The sections with their writes' true application times from the register's log.
std::vector<ObservedSection> observed_sections(const Run& run) {
  std::vector<ObservedSection> sections = run.sections;
  // (write id, when applied), sorted by id; the first write of an id counts, as a map's emplace
  // kept it.
  std::vector<std::pair<std::uint64_t, sim::SimTime>> applied;
  applied.reserve(run.storage.log().size());
  for (const auto& write : run.storage.log()) applied.emplace_back(write.write_id, write.at);
  std::stable_sort(applied.begin(), applied.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (ObservedSection& s : sections) {
    const auto it =
        std::lower_bound(applied.begin(), applied.end(), s.id,
                         [](const auto& entry, std::uint64_t id) { return entry.first < id; });
    if (it != applied.end() && it->first == s.id) s.written = it->second - sim::SimTime{};
  }
  return sections;
}

std::optional<Violation> check_tokens(const LockScenarioSpec& spec,
                                      std::span<const ObservedSection> sections) {
  switch (spec.tokens) {
    case TokenCheck::kNone: return std::nullopt;
    case TokenCheck::kUnique: return check_tokens_unique(sections);
    case TokenCheck::kRising: return check_tokens_rise(sections);
  }
  return std::nullopt;
}

// The register's log as the lost-update check reads it, and the sections that reported success.
std::optional<Violation> check_lost_update(Run& run) {
  std::vector<ObservedWrite> writes;
  writes.reserve(run.storage.log().size());
  for (const auto& w : run.storage.log()) {
    writes.push_back({run.world.process(w.writer).name(), w.write_id, w.token, w.previous, w.value,
                      w.at - sim::SimTime{}});
  }
  std::vector<std::uint64_t> reported_ok;
  for (const auto& op : run.history.operations()) {
    if (op.name == "cs" && op.status == OpStatus::kOk) reported_ok.push_back(op.id);
  }
  return check_no_lost_update(writes, reported_ok);
}

// Clients that never finished: the witness is the operations they never completed.
std::optional<Violation> check_finished(Run& run) {
  if (run.finished >= static_cast<int>(run.clients.size())) return std::nullopt;
  std::vector<std::size_t> stuck;
  for (const auto& op : run.history.operations()) {
    if (op.status == OpStatus::kPending && stuck.size() < 8) stuck.push_back(op.id);
  }
  return Violation{
      .message = fmt::format("only {} of {} clients finished by {:.0f}s of virtual "
                             "time",
                             run.finished, run.clients.size(), in_seconds(run.workload.run_limit)),
      .operation = -1,
      .kind = "unfinished",
      .witness = std::move(stuck)};
}

std::optional<Violation> check_run(Run& run) {
  const std::span<const Duration> excuses =
      run.spec.liveness_excuses_vanished ? std::span<const Duration>(run.vanished)
                                         : std::span<const Duration>();
  if (auto v = check_liveness_window(observed_acquires(run), run.spec.max_unavailable, excuses)) {
    return v;
  }
  const std::vector<ObservedSection> sections = observed_sections(run);
  // Overlap first: when two holders overlap, a lost update is its consequence, not its cause.
  if (run.spec.mutual_exclusion) {
    if (auto v = check_mutual_exclusion(sections)) return v;
  }
  if (auto v = check_lost_update(run)) return v;
  if (auto v = check_tokens(run.spec, sections)) return v;
  if (auto v = check_finished(run)) return v;
  return check_liveness_floor(sections, run.spec.min_sections_ok);
}

// The verdict, its witness completed with each named section's acquisition.
std::optional<Violation> check(Run& run) {
  std::optional<Violation> v = check_run(run);
  if (!v) return v;
  const std::vector<std::size_t> named = v->witness;
  for (std::size_t id : named) {
    const auto it = std::lower_bound(run.acquisition_of.begin(), run.acquisition_of.end(),
                                     std::pair<std::size_t, std::size_t>(id, 0));
    if (it != run.acquisition_of.end() && it->first == id) v->witness.push_back(it->second);
  }
  return v;
}

std::unique_ptr<WorkloadLock> make_lock(Run& run, Client& client) {
  const LockScenarioSpec& spec = run.spec;
  sim::Process& p = *client.process;
  const std::string key = "resource-lock";
  if (spec.kind == LockKind::kPgAdvisory) {
    locks::AdvisoryLockOptions options;
    options.wait = std::chrono::milliseconds(500);
    options.call_timeout = spec.workload.call_timeout;
    auto lock = locks::AdvisoryLock::create(*client.session_store, key, options);
    FAULTLINE_INVARIANT(lock.ok(), "the spec's lock options are valid");
    return std::make_unique<LockAdapter<locks::AdvisoryLock>>(std::move(lock).value());
  }
  if (spec.kind == LockKind::kLease || spec.kind == LockKind::kLeaseWithoutTtl ||
      spec.kind == LockKind::kReleaseWithoutOwnerCheck) {
    locks::LeaseLockOptions options;
    // "No ttl" is the longest the store allows: a day, for ever as far as a run is concerned.
    options.ttl = spec.kind == LockKind::kLeaseWithoutTtl ? locks::kMaxTtl : spec.workload.ttl;
    options.call_timeout = spec.workload.call_timeout;
    options.max_attempts = 20;
    // Full jitter up to 5ms, 10ms, 20ms, ... 200ms (base 2.5ms: retry n sleeps up to base*2^n).
    options.backoff = {resilience::BackoffStrategy::kFullJitter, std::chrono::microseconds(2500),
                       std::chrono::milliseconds(200)};
    auto lock = locks::LeaseLock::create(*client.stores.front(), p.clock(), p.rng(), key, options);
    FAULTLINE_INVARIANT(lock.ok(), "the spec's lock options are valid");
    if (spec.kind == LockKind::kReleaseWithoutOwnerCheck) {
      return std::make_unique<UncheckedReleaseLock>(std::move(lock).value(), run.network, p,
                                                    *run.nodes.front());
    }
    return std::make_unique<LockAdapter<locks::LeaseLock>>(std::move(lock).value());
  }
  std::vector<locks::LockStore*> stores = client.stores;
  locks::RedlockOptions options;
  options.ttl = spec.workload.ttl;
  options.node_timeout = spec.workload.ttl / 20;
  options.max_attempts = 10;
  options.backoff = {resilience::BackoffStrategy::kUniform, std::chrono::milliseconds(5),
                     std::chrono::milliseconds(100)};
  if (spec.kind == LockKind::kNaiveRedlock) {
    return std::make_unique<LockAdapter<NaiveRedlock>>(
        NaiveRedlock(std::move(stores), p.clock(), p.rng(), key, options));
  }
  auto lock = locks::Redlock::create(std::move(stores), client.token_store, p.clock(), p.rng(), key,
                                     options);
  FAULTLINE_INVARIANT(lock.ok(), "the spec's lock options are valid");
  return std::make_unique<LockAdapter<locks::Redlock>>(std::move(lock).value());
}

// The client's stores on the topology's nodes, its register client and its lock.
void wire_client(Run& run, Client& client, sim::Process& p) {
  client.process = &p;
  for (const std::string& node : node_names(run.spec)) {
    if (run.spec.kind == LockKind::kPgAdvisory) {
      client.session_store = &run.topology.session_store(p.name(), node);
    } else {
      client.stores.push_back(&run.topology.lock_store(p.name(), node));
    }
  }
  if (has_token_node(run.spec)) client.token_store = &run.topology.lock_store(p.name(), "tokens");
  client.storage = std::make_unique<sim::RegisterClient>(run.network, p, run.storage);
  client.lock = make_lock(run, client);
}

}  // namespace

LockScenario::LockScenario(LockScenarioSpec spec) : spec_(std::move(spec)) {
  spec_.faults.clients.clear();
  for (int i = 1; i <= spec_.workload.clients; ++i) {
    spec_.faults.clients.push_back(fmt::format("client-{}", i));
  }
  spec_.faults.nodes = node_names(spec_);
}

sim::FaultPlan LockScenario::plan_for_seed(std::uint64_t seed) const {
  sim::Rng rng(seed ^ kPlanStream);
  return sim::generate_plan(rng, spec_.faults);
}

RunResult LockScenario::run(std::uint64_t seed, const sim::FaultPlan& plan,
                            const RunOptions& options) const {
  auto run = std::make_unique<Run>(seed, spec_, plan.network);
  sim::World& world = run->world;
  const LeaseLockWorkload& workload = spec_.workload;
  run->clients.resize(static_cast<std::size_t>(workload.clients));
  for (std::size_t i = 0; i < run->clients.size(); ++i) {
    wire_client(*run, run->clients[i], run->topology.client(i));
  }

  sim::History& history = run->history;
  for (sim::RedisNode* node : run->nodes) {
    const sim::ProcessId id = node->host().id();
    node->on_data_loss([&history, id](const std::string& text) { history.note(id, text); });
  }
  run->network.set_observer(
      [&world, &history](sim::ProcessId from, sim::ProcessId to, std::string_view what) {
        history.note(from, fmt::format("{} ({} -> {})", what, world.process(from).name(),
                                       world.process(to).name()));
      });
  run->rendering = options.html || options.timeline;
  run->server_spans = ServerSpans::watching(run->rendering, history, run->topology,
                                            node_names(spec_), spec_.kind == LockKind::kPgAdvisory);
  sim::apply(run->topology.faults(), run->history, plan);
  run->topology.start();
  const sim::SimTime limit = sim::SimTime(workload.run_limit);
  while (run->finished < workload.clients && world.now() <= limit && world.step()) {
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
      "writes applied {}, keeper extensions {}",
      c.acquired, c.acquire_failed, c.sections_ok, c.sections_refused, c.sections_abandoned,
      c.sections_unknown, c.sections_failed, run->storage.log().size(), c.extensions);
  if (run->server_spans) run->server_spans->finish();
  const std::vector<std::size_t> witness =
      result.violation ? result.violation->witness : std::vector<std::size_t>{};
  if (options.timeline) {
    result.timeline = sim::render_replay_timeline(
        run->history, witness, result.violation ? result.violation->kind : std::string());
  }
  if (options.html) {
    result.html = sim::render_timeline_html(
        run->history,
        fmt::format("{} seed {:#x}{}", name(), seed,
                    result.violation ? ": " + result.violation->message : ": invariant held"),
        witness);
  }
  return result;
}

}  // namespace faultline::scenarios
