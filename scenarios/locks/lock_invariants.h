// Lock invariants judged from what the environment saw, never from the lock's own state.
//
// The input is one ObservedSection per successful acquisition: when (in true time) the holder
// learned it held the lock, the fencing token it was handed, and when (in true time) the
// protected resource applied the write that section made, if it applied one. The simulator
// builds these from its history and the register's log (lock_scenario.cc); a real-server run
// can build them from its own clock and resource log (tests/redlock_chaos_test.cc does), so the
// same functions judge both worlds.
//
// Each check returns nullopt when the property holds, or a Violation naming the offending
// section (Violation::operation is that section's id), saying what was seen, with its kind (a
// stable slug: "mutual-exclusion", "token-reuse", "token-order", "liveness-floor",
// "lost-update", "unapplied-success", "liveness") and its witness: the ids of the sections (or
// acquires) that make it, which a simulated run completes with their acquisitions. They are
// pure functions: no allocation beyond the report, no clock, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "faultline/clock.h"
#include "faultline/locks/lock_store.h"
#include "scenarios/framework/scenario.h"

namespace faultline::scenarios {

struct ObservedSection {
  std::string holder;      // who held the lock (a process or client name), for the report
  std::uint64_t id = 0;    // the section's id in the run's history (the register's write id)
  Duration acquired{};     // true time, since the run began, at which the acquire returned
  locks::FencingToken token = 0;  // the token the acquisition carried
  std::optional<Duration> written;  // true time the resource applied this section's write
};

// One acquire that completed: who, its id, when (true time since the run began) it returned,
// and whether it succeeded or certainly failed (an unknown outcome is neither).
struct ObservedAcquire {
  std::string holder;
  std::uint64_t id = 0;
  Duration returned{};
  bool ok = false;
  bool failed = false;
};

// One write the protected resource applied, in the order it applied them: the section that
// made it (its id), its token, the value it found and the value it wrote, and when.
struct ObservedWrite {
  std::string writer;
  std::uint64_t section = 0;
  locks::FencingToken token = 0;
  std::int64_t previous = 0;
  std::int64_t value = 0;
  Duration at{};
};

// Mutual exclusion in true time. A section's exclusive interval is [acquired, written]:
//   - it starts when the acquire *returned*, not when a server granted the key: before that the
//     holder cannot act on the lock, and a grant whose reply never arrived is no holder at all;
//   - it ends when the resource *applied* the holder's write, not when the client heard back
//     and not at the release. The write is the last thing the section does to the resource; a
//     release can come arbitrarily later (a pause after the write, a lost reply) after the
//     lease has legitimately expired and the next holder began, which is no fault of the lock.
//     The write's application, though, is exactly what a lease must cover: a write that lands
//     after the next holder began (a delayed message, a pause between check and send) is the
//     overlap a lock without fencing must prevent.
//   - a section whose write was never applied (abandoned, refused, lost) touched nothing the
//     lock protects beyond a read, so it claims no interval.
// Violation: two sections whose intervals overlap (the later one's acquire returned strictly
// before the earlier one's write was applied). Sections may come in any order. Kind
// "mutual-exclusion"; witness: the two sections.
[[nodiscard]] std::optional<Violation> check_mutual_exclusion(
    std::span<const ObservedSection> sections);

// Fencing tokens: every successful acquisition carries a token no other acquisition carried
// (a counter that rolled back hands out one twice, and a fenced resource cannot tell two equal
// tokens apart). Kind "token-reuse"; witness: the two sections with the one token.
[[nodiscard]] std::optional<Violation> check_tokens_unique(
    std::span<const ObservedSection> sections);

// Fencing tokens rise in the order the acquisitions returned in true time: a holder that learns
// of its lock later carries a larger token than everyone before it. Implies uniqueness. A lease
// handed out after a newer one (an old grant believed valid by a clock that ran slow) breaks it.
// Ties in time are ordered by id. Kind "token-order"; witness: the two sections out of order.
[[nodiscard]] std::optional<Violation> check_tokens_rise(
    std::span<const ObservedSection> sections);

// Liveness floor: at least `floor` sections had their write applied, so that a claim cannot
// hold vacuously (a lock that never grants is perfectly safe). `floor` <= 0 disables it. Kind
// "liveness-floor"; no witness (no operation is to blame).
[[nodiscard]] std::optional<Violation> check_liveness_floor(
    std::span<const ObservedSection> sections, int floor);

// No lost update: every applied write's value is the value it found plus one (each section
// read what the previous one wrote), and every section in `reported_ok` (the sections whose
// holder was told its write succeeded) is among the writes. Kind "lost-update"; witness: the
// stale section, the section whose write it overwrote, and the first section that wrote after
// the value the stale one read (when another). Kind "unapplied-success"; witness: that section.
[[nodiscard]] std::optional<Violation> check_no_lost_update(
    std::span<const ObservedWrite> writes, std::span<const std::uint64_t> reported_ok);

// Liveness window: no acquire certainly failed, at or after `window` into the run, without a
// successful acquire (by anyone) returning in the `window` before it: the lock is then held by
// someone who will never release it. `window` <= 0 disables it. Kind "liveness"; witness: the
// failed acquire and the last successful one before it, if any. Acquires in any order.
// `vanished` (times since the start, any order) excuses a failure with a client vanishing in
// the `window` before it: for a server that holds a vanished client's session until it notices
// (keepalive) and queues waiters (PostgreSQL), a client that vanishes while waiting can be
// granted the lock and hold it until the server notices it in turn, so one stall can chain
// several vanished holders, each bounded from its own vanishing.
[[nodiscard]] std::optional<Violation> check_liveness_window(
    std::span<const ObservedAcquire> acquires, Duration window,
    std::span<const Duration> vanished = {});

// How many sections had their write applied.
[[nodiscard]] int sections_written(std::span<const ObservedSection> sections);

}  // namespace faultline::scenarios
