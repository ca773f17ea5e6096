// The idempotent request both idempotency benchmarks send, ours and the raw client's alike:
// what it carries (sizes a real caller would send) and how long it may hold its record.
// Shared by redis_idempotency_bench and postgres_idempotency_bench.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

namespace faultline::bench::idempotent_request {

inline constexpr std::chrono::seconds kLease{10};
// Outlives any run; the servers are thrown away after it.
inline constexpr std::chrono::minutes kRetention{10};
inline constexpr std::chrono::seconds kTimeout{5};
// A hex SHA-256, the fingerprint a caller would send.
inline constexpr std::string_view kFingerprint =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
// A 64-byte response, free of spaces and quotes (it goes through a shell to the raw client).
inline constexpr std::string_view kResponse =
    "200:{ok:true,charge:ch_0123456789abcdef0123456789abcdef,amt:420}";
inline constexpr std::size_t kResponseBytes = 64;
static_assert(kResponse.size() == kResponseBytes);
// The raw client's owner; ours are "owner-" and two digits, as long.
inline constexpr std::string_view kTheirOwner = "owner-xx";

}  // namespace faultline::bench::idempotent_request
