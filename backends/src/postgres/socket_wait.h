// SocketWaiter: waits, on the Asio loop, until a libpq socket is readable or writable, or a
// deadline passes; and watches an idle session's socket for input. Internal to the PostgreSQL
// backend.
//
// Contract
//   - It never reads or writes the socket: libpq does that (PQconnectPoll, PQflush,
//     PQconsumeInput). It only registers a dup() of libpq's descriptor with the reactor; that
//     dup is owned here and libpq's own descriptor is never adopted, so PQfinish() can close it
//     at any time (even during a wait) without a double close.
//   - attach(fd) registers the session's socket once and starts the read watch: one wait for
//     input kept queued in the reactor whenever no input is known to be pending. When input
//     arrives, the watch sets input_pending() (and wakes a wait that wants reading) and stops.
//     The owner reads with libpq, then calls input_consumed(), which clears input_pending() and
//     queues the watch again. So at every moment either input_pending() is true or the watch is
//     queued, and the owner can ask whether input has arrived without a system call, as far as
//     the loop has polled the reactor since.
//       Why queueing the watch again cannot miss input that arrived just before: Asio's epoll
//     reactor is edge-triggered, but a wait queued on a descriptor with no other wait of its
//     kind re-registers it (EPOLL_CTL_MOD, boost/asio/detail/impl/epoll_reactor.ipp start_op),
//     and epoll checks readiness again on every MOD. input_pending() may be a false alarm (the
//     input was read meanwhile); reading then finds nothing, which is harmless.
//   - wait(want, deadline) suspends the calling coroutine until the socket is ready for `want`,
//     the deadline passes, or cancel() is called, and says which. A wait that wants reading
//     returns kReadable at once while input_pending(). Waits do not arm a timer each: one timer
//     per SocketWaiter is armed for the earliest deadline it was asked for and, when it fires
//     early (the wait it was armed for finished), re-armed for the current wait's deadline, so
//     with uniform timeouts it fires about once per timeout rather than being set and cancelled
//     per wait.
//   - wait_once(fd, ...) is attach(fd), wait, detach(): a fresh registration for one wait, for
//     connecting, when libpq may move on to a new socket between waits.
//   - A suspended wait is resumed directly from the reactor's or the timer's completion, and
//     through a post from cancel()/detach(), never inside the caller of those.
//
// Thread-safety: one wait at a time, on the executor given at construction, which must be a
// single-threaded io_context.
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
  kCancelled,  // cancel() or detach() was called
  kFailed,     // nothing attached, or the descriptor could not be duplicated or registered
};

class SocketWaiter {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  explicit SocketWaiter(boost::asio::any_io_executor executor);
  SocketWaiter(const SocketWaiter&) = delete;
  SocketWaiter& operator=(const SocketWaiter&) = delete;
  ~SocketWaiter();

  // One wait on a fresh registration of `fd` (replaces any attached one, and detaches after).
  [[nodiscard]] Task<WaitOutcome> wait_once(int fd, Readiness want, Deadline deadline);

  // Registers `fd` (detaching any earlier one) and starts the read watch; false if it cannot be
  // duplicated or registered.
  [[nodiscard]] bool attach(int fd);
  // A wait on the attached socket.
  [[nodiscard]] Task<WaitOutcome> wait(Readiness want, Deadline deadline);
  // True when the read watch has seen input arrive since the last input_consumed() (or the
  // watch failed): reading may find something. False when nothing is attached.
  [[nodiscard]] bool input_pending() const noexcept;
  // The owner has read what the socket had: watch for the next input.
  void input_consumed();
  // Drops the registration (closes the dup); wakes a wait in progress with kCancelled.
  void detach();

  // Wakes the wait in progress, if any, with kCancelled.
  void cancel();

  struct State;

 private:
  boost::asio::any_io_executor executor_;
  std::shared_ptr<State> attached_;
};

}  // namespace faultline::backends::postgres::detail
