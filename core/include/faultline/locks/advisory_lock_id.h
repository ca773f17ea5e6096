// advisory_lock_id(): the documented mapping from (namespace, key) strings to a 64-bit lock id.
//
// PostgreSQL advisory locks are keyed by one bigint (or two ints). Applications name locks with
// strings, and several applications share one database, so the id is derived from both a
// namespace and the key:
//
//   id = (int64) FNV-1a-64( namespace || 0x00 || key )
//
// FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the UTF-8 bytes, the
// zero byte separating namespace from key so that ("ab","c") and ("a","bc") differ. It is
// stable across platforms and releases (tests pin known values), and anyone can compute it in
// SQL or another language to find who holds a lock in pg_locks. Distinct keys may collide
// (2^-64 per pair): a collision makes two keys share one lock, which costs throughput, never
// safety. Empty namespace or key, or one over kMaxKeyBytes, is kInvalidArgument.
#pragma once

#include <string_view>

#include "faultline/locks/session_lock_store.h"
#include "faultline/result.h"

namespace faultline::locks {

[[nodiscard]] Result<AdvisoryLockId> advisory_lock_id(std::string_view name_space,
                                                      std::string_view key);

}  // namespace faultline::locks
