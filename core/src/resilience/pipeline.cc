#include "faultline/resilience/pipeline.h"

#include <string>
#include "faultline/validate.h"

namespace faultline::resilience {
namespace {

Result<void> validate_rate_limit(const RateLimitStage& stage) {
  if (stage.limiter == nullptr) return Ok{};
  const std::size_t tiers = stage.limiter->options().tiers.size();
  if (stage.keys.size() != tiers) {
    return invalid_argument("pipeline.rate_limit.keys: " + std::to_string(stage.keys.size()) +
                            "; must be one per tier of the limiter (" + std::to_string(tiers) +
                            ")");
  }
  if (auto r = ratelimit::check_cost(stage.cost); !r) {
    return invalid_argument("pipeline.rate_limit." + r.error().message);
  }
  return Ok{};
}

}  // namespace

Result<void> admission(const RateLimitStage& stage, Result<ratelimit::Verdict> verdict) {
  if (!verdict) return std::move(verdict).error();
  if (verdict->allowed) return Ok{};
  std::string names;
  for (std::size_t i : verdict->violated()) {
    names += (names.empty() ? "" : ", ") + stage.limiter->options().tiers[i].name;
  }
  Error refused{ErrorCode::kRateLimited, "rate limited by " + names};
  if (verdict->retry_after) {
    refused.retry_after = *verdict->retry_after;
  } else {
    refused.message += " (the cost can never be allowed)";
  }
  return refused;
}

Result<Pipeline> Pipeline::create(Clock& clock, Random& random, PipelineOptions options) {
  // Optional: absent means no such timeout.
  const auto positive = [](const std::optional<Duration>& d, const char* field) -> Result<void> {
    return d ? check_positive(field, *d) : Ok{};
  };
  if (Result<void> r = positive(options.timeout, "pipeline.timeout"); !r.ok()) return std::move(r).error();
  if (Result<void> r = positive(options.attempt_timeout, "pipeline.attempt_timeout"); !r.ok()) {
    return std::move(r).error();
  }
  if (Result<void> r = validate_rate_limit(options.rate_limit); !r) return std::move(r).error();
  if (options.retry_budget != nullptr && !options.retry) {
    return invalid_argument("pipeline.retry_budget: set without pipeline.retry; a budget only "
                            "limits retries");
  }
  std::optional<Retry> retry;
  if (options.retry) {
    Result<Retry> made = Retry::create(clock, random, *options.retry, options.retry_budget);
    if (!made.ok()) return invalid_argument("pipeline." + std::move(made).error().message);
    retry.emplace(std::move(made).value());
  }
  return Pipeline(clock, std::move(options), std::move(retry));
}

}  // namespace faultline::resilience
