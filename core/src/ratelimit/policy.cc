#include "faultline/ratelimit/policy.h"

#include "faultline/invariant.h"

namespace faultline::ratelimit {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// The State alternative of each Policy alternative.
template <class P>
struct StateOf;
template <>
struct StateOf<GcraPolicy> {
  using type = GcraState;
};
template <>
struct StateOf<TokenBucketPolicy> {
  using type = TokenBucketState;
};
template <>
struct StateOf<SlidingLogPolicy> {
  using type = SlidingLogState;
};
template <>
struct StateOf<SlidingCounterPolicy> {
  using type = SlidingCounterState;
};
template <>
struct StateOf<FixedWindowPolicy> {
  using type = FixedWindowState;
};

}  // namespace

Result<void> validate(const Policy& policy) {
  return std::visit([](const auto& p) { return validate(p); }, policy);
}

State initial_state(const Policy& policy) {
  return std::visit(
      [](const auto& p) -> State { return typename StateOf<std::decay_t<decltype(p)>>::type{}; },
      policy);
}

std::string_view algorithm_name(const Policy& policy) {
  return std::visit(
      Overloaded{
          [](const GcraPolicy&) { return std::string_view("gcra"); },
          [](const TokenBucketPolicy&) { return std::string_view("token-bucket"); },
          [](const SlidingLogPolicy&) { return std::string_view("sliding-log"); },
          [](const SlidingCounterPolicy&) { return std::string_view("sliding-counter"); },
          [](const FixedWindowPolicy&) { return std::string_view("fixed-window"); },
      },
      policy);
}

Micros policy_window(const Policy& policy) {
  return std::visit(Overloaded{
                        [](const GcraPolicy& p) { return p.period; },
                        [](const TokenBucketPolicy& p) { return p.period; },
                        [](const SlidingLogPolicy& p) { return p.window; },
                        [](const SlidingCounterPolicy& p) { return p.window; },
                        [](const FixedWindowPolicy& p) { return p.window; },
                    },
                    policy);
}

Decision decide(State& state, const Policy& policy, Instant now, std::int64_t cost) {
  return std::visit(
      [&](const auto& p) -> Decision {
        using S = typename StateOf<std::decay_t<decltype(p)>>::type;
        S* s = std::get_if<S>(&state);
        FAULTLINE_INVARIANT(s != nullptr, "the state matches the policy");
        return decide(*s, p, now, cost);
      },
      policy);
}

}  // namespace faultline::ratelimit
