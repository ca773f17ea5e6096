// FencedResource, the storage-side token check, against its contract stated as a model: a token
// is admitted iff it is at least every token admitted before it; a refusal changes nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

#include "faultline/locks/fenced_resource.h"

namespace faultline::locks {
namespace {

TEST(FencedResource, AdmitsEqualAndHigherTokensAndRefusesLowerOnesNamingBoth) {
  FencedResource resource;
  EXPECT_TRUE(resource.admit(5).ok());
  EXPECT_TRUE(resource.admit(5).ok()) << "one holder makes many calls with one token";
  EXPECT_TRUE(resource.admit(7).ok());
  Result<void> stale = resource.admit(6);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(stale.error().message.find('6'), std::string::npos) << stale.error().message;
  EXPECT_NE(stale.error().message.find('7'), std::string::npos) << stale.error().message;
  EXPECT_EQ(resource.high_water_mark(), 7u);
  EXPECT_EQ(resource.refused(), 1u);
}

RC_GTEST_PROP(FencedResource, AdmitsExactlyTheTokensNotBelowAnyAdmittedBefore,
              (const std::vector<std::uint8_t>& small_tokens)) {
  FencedResource resource;
  FencingToken highest_admitted = 0;
  std::uint64_t refusals = 0;
  for (std::uint8_t small : small_tokens) {
    const FencingToken token = small;  // small values, so that repeats and regressions occur
    const bool expected = token >= highest_admitted;
    RC_ASSERT(resource.admit(token).ok() == expected);
    if (expected) {
      highest_admitted = token;
    } else {
      ++refusals;
    }
    RC_ASSERT(resource.high_water_mark() == highest_admitted);
    RC_ASSERT(resource.refused() == refusals);
  }
}

}  // namespace
}  // namespace faultline::locks
