#include "faultline/backends/redis/reply.h"

#include <string>
#include <utility>

namespace faultline::backends::redis {
namespace {

constexpr std::string_view kServerErrorPrefix = "redis replied: ";
// Server error texts are short, but a script error quotes its source position and a custom
// module could say anything: keep error messages bounded.
constexpr std::size_t kMaxServerErrorBytes = 512;

}  // namespace

RedisReply RedisReply::integer(std::int64_t value) {
  RedisReply reply;
  reply.kind_ = Kind::kInteger;
  reply.integer_ = value;
  return reply;
}

RedisReply RedisReply::string(std::string value) {
  RedisReply reply;
  reply.kind_ = Kind::kString;
  reply.text_ = std::move(value);
  return reply;
}

RedisReply RedisReply::status(std::string value) {
  RedisReply reply;
  reply.kind_ = Kind::kStatus;
  reply.text_ = std::move(value);
  return reply;
}

RedisReply RedisReply::error(std::string value) {
  RedisReply reply;
  reply.kind_ = Kind::kError;
  reply.text_ = std::move(value);
  return reply;
}

RedisReply RedisReply::array(std::vector<RedisReply> elements) {
  RedisReply reply;
  reply.kind_ = Kind::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

std::string_view to_string(RedisReply::Kind kind) noexcept {
  switch (kind) {
    case RedisReply::Kind::kNil: return "nil";
    case RedisReply::Kind::kInteger: return "integer";
    case RedisReply::Kind::kString: return "string";
    case RedisReply::Kind::kStatus: return "status";
    case RedisReply::Kind::kError: return "error";
    case RedisReply::Kind::kArray: return "array";
  }
  return "?";
}

Error server_error(std::string_view text) {
  std::string message(kServerErrorPrefix);
  message.append(text.substr(0, kMaxServerErrorBytes));
  if (text.size() > kMaxServerErrorBytes) message.append("...");
  // Redis 7 reports an error raised inside a script as "<CODE> ... script: <sha>, on
  // @user_script:<line>." Writes the script made before that line stay applied.
  const bool inside_script = text.find("@user_script") != std::string_view::npos;
  return Error{inside_script ? ErrorCode::kOutcomeUnknown : ErrorCode::kUnavailable,
               std::move(message)};
}

bool is_server_error(const Error& error, std::string_view code) noexcept {
  std::string_view message = error.message;
  if (!message.starts_with(kServerErrorPrefix)) return false;
  message.remove_prefix(kServerErrorPrefix.size());
  if (!message.starts_with(code)) return false;
  return message.size() == code.size() || message[code.size()] == ' ';
}

}  // namespace faultline::backends::redis
