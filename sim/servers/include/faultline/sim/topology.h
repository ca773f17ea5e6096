// Topology: a simulated deployment described in one place (seed, links, named servers and
// clients) and built in a fixed order, in the spirit of turmoil's Builder.
//
//   sim::TopologyBuilder spec(seed);
//   spec.link(profile)                        // every link's profile (Network::set_default)
//       .client_links(request, reply)         // client -> server and server -> client links
//       .service("storage")                   // a host for another model (a RegisterNode...)
//       .redis("redis-1", {.replica_lag = 50ms})
//       .postgres("postgres")
//       .clients(3, boot);                    // client-1 .. client-3, each booted by `boot`
//   sim::Topology topology(spec);             // or spec.build()
//   sim::SimLockStore& store = topology.lock_store("client-1", "redis-1");
//   topology.faults().crash(topology.process("redis-1"), /*persist=*/false);
//   topology.start();
//
// Building does, in this order (so that the same description is the same run):
//   1. World(seed), its Network, the default link;
//   2. each host in declaration order: its process (ids 1, 2, ... in that order; each takes one
//      draw from the world's Rng to seed its own), then its model (a RedisNode with its replica
//      and AOF settings; a PgNode with its keepalive, watching the network for partitions
//      unless told not to), then its boot hook;
//   3. each client in declaration order: its links to every server (client_links), a
//      SimLockStore for every Redis node and a SimSessionLockStore for every PostgreSQL node.
// Servers are the hosts that are not clients (Redis, PostgreSQL and services).
//
// Determinism: one seed. Building draws from the world's Rng only one value per host (its
// process's seed), in declaration order, as adding those processes by hand does; everything
// after that comes from the World as usual.
//
// Restartable processes: a host's boot hook is its on_start hook, run at start() and again at
// every restart after a crash (Faults::restart, or a plan's crash that ends): spawn the host's
// coroutines there, and they begin afresh after each crash, as a rebooted machine's do.
//
// Faults: faults() is the one fault facade (faults.h); sim::apply(topology.faults(), history,
// plan) schedules a plan through it.
//
// Ownership: the Topology owns the World, the Network, the nodes and the stores; what it hands
// out lives as long as it does. Its destructor destroys the World first (and with it every
// coroutine frame), then the nodes and stores. Objects of the caller that coroutines refer to
// must outlive the World (or belong to a process's state), as world.h says.
// Thread-safety: none; a Topology belongs to the thread that runs its World.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "faultline/sim/faults.h"
#include "faultline/sim/network.h"
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/pg_node.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/redis_node.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class Topology;

struct RedisOptions {
  std::optional<Duration> replica_lag{};   // RedisNode::enable_replica: a crash fails over
  std::optional<Duration> aof_everysec{};  // RedisNode::enable_aof_everysec (else fsync always)
};

struct PostgresOptions {
  std::optional<Keepalive> keepalive{};  // PgNode::set_keepalive (else Linux's defaults)
  // PgNode::watch: a partition outlasting the keepalive ends the cut-off clients' sessions, as
  // unanswered probes do on a real server.
  bool watch_partitions = true;
};

class TopologyBuilder {
 public:
  // Runs at start() and at every restart of its process: spawn the process's coroutines here.
  using Boot = std::function<void(Process&)>;

  explicit TopologyBuilder(std::uint64_t seed) : seed_(seed) {}

  // The profile of every link without one of its own.
  TopologyBuilder& link(const LinkProfile& profile);
  // The profiles of every client -> server link (requests) and server -> client link (replies),
  // e.g. request_link / reply_link with a plan's NetworkFaults.
  TopologyBuilder& client_links(const LinkProfile& request, const LinkProfile& reply);

  // Hosts, created in the order declared. Names are unique.
  TopologyBuilder& redis(std::string name, RedisOptions options = {});
  TopologyBuilder& postgres(std::string name, PostgresOptions options = {});
  // A server host for a model the topology does not know (a RegisterNode, a scenario's
  // service): construct the model on process(name) once built.
  TopologyBuilder& service(std::string name, Boot boot = {});
  TopologyBuilder& client(std::string name, Boot boot = {});
  // `count` clients named client-1 .. client-<count>, the names fault spaces use.
  TopologyBuilder& clients(int count, const Boot& boot = {});

  // The same description may be built any number of times; each build is a fresh World.
  [[nodiscard]] std::unique_ptr<Topology> build() const;

 private:
  friend class Topology;
  enum class Role { kClient, kService, kRedis, kPostgres };
  struct Host {
    std::string name;
    Role role = Role::kClient;
    Boot boot;
    RedisOptions redis;
    PostgresOptions postgres;
  };

  std::uint64_t seed_;
  std::optional<LinkProfile> link_;
  std::optional<std::pair<LinkProfile, LinkProfile>> client_links_;
  std::vector<Host> hosts_;
};

class Topology {
 public:
  explicit Topology(const TopologyBuilder& spec);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  [[nodiscard]] World& world() noexcept { return *world_; }
  [[nodiscard]] Network& network() noexcept { return network_; }
  [[nodiscard]] Faults faults() noexcept { return Faults(*world_, network_); }

  // Any host by name; a name the description lacks is a bug (an invariant fails).
  [[nodiscard]] Process& process(std::string_view name);
  // The clients, in declaration order.
  [[nodiscard]] const std::vector<Process*>& clients() const noexcept { return clients_; }
  [[nodiscard]] Process& client(std::size_t index) { return *clients_.at(index); }

  [[nodiscard]] RedisNode& redis(std::string_view name);
  [[nodiscard]] PgNode& postgres(std::string_view name);
  // The store through which `client` talks to the Redis node (PostgreSQL node) `node`.
  [[nodiscard]] SimLockStore& lock_store(std::string_view client, std::string_view node);
  [[nodiscard]] SimSessionLockStore& session_store(std::string_view client, std::string_view node);

  // Boots every process (World::start). Call once, after wiring what the boot hooks use.
  void start() { world_->start(); }

 private:
  using ClientNode = std::pair<ProcessId, ProcessId>;  // ids of a client and a node
  void add_host(const TopologyBuilder::Host& host);
  void wire_client(Process& client, const TopologyBuilder& spec);

  std::unique_ptr<World> world_;
  Network network_;
  std::vector<Process*> clients_;
  std::vector<Process*> servers_;  // in declaration order
  std::map<std::string, std::unique_ptr<RedisNode>, std::less<>> redis_;
  std::map<std::string, std::unique_ptr<PgNode>, std::less<>> postgres_;
  std::map<ClientNode, std::unique_ptr<SimLockStore>> lock_stores_;
  std::map<ClientNode, std::unique_ptr<SimSessionLockStore>> session_stores_;
};

}  // namespace faultline::sim
