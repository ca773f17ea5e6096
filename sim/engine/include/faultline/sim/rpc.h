// call(): one request/reply round trip between simulated processes, with a deadline.
//
// The request travels caller -> server over the Network; on arrival `op` runs on the server as
// one atomic step (the simulated equivalent of a Lua script or a statement); its result travels
// back. The caller's deadline runs on the caller's own clock. What the caller learns:
//   - the reply, if it arrives before the deadline;
//   - kUnavailable ("connection refused") if the server was down when the request arrived:
//     the operation certainly did not happen;
//   - kOutcomeUnknown at the deadline otherwise: the request or the reply may have been lost or
//     delayed, so the operation may or may not have happened. Exactly the case patterns must
//     handle.
// A duplicated request runs `op` twice (the first reply wins); a reply arriving after the
// deadline is ignored. If the caller crashes, nothing of the call ever reaches it again.
// A server in a timeout outage (Network::begin_outage) runs `op` (models refuse work while
// Network::outage() says so) but its reply is never sent.
//
// A server that answers later (a statement that waits for a lock) takes an op of the form
// `void(Reply<R>)` instead: it keeps the Reply and invokes it when it has the answer, from any of
// the server's own steps or events; the answer then travels back like any reply. A Reply dropped
// unsent sends nothing (the caller meets its deadline). A Reply holds the caller's coroutine:
// drop every one kept before the World is destroyed. A deferred answer is sent whatever
// became of the server meanwhile (a server that ends a session as it crashes tells its client,
// as a connection reset would), except during a timeout outage.
//
// call() returns a Call, an Asio asynchronous operation: `co_await` it (an rvalue) in a Task;
// it is started then, not before. It converts to a Task<Result<R>> for code that needs one; no
// other completion token is supported (the operation refers to the Call, which a deferring
// token would outlive).
// One call takes one block from the World's pool (the op, the caller's handler, the deadline's id
// and the first reply's result), shared by the request, its replies and the deadline, whose
// messages carry a counted reference to it; only a duplicated request's second reply carries its
// own result, and a deferred call's Reply allocates its callable. A duplicated request runs the
// same op object again: an op that keeps state across runs sees both.
#pragma once

#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/result.h"
#include "faultline/sim/block_pool.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::sim {

// The server's handle on a call it answers later (see the contract above). Move-only, so that
// one Reply answers once: its first invocation sends the answer, later ones do nothing. Keeps the
// call's shared block alive until then.
template <class R>
class Reply {
 public:
  explicit Reply(std::function<void(Result<R>)> send) : send_(std::move(send)) {}
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  void operator()(Result<R> result) {
    if (!send_) return;
    std::function<void(Result<R>)> send = std::move(send_);
    send_ = nullptr;
    send(std::move(result));
  }

 private:
  std::function<void(Result<R>)> send_;
};

namespace detail {

// What the request, its replies and the deadline of one call share. Counted by hand: the World
// is single-threaded, and a shared_ptr would be a second allocation.
template <class R, class Op, class Handler>
class CallState {
 public:
  // A counted reference; copyable, because a duplicated message runs a copy.
  class Ref {
   public:
    explicit Ref(CallState* state) noexcept : state_(state) { ++state_->refs_; }
    Ref(const Ref& other) noexcept : Ref(other.state_) {}
    Ref(Ref&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    Ref& operator=(const Ref&) = delete;
    Ref& operator=(Ref&&) = delete;
    ~Ref() {
      if (state_ != nullptr && --state_->refs_ == 0) destroy(state_);
    }
    CallState* operator->() const noexcept { return state_; }

   private:
    CallState* state_;
  };

  // A new state in a block of the World's pool (block_pool.h), referred to by the Ref.
  static Ref create(Op&& op, Handler&& handler, Network& network, Process& server) {
    static_assert(alignof(CallState) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                  "the pool's blocks have operator new's default alignment");
    BlockPool& pool = server.world().blocks();
    void* block = pool.allocate(sizeof(CallState));
    try {
      return Ref(::new (block) CallState(std::move(op), std::move(handler), network, server));
    } catch (...) {
      pool.deallocate(block, sizeof(CallState));
      throw;
    }
  }

  // Schedules the deadline, then sends the request (the order fixes the events' sequence).
  static void start(Ref self, Process& caller, Duration timeout) {
    World& world = caller.world();
    const ProcessId caller_id = caller.id();
    const std::uint32_t caller_generation = caller.generation();
    self->deadline_ = world.schedule(
        add_saturating(world.now(), caller.clock().to_true(timeout)), caller_id, caller_generation,
        [self, timeout]() {
          self->complete(outcome_unknown("no reply within " + duration_text(timeout)));
        });
    Network& network = self->network_;
    const ProcessId server_id = self->server_.id();
    const std::uint32_t server_generation = self->server_.generation();
    network.send(caller_id, server_id, server_generation,
                 [self = std::move(self), caller_id, caller_generation]() {
                   self->serve(self, caller_id, caller_generation);
                 });
  }

