// block_on: run one coroutine to completion on an io_context from ordinary (non-coroutine) code.
//
// Contract
//   - Spawns `task` on `io` and runs the io_context's handlers on the calling thread until the
//     task has finished, then returns its value (or rethrows its exception). Other work on `io`
//     (for example a Redis connection's reader) keeps running meanwhile and stays pending
//     afterwards; it does not keep block_on from returning.
//   - If the io_context runs out of work before the task finishes (the task waits on something
//     that can never happen), block_on throws std::logic_error instead of hanging.
//   - Meant for main(), tests and benchmarks: the calling thread must not be running `io`
//     already, and nobody may stop `io` while block_on runs (the task refers to block_on's
//     locals until it finishes).
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/task.h"

namespace faultline::backends {
namespace detail {

// Stores the task's value where block_on can see it. co_spawn itself would require T to be
// default-constructible (it passes T() with an exception), which Result<T> is not.
template <class T>
Task<void> store_result(Task<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}

inline Task<void> store_result(Task<void> task, std::optional<bool>* out) {
  co_await std::move(task);
  out->emplace(true);
}

}  // namespace detail

template <class T>
T block_on(boost::asio::io_context& io, Task<T> task) {
  using Slot = std::conditional_t<std::is_void_v<T>, bool, T>;
  std::optional<Slot> result;
  std::exception_ptr failure;
  bool done = false;
  boost::asio::co_spawn(io, detail::store_result(std::move(task), &result),
                        [&](std::exception_ptr e) {
                          failure = std::move(e);
                          done = true;
                        });
  if (io.stopped()) io.restart();
  while (!done) {
    if (io.run_one() == 0) {
      throw std::logic_error("block_on: the io_context ran out of work before the task finished");
    }
  }
  if (failure) std::rethrow_exception(failure);
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace faultline::backends
