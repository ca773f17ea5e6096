#include "scenarios/locks/server_spans.h"

#include <fmt/format.h>

#include <algorithm>

#include "faultline/invariant.h"
#include "faultline/sim/redis_locks.h"

namespace faultline::scenarios {

using Kind = sim::LockEvent::Kind;

ServerSpans::~ServerSpans() {
  for (sim::RedisNode* node : redis_) node->set_lock_observer({});
  for (sim::PgNode* node : postgres_) node->set_lock_observer({});
}

void ServerSpans::watch(sim::RedisNode& node) {
  sim::Process* server = &node.host();
  node.set_lock_observer([this, server](const sim::LockEvent& e) { on_event(*server, e); });
  redis_.push_back(&node);
}

void ServerSpans::watch(sim::PgNode& node) {
  sim::Process* server = &node.host();
  node.set_lock_observer([this, server](const sim::LockEvent& e) { on_event(*server, e); });
  postgres_.push_back(&node);
}

std::unique_ptr<ServerSpans> ServerSpans::watching(bool wanted, sim::History& history,
                                                   sim::Topology& topology,
                                                   std::span<const std::string> nodes,
                                                   bool postgres) {
  if (!wanted) return nullptr;
  auto spans = std::make_unique<ServerSpans>(history);
  for (const std::string& name : nodes) {
    if (postgres) {
      spans->watch(topology.postgres(name));
    } else {
      spans->watch(topology.redis(name));
    }
  }
  return spans;
}

void ServerSpans::name_owner(const std::string& owner, const std::string& client) {
  if (!owner.empty()) clients_.insert_or_assign(owner, client);
}

void ServerSpans::on_event(sim::Process& server, const sim::LockEvent& event) {
  lapse(server, event.at);
  const Where where{server.id(), std::string(event.key)};
  switch (event.kind) {
    case Kind::kGranted:
      if (open_.contains(where)) close(where, "lapsed");
      open(server, event);
      return;
    case Kind::kExtended: {
      const auto it = open_.find(where);
      if (it == open_.end()) {
        open(server, event);
      } else if (event.expires_at) {
        it->second.expires_at = event.expires_at;
        it->second.to = true_expiry(server, *event.expires_at);
      }
      return;
    }
    case Kind::kReleased:
      if (open_.contains(where)) close(where, "released");
      return;
    case Kind::kDataReplaced:
      data_replaced(server, event);
      return;
  }
}

sim::SimTime ServerSpans::true_expiry(sim::Process& server, sim::WallTime expires_at) const {
  // A key lives through its expiry millisecond: it is gone once the clock reaches the next one.
  const sim::WallTime gone = expires_at + std::chrono::milliseconds(1);
  const Duration left = gone - server.clock().wall_now();
  return add_saturating(history_.world().now(), server.clock().to_true(left));
}

void ServerSpans::lapse(sim::Process& server, sim::WallTime at) {
  std::vector<Where> lapsed;
  for (const auto& [where, hold] : open_) {
    if (where.first == server.id() && hold.expires_at && at > *hold.expires_at) {
      lapsed.push_back(where);
    }
  }
  for (const Where& where : lapsed) close(where, "expired");
}

void ServerSpans::open(sim::Process& server, const sim::LockEvent& event) {
  Hold hold;
  hold.server = server.id();
  hold.owner = std::string(event.owner);
  hold.token = event.token;
  hold.session = !event.expires_at;
  hold.from = history_.world().now();
  hold.expires_at = event.expires_at;
  if (event.expires_at) hold.to = true_expiry(server, *event.expires_at);
  open_.insert_or_assign(Where{server.id(), std::string(event.key)}, std::move(hold));
}

// Ends the open hold at `where` now, or at its expiry if that came first.
void ServerSpans::close(const Where& where, std::string why) {
  const auto it = open_.find(where);
  FAULTLINE_INVARIANT(it != open_.end(), "only an open hold is closed");
  Hold hold = std::move(it->second);
  open_.erase(it);
  const sim::SimTime now = history_.world().now();
  const bool expired_first = hold.to && *hold.to <= now;
  hold.ended = expired_first ? std::string("expired") : std::move(why);
  hold.to = expired_first ? *hold.to : now;
  closed_.push_back(std::move(hold));
}

void ServerSpans::data_replaced(sim::Process& server, const sim::LockEvent& event) {
  FAULTLINE_INVARIANT(event.data != nullptr, "a data replacement comes with the new data");
  std::vector<Where> lost;
  for (auto& [where, hold] : open_) {
    if (where.first != server.id()) continue;
    const auto kept = sim::RedisLocks::peek_holder(*event.data, where.second);
    if (!kept || kept->owner != hold.owner || kept->token != hold.token) {
      lost.push_back(where);
    } else if (kept->expires_at && kept->expires_at != hold.expires_at) {
      hold.expires_at = kept->expires_at;  // the copy that survived had an older expiry
      hold.to = true_expiry(server, *kept->expires_at);
    }
  }
  for (const Where& where : lost) close(where, "lost in a crash");
}

std::string ServerSpans::label(const Hold& hold) const {
  std::string who = hold.session ? hold.owner : std::string("an owner no lease came from");
  if (const auto it = clients_.find(hold.owner); !hold.session && it != clients_.end()) {
    who = it->second;
  }
  return fmt::format("granted to {} {} {} ({})", who, hold.session ? "session" : "token",
                     hold.token, hold.ended);
}

void ServerSpans::finish() {
  const sim::SimTime now = history_.world().now();
  while (!open_.empty()) {
    const auto first = open_.begin();
    Hold hold = std::move(first->second);
    open_.erase(first);
    hold.ended = !hold.to ? "held at the end" : *hold.to <= now ? "expired" : "held to its expiry";
    hold.to = hold.to.value_or(now);
    closed_.push_back(std::move(hold));
  }
  for (const Hold& hold : closed_) {
    history_.span(hold.server, label(hold), hold.from, std::max(hold.from, *hold.to));
  }
  closed_.clear();
}

}  // namespace faultline::scenarios
