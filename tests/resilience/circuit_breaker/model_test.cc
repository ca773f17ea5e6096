// The breaker against a naive model, under generated sequences (RapidCheck).
#include "tests/resilience/circuit_breaker/breaker_support.h"

namespace faultline::resilience {
namespace {

// ---------------------------------------------------------------------------------------------
// State-machine property: the breaker against a naive model.

enum class Outcome { kSuccess, kUnavailable, kBusy, kLocalRefusal, kCallerError, kResultFailure };

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kSuccess: return "success";
    case Outcome::kUnavailable: return "unavailable";
    case Outcome::kBusy: return "busy";
    case Outcome::kLocalRefusal: return "circuit_open";
    case Outcome::kCallerError: return "invalid_argument";
    case Outcome::kResultFailure: return "result_failure";
  }
  return "?";
}

// What the header documents, written out by hand: unavailable and a failed result count as
// failures; busy, local refusals and caller errors are ignored.
enum class Judged { kSuccess, kFailure, kIgnored };
Judged judge(Outcome o) {
  switch (o) {
    case Outcome::kSuccess: return Judged::kSuccess;
    case Outcome::kUnavailable:
    case Outcome::kResultFailure: return Judged::kFailure;
    default: return Judged::kIgnored;
  }
}

struct ModelEntry {
  bool failed;
  bool slow;
  std::int64_t slice;  // time-based windows: which bucket-width slice of time it fell in
};
struct ModelPermit {
  std::uint64_t episode;
  TimePoint started;
};

struct Model {
  CircuitBreakerOptions options;
  int failure_pct = 50;  // the same thresholds as integers: exact arithmetic in the model
  int slow_pct = 100;
  bool listen = false;

  TimePoint now{};
  CircuitState state = CircuitState::kClosed;
  std::uint64_t episode = 0;
  std::deque<ModelEntry> window;       // recorded while CLOSED (oldest first)
  std::vector<ModelPermit> permits;    // held by the test, in order of issue
  std::vector<ModelEntry> probes;      // recorded in this HALF_OPEN episode
  TimePoint opened_at{};
  TimePoint half_open_since{};
  Duration wait{};
  std::uint64_t not_permitted = 0;
  int state_changes = 0;

  [[nodiscard]] bool timed() const { return options.slow_call_duration != Duration::max(); }
  [[nodiscard]] bool count_based() const {
    return options.window_kind == WindowKind::kCountBased;
  }
  [[nodiscard]] std::int64_t slice(TimePoint t) const {
    const std::int64_t buckets = options.window_buckets;
    const std::int64_t width = (options.window_duration.count() + buckets - 1) / buckets;
    const std::int64_t n = t.time_since_epoch().count();
    return n >= 0 ? n / width : -((-n + width - 1) / width);
  }
  [[nodiscard]] bool live(const ModelEntry& e) const {
    return count_based() || slice(now) - e.slice < options.window_buckets;
  }
  // Probes are not in a time window: only the closed window's entries expire.
  [[nodiscard]] WindowTotals totals_of(const auto& entries, bool expire) const {
    WindowTotals t;
    for (const ModelEntry& e : entries) {
      if (expire && !live(e)) continue;
      ++t.calls;
      t.failures += e.failed ? 1 : 0;
      t.slow += e.slow ? 1 : 0;
    }
    return t;
  }
  [[nodiscard]] bool over(const WindowTotals& t) const {
    return t.failures * 100 >= static_cast<std::uint64_t>(failure_pct) * t.calls ||
           t.slow * 100 >= static_cast<std::uint64_t>(slow_pct) * t.calls;
  }
  [[nodiscard]] std::uint32_t probes_in_flight() const {
    if (state != CircuitState::kHalfOpen) return 0;
    return static_cast<std::uint32_t>(std::count_if(
        permits.begin(), permits.end(), [&](const ModelPermit& p) { return p.episode == episode; }));
  }

  void enter(CircuitState to) {
    const CircuitState from = state;
    state = to;
    ++episode;
    ++state_changes;
    probes.clear();
    if (to == CircuitState::kClosed) {
      window.clear();
      wait = options.wait_in_open;
    } else if (to == CircuitState::kOpen) {
      opened_at = now;
      if (from == CircuitState::kHalfOpen) {
        const double grown = static_cast<double>(wait.count()) * options.wait_multiplier;
        wait = grown >= static_cast<double>(options.max_wait_in_open.count())
                   ? options.max_wait_in_open
                   : Duration(static_cast<std::int64_t>(grown));
      } else {
        wait = options.wait_in_open;
      }
    } else if (to == CircuitState::kHalfOpen) {
      half_open_since = now;
    }
  }

