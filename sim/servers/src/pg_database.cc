#include "faultline/sim/pg_database.h"

namespace faultline::sim {

bool PgTable::insert(std::string_view key, PgRow row) {
  return rows_.emplace(std::string(key), std::move(row)).second;
}

const PgRow* PgTable::find(std::string_view key) const {
  auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second;
}

bool PgTable::update(std::string_view key, std::string_view column, std::string value) {
  auto it = rows_.find(key);
  if (it == rows_.end()) return false;
  it->second.insert_or_assign(std::string(column), std::move(value));
  return true;
}

bool PgTable::erase(std::string_view key) {
  auto it = rows_.find(key);
  if (it == rows_.end()) return false;
  rows_.erase(it);
  return true;
}

PgTable& PgDatabase::table(std::string_view name) {
  auto it = tables_.find(name);
  if (it == tables_.end()) it = tables_.emplace(std::string(name), PgTable{}).first;
  return it->second;
}

const PgTable* PgDatabase::find_table(std::string_view name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

}  // namespace faultline::sim
