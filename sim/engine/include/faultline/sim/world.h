// World: the deterministic simulator's event loop, processes and their clocks.
//
// One 64-bit seed fixes everything that happens in a World: every random draw comes from an Rng
// forked from it, events run in (time, sequence) order, and nothing reads a wall clock, starts a
// thread or iterates a pointer-keyed container. Two runs with the same seed and the same fault
// plan produce the same trace hash (see Trace).
//
// Time. The World keeps true (virtual) time, SimTime. Idle periods cost nothing: the loop jumps
// straight to the next event. Each Process has two readings, as a machine does:
//   - its steady clock (ProcessClock::now(), the Clock that patterns read): offset (skew), fast
//     or slow (drift, in ppm) and jumping forward, as CLOCK_MONOTONIC does across a VM pause,
//     but never going back;
//   - its wall clock (ProcessClock::wall_now()): the same oscillator (the same drift) with its
//     own offset, which steps either way, as CLOCK_REALTIME does when NTP or an operator sets
//     it. Servers that expire data by wall-clock time (Redis) read this one.
// Sleeps are converted from the process's steady clock to true time.
//
// Processes. Pattern code runs as asio::awaitable coroutines on the World's executor
// (SimExecutor), each belonging to a Process. Every event belongs to a process (or to the world itself):
//   - pause(p, d): p's events are held back, not run, until it resumes; the world moves on.
//   - crash(p): p's pending events are discarded (its coroutines never resume; volatile state is
//     gone) and its on_crash hook runs; restart(p) runs its on_start hook again, as at boot.
//     Its connections close (its kernel resets them), so servers hear of it at once.
//   - crash_silently(p): the same death, but nobody hears of it (the host lost power, or was cut
//     off for good): p's connections stay half-open on the servers until their keepalive fires.
//
// Ownership: the World owns its processes; a Process& stays valid for the World's lifetime.
// Objects that coroutines refer to must outlive the World, or be owned by a process's state.
// Thread-safety: none. A World and everything in it belong to the thread that runs it.
#pragma once

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/clock.h"
#include "faultline/sim/block_pool.h"
#include "faultline/sim/event_queue.h"
#include "faultline/sim/rng.h"
#include "faultline/sim/sim_executor.h"
#include "faultline/sim/trace.h"
#include "faultline/sim/unique_function.h"
#include "faultline/task.h"

namespace faultline::sim {

// True (virtual) time of the simulation; its epoch is the start of the run.
struct SimClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<SimClock, duration>;
  static constexpr bool is_steady = true;
};
using SimTime = SimClock::time_point;

// A process's wall-clock (real-time) reading: a type of its own, so that a wall reading is never
// compared with a steady one. Its epoch is the start of the run, as the steady clock's is.
struct WallClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<WallClock, duration>;
  static constexpr bool is_steady = false;  // steps either way
};
using WallTime = WallClock::time_point;

using ProcessId = std::uint32_t;
inline constexpr ProcessId kWorldProcess = 0;  // owner of events that belong to no process

class World;
class Process;
namespace detail {
class FrameCache;
}

// A process's view of time: offset, drift and steps against the World's true time. now() is the
// steady clock (never decreases); wall_now() the wall clock (steps either way). Both run at the
// same drifted rate; only steps separate them.
class ProcessClock final : public Clock {
 public:
  ProcessClock(World& world, Process& process) : world_(world), process_(process) {}

  // The steady reading: never smaller than any earlier reading of this clock.
  [[nodiscard]] TimePoint now() const override;
  // The wall-clock reading: the steady reading plus the wall offset that steps have built up.
  [[nodiscard]] WallTime wall_now() const;

  // How much true time passes while this clock advances by `local` (rounded up).
  [[nodiscard]] Duration to_true(Duration local) const;
  // A clock-step fault: the wall clock jumps by `amount` (either sign, as NTP or an operator
  // setting the time does); the steady clock jumps only forward (a positive `amount`, as
  // CLOCK_MONOTONIC does across a VM pause) and ignores a backward step.
  void step(Duration amount);
  // Only the wall clock jumps, by `amount` (either sign); the steady clock is untouched.
  void step_wall(Duration amount);
  // Runs the clock fast (ppm > 0) or slow (ppm < 0) from now on. |ppm| < 500000.
  void set_drift_ppm(std::int32_t ppm);
  [[nodiscard]] std::int32_t drift_ppm() const noexcept { return drift_ppm_; }

 protected:
  // The sleep is an event of this process, `duration` later on this clock: a paused process's
  // events wait for its resumption, and a crash discards them.
  void start_sleep(Duration duration, SleepHandler wake) override;

 private:
  void rebase();

