// IdempotencyStore: the atomic operations idempotent request handling needs from its store.
//
// One record per (scope, key): the caller who sent the key (scope: an account, a tenant, the
// authenticated principal; never shared between callers) and the key the caller chose. A record
// holds the request's fingerprint (what the request asked for), where its execution got to (a
// recovery point and the data saved with it), who is executing it (an owner, the executing
// caller's unguessable token, as a lock's owner, and the lease until which it holds the
// record), and once it finished, its final response. Each operation is one atomic step on its
// backend (a Lua script in Redis, one statement or transaction in PostgreSQL, a model step in the
// simulator); the conformance suite holds every backend to the same properties.
//
// The lifecycle (after Stripe, brandur's rocket-rides-atomic and AWS Powertools):
//   begin      no record (or one past its retention): create it, in progress, leased to
//              `owner` -> kStarted. A record whose fingerprint differs -> kMismatch (nothing
//              changes: 422). Completed -> kCompleted with the response (a replay). In progress,
//              leased to `owner` (a repeated begin after an unknown outcome) -> its lease renewed,
//              kResumed from its recovery point. Leased to another owner, lease live ->
//              kInFlight with the time left (409 + Retry-After, or wait and begin again). Lease
//              lapsed -> taken over by `owner`: kResumed with the last recovery point and data.
//   checkpoint the holder reached a recovery point: saves it (and its data) and renews the lease.
//   complete   the holder stores the final response; the record is completed.
//   release    the holder gives the key back without storing anything (a transient failure, a
//              refusal before execution began): the record is deleted, a retry starts afresh.
//   checkpoint, complete and release act only while `owner` holds the record: a holder whose
//   lease was taken over is refused (false), as a lock refuses a release by a former owner. (A
//   holder whose lease lapsed but was not taken over still holds it: nobody else acted.)
//   reap       deletes records past their retention, at most `limit` per call.
//   abandoned  lists records in progress whose lease lapsed (their holder crashed or gave up),
//              with what a completer needs to take each over (begin with its fingerprint) and
//              finish it from its recovery point. A page at a time, from an opaque cursor; a
//              listing is not a snapshot (a record that changes meanwhile may be missed or seen
//              twice), which is harmless: the take-over itself is begin's one atomic step.
// Expiry is computed from timestamps on the store's clock (created_at + retention; a lease's
// until), never trusted to a backend's TTL alone; backends may add a TTL as a safety net beyond it.
//
// Errors: every call takes a `timeout` bounding the whole round trip. kUnavailable: it did not
// happen; kOutcomeUnknown: it may have happened (every operation is safe to repeat with the same
// owner). Bad arguments give kInvalidArgument naming the field before anything is sent
// (validate_* below).
// Lifetimes: what a string_view (or reference) argument views must stay valid until the
// returned task completes: a task starts only when it is awaited, so a temporary of the calling
// expression may be gone by then (bind arguments to locals, then co_await the task).
// Thread-safety: an instance is used from one executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/clock.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::idempotency {

inline constexpr std::size_t kMaxScopeBytes = 255;
inline constexpr std::size_t kMaxKeyBytes = 255;          // Stripe's limit
inline constexpr std::size_t kMaxFingerprintBytes = 128;  // a hex SHA-256 is 64
inline constexpr std::size_t kMaxOwnerBytes = 128;
inline constexpr std::size_t kMaxPointBytes = 64;
inline constexpr std::size_t kMaxDataBytes = 64 * 1024;
inline constexpr std::size_t kMaxResponseBytes = 1024 * 1024;
inline constexpr std::chrono::milliseconds kMinLease{1};
inline constexpr std::chrono::hours kMaxLease{1};
inline constexpr std::chrono::hours kMaxRetention{24 * 30};
// The recovery point of a record that has just been created.
inline constexpr std::string_view kStartedPoint = "started";

// Which record, and what the request asked for.
struct RequestId {
  std::string_view scope;
  std::string_view key;
};

enum class BeginOutcome { kStarted, kResumed, kInFlight, kCompleted, kMismatch };

struct BeginReply {
  BeginOutcome outcome = BeginOutcome::kStarted;
  std::string point{};     // kStarted: kStartedPoint; kResumed: the last recovery point
  std::string data{};      // kResumed: the data saved with it
  std::string response{};  // kCompleted: the stored final response
  Duration lease_left{};   // kInFlight: until the holder's lease lapses
};

