// Takes and releases a lease lock inside the simulator, through the installed package.
#include <cstdio>
#include <optional>

#include "faultline/locks/lease_lock.h"
#include "faultline/sim/topology.h"

namespace {

faultline::Task<void> take_and_release(faultline::locks::LeaseLock& lock, int& token) {
  auto lease = co_await lock.acquire();
  if (!lease) co_return;
  auto released = co_await lock.release(*lease);
  if (released) token = static_cast<int>(lease->token);
}

}  // namespace

int main() {
  faultline::sim::Topology topology(
      faultline::sim::TopologyBuilder(7).redis("redis").client("client"));
  faultline::sim::Process& client = topology.process("client");
  auto lock = faultline::locks::LeaseLock::create(topology.lock_store("client", "redis"),
                                                  client.clock(), client.rng(), "demo",
                                                  faultline::locks::LeaseLockOptions{});
  if (!lock) return 1;
  int token = 0;
  client.spawn(take_and_release(*lock, token));
  while (topology.world().step()) {
  }
  std::printf("consumer: acquired and released with fencing token %d\n", token);
  return token == 1 ? 0 : 1;
}
