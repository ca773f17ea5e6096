// gather(): run coroutines concurrently on the current executor and wait for all of them.
//
// Returns each task's result in the order given. Waits for every task, never just the first
// ones: the tasks may refer to the caller's locals, which must outlive them. Tasks that cannot
// hang (every remote call has a deadline) keep gather() bounded. An exception escaping a task
// is rethrown once all have finished.
//
// Works on any executor, the simulator's included: the tasks start in the order given, when
// the caller suspends.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cassert>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "faultline/task.h"

namespace faultline {

namespace detail {

template <class T>
struct GatherState {
  std::vector<std::optional<T>> results;
  std::size_t remaining = 0;
  std::exception_ptr failure;
  std::function<void()> resume;  // set when the caller suspends; called by the last task
  // Set by the last task just before it resumes the caller, who takes it over: until then only
  // the tasks own the state. (Were the suspended caller to own it too, the state would own the
  // caller's frame through `resume` and the frame the state: a cycle that leaks whenever the
  // caller is abandoned, as a crashed simulated process is.)
  std::shared_ptr<GatherState> keep_alive;
};

template <class T>
Task<void> gather_one(Task<T> task, std::shared_ptr<GatherState<T>> state, std::size_t i) {
  state->results[i].emplace(co_await std::move(task));
}

}  // namespace detail

template <class T>
Task<std::vector<T>> gather(std::vector<Task<T>> tasks) {
  if (tasks.empty()) co_return std::vector<T>{};
  auto state = std::make_shared<detail::GatherState<T>>();
  state->results.resize(tasks.size());
  state->remaining = tasks.size();
  auto executor = co_await boost::asio::this_coro::executor;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    boost::asio::co_spawn(executor, detail::gather_one(std::move(tasks[i]), state, i),
                          [state](std::exception_ptr error) {
                            if (error && !state->failure) state->failure = error;
                            if (--state->remaining > 0) return;
                            state->keep_alive = state;
                            if (state->resume) {
                              std::function<void()> resume = std::move(state->resume);
                              resume();
                            }
                          });
  }
  // From here the tasks own the state (see keep_alive). Only a raw pointer crosses into the
  // initiation (see sim/rpc.h on g++ 12).
  detail::GatherState<T>* raw = state.get();
  state.reset();
  co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
      [raw](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        raw->resume = [shared]() { std::move (*shared)(); };
        if (raw->remaining == 0) {  // every task already finished
          std::function<void()> resume = std::move(raw->resume);
          resume();
        }
      },
      boost::asio::use_awaitable);
  state = std::move(raw->keep_alive);
  assert(state != nullptr);
  if (state->failure) std::rethrow_exception(state->failure);
  std::vector<T> out;
  out.reserve(state->results.size());
  for (auto& r : state->results) out.push_back(std::move(*r));
  co_return out;
}

}  // namespace faultline
