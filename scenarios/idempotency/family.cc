#include "scenarios/idempotency/family.h"

#include "scenarios/idempotency/consumer_dedup.h"
#include "scenarios/idempotency/payment_requests.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  add_payment_request_scenarios(all);
  all.push_back(consumer_dedup_scenario(DedupVariant::kLedger));
  all.push_back(consumer_dedup_scenario(DedupVariant::kRedisOnly));
}

}  // namespace faultline::scenarios
