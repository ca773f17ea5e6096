#include "faultline/sim/history_formats.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "faultline/invariant.h"

namespace faultline::sim {
namespace {

enum class EventType { kInvoke, kOk, kFail, kInfo };

// A value as the formats write it. Keywords appear only in Jepsen logs (`:timed-out`).
struct RawValue {
  enum class Kind { kNil, kScalar, kList, kKeyword } kind = Kind::kNil;
  Datum scalar;
  std::vector<Datum> list;
  std::string keyword;
};

struct Event {
  std::size_t line = 0;
  std::uint64_t process = 0;
  EventType type = EventType::kInvoke;
  std::string f;
  std::string key;
  RawValue value;
};

Error at_line(std::size_t line, std::string_view what) {
  return invalid_argument(fmt::format("line {}: {}", line, what));
}

std::string show(std::string_view found) {
  if (found.empty()) return "the end of the line";
  return fmt::format("'{}'", found.substr(0, 40));
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

// Splits text into lines (without the '\n' or a trailing '\r'), calling fn(line_number, line)
// until it returns an error.
template <class Fn>
Result<void> for_each_line(std::string_view text, Fn&& fn) {
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Result<void> r = fn(number, line); !r) return r;
  }
  return Ok{};
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// --- pairing invocations with completions ---------------------------------------------------

class Builder {
 public:
  explicit Builder(bool jepsen_log) : jepsen_log_(jepsen_log) {}

  Result<void> add(Event ev) {
    if (ev.type == EventType::kInvoke) return invoke(std::move(ev));
    auto it = pending_.find(ev.process);
    if (it == pending_.end()) {
      return at_line(ev.line, fmt::format("expected an invocation by process {} before its "
                                          "completion, found a completion with none pending",
                                          ev.process));
    }
    const std::size_t index = it->second;
    pending_.erase(it);
    LinOp& op = ops_[index];
    if (ev.f != op.f) {
      return at_line(ev.line, fmt::format("expected the completion of '{}' invoked by process {} "
                                          "at line {}, found '{}'",
                                          op.f, ev.process, op.invoke_at, ev.f));
    }
    const bool timed_out =
        ev.value.kind == RawValue::Kind::kKeyword && ev.value.keyword == "timed-out";
    switch (ev.type) {
      case EventType::kInvoke: break;  // handled above
      case EventType::kInfo: return Ok{};  // open: effect and result unknown
      case EventType::kFail:
        if (jepsen_log_ && timed_out) return Ok{};  // unknown outcome: open
        if (jepsen_log_ && op.f == "cas") return complete(op, ev.line, Datum{std::string("fail")});
        dropped_[index] = true;  // did not happen
        return Ok{};
      case EventType::kOk:
        if (op.f == "cas") return complete(op, ev.line, Datum{std::string("ok")});
        if (jepsen_log_ && op.f == "write") return complete(op, ev.line, Datum{});
        switch (ev.value.kind) {
          case RawValue::Kind::kNil: return complete(op, ev.line, Datum{});
          case RawValue::Kind::kScalar: return complete(op, ev.line, std::move(ev.value.scalar));
          case RawValue::Kind::kList:
          case RawValue::Kind::kKeyword: break;
        }
        return at_line(ev.line, fmt::format("expected nil, an integer or a string as the result "
                                            "of '{}'",
                                            op.f));
    }
    return Ok{};
  }

  std::vector<LinOp> finish() && {
    std::vector<LinOp> kept;
    kept.reserve(ops_.size());
    for (std::size_t i = 0; i < ops_.size(); ++i) {
      if (!dropped_[i]) kept.push_back(std::move(ops_[i]));
    }
    return kept;
  }

