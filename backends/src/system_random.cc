#include "faultline/backends/system_random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace faultline::backends {

SystemRandom::~SystemRandom() {
  // Do not leave unissued secret bytes behind in freed memory. The volatile write keeps the
  // compiler from eliding the wipe of an object about to die.
  volatile std::byte* bytes = buffer_.data();
  for (std::size_t i = 0; i < buffer_.size(); ++i) bytes[i] = std::byte{0};
}

std::uint64_t SystemRandom::next_u64() {
  if (next_ + sizeof(std::uint64_t) > buffer_.size()) refill();
  std::uint64_t value = 0;
  std::memcpy(&value, buffer_.data() + next_, sizeof value);
  std::memset(buffer_.data() + next_, 0, sizeof value);  // issued bytes do not linger
  next_ += sizeof value;
  return value;
}

void SystemRandom::refill() {
  std::size_t filled = 0;
  while (filled < buffer_.size()) {
    // flags = 0: the urandom pool, blocking only until it is initialised once after boot.
    const ssize_t n = ::getrandom(buffer_.data() + filled, buffer_.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(n);
  }
  next_ = 0;
}

}  // namespace faultline::backends
