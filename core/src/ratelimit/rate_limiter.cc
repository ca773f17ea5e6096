#include "faultline/ratelimit/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "faultline/idempotency/idempotency_store.h"
#include "faultline/validate.h"

namespace faultline::ratelimit {
namespace {

constexpr std::size_t kMaxTierNameBytes = 64;
// A tier's store key is "<name>/<key>": the caller's part leaves room for the longest name.
constexpr std::size_t kMaxCallerKeyBytes = kMaxLimitKeyBytes - kMaxTierNameBytes - 1;

std::int64_t scaled(std::int64_t units, double share) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(units * share)));
}

Result<void> validate_tiers(const std::vector<TierSpec>& tiers) {
  if (auto r = check_size("tiers", tiers.size(), 1, kMaxTiers); !r) return r;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const std::string field = "tiers[" + std::to_string(i) + "]";
    const std::string& name = tiers[i].name;
    if (auto r = idempotency::validate_text(field + ".name", name, kMaxTierNameBytes); !r) {
      return r;
    }
    if (name.find('/') != std::string::npos) {
      return invalid_argument(field + ".name: \"" + name + "\"; must not contain '/'");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tiers[j].name == name) {
        return invalid_argument(field + ".name: \"" + name + "\" names tiers[" +
                                std::to_string(j) + "] too; names must be unique");
      }
    }
    if (auto r = validate(tiers[i].policy); !r) {
      return invalid_argument(field + "." + r.error().message);
    }
  }
  return Ok{};
}

Result<void> validate_options(const RateLimiterOptions& o) {
  if (auto r = validate_tiers(o.tiers); !r) return r;
  if (auto r = check_real_positive("fallback_share", o.fallback_share, 1.0); !r) return r;
  if (auto r = check_positive("store_timeout", o.store_timeout, std::chrono::minutes(1)); !r) {
    return r;
  }
  return check_range("recheck_after", o.recheck_after, Duration::zero(), std::chrono::hours(1));
}

}  // namespace

std::vector<std::size_t> Verdict::violated() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (!tiers[i].allowed) out.push_back(i);
  }
  return out;
}

Policy fallback_policy(const Policy& policy, double share) {
  return std::visit(
      [share](auto p) -> Policy {
        using P = decltype(p);
        if constexpr (std::is_same_v<P, GcraPolicy>) {
          p.count = scaled(p.count, share);
          p.max_burst = scaled(p.max_burst + 1, share) - 1;
        } else if constexpr (std::is_same_v<P, TokenBucketPolicy>) {
          p.capacity = scaled(p.capacity, share);
          p.count = scaled(p.count, share);
        } else {
          p.limit = scaled(p.limit, share);
        }
        return p;
      },
      policy);
}

Result<RateLimiter> RateLimiter::create(Clock& clock, LimitStore& store,
                                        RateLimiterOptions options) {
  if (auto r = validate_options(options); !r) return std::move(r).error();
  Result<LocalLimiter> local =
      LocalLimiter::create(clock, {.policy = options.tiers[0].policy,
                                   .max_keys = options.fallback_max_keys});
  if (!local) {
    return invalid_argument("fallback_max_keys: " + std::to_string(options.fallback_max_keys) +
                            "; must be in [1, 10000000]");
  }
  return RateLimiter(clock, store, std::move(options), std::move(local).value());
}

RateLimiter::RateLimiter(Clock& clock, LimitStore& store, RateLimiterOptions options,
                         LocalLimiter local)
    : clock_(&clock), store_(&store), options_(std::move(options)), local_(std::move(local)) {
  for (const TierSpec& tier : options_.tiers) {
    fallback_policies_.push_back(fallback_policy(tier.policy, options_.fallback_share));
  }
}

Result<std::vector<Tier>> RateLimiter::tiers_for(std::span<const std::string> keys) const {
  if (keys.size() != options_.tiers.size()) {
    return invalid_argument("keys: " + std::to_string(keys.size()) + "; must be one per tier (" +
                            std::to_string(options_.tiers.size()) + ")");
  }
  std::vector<Tier> tiers;
  tiers.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    // The field's name is built only for an error: this runs on every check.
    if (auto r = idempotency::validate_text("key", keys[i], kMaxCallerKeyBytes); !r) {
      return Error{r.error().code, "keys[" + std::to_string(i) + "]" +
                                       r.error().message.substr(std::string_view("key").size())};
    }
    tiers.push_back({.key = options_.tiers[i].name + "/" + keys[i],
                     .policy = options_.tiers[i].policy});
  }
  return tiers;
}

