// faultline::locks::LeaseLock driven inside a simulated World against a sim::RedisNode.
//
// Harness: a Topology with a RedisNode "redis" and client processes, each client's SimLockStore
// wrapped in a CountingStore (which records every call the lock makes). `run(client, task)`
// spawns a coroutine and runs the world until it finishes.
//
// Coroutines only refer to objects owned by the Harness, whose destructor destroys the Topology
// (which destroys its World, and so every coroutine frame, first) before the CountingStores. No
// non-trivially destructible temporary appears inside a co_await operand (g++ 12 destroys those
// twice).
//
// The helpers shared by acquire_release_test.cc, extend_test.cc, unknown_outcome_test.cc, model_test.cc.
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>
#include "faultline/locks/lease_lock.h"
#include "faultline/locks/lock_store.h"
#include "faultline/sim/network.h"
#include "faultline/sim/redis_locks.h"
#include "faultline/sim/topology.h"
#include "faultline/sim/world.h"

namespace faultline::sim {
namespace {

using locks::AcquireReply;
using locks::FencingToken;
using locks::Lease;
using locks::LeaseLock;
using locks::LeaseLockOptions;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kKey = "resource-lock";

inline std::string outcome(const Error& e) { return std::string(faultline::to_string(e.code)); }

// Forwards to another LockStore and records every call: how many, with which owner, and how
// each acquire ended ("ok", "busy" for a refused acquire, or the error code).
class CountingStore final : public locks::LockStore {
 public:
  explicit CountingStore(locks::LockStore& inner) : inner_(inner) {}

  Task<Result<AcquireReply>> acquire(std::string_view key, std::string_view owner, Duration ttl,
                                     Duration timeout) override {
    acquire_owners.emplace_back(owner);
    auto pending = inner_.acquire(key, owner, ttl, timeout);
    Result<AcquireReply> r = co_await std::move(pending);
    acquire_outcomes.push_back(r.ok() ? (r->acquired ? "ok" : "busy") : outcome(r.error()));
    co_return r;
  }
  Task<Result<bool>> release(std::string_view key, std::string_view owner,
                             Duration timeout) override {
    release_owners.emplace_back(owner);
    auto pending = inner_.release(key, owner, timeout);
    co_return co_await std::move(pending);
  }
  Task<Result<bool>> extend(std::string_view key, std::string_view owner, Duration ttl,
                            Duration timeout) override {
    ++extends;
    auto pending = inner_.extend(key, owner, ttl, timeout);
    co_return co_await std::move(pending);
  }
  Task<Result<FencingToken>> next_fencing_token(std::string_view key,
                                                Duration timeout) override {
    ++tokens;
    auto pending = inner_.next_fencing_token(key, timeout);
    co_return co_await std::move(pending);
  }

  [[nodiscard]] int acquires() const { return static_cast<int>(acquire_owners.size()); }
  [[nodiscard]] int releases() const { return static_cast<int>(release_owners.size()); }

  std::vector<std::string> acquire_owners;
  std::vector<std::string> acquire_outcomes;
  std::vector<std::string> release_owners;
  int extends = 0;
  int tokens = 0;

 private:
  locks::LockStore& inner_;
};

template <class T>
inline Task<void> capture(Task<T> task, std::shared_ptr<std::optional<T>> out) {
  T value = co_await std::move(task);
  out->emplace(std::move(value));
}

struct Client {
  Process* process = nullptr;
  std::unique_ptr<CountingStore> store;
};

class Harness {
 public:
  explicit Harness(int clients, std::uint64_t seed = 1)
      : topology_(TopologyBuilder(seed).redis("redis").clients(clients).build()),
        world_(&topology_->world()),
        network_(topology_->network()),
        redis_host_(topology_->process("redis")),
        redis_(topology_->redis("redis")) {
    for (Process* p : topology_->clients()) {
      Client c;
      c.process = p;
      c.store = std::make_unique<CountingStore>(topology_->lock_store(p->name(), "redis"));
      clients_.push_back(std::move(c));
    }
    world_->start();
  }
  ~Harness() { topology_.reset(); }  // coroutine frames die before what they refer to
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  World& world() { return *world_; }
  Network& network() { return network_; }
  Faults faults() { return topology_->faults(); }
  Process& redis_host() { return redis_host_; }
  RedisNode& redis() { return redis_; }
  Process& process(int i) { return *clients_.at(static_cast<std::size_t>(i)).process; }
  CountingStore& store(int i) { return *clients_.at(static_cast<std::size_t>(i)).store; }

  // A LeaseLock of client `i` on kKey (validated: a bad option fails the test).
  LeaseLock lock(int i, LeaseLockOptions options) {
    Process& p = process(i);
    Result<LeaseLock> made = LeaseLock::create(store(i), p.clock(), p.rng(), kKey, options);
    if (!made) throw std::logic_error("bad options: " + made.error().to_string());
    return std::move(made).value();
  }

  // Runs `task` on client `i` until it completes.
  template <class T>
  T run(int i, Task<T> task) {
    auto out = std::make_shared<std::optional<T>>();
    process(i).spawn(capture(std::move(task), out));
    // Poll before each step, so that the world stops right after the task completes (a step
    // would otherwise run the next event too, moving time on).
    std::uint64_t guard = 0;
    for (world_->poll(); !out->has_value(); world_->poll()) {
      if (!world_->step()) break;
      if (++guard > 1'000'000) throw std::runtime_error("runaway world");
    }
    if (!out->has_value()) throw std::runtime_error("task never completed");
    return std::move(**out);
  }

  // Lets `d` of true time pass.
  void advance(Duration d) {
    const SimTime until = world_->now() + d;
    world_->schedule(until, kWorldProcess, 0, [] {});
    world_->run_until(until);
  }

  // Every message between client `i` and redis, both ways, takes exactly `latency`.
  void set_latency(int i, Duration latency) {
    LinkProfile link;
    link.latency_min = latency;
    link.latency_max = latency;
    network_.set_link(redis_host_.id(), process(i).id(), link);
    network_.set_link(process(i).id(), redis_host_.id(), link);
  }
  // Makes every reply from redis to client `i` get lost (or stop getting lost).
  void lose_replies(int i, bool lose) {
    LinkProfile link;
    link.loss_ppm = lose ? 1'000'000 : 0;
    network_.set_link(redis_host_.id(), process(i).id(), link);
  }

 private:
  std::unique_ptr<Topology> topology_;
  World* world_;  // the topology's
  Network& network_;
  Process& redis_host_;
  RedisNode& redis_;
  std::vector<Client> clients_;
};

inline LeaseLockOptions quick_options() {
  LeaseLockOptions o;
  o.ttl = seconds(10);
  o.call_timeout = milliseconds(100);
  o.max_attempts = 4;
  // Full jitter up to 10ms, 20ms, 40ms (retry n sleeps up to base * 2^n).
  o.backoff = {resilience::BackoffStrategy::kFullJitter, milliseconds(5), milliseconds(40)};
  return o;
}

}  // namespace
}  // namespace faultline::sim