 private:
  Result<void> invoke(Event ev) {
    if (auto it = pending_.find(ev.process); it != pending_.end()) {
      return at_line(ev.line, fmt::format("expected the completion of process {}'s operation "
                                          "invoked at line {}, found another invocation",
                                          ev.process, ops_[it->second].invoke_at));
    }
    LinOp op;
    op.process = ev.process;
    op.f = std::move(ev.f);
    op.key = std::move(ev.key);
    op.invoke_at = ev.line;
    switch (ev.value.kind) {
      case RawValue::Kind::kNil: break;
      case RawValue::Kind::kScalar: op.input.push_back(std::move(ev.value.scalar)); break;
      case RawValue::Kind::kList: op.input = std::move(ev.value.list); break;
      case RawValue::Kind::kKeyword:
        return at_line(ev.line, "expected nil, an integer, a string or a list as the argument, "
                                "found a keyword");
    }
    pending_.emplace(op.process, ops_.size());
    ops_.push_back(std::move(op));
    dropped_.push_back(false);
    return Ok{};
  }

  static Result<void> complete(LinOp& op, std::size_t line, Datum output) {
    op.output = std::move(output);
    op.return_at = line;
    return Ok{};
  }

  bool jepsen_log_;
  std::vector<LinOp> ops_;
  std::vector<bool> dropped_;
  std::unordered_map<std::uint64_t, std::size_t> pending_;  // process -> its open invocation
};

std::optional<EventType> event_type(std::string_view word) {
  if (word == "invoke") return EventType::kInvoke;
  if (word == "ok") return EventType::kOk;
  if (word == "fail") return EventType::kFail;
  if (word == "info") return EventType::kInfo;
  return std::nullopt;
}

// --- a small EDN reader: maps of keywords to nil, integers, strings, keywords, vectors -------

class EdnReader {
 public:
  EdnReader(std::string_view text, std::size_t line) : text_(text), line_(line) {}

  Result<RawValue> value() {
    skip_space();
    if (pos_ >= text_.size()) return expected("a value");
    const char c = text_[pos_];
    if (c == '[') return vector();
    if (c == '"') {
      Result<std::string> s = string();
      if (!s) return std::move(s).error();
      return RawValue{RawValue::Kind::kScalar, Datum{std::move(*s)}, {}, {}};
    }
    if (c == ':') {
      ++pos_;
      std::string_view word = symbol();
      if (word.empty()) return expected("a keyword name after ':'");
      return RawValue{RawValue::Kind::kKeyword, {}, {}, std::string(word)};
    }
    const std::size_t start = pos_;
    std::string_view word = symbol();
    if (word == "nil") return RawValue{};
    if (std::optional<std::int64_t> i = parse_int(word)) {
      return RawValue{RawValue::Kind::kScalar, Datum{*i}, {}, {}};
    }
    pos_ = start;
    return expected("nil, an integer, a string, a keyword or a vector");
  }

  // {:k v, ...} as (keyword, value) pairs in order.
  Result<std::vector<std::pair<std::string, RawValue>>> map() {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '{') return expected("'{'");
    ++pos_;
    std::vector<std::pair<std::string, RawValue>> fields;
    for (;;) {
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        break;
      }
      if (pos_ >= text_.size() || text_[pos_] != ':') return expected("a keyword or '}'");
      ++pos_;
      std::string key(symbol());
      if (key.empty()) return expected("a keyword name after ':'");
      Result<RawValue> v = value();
      if (!v) return std::move(v).error();
      fields.emplace_back(std::move(key), std::move(*v));
    }
    skip_space();
    if (pos_ != text_.size()) return expected("the end of the line after the map");
    return fields;
  }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ',')) {
      ++pos_;
    }
  }
  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }

 private:
  std::string_view symbol() {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '?' || c == '!' || c == '*' || c == '+' ||
                      c == '.' || c == '/';
      if (!ok) break;
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  Result<std::string> string() {
    FAULTLINE_INVARIANT(text_[pos_] == '"', "the caller saw a quote here");
    ++pos_;
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      char c = text_[pos_++];
      if (c == '\\') {
        if (pos_ >= text_.size()) break;
        const char esc = text_[pos_++];
        switch (esc) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case '"': case '\\': c = esc; break;
          default: --pos_; return expected("an escape (\\n, \\t, \\r, \\\", \\\\)");
        }
      }
      out.push_back(c);
    }
    if (pos_ >= text_.size()) return expected("a closing '\"'");
    ++pos_;
    return out;
  }

  Result<RawValue> vector() {
    ++pos_;  // '['
    RawValue v{RawValue::Kind::kList, {}, {}, {}};
    for (;;) {
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return v;
      }
      if (pos_ >= text_.size()) return expected("']'");
      Result<RawValue> item = value();
      if (!item) return std::move(item).error();
      if (item->kind == RawValue::Kind::kNil) {
        v.list.emplace_back();
      } else if (item->kind == RawValue::Kind::kScalar) {
        v.list.push_back(std::move(item->scalar));
      } else {
        return expected("nil, an integer or a string inside a vector");
      }
    }
  }

  Error expected(std::string_view what) const {
    return at_line(line_, fmt::format("expected {} at column {}, found {}", what, pos_ + 1,
                                      show(text_.substr(std::min(pos_, text_.size())))));
  }

  std::string_view text_;
  std::size_t line_;
  std::size_t pos_ = 0;
};

