#include "faultline/ratelimit/quota_fields.h"

#include <algorithm>

#include "faultline/ratelimit/structured_fields.h"
#include "faultline/validate.h"
#include "sf_chars.h"

namespace faultline::ratelimit {
namespace {

// "<field>: <what>[<index>].<part>", the path a render message names.
std::string path(std::string_view field, std::string_view what, std::size_t index,
                 std::string_view part) {
  return std::string(field) + ": " + std::string(what) + "[" + std::to_string(index) + "]." +
         std::string(part);
}

// The member count and every name: non-empty, printable ASCII, not seen before.
template <class Member>
Result<void> check_members(std::string_view field, std::string_view what,
                           std::span<const Member> members) {
  if (auto r = check_size(std::string(field) + ": " + std::string(what), members.size(), 1,
                          sf::kMaxListMembers, "members");
      !r) {
    return r.error();
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string& name = members[i].name;
    const std::string where = path(field, what, i, "name");
    if (name.empty()) return invalid_argument(where + ": empty; a policy needs a name");
    const auto bad = std::find_if_not(name.begin(), name.end(), sf::detail::is_printable);
    if (bad != name.end()) {
      return field_error(where, "\"" + sf::detail::shown_text(name) + "\"",
                         "byte " + std::to_string(bad - name.begin()) + " is " +
                             sf::detail::shown_byte(*bad) +
                             "; must be printable ASCII (0x20-0x7E), all an sf-string carries");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (members[j].name == name) {
        return field_error(where, "\"" + name + "\"",
                           "also the name of member " + std::to_string(j) + "; must be unique");
      }
    }
  }
  return Ok{};
}

// The text of `list`, refused when longer than the parsers accept (so it always parses back).
Result<std::string> finish(std::string_view field, const sf::List& list) {
  Result<std::string> text = sf::serialize_list(field, list);
  if (text && text->size() > sf::kMaxFieldBytes) {
    return field_error(
        field, std::to_string(text->size()) + " bytes",
        "must be at most " + std::to_string(sf::kMaxFieldBytes) + " (what the parsers accept)");
  }
  return text;
}

// The Integer parameter `key` = `value`, refused (naming `where`) outside [min, 15 digits].
Result<void> add_integer(sf::Item& item, const std::string& where, std::string_view key,
                         std::int64_t value, std::int64_t min) {
  if (auto r = check_range(where, value, min, sf::kMaxInteger); !r) return r.error();
  item.params.push_back({std::string(key), value});
  return Ok{};
}

// `item` with its pk parameter, when there is a partition key.
sf::Item with_partition_key(sf::Item item, const std::optional<std::string>& key) {
  if (key) item.params.push_back({"pk", sf::ByteSequence{*key}});
  return item;
}

// The List of `members`: each one's name, the parameters `add_params(member, item, at)` adds
// (`at(part)` names the part in a message), then its pk; as text, or the first refusal.
template <class Member, class AddParams>
Result<std::string> render_field(std::string_view field, std::string_view what,
                                 std::span<const Member> members, AddParams add_params) {
  if (auto r = check_members(field, what, members); !r) return r.error();
  sf::List list;
  for (std::size_t i = 0; i < members.size(); ++i) {
    sf::Item item{.value = members[i].name};
    const auto at = [&](std::string_view part) { return path(field, what, i, part); };
    if (auto r = add_params(members[i], item, at); !r) return r.error();
    list.push_back(with_partition_key(std::move(item), members[i].partition_key));
  }
  return finish(field, list);
}

// Reads the parameters of one parsed member, with messages naming it.
class MemberReader {
 public:
  MemberReader(std::string_view field, std::size_t index, const sf::Item& item)
      : field_(field), index_(index), item_(item) {}

  Error fail(const std::string& why) const {
    std::string name;
    if (const auto* s = std::get_if<std::string>(&item_.value)) name = " (\"" + *s + "\")";
    if (const auto* t = std::get_if<sf::Token>(&item_.value)) name = " (" + t->value + ")";
    return invalid_argument(std::string(field_) + ": member " + std::to_string(index_) +
                            sf::detail::shown_text(name) + " at offset " +
                            std::to_string(item_.offset) + ": " + why);
  }

  Result<std::string> name() const {
    if (const auto* s = std::get_if<std::string>(&item_.value)) return *s;
    if (const auto* t = std::get_if<sf::Token>(&item_.value)) return t->value;
    return fail("the policy name must be a String or a Token");
  }

  // An Integer parameter >= `min`; nullopt when absent and not `required`.
  Result<std::optional<std::int64_t>> integer(std::string_view key, std::int64_t min,
                                              bool required) const {
    const sf::BareItem* value = sf::find_param(item_.params, key);
    if (value == nullptr) {
      if (required) return fail(std::string(key) + " is missing (it is required)");
      return std::optional<std::int64_t>();
    }
    const auto* i = std::get_if<std::int64_t>(value);
    if (i == nullptr) return fail(std::string(key) + " must be an Integer");
    if (*i < min) {
      return fail(std::string(key) + "=" + std::to_string(*i) + " must be at least " +
                  std::to_string(min));
    }
    return std::optional<std::int64_t>(*i);
  }

