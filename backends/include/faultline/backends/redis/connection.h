// Connection: one pipelined TCP connection to a Redis server, driven by coroutines on Asio.
//
// Contract
//   - command(argv, timeout) sends one command and returns its reply, or an Error that says
//     whether the command may have run:
//       kInvalidArgument  empty argv or a request over max_request_bytes; nothing sent.
//       kUnavailable      certainly not applied: connect refused or timed out, AUTH rejected,
//                         max_in_flight reached, the deadline passed before the request was
//                         written, or the server answered with an error reply (server_error()).
//       kOutcomeUnknown   the request was (or was being) written and no reply came before the
//                         deadline, or the connection broke while it was outstanding; or a Lua
//                         script failed half way.
//       kProtocol         the server sent bytes that are not RESP (the connection is dropped).
//     Every call finishes by its deadline (`timeout` from the call), however the server behaves.
//   - Pipelining: any number of coroutines (up to max_in_flight) may call command() at once.
//     Requests are written in call order, batched into as few writes as possible, and replies are
//     matched to requests first-in first-out by a single reader. A call that times out leaves its
//     request in the pipeline; its reply is read and discarded when it arrives, so later replies
//     stay matched.
//   - Reconnect: the connection is made by the first call, and again by the first call after it
//     broke. A break (EOF, reset, CLIENT KILL, a protocol error) fails every outstanding call at
//     once: kOutcomeUnknown if its request was written, kUnavailable if not. There is no
//     automatic retry: whether a retry is safe is the caller's decision.
//   - Server state tied to a connection (SELECT, CLIENT SETNAME, MULTI, WATCH, subscriptions,
//     blocking commands) is lost on reconnect; do not rely on it across calls that may fail.
//
// Ownership: create() returns a movable handle. Destroying (or close()-ing) it fails outstanding
// calls as above and closes the socket; coroutines still suspended in command() keep the shared
// internals alive until they resume, so destroying a Connection under a pending call is safe.
// The io_context must outlive every call.
// Thread-safety: none. Use a Connection, and await its calls, only on the thread running its
// io_context (a single-threaded io_context, or a strand that covers every call).
#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/redis/connection_options.h"
#include "faultline/backends/redis/reply.h"
#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::backends::redis {

class Connection {
 public:
  // Validates the options (kInvalidArgument naming the field); does not connect yet.
  [[nodiscard]] static Result<Connection> create(boost::asio::io_context& io,
                                                 ConnectionOptions options);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Sends argv (command name first) and awaits the reply, for at most `timeout` (> 0).
  // The arguments are encoded before this function returns, so they need not outlive the task.
  [[nodiscard]] Task<Result<RedisReply>> command(std::span<const std::string_view> argv,
                                                 Duration timeout);
  [[nodiscard]] Task<Result<RedisReply>> command(std::span<const std::string> argv,
                                                 Duration timeout);
  [[nodiscard]] Task<Result<RedisReply>> command(std::initializer_list<std::string_view> argv,
                                                 Duration timeout);

  // Drops the current TCP connection now, failing outstanding calls; the next call reconnects.
  void close();

  // Requests queued or awaiting their reply, abandoned ones included.
  [[nodiscard]] std::size_t in_flight() const noexcept;
  [[nodiscard]] const ConnectionOptions& options() const noexcept;

 private:
  class Impl;
  explicit Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<Impl> impl_;
};

}  // namespace faultline::backends::redis
