#include "scenarios/idempotency/family.h"

#include "scenarios/idempotency/payment_requests.h"

namespace faultline::scenarios {

void add_idempotency_scenarios(std::vector<std::unique_ptr<Scenario>>& all) {
  add_payment_request_scenarios(all);
}

}  // namespace faultline::scenarios
