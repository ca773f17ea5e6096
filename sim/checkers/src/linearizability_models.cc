#include "faultline/sim/linearizability_models.h"

#include <fmt/format.h>

namespace faultline::sim {
namespace {

// Register states: "n" for nil, "i<decimal>" for an integer, "s<bytes>" for a string. The tag
// keeps 7 and "7" apart, and the encoding is canonical, as Model requires.
std::string encode(const Datum& d) {
  if (std::holds_alternative<std::monostate>(d)) return "n";
  if (const auto* i = std::get_if<std::int64_t>(&d)) return "i" + std::to_string(*i);
  return "s" + std::get<std::string>(d);
}

bool is_nil(const Datum& d) { return std::holds_alternative<std::monostate>(d); }
bool is_string(const Datum& d) { return std::holds_alternative<std::string>(d); }

Error wrong(const LinOp& op, std::string_view expected) {
  return invalid_argument(fmt::format("{} expects {}", op.f, expected));
}

// step() in terms of the model's step_into() (one definition of the transition per model).
std::optional<std::string> step_by_step_into(const Model& model, std::string_view state,
                                             const LinOp& op) {
  std::string next;
  switch (model.step_into(state, op, next)) {
    case Model::Step::kRefused: return std::nullopt;
    case Model::Step::kUnchanged: return std::string(state);
    case Model::Step::kChanged: return next;
  }
  return std::nullopt;
}

}  // namespace

// --- cas-register -------------------------------------------------------------------------

Result<void> CasRegisterModel::validate(const LinOp& op) const {
  if (op.f == "read") {
    if (!op.input.empty()) return wrong(op, "no arguments");
    return Ok{};
  }
  if (op.f == "write") {
    if (op.input.size() != 1 || is_nil(op.input[0])) return wrong(op, "one value (not nil)");
    return Ok{};
  }
  if (op.f == "cas") {
    if (op.input.size() != 2 || is_nil(op.input[1])) return wrong(op, "[from to] (to not nil)");
    const auto* out = std::get_if<std::string>(&op.output);
    if (op.returned() && (out == nullptr || (*out != "ok" && *out != "fail"))) {
      return wrong(op, "the result \"ok\" or \"fail\"");
    }
    return Ok{};
  }
  return invalid_argument(
      fmt::format("unknown operation '{}' for cas-register (read, write, cas)", op.f));
}

std::string CasRegisterModel::init(std::string_view /*key*/) const { return "n"; }

Model::Step CasRegisterModel::step_into(std::string_view state, const LinOp& op,
                                        std::string& next) const {
  if (op.f == "read") {
    if (!op.returned() || encode(op.output) == state) return Step::kUnchanged;
    return Step::kRefused;
  }
  if (op.f == "write") {
    next = encode(op.input[0]);
    return Step::kChanged;
  }
  // cas: validate() admitted nothing else.
  const bool matches = encode(op.input[0]) == state;
  if (op.returned() && matches != (std::get<std::string>(op.output) == "ok")) return Step::kRefused;
  if (!matches) return Step::kUnchanged;
  next = encode(op.input[1]);
  return Step::kChanged;
}

std::optional<std::string> CasRegisterModel::step(std::string_view state, const LinOp& op) const {
  return step_by_step_into(*this, state, op);
}

// A read needs its value; a cas that succeeded needs its `from`. A failed cas needs "anything
// but `from`": not one state, so nothing.
std::optional<std::string> CasRegisterModel::needs(const LinOp& op) const {
  if (!op.returned()) return std::nullopt;
  if (op.f == "read") return encode(op.output);
  if (op.f == "cas" && std::get<std::string>(op.output) == "ok") return encode(op.input[0]);
  return std::nullopt;
}

bool CasRegisterModel::can_set(const LinOp& op, std::string_view state) const {
  if (op.f == "write") return encode(op.input[0]) == state;
  if (op.f != "cas") return false;
  if (op.returned() && std::get<std::string>(op.output) != "ok") return false;  // changed nothing
  return encode(op.input[1]) == state && encode(op.input[0]) != state;
}

std::string CasRegisterModel::describe_state(std::string_view state) const {
  if (state == "n") return "nil";
  if (state.front() == 'i') return std::string(state.substr(1));
  return fmt::format("\"{}\"", state.substr(1));
}

// --- kv -------------------------------------------------------------------------------------

Result<void> KvModel::validate(const LinOp& op) const {
  if (op.f == "get") {
    if (!op.input.empty() && !(op.input.size() == 1 && is_nil(op.input[0]))) {
      return wrong(op, "no arguments");
    }
    if (op.returned() && !is_nil(op.output) && !is_string(op.output)) {
      return wrong(op, "a string or nil as its result");
    }
    return Ok{};
  }
  if (op.f == "put" || op.f == "append") {
    if (op.input.size() != 1 || !is_string(op.input[0])) return wrong(op, "one string");
    return Ok{};
  }
  return invalid_argument(fmt::format("unknown operation '{}' for kv (get, put, append)", op.f));
}

// The state is the value itself; nil is "".
std::string KvModel::init(std::string_view /*key*/) const { return {}; }

Model::Step KvModel::step_into(std::string_view state, const LinOp& op, std::string& next) const {
  if (op.f == "get") {
    if (!op.returned()) return Step::kUnchanged;
    const auto* seen = std::get_if<std::string>(&op.output);
    const std::string_view value = seen != nullptr ? std::string_view(*seen) : std::string_view();
    return value == state ? Step::kUnchanged : Step::kRefused;
  }
  const std::string& arg = std::get<std::string>(op.input[0]);
  if (op.f == "put") {
    next.assign(arg);
  } else {
    next.assign(state);
    next.append(arg);
  }
  return Step::kChanged;
}

std::optional<std::string> KvModel::step(std::string_view state, const LinOp& op) const {
  return step_by_step_into(*this, state, op);
}

std::optional<std::string> KvModel::needs(const LinOp& op) const {
  if (!op.returned() || op.f != "get") return std::nullopt;
  const auto* seen = std::get_if<std::string>(&op.output);
  return seen != nullptr ? *seen : std::string();
}

// A put sets its value; an append of s turns v into v + s, so it can set only states ending in s
// (an empty append changes nothing).
bool KvModel::can_set(const LinOp& op, std::string_view state) const {
  if (op.f == "get") return false;
  const std::string& arg = std::get<std::string>(op.input[0]);
  if (op.f == "put") return arg == state;
  return !arg.empty() && state.ends_with(arg);
}

std::string KvModel::describe_state(std::string_view state) const {
  return fmt::format("\"{}\"", state);
}

// --- mutex ----------------------------------------------------------------------------------

Result<void> MutexModel::validate(const LinOp& op) const {
  if (op.f == "acquire" || op.f == "release") return Ok{};
  return invalid_argument(fmt::format("unknown operation '{}' for mutex (acquire, release)", op.f));
}

// The state is "" when free, else the holder's process id in decimal.
std::string MutexModel::init(std::string_view /*key*/) const { return {}; }

std::optional<std::string> MutexModel::step(std::string_view state, const LinOp& op) const {
  const std::string me = std::to_string(op.process);
  if (op.f == "acquire") {
    if (state.empty()) return me;
    return std::nullopt;
  }
  if (state == me) return std::string();
  return std::nullopt;
}

std::string MutexModel::describe_state(std::string_view state) const {
  return state.empty() ? std::string("free") : fmt::format("held by process {}", state);
}

Result<std::unique_ptr<Model>> make_model(std::string_view name) {
  if (name == "cas-register") return std::unique_ptr<Model>(std::make_unique<CasRegisterModel>());
  if (name == "kv") return std::unique_ptr<Model>(std::make_unique<KvModel>());
  if (name == "mutex") return std::unique_ptr<Model>(std::make_unique<MutexModel>());
  return invalid_argument(
      fmt::format("unknown model '{}' (expected cas-register, kv or mutex)", name));
}

}  // namespace faultline::sim
