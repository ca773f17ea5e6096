// Fuzzes the Redis reply reader as the connection drives it (codec.h: hiredis's reader wrapped
// in ReplyReader, its replies converted to RedisReply): any bytes give replies, "need more", or
// kProtocol "RESP parser: ..."; and bytes fed in pieces (as a socket delivers them, split where
// the input's first byte says) give the same replies and the same verdict as fed at once.
#include <vector>

#include "backends/src/redis/codec.h"
#include "faultline/backends/redis/connection_options.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace faultline::fuzz {
namespace {

using backends::redis::RedisReply;
using backends::redis::detail::ReplyReader;

struct Outcome {
  std::vector<RedisReply> replies;
  bool protocol_error = false;
};

// Takes out every complete reply; false once the reader is in error.
bool drain(ReplyReader& reader, Outcome& outcome) {
  for (;;) {
    Result<std::optional<RedisReply>> next = reader.next();
    if (!next.ok()) {
      require_error(next.error(), ErrorCode::kProtocol, "RESP parser: ", "ReplyReader::next");
      outcome.protocol_error = true;
      return false;
    }
    if (!next->has_value()) return true;
    outcome.replies.push_back(std::move(**next));
  }
}

// Feeds `bytes` in pieces of at most `piece` bytes, draining after each.
Outcome read(std::string_view bytes, std::size_t piece) {
  // The connection's bound by default (64 MiB): a reader bounded so is what a server talks to.
  ReplyReader reader(backends::redis::ConnectionOptions{}.max_reply_bytes);
  Outcome outcome;
  std::size_t fed_bytes = 0;
  while (!bytes.empty()) {
    const std::string_view chunk = bytes.substr(0, piece);
    bytes.remove_prefix(chunk.size());
    fed_bytes += chunk.size();
    Result<void> fed = reader.feed(chunk.data(), chunk.size());
    if (!fed.ok()) {
      require_error(fed.error(), ErrorCode::kProtocol, "RESP parser: ", "ReplyReader::feed");
      outcome.protocol_error = true;
      break;
    }
    if (!drain(reader, outcome)) break;
  }
  require(reader.buffered_bytes() <= fed_bytes, "ReplyReader: buffers more than it was fed");
  return outcome;
}

}  // namespace

int fuzz_redis_reply(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = as_text(data, size);
  if (bytes.empty()) return 0;
  const std::size_t piece = 1 + static_cast<std::uint8_t>(bytes.front()) % 16;
  const Outcome whole = read(bytes, bytes.size());
  const Outcome pieces = read(bytes, piece);
  require(whole.protocol_error == pieces.protocol_error, "ReplyReader: verdict depends on pieces");
  require(whole.replies == pieces.replies, "ReplyReader: replies depend on how bytes arrive");
  return 0;
}

}  // namespace faultline::fuzz
