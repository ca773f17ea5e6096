#include "codec.h"

#include <hiredis/hiredis.h>
#include <string.h>  // explicit_bzero

#include <cassert>
#include <charconv>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <vector>

namespace faultline::backends::redis::detail {
namespace {

std::size_t decimal_digits(std::size_t value) {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// RESP request size: "*<argc>\r\n" then "$<len>\r\n<bytes>\r\n" per argument.
std::size_t encoded_size(std::span<const std::string_view> argv) {
  std::size_t size = 1 + decimal_digits(argv.size()) + 2;
  for (std::string_view arg : argv) size += 1 + decimal_digits(arg.size()) + 2 + arg.size() + 2;
  return size;
}

// hiredis builds a tree of redisReply; copy it into our owning value. Nesting is bounded by
// hiredis itself (at most 7 levels), so the recursion is too.
RedisReply convert(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_INTEGER: return RedisReply::integer(reply.integer);
    case REDIS_REPLY_STRING: return RedisReply::string(std::string(reply.str, reply.len));
    case REDIS_REPLY_STATUS: return RedisReply::status(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR: return RedisReply::error(std::string(reply.str, reply.len));
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) elements.push_back(convert(*reply.element[i]));
      return RedisReply::array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default: return RedisReply::nil();
  }
}

}  // namespace


void EncodedCommand::wipe() noexcept {
  if (bytes_) explicit_bzero(bytes_.get(), size_);
  reset();
}

Result<EncodedCommand> encode(std::span<const std::string_view> argv, std::size_t max_bytes) {
  if (argv.empty()) return invalid_argument("argv: must name a command");
  if (argv.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return invalid_argument("argv: too many arguments");
  }
  const std::size_t size = encoded_size(argv);
  if (size > max_bytes) {
    return invalid_argument("argv: request of " + std::to_string(size) +
                            " bytes exceeds max_request_bytes = " + std::to_string(max_bytes));
  }
  // RESP framing is two decimal headers per argument, so we write it ourselves into one exact
  // allocation: hiredis's redisFormatCommandArgv costs two scratch vectors, a malloc and an
  // sprintf per argument, which showed in the Redlock benchmark's profile.
  EncodedCommand command;
  command.bytes_.reset(new char[size]);
  command.size_ = size;
  char* out = command.bytes_.get();
  char* const end = out + size;
  const auto header = [&](char kind, std::size_t value) {
    *out++ = kind;
    out = std::to_chars(out, end, value).ptr;
    *out++ = '\r';
    *out++ = '\n';
  };
  header('*', argv.size());
  for (std::string_view arg : argv) {
    header('$', arg.size());
    if (!arg.empty()) std::memcpy(out, arg.data(), arg.size());
    out += arg.size();
    *out++ = '\r';
    *out++ = '\n';
  }
  assert(out == end && "encoded_size() and the writer disagree");
  return command;
}

// The fewest bytes one array element takes on the wire: an empty simple string, "+\r\n".
constexpr std::size_t kMinElementBytes = 3;

// What create_array needs: hiredis's own callbacks, which do the work, and the bound.
struct ReplyReader::ArrayGuard {
  redisReplyObjectFunctions functions{};  // hiredis's, with createArray ours
  const redisReplyObjectFunctions* defaults = nullptr;
  std::size_t max_elements = 0;
  long long refused = -1;  // the length of the array refused, once one is
};

ReplyReader::ReplyReader(std::size_t max_reply_bytes)
    : guard_(std::make_unique<ArrayGuard>()), reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::bad_alloc();
  guard_->defaults = reader_->fn;
  guard_->functions = *reader_->fn;
  guard_->functions.createArray = &ReplyReader::create_array;
  guard_->max_elements = max_reply_bytes / kMinElementBytes;
  reader_->fn = &guard_->functions;
  reader_->privdata = guard_.get();  // hiredis hands it to every callback in task->privdata
}

void* ReplyReader::create_array(const redisReadTask* task, int elements) {
  auto* guard = static_cast<ArrayGuard*>(task->privdata);
  if (elements > 0 && static_cast<std::size_t>(elements) > guard->max_elements) {
    guard->refused = elements;
    return nullptr;  // hiredis stops with "Out of memory"; parser_error() says what happened
  }
  return guard->defaults->createArray(task, elements);
}

Error ReplyReader::parser_error() const {
  if (guard_->refused >= 0) {
    return Error{ErrorCode::kProtocol, "RESP parser: an array of " +
                                           std::to_string(guard_->refused) +
                                           " elements cannot fit in max_reply_bytes"};
  }
  return Error{ErrorCode::kProtocol, std::string("RESP parser: ") + reader_->errstr};
}

ReplyReader::~ReplyReader() { redisReaderFree(reader_); }

Result<void> ReplyReader::feed(const char* bytes, std::size_t size) {
  if (redisReaderFeed(reader_, bytes, size) != REDIS_OK) return parser_error();
  return Ok{};
}

Result<std::optional<RedisReply>> ReplyReader::next() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) return parser_error();
  if (raw == nullptr) return std::optional<RedisReply>();
  std::unique_ptr<redisReply, decltype(&freeReplyObject)> reply(static_cast<redisReply*>(raw),
                                                                &freeReplyObject);
  return std::optional<RedisReply>(convert(*reply));
}

std::size_t ReplyReader::buffered_bytes() const noexcept {
  return reader_->buf == nullptr ? 0 : reader_->len - reader_->pos;
}

}  // namespace faultline::backends::redis::detail
