// The SessionLockStore conformance suite's harness for the simulated PostgreSQL node (PgNode,
// fault-free network). A session is ended by the server with the disconnect fault between the
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
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"
#include "tests/locks/session_lock_store_conformance.h"

namespace faultline::testing {
namespace {

// Remembers which client each session belongs to, for kill_session().
class RecordingStore final : public locks::SessionLockStore {
 public:
  RecordingStore(sim::SimSessionLockStore& inner, sim::Process& client,
                 std::map<const locks::LockSession*, sim::Process*>& owners)
      : inner_(inner), client_(client), owners_(owners) {}

  Task<Result<std::unique_ptr<locks::LockSession>>> open_session(Duration timeout) override {
    Result<std::unique_ptr<locks::LockSession>> session = co_await inner_.open_session(timeout);
    // Overwrites: a new session may reuse a destroyed one's address.
    if (session.ok()) owners_[session->get()] = &client_;
    co_return session;
  }

 private:
  sim::SimSessionLockStore& inner_;
  sim::Process& client_;
  std::map<const locks::LockSession*, sim::Process*>& owners_;
};

class SimHarness final : public SessionLockStoreHarness {
 public:
  SimHarness() : topology_(sim::TopologyBuilder(0xC0FFEE).postgres("postgres").clients(kClients)) {
    for (sim::Process* p : topology_.clients()) {
      stores_.push_back(std::make_unique<RecordingStore>(
          topology_.session_store(p->name(), "postgres"), *p, owners_));
    }
    topology_.start();
  }

  locks::SessionLockStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }
  Clock& clock() override { return topology_.client(0).clock(); }

  void run(std::vector<std::function<Task<void>()>> bodies) override {
    std::size_t done = 0;
    for (auto& body : bodies) topology_.client(0).spawn(wrap(std::move(body), done));
    while (done < bodies.size() && world().step()) {
    }
    if (done < bodies.size()) {
      throw std::runtime_error("simulated run ended before every body finished");
    }
  }

  void wait(Duration duration) override { world().run_until(world().now() + duration); }

  Result<void> kill_session(locks::LockSession& session) override {
    auto it = owners_.find(&session);
    if (it == owners_.end()) return invalid_argument("session: not opened by this harness");
    topology_.faults().disconnect(*it->second, topology_.process("postgres"));
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

  sim::World& world() { return topology_.world(); }

  sim::Topology topology_;
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