  // True when permitted (and then a permit is held).
  bool acquire() {
    if (state == CircuitState::kOpen && now - opened_at >= wait) enter(CircuitState::kHalfOpen);
    if (state == CircuitState::kHalfOpen && options.max_wait_in_half_open != Duration::max() &&
        now - half_open_since >= options.max_wait_in_half_open) {
      enter(CircuitState::kOpen);
    }
    bool ok = false;
    switch (state) {
      case CircuitState::kClosed:
      case CircuitState::kDisabled: ok = true; break;
      case CircuitState::kHalfOpen:
        ok = probes_in_flight() + probes.size() < options.permitted_calls_in_half_open;
        break;
      case CircuitState::kOpen:
      case CircuitState::kForcedOpen: ok = false; break;
    }
    if (ok) {
      permits.push_back({episode, now});
    } else {
      ++not_permitted;
    }
    return ok;
  }

  void report(std::size_t index, Outcome outcome) {
    const ModelPermit p = permits.at(index);
    permits.erase(permits.begin() + static_cast<std::ptrdiff_t>(index));
    if (p.episode != episode || state == CircuitState::kDisabled) return;
    const Judged j = judge(outcome);
    if (j == Judged::kIgnored) return;  // a half-open slot frees itself: the permit is gone
    const ModelEntry e{j == Judged::kFailure,
                       timed() && now - p.started >= options.slow_call_duration, slice(now)};
    if (state == CircuitState::kClosed) {
      window.push_back(e);
      if (count_based() && window.size() > options.window_size) window.pop_front();
      while (!window.empty() && !live(window.front())) window.pop_front();
      const WindowTotals t = totals_of(window, true);
      if (t.calls >= options.minimum_calls && over(t)) enter(CircuitState::kOpen);
    } else {
      probes.push_back(e);
      if (probes.size() == options.permitted_calls_in_half_open) {
        enter(over(totals_of(probes, false)) ? CircuitState::kOpen : CircuitState::kClosed);
      }
    }
  }

  void abandon(std::size_t index) {
    permits.erase(permits.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void reset() {
    if (state == CircuitState::kClosed) {
      ++episode;
      window.clear();
      wait = options.wait_in_open;
    } else {
      enter(CircuitState::kClosed);
    }
    not_permitted = 0;
  }

  [[nodiscard]] CircuitMetrics metrics() const {
    CircuitMetrics m;
    m.state = state;
    const WindowTotals t =
        state == CircuitState::kHalfOpen ? totals_of(probes, false) : totals_of(window, true);
    m.buffered_calls = t.calls;
    m.failed_calls = t.failures;
    m.slow_calls = t.slow;
    m.not_permitted_calls = not_permitted;
    m.half_open_in_flight = probes_in_flight();
    m.open_wait = wait;
    return m;
  }
};

struct HeldPermit {
  Permit permit;
  CircuitState issued_in;
  int generation;  // the test's own count of episodes when it was issued
};

struct Sut {
  ManualClock clock;
  std::optional<CircuitBreaker> breaker;  // declared before `held`: destroyed after it
  std::vector<HeldPermit> held;
  int state_changes = 0;  // from kStateChanged events (when listening)
  int generation = 0;     // bumped whenever the test sees the state change, or resets
  bool saw_half_open = false;  // coverage, reported by RC_CLASSIFY
  bool saw_reclose = false;    // HALF_OPEN -> CLOSED
  bool saw_reopen = false;     // HALF_OPEN -> OPEN

  // Runs a breaker operation and tracks episodes from the outside: each operation makes at most
  // one state change (or is a reset).
  template <class F>
  auto observe(F&& f, bool is_reset = false) {
    const CircuitState before = breaker->state();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      seen(before, is_reset);
    } else {
      auto r = f();
      seen(before, is_reset);
      return r;
    }
  }
  void seen(CircuitState before, bool is_reset) {
    const CircuitState after = breaker->state();
    if (is_reset || after != before) ++generation;
    saw_half_open = saw_half_open || after == CircuitState::kHalfOpen;
    if (before == CircuitState::kHalfOpen && after == CircuitState::kClosed && !is_reset) {
      saw_reclose = true;
    }
    saw_reopen = saw_reopen || (before == CircuitState::kHalfOpen && after == CircuitState::kOpen);
  }
};

void check_same(const Model& m, Sut& s) {
  CircuitBreaker& b = *s.breaker;
  const CircuitMetrics got = b.metrics();
  const CircuitMetrics want = m.metrics();
  RC_ASSERT(to_string(got.state) == to_string(want.state));
  RC_ASSERT(got.buffered_calls == want.buffered_calls);
  RC_ASSERT(got.failed_calls == want.failed_calls);
  RC_ASSERT(got.slow_calls == want.slow_calls);
  RC_ASSERT(got.not_permitted_calls == want.not_permitted_calls);
  RC_ASSERT(got.half_open_in_flight == want.half_open_in_flight);
  RC_ASSERT(got.open_wait == want.open_wait);
  if (got.buffered_calls > 0) {
    RC_ASSERT(got.failure_rate == static_cast<double>(got.failed_calls) * 100.0 /
                                      static_cast<double>(got.buffered_calls));
  }
  RC_ASSERT(s.held.size() == m.permits.size());
  // The safety property, counted from the permits the test holds: never more probes of the
  // current half-open episode outstanding than permitted.
  std::uint32_t live_probes = 0;
  for (const HeldPermit& h : s.held) {
    if (h.issued_in == CircuitState::kHalfOpen && h.generation == s.generation) ++live_probes;
  }
  if (b.state() != CircuitState::kHalfOpen) live_probes = 0;
  RC_ASSERT(live_probes <= m.options.permitted_calls_in_half_open);
  RC_ASSERT(live_probes == got.half_open_in_flight);
  if (m.listen) RC_ASSERT(s.state_changes == m.state_changes);
}

using BreakerCommand = rc::state::Command<Model, Sut>;

struct Acquire final : BreakerCommand {
  void apply(Model& m) const override { m.acquire(); }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    const bool want = m.acquire();
    Result<Permit> got = s.observe([&] { return s.breaker->try_acquire(); });
    RC_ASSERT(got.ok() == want);
    if (got.ok()) {
      s.held.push_back({std::move(got).value(), s.breaker->state(), s.generation});
    } else {
      RC_ASSERT(got.error().code == ErrorCode::kCircuitOpen);
      RC_ASSERT(got.error().message.find("'" + m.options.name + "'") != std::string::npos);
    }
    check_same(m, s);
  }
  void show(std::ostream& os) const override { os << "acquire"; }
};

