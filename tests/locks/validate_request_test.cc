// validate_request: a lock request's arguments checked at once. It takes a shortcut for requests
// that are plainly valid; the property below holds it to the definition, the field checks in
// order (key, owner, ttl, timeout), on requests generated at and around every bound.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "faultline/locks/lock_store.h"
#include "faultline/validate.h"

namespace faultline::locks {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// What validate_request must answer: the first failing field's error, or Ok.
Result<void> field_by_field(std::string_view key, std::optional<std::string_view> owner,
                            std::optional<Duration> ttl, Duration timeout) {
  if (auto r = validate_key(key); !r) return r;
  if (owner) {
    if (auto r = validate_owner(*owner); !r) return r;
  }
  if (ttl) {
    if (auto r = validate_ttl(*ttl); !r) return r;
  }
  return validate_timeout(timeout);
}

std::string verdict(const Result<void>& r) { return r.ok() ? "ok" : r.error().to_string(); }

rc::Gen<std::string> keys() {
  return rc::gen::oneOf(
      // Short keys over the bytes the hash-tag rule reads.
      rc::gen::container<std::string>(rc::gen::element('a', '{', '}', ':')),
      // Long ones, at and past the bound, with or without a '}' at the end.
      rc::gen::apply(
          [](std::size_t n, bool brace) {
            std::string key(n, 'k');
            if (brace && n > 0) key.back() = '}';
            return key;
          },
          rc::gen::element<std::size_t>(0, 1, kMaxKeyBytes, kMaxKeyBytes + 1),
          rc::gen::arbitrary<bool>()));
}

rc::Gen<std::string> owners() {
  return rc::gen::map(rc::gen::element<std::size_t>(0, 1, 32, kMaxOwnerBytes, kMaxOwnerBytes + 1),
                      [](std::size_t n) { return std::string(n, 'o'); });
}

rc::Gen<Duration> ttls() {
  return rc::gen::element<Duration>(Duration::zero(), -milliseconds(1), microseconds(999), kMinTtl,
                                    milliseconds(1500), milliseconds(1) + microseconds(1), kMaxTtl,
                                    kMaxTtl + milliseconds(1), Duration::max());
}

rc::Gen<Duration> timeouts() {
  return rc::gen::element<Duration>(Duration::zero(), -milliseconds(1), Duration(1),
                                    milliseconds(200), Duration::max());
}

RC_GTEST_PROP(ValidateRequest, AnswersAsTheFieldChecksInOrder, ()) {
  const std::string key = *keys();
  const std::string owner = *owners();
  const std::optional<std::string_view> owner_view =
      *rc::gen::arbitrary<bool>() ? std::optional<std::string_view>(owner) : std::nullopt;
  const std::optional<Duration> ttl =
      *rc::gen::arbitrary<bool>() ? std::optional<Duration>(*ttls()) : std::nullopt;
  const Duration timeout = *timeouts();
  RC_ASSERT(verdict(validate_request(key, owner_view, ttl, timeout)) ==
            verdict(field_by_field(key, owner_view, ttl, timeout)));
}

// The bounds one by one, against the definition's own words.
TEST(ValidateRequest, EachBadFieldIsNamed) {
  const Duration ttl = milliseconds(1000);
  const Duration timeout = milliseconds(100);
  auto field_of = [](const Result<void>& r) {
    return r.ok() ? std::string("ok") : r.error().message.substr(0, r.error().message.find(':'));
  };
  EXPECT_EQ(field_of(validate_request("k", "o", ttl, timeout)), "ok");
  EXPECT_EQ(field_of(validate_request(std::string(kMaxKeyBytes + 1, 'k'), "o", ttl, timeout)),
            "key");
  EXPECT_EQ(field_of(validate_request("a}b", "o", ttl, timeout)), "key");
  EXPECT_EQ(field_of(validate_request("{a}b", "o", ttl, timeout)), "ok");
  EXPECT_EQ(field_of(validate_request("k", std::string(kMaxOwnerBytes + 1, 'o'), ttl, timeout)),
            "owner");
  EXPECT_EQ(field_of(validate_request("k", "", ttl, timeout)), "owner");
  EXPECT_EQ(field_of(validate_request("k", "o", milliseconds(1) + microseconds(1), timeout)),
            "ttl");
  EXPECT_EQ(field_of(validate_request("k", "o", kMaxTtl + milliseconds(1), timeout)), "ttl");
  EXPECT_EQ(field_of(validate_request("k", "o", ttl, Duration::zero())), "timeout");
  EXPECT_EQ(field_of(validate_request("k", std::nullopt, std::nullopt, timeout)), "ok");
}

}  // namespace
}  // namespace faultline::locks