bool RateLimiter::store_due(TimePoint now) const {
  if (!outage_since_) return true;
  return !probing_ && now - *outage_since_ >= options_.recheck_after;
}

void RateLimiter::on_store_error(const Error& error, TimePoint now) {
  const bool lost = !outage_since_.has_value();
  outage_since_ = now;
  last_error_ = error;
  if (lost && options_.on_event) {
    options_.on_event({LimiterEventKind::kStoreLost, options_.on_outage, &error});
  }
}

void RateLimiter::on_store_answer() {
  if (!outage_since_) return;
  outage_since_.reset();
  last_error_.reset();
  if (options_.on_event) options_.on_event({LimiterEventKind::kStoreRestored, options_.on_outage,
                                            nullptr});
}

Result<Verdict> RateLimiter::during_outage(const std::vector<Tier>& tiers, std::int64_t cost,
                                           const Error& error) {
  switch (options_.on_outage) {
    case OutagePolicy::kFailOpen:
      ++stats_.failed_open;
      return Verdict{.allowed = true, .source = Source::kFailOpen, .tiers = {}, .policies = {}};
    case OutagePolicy::kFailClosed:
      ++stats_.failed_closed;
      return unavailable("rate limit store unavailable (failing closed): " + error.to_string());
    case OutagePolicy::kFallback: break;
  }
  std::vector<Tier> local = tiers;
  for (std::size_t i = 0; i < local.size(); ++i) local[i].policy = fallback_policies_[i];
  Result<TieredDecision> d = local_.decide_all(local, cost);
  if (!d) return std::move(d).error();
  ++stats_.fallback_decisions;
  return finish({.allowed = d->allowed,
                 .source = Source::kFallback,
                 .tiers = std::move(d->tiers),
                 .policies = fallback_policies_,
                 .retry_after = d->retry_after});
}

Verdict RateLimiter::finish(Verdict verdict) {
  if (!verdict.allowed) ++stats_.refused;
  if (options_.shadow && !verdict.allowed) {
    verdict.allowed = true;
    verdict.shadow_refused = true;
    verdict.retry_after = Micros::zero();
  }
  return verdict;
}

Task<Result<Verdict>> RateLimiter::check(std::span<const std::string> keys, std::int64_t cost,
                                         TimePoint deadline) {
  Result<std::vector<Tier>> tiers = tiers_for(keys);
  if (!tiers) co_return std::move(tiers).error();
  if (!check_cost(cost)) co_return check_cost(cost).error();
  const TimePoint now = clock_->now();
  if (deadline <= now) {
    co_return Error{ErrorCode::kDeadlineExceeded, "the deadline passed before the rate limit "
                                                  "could be checked; nothing was charged"};
  }
  if (!store_due(now)) co_return during_outage(*tiers, cost, *last_error_);
  const Duration timeout = deadline == TimePoint::max()
                               ? options_.store_timeout
                               : std::min(options_.store_timeout, deadline - now);
  auto asking = ask_store(*tiers, cost, timeout);
  co_return co_await std::move(asking);
}

Task<Result<Verdict>> RateLimiter::ask_store(const std::vector<Tier>& tiers, std::int64_t cost,
                                             Duration timeout) {
  // During an outage this call is the one probe; the flag is cleared however the call ends
  // (a destroyed coroutine too), so a lost probe cannot keep the store unasked forever.
  class Probe {
   public:
    explicit Probe(bool& probing) : probing_(&probing) { *probing_ = true; }
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    ~Probe() { *probing_ = false; }

   private:
    bool* probing_;
  };
  std::optional<Probe> probe;
  if (outage_since_) probe.emplace(probing_);
  auto call = store_->decide_all(tiers, cost, timeout);
  Result<TieredDecision> d = co_await std::move(call);
  if (!d) {
    // A refused argument is the caller's fault, not an outage.
    if (d.error().code == ErrorCode::kInvalidArgument) co_return std::move(d).error();
    on_store_error(d.error(), clock_->now());
    co_return during_outage(tiers, cost, d.error());
  }
  on_store_answer();
  ++stats_.store_decisions;
  std::vector<Policy> policies;
  for (const TierSpec& tier : options_.tiers) policies.push_back(tier.policy);
  co_return finish({.allowed = d->allowed,
                    .source = Source::kStore,
                    .tiers = std::move(d->tiers),
                    .policies = std::move(policies),
                    .retry_after = d->retry_after});
}

}  // namespace faultline::ratelimit
