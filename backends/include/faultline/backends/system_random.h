// SystemRandom: the production Random, a CSPRNG backed by the kernel's getrandom(2).
//
// Contract
//   - next_u64() returns 64 bits from the kernel CSPRNG (the same source as /dev/urandom, after
//     the pool has been initialised at boot). Values are unpredictable to other processes, which
//     is what lock owner tokens need: a guessable owner token lets another client release or
//     extend a lock it does not hold.
//   - Bytes are fetched kBufferBytes at a time, so a token costs a syscall only every
//     kBufferBytes / 16 tokens. Each 8 bytes are wiped from the buffer as soon as they are
//     handed out, so a later memory dump does not reveal tokens already issued.
//   - Errors: getrandom(2) cannot fail on a supported kernel (>= 3.17) once the pool is
//     initialised; if it does (ENOSYS in an old container, seccomp), next_u64() throws
//     std::system_error rather than return predictable bits. EINTR is retried.
//
// Ownership: owns its buffer; not copyable (two copies would hand out the same bytes).
// Thread-safety: not thread-safe; use one instance per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "faultline/random.h"

namespace faultline::backends {

class SystemRandom final : public Random {
 public:
  static constexpr std::size_t kBufferBytes = 256;

  SystemRandom() = default;
  SystemRandom(const SystemRandom&) = delete;
  SystemRandom& operator=(const SystemRandom&) = delete;
  ~SystemRandom() override;

  [[nodiscard]] std::uint64_t next_u64() override;

 private:
  void refill();

  std::array<std::byte, kBufferBytes> buffer_{};
  std::size_t next_ = kBufferBytes;  // index of the first unused byte; kBufferBytes = empty
};

}  // namespace faultline::backends