// --- per-format line readers ----------------------------------------------------------------

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// The index of the word that is a Jepsen event type (":invoke", ...), if any.
std::optional<std::size_t> jepsen_type_word(const std::vector<std::string_view>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].size() > 1 && words[i][0] == ':' && event_type(words[i].substr(1))) return i;
  }
  return std::nullopt;
}

// nullopt for a line without an event (ignored).
Result<std::optional<Event>> read_jepsen_line(std::size_t number, std::string_view line) {
  const std::vector<std::string_view> words = split_words(line);
  const std::optional<std::size_t> t = jepsen_type_word(words);
  if (!t) return std::optional<Event>();
  Event ev;
  ev.line = number;
  ev.type = *event_type(words[*t].substr(1));
  std::optional<std::int64_t> process;
  if (*t > 0) process = parse_int(words[*t - 1]);
  if (!process || *process < 0) {
    return at_line(number, fmt::format("expected a process number before {}, found {}",
                                       words[*t], *t > 0 ? show(words[*t - 1]) : show("")));
  }
  ev.process = static_cast<std::uint64_t>(*process);
  if (*t + 1 >= words.size() ||
      (words[*t + 1] != ":read" && words[*t + 1] != ":write" && words[*t + 1] != ":cas")) {
    return at_line(number, fmt::format("expected :read, :write or :cas after {}, found {}",
                                       words[*t], *t + 1 < words.size() ? show(words[*t + 1])
                                                                        : show("")));
  }
  ev.f = std::string(words[*t + 1].substr(1));
  std::string rest;
  for (std::size_t i = *t + 2; i < words.size(); ++i) {
    if (!rest.empty()) rest += ' ';
    rest += words[i];
  }
  EdnReader reader(rest, number);
  Result<RawValue> v = reader.value();
  if (!v) return std::move(v).error();
  reader.skip_space();
  if (!reader.at_end()) {
    return at_line(number, fmt::format("expected the end of the line after the value, found {}",
                                       show(rest)));
  }
  ev.value = std::move(*v);
  return std::optional<Event>(std::move(ev));
}

Result<Event> read_edn_line(std::size_t number, std::string_view line) {
  EdnReader reader(line, number);
  auto fields = reader.map();
  if (!fields) return std::move(fields).error();
  Event ev;
  ev.line = number;
  bool have_process = false;
  bool have_type = false;
  bool have_f = false;
  for (auto& [name, v] : *fields) {
    if (name == "process") {
      const auto* i = std::get_if<std::int64_t>(&v.scalar);
      if (v.kind != RawValue::Kind::kScalar || i == nullptr || *i < 0) {
        return at_line(number, "expected a non-negative integer as :process");
      }
      ev.process = static_cast<std::uint64_t>(*i);
      have_process = true;
    } else if (name == "type") {
      std::optional<EventType> type;
      if (v.kind == RawValue::Kind::kKeyword) type = event_type(v.keyword);
      if (!type) return at_line(number, "expected :invoke, :ok, :fail or :info as :type");
      ev.type = *type;
      have_type = true;
    } else if (name == "f") {
      if (v.kind != RawValue::Kind::kKeyword) return at_line(number, "expected a keyword as :f");
      ev.f = v.keyword;
      have_f = true;
    } else if (name == "key") {
      if (const auto* s = std::get_if<std::string>(&v.scalar); s && v.kind == RawValue::Kind::kScalar) {
        ev.key = *s;
      } else if (const auto* i = std::get_if<std::int64_t>(&v.scalar);
                 i && v.kind == RawValue::Kind::kScalar) {
        ev.key = std::to_string(*i);
      } else {
        return at_line(number, "expected a string or an integer as :key");
      }
    } else if (name == "value") {
      ev.value = std::move(v);
    }  // other fields (:time, :index, ...) are ignored
  }
  if (!have_process || !have_type || !have_f) {
    return at_line(number, fmt::format("expected the fields :process, :type and :f, found no {}",
                                       !have_process ? ":process" : !have_type ? ":type" : ":f"));
  }
  return ev;
}