struct Report final : BreakerCommand {
  std::size_t index;
  Outcome outcome;
  Duration took;  // the clock advances this much before the report

  explicit Report(const Model& m)
      : index(*rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(m.permits.size(), 1))),
        outcome(*rc::gen::element(Outcome::kSuccess, Outcome::kSuccess, Outcome::kUnavailable,
                                  Outcome::kUnavailable, Outcome::kBusy, Outcome::kLocalRefusal,
                                  Outcome::kCallerError, Outcome::kResultFailure)),
        took(milliseconds(*rc::gen::element(0, 0, 50, 300, 900, 1500))) {}

  void checkPreconditions(const Model& m) const override {
    RC_PRE(index < m.permits.size());
  }
  void apply(Model& m) const override {
    m.now += took;
    m.report(index, outcome);
  }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.clock.advance(took);
    Permit p = std::move(s.held.at(index).permit);
    s.held.erase(s.held.begin() + static_cast<std::ptrdiff_t>(index));
    s.observe([&] {
      CircuitBreaker& b = *s.breaker;
      switch (outcome) {
        case Outcome::kSuccess: b.on_success(std::move(p)); break;
        case Outcome::kUnavailable: b.on_error(std::move(p), unavailable("down")); break;
        case Outcome::kBusy: b.on_error(std::move(p), Error{ErrorCode::kBusy, "busy"}); break;
        case Outcome::kLocalRefusal:
          b.on_error(std::move(p), Error{ErrorCode::kCircuitOpen, "inner breaker"});
          break;
        case Outcome::kCallerError: b.on_error(std::move(p), invalid_argument("bad")); break;
        case Outcome::kResultFailure: b.on_result_failure(std::move(p)); break;
      }
    });
    RC_ASSERT(!p.valid());
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    os << "report #" << index << " " << outcome_name(outcome) << " after "
       << std::chrono::duration_cast<milliseconds>(took).count() << "ms";
  }
};

struct Abandon final : BreakerCommand {
  std::size_t index;
  explicit Abandon(const Model& m)
      : index(*rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(m.permits.size(), 1))) {}
  void checkPreconditions(const Model& m) const override {
    RC_PRE(index < m.permits.size());
  }
  void apply(Model& m) const override { m.abandon(index); }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.observe([&] {
      Permit dropped = std::move(s.held.at(index).permit);
      s.held.erase(s.held.begin() + static_cast<std::ptrdiff_t>(index));
    });  // `dropped` is destroyed unreported inside
    check_same(m, s);
  }
  void show(std::ostream& os) const override { os << "abandon #" << index; }
};

struct Advance final : BreakerCommand {
  Duration by = milliseconds(*rc::gen::element(1, 100, 500, 999, 1000, 1500, 3000, 10'000,
                                               3'600'000));
  void apply(Model& m) const override { m.now += by; }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    s.clock.advance(by);
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    os << "advance " << std::chrono::duration_cast<milliseconds>(by).count() << "ms";
  }
};