 private:
  CallState(Op op, Handler handler, Network& network, Process& server)
      : op_(std::move(op)), handler_(std::move(handler)), network_(network), server_(server) {}

  // The server's World is the one whose pool the block came from (create()).
  static void destroy(CallState* state) noexcept {
    BlockPool& pool = state->server_.world().blocks();
    state->~CallState();
    pool.deallocate(state, sizeof(CallState));
  }

  // On the server: runs the op and sends its result back.
  void serve(const Ref& self, ProcessId caller_id, std::uint32_t caller_generation) {
    // A hung service (a timeout outage) reads the request and never answers: the caller meets
    // its deadline.
    const bool hung = network_.outage(server_.id()) == Network::OutageMode::kTimeout;
    if (!server_.up()) {
      if (!hung) answer(self, unavailable("connection refused by " + server_.name()), caller_id,
                        caller_generation);
      return;
    }
    if constexpr (std::is_invocable_v<Op&, Reply<R>>) {
      static_assert(std::is_void_v<std::invoke_result_t<Op&, Reply<R>>>,
                    "an op that takes a Reply answers through it and returns nothing");
      op_(Reply<R>([self, caller_id, caller_generation](Result<R> result) {
        if (self->network_.outage(self->server_.id()) == Network::OutageMode::kTimeout) return;
        self->answer(self, std::move(result), caller_id, caller_generation);
      }));
    } else {
      Result<R> result = op_();
      if (!hung) answer(self, std::move(result), caller_id, caller_generation);
    }
  }

  // Sends `result` from the server back to the caller.
  void answer(const Ref& self, Result<R>&& result, ProcessId caller_id,
              std::uint32_t caller_generation) {
    if (!first_reply_) {
      // The reply's result waits here, so that the message is small enough to be stored in
      // its event (a Result is larger than an event's inline bytes).
      first_reply_.emplace(std::move(result));
      network_.send(server_.id(), caller_id, caller_generation,
                    [self]() { self->complete(std::move(*self->first_reply_)); });
      return;
    }
    // A duplicated request's second reply (rare) carries its own result.
    network_.send(
        server_.id(), caller_id, caller_generation,
        [self, result = std::move(result)]() mutable { self->complete(std::move(result)); });
  }

  // On the caller: the first of the replies and the deadline wins. `result` may refer to
  // first_reply_, which is read only by the winner.
  void complete(Result<R>&& result) {
    if (!handler_) return;
    server_.world().cancel(deadline_);  // a deadline met is no event
    Handler handler = std::move(*handler_);
    handler_.reset();
    std::move(handler)(std::move(result));
  }

  std::uint32_t refs_ = 0;
  Op op_;
  std::optional<Handler> handler_;
  std::optional<Result<R>> first_reply_;  // the first reply sent, until it arrives
  Network& network_;
  Process& server_;
  World::EventId deadline_{};
};

}  // namespace detail

// One round trip, not yet started: see the contract above. `op` is a copyable callable run on
// the server: `Result<R>()`, or `void(Reply<R>)` for an answer sent later. Holds references to
// the network and both processes, which must outlive the call: the server's Process until the
// last message or Reply of the call is gone (its World's pool takes the call's block back).
template <class R, class Op>
class [[nodiscard]] Call {
 public:
  Call(Network& network, Process& caller, Process& server, Duration timeout, Op op)
      : network_(&network),
        caller_(&caller),
        server_(&server),
        timeout_(timeout),
        op_(std::move(op)) {}

  // The asynchronous operation Asio's co_await starts (signature void(Result<R>)); once.
  template <boost::asio::completion_token_for<void(Result<R>)> CompletionToken>
  auto operator()(CompletionToken&& token) && {
    return boost::asio::async_initiate<CompletionToken, void(Result<R>)>(
        [](auto handler, Call* self) { self->start(std::move(handler)); }, token, this);
  }

  // The same call as a Task of its own.
  operator Task<Result<R>>() && { return as_task(std::move(*this)); }  // NOLINT: by design

 private:
  static Task<Result<R>> as_task(Call call) { co_return co_await std::move(call); }

  template <class Handler>
  void start(Handler handler) {
    using State = detail::CallState<R, Op, Handler>;
    State::start(State::create(std::move(op_), std::move(handler), *network_, *server_), *caller_,
                 timeout_);
  }

  Network* network_;
  Process* caller_;
  Process* server_;
  Duration timeout_;
  Op op_;
};

template <class R, class Op>
Call<R, Op> call(Network& network, Process& caller, Process& server, Duration timeout, Op op) {
  return Call<R, Op>(network, caller, server, timeout, std::move(op));
}

}  // namespace faultline::sim
