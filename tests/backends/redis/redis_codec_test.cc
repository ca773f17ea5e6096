// The RESP request encoder (backends/src/redis/codec.cc) against hiredis's own formatter, which
// it replaced for speed: byte for byte equal on generated argument lists, including empty
// arguments, binary bytes and CRLF inside arguments; and the size limit is enforced exactly. The
// reply reader refuses an array header that max_reply_bytes could not carry (found by fuzzing).
#include <hiredis/hiredis.h>

#include <optional>
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

// 30 bytes carry at most 10 elements ("+\r\n" each): ten read, eleven refused before hiredis
// allocates for them, nested or not, with a message that says why.
TEST(ReplyReader, RefusesAnArrayLongerThanMaxReplyBytesCouldCarry) {
  ReplyReader fits(30);
  std::string ten = "*10\r\n";
  for (int i = 0; i < 10; ++i) ten += ":1\r\n";
  ASSERT_TRUE(fits.feed(ten.data(), ten.size()).ok());
  Result<std::optional<RedisReply>> read = fits.next();
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->as_array().size(), 10U);
  for (const std::string_view header : {"*11\r\n", "*1\r\n*2147483647\r\n"}) {
    ReplyReader bounded(30);
    ASSERT_TRUE(bounded.feed(header.data(), header.size()).ok());
    Result<std::optional<RedisReply>> refused = bounded.next();
    ASSERT_FALSE(refused.ok()) << header;
    EXPECT_EQ(refused.error().code, ErrorCode::kProtocol);
    EXPECT_NE(refused.error().message.find("cannot fit in max_reply_bytes"), std::string::npos)
        << refused.error().message;
  }
}

}  // namespace
}  // namespace faultline::backends::redis::detail
