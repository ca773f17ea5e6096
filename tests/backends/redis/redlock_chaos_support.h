// Redlock under real faults: clients loop on fenced read-modify-write critical sections while a
// chaos coroutine stops, continues, kills and restarts the Redis servers under them.
//
//   scripts/redis-servers.sh run 5 -- ctest --test-dir build -L redis
//
// The resource is an in-process register guarded by faultline::locks::FencedResource (reads and
// writes both carry the lease's fencing token, as sim/include/faultline/sim/register_node.h does),
// with a log of every applied write. Each section: Redlock acquire -> read -> short async sleep
// -> write value + 1 with the token -> release.
//
// The fencing tokens come from the durable server (FAULTLINE_REDIS_DURABLE_PORT: AOF with
// appendfsync always), which the chaos never faults: the token source must be durable and
// linearizable (the five nodes persist nothing; a token node that restarted empty, or from an
// AOF missing its last second, would hand out tokens again, and two holders could get equal
// ones: lease-lock/fenced-counter-rollback in the simulator).
//
// Faults (seconds after the clients start; each runs on the real processes):
//   0.7  SIGSTOP node 3                       one node slow: every round pays one node_timeout
//   1.4  SIGKILL node 4                       and one dead: quorum from nodes 0, 1, 2 only
//   2.0  SIGSTOP node 2 ... 2.6 SIGCONT       three of five out: acquires must fail, not hang
//   3.0  restart node 4 (empty: no persistence), wait for PING
//   3.6  SIGCONT node 3
//   3.7  client 0 stalls inside its next section for ttl + 400 ms (a GC pause, a stopped VM):
//        its lease expires, another client takes the lock and reads with a newer token, and
//        the stalled write must be refused by fencing
//   4.2  SIGSTOP node 1 ... 4.7 SIGCONT
//   5.5  clients stop starting sections (or, if client 0's stall began late, once it is over:
//        at most kStallGrace later)
// A scope guard continues every stopped node and restarts the killed one whatever happens, so
// the tests that run after this one still find five servers.
//
// Asserted: no stale write and no lost update (the applied writes chain 1, 2, 3, ... with strictly
// increasing tokens, each one's previous value the one before it) and every section that
// reported success is in the log; the stalled holder's late write was refused. Which sections
// overlapped (one's acquire returned while another was still inside, by the test's steady
// clock): every overlapping pair includes the stalled section, and some section did overlap
// it (the lock was taken while it stalled); the sections that wrote satisfy the simulator's
// mutual-exclusion invariant (scenarios/lock_invariants.h) over their acquire-to-write
// intervals. Reported (RecordProperty and stdout): sections run, succeeded, refused by fencing,
// acquire errors by kind (busy = another holder, unavailable = too many nodes out), release
// errors, and overlaps.
//
// This header holds the harness: the fenced register, the node processes the chaos
// stops and restarts, the clients' sections and their record.
#pragma once
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "tests/support/redis_env.h"
#include "faultline/backends/asio_clock.h"
#include "faultline/backends/block_on.h"
#include "faultline/backends/redis/connection.h"
#include "faultline/backends/redis/lock_store.h"
#include "faultline/backends/system_random.h"
#include "faultline/locks/fenced_resource.h"
#include "faultline/locks/redlock.h"
#include "scenarios/locks/lock_invariants.h"

extern char** environ;

namespace {

using faultline::testing::redis_ports;
using faultline::testing::info_field;

using namespace std::chrono_literals;
using faultline::Duration;
using faultline::ErrorCode;
using faultline::Ok;
using faultline::Result;
using faultline::Task;
using faultline::TimePoint;
using faultline::backends::AsioClock;
using faultline::backends::block_on;
using faultline::backends::SystemRandom;
using faultline::backends::redis::Connection;
using faultline::backends::redis::ConnectionOptions;
using faultline::backends::redis::RedisLockStore;
using faultline::backends::redis::RedisReply;
using faultline::locks::FencingToken;
using faultline::locks::Lease;
using faultline::locks::Redlock;
using faultline::locks::RedlockOptions;

constexpr std::size_t kNodes = 5;
constexpr int kClients = 4;
constexpr Duration kRunFor = 5500ms;
constexpr Duration kReadyBudget = 5s;
constexpr Duration kTtl = 1s;
constexpr Duration kStallAfter = 3700ms;
constexpr Duration kStall = kTtl + 400ms;
constexpr Duration kStallGrace = kStall + 2s;  // how long past kRunFor clients wait for the stall



inline ConnectionOptions options_for(int port) {
  ConnectionOptions options;
  options.port = port;
  options.connect_timeout = 200ms;
  return options;
}

// ---------------------------------------------------------------------------------------------
// The resource: one integer, fenced on reads and writes, with a log of applied writes.

struct AppliedWrite {
  std::uint64_t write_id = 0;
  std::int64_t value = 0;
  std::int64_t previous = 0;
  FencingToken token = 0;
  int client = 0;
};

class FencedRegister {
 public:
  Result<std::int64_t> read(FencingToken token) {
    if (Result<void> admitted = fence_.admit(token); !admitted) return std::move(admitted).error();
    return value_;
  }
  Result<void> write(FencingToken token, std::int64_t value, std::uint64_t write_id, int client) {
    if (Result<void> admitted = fence_.admit(token); !admitted) return admitted;
    log_.push_back(AppliedWrite{write_id, value, value_, token, client});
    value_ = value;
    return Ok{};
  }
  [[nodiscard]] const std::vector<AppliedWrite>& log() const noexcept { return log_; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return fence_.refused(); }

