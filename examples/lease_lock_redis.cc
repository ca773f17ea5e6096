// Takes a lease lock on a real Redis server, prints its fencing token, and lets it go.
//
//   lease_lock_redis_example --port 6390 [--host 127.0.0.1] [--key example:lock]
//
// Exit status 0 on success; otherwise 1 with the typed error on stderr.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/lease_lock.h"

namespace {

using namespace faultline;

Task<Result<locks::FencingToken>> take_and_release(locks::LeaseLock& lock) {
  Result<locks::Lease> lease = co_await lock.acquire();
  if (!lease.ok()) co_return std::move(lease).error();
  // ... the critical section: pass lease->token to every write the lock protects ...
  if (Result<void> released = co_await lock.release(*lease); !released.ok()) {
    co_return std::move(released).error();
  }
  co_return lease->token;  // the owner token (lease->owner) is a secret: never print it
}

int fail(const Error& error) {
  std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  backends::redis::ConnectionOptions options;
  std::string key = "example:lock";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--port") options.port = std::atoi(argv[i + 1]);
    else if (flag == "--host") options.host = argv[i + 1];
    else if (flag == "--key") key = argv[i + 1];
    else return fail(invalid_argument("unknown flag " + std::string(flag)));
  }

  boost::asio::io_context io;
  backends::AsioClock clock;
  backends::SystemRandom random;
  Result<std::unique_ptr<backends::redis::RedisLockStore>> store =
      backends::redis::RedisLockStore::create(io, options);
  if (!store.ok()) return fail(store.error());
  Result<locks::LeaseLock> lock =
      locks::LeaseLock::create(**store, clock, random, key, locks::LeaseLockOptions{});
  if (!lock.ok()) return fail(lock.error());

  Result<locks::FencingToken> token = backends::block_on(io, take_and_release(*lock));
  if (!token.ok()) return fail(token.error());
  std::printf("acquired and released '%s' with fencing token %llu\n", key.c_str(),
              static_cast<unsigned long long>(*token));
  return 0;
}
