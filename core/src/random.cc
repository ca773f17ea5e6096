#include "faultline/random.h"

#include <array>

namespace faultline {

std::string random_token(Random& random) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string token(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = random.next_u64();
    for (int i = 0; i < 16; ++i) {
      token[static_cast<std::size_t>(half * 16 + i)] = kHex[bits & 0xF];
      bits >>= 4;
    }
  }
  return token;
}

}  // namespace faultline