  // The pk parameter: a Byte Sequence.
  Result<std::optional<std::string>> partition_key() const {
    const sf::BareItem* value = sf::find_param(item_.params, "pk");
    if (value == nullptr) return std::optional<std::string>();
    const auto* b = std::get_if<sf::ByteSequence>(value);
    if (b == nullptr) return fail("pk must be a Byte Sequence");
    return std::optional<std::string>(b->bytes);
  }

  // The qu parameter: a String (the draft's examples) or a Token.
  Result<std::optional<std::string>> quota_unit() const {
    const sf::BareItem* value = sf::find_param(item_.params, "qu");
    if (value == nullptr) return std::optional<std::string>();
    if (const auto* s = std::get_if<std::string>(value)) return std::optional<std::string>(*s);
    if (const auto* t = std::get_if<sf::Token>(value)) return std::optional<std::string>(t->value);
    return fail("qu must be a String or a Token");
  }

 private:
  std::string_view field_;
  std::size_t index_;
  const sf::Item& item_;
};

// parse_list, refusing an empty List (both fields are non-empty Lists).
Result<sf::List> parse_members(std::string_view field, std::string_view value) {
  Result<sf::List> list = sf::parse_list(field, value);
  if (list && list->empty()) {
    return invalid_argument(std::string(field) + ": empty; the field lists at least one policy" +
                            " at offset 0");
  }
  return list;
}

std::optional<std::chrono::seconds> as_seconds(std::optional<std::int64_t> s) {
  if (!s) return std::nullopt;
  return std::chrono::seconds(*s);
}

// q, w and qu (parse_field reads the name and pk, which both fields have).
Result<void> read_policy(const MemberReader& reader, QuotaPolicy& out) {
  auto quota = reader.integer("q", 0, /*required=*/true);
  if (!quota) return quota.error();
  auto window = reader.integer("w", 1, /*required=*/false);
  if (!window) return window.error();
  auto unit = reader.quota_unit();
  if (!unit) return unit.error();
  out.quota = **quota;
  out.window = as_seconds(*window);
  out.quota_unit = std::move(unit).value();
  return Ok{};
}

// r and t.
Result<void> read_status(const MemberReader& reader, QuotaStatus& out) {
  auto remaining = reader.integer("r", 0, /*required=*/true);
  if (!remaining) return remaining.error();
  auto reset = reader.integer("t", 0, /*required=*/false);
  if (!reset) return reset.error();
  out.remaining = **remaining;
  out.reset = as_seconds(*reset);
  return Ok{};
}

// Every member of `value`: its name and pk, then the rest by `read` (read_policy or
// read_status).
template <class T>
Result<std::vector<T>> parse_field(std::string_view field, std::string_view value,
                                   Result<void> (*read)(const MemberReader&, T&)) {
  Result<sf::List> list = parse_members(field, value);
  if (!list) return list.error();
  std::vector<T> out(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const MemberReader reader(field, i, (*list)[i]);
    auto name = reader.name();
    if (!name) return name.error();
    out[i].name = std::move(name).value();
    if (auto r = read(reader, out[i]); !r) return r.error();
    auto key = reader.partition_key();
    if (!key) return key.error();
    out[i].partition_key = std::move(key).value();
  }
  return out;
}

}  // namespace

Result<std::string> render_policy_field(std::span<const QuotaPolicy> policies) {
  return render_field(kPolicyField, "policies", policies,
                      [](const QuotaPolicy& p, sf::Item& item, const auto& at) -> Result<void> {
                        if (auto r = add_integer(item, at("quota"), "q", p.quota, 0); !r) return r;
                        if (p.window) {
                          auto r = add_integer(item, at("window_s"), "w", p.window->count(), 1);
                          if (!r) return r;
                        }
                        if (p.quota_unit) item.params.push_back({"qu", *p.quota_unit});
                        return Ok{};
                      });
}

Result<std::string> render_ratelimit_field(std::span<const QuotaStatus> statuses) {
  return render_field(kRateLimitField, "statuses", statuses,
                      [](const QuotaStatus& s, sf::Item& item, const auto& at) -> Result<void> {
                        auto r = add_integer(item, at("remaining"), "r", s.remaining, 0);
                        if (!r || !s.reset) return r;
                        return add_integer(item, at("reset_s"), "t", s.reset->count(), 0);
                      });
}

Result<std::vector<QuotaPolicy>> parse_policy_field(std::string_view value) {
  return parse_field<QuotaPolicy>(kPolicyField, value, &read_policy);
}

Result<std::vector<QuotaStatus>> parse_ratelimit_field(std::string_view value) {
  return parse_field<QuotaStatus>(kRateLimitField, value, &read_status);
}

}  // namespace faultline::ratelimit
