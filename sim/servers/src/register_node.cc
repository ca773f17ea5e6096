#include "faultline/sim/register_node.h"

#include "faultline/sim/rpc.h"

namespace faultline::sim {

Result<std::int64_t> RegisterNode::read(locks::FencingToken token) {
  if (fenced_) {
    if (auto admitted = fence_.admit(token); !admitted) return std::move(admitted).error();
  }
  return value_;
}

Result<void> RegisterNode::write(locks::FencingToken token, std::int64_t value,
                                 std::uint64_t write_id, ProcessId writer) {
  if (applied_ids_.contains(write_id)) return Ok{};  // a duplicate of an applied write
  if (fenced_) {
    if (auto admitted = fence_.admit(token); !admitted) return std::move(admitted).error();
  }
  applied_ids_.insert(write_id);
  log_.push_back(AppliedWrite{write_id, value, value_, token, writer, host_.world().now()});
  value_ = value;
  return Ok{};
}

Task<Result<std::int64_t>> RegisterClient::read(locks::FencingToken token, Duration timeout) {
  RegisterNode* node = &node_;
  auto op = [node, token]() { return node->read(token); };
  auto reply = call<std::int64_t>(network_, client_, node_.host(), timeout, std::move(op));
  co_return co_await std::move(reply);
}

Task<Result<void>> RegisterClient::write(locks::FencingToken token, std::int64_t value,
                                         std::uint64_t write_id, Duration timeout) {
  RegisterNode* node = &node_;
  const ProcessId writer = client_.id();
  auto op = [node, token, value, write_id, writer]() -> Result<Ok> {
    Result<void> r = node->write(token, value, write_id, writer);
    if (!r) return std::move(r).error();
    return Ok{};
  };
  auto reply = call<Ok>(network_, client_, node_.host(), timeout, std::move(op));
  Result<Ok> written = co_await std::move(reply);
  if (!written) co_return std::move(written).error();
  co_return Ok{};
}

}  // namespace faultline::sim