  World& world_;
  Process& process_;
  SimTime base_true_{};
  TimePoint base_local_{};
  Duration wall_offset_{};  // wall_now() - now(); only steps change it
  std::int32_t drift_ppm_ = 0;
};

class Process {
 public:
  using Hook = std::function<void(Process&)>;

  Process(World& world, ProcessId id, std::string name, std::uint64_t rng_seed);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] ProcessId id() const noexcept { return id_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] World& world() noexcept { return world_; }
  [[nodiscard]] ProcessClock& clock() noexcept { return clock_; }
  [[nodiscard]] Rng& rng() noexcept { return rng_; }
  [[nodiscard]] bool up() const noexcept { return up_; }
  [[nodiscard]] bool paused() const noexcept { return paused_; }
  // Incremented by every pause, so that a resume can tell whether it ends the pause it meant.
  [[nodiscard]] std::uint64_t pause_epoch() const noexcept { return pause_epoch_; }
  // Incremented by every crash; events scheduled for an older generation are discarded.
  [[nodiscard]] std::uint32_t generation() const noexcept { return generation_; }

  using CrashHook = std::function<void(Process&, bool persist)>;

  // Hooks append: several models may share one process (a Redis node with two command modules,
  // a service and its cache), and each keeps its own. They run in registration order.
  // Runs at start() and at every restart: spawn the process's coroutines here.
  void on_start(Hook hook) { on_start_.push_back(std::move(hook)); }
  // Runs at every crash, after the process's events were discarded. `persist` says whether
  // durable state survives (meaningful for store nodes).
  void on_crash(CrashHook hook) { on_crash_.push_back(std::move(hook)); }

  // Runs `task` as a coroutine of this process. An exception escaping it propagates out of
  // World::step(): a bug in the workload must not pass silently.
  void spawn(Task<void> task);

 private:
  friend class World;

  World& world_;
  ProcessId id_;
  std::string name_;
  ProcessClock clock_;
  Rng rng_;
  bool up_ = true;
  bool paused_ = false;
  std::uint64_t pause_epoch_ = 0;
  std::uint32_t generation_ = 0;
  std::vector<Hook> on_start_;
  std::vector<CrashHook> on_crash_;
  void run_start_hooks();
  void run_crash_hooks(bool persist);
};

class World {
 public:
  explicit World(std::uint64_t seed);
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();

  // Adds a process. Names are unique; ids are assigned 1, 2, ... in order of addition.
  Process& add_process(std::string name);
  [[nodiscard]] Process& process(ProcessId id);
  [[nodiscard]] Process* find_process(std::string_view name);
  [[nodiscard]] std::size_t process_count() const noexcept { return processes_.size(); }

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  [[nodiscard]] SimTime now() const noexcept { return now_; }
  [[nodiscard]] Rng& rng() noexcept { return rng_; }
  [[nodiscard]] Trace& trace() noexcept { return trace_; }
  // The executor the World's coroutines run on (see sim_executor.h).
  [[nodiscard]] SimExecutor executor() noexcept { return SimExecutor(*this); }
  // The execution context behind the executor: where Asio keeps its services.
  [[nodiscard]] boost::asio::execution_context& context() noexcept { return io_; }
  [[nodiscard]] std::uint64_t events_run() const noexcept { return events_run_; }
  // Where the World's short-lived blocks (a call's shared state) come from and go back to.
  [[nodiscard]] detail::BlockPool& blocks() noexcept { return blocks_; }

  // Names a scheduled event, for cancel().
  // An id names an event of this World only (another World's ids alias them); a default one
  // names none.
  struct EventId {
    std::uint32_t slot = UINT32_MAX;
    std::uint64_t seq = UINT64_MAX;
  };
  // Runs `fn` (a callable `void()`, or a UniqueFunction) at true time `at` (>= now) on behalf of
  // `owner` as of `generation`.
  template <class F>
  EventId schedule(SimTime at, ProcessId owner, std::uint32_t generation, F&& fn);
  // Runs `fn` after `delay` of true time, on behalf of `owner`'s current generation.
  template <class F>
  EventId schedule_after(Duration delay, ProcessId owner, F&& fn);
  // Withdraws a pending event: its callable is destroyed now, and it never runs, counts, moves
  // time or enters the trace (a deadline whose reply came first is no event). An event that
  // already ran, is running, was discarded or was cancelled is left alone.
  void cancel(EventId id) noexcept;
  // Queues `fn` to run after the current event, before time moves on (SimExecutor's work).
  void post(UniqueFunction fn) { ready_.push_back(std::move(fn)); }
  // Runs the queued work, and the work it queues, until none is left. step() and run_until() do
  // this before every event; call it directly to start what was just spawned without running
  // an event.
  void poll();

