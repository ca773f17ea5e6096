#include "scenarios/locks/pg_scenarios.h"

#include <fmt/format.h>

#include "faultline/duration_text.h"

namespace faultline::scenarios {

std::vector<LockScenarioSpec> pg_advisory_specs() {
  using namespace std::chrono_literals;
  std::vector<LockScenarioSpec> specs;
  for (const bool fenced : {true, false}) {
    LockScenarioSpec s;
    s.kind = LockKind::kPgAdvisory;
    s.fenced = fenced;
    s.name = fenced ? "pg-advisory/fenced" : "pg-advisory/connection-drop";
    s.description =
        fenced ? "PostgreSQL advisory lock + fencing tokens from the database: no lost update "
                 "under dropped connections, pauses, crashes, partitions and lost messages "
                 "(must hold)"
               : "PostgreSQL advisory lock without fencing: a connection drops, the server "
                 "releases the session's lock, another client takes it, and the first one, "
                 "unaware, writes (must be found)";
    s.expect = fenced ? Expect::kHolds : Expect::kViolationFound;
    s.mutual_exclusion = !fenced;
    // Unique, not rising in the order the acquisitions returned: a session lock has no lease
    // to check once its token is back, so a client paused between the server's grant and its
    // own return learns of a lock its session may have lost meanwhile, and carries an older
    // token than holders who returned before it (seed 0xcb5d8cb2dd3e2392 on the polling model;
    // the fence refuses its write, so no update is lost).
    s.tokens = fenced ? TokenCheck::kUnique : TokenCheck::kNone;
    // Fewest applied writes over 2000 seeds: 24 of 100 (9 before a closed session's FIN was
    // retransmitted, 1 without the pause after a failure).
    s.min_sections_ok = fenced ? 12 : 0;
    // A client that fails to acquire waits before its next section. Without it, a server down
    // for up to 2s (node_crash below) ate whole workloads: a client burns its 20 sections on
    // refusals in about as long, and 2000 seeds had runs with a single applied write.
    if (fenced) s.workload.pause_after_failure = 300ms;
    sim::FaultSpace& f = s.faults;
    if (!fenced) f = sim::FaultSpace::none();  // the hazard needs dropped connections only
    f.horizon = 6s;
    f.max_faults = 8;
    f.disconnects = true;
    if (fenced) {
      f.pauses = true;
      f.pause_max = 2s;
      f.client_crashes = true;
      f.node_crashes = true;
      f.node_crash_without_persistence = false;  // the counter is a table: it survives
      f.clock_faults = true;
      f.partitions = true;
    }
    specs.push_back(std::move(s));
  }
  specs.push_back(half_open_spec());
  return specs;
}

LockScenarioSpec half_open_spec(sim::Keepalive keepalive) {
  using namespace std::chrono_literals;
  LockScenarioSpec s;
  s.kind = LockKind::kPgAdvisory;
  s.fenced = true;
  s.name = "pg-advisory/half-open";
  s.pg_keepalive = keepalive;
  s.max_unavailable = half_open_bound(keepalive);
  // The server queues waiters: one that vanishes while waiting may be granted the lock and hold
  // it until keepalive notices it too, so a stall may chain vanished holders.
  s.liveness_excuses_vanished = true;
  s.description = fmt::format(
      "PostgreSQL advisory lock: a holder vanishes without closing its connection; the server "
      "keeps its session and lock until TCP keepalive ({:.0f}s idle + {} x {:.0f}s probes) "
      "gives up, and everyone else is refused meanwhile (a waiter that vanished may be granted "
      "it next, and hold it as long): no refusal without a grant, or a client vanishing, in the "
      "{:.1f}s before it (keepalive + 1s), and no lost update (must hold)",
      in_seconds(keepalive.idle), keepalive.count, in_seconds(keepalive.interval),
      in_seconds(s.max_unavailable));
  s.expect = Expect::kHolds;
  s.min_sections_ok = 40;  // fewest applied writes over 2000 seeds: 78 of 200
  // Only silent client deaths on a quiet network: every refusal span is a vanished holder's.
  sim::FaultSpace& f = s.faults;
  f = sim::FaultSpace::none();
  f.horizon = 6s;
  f.max_faults = 4;
  f.silent_client_crashes = true;
  f.downtime_max = 2s;
  // Enough sections that clients still try when the keepalive ends (a refused acquire waits
  // 0.5s), so a session that never ended would show.
  s.workload.sections = 40;
  return s;
}

Duration half_open_bound(const sim::Keepalive& keepalive) {
  // A holder vanishes at most ~0.4s after its grant (read, work, prepare, write and release, each
  // call within 100ms), a waiting client is granted the lock on the server as it is freed and a
  // round trip takes a few ms: 1s covers all of it with room to spare, and is far below the
  // keepalive it is added to.
  return keepalive.detection() + std::chrono::seconds(1);
}

}  // namespace faultline::scenarios
