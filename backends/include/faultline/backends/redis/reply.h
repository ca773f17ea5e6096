// RedisReply: one reply from a Redis server, as an owning value (no hiredis types leak out).
//
// Contract
//   - A reply is exactly one of: nil, integer, string (bulk), status (simple string such as
//     "OK"), error, or array of replies. Accessors for the wrong kind are programming errors
//     (asserted), so check kind() or an is_*() first.
//   - Connection::command() never returns a top-level error reply as a value: it turns it into an
//     Error (see server_error below). Error replies nested in arrays (EXEC) stay values.
//
// Thread-safety: a value type.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/result.h"

namespace faultline::backends::redis {

class RedisReply {
 public:
  enum class Kind : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };

  RedisReply() = default;  // nil

  [[nodiscard]] static RedisReply nil() { return RedisReply(); }
  [[nodiscard]] static RedisReply integer(std::int64_t value);
  [[nodiscard]] static RedisReply string(std::string value);
  [[nodiscard]] static RedisReply status(std::string value);
  [[nodiscard]] static RedisReply error(std::string value);
  [[nodiscard]] static RedisReply array(std::vector<RedisReply> elements);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_nil() const noexcept { return kind_ == Kind::kNil; }
  [[nodiscard]] bool is_integer() const noexcept { return kind_ == Kind::kInteger; }
  [[nodiscard]] bool is_string() const noexcept { return kind_ == Kind::kString; }
  [[nodiscard]] bool is_status() const noexcept { return kind_ == Kind::kStatus; }
  [[nodiscard]] bool is_error() const noexcept { return kind_ == Kind::kError; }
  [[nodiscard]] bool is_array() const noexcept { return kind_ == Kind::kArray; }

  [[nodiscard]] std::int64_t as_integer() const {
    assert(is_integer());
    return integer_;
  }
  // The bytes of a string, status or error reply.
  [[nodiscard]] const std::string& as_text() const {
    assert(is_string() || is_status() || is_error());
    return text_;
  }
  [[nodiscard]] const std::vector<RedisReply>& as_array() const {
    assert(is_array());
    return elements_;
  }

  friend bool operator==(const RedisReply&, const RedisReply&) = default;

 private:
  Kind kind_ = Kind::kNil;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<RedisReply> elements_;
};

[[nodiscard]] std::string_view to_string(RedisReply::Kind kind) noexcept;

// The Error for a server's error reply `text` (e.g. "WRONGTYPE Operation against a key...").
// Its message is "redis replied: " + text (cut to a bounded length), so it names what the server
// said. The code is kUnavailable (Redis rejected the command before applying it), except for a
// runtime error inside a Lua script, which is kOutcomeUnknown: Redis does not roll back the
// writes a script made before it failed.
[[nodiscard]] Error server_error(std::string_view text);

// True when `error` came from a server error reply whose first word is `code` (e.g. "NOSCRIPT").
[[nodiscard]] bool is_server_error(const Error& error, std::string_view code) noexcept;

}  // namespace faultline::backends::redis