 private:
  faultline::locks::FencedResource fence_;
  std::int64_t value_ = 0;
  std::vector<AppliedWrite> log_;
};

// ---------------------------------------------------------------------------------------------
// One Redis server's process, as scripts/redis-servers.sh started it: enough to stop, continue,
// kill and restart it with the same port, directory, pid file and log file.

class NodeProcess {
 public:
  // Reads the pid and the start-up configuration through a short-lived connection.
  static Result<NodeProcess> inspect(boost::asio::io_context& io, int port) {
    Result<Connection> connection = Connection::create(io, options_for(port));
    if (!connection.ok()) return std::move(connection).error();
    NodeProcess node;
    node.port_ = port;
    Result<RedisReply> info = block_on(io, connection->command({"INFO", "server"}, 2s));
    if (!info.ok()) return std::move(info).error();
    node.pid_ = static_cast<pid_t>(std::atoll(info_field(info->as_text(), "process_id").c_str()));
    if (node.pid_ <= 1) return faultline::unavailable("no process_id in INFO server");
    for (const char* name : {"dir", "pidfile", "logfile", "enable-debug-command"}) {
      Result<RedisReply> got = block_on(io, connection->command({"CONFIG", "GET", name}, 2s));
      if (!got.ok()) return std::move(got).error();
      if (!got->is_array() || got->as_array().size() != 2) {
        return faultline::unavailable(std::string("CONFIG GET ") + name + ": unexpected reply");
      }
      node.config_.emplace_back(name, got->as_array()[1].as_text());
    }
    return node;
  }

  [[nodiscard]] int port() const noexcept { return port_; }

  void stop() { signal(SIGSTOP); }
  void resume() { signal(SIGCONT); }
  void kill() {
    signal(SIGKILL);
    pid_ = 0;  // gone: never signal that number again (it may be reused)
    killed_ = true;
  }
  [[nodiscard]] bool killed() const noexcept { return killed_; }

