// Lock keys and where their fencing counters live: the counter must hash to the lock key's Redis
// Cluster slot, or the acquire script (which touches both) fails there with CROSSSLOT. The slot
// is computed here from the Redis Cluster specification (CRC16/XMODEM of the hash tag or the
// whole key, mod 16384), independently of the code under test.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "faultline/locks/lock_store.h"

namespace faultline::locks {
namespace {

std::uint16_t crc16_xmodem(std::string_view bytes) {
  std::uint16_t crc = 0;
  for (unsigned char byte : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (byte << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<std::uint16_t>(crc << 1);
    }
  }
  return crc;
}

// The cluster specification's HASH_SLOT(key).
int hash_slot(std::string_view key) {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1) {
      return crc16_xmodem(key.substr(open + 1, close - open - 1)) % 16384;
    }
  }
  return crc16_xmodem(key) % 16384;
}

TEST(LockKey, SlotFunctionMatchesTheClusterSpecificationsExamples) {
  EXPECT_EQ(crc16_xmodem("123456789"), 0x31C3);  // the specification's check value
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("{user1000}.followers"));
  EXPECT_EQ(hash_slot("foo{}{bar}"), crc16_xmodem("foo{}{bar}") % 16384);  // empty tag: whole
  EXPECT_EQ(hash_slot("foo{{bar}}zap"), crc16_xmodem("{bar") % 16384);
}

TEST(LockKey, FenceKeysOfPlainAndTaggedKeys) {
  EXPECT_EQ(fence_key("orders"), "{orders}:fence");
  EXPECT_EQ(fence_key("{orders}:lock"), "{orders}:lock:fence");
  EXPECT_EQ(hash_slot(fence_key("orders")), hash_slot("orders"));
  EXPECT_EQ(hash_slot(fence_key("{orders}:lock")), hash_slot("{orders}:lock"));
}

TEST(LockKey, AClosingBraceOutsideAHashTagIsRejectedNamingTheKey) {
  for (const char* key : {"a}b", "}", "{}x}", "x{}"}) {
    const bool has_closing_brace = std::string_view(key).find('}') != std::string_view::npos;
    Result<void> r = validate_key(key);
    EXPECT_EQ(r.ok(), !has_closing_brace) << key;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(r.error().message.rfind("key:", 0), 0u) << r.error().message;
    }
  }
  EXPECT_TRUE(validate_key("a{b}c}").ok()) << "a key with a hash tag may contain '}' later";
  EXPECT_TRUE(validate_key("a{b").ok());
}

RC_GTEST_PROP(LockKey, EveryAcceptedKeySharesItsSlotWithItsFencingCounter, ()) {
  // Keys over a small alphabet rich in braces, so that tags, empty tags and strays all occur.
  const std::string key = *rc::gen::container<std::string>(
      rc::gen::element('a', 'b', '{', '}', ':'));
  RC_PRE(validate_key(key).ok());
  RC_ASSERT(hash_slot(fence_key(key)) == hash_slot(key));
  RC_ASSERT(fence_key(key) != key);
}

}  // namespace
}  // namespace faultline::locks
