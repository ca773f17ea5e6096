#include "faultline/ratelimit/policy.h"

#include <type_traits>

#include "faultline/invariant.h"

namespace faultline::ratelimit {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// The State alternative of each Policy alternative: the one at the same index.
template <class P, std::size_t I = 0>
constexpr std::size_t policy_index() {
  if constexpr (std::is_same_v<P, std::variant_alternative_t<I, Policy>>) {
    return I;
  } else {
    return policy_index<P, I + 1>();
  }
}
template <class P>
struct StateOf {
  using type = std::variant_alternative_t<policy_index<P>(), State>;
};
static_assert(std::is_same_v<StateOf<FixedWindowPolicy>::type, FixedWindowState>);
static_assert(std::is_same_v<StateOf<GcraPolicy>::type, GcraState>);
static_assert(std::is_same_v<StateOf<TokenBucketPolicy>::type, TokenBucketState>);
static_assert(std::is_same_v<StateOf<SlidingLogPolicy>::type, SlidingLogState>);
static_assert(std::is_same_v<StateOf<SlidingCounterPolicy>::type, SlidingCounterState>);

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
