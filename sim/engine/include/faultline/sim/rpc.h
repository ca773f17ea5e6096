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
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "faultline/duration_text.h"
#include "faultline/result.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"
#include "faultline/task.h"

namespace faultline::sim {

// `op` is a copyable callable `Result<R>()` run on the server.
template <class R, class Op>
Task<Result<R>> call(Network& network, Process& caller, Process& server, Duration timeout,
                     Op op) {
  // The initiation below captures only trivially destructible values and takes `op` through a
  // raw pointer it adopts: g++ 12 mishandles by-value arguments with non-trivial destructors in
  // asio's initiating coroutine (they get destroyed twice).
  auto* owned_op = new Op(std::move(op));
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(Result<R>)>(
      [&network, &caller, &server, timeout, owned_op](auto handler) {
        using Handler = decltype(handler);
        Op op = std::move(*owned_op);
        delete owned_op;
        struct Pending {
          World* world;
          World::EventId deadline;
          std::optional<Handler> handler;
          void complete(Result<R> result) {
            if (!handler) return;  // the deadline or an earlier reply won
            world->cancel(deadline);  // a deadline met is no event
            Handler h = std::move(*handler);
            handler.reset();
            std::move(h)(std::move(result));
          }
        };
        World& world = caller.world();
        auto pending = std::make_shared<Pending>();
        pending->world = &world;
        pending->handler.emplace(std::move(handler));
        const ProcessId caller_id = caller.id();
        const std::uint32_t caller_generation = caller.generation();

        pending->deadline = world.schedule(
            add_saturating(world.now(), caller.clock().to_true(timeout)), caller_id,
            caller_generation, [pending, timeout]() {
              pending->complete(outcome_unknown("no reply within " + duration_text(timeout)));
            });

        network.send(caller_id, server.id(), server.generation(),
                     [pending, op = std::move(op), &network, &server, caller_id,
                      caller_generation]() mutable {
                       // A hung service (a timeout outage) reads the request and never
                       // answers: the caller meets its deadline.
                       const bool hung = network.outage(server.id()) ==
                                         Network::OutageMode::kTimeout;
                       Result<R> result =
                           server.up() ? op() : Result<R>(unavailable("connection refused by " +
                                                                      server.name()));
                       if (hung) return;
                       network.send(server.id(), caller_id, caller_generation,
                                    [pending, result = std::move(result)]() mutable {
                                      pending->complete(std::move(result));
                                    });
                     });
      },
      boost::asio::use_awaitable);
}

}  // namespace faultline::sim
