// faultline::resilience::CircuitBreaker and its sliding windows.
//
// Most tests drive the breaker by hand on a ManualClock (a faultline::Clock whose reading only
// moves when the test says so, and which counts its reads, so the "no clock read on the hot path"
// promise is checked too). execute() is tested inside a sim::World, on a process's virtual clock.
// The state-machine property at the end checks the breaker against a naive model (deques of
// outcomes, probe slots derived from the permits held) under generated sequences of acquires,
// outcomes, clock advances and forced transitions.
//
// The helpers shared by sliding_window_test.cc, state_transitions_test.cc, classification_test.cc, options_test.cc, model_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>
#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "faultline/resilience/circuit_breaker.h"
#include "faultline/resilience/sliding_window.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_run.h"

namespace faultline::resilience {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class ManualClock final : public Clock {
 public:
  [[nodiscard]] TimePoint now() const override {
    ++reads;
    return now_;
  }
  void advance(Duration d) { now_ += d; }

  mutable int reads = 0;

 protected:
  void start_sleep(Duration duration, SleepHandler wake) override {
    now_ += std::max(duration, Duration::zero());
    std::move(wake).post();
  }

 private:
  TimePoint now_{seconds(1000) + milliseconds(123)};  // not aligned on any bucket width
};

inline CircuitBreakerOptions small_count_options() {
  CircuitBreakerOptions o;
  o.name = "payments";
  o.window_size = 4;
  o.minimum_calls = 4;
  o.failure_rate_threshold = 50;
  o.permitted_calls_in_half_open = 2;
  o.wait_in_open = seconds(10);
  return o;
}

inline CircuitBreaker make(Clock& clock, CircuitBreakerOptions options) {
  Result<CircuitBreaker> b = CircuitBreaker::create(clock, std::move(options));
  if (!b.ok()) throw std::runtime_error(b.error().to_string());
  return std::move(b).value();
}

inline Permit acquire(CircuitBreaker& b) {
  Result<Permit> p = b.try_acquire();
  if (!p.ok()) throw std::runtime_error("refused: " + p.error().to_string());
  return std::move(p).value();
}

inline void succeed(CircuitBreaker& b) { b.on_success(acquire(b)); }
inline void fail(CircuitBreaker& b) { b.on_error(acquire(b), unavailable("down")); }

// Trips a small_count_options() breaker: four failures.
inline void trip(CircuitBreaker& b) {
  for (int i = 0; i < 4; ++i) fail(b);
  ASSERT_EQ(b.state(), CircuitState::kOpen);
}

struct EventLog {
  std::vector<CircuitEvent> events;  // string_view/pointer fields are dangling: kinds/states only
  CircuitListener listener() {
    return [this](const CircuitEvent& e) { events.push_back(e); };
  }
  [[nodiscard]] std::vector<CircuitEventKind> kinds() const {
    std::vector<CircuitEventKind> out;
    for (const auto& e : events) out.push_back(e.kind);
    return out;
  }
  [[nodiscard]] std::vector<std::pair<CircuitState, CircuitState>> changes() const {
    std::vector<std::pair<CircuitState, CircuitState>> out;
    for (const auto& e : events) {
      if (e.kind == CircuitEventKind::kStateChanged) out.emplace_back(e.from, e.to);
    }
    return out;
  }
};

}  // namespace
}  // namespace faultline::resilience
