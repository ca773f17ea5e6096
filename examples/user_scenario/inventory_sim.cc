#include "inventory_sim.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "faultline/sim/redis_strings.h"
#include "faultline/sim/rpc.h"

namespace inventory {
namespace {

sim::OpStatus status_of(const faultline::Error& error) {
  return error.may_have_happened() ? sim::OpStatus::kUnknown : sim::OpStatus::kFail;
}

std::string text_of(const std::string& value) { return value; }
std::string text_of(std::int64_t value) { return std::to_string(value); }
std::string text_of(bool value) { return value ? "done" : "not the owner"; }
std::string text_of(const faultline::locks::AcquireReply& reply) {
  return reply.acquired ? "token " + std::to_string(reply.token) : "held by another";
}

// Records `call` as operation `name` of `self`: invoked now, completed with its outcome.
template <class T>
Task<Result<T>> recorded(sim::History& history, sim::Process& self, std::string name,
                         std::string input, Task<Result<T>> call) {
  const std::size_t op = history.invoke(self.id(), std::move(name), std::move(input));
  Result<T> result = co_await std::move(call);
  if (!result) {
    history.complete(op, status_of(result.error()), result.error().to_string());
  } else if constexpr (std::is_void_v<T>) {
    history.complete(op, sim::OpStatus::kOk, "OK");
  } else {
    history.complete(op, sim::OpStatus::kOk, text_of(result.value()));
  }
  co_return result;
}

std::string describe(const Charge& charge) {
  return fmt::format("{} for {} {}.{:02} key={}", charge.reservation, charge.customer,
                     charge.amount_cents / 100, charge.amount_cents % 100,
                     charge.idempotency_key.empty() ? "none" : charge.idempotency_key);
}

}  // namespace

std::string stock_key(const std::string& sku) { return "stock:" + sku; }

PaymentsServer::PaymentsServer(sim::Network& network, sim::Process& host, sim::History& history)
    : network_(network), host_(host), history_(history) {}

Result<std::string> PaymentsServer::handle(const Charge& charge) {
  if (network_.outage(host_.id())) return faultline::unavailable("503: payments in an outage");
  if (!charge.idempotency_key.empty()) {
    if (auto seen = by_key_.find(charge.idempotency_key); seen != by_key_.end()) {
      history_.note(host_.id(), fmt::format("payments: {} seen before, already {}",
                                            charge.idempotency_key, seen->second));
      return seen->second;
    }
  }
  std::string id = fmt::format("ch-{}", ledger_.size() + 1);
  const std::size_t op = history_.invoke(host_.id(), "charge-applied", describe(charge));
  history_.complete(op, sim::OpStatus::kOk, id);
  if (!charge.idempotency_key.empty()) by_key_.emplace(charge.idempotency_key, id);
  ledger_.push_back(Entry{id, charge, host_.world().now(), op});
  return id;
}

Task<Result<std::string>> SimPayments::charge(Charge charge, Duration timeout) {
  PaymentsServer* server = &server_;
  std::string input = describe(charge);
  auto op = [server, charge = std::move(charge)] { return server->handle(charge); };
  auto call = sim::call<std::string>(network_, self_, server->host(), timeout, op);
  return recorded<std::string>(history_, self_, "charge", std::move(input), std::move(call));
}

Task<Result<std::int64_t>> SimStock::read(std::string sku, Duration timeout) {
  sim::RedisNode* node = &node_;
  auto op = [node, key = stock_key(sku)]() -> Result<std::int64_t> {
    const std::optional<std::string> value = sim::RedisStrings(*node).get(key);
    return value ? std::stoll(*value) : 0;
  };
  auto call = sim::call<std::int64_t>(network_, self_, node->host(), timeout, op);
  return recorded<std::int64_t>(history_, self_, "stock-read", sku, std::move(call));
}

Task<Result<void>> SimStock::write(std::string sku, std::int64_t units, Duration timeout) {
  sim::RedisNode* node = &node_;
  auto op = [node, key = stock_key(sku), units]() -> Result<void> {
    sim::RedisStrings(*node).set(key, std::to_string(units));
    return faultline::Ok{};
  };
  auto call = sim::call<void>(network_, self_, node->host(), timeout, op);
  return recorded<void>(history_, self_, "stock-write", fmt::format("{} := {}", sku, units),
                        std::move(call));
}

Task<Result<faultline::locks::AcquireReply>> RecordingLockStore::acquire(std::string_view key,
                                                                         std::string_view owner,
                                                                         Duration ttl,
                                                                         Duration timeout) {
  auto call = inner_.acquire(key, owner, ttl, timeout);
  return recorded<faultline::locks::AcquireReply>(history_, self_, "lock-acquire", std::string(key),
                                                  std::move(call));
}

Task<Result<bool>> RecordingLockStore::release(std::string_view key, std::string_view owner,
                                               Duration timeout) {
  auto call = inner_.release(key, owner, timeout);
  return recorded<bool>(history_, self_, "lock-release", std::string(key), std::move(call));
}

}  // namespace inventory
