// The SessionLockStore conformance suite's harness for a real PostgreSQL server
// (PgSessionLockStore). The server comes from FAULTLINE_PG_*, which scripts/postgres-server.sh
// sets in `run` mode; without it the suite skips. A session is ended by the server with
// pg_terminate_backend(pid) from an administrative session of the harness's own.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/postgres/advisory_lock_store.h"
#include "faultline/backends/postgres/connection.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/advisory_lock_id.h"
#include "faultline/random.h"
#include "tests/support/postgres_env.h"
#include "tests/locks/session_lock_store_conformance.h"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using backends::postgres::Connection;
using backends::postgres::ConnectionOptions;
using backends::postgres::PgLockSession;
using backends::postgres::PgResult;
using backends::postgres::PgSessionLockStore;

class PgHarness final : public SessionLockStoreHarness {
 public:
  explicit PgHarness(ConnectionOptions options) : options_(std::move(options)) {
    for (int i = 0; i < kClients; ++i) {
      ConnectionOptions client_options = options_;
      client_options.application_name = fmt::format("faultline-conformance-{}", i);
      auto store = PgSessionLockStore::create(io_, client_options);
      if (!store) throw std::runtime_error(store.error().to_string());
      stores_.push_back(std::move(store).value());
    }
    // Ids and keys unique across runs too: the server (and its fencing table) may be shared.
    backends::SystemRandom random;
    prefix_ = "conformance:" + random_token(random).substr(0, 12);
  }

  locks::SessionLockStore& store(int client) override {
    return *stores_.at(static_cast<std::size_t>(client));
  }
  Clock& clock() override { return clock_; }

  void run(std::vector<std::function<Task<void>()>> bodies) override {
    std::size_t done = 0;
    std::exception_ptr failure;
    for (auto& body : bodies) {
      boost::asio::co_spawn(io_, wrap(std::move(body)), [&](std::exception_ptr e) {
        if (e && !failure) failure = e;
        ++done;
      });
    }
    if (io_.stopped()) io_.restart();
    while (done < bodies.size()) {
      if (io_.run_one() == 0) throw std::logic_error("the io_context ran out of work");
    }
    if (failure) std::rethrow_exception(failure);
  }

  // Real time must pass on the server; the harness has nothing else to do meanwhile.
  void wait(Duration duration) override { std::this_thread::sleep_for(duration); }

  Result<void> kill_session(locks::LockSession& session) override {
    auto* pg = dynamic_cast<PgLockSession*>(&session);
    if (pg == nullptr) return invalid_argument("session: not a PgLockSession");
    if (pg->backend_pid() == 0) return failed_precondition("session: already lost");
    if (!admin_ || admin_->lost()) {
      Result<Connection> admin = backends::block_on(io_, Connection::connect(io_, options_, 5s));
      if (!admin.ok()) return std::move(admin).error();
      admin_.emplace(std::move(admin).value());
    }
    // With a timeout, pg_terminate_backend waits for the backend to exit (which releases its
    // locks), and returns false if it did not within the timeout.
    const std::array<std::string, 1> pid{std::to_string(pg->backend_pid())};
    Result<PgResult> killed = backends::block_on(
        io_, admin_->query("SELECT pg_terminate_backend($1::int, 5000)", pid, 10s));
    if (!killed.ok()) return std::move(killed).error();
    if (killed->is_error()) return killed->to_error();
    if (killed->cell(0, 0) != "t") {
      return failed_precondition("pg_terminate_backend(" + pid[0] + ") did not end the backend");
    }
    // The server has ended the session once the backend's socket is closed too, which it does
    // last, after releasing the locks. Until then the client may have the FATAL message but not
    // the EOF, and a call in that window is sent into the dying connection (kOutcomeUnknown).
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (!pg->lost() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(1ms);
    }
    if (!pg->lost()) return failed_precondition("session: still connected 5s after its kill");
    return Ok{};
  }

  locks::AdvisoryLockId unique_id() override {
    const std::string key = fmt::format("{}:{}", prefix_, next_id_++);
    Result<locks::AdvisoryLockId> id = locks::advisory_lock_id("faultline-conformance", key);
    if (!id.ok()) throw std::runtime_error(id.error().to_string());
    return *id;
  }
  std::string unique_key() override { return fmt::format("{}:{}", prefix_, next_key_++); }
  std::string name() const override { return "postgresql server"; }

 private:
  static Task<void> wrap(std::function<Task<void>()> body) { co_await body(); }

  boost::asio::io_context io_{1};
  backends::AsioClock clock_;
  ConnectionOptions options_;
  std::vector<std::unique_ptr<PgSessionLockStore>> stores_;
  std::optional<Connection> admin_;
  std::string prefix_;
  int next_id_ = 0;
  int next_key_ = 0;
};

}  // namespace

std::unique_ptr<SessionLockStoreHarness> make_session_lock_store_harness(std::string& why_not) {
  std::optional<ConnectionOptions> options = options_from_env();
  if (!options) {
    why_not = kPgEnvMissing;
    return nullptr;
  }
  return std::make_unique<PgHarness>(std::move(*options));
}

}  // namespace faultline::testing