enum class Forced { kDisable, kForceOpen, kClose, kReset };

struct Force final : BreakerCommand {
  Forced what = *rc::gen::element(Forced::kDisable, Forced::kForceOpen, Forced::kClose,
                                  Forced::kReset);
  void apply(Model& m) const override {
    switch (what) {
      case Forced::kDisable:
        if (m.state != CircuitState::kDisabled) m.enter(CircuitState::kDisabled);
        break;
      case Forced::kForceOpen:
        if (m.state != CircuitState::kForcedOpen) m.enter(CircuitState::kForcedOpen);
        break;
      case Forced::kClose:
        if (m.state != CircuitState::kClosed) m.enter(CircuitState::kClosed);
        break;
      case Forced::kReset: m.reset(); break;
    }
  }
  void run(const Model& m0, Sut& s) const override {
    Model m = m0;
    apply(m);
    CircuitBreaker& b = *s.breaker;
    switch (what) {
      case Forced::kDisable: s.observe([&] { b.disable(); }); break;
      case Forced::kForceOpen: s.observe([&] { b.force_open(); }); break;
      case Forced::kClose: s.observe([&] { b.close(); }); break;
      case Forced::kReset: s.observe([&] { b.reset(); }, true); break;
    }
    check_same(m, s);
  }
  void show(std::ostream& os) const override {
    const char* names[] = {"disable", "force_open", "close", "reset"};
    os << names[static_cast<int>(what)];
  }
};

Model generate_model() {
  Model m;
  CircuitBreakerOptions& o = m.options;
  o.name = "prop";
  o.window_kind = *rc::gen::element(WindowKind::kCountBased, WindowKind::kTimeBased);
  o.window_size = *rc::gen::inRange<std::uint32_t>(1, 7);
  o.window_duration = milliseconds(*rc::gen::inRange(1, 6000));
  o.window_buckets = *rc::gen::inRange<std::uint32_t>(1, 5);
  o.minimum_calls = o.window_kind == WindowKind::kCountBased
                        ? *rc::gen::inRange<std::uint32_t>(1, o.window_size + 1)
                        : *rc::gen::inRange<std::uint32_t>(1, 7);
  // Round thresholds often, so rates land exactly on them (>= versus >).
  const auto percent = rc::gen::oneOf(rc::gen::element(25, 50, 75, 100), rc::gen::inRange(1, 101));
  m.failure_pct = *percent;
  m.slow_pct = *percent;
  o.failure_rate_threshold = m.failure_pct;
  o.slow_call_rate_threshold = m.slow_pct;
  // Slow-call detection off half the time, and no listener three times in four: those are the
  // configurations that take the inline fast path.
  o.slow_call_duration = *rc::gen::element(Duration::max(), Duration::max(),
                                           Duration(milliseconds(300)), Duration(seconds(1)));
  o.permitted_calls_in_half_open = *rc::gen::inRange<std::uint32_t>(1, 4);
  o.wait_in_open = milliseconds(*rc::gen::inRange(1, 4) * 1000);
  o.wait_multiplier = *rc::gen::element(1.0, 1.5, 2.0, 3.0);
  o.max_wait_in_open = o.wait_in_open * *rc::gen::inRange(1, 5);
  o.max_wait_in_half_open =
      *rc::gen::element(Duration::max(), Duration(seconds(2)), Duration(seconds(5)));
  m.listen = *rc::gen::element(false, false, false, true);
  m.wait = o.wait_in_open;
  return m;
}

RC_GTEST_PROP(CircuitBreakerModel, BehavesLikeTheModel, ()) {
  Model initial = generate_model();
  Sut sut;
  initial.now = sut.clock.now();
  CircuitBreakerOptions o = initial.options;
  if (initial.listen) {
    o.listener = [&sut](const CircuitEvent& e) {
      if (e.kind == CircuitEventKind::kStateChanged) ++sut.state_changes;
    };
  }
  sut.breaker.emplace(make(sut.clock, std::move(o)));
  // Sequences up to ~4x the default length: a breaker needs a few dozen steps to go round its
  // states more than once.
  const auto commands = *rc::gen::scale(
      4.0, rc::state::gen::commands(
               initial, rc::state::gen::execOneOfWithArgs<Acquire, Acquire, Acquire, Acquire,
                                                          Report, Report, Report, Report, Abandon,
                                                          Advance, Advance, Force>()));
  rc::state::runAll(commands, initial, sut);
  RC_CLASSIFY(sut.saw_half_open, "half_open");
  RC_CLASSIFY(sut.saw_reclose, "half_open->closed");
  RC_CLASSIFY(sut.saw_reopen, "half_open->open");
  sut.held.clear();
}

}  // namespace
}  // namespace faultline::resilience
