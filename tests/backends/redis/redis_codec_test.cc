// The RESP request encoder (backends/src/redis/codec.cc) against hiredis's own formatter, which
// it replaced for speed: byte for byte equal on generated argument lists, including empty
// arguments, binary bytes and CRLF inside arguments; and the size limit is enforced exactly.
#include <hiredis/hiredis.h>

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "codec.h"

namespace faultline::backends::redis::detail {
namespace {

std::string hiredis_format(const std::vector<std::string>& argv) {
  std::vector<const char*> pointers;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* bytes = nullptr;
  const int length = redisFormatCommandArgv(&bytes, static_cast<int>(argv.size()),
                                            pointers.data(), lengths.data());
  RC_ASSERT(length >= 0);
  std::string out(bytes, static_cast<std::size_t>(length));
  redisFreeCommand(bytes);
  return out;
}

RC_GTEST_PROP(RedisCodec, EncodesExactlyAsHiredisDoes, (const std::vector<std::string>& args)) {
  std::vector<std::string> argv{"EVALSHA"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  Result<EncodedCommand> ours = encode(views, 1 << 20);
  RC_ASSERT(ours.ok());
  RC_ASSERT(std::string(ours->data(), ours->size()) == hiredis_format(argv));
}

TEST(RedisCodec, RejectsARequestOneByteOverTheLimit) {
  const std::vector<std::string_view> argv{"SET", "key", "value"};
  const std::string expected = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  Result<EncodedCommand> exact = encode(argv, expected.size());
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(std::string(exact->data(), exact->size()), expected);

  Result<EncodedCommand> over = encode(argv, expected.size() - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(over.error().message.find("max_request_bytes"), std::string::npos);
}

TEST(RedisCodec, RejectsAnEmptyArgv) {
  Result<EncodedCommand> none = encode({}, 1024);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace faultline::backends::redis::detail