Result<Datum> json_scalar(const nlohmann::json& j, std::size_t number) {
  if (j.is_null()) return Datum{};
  if (j.is_number_integer()) return Datum{j.get<std::int64_t>()};
  if (j.is_string()) return Datum{j.get<std::string>()};
  return at_line(number, fmt::format("expected null, an integer or a string as a value, found {}",
                                     j.dump()));
}

Result<Event> read_json_line(std::size_t number, std::string_view line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return at_line(number, fmt::format("expected one JSON object, found {}", show(line)));
  }
  Event ev;
  ev.line = number;
  const auto process = j.find("process");
  if (process == j.end() || !process->is_number_integer() || process->get<std::int64_t>() < 0) {
    return at_line(number, "expected a non-negative integer as \"process\"");
  }
  ev.process = process->get<std::uint64_t>();
  const auto type = j.find("type");
  std::optional<EventType> t;
  if (type != j.end() && type->is_string()) t = event_type(type->get<std::string>());
  if (!t) return at_line(number, R"(expected "invoke", "ok", "fail" or "info" as "type")");
  ev.type = *t;
  const auto f = j.find("f");
  if (f == j.end() || !f->is_string()) return at_line(number, R"(expected a string as "f")");
  ev.f = f->get<std::string>();
  if (const auto key = j.find("key"); key != j.end()) {
    if (key->is_string()) {
      ev.key = key->get<std::string>();
    } else if (key->is_number_integer()) {
      ev.key = std::to_string(key->get<std::int64_t>());
    } else {
      return at_line(number, R"(expected a string or an integer as "key")");
    }
  }
  if (const auto value = j.find("value"); value != j.end() && !value->is_null()) {
    if (value->is_array()) {
      ev.value.kind = RawValue::Kind::kList;
      for (const nlohmann::json& item : *value) {
        Result<Datum> d = json_scalar(item, number);
        if (!d) return std::move(d).error();
        ev.value.list.push_back(std::move(*d));
      }
    } else {
      Result<Datum> d = json_scalar(*value, number);
      if (!d) return std::move(d).error();
      ev.value.kind = RawValue::Kind::kScalar;
      ev.value.scalar = std::move(*d);
    }
  }
  return ev;
}

}  // namespace

const char* to_string(HistoryFormat format) noexcept {
  switch (format) {
    case HistoryFormat::kJepsenLog: return "jepsen-log";
    case HistoryFormat::kEdn: return "edn";
    case HistoryFormat::kJsonLines: return "json-lines";
  }
  return "?";
}

Result<std::vector<LinOp>> parse_jepsen_log(std::string_view text) {
  Builder builder(/*jepsen_log=*/true);
  Result<void> r = for_each_line(text, [&](std::size_t number, std::string_view line) -> Result<void> {
    Result<std::optional<Event>> ev = read_jepsen_line(number, line);
    if (!ev) return std::move(ev).error();
    if (!*ev) return Ok{};
    return builder.add(std::move(**ev));
  });
  if (!r) return std::move(r).error();
  return std::move(builder).finish();
}

Result<std::vector<LinOp>> parse_edn_history(std::string_view text) {
  Builder builder(/*jepsen_log=*/false);
  Result<void> r = for_each_line(text, [&](std::size_t number, std::string_view line) -> Result<void> {
    if (blank(line)) return Ok{};
    Result<Event> ev = read_edn_line(number, line);
    if (!ev) return std::move(ev).error();
    return builder.add(std::move(*ev));
  });
  if (!r) return std::move(r).error();
  return std::move(builder).finish();
}

