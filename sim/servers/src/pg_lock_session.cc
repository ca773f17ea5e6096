#include "faultline/sim/pg_lock_session.h"

#include <memory>
#include <optional>

#include "faultline/sim/rpc.h"
#include "faultline/validate.h"

namespace faultline::sim {
namespace {

Error terminated() { return PgNode::session_terminated(); }

// A session is one TCP connection, which delivers each request once: a request the simulated
// network duplicates is applied once, and every copy answers with that one result.
template <class Op>
auto applied_once(Op op) {
  using R = decltype(op());
  auto result = std::make_shared<std::optional<R>>();
  return [op = std::move(op), result]() mutable {
    if (!result->has_value()) result->emplace(op());
    return **result;
  };
}

// The same for an op that answers later (rpc.h's Reply): a duplicated request is not applied
// again, and its copy never answers (the first copy's answer is the one the caller gets).
template <class Op>
auto applied_once_deferred(Op op) {
  auto ran = std::make_shared<bool>(false);
  return [op = std::move(op), ran](auto reply) mutable {
    if (*ran) return;
    *ran = true;
    op(std::move(reply));
  };
}

}  // namespace

template <class R>
Result<R> SimLockSession::observe(Result<R> result) {
  // A session that the server ended stays ended: there is no reconnecting to it.
  if (!result.ok() && result.error().code == ErrorCode::kUnavailable &&
      result.error().message.rfind("session terminated", 0) == 0) {
    lost_ = true;
  }
  return result;
}

Task<Result<bool>> SimLockSession::try_lock(locks::AdvisoryLockId id, Duration timeout) {
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  if (lost()) co_return terminated();  // after the arguments, as the real backend checks them
  PgNode* node = &node_;
  const SessionId session = session_;
  auto op = applied_once([node, session, id]() { return node->try_lock(session, id); });
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return observe(co_await std::move(reply));
}

Task<Result<void>> SimLockSession::lock(locks::AdvisoryLockId id, Duration timeout) {
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  if (lost()) co_return terminated();  // after the arguments, as the real backend checks them
  // As the real backend (PgLockSession::lock): the server waits for at most this long.
  const Duration wait = locks::server_lock_wait(timeout);
  PgNode* node = &node_;
  const SessionId session = session_;
  auto op = applied_once_deferred([node, session, id, wait](Reply<bool> reply) {
    node->lock(session, id, wait, std::move(reply));
  });
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  Result<bool> taken = observe(co_await std::move(reply));
  if (!taken) co_return std::move(taken).error();
  co_return Ok{};
}

Task<Result<bool>> SimLockSession::unlock(locks::AdvisoryLockId id, Duration timeout) {
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  if (lost()) co_return terminated();  // after the arguments, as the real backend checks them
  PgNode* node = &node_;
  const SessionId session = session_;
  auto op = applied_once([node, session, id]() { return node->unlock(session, id); });
  auto reply = call<bool>(network_, client_, node_.host(), timeout, std::move(op));
  co_return observe(co_await std::move(reply));
}

Task<Result<locks::FencingToken>> SimLockSession::next_fencing_token(std::string_view key,
                                                                     Duration timeout) {
  if (auto r = locks::validate_request(key, std::nullopt, std::nullopt, timeout); !r) {
    co_return std::move(r).error();
  }
  if (lost()) co_return terminated();
  PgNode* node = &node_;
  const SessionId session = session_;
  auto op = applied_once(
      [node, session, key = std::string(key)]() { return node->next_token(session, key); });
  auto reply = call<locks::FencingToken>(network_, client_, node_.host(), timeout, std::move(op));
  co_return observe(co_await std::move(reply));
}

namespace {

// Closing a connection sends a FIN that the client's kernel retransmits until it is acknowledged:
// with exponential backoff from a 200ms RTO, capped at 120s, 15 times (Linux's tcp_retries2),
// about 15 minutes in all. So a lost message or a partition that heals within that time still
// ends the session on the server. Runs on its own after close() returns, as the kernel does after
// close(2); a crash of the client ends it (and the crash itself drops the connection).
Task<void> retransmit_close(Network& network, Process& client, PgNode& node, SessionId session) {
  constexpr int kRetransmissions = 15;
  constexpr Duration kRtoMax = std::chrono::seconds(120);
  Duration rto = std::chrono::milliseconds(200);
  PgNode* target = &node;
  for (int attempt = 0; attempt < kRetransmissions; ++attempt) {
    auto op = [target, session]() {
      target->close_session(session);
      return Result<bool>(true);
    };
    auto reply = call<bool>(network, client, node.host(), rto, std::move(op));
    Result<bool> closed = co_await std::move(reply);
    // Acknowledged, or refused by a server that is down (which ended every session).
    if (closed.ok() || !closed.error().may_have_happened()) co_return;
    rto = std::min(rto * 2, kRtoMax);
  }
}

}  // namespace

Task<void> SimLockSession::close(Duration /*timeout*/) {
  if (lost()) co_return;
  lost_ = true;
  client_.spawn(retransmit_close(network_, client_, node_, session_));
  co_return;
}

Task<Result<std::unique_ptr<locks::LockSession>>> SimSessionLockStore::open_session(
    Duration timeout) {
  if (auto r = faultline::validate_timeout(timeout); !r) co_return std::move(r).error();
  PgNode* node = &node_;
  const ProcessId client = client_.id();
  auto op = applied_once([node, client]() { return Result<SessionId>(node->open_session(client)); });
  auto reply = call<SessionId>(network_, client_, node_.host(), timeout, std::move(op));
  Result<SessionId> session = co_await std::move(reply);
  if (!session) co_return std::move(session).error();
  co_return std::unique_ptr<locks::LockSession>(
      std::make_unique<SimLockSession>(network_, client_, node_, *session));
}

}  // namespace faultline::sim
