#include "faultline/resilience/pipeline.h"

#include <string>
#include "faultline/validate.h"

namespace faultline::resilience {

Result<Pipeline> Pipeline::create(Clock& clock, Random& random, PipelineOptions options) {
  // Optional: absent means no such timeout.
  const auto positive = [](const std::optional<Duration>& d, const char* field) -> Result<void> {
    return d ? check_positive(field, *d) : Ok{};
  };
  if (Result<void> r = positive(options.timeout, "pipeline.timeout"); !r.ok()) return std::move(r).error();
  if (Result<void> r = positive(options.attempt_timeout, "pipeline.attempt_timeout"); !r.ok()) {
    return std::move(r).error();
  }
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