// A request in progress whose holder's lease lapsed: a completer's work.
struct AbandonedRequest {
  std::string scope{};
  std::string key{};
  std::string fingerprint{};
  std::string point{};  // the last recovery point
  std::string data{};   // and the data saved with it
};

struct AbandonedPage {
  std::vector<AbandonedRequest> requests{};
  std::string next_cursor{};  // pass to the next call; empty: the listing is over
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // `lease`: how long the caller holds the request without a checkpoint; `retention`: how long
  // the record is kept from its creation (Stripe: at least 24 hours).
  virtual Task<Result<BeginReply>> begin(RequestId id, std::string_view fingerprint,
                                         std::string_view owner, Duration lease, Duration retention,
                                         Duration timeout) = 0;
  // True when saved (and the lease renewed for `lease`); false when `owner` no longer holds the
  // record (taken over, completed, released or past its retention).
  virtual Task<Result<bool>> checkpoint(RequestId id, std::string_view owner,
                                        std::string_view point, std::string_view data,
                                        Duration lease, Duration timeout) = 0;
  virtual Task<Result<bool>> complete(RequestId id, std::string_view owner,
                                      std::string_view response, Duration timeout) = 0;
  virtual Task<Result<bool>> release(RequestId id, std::string_view owner, Duration timeout) = 0;
  // Deletes at most `limit` records past their retention; returns how many it deleted.
  virtual Task<Result<std::size_t>> reap(std::size_t limit, Duration timeout) = 0;
  // Abandoned requests from `cursor` ("" to begin): a page of about `limit` (at most `limit`
  // on PostgreSQL and in the simulator; on Redis `limit` is SCAN's COUNT hint), in an order of
  // the backend's choosing.
  virtual Task<Result<AbandonedPage>> abandoned(std::string_view cursor, std::size_t limit,
                                                Duration timeout) = 0;
};

// The checks every implementation makes before sending anything, one per operation, over all of
// its arguments in order (timeout last, faultline::validate_timeout); kInvalidArgument naming
// the field and what was wrong with it, or Ok.
[[nodiscard]] Result<void> validate_begin(RequestId id, std::string_view fingerprint,
                                          std::string_view owner, Duration lease,
                                          Duration retention, Duration timeout);
[[nodiscard]] Result<void> validate_checkpoint(RequestId id, std::string_view owner,
                                               std::string_view point, std::string_view data,
                                               Duration lease, Duration timeout);
[[nodiscard]] Result<void> validate_complete(RequestId id, std::string_view owner,
                                             std::string_view response, Duration timeout);
[[nodiscard]] Result<void> validate_release(RequestId id, std::string_view owner, Duration timeout);
// `limit` in [1, kMaxReapBatch].
[[nodiscard]] Result<void> validate_reap(std::size_t limit, Duration timeout);
inline constexpr std::size_t kMaxReapBatch = 10'000;
// `cursor` at most kMaxCursorBytes, printable; `limit` in [1, kMaxReapBatch].
[[nodiscard]] Result<void> validate_abandoned(std::string_view cursor, std::size_t limit,
                                              Duration timeout);
inline constexpr std::size_t kMaxCursorBytes = 2 * kMaxScopeBytes + 2 * kMaxKeyBytes + 32;
// The parts:
// `value` is 1..max bytes of printable ASCII; else kInvalidArgument naming `field`.
[[nodiscard]] Result<void> validate_text(std::string_view field, std::string_view value,
                                         std::size_t max);
[[nodiscard]] Result<void> validate_id(RequestId id);
[[nodiscard]] Result<void> validate_fingerprint(std::string_view fingerprint);
[[nodiscard]] Result<void> validate_owner(std::string_view owner);
[[nodiscard]] Result<void> validate_point(std::string_view point, std::string_view data);
[[nodiscard]] Result<void> validate_response(std::string_view response);
[[nodiscard]] Result<void> validate_durations(Duration lease, Duration retention);

// Where a record lives in a key-value store: "idem:<bytes of scope>:<scope>:<key>", so that no
// two (scope, key) pairs share a name whatever characters they hold.
[[nodiscard]] std::string record_key(RequestId id);
// The (scope, key) a record_key() names, or nullopt for a name that is not one.
struct ParsedRecordKey {
  std::string scope;
  std::string key;
};
[[nodiscard]] std::optional<ParsedRecordKey> parse_record_key(std::string_view name);
inline constexpr std::string_view kRecordKeyPrefix = "idem:";

}  // namespace faultline::idempotency
