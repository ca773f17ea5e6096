// Sequential models for the linearizability checker (linearizability.h).
//
//   cas-register  one register per key, initially nil.
//                   read()          -> the value (nil, an integer or a string)
//                   write(v)        -> anything (ignored)
//                   cas(from, to)   -> "ok" (the value was `from`, now `to`) or "fail" (it was not)
//   kv            a string per key, initially nil; nil and "" are the same value (appending to a
//                 missing key starts from empty). Partitioned by key.
//                   get()           -> the value (nil or a string)
//                   put(s)          -> anything;  append(s) -> anything
//   mutex         one lock per key, initially free. The result of either op is ignored.
//                   acquire()       takes effect only when the lock is free; the caller holds it
//                   release()       takes effect only when the caller (process) holds it
//
// Every model partitions by key (Model's default), so per-key histories are checked apart.
// cas-register and kv state what a read needs and what can set a value (Model::needs, can_set),
// so that a read of a value nothing could have written is rejected before the search.
// Errors: validate() returns kInvalidArgument naming the operation and what it expected.
// Thread-safety: the models are stateless; share them freely.
#pragma once

#include <memory>
#include <string_view>

#include "faultline/result.h"
#include "faultline/sim/linearizability.h"

namespace faultline::sim {

class CasRegisterModel final : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "cas-register"; }
  [[nodiscard]] Result<void> validate(const LinOp& op) const override;
  [[nodiscard]] std::string init(std::string_view key) const override;
  [[nodiscard]] std::optional<std::string> step(std::string_view state,
                                                const LinOp& op) const override;
  [[nodiscard]] Step step_into(std::string_view state, const LinOp& op,
                              std::string& next) const override;
  [[nodiscard]] std::optional<std::string> needs(const LinOp& op) const override;
  [[nodiscard]] bool can_set(const LinOp& op, std::string_view state) const override;
  [[nodiscard]] std::string describe_state(std::string_view state) const override;
};

class KvModel final : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "kv"; }
  [[nodiscard]] Result<void> validate(const LinOp& op) const override;
  [[nodiscard]] std::string init(std::string_view key) const override;
  [[nodiscard]] std::optional<std::string> step(std::string_view state,
                                                const LinOp& op) const override;
  [[nodiscard]] Step step_into(std::string_view state, const LinOp& op,
                              std::string& next) const override;
  [[nodiscard]] std::optional<std::string> needs(const LinOp& op) const override;
  [[nodiscard]] bool can_set(const LinOp& op, std::string_view state) const override;
  [[nodiscard]] std::string describe_state(std::string_view state) const override;
};

class MutexModel final : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "mutex"; }
  [[nodiscard]] Result<void> validate(const LinOp& op) const override;
  [[nodiscard]] std::string init(std::string_view key) const override;
  [[nodiscard]] std::optional<std::string> step(std::string_view state,
                                                const LinOp& op) const override;
  [[nodiscard]] std::string describe_state(std::string_view state) const override;
};

// "cas-register", "kv" or "mutex"; kInvalidArgument listing the names otherwise.
[[nodiscard]] Result<std::unique_ptr<Model>> make_model(std::string_view name);

}  // namespace faultline::sim
