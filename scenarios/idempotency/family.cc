#include "scenarios/idempotency/family.h"

#include "scenarios/idempotency/consumer_dedup.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  all.push_back(consumer_dedup_scenario(DedupVariant::kLedger));
  all.push_back(consumer_dedup_scenario(DedupVariant::kRedisOnly));
}

}  // namespace faultline::scenarios
