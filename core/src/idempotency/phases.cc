#include "faultline/idempotency/phases.h"

#include <algorithm>

#include "faultline/idempotency/request_key.h"

namespace faultline::idempotency {
namespace {

// Length-prefixed, so that no two different tuples of parts encode alike.
void append_part(std::string& out, std::string_view part) {
  out += std::to_string(part.size());
  out += ':';
  out += part;
}

}  // namespace

std::string PhaseContext::downstream_key(std::string_view purpose) const {
  std::string encoded = "faultline-downstream-v1|";
  append_part(encoded, scope_);
  append_part(encoded, key_);
  append_part(encoded, point_);
  append_part(encoded, purpose);
  return to_hex(sha256(encoded));
}

Duration PhaseContext::lease_left() const {
  return std::max(Duration::zero(), lease_until_ - clock_->now());
}

Phases& Phases::add(std::string point, Phase phase) {
  phases_.insert_or_assign(std::move(point), std::move(phase));
  return *this;
}

const Phase* Phases::find(std::string_view point) const {
  const auto it = phases_.find(point);
  return it == phases_.end() ? nullptr : &it->second;
}

}  // namespace faultline::idempotency
