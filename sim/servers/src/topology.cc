#include "faultline/sim/topology.h"

#include <fmt/format.h>

#include "faultline/invariant.h"

namespace faultline::sim {

// ---- TopologyBuilder ------------------------------------------------------------------------

TopologyBuilder& TopologyBuilder::link(const LinkProfile& profile) {
  link_ = profile;
  return *this;
}

TopologyBuilder& TopologyBuilder::client_links(const LinkProfile& request,
                                               const LinkProfile& reply) {
  client_links_.emplace(request, reply);
  return *this;
}

TopologyBuilder& TopologyBuilder::redis(std::string name, RedisOptions options) {
  hosts_.push_back(Host{std::move(name), Role::kRedis, {}, options, {}});
  return *this;
}

TopologyBuilder& TopologyBuilder::postgres(std::string name, PostgresOptions options) {
  hosts_.push_back(Host{std::move(name), Role::kPostgres, {}, {}, options});
  return *this;
}

TopologyBuilder& TopologyBuilder::service(std::string name, Boot boot) {
  hosts_.push_back(Host{std::move(name), Role::kService, std::move(boot), {}, {}});
  return *this;
}

TopologyBuilder& TopologyBuilder::client(std::string name, Boot boot) {
  hosts_.push_back(Host{std::move(name), Role::kClient, std::move(boot), {}, {}});
  return *this;
}

TopologyBuilder& TopologyBuilder::clients(int count, const Boot& boot) {
  for (int i = 1; i <= count; ++i) client(fmt::format("client-{}", i), boot);
  return *this;
}

std::unique_ptr<Topology> TopologyBuilder::build() const {
  return std::make_unique<Topology>(*this);
}

// ---- Topology -------------------------------------------------------------------------------

Topology::Topology(const TopologyBuilder& spec)
    : world_(std::make_unique<World>(spec.seed_)), network_(*world_) {
  if (spec.link_) network_.set_default(*spec.link_);
  for (const TopologyBuilder::Host& host : spec.hosts_) add_host(host);
  for (Process* client : clients_) wire_client(*client, spec);
}

// The World goes first: its coroutine frames die before the nodes and stores they refer to.
// Before it, the PostgreSQL nodes drop their waiting lock() calls, whose replies hold their
// callers' coroutines (rpc.h's Reply), so that those die with the World too.
Topology::~Topology() {
  for (auto& [name, node] : postgres_) node->drop_waiters();
  world_.reset();
}

void Topology::add_host(const TopologyBuilder::Host& host) {
  Process& p = world_->add_process(host.name);
  using Role = TopologyBuilder::Role;
  if (host.role == Role::kClient) {
    clients_.push_back(&p);
  } else {
    servers_.push_back(&p);
  }
  if (host.role == Role::kRedis) {
    auto node = std::make_unique<RedisNode>(p);
    if (host.redis.replica_lag) node->enable_replica(*host.redis.replica_lag);
    if (host.redis.aof_everysec) node->enable_aof_everysec(*host.redis.aof_everysec);
    redis_.emplace(host.name, std::move(node));
  } else if (host.role == Role::kPostgres) {
    auto node = std::make_unique<PgNode>(p);
    if (host.postgres.keepalive) node->set_keepalive(*host.postgres.keepalive);
    if (host.postgres.watch_partitions) node->watch(network_);
    postgres_.emplace(host.name, std::move(node));
  }
  if (host.boot) p.on_start(host.boot);
}

void Topology::wire_client(Process& client, const TopologyBuilder& spec) {
  if (spec.client_links_) {
    for (Process* server : servers_) {
      network_.set_link(client.id(), server->id(), spec.client_links_->first);
      network_.set_link(server->id(), client.id(), spec.client_links_->second);
    }
  }
  for (auto& [name, node] : redis_) {
    lock_stores_.emplace(ClientNode{client.id(), node->host().id()},
                         std::make_unique<SimLockStore>(network_, client, *node));
  }
  for (auto& [name, node] : postgres_) {
    session_stores_.emplace(ClientNode{client.id(), node->host().id()},
                            std::make_unique<SimSessionLockStore>(network_, client, *node));
  }
}

Process& Topology::process(std::string_view name) {
  Process* p = world_->find_process(name);
  FAULTLINE_INVARIANT(p != nullptr, "the topology has a host of that name");
  return *p;
}

RedisNode& Topology::redis(std::string_view name) {
  const auto it = redis_.find(name);
  FAULTLINE_INVARIANT(it != redis_.end(), "the topology has a Redis node of that name");
  return *it->second;
}

PgNode& Topology::postgres(std::string_view name) {
  const auto it = postgres_.find(name);
  FAULTLINE_INVARIANT(it != postgres_.end(), "the topology has a PostgreSQL node of that name");
  return *it->second;
}

SimLockStore& Topology::lock_store(std::string_view client, std::string_view node) {
  const auto it = lock_stores_.find(ClientNode{process(client).id(), redis(node).host().id()});
  FAULTLINE_INVARIANT(it != lock_stores_.end(), "lock stores belong to clients");
  return *it->second;
}

SimSessionLockStore& Topology::session_store(std::string_view client, std::string_view node) {
  const auto it =
      session_stores_.find(ClientNode{process(client).id(), postgres(node).host().id()});
  FAULTLINE_INVARIANT(it != session_stores_.end(), "session stores belong to clients");
  return *it->second;
}

}  // namespace faultline::sim
