// SocketWaiter: waits, on the Asio loop, until a libpq socket is readable or writable, or a
// deadline passes. Internal to the PostgreSQL backend.
//
// Contract
//   - A wait suspends the calling coroutine until the socket is ready for `want`, the deadline
//     passes, or cancel() is called, and says which. It never reads or writes the socket: libpq
//     does that (PQconnectPoll, PQflush, PQconsumeInput).
//   - Asio's reactor is edge-triggered and async_wait() does not look at the socket before
//     queueing, so readiness that arrived (and was reported to the reactor) before a wait began
//     would be slept through. Two ways around it:
//       wait_once(fd, ...)  registers a fresh dup() of `fd` for this one wait; epoll reports a
//                           fresh registration at once if it is ready already. Costs four
//                           system calls; follows libpq to a new socket when it moves on to the
//                           next address, so it is what connecting uses.
//       attach(fd), then wait(...)  one registration for the life of the session. With
//                           `check_first`, a non-blocking poll(2) looks at the socket before the
//                           wait is queued. It may be skipped only when nothing can be pending
//                           unseen: the first wait for the reply after sending a request (its
//                           bytes cannot have arrived before the request left, and any that
//                           arrive before the next epoll_wait are reported to the queued wait).
//   - The descriptors registered are dups owned here; libpq's own descriptor is never adopted,
//     so PQfinish() can close it at any time (even during a wait) without a double close.
//
// Thread-safety: one wait at a time, on the executor given at construction, which must be a
// single-threaded io_context: the argument above needs the wait to be queued before the reactor
// next runs, which another thread could do in between.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "faultline/task.h"

namespace faultline::backends::postgres::detail {

enum class Readiness : std::uint8_t { kRead, kWrite, kReadOrWrite };

enum class WaitOutcome : std::uint8_t {
  kReadable,   // (also when both became ready and reading was wanted)
  kWritable,
  kTimedOut,   // the deadline passed first
  kCancelled,  // cancel() was called
  kFailed,     // the descriptor could not be duplicated, registered or polled
};

class SocketWaiter {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit SocketWaiter(boost::asio::any_io_executor executor);
  SocketWaiter(const SocketWaiter&) = delete;
  SocketWaiter& operator=(const SocketWaiter&) = delete;
  ~SocketWaiter();

  // One wait on a fresh registration of `fd`.
  [[nodiscard]] Task<WaitOutcome> wait_once(int fd, Readiness want, Deadline deadline);

  // Registers `fd` for wait(); false if it cannot be duplicated or registered.
  [[nodiscard]] bool attach(int fd);
  // A wait on the attached socket (which must be attached).
  [[nodiscard]] Task<WaitOutcome> wait(Readiness want, Deadline deadline, bool check_first);
  // Drops the registration (closes the dup); also wakes a wait in progress.
  void detach();

  // Wakes the wait in progress, if any, with kCancelled.
  void cancel();

  struct State;

 private:
  Task<WaitOutcome> await_ready(const std::shared_ptr<State>& state, Readiness want,
                                Deadline deadline);
  static void watch(const std::shared_ptr<State>& state, bool read);

  boost::asio::any_io_executor executor_;
  std::shared_ptr<State> attached_;
  std::weak_ptr<State> current_;
};

}  // namespace faultline::backends::postgres::detail
