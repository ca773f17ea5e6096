// SimExecutor: the executor every coroutine of a World runs on.
//
// Asio hands its internal work to the executor a coroutine was spawned on: starting a spawned
// coroutine, completing one, unwinding the frames of one whose process crashed, a handler that
// one coroutine completes for another. SimExecutor queues that work in the World's ready queue
// (World::post), which the World runs, first in first out, before it takes the next event and
// before time moves on. Work is never run inline: execute() only queues, as post() does, so a
// handler never runs inside the code that completed it (blocking.never).
//
// Why not the io_context's own executor: the World must run the ready work between events, and
// with an io_context that means io_context::poll() after every event, whether or not anything was
// queued; polling an empty io_context cost a fifth of an event. The ready queue knows when it is
// empty. The io_context remains the execution_context (Asio's services live in it).
//
// Thread-safety: none; a World and its executors belong to the thread that runs the World.
// Include faultline/sim/world.h to use it: execute() and query() are defined there, after World.
#pragma once

#include <boost/asio/execution.hpp>
#include <boost/asio/execution_context.hpp>

#include <utility>

namespace faultline::sim {

class World;

class SimExecutor {
 public:
  explicit SimExecutor(World& world) noexcept : world_(&world) {}

  // Queues `f` to run after the current event, in the order work was queued.
  template <class F>
  void execute(F&& f) const;

  [[nodiscard]] boost::asio::execution_context& query(
      boost::asio::execution::context_t) const noexcept;
  [[nodiscard]] static constexpr boost::asio::execution::blocking_t query(
      boost::asio::execution::blocking_t) noexcept {
    return boost::asio::execution::blocking.never;
  }
  [[nodiscard]] SimExecutor require(boost::asio::execution::blocking_t::never_t) const noexcept {
    return *this;
  }

  [[nodiscard]] World& world() const noexcept { return *world_; }
  friend bool operator==(const SimExecutor& a, const SimExecutor& b) noexcept {
    return a.world_ == b.world_;
  }
  friend bool operator!=(const SimExecutor& a, const SimExecutor& b) noexcept {
    return a.world_ != b.world_;
  }

 private:
  World* world_;
};

}  // namespace faultline::sim