Result<std::vector<LinOp>> parse_json_history(std::string_view text) {
  Builder builder(/*jepsen_log=*/false);
  Result<void> r = for_each_line(text, [&](std::size_t number, std::string_view line) -> Result<void> {
    if (blank(line)) return Ok{};
    Result<Event> ev = read_json_line(number, line);
    if (!ev) return std::move(ev).error();
    return builder.add(std::move(*ev));
  });
  if (!r) return std::move(r).error();
  return std::move(builder).finish();
}

Result<HistoryFormat> detect_history_format(std::string_view text) {
  std::optional<std::size_t> first_line;
  std::optional<HistoryFormat> found;
  Result<void> r = for_each_line(text, [&](std::size_t number, std::string_view line) -> Result<void> {
    if (found || blank(line)) return Ok{};
    const std::size_t start = line.find_first_not_of(" \t");
    if (!first_line) {
      first_line = number;
      if (line[start] == '{') {
        const std::size_t next = line.find_first_not_of(" \t", start + 1);
        if (next != std::string_view::npos && line[next] == '"') found = HistoryFormat::kJsonLines;
        if (next != std::string_view::npos && line[next] == ':') found = HistoryFormat::kEdn;
        if (!found) {
          return at_line(number, "expected a JSON object ({\"process\": ...}) or an EDN map "
                                 "({:process ...}) after '{'");
        }
        return Ok{};
      }
    }
    if (jepsen_type_word(split_words(line))) found = HistoryFormat::kJepsenLog;
    return Ok{};
  });
  if (!r) return std::move(r).error();
  if (found) return *found;
  return at_line(first_line.value_or(1),
                 "expected a history: Jepsen log lines (`3 :invoke :read nil`), EDN maps "
                 "({:process 0, :type :invoke, ...}) or JSON objects ({\"process\": 0, ...}), "
                 "found none");
}

Result<std::vector<LinOp>> parse_history(std::string_view text) {
  Result<HistoryFormat> format = detect_history_format(text);
  if (!format) return std::move(format).error();
  switch (*format) {
    case HistoryFormat::kJepsenLog: return parse_jepsen_log(text);
    case HistoryFormat::kEdn: return parse_edn_history(text);
    case HistoryFormat::kJsonLines: return parse_json_history(text);
  }
  return invalid_argument("unknown history format");
}

std::vector<LinOp> from_sim_history(const History& history,
                                    const std::function<bool(const Operation&)>& keep) {
  std::vector<LinOp> ops;
  for (const Operation& o : history.operations()) {
    if (keep && !keep(o)) continue;
    if (o.status == OpStatus::kFail) continue;  // certainly did not happen
    LinOp op;
    op.process = o.process;
    op.f = o.name;
    if (!o.input.empty()) op.input.emplace_back(o.input);
    op.invoke_at = o.invoke_seq;
    if (o.status == OpStatus::kOk) {
      op.return_at = o.complete_seq;
      if (!o.output.empty()) op.output = o.output;  // as to_json_lines writes it: "" is null
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

std::string to_json_lines(const History& history) {
  struct Line {
    std::uint64_t seq;
    nlohmann::json json;
  };
  std::vector<Line> lines;
  for (const Operation& o : history.operations()) {
    nlohmann::json invoke = {{"process", o.process}, {"type", "invoke"}, {"f", o.name}};
    invoke["value"] = o.input.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.input);
    lines.push_back(Line{o.invoke_seq, std::move(invoke)});
    if (o.status == OpStatus::kPending) continue;  // never completed: stays open
    const char* type = o.status == OpStatus::kOk     ? "ok"
                       : o.status == OpStatus::kFail ? "fail"
                                                     : "info";
    nlohmann::json done = {{"process", o.process}, {"type", type}, {"f", o.name}};
    done["value"] = o.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.output);
    lines.push_back(Line{o.complete_seq, std::move(done)});
  }
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.seq < b.seq; });
  std::string out;
  for (const Line& l : lines) out += l.json.dump() + "\n";
  return out;
}

}  // namespace faultline::sim
