// The RESP codec: requests are encoded here (a RESP array of bulk strings), replies parsed by
// hiredis's reader; this wraps both in owning C++ types.
// Internal to the Redis backend; no hiredis type appears in a public header.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "faultline/backends/redis/reply.h"
#include "faultline/result.h"

struct redisReader;
struct redisReadTask;

namespace faultline::backends::redis::detail {

// One request in RESP form, in one exact allocation of ours.
class EncodedCommand {
 public:
  EncodedCommand() = default;

  [[nodiscard]] const char* data() const noexcept { return bytes_.get(); }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // Zeroes the bytes (for requests carrying credentials), then frees them.
  void wipe() noexcept;
  // Frees the bytes once written: a request awaiting its reply keeps no payload.
  void reset() noexcept {
    bytes_.reset();
    size_ = 0;
  }

 private:
  friend Result<EncodedCommand> encode(std::span<const std::string_view>, std::size_t);

  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
};

// Encodes argv (command name first) as a RESP array of bulk strings. kInvalidArgument, before any
// allocation, when argv is empty or the request would exceed max_bytes.
[[nodiscard]] Result<EncodedCommand> encode(std::span<const std::string_view> argv,
                                            std::size_t max_bytes);

// An incremental reply parser over hiredis's redisReader: feed it bytes as they arrive, take
// complete replies out in order.
//
// hiredis allocates an array's element pointers when it reads the array's header, before any
// element has arrived: 13 bytes ("*2147483647\r\n") would reserve 16 GiB. So an array that
// announces more elements than `max_reply_bytes` could carry (each element takes at least 3
// bytes) is refused with kProtocol before anything is allocated for it.
class ReplyReader {
 public:
  explicit ReplyReader(std::size_t max_reply_bytes);
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;
  ~ReplyReader();

  // kProtocol if the reader is already in error (it does not recover).
  [[nodiscard]] Result<void> feed(const char* bytes, std::size_t size);
  // The next complete reply, nothing if more bytes are needed, kProtocol on malformed input.
  [[nodiscard]] Result<std::optional<RedisReply>> next();
  // Bytes fed but not yet consumed by a complete reply: what a partial reply costs in memory.
  [[nodiscard]] std::size_t buffered_bytes() const noexcept;

 private:
  struct ArrayGuard;
  // hiredis's callback for an array header: refuses one that is too long (see above).
  static void* create_array(const redisReadTask* task, int elements);
  [[nodiscard]] Error parser_error() const;

  std::unique_ptr<ArrayGuard> guard_;
  redisReader* reader_;
};

}  // namespace faultline::backends::redis::detail