  // Starts redis-server again with the same arguments (it daemonizes). Returns the pid of the
  // launcher, which exits once the daemon has forked; reap it with waitpid.
  Result<pid_t> spawn() {
    std::vector<std::string> args = {"redis-server", "--port", std::to_string(port_), "--bind",
                                     "127.0.0.1", "--daemonize", "yes", "--save", "",
                                     "--appendonly", "no"};
    for (const auto& [name, value] : config_) {
      if (value.empty()) continue;
      args.push_back("--" + name);
      args.push_back(value);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    // No inherited descriptors: not our sockets (the servers would never see them close) and
    // not ctest's output pipe (ctest would wait for the daemon to exit).
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    for (int fd = 0; fd < 3; ++fd) {
      posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
    }
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    pid_t launcher = 0;
    const int rc = posix_spawnp(&launcher, "redis-server", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return faultline::unavailable("posix_spawnp redis-server: error " + std::to_string(rc));
    return launcher;
  }

  // After a restart answered PING. The new pid stays unknown (0): nothing signals the node
  // again, and learning it here would need block_on inside the running loop.
  void mark_restarted() { killed_ = false; }

  // The synchronous restart for the scope guard: spawn, reap the launcher, wait for PING.
  Result<void> restart_blocking() {
    Result<pid_t> launcher = spawn();
    if (!launcher.ok()) return std::move(launcher).error();
    int status = 0;
    ::waitpid(*launcher, &status, 0);
    boost::asio::io_context io;
    Result<Connection> connection = Connection::create(io, options_for(port_));
    if (!connection.ok()) return std::move(connection).error();
    const auto deadline = std::chrono::steady_clock::now() + kReadyBudget;
    while (std::chrono::steady_clock::now() < deadline) {
      if (block_on(io, connection->command({"PING"}, 200ms)).ok()) {
        mark_restarted();
        return Ok{};
      }
      ::usleep(50'000);
    }
    return faultline::unavailable("port " + std::to_string(port_) + " did not answer PING");
  }

 private:
  void signal(int sig) {
    if (pid_ > 1) ::kill(pid_, sig);  // never 0 or -1 (a group, everyone) or init
  }

  int port_ = 0;
  pid_t pid_ = 0;
  bool killed_ = false;
  std::vector<std::pair<std::string, std::string>> config_;
};

// Continues every node and restarts a killed one when it goes out of scope, however the test
// ends, so that later tests still have five servers.
class RestoreNodes {
 public:
  explicit RestoreNodes(std::vector<NodeProcess>& nodes) : nodes_(nodes) {}
  RestoreNodes(const RestoreNodes&) = delete;
  RestoreNodes& operator=(const RestoreNodes&) = delete;
  ~RestoreNodes() { (void)restore(); }

  // Ok when every node runs again (restarting the killed ones).
  Result<void> restore() {
    Result<void> all = Ok{};
    for (NodeProcess& node : nodes_) {
      node.resume();
      if (node.killed()) {
        if (Result<void> r = node.restart_blocking(); !r) all = std::move(r).error();
      }
    }
    return all;
  }

 private:
  std::vector<NodeProcess>& nodes_;
};

// ---------------------------------------------------------------------------------------------
// The run: clients and the chaos coroutine on one io_context.

struct Stats {
  std::uint64_t sections = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t fenced = 0;            // read or write refused by the register
  std::uint64_t acquire_errors = 0;    // "failed over": no lease this time
  std::uint64_t acquire_busy = 0;
  std::uint64_t acquire_unavailable = 0;
  std::uint64_t acquire_other = 0;
  std::uint64_t release_errors = 0;
  std::uint64_t overlaps = 0;
  bool stalled = false;             // client 0's stall happened
  bool stall_over = false;          // and its stalled section ended
  bool stalled_write_refused = false;
  std::vector<std::string> chaos_errors;
};

// One section that got a lease, by the test's steady clock (since t0).
struct SectionRecord {
  int client = 0;
  std::uint64_t id = 0;
  Duration acquired{};               // the acquire returned
  Duration ended{};                  // the section's last step on the resource (before release)
  std::optional<Duration> written;   // the register applied its write
  FencingToken token = 0;
  bool stalled = false;
};

struct Shared {
  boost::asio::io_context& io;
  AsioClock& clock;
  SystemRandom& random;
  TimePoint end;
  TimePoint stall_at;
  FencedRegister reg;
  Stats stats;
  std::set<std::uint64_t> succeeded_ids;
  std::uint64_t next_write_id = 0;
  int inside = 0;
  TimePoint t0{};
  std::vector<SectionRecord> records;
};

// Whether a client starts another section. Past the planned end, every client runs on until
// client 0's stall is over (within kStallGrace): a stall that began late, because client 0 found
// the lock busy for a while, must still meet others taking the lock, or nothing is tested.
inline bool keep_going(const Shared& s) {
  const TimePoint now = s.clock.now();
  if (now < s.end) return true;
  return !s.stats.stall_over && now < s.end + kStallGrace;
}

inline Task<void> client(Shared& s, Redlock& lock, int id) {
  while (keep_going(s)) {
    ++s.stats.sections;
    Result<Lease> lease = co_await lock.acquire();
    if (!lease.ok()) {
      ++s.stats.acquire_errors;
      switch (lease.error().code) {
        case ErrorCode::kBusy: ++s.stats.acquire_busy; break;
        case ErrorCode::kUnavailable: ++s.stats.acquire_unavailable; break;
        default: ++s.stats.acquire_other; break;
      }
      const Duration backoff = faultline::uniform_duration(s.random, Duration{5ms}, Duration{20ms});
      co_await s.clock.sleep_for(backoff);
      continue;
    }
    if (s.inside++ > 0) ++s.stats.overlaps;
    SectionRecord record;
    record.client = id;
    record.id = s.records.size() + 1;
    record.acquired = s.clock.now() - s.t0;
    record.token = lease->token;
    bool applied = false;
    Result<std::int64_t> read = s.reg.read(lease->token);
    if (read.ok()) {
      Duration work = faultline::uniform_duration(s.random, Duration{1ms}, Duration{5ms});
      const bool stall = id == 0 && !s.stats.stalled && s.clock.now() >= s.stall_at;
      if (stall) {
        s.stats.stalled = true;
        record.stalled = true;
        work = kStall;  // past the lease: the holder must not be able to write any more
      }
      co_await s.clock.sleep_for(work);
      const std::uint64_t write_id = ++s.next_write_id;
      Result<void> wrote = s.reg.write(lease->token, *read + 1, write_id, id);
      if (wrote.ok()) {
        applied = true;
        record.written = s.clock.now() - s.t0;
        s.succeeded_ids.insert(write_id);
      } else if (stall) {
        s.stats.stalled_write_refused = true;
      }
      if (stall) s.stats.stall_over = true;
    }
    --s.inside;
    record.ended = s.clock.now() - s.t0;
    s.records.push_back(record);
    if (applied) {
      ++s.stats.succeeded;
    } else {
      ++s.stats.fenced;
    }
    Result<void> released = co_await lock.release(*lease);
    if (!released.ok()) ++s.stats.release_errors;
  }
}

// Polls until `port` answers PING, within kReadyBudget.
inline Task<bool> wait_ready(Shared& s, int port) {
  Result<Connection> connection = Connection::create(s.io, options_for(port));
  if (!connection.ok()) co_return false;
  const std::array<std::string_view, 1> ping = {"PING"};
  const TimePoint deadline = s.clock.now() + kReadyBudget;
  while (s.clock.now() < deadline) {
    Result<RedisReply> pong = co_await connection->command(std::span<const std::string_view>(ping), 200ms);
    if (pong.ok()) co_return true;
    co_await s.clock.sleep_for(50ms);
  }
  co_return false;
}

// Restarts a killed node without blocking the loop: reaps the launcher, waits for PING.
inline Task<void> restart(Shared& s, NodeProcess& node) {
  Result<pid_t> launcher = node.spawn();
  if (!launcher.ok()) {
    s.stats.chaos_errors.push_back(launcher.error().to_string());
    co_return;
  }
  int status = 0;
  while (::waitpid(*launcher, &status, WNOHANG) == 0) co_await s.clock.sleep_for(10ms);
  const bool ready = co_await wait_ready(s, node.port());
  if (!ready) {
    s.stats.chaos_errors.push_back("port " + std::to_string(node.port()) + " not ready");
    co_return;
  }
  node.mark_restarted();
}

inline Task<void> sleep_until(Shared& s, TimePoint at) {
  const Duration left = at - s.clock.now();
  co_await s.clock.sleep_for(left);
}

inline Task<void> chaos(Shared& s, std::vector<NodeProcess>& nodes, TimePoint t0) {
  co_await sleep_until(s, t0 + 700ms);
  nodes[3].stop();
  co_await sleep_until(s, t0 + 1400ms);
  nodes[4].kill();
  co_await sleep_until(s, t0 + 2000ms);
  nodes[2].stop();
  co_await sleep_until(s, t0 + 2600ms);
  nodes[2].resume();
  co_await sleep_until(s, t0 + 3000ms);
  co_await restart(s, nodes[4]);
  co_await sleep_until(s, t0 + 3600ms);
  nodes[3].resume();
  co_await sleep_until(s, t0 + 4200ms);
  nodes[1].stop();
  co_await sleep_until(s, t0 + 4700ms);
  nodes[1].resume();
}

// Which sections overlapped, not only how many: with a 1 s lease and sections of a few ms, the
// lock excludes everyone except around the stall past the lease.
inline void expect_only_the_stalled_section_overlaps(const std::vector<SectionRecord>& records) {
  int with_stalled = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (std::size_t j = 0; j < records.size(); ++j) {
      const SectionRecord& a = records[i];
      const SectionRecord& b = records[j];
      // b's acquire returned while a was still inside: an overlap.
      if (i == j || b.acquired < a.acquired || b.acquired >= a.ended) continue;
      if (a.stalled || b.stalled) {
        ++with_stalled;
        continue;
      }
      ADD_FAILURE() << "sections of clients " << a.client << " and " << b.client
                    << " overlapped, neither of them the stalled one: client " << b.client
                    << " acquired at " << b.acquired.count() << "ns, client " << a.client
                    << " was inside from " << a.acquired.count() << "ns to " << a.ended.count()
                    << "ns";
    }
  }
  EXPECT_GT(with_stalled, 0) << "nobody took the lock while client 0 stalled past its lease";
  // The writes that were applied came from holders that excluded each other.
  std::vector<faultline::scenarios::ObservedSection> observed;
  for (const SectionRecord& r : records) {
    observed.push_back({"client-" + std::to_string(r.client), r.id, r.acquired, r.token,
                        r.written});
  }
  const std::optional<faultline::scenarios::Violation> overlap =
      faultline::scenarios::check_mutual_exclusion(observed);
  EXPECT_FALSE(overlap.has_value()) << overlap->message;
  const std::optional<faultline::scenarios::Violation> tokens =
      faultline::scenarios::check_tokens_rise(observed);
  EXPECT_FALSE(tokens.has_value()) << tokens->message;
}

}  // namespace
