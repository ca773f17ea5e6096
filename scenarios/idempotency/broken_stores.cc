#include "scenarios/idempotency/broken_stores.h"

#include <chrono>
#include <string>

#include "faultline/random.h"
#include "faultline/sim/redis_keyspace.h"
#include "faultline/sim/rpc.h"

namespace faultline::scenarios {

// g++ 12 (in the unity build) warns that this coroutine's frame is freed by a mismatched
// operator delete: the frame is allocated and freed by Asio's recycling allocator (aligned_alloc,
// then free), which the warning does not follow. A false positive, silenced for this definition.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
Task<Result<idempotency::BeginReply>> CheckThenSetStore::begin(idempotency::RequestId id,
                                                               std::string_view fingerprint,
                                                               std::string_view owner,
                                                               Duration lease, Duration retention,
                                                               Duration timeout) {
  sim::RedisNode* node = &node_;
  const std::string name = idempotency::record_key(id);
  auto check = sim::call<bool>(network_, self_, node_.host(), timeout, [node, name] {
    return Result<bool>(node->step([&](sim::RedisKeyspace& keys) { return keys.exists(name); }));
  });
  Result<bool> exists = co_await std::move(check);
  if (!exists) co_return exists.error();
  if (exists.value()) {
    co_return co_await inner_.begin(id, fingerprint, owner, lease, retention, timeout);
  }
  // The "set": a blind write of a fresh record, whatever appeared since the check.
  const std::string scope(id.scope);
  const std::string key(id.key);
  const std::string print(fingerprint);
  const std::string holder(owner);
  auto set = sim::call<idempotency::BeginReply>(
      network_, self_, node_.host(), timeout,
      [node, name, scope, key, print, holder, lease, retention] {
        static_cast<void>(node->step([&](sim::RedisKeyspace& keys) { return keys.del(name); }));
        return Result<idempotency::BeginReply>(sim::RedisIdempotency(*node).begin(
            {scope, key}, print, holder, lease, retention));
      });
  co_return co_await std::move(set);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Task<Result<bool>> NoRecoveryPointsStore::checkpoint(idempotency::RequestId id,
                                                     std::string_view owner, std::string_view,
                                                     std::string_view, Duration lease,
                                                     Duration timeout) {
  return inner_.checkpoint(id, owner, idempotency::kStartedPoint, "", lease, timeout);
}

Task<Result<bool>> CrashAfterCheckpoint::checkpoint(idempotency::RequestId id,
                                                    std::string_view owner,
                                                    std::string_view point,
                                                    std::string_view data, Duration lease,
                                                    Duration timeout) {
  Result<bool> saved = co_await inner_.checkpoint(id, owner, point, data, lease, timeout);
  if (!saved || !saved.value() || !chance_ppm(self_.rng(), chance_ppm_)) co_return saved;
  // Crash from an event of the World's own, not from inside this coroutine, which the crash
  // destroys: until then this coroutine waits, so the next phase never starts.
  history_.note(self_.id(), "killed between phases, after saving recovery point \"" +
                                std::string(point) + "\"");
  sim::World& world = self_.world();
  sim::Process* self = &self_;
  const Duration downtime = downtime_;
  world.schedule(world.now(), sim::kWorldProcess, 0, [&world, self, downtime] {
    world.crash(*self, /*persist=*/true);
    world.schedule_after(downtime, sim::kWorldProcess, [&world, self] { world.restart(*self); });
  });
  co_await self_.clock().sleep_for(std::chrono::hours(24));
  co_return saved;
}

}  // namespace faultline::scenarios
