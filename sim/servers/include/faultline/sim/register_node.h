// RegisterNode: a simulated storage service holding one integer register, optionally fenced.
//
// It is the "resource" a lock protects in the lease-lock scenarios: clients read it, compute,
// and write back value + 1 inside a critical section. When fenced, every read and write carries
// the client's fencing token and the node admits it through core's FencedResource, refusing
// stale tokens; unfenced, it takes whatever arrives, as most storage does.
//
// Writes carry a unique write id and are applied at most once (a duplicated request does not
// write twice), and every applied write is logged, so a checker can tell lost updates
// (a write whose value is not previous + 1) from writes that never happened.
//
// Crash: not modelled (the register is durable). Thread-safety: none.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "faultline/locks/fenced_resource.h"
#include "faultline/result.h"
#include "faultline/sim/network.h"
#include "faultline/sim/world.h"

namespace faultline::sim {

class RegisterNode {
 public:
  struct AppliedWrite {
    std::uint64_t write_id = 0;
    std::int64_t value = 0;
    std::int64_t previous = 0;
    locks::FencingToken token = 0;
    ProcessId writer = 0;
    SimTime at{};
  };

  RegisterNode(Process& host, bool fenced) : host_(host), fenced_(fenced) {}

  [[nodiscard]] Process& host() noexcept { return host_; }
  [[nodiscard]] bool fenced() const noexcept { return fenced_; }

  // The atomic steps. A fenced node refuses stale tokens with kFailedPrecondition.
  [[nodiscard]] Result<std::int64_t> read(locks::FencingToken token);
  [[nodiscard]] Result<void> write(locks::FencingToken token, std::int64_t value,
                                   std::uint64_t write_id, ProcessId writer);

  [[nodiscard]] std::int64_t value() const noexcept { return value_; }
  [[nodiscard]] const std::vector<AppliedWrite>& log() const noexcept { return log_; }
  [[nodiscard]] std::uint64_t refused() const noexcept { return fence_.refused(); }

 private:
  Process& host_;
  bool fenced_;
  locks::FencedResource fence_;
  std::int64_t value_ = 0;
  std::vector<AppliedWrite> log_;
  std::set<std::uint64_t> applied_ids_;
};

// The client side: one process's calls to a RegisterNode over the network.
class RegisterClient {
 public:
  RegisterClient(Network& network, Process& client, RegisterNode& node)
      : network_(network), client_(client), node_(node) {}

  Task<Result<std::int64_t>> read(locks::FencingToken token, Duration timeout);
  Task<Result<void>> write(locks::FencingToken token, std::int64_t value, std::uint64_t write_id,
                           Duration timeout);

 private:
  Network& network_;
  Process& client_;
  RegisterNode& node_;
};

}  // namespace faultline::sim
