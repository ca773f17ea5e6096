#include "faultline/sim/world.h"

#include "faultline/clock.h"
#include "faultline/invariant.h"
#include "frame_cache.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cassert>
#include <exception>
#include <stdexcept>

namespace faultline::sim {
namespace {

constexpr std::int64_t kPpm = 1'000'000;

// Trace tags, so that different kinds of record never hash alike.
enum TraceTag : std::uint64_t {
  kTagEvent = 1,
  kTagPause,
  kTagResume,
  kTagCrash,
  kTagRestart,
  kTagDisconnect,
  kTagSilentCrash
};

}  // namespace

// ---- ProcessClock ---------------------------------------------------------------------------

// Below this many nanoseconds (about 73 minutes) a product with (kPpm + drift) fits in 64 bits,
// so the common case avoids 128-bit division; the results are the same exact integers.
constexpr std::uint64_t kSmallSpan = std::uint64_t{1} << 42;

TimePoint ProcessClock::now() const {
  const std::int64_t elapsed = (world_.now() - base_true_).count();
  if (drift_ppm_ == 0) return base_local_ + Duration(elapsed);
  if (static_cast<std::uint64_t>(elapsed) < kSmallSpan) {  // and not negative
    return base_local_ + Duration(elapsed * (kPpm + drift_ppm_) / kPpm);
  }
  const int128 scaled = static_cast<int128>(elapsed) * (kPpm + drift_ppm_) / kPpm;
  return base_local_ + Duration(static_cast<std::int64_t>(scaled));
}

Duration ProcessClock::to_true(Duration local) const {
  if (local <= Duration::zero()) return Duration::zero();
  if (drift_ppm_ == 0) return local;
  const std::int64_t d = kPpm + drift_ppm_;
  if (static_cast<std::uint64_t>(local.count()) < kSmallSpan) return Duration((local.count() * kPpm + d - 1) / d);
  const int128 scaled = (static_cast<int128>(local.count()) * kPpm + d - 1) / d;
  return scaled >= static_cast<int128>(Duration::max().count()) ? Duration::max()
                                                                 : Duration(static_cast<std::int64_t>(scaled));
}

void ProcessClock::rebase() {
  base_local_ = now();
  base_true_ = world_.now();
}

WallTime ProcessClock::wall_now() const {
  return WallTime(now().time_since_epoch() + wall_offset_);
}

void ProcessClock::step(Duration amount) {
  if (amount > Duration::zero()) {
    rebase();
    base_local_ += amount;  // the wall clock (steady + offset) jumps with it
  } else {
    step_wall(amount);  // a steady clock never goes back: the wall clock steps alone
  }
}

void ProcessClock::step_wall(Duration amount) { wall_offset_ += amount; }

void ProcessClock::set_drift_ppm(std::int32_t ppm) {
  FAULTLINE_INVARIANT(ppm > -500'000 && ppm < 500'000,
                      "a drift past 50% is a mistake, not a fault");
  rebase();
  drift_ppm_ = ppm;
}

void ProcessClock::start_sleep(Duration duration, SleepHandler wake) {
  world_.schedule_after(to_true(duration), process_.id(), std::move(wake));
}

// ---- Process --------------------------------------------------------------------------------

Process::Process(World& world, ProcessId id, std::string name, std::uint64_t rng_seed)
    : world_(world), id_(id), name_(std::move(name)), clock_(world, *this), rng_(rng_seed) {}

void Process::spawn(Task<void> task) {
  boost::asio::co_spawn(world_.executor(), std::move(task), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
}

// ---- World ----------------------------------------------------------------------------------

World::World(std::uint64_t seed)
    : seed_(seed), rng_(seed), frames_(std::make_unique<detail::FrameCache>()) {
  trace_.mix(seed);
  frozen_.emplace_back();  // index 0: the world itself never pauses
}

World::~World() {
  // Discarding the callables destroys pending coroutine handlers; Asio queues their unwinding on
  // the executor. Discarding that work destroys the frames, which may queue more: discard until
  // none is left, while the processes the frames refer to still exist.
  // Each container is moved out before its contents die, since their destructors may schedule,
  // post or pause; frozen_ keeps its size, as pause() and resume() index it.
  for (;;) {
    std::vector<UniqueFunction> slots = std::move(slots_);
    std::vector<UniqueFunction> ready = std::move(ready_);
    slots_.clear();
    ready_.clear();
    ready_next_ = 0;
    queue_.clear();
    for (std::vector<Event>& held : frozen_) held.clear();
    if (slots.empty() && ready.empty()) break;
  }
}

void World::poll() {
  // By index: work may queue more work (a coroutine spawning another), which runs in this pass.
  while (ready_next_ < ready_.size()) {
    std::move(ready_[ready_next_++]).consume();
  }
  ready_.clear();
  ready_next_ = 0;
}

Process& World::add_process(std::string name) {
  FAULTLINE_INVARIANT(find_process(name) == nullptr,
                      "process names are unique: plans and histories name processes");
  const auto id = static_cast<ProcessId>(processes_.size() + 1);
  processes_.push_back(std::make_unique<Process>(*this, id, std::move(name), rng_.next_u64()));
  frozen_.emplace_back();
  return *processes_.back();
}

Process& World::process(ProcessId id) {
  FAULTLINE_INVARIANT(id >= 1 && id <= processes_.size(), "no such process id");
  return *processes_[id - 1];
}

Process* World::find_process(std::string_view name) {
  for (auto& p : processes_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

std::uint32_t World::take_slot(SimTime at, ProcessId owner) {
  FAULTLINE_INVARIANT(at >= now_,
                      "virtual time never goes back: an event is never scheduled in the past");
  assert(owner <= processes_.size());
  (void)owner;
  if (free_slots_.empty()) {
    slots_.emplace_back();
    slot_seq_.push_back(kNoEvent);
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }
  const std::uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  return slot;
}

World::EventId World::enqueue(SimTime at, ProcessId owner, std::uint32_t generation,
                              std::uint32_t slot) {
  assert(slots_[slot]);
  const std::uint64_t seq = next_seq_++;
  slot_seq_[slot] = seq;
  queue_.push(at, seq, owner, generation, slot);
  return EventId{slot, seq};
}

std::uint32_t World::generation_of(ProcessId owner) {
  return owner == kWorldProcess ? 0 : process(owner).generation();
}

void World::cancel(EventId id) noexcept {
  // The slot stays taken until its queue entry comes up; only the callable goes now. It is moved
  // out first: its destructor may schedule or cancel (and so touch slots_) itself.
  if (id.slot < slots_.size() && slot_seq_[id.slot] == id.seq) {
    slot_seq_[id.slot] = kNoEvent;
    const UniqueFunction doomed = std::move(slots_[id.slot]);
  }
}

void World::discard_cancelled() {
  while (!queue_.empty() && !slots_[queue_.top().slot]) free_slot(queue_.pop().slot);
}

void World::free_slot(std::uint32_t slot) {
  const UniqueFunction doomed = std::move(slots_[slot]);  // see cancel()
  slot_seq_[slot] = kNoEvent;
  free_slots_.push_back(slot);
}

void World::disconnect(Process& a, Process& b) {
  trace_.mix(kTagDisconnect);
  trace_.mix(a.id());
  trace_.mix(b.id());
  for (const DisconnectHook& hook : disconnect_hooks_) hook(a.id(), b.id());
}

void World::pause(Process& p) {
  trace_.mix(kTagPause);
  trace_.mix(p.id());
  p.paused_ = true;
  ++p.pause_epoch_;
}

void World::resume(Process& p) {
  trace_.mix(kTagResume);
  trace_.mix(p.id());
  p.paused_ = false;
  // What the process missed runs now, in the order it was due.
  std::vector<Event> held = std::move(frozen_[p.id()]);
  frozen_[p.id()].clear();
  for (const Event& event : held) {
    queue_.push(now_, next_seq_++, event.owner, event.generation, event.slot);
  }
}

void World::kill(Process& p) {
  trace_.mix(p.id());
  ++p.generation_;
  p.up_ = false;
  p.paused_ = false;
  for (const Event& event : frozen_[p.id()]) free_slot(event.slot);
  frozen_[p.id()].clear();
}

void Process::run_start_hooks() {
  // By index, on a copy: a hook may register another (which then runs too, last).
  for (std::size_t i = 0; i < on_start_.size(); ++i) {
    const Hook hook = on_start_[i];
    hook(*this);
  }
}

void Process::run_crash_hooks(bool persist) {
  for (std::size_t i = 0; i < on_crash_.size(); ++i) {
    const CrashHook hook = on_crash_[i];
    hook(*this, persist);
  }
}

void World::crash(Process& p, bool persist) {
  trace_.mix(kTagCrash);
  kill(p);
  for (const DisconnectHook& hook : disconnect_hooks_) hook(p.id(), kWorldProcess);
  p.run_crash_hooks(persist);
  poll();  // unwind the discarded coroutines now, while everything they refer to exists
}

void World::crash_silently(Process& p) {
  trace_.mix(kTagSilentCrash);
  kill(p);
  for (const SilentCrashHook& hook : silent_crash_hooks_) hook(p.id());
  p.run_crash_hooks(/*persist=*/true);
  poll();  // as crash(): unwind the discarded coroutines now
}

void World::restart(Process& p) {
  trace_.mix(kTagRestart);
  trace_.mix(p.id());
  FAULTLINE_INVARIANT(!p.up_, "restart() of a process that is up");
  p.up_ = true;
  p.run_start_hooks();
  poll();
}

void World::start() {
  FAULTLINE_INVARIANT(!started_, "start() runs once");
  started_ = true;
  for (auto& p : processes_) {
    p->run_start_hooks();
  }
  poll();
}

void World::dispatch(const Event& event) {
  // step() drops a cancelled event as it pops it (a frozen event cancelled while its process
  // was paused too: resume() queues it, step() drops it).
  FAULTLINE_INVARIANT(static_cast<bool>(slots_[event.slot]),
                      "a cancelled event is never dispatched");
  if (event.owner != kWorldProcess) {
    Process& p = *processes_[event.owner - 1];
    if (event.generation != p.generation_) {  // its process crashed since: discard
      free_slot(event.slot);
      return;
    }
    if (p.paused_) {
      frozen_[event.owner].push_back(event);
      return;
    }
  }
  trace_.mix(kTagEvent);
  trace_.mix(static_cast<std::uint64_t>(now_.time_since_epoch().count()));
  trace_.mix(event.owner);
  ++events_run_;
  slot_seq_[event.slot] = kNoEvent;
  free_slots_.push_back(event.slot);
  // The slot is free again while the event runs: consume() moves the callable out first.
  std::move(slots_[event.slot]).consume();
  // What the event queued on the executor (coroutines it spawned, unwinding of dead ones) runs
  // at the start of the next step(), still at this event's time.
}

bool World::step() {
  const detail::FrameCache::Scope recycling(*frames_);
  poll();  // coroutines spawned from outside any event start now, at the current time
  for (;;) {
    if (queue_.empty()) return false;
    const Event event = queue_.pop();
    if (!slots_[event.slot]) {  // cancelled: dropped without moving time (discard_cancelled())
      free_slot(event.slot);
      continue;
    }
    FAULTLINE_INVARIANT(event.at >= now_, "virtual time never goes back");
    now_ = event.at;
    dispatch(event);
    return true;
  }
}

std::uint64_t World::run_until(SimTime limit, std::uint64_t max_events) {
  const detail::FrameCache::Scope recycling(*frames_);
  std::uint64_t ran = 0;
  while (ran < max_events) {
    poll();  // work the last event queued runs at its time, before time moves on
    discard_cancelled();
    if (queue_.empty() || queue_.top().at > limit) {
      now_ = std::max(now_, limit);  // nothing is due before the limit: time moves on to it
      break;
    }
    step();
    ++ran;
  }
  return ran;
}

}  // namespace faultline::sim
