#include "faultline/backends/redis/idempotency_replies.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/backends/redis/idempotency_scripts.h"

namespace faultline::backends::redis {
namespace {

using idempotency::BeginOutcome;
using idempotency::BeginReply;

// No client sets a lease longer than kMaxLease. The server's clock may step back and report
// more left; that is read as kMaxLease (and never converted past what a Duration holds).
constexpr std::int64_t kMaxLeaseMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(idempotency::kMaxLease).count();

Error malformed(std::string_view operation, std::string what) {
  return Error{ErrorCode::kProtocol, std::string(operation) + ": unexpected reply: " + what};
}

// The bytes of element `index` of a begin reply, which must be a bulk string.
Result<std::string> text_at(const std::vector<RedisReply>& elements, std::size_t index,
                            std::string_view name) {
  const RedisReply& element = elements[index];
  if (!element.is_string()) {
    return malformed("begin", std::string(name) + " is a " +
                                  std::string(to_string(element.kind())) + ", expected a string");
  }
  return element.as_text();
}

}  // namespace

Result<std::pair<std::string, std::vector<std::string>>> decode_scan_reply(
    const RedisReply& reply) {
  if (!reply.is_array() || reply.as_array().size() != 2 || !reply.as_array()[0].is_string() ||
      !reply.as_array()[1].is_array()) {
    return malformed("abandoned", "SCAN did not answer {cursor, names}");
  }
  std::vector<std::string> names;
  for (const RedisReply& name : reply.as_array()[1].as_array()) {
    if (!name.is_string()) return malformed("abandoned", "a SCAN name is not a string");
    names.push_back(name.as_text());
  }
  return std::pair{reply.as_array()[0].as_text(), std::move(names)};
}

Result<std::vector<idempotency::AbandonedRequest>> decode_abandoned_reply(
    const RedisReply& reply) {
  if (!reply.is_array() || reply.as_array().size() % 4 != 0) {
    return malformed("abandoned", "not an array of quadruples");
  }
  const std::vector<RedisReply>& e = reply.as_array();
  std::vector<idempotency::AbandonedRequest> requests;
  for (std::size_t i = 0; i < e.size(); i += 4) {
    for (std::size_t j = i; j < i + 4; ++j) {
      if (!e[j].is_string()) return malformed("abandoned", "an element is not a string");
    }
    std::optional<idempotency::ParsedRecordKey> id = idempotency::parse_record_key(e[i].as_text());
    if (!id) continue;  // a key under the prefix that is not a record: not ours
    requests.push_back({std::move(id->scope), std::move(id->key), e[i + 1].as_text(),
                        e[i + 2].as_text(), e[i + 3].as_text()});
  }
  return requests;
}

Result<BeginReply> decode_begin_reply(const RedisReply& reply) {
  if (!reply.is_array()) {
    return malformed("begin",
                     "a " + std::string(to_string(reply.kind())) + ", expected an array of 5");
  }
  const std::vector<RedisReply>& e = reply.as_array();
  if (e.size() != 5) {
    return malformed("begin", std::to_string(e.size()) + " elements, expected 5");
  }
  if (!e[0].is_integer() || e[0].as_integer() < idempotency_scripts::kStarted ||
      e[0].as_integer() > idempotency_scripts::kMismatch) {
    return malformed("begin", "the outcome code is not an integer in [0, 4]");
  }
  if (!e[4].is_integer() || e[4].as_integer() < 0) {
    return malformed("begin", "lease_left_ms is not a non-negative integer");
  }
  Result<std::string> point = text_at(e, 1, "point");
  if (!point.ok()) return std::move(point).error();
  Result<std::string> data = text_at(e, 2, "data");
  if (!data.ok()) return std::move(data).error();
  Result<std::string> response = text_at(e, 3, "response");
  if (!response.ok()) return std::move(response).error();
  static_assert(idempotency_scripts::kMismatch == static_cast<int>(BeginOutcome::kMismatch));
  static_assert(idempotency_scripts::kInFlight == static_cast<int>(BeginOutcome::kInFlight));
  const auto outcome = static_cast<BeginOutcome>(e[0].as_integer());
  if (outcome == BeginOutcome::kInFlight && e[4].as_integer() == 0) {
    return malformed("begin", "in flight with no lease left");
  }
  return BeginReply{.outcome = outcome,
                    .point = std::move(point).value(),
                    .data = std::move(data).value(),
                    .response = std::move(response).value(),
                    .lease_left = std::chrono::milliseconds(
                        std::min<std::int64_t>(e[4].as_integer(), kMaxLeaseMs))};
}

}  // namespace faultline::backends::redis
