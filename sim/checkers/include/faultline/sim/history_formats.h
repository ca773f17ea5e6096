// Reading histories into the checker's records (linearizability.h): three text formats, and
// faultline's own in-memory History.
//
// Formats (one event per line; an operation is an invocation line, then at most one completion
// line from the same process; positions are line numbers, 1-based, so reports point at lines):
//
//   Jepsen log   e.g. `INFO  jepsen.util - 3	:invoke	:cas	[1 4]`: `<process> :invoke|:ok|:fail|:info
//                :read|:write|:cas <value>` anywhere on a line, the value being nil, an integer,
//                `[from to]` or `:timed-out`. Read as Porcupine's suite reads etcd logs:
//                  `:ok :read v` returns v; `:ok :cas` returns "ok"; `:fail :cas` returns "fail"
//                  (the compare failed: an observation the model checks); a `:fail` whose value is
//                  `:timed-out` and every `:info` leave the operation open; any other `:fail`
//                  did not happen and is dropped; an invocation never completed stays open.
//                Lines with no event (no :invoke/:ok/:fail/:info token) are ignored.
//   EDN maps     e.g. `{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`.
//   JSON lines   faultline's own format, the same fields as the EDN maps:
//                `{"process": 1, "type": "invoke", "f": "acquire", "key": "lock", "value": null}`
//                `{"process": 1, "type": "ok", "f": "acquire", "value": "token=3"}`
//                process: a non-negative integer; type: "invoke", "ok", "fail" or "info"; f: a
//                string; key: optional, a string (or an integer, read as its decimal text);
//                value: optional, null, an integer, a string, or an array of those (cas [from to]).
//   EDN and JSON lines share Jepsen's meaning of `type`: the invocation's value is the input (nil
//   means none), an `ok` completion's value is the result (for cas, whose `ok` value merely echoes
//   the arguments, the result is "ok"), `fail` means the operation did not happen (dropped), and
//   `info` or no completion leaves it open. Blank lines are ignored in every format.
//
// Errors: kInvalidArgument, message "line N: expected <what>, found <what>" for the first bad
// line (a completion with no pending invocation, a process invoking twice, a completion naming a
// different operation, a malformed value, an unknown type...).
// Bounds: one pass over the text; memory proportional to it.
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/result.h"
#include "faultline/sim/history.h"
#include "faultline/sim/linearizability.h"

namespace faultline::sim {

enum class HistoryFormat { kJepsenLog, kEdn, kJsonLines };
[[nodiscard]] const char* to_string(HistoryFormat format) noexcept;

[[nodiscard]] Result<std::vector<LinOp>> parse_jepsen_log(std::string_view text);
[[nodiscard]] Result<std::vector<LinOp>> parse_edn_history(std::string_view text);
[[nodiscard]] Result<std::vector<LinOp>> parse_json_history(std::string_view text);

// From the first non-blank line: `{"` is JSON lines, `{:` EDN; otherwise a Jepsen log if any
// line holds a Jepsen event. kInvalidArgument (with the line) when none fits or the text is blank.
[[nodiscard]] Result<HistoryFormat> detect_history_format(std::string_view text);
// detect_history_format, then the matching parser.
[[nodiscard]] Result<std::vector<LinOp>> parse_history(std::string_view text);

// faultline's own History: kOk returns (output = the recorded output text), kFail did not happen
// (dropped), kUnknown and kPending stay open. f = the operation's name; input = {its input text}
// when not empty; key "". Positions are the records' sequence numbers. `keep` (when set) selects
// which operations to convert, e.g. only "acquire" and "release" for the mutex model.
[[nodiscard]] std::vector<LinOp> from_sim_history(
    const History& history, const std::function<bool(const Operation&)>& keep = nullptr);

// The History in the JSON lines format above, one event per line in record order (so
// parse_json_history(to_json_lines(h)) equals from_sim_history(h) up to positions).
[[nodiscard]] std::string to_json_lines(const History& history);

}  // namespace faultline::sim
