// Takes a lease lock on a real Redis server, prints its fencing token, and lets it go.
//
//   lease_lock_redis_example --port 6390 [--host 127.0.0.1] [--key example:lock]
//
// Exit status 0 on success; otherwise 1 with the typed error on stderr.
#include <cstdio>
#include <string>

#include <boost/asio/io_context.hpp>

#include "examples/example_flags.h"
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

}  // namespace

int main(int argc, char** argv) {
  Result<examples::RedisExampleFlags> flags = examples::parse_flags(argc, argv, "example:lock");
  if (!flags.ok()) return examples::fail(flags.error());
  const backends::redis::ConnectionOptions& options = flags->redis;
  const std::string& key = flags->key;

  boost::asio::io_context io;
  backends::AsioClock clock;
  backends::SystemRandom random;
  Result<std::unique_ptr<backends::redis::RedisLockStore>> store =
      backends::redis::RedisLockStore::create(io, options);
  if (!store.ok()) return examples::fail(store.error());
  Result<locks::LeaseLock> lock =
      locks::LeaseLock::create(**store, clock, random, key, locks::LeaseLockOptions{});
  if (!lock.ok()) return examples::fail(lock.error());

  Result<locks::FencingToken> token = backends::block_on(io, take_and_release(*lock));
  if (!token.ok()) return examples::fail(token.error());
  std::printf("acquired and released '%s' with fencing token %llu\n", key.c_str(),
              static_cast<unsigned long long>(*token));
  return 0;
}
