// PgDatabase: the durable tables of the simulated PostgreSQL server (PgNode), for the families
// that keep records in PostgreSQL (fencing counters today; idempotency keys, outboxes next).
//
// A table is rows under a unique primary key (text), each row named columns of text: the
// model stores what the SQL stores, and a family's module maps its own types onto it. INSERT
// refuses a key that exists, as a PRIMARY KEY / UNIQUE constraint does (the caller turns that
// into kAlreadyExists or an upsert). Iteration is in key order, never in address order.
//
// Transactions and durability are the node's (PgNode::transaction): a body runs on the node as
// one atomic step, all or nothing, and what it commits survives any crash (PostgreSQL fsyncs
// its WAL at commit by default). Row locks and secondary unique constraints are for the
// families that need them to add here.
//
// Thread-safety: none. Copyable (a transaction works on a copy and commits by swapping it in).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace faultline::sim {

using PgRow = std::map<std::string, std::string, std::less<>>;

class PgTable {
 public:
  // INSERT: false, changing nothing, when `key` exists (a unique violation).
  bool insert(std::string_view key, PgRow row);
  // The row under `key`, or nullptr.
  [[nodiscard]] const PgRow* find(std::string_view key) const;
  // UPDATE of one column; false when there is no such row.
  bool update(std::string_view key, std::string_view column, std::string value);
  // DELETE; false when there was no such row.
  bool erase(std::string_view key);
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size(); }
  [[nodiscard]] const std::map<std::string, PgRow, std::less<>>& rows() const noexcept {
    return rows_;
  }
  bool operator==(const PgTable&) const = default;

 private:
  std::map<std::string, PgRow, std::less<>> rows_;
};

class PgDatabase {
 public:
  // The table `name`, created empty on first use (CREATE TABLE IF NOT EXISTS).
  [[nodiscard]] PgTable& table(std::string_view name);
  // The table `name`, or nullptr if it was never created (for checkers and tests).
  [[nodiscard]] const PgTable* find_table(std::string_view name) const;
  bool operator==(const PgDatabase&) const = default;

 private:
  std::map<std::string, PgTable, std::less<>> tables_;
};

}  // namespace faultline::sim
