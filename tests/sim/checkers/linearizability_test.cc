// The linearizability checker: verdicts on other projects' histories with known answers
// (Porcupine's etcd and kv suites), hand-written histories per model (open operations included),
// failure reports, parse errors, and RapidCheck properties over generated histories.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/sim/history.h"
#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability.h"
#include "faultline/sim/linearizability_models.h"
#include "faultline/sim/world.h"

#include "tests/sim/checkers/linearizability_test_ops.h"

namespace faultline::sim {
namespace {

using test_ops::read_file;

namespace fsys = std::filesystem;

#ifdef FAULTLINE_EXTERNAL_DIR
const fsys::path kExternal = FAULTLINE_EXTERNAL_DIR;
#else
const fsys::path kExternal;
#endif

Verdict check_text(std::string_view text, const Model& model, CheckOptions options = {}) {
  Result<std::vector<LinOp>> ops = parse_history(text);
  EXPECT_TRUE(ops.ok()) << ops.error().to_string();
  if (!ops) return Verdict::kUnknown;
  Result<CheckResult> r = check_linearizable(*ops, model, options);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r ? r->verdict : Verdict::kUnknown;
}

// ---- other projects' histories --------------------------------------------------------------

TEST(LinearizabilityExternal, EveryEtcdLogMatchesItsExpectedVerdict) {
  const fsys::path dir = kExternal / "porcupine" / "jepsen";
  if (!fsys::exists(dir / "expected.csv")) {
    GTEST_SKIP() << "no external data at " << dir << " (shared/external/ beside the checkout)";
  }
  std::istringstream csv(read_file(dir / "expected.csv"));
  std::string line;
  std::getline(csv, line);  // header
  ASSERT_EQ(line, "log,linearizable");
  int checked = 0;
  int linearizable = 0;
  CasRegisterModel model;
  while (std::getline(csv, line)) {
    if (line.empty()) continue;
    const std::size_t comma = line.find(',');
    ASSERT_NE(comma, std::string::npos) << line;
    const std::string log = line.substr(0, comma);
    const bool expected = line.substr(comma + 1) == "true";
    Result<std::vector<LinOp>> ops = parse_jepsen_log(read_file(dir / log));
    ASSERT_TRUE(ops.ok()) << log << ": " << ops.error().to_string();
    Result<CheckResult> r = check_linearizable(*ops, model);
    ASSERT_TRUE(r.ok()) << log;
    EXPECT_EQ(r->verdict, expected ? Verdict::kLinearizable : Verdict::kNotLinearizable)
        << log << ": " << r->explanation;
    if (r->verdict == Verdict::kNotLinearizable) {
      EXPECT_TRUE(r->stuck.has_value()) << log;
    }
    ++checked;
    linearizable += expected ? 1 : 0;
  }
  EXPECT_EQ(checked, 102);
  EXPECT_EQ(linearizable, 23);
}

TEST(LinearizabilityExternal, EveryKvHistoryMatchesItsName) {
  const fsys::path dir = kExternal / "porcupine" / "kv";
  if (!fsys::exists(dir)) {
    GTEST_SKIP() << "no external data at " << dir << " (shared/external/ beside the checkout)";
  }
  KvModel model;
  int checked = 0;
  for (const char* clients : {"c01", "c10", "c50"}) {
    for (const char* verdict : {"ok", "bad"}) {
      const std::string name = std::string(clients) + "-" + verdict + ".txt";
      const std::string text = read_file(dir / name);
      ASSERT_EQ(detect_history_format(text).value(), HistoryFormat::kEdn) << name;
      EXPECT_EQ(check_text(text, model), std::string(verdict) == "ok"
                                             ? Verdict::kLinearizable
                                             : Verdict::kNotLinearizable)
          << name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

// ---- hand-written histories -----------------------------------------------------------------

using test_ops::check;
using test_ops::i;
using test_ops::kOpen;
using test_ops::op;
using test_ops::s;

TEST(CasRegister, SequentialAndConcurrentHistories) {
  CasRegisterModel m;
  EXPECT_TRUE(check({}, m).linearizable());
  EXPECT_TRUE(check({op(1, "read", {}, {}, 1, 2), op(1, "write", {i(1)}, {}, 3, 4),
                     op(1, "read", {}, i(1), 5, 6), op(1, "cas", {i(1), i(2)}, s("ok"), 7, 8),
                     op(1, "cas", {i(1), i(3)}, s("fail"), 9, 10), op(1, "read", {}, i(2), 11, 12)},
                    m)
                  .linearizable());
  // A read overlapping a write may see either value.
  EXPECT_TRUE(check({op(1, "write", {i(1)}, {}, 1, 4), op(2, "read", {}, i(1), 2, 3)}, m)
                  .linearizable());
  EXPECT_TRUE(check({op(1, "write", {i(1)}, {}, 1, 4), op(2, "read", {}, {}, 2, 3)}, m)
                  .linearizable());
  // A cas reported as failed although the value matched.
  EXPECT_FALSE(check({op(1, "write", {i(1)}, {}, 1, 2), op(1, "cas", {i(1), i(2)}, s("fail"), 3, 4)},
                     m)
                   .linearizable());
}

TEST(CasRegister, StaleReadIsReportedWithTheOpThatCouldNotBeLinearized) {
  CasRegisterModel m;
  const std::vector<LinOp> ops = {op(1, "write", {i(1)}, {}, 1, 2),
                                  op(2, "write", {i(2)}, {}, 3, 4),
                                  op(3, "read", {}, i(1), 5, 6)};
  // The search's report (the rejection before it would catch this read: refute_test.cc).
  CheckOptions search_only;
  search_only.refute_first = false;
  CheckResult r = check(ops, m, search_only);
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  ASSERT_TRUE(r.stuck.has_value());
  EXPECT_EQ(*r.stuck, 2u);
  EXPECT_EQ(r.longest_prefix, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(r.stuck_state, "2");
  EXPECT_NE(r.explanation.find(describe(ops[2])), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("process 3: read() -> 1 [5..6]"), std::string::npos)
      << r.explanation;
}

TEST(CasRegister, OpenOperations) {
  CasRegisterModel m;
  // Linearizable only because the open write takes effect late: after the first read.
  EXPECT_TRUE(check({op(1, "write", {i(1)}, {}, 1, kOpen), op(2, "read", {}, {}, 2, 3),
                     op(2, "read", {}, i(1), 4, 5)},
                    m)
                  .linearizable());
  // ... or never.
  EXPECT_TRUE(check({op(1, "write", {i(1)}, {}, 1, kOpen), op(2, "read", {}, {}, 2, 3)}, m)
                  .linearizable());
  // But it cannot take effect before its invocation...
  EXPECT_FALSE(check({op(2, "read", {}, i(1), 1, 2), op(1, "write", {i(1)}, {}, 3, kOpen)}, m)
                   .linearizable());
  // ... nor be undone once seen.
  CheckResult r = check({op(1, "write", {i(1)}, {}, 1, kOpen), op(2, "read", {}, i(1), 2, 3),
                         op(2, "read", {}, {}, 4, 5)},
                        m);
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r.stuck, 2u);
  // An open cas takes effect only if its compare holds where it is placed.
  EXPECT_TRUE(check({op(1, "write", {i(0)}, {}, 1, 2), op(2, "cas", {i(0), i(5)}, {}, 3, kOpen),
                     op(1, "read", {}, i(0), 4, 5), op(1, "read", {}, i(5), 6, 7)},
                    m)
                  .linearizable());
  EXPECT_FALSE(check({op(1, "write", {i(1)}, {}, 1, 2), op(2, "cas", {i(0), i(5)}, {}, 3, kOpen),
                      op(1, "read", {}, i(5), 6, 7)},
                     m)
                   .linearizable());
}

TEST(CasRegister, BudgetExhaustionIsUnknownNotAVerdict) {
  CasRegisterModel m;
  std::vector<LinOp> ops;
  for (std::uint64_t p = 0; p < 12; ++p) ops.push_back(op(p, "write", {i(1)}, {}, 1, 100));
  CheckOptions tiny;
  tiny.max_steps = 5;
  CheckResult r = check(ops, m, tiny);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_LE(r.steps, 5u);
  EXPECT_TRUE(check(ops, m).linearizable());
}

TEST(CasRegister, InvalidOperationsAreRejected) {
  CasRegisterModel m;
  Result<CheckResult> bad_f = check_linearizable(std::vector{op(1, "get", {}, {}, 1, 2)}, m);
  ASSERT_FALSE(bad_f.ok());
  EXPECT_EQ(bad_f.error().code, ErrorCode::kInvalidArgument);
  Result<CheckResult> backwards = check_linearizable(std::vector{op(1, "read", {}, {}, 5, 2)}, m);
  ASSERT_FALSE(backwards.ok());
  EXPECT_EQ(backwards.error().code, ErrorCode::kInvalidArgument);
  Result<CheckResult> no_result =
      check_linearizable(std::vector{op(1, "cas", {i(1), i(2)}, {}, 1, 2)}, m);
  EXPECT_FALSE(no_result.ok());
}

TEST(Kv, KeysAreIndependentAndAppendsAccumulate) {
  KvModel m;
  EXPECT_TRUE(check({op(1, "append", {s("a")}, {}, 1, 2, "k"), op(2, "append", {s("b")}, {}, 1, 4, "k"),
                     op(3, "get", {}, s("ab"), 5, 6, "k"), op(3, "get", {}, {}, 7, 8, "j"),
                     op(1, "put", {s("z")}, {}, 9, 10, "j"), op(2, "get", {}, s("z"), 11, 12, "j")},
                    m)
                  .linearizable());
  // Concurrent appends in either order, but one order for every reader.
  CheckResult r = check({op(1, "append", {s("a")}, {}, 1, 4, "k"), op(2, "append", {s("b")}, {}, 1, 4, "k"),
                         op(3, "get", {}, s("ab"), 5, 6, "k"), op(4, "get", {}, s("ba"), 7, 8, "k")},
                        m);
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.stuck, 3u);
  // Open append taking effect late.
  EXPECT_TRUE(check({op(1, "append", {s("a")}, {}, 1, kOpen, "k"), op(2, "get", {}, s(""), 2, 3, "k"),
                     op(2, "get", {}, s("a"), 4, 5, "k")},
                    m)
                  .linearizable());
  EXPECT_FALSE(check({op(1, "append", {s("a")}, {}, 1, kOpen, "k"), op(2, "get", {}, s("a"), 2, 3, "k"),
                      op(2, "get", {}, s(""), 4, 5, "k")},
                     m)
                   .linearizable());
}

TEST(Mutex, AcquireOnlyWhenFreeReleaseOnlyByTheHolder) {
  MutexModel m;
  EXPECT_TRUE(check({op(1, "acquire", {}, {}, 1, 2), op(1, "release", {}, {}, 3, 4),
                     op(2, "acquire", {}, {}, 5, 6), op(2, "release", {}, {}, 7, 8)},
                    m)
                  .linearizable());
  // Two holders at once.
  CheckResult both = check({op(1, "acquire", {}, {}, 1, 2), op(2, "acquire", {}, {}, 3, 4)}, m);
  EXPECT_EQ(both.verdict, Verdict::kNotLinearizable);
  EXPECT_EQ(both.stuck, 1u);
  EXPECT_NE(both.explanation.find("held by process 1"), std::string::npos) << both.explanation;
  // A release by someone who does not hold it.
  EXPECT_FALSE(check({op(1, "acquire", {}, {}, 1, 2), op(2, "release", {}, {}, 3, 4)}, m)
                   .linearizable());
  // Overlapping acquire/release/acquire: fine in the order acquire, release, acquire.
  EXPECT_TRUE(check({op(1, "acquire", {}, {}, 1, 2), op(1, "release", {}, {}, 3, 6),
                     op(2, "acquire", {}, {}, 4, 7)},
                    m)
                  .linearizable());
}

TEST(Mutex, OpenAcquire) {
  MutexModel m;
  // An acquire whose reply was lost, then another process acquires: the lost one never took
  // effect (or did, and... no: no release follows), so it must not have happened.
  EXPECT_TRUE(check({op(1, "acquire", {}, {}, 1, kOpen), op(2, "acquire", {}, {}, 2, 3)}, m)
                  .linearizable());
  // The lost acquire did take effect, late: process 1 later releases it.
  EXPECT_TRUE(check({op(1, "acquire", {}, {}, 1, kOpen), op(2, "acquire", {}, {}, 2, 3),
                     op(2, "release", {}, {}, 4, 5), op(1, "release", {}, {}, 6, 7)},
                    m)
                  .linearizable());
  // Process 1 releases a lock it can only hold if its open acquire landed while 2 held it.
  EXPECT_FALSE(check({op(1, "acquire", {}, {}, 1, kOpen), op(2, "acquire", {}, {}, 2, 3),
                      op(1, "release", {}, {}, 4, 5), op(2, "release", {}, {}, 6, 7)},
                     m)
                   .linearizable());
}

TEST(Mutex, FromOurOwnHistory) {
  World world(7);
  History history(world);
  const std::size_t a1 = history.invoke(1, "acquire");
  history.complete(a1, OpStatus::kOk, "token=1");
  const std::size_t a2 = history.invoke(2, "acquire");  // failed: did not happen
  history.complete(a2, OpStatus::kFail, "busy");
  const std::size_t cs = history.invoke(1, "cs", "token=1");  // not a lock operation
  history.complete(cs, OpStatus::kOk);
  const std::size_t a3 = history.invoke(3, "acquire");  // lost reply: open
  history.complete(a3, OpStatus::kUnknown, "timeout");
  const std::size_t r1 = history.invoke(1, "release", "token=1");
  history.complete(r1, OpStatus::kOk);
  history.invoke(2, "acquire");  // still pending at the end: open

  auto lock_ops = [](const Operation& o) { return o.name == "acquire" || o.name == "release"; };
  const std::vector<LinOp> ops = from_sim_history(history, lock_ops);
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_TRUE(ops[0].returned());
  EXPECT_FALSE(ops[1].returned());
  EXPECT_FALSE(ops[3].returned());
  MutexModel m;
  EXPECT_TRUE(check(ops, m).linearizable());

  // The JSON lines text round-trips to the same operations (fail dropped, unknown/pending open).
  const std::string text = to_json_lines(history);
  ASSERT_EQ(detect_history_format(text).value(), HistoryFormat::kJsonLines);
  Result<std::vector<LinOp>> parsed = parse_json_history(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  ASSERT_EQ(parsed->size(), 5u);  // includes "cs"
  EXPECT_EQ((*parsed)[0].f, "acquire");
  EXPECT_FALSE((*parsed)[2].returned());

  // A double grant in our own history is caught.
  const std::size_t a4 = history.invoke(4, "acquire");
  history.complete(a4, OpStatus::kOk);
  const std::size_t a5 = history.invoke(5, "acquire");
  history.complete(a5, OpStatus::kOk);
  EXPECT_EQ(check(from_sim_history(history, lock_ops), m).verdict, Verdict::kNotLinearizable);
}

// ---- text formats ---------------------------------------------------------------------------

TEST(HistoryFormats, JepsenLogSemantics) {
  const std::string log =
      "some preamble that is ignored\n"
      "INFO  jepsen.util - 0\t:invoke\t:write\t1\n"
      "INFO  jepsen.util - 0\t:ok\t:write\t1\n"
      "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 4]\n"
      "INFO  jepsen.util - 1\t:fail\t:cas\t[1 4]\n"
      "INFO  jepsen.util - 2\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 2\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 3   :invoke :write  7\n"
      "INFO  jepsen.util - 3   :info   :write  :timed-out\n"
      "INFO  jepsen.util - 4\t:invoke\t:read\tnil\n";
  Result<std::vector<LinOp>> ops = parse_jepsen_log(log);
  ASSERT_TRUE(ops.ok()) << ops.error().to_string();
  ASSERT_EQ(ops->size(), 5u);
  EXPECT_EQ((*ops)[0].invoke_at, 2u);
  EXPECT_EQ((*ops)[0].return_at, 3u);
  EXPECT_EQ((*ops)[1].output, s("fail"));  // compare failed: returned, observed
  EXPECT_EQ((*ops)[1].input, (std::vector<Datum>{i(1), i(4)}));
  EXPECT_FALSE((*ops)[2].returned());  // timed out: open
  EXPECT_FALSE((*ops)[3].returned());  // info: open
  EXPECT_FALSE((*ops)[4].returned());  // never completed: open
  // The failed cas says the value was not 1; it was 1 (written before): not linearizable.
  EXPECT_EQ(check(*ops, CasRegisterModel{}).verdict, Verdict::kNotLinearizable);
}

void expect_parse_error(std::string_view text, std::size_t line, std::string_view fragment) {
  Result<std::vector<LinOp>> ops = parse_history(text);
  ASSERT_FALSE(ops.ok()) << text;
  EXPECT_EQ(ops.error().code, ErrorCode::kInvalidArgument);
  const std::string prefix = "line " + std::to_string(line) + ": ";
  EXPECT_EQ(ops.error().message.rfind(prefix, 0), 0u) << ops.error().message;
  EXPECT_NE(ops.error().message.find(fragment), std::string::npos) << ops.error().message;
}

TEST(HistoryFormats, MalformedInputNamesTheLineAndWhatWasExpected) {
  // Jepsen logs.
  expect_parse_error("INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - x\t:ok\t:write\t1\n",
                     2, "expected a process number");
  expect_parse_error("INFO  jepsen.util - 0\t:invoke\t:add\t1\n", 1, "expected :read, :write or :cas");
  expect_parse_error("INFO  jepsen.util - 0\t:invoke\t:cas\t[1 4\n", 1, "expected ']'");
  expect_parse_error("\nINFO  jepsen.util - 0\t:ok\t:write\t1\n", 2, "none pending");
  expect_parse_error("INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:invoke\t:write\t2\n",
                     2, "found another invocation");
  expect_parse_error("INFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:read\t1\n",
                     2, "expected the completion of 'write'");
  // EDN.
  expect_parse_error("{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n"
                     "{:process 0, :type :ok, :f :get, :key \"1\", :value \"x}\n",
                     2, "closing '\"'");
  expect_parse_error("{:process 0, :type :invoke, :key \"1\"}\n", 1, ":f");
  expect_parse_error("{:process 0, :type :begin, :f :get}\n", 1, "expected :invoke, :ok");
  expect_parse_error("{:process 0, :type :invoke, :f :get}\n{:process 0 :type}\n", 2, "expected nil, an integer");
  // JSON lines.
  expect_parse_error("{\"process\": 1, \"type\": \"invoke\", \"f\": \"acquire\"}\n\n"
                     "{\"process\": 1, \"type\": \"okay\", \"f\": \"acquire\"}\n",
                     3, "\"type\"");
  expect_parse_error("{\"process\": 1, \"type\": \"invoke\", \"f\": \"acquire\"}\n{\"process\": 1,\n",
                     2, "expected one JSON object");
  expect_parse_error("{\"process\": -1, \"type\": \"invoke\", \"f\": \"acquire\"}\n", 1, "\"process\"");
  expect_parse_error("{\"process\": 1, \"type\": \"invoke\", \"f\": \"w\", \"value\": 1.5}\n", 1,
                     "expected null, an integer or a string");
  // Nothing recognisable.
  expect_parse_error("\n\nhello world\n", 3, "expected a history");
  expect_parse_error("", 1, "expected a history");
}

// ---- properties -----------------------------------------------------------------------------

// A history made by running random operations one after another against the sequential model:
// operation k takes effect at time 100k, inside its [invoke, return] window. Windows either do
// not overlap (width < 100) or overlap freely. Some operations never return: those take effect
// or not, at random. So every such history is linearizable.
struct Generated {
  std::vector<LinOp> ops;
  std::vector<std::size_t> returned_reads;  // indices of reads/gets that returned
};

Generated generate(bool kv) {
  Generated g;
  const bool overlapping = *rc::gen::arbitrary<bool>();
  const std::uint64_t reach = overlapping ? 250 : 40;
  const int count = *rc::gen::inRange(1, 40);
  std::map<std::string, std::string> kv_state;        // missing = nil = ""
  std::optional<std::int64_t> reg;                    // nil
  for (int k = 0; k < count; ++k) {
    const std::uint64_t at = 1000 + 100 * static_cast<std::uint64_t>(k);
    LinOp o;
    o.process = static_cast<std::uint64_t>(k);
    o.invoke_at = at - *rc::gen::inRange<std::uint64_t>(0, reach);
    const int open = *rc::gen::inRange(0, 8);  // 0: open, applied; 1: open, never applied
    const bool applied = open != 1;
    if (open > 1) o.return_at = at + *rc::gen::inRange<std::uint64_t>(0, reach);
    const int kind = *rc::gen::inRange(0, 3);
    if (!kv) {
      const std::int64_t a = *rc::gen::inRange(0, 4);
      const std::int64_t b = *rc::gen::inRange(0, 4);
      if (kind == 0) {
        o.f = "read";
        o.output = reg ? Datum{*reg} : Datum{};
      } else if (kind == 1) {
        o.f = "write";
        o.input = {Datum{a}};
        if (applied) reg = a;
      } else {
        o.f = "cas";
        o.input = {Datum{a}, Datum{b}};
        const bool match = reg && *reg == a;
        o.output = Datum{std::string(match ? "ok" : "fail")};
        if (applied && match) reg = b;
      }
    } else {
      o.key = std::to_string(*rc::gen::inRange(0, 3));
      std::string& value = kv_state[o.key];
      const std::string arg = "v" + std::to_string(k) + ";";
      if (kind == 0) {
        o.f = "get";
        o.output = value.empty() ? Datum{} : Datum{value};
      } else if (kind == 1) {
        o.f = "put";
        o.input = {Datum{arg}};
        if (applied) value = arg;
      } else {
        o.f = "append";
        o.input = {Datum{arg}};
        if (applied) value += arg;
      }
    }
    if (!o.returned()) o.output = Datum{};
    if (o.returned() && (o.f == "read" || o.f == "get")) g.returned_reads.push_back(g.ops.size());
    g.ops.push_back(std::move(o));
  }
  return g;
}

void property(bool kv) {
  Generated g = generate(kv);
  const std::unique_ptr<Model> model = std::move(make_model(kv ? "kv" : "cas-register").value());
  Result<CheckResult> r = check_linearizable(g.ops, *model);
  RC_ASSERT(r.ok());
  RC_ASSERT(r->verdict == Verdict::kLinearizable);
  if (g.returned_reads.empty()) return;
  // One read seeing a value that was never written cannot be linearized.
  const std::size_t victim = g.returned_reads[*rc::gen::inRange<std::size_t>(0, g.returned_reads.size())];
  g.ops[victim].output = kv ? Datum{std::string("never-written")} : Datum{std::int64_t{1'000'000}};
  Result<CheckResult> bad = check_linearizable(g.ops, *model);
  RC_ASSERT(bad.ok());
  RC_ASSERT(bad->verdict == Verdict::kNotLinearizable);
  RC_ASSERT(bad->stuck.has_value());
}

RC_GTEST_PROP(LinearizabilityProperty, SequentialRunsOfTheRegisterAreLinearizable, ()) {
  property(/*kv=*/false);
}

RC_GTEST_PROP(LinearizabilityProperty, SequentialRunsOfTheKvStoreAreLinearizable, ()) {
  property(/*kv=*/true);
}

}  // namespace
}  // namespace faultline::sim
