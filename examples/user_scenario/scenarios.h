// The inventory service under the simulator: two scenarios for faultline's harness.
//
//   inventory/reserve     (must hold)  three customers buy two units each of a SKU stocked at
//                                      five, through InventoryService with the idempotency key:
//                                      no reservation is charged twice, and no more
//                                      reservations are charged than units left the stock;
//   inventory/no-key      (hazard)     the same service sending no idempotency key: when a
//                                      charge's reply is lost, the retry charges again.
// Both are judged from the payments server's ledger and the stock on the Redis node, and name
// their witness: the reservation, the client's charge attempts, the charges applied.
//
// The faults (the same for both): lost requests and replies on every link, partitions between
// a customer and Redis or payments, payments outages (failing fast or hanging). Not admitted,
// because the stock write is not fenced (inventory.h): customers paused past their lease, clock
// faults, duplicated or delayed messages, a Redis that loses its data in a crash.
#pragma once

#include <memory>

#include "faultline/harness/catalogue.h"
#include "faultline/harness/scenario.h"

namespace inventory {

// Options of the workload, fixed by the scenarios.
inline constexpr int kCustomers = 3;
inline constexpr int kPurchasesEach = 2;
inline constexpr int kInitialStock = 5;

// `idempotency_key` false: the hazard.
[[nodiscard]] std::unique_ptr<faultline::harness::Scenario> reserve_scenario(bool idempotency_key);

// Adds both scenarios to `catalogue`.
void add_scenarios(faultline::harness::Catalogue& catalogue);

}  // namespace inventory
