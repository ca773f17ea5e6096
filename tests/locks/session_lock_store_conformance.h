// The SessionLockStore conformance suite's view of a backend.
//
// One suite (session_lock_store_conformance_test.cc) checks the same properties against every
// SessionLockStore implementation: the simulator's PgNode model and a real PostgreSQL server.
// Each backend provides make_session_lock_store_harness() in its own translation unit
// (session_lock_store_conformance_sim.cc, session_lock_store_conformance_pg.cc); the suite links
// against exactly one of them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faultline/clock.h"
#include "faultline/locks/session_lock_store.h"
#include "faultline/result.h"
#include "faultline/task.h"

namespace faultline::testing {

class SessionLockStoreHarness {
 public:
  virtual ~SessionLockStoreHarness() = default;
  // Clients 0..kClients-1 each have their own store (sessions opened through it are connections
  // of that client).
  static constexpr int kClients = 3;
  virtual locks::SessionLockStore& store(int client) = 0;
  // The clients' clock: sleep on it inside a body, read it to time a call (virtual time in the
  // simulator, a steady clock otherwise).
  virtual Clock& clock() = 0;
  // Runs every body concurrently on the backend's executor, until all have finished.
  virtual void run(std::vector<std::function<Task<void>()>> bodies) = 0;
  void run(std::function<Task<void>()> body) {
    std::vector<std::function<Task<void>()>> bodies;
    bodies.push_back(std::move(body));
    run(std::move(bodies));
  }
  // Lets `duration` pass on the server's clock (virtual in the simulator, real otherwise).
  virtual void wait(Duration duration) = 0;
  // Has the server end `session` as if its connection had dropped (the simulator disconnects
  // the session's client from the node, which ends every session of that client; PostgreSQL
  // runs pg_terminate_backend on the session's backend from another session). `session` must
  // come from one of this harness's stores. Returns once the server has ended it: its locks are
  // released, and the end has reached the client's connection (in the simulator at once; over
  // PostgreSQL once the backend has exited and closed its socket), so that the session's next
  // call certainly finds it over.
  [[nodiscard]] virtual Result<void> kill_session(locks::LockSession& session) = 0;
  // A lock id, and a fencing key, no other test (or earlier run against the same server) used.
  virtual locks::AdvisoryLockId unique_id() = 0;
  virtual std::string unique_key() = 0;
  // Human-readable backend name, for messages.
  virtual std::string name() const = 0;
};

// Null when the backend is not available (the suite then skips with the reason).
std::unique_ptr<SessionLockStoreHarness> make_session_lock_store_harness(std::string& why_not);

}  // namespace faultline::testing
