#include "faultline/locks/advisory_lock_id.h"

#include <cstdint>
#include <string>

#include "faultline/validate.h"

namespace faultline::locks {
namespace {

constexpr std::uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kPrime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kPrime;
  }
  return hash;
}

}  // namespace

Result<AdvisoryLockId> advisory_lock_id(std::string_view name_space, std::string_view key) {
  if (name_space.empty()) return invalid_argument("namespace: must not be empty");
  if (auto r = check_size("namespace", name_space.size(), 1, kMaxKeyBytes, "bytes"); !r) {
    return std::move(r).error();
  }
  if (auto r = validate_key(key); !r) return std::move(r).error();
  std::uint64_t hash = fnv1a(kOffsetBasis, name_space);
  hash = fnv1a(hash, std::string_view("\0", 1));
  hash = fnv1a(hash, key);
  return static_cast<AdvisoryLockId>(hash);
}

}  // namespace faultline::locks
