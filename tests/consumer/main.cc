// Takes and releases a lease lock inside the simulator, through the installed package.
#include <cstdio>
#include <optional>

#include "faultline/locks/lease_lock.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/world.h"

namespace {

faultline::Task<void> take_and_release(faultline::locks::LeaseLock& lock, int& token) {
  auto lease = co_await lock.acquire();
  if (!lease) co_return;
  auto released = co_await lock.release(*lease);
  if (released) token = static_cast<int>(lease->token);
}

}  // namespace

int main() {
  faultline::sim::World world(7);
  faultline::sim::Network network(world);
  faultline::sim::RedisNode node(world.add_process("redis"));
  faultline::sim::Process& client = world.add_process("client");
  faultline::sim::SimLockStore store(network, client, node);
  auto lock = faultline::locks::LeaseLock::create(store, client.clock(), client.rng(), "demo",
                                                  faultline::locks::LeaseLockOptions{});
  if (!lock) return 1;
  int token = 0;
  client.spawn(take_and_release(*lock, token));
  while (world.step()) {
  }
  std::printf("consumer: acquired and released with fencing token %d\n", token);
  return token == 1 ? 0 : 1;
}