  // Called when connections drop: (a, b) for the connections between a and b, and
  // (p, kWorldProcess) for all of p's connections when p crashes. Servers that keep per-connection
  // state (sessions, their locks) register here. Hooks run in registration order.
  using DisconnectHook = std::function<void(ProcessId a, ProcessId b)>;
  void on_disconnect(DisconnectHook hook) { disconnect_hooks_.push_back(std::move(hook)); }
  // Called when `client` dies silently (crash_silently): its connections are now half-open. The
  // hook is the simulator's bookkeeping, not a message: a server must not act on it at once, only
  // when its own keepalive would have noticed. Hooks run in registration order.
  using SilentCrashHook = std::function<void(ProcessId client)>;
  void on_silent_crash(SilentCrashHook hook) { silent_crash_hooks_.push_back(std::move(hook)); }

  // Fault verbs. Each is recorded in the trace.
  void disconnect(Process& a, Process& b);
  void pause(Process& p);
  void resume(Process& p);
  void crash(Process& p, bool persist);
  // Crashes `p` (keeping durable state) without closing its connections: the disconnect hooks do
  // not run; the silent-crash hooks do.
  void crash_silently(Process& p);
  void restart(Process& p);

  // Calls every process's on_start hook, in id order. Call once, before running.
  void start();
  // Runs one event. Returns false when there is none left.
  bool step();
  // Runs every event due up to `limit`, then moves true time on to `limit` (unless `max_events`
  // ran first). Returns the number of events run.
  std::uint64_t run_until(SimTime limit, std::uint64_t max_events = UINT64_MAX);

 private:
  friend class Process;
  // Queue entries stay small and trivially copyable; the callables live in `slots_`, so sifting
  // the queue never moves a type-erased callable.
  using Event = EventQueue<SimTime>::Entry;

  void dispatch(const Event& event);
  // schedule()'s untyped halves: a free slot for the callable, then the queue entry naming it.
  std::uint32_t take_slot(SimTime at, ProcessId owner);
  EventId enqueue(SimTime at, ProcessId owner, std::uint32_t generation, std::uint32_t slot);
  [[nodiscard]] std::uint32_t generation_of(ProcessId owner);
  // Kills `p`: its events are discarded and its generation moves on. The caller tells who hears.
  void kill(Process& p);
  void free_slot(std::uint32_t slot);
  // Drops cancelled events from the front of the queue, so that they never move time.
  void discard_cancelled();
  static constexpr std::uint64_t kNoEvent = UINT64_MAX;  // slot_seq_ of a free or running slot

  // First, so that it is destroyed last: the blocks of calls still pending go back to it as the
  // events holding them are destroyed.
  detail::BlockPool blocks_;
  std::uint64_t seed_;
  Rng rng_;
  Trace trace_;
  SimTime now_{};
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  bool started_ = false;
  std::vector<DisconnectHook> disconnect_hooks_;
  std::vector<SilentCrashHook> silent_crash_hooks_;
  // Declaration order is destruction order reversed, and ~World() empties the queues first:
  // events (holding coroutine handlers) go first, then the ready work (the unwinding of the
  // coroutine frames they held), then the processes the frames may refer to.
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<std::vector<Event>> frozen_;  // per process id, events held while paused
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  std::unique_ptr<detail::FrameCache> frames_;  // Asio's block recycling while events run
  std::vector<UniqueFunction> ready_;  // SimExecutor's queued work, run first in first out
  std::size_t ready_next_ = 0;         // the first of ready_ not yet run
  std::vector<UniqueFunction> slots_;  // callables of pending and frozen events
  std::vector<std::uint64_t> slot_seq_;  // the seq of the event holding each slot
  std::vector<std::uint32_t> free_slots_;
  EventQueue<SimTime> queue_;
};

template <class F>
World::EventId World::schedule(SimTime at, ProcessId owner, std::uint32_t generation, F&& fn) {
  const std::uint32_t slot = take_slot(at, owner);
  slots_[slot].emplace(std::forward<F>(fn));
  return enqueue(at, owner, generation, slot);
}

template <class F>
World::EventId World::schedule_after(Duration delay, ProcessId owner, F&& fn) {
  return schedule(add_saturating(now_, std::max(delay, Duration::zero())), owner,
                  generation_of(owner), std::forward<F>(fn));
}

template <class F>
void SimExecutor::execute(F&& f) const {
  world_->post(UniqueFunction(std::forward<F>(f)));
}

inline boost::asio::execution_context& SimExecutor::query(
    boost::asio::execution::context_t) const noexcept {
  return world_->context();
}

}  // namespace faultline::sim
