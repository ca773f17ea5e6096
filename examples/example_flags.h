// What the Redis examples share: their flags (--port, --host, --key) and how they report an
// error. Header-only; examples only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "faultline/backends/redis/connection_options.h"
#include "faultline/result.h"

namespace faultline::examples {

struct RedisExampleFlags {
  backends::redis::ConnectionOptions redis;
  std::string key;
};

// `--port N`, `--host H`, `--key K`, in any order; kInvalidArgument naming an unknown flag or
// one without its value.
inline Result<RedisExampleFlags> parse_flags(int argc, char** argv, std::string default_key) {
  RedisExampleFlags flags{{}, std::move(default_key)};
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return invalid_argument(std::string(flag) + ": missing its value");
    if (flag == "--port") flags.redis.port = std::atoi(argv[i + 1]);
    else if (flag == "--host") flags.redis.host = argv[i + 1];
    else if (flag == "--key") flags.key = argv[i + 1];
    else return invalid_argument("unknown flag " + std::string(flag));
  }
  return flags;
}

// Prints the typed error on stderr; returns the exit status 1.
inline int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace faultline::examples
