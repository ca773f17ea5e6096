// The SessionLockStore conformance suite's harness for the simulated PostgreSQL node (PgNode,
// fault-free network). A session is ended by the server with World::disconnect between the
// session's client process and the node, which ends every session of that client, as a dropped
// network path would.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "faultline/sim/network.h"
#include "faultline/sim/pg_lock_session.h"
#include "faultline/sim/world.h"
#include "tests/locks/session_lock_store_conformance.h"

namespace faultline::testing {
namespace {

// Remembers which client each session belongs to, for kill_session().
class RecordingStore final : public locks::SessionLockStore {
 public:
  RecordingStore(std::unique_ptr<sim::SimSessionLockStore> inner, sim::Process& client,
                 std::map<const locks::LockSession*, sim::Process*>& owners)
      : inner_(std::move(inner)), client_(client), owners_(owners) {}

  Task<Result<std::unique_ptr<locks::LockSession>>> open_session(Duration timeout) override {
    Result<std::unique_ptr<locks::LockSession>> session = co_await inner_->open_session(timeout);
    // Overwrites: a new session may reuse a destroyed one's address.
    if (session.ok()) owners_[session->get()] = &client_;
    co_return session;
  }

 private:
  std::unique_ptr<sim::SimSessionLockStore> inner_;
  sim::Process& client_;
  std::map<const locks::LockSession*, sim::Process*>& owners_;
};

class SimHarness final : public SessionLockStoreHarness {
 public:
  SimHarness() : network_(world_), node_(world_.add_process("postgres")) {
    for (int i = 0; i < kClients; ++i) {
      sim::Process& p = world_.add_process(fmt::format("client-{}", i));
      clients_.push_back(&p);
      stores_.push_back(std::make_unique<RecordingStore>(
          std::make_unique<sim::SimSessionLockStore>(network_, p, node_), p, owners_));
    }
    world_.start();
  }

  locks::SessionLockStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }
  Clock& clock() override { return clients_.front()->clock(); }

  void run(std::vector<std::function<Task<void>()>> bodies) override {
    std::size_t done = 0;
    for (auto& body : bodies) clients_.front()->spawn(wrap(std::move(body), done));
    while (done < bodies.size() && world_.step()) {
    }
    if (done < bodies.size()) {
      throw std::runtime_error("simulated run ended before every body finished");
    }
  }

  void wait(Duration duration) override { world_.run_until(world_.now() + duration); }

  Result<void> kill_session(locks::LockSession& session) override {
    auto it = owners_.find(&session);
    if (it == owners_.end()) return invalid_argument("session: not opened by this harness");
    world_.disconnect(*it->second, node_.host());
    return Ok{};
  }

  locks::AdvisoryLockId unique_id() override { return next_id_++; }
  std::string unique_key() override { return fmt::format("conformance:{}", next_key_++); }
  std::string name() const override { return "simulated postgres node"; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body, std::size_t& done) {
    co_await body();
    ++done;
  }

  sim::World world_{0xC0FFEE};
  sim::Network network_;
  sim::PgNode node_;
  std::vector<sim::Process*> clients_;
  std::map<const locks::LockSession*, sim::Process*> owners_;
  std::vector<std::unique_ptr<RecordingStore>> stores_;
  locks::AdvisoryLockId next_id_ = 1;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<SessionLockStoreHarness> make_session_lock_store_harness(std::string&) {
  return std::make_unique<SimHarness>();
}

}  // namespace faultline::testing
