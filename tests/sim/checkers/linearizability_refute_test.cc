// The linearizability checker's rejection before the search (CheckOptions::refute_first): it
// fires on an operation with no possible linearization point, fast, where the search alone runs
// out of budget; it stays silent where an open operation or the initial state explains a read;
// and, on generated histories, checking part by part (with the rejection) and checking the whole
// store at once (search only) give the same verdicts.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability.h"
#include "faultline/sim/linearizability_models.h"

#include "tests/sim/checkers/linearizability_test_ops.h"
namespace faultline::sim {
namespace {

// Porcupine's etcd_002 (77 operations, linearizable, the costliest of the suite to search) with
// its last read changed from 4 to 5, a value no operation writes.
const char* const kUnwrittenRead = FAULTLINE_CHECKER_DATA "/etcd_002_unwritten_read.log";

std::vector<LinOp> parse(const std::string& text) {
  Result<std::vector<LinOp>> ops = parse_jepsen_log(text);
  EXPECT_TRUE(ops.ok()) << ops.error().to_string();
  return ops ? *ops : std::vector<LinOp>{};
}

using test_ops::check;
using test_ops::i;
using test_ops::kOpen;
using test_ops::op;
using test_ops::read_file;
using test_ops::s;

TEST(LinearizabilityRefute, AReadOfAValueNeverWrittenIsRejectedBeforeTheSearch) {
  const std::vector<LinOp> ops = parse(read_file(kUnwrittenRead));
  ASSERT_EQ(ops.size(), 77u);
  std::size_t read = 0;
  while (read < ops.size() && ops[read].invoke_at != 153) ++read;
  ASSERT_LT(read, ops.size());
  ASSERT_EQ(ops[read].output, i(5));
  CheckOptions small;
  small.max_steps = 10'000;
  const CasRegisterModel m;
  CheckResult r = check(ops, m, small);
  EXPECT_EQ(r.verdict, Verdict::kNotLinearizable) << r.explanation;
  EXPECT_TRUE(r.refuted);
  EXPECT_LT(r.steps, 1'000u);  // one model step per returned op per value read
  EXPECT_EQ(r.stuck, read);
  EXPECT_EQ(r.stuck_state, "5");
  EXPECT_TRUE(r.longest_prefix.empty());
  EXPECT_NE(r.explanation.find("process 14: read() -> 5 [153..154] has no possible "
                               "linearization point"),
            std::string::npos)
      << r.explanation;
  EXPECT_NE(r.explanation.find("no operation invoked before it returned can set"),
            std::string::npos)
      << r.explanation;
  // The search alone, in the same budget, cannot tell.
  CheckOptions search_only = small;
  search_only.refute_first = false;
  EXPECT_EQ(check(ops, m, search_only).verdict, Verdict::kUnknown);
}

TEST(LinearizabilityRefute, AReadOfAnOpenWritesValueIsLeftToTheSearch) {
  // The same history with the last read returning 3: only process 37's write of 3, which timed
  // out (:info) just before, can have written it. It may have taken effect: linearizable.
  std::string text = read_file(kUnwrittenRead);
  const std::size_t at = text.rfind(":read\t5");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 7, ":read\t3");
  CheckResult r = check(parse(text), CasRegisterModel{});
  EXPECT_EQ(r.verdict, Verdict::kLinearizable) << r.explanation;
  EXPECT_FALSE(r.refuted);
}

TEST(LinearizabilityRefute, ReadsExplainedByOpenOperationsOrTheInitialStateStayLinearizable) {
  const CasRegisterModel m;
  CheckOptions tiny;  // the rejection takes a few steps; a false one would show at once
  tiny.max_steps = 200;
  // A crashed write may take effect at any point after its invocation, even after a later write.
  EXPECT_TRUE(check({op(1, "write", {i(5)}, {}, 1, kOpen), op(2, "write", {i(1)}, {}, 2, 3),
                     op(3, "read", {}, i(1), 4, 5), op(3, "read", {}, i(5), 10, 11)},
                    m, tiny)
                  .linearizable());
  // An open cas may succeed late, and a read of the initial value may follow a crashed write.
  EXPECT_TRUE(check({op(1, "write", {i(0)}, {}, 1, 2), op(2, "cas", {i(0), i(7)}, {}, 3, kOpen),
                     op(3, "read", {}, i(0), 4, 5), op(3, "read", {}, i(7), 6, 7)},
                    m, tiny)
                  .linearizable());
  EXPECT_TRUE(check({op(1, "write", {i(1)}, {}, 1, kOpen), op(2, "read", {}, {}, 2, 3)}, m, tiny)
                  .linearizable());
  // A write that returned overlapping the read may come after it.
  EXPECT_TRUE(check({op(1, "write", {i(2)}, {}, 1, 2), op(2, "write", {i(3)}, {}, 3, 6),
                     op(3, "read", {}, i(2), 4, 5)},
                    m, tiny)
                  .linearizable());
  // kv: a get of what a crashed append left.
  EXPECT_TRUE(check({op(1, "put", {s("a")}, {}, 1, 2, "k"), op(2, "append", {s("b")}, {}, 3, kOpen, "k"),
                     op(3, "get", {}, s("ab"), 4, 5, "k")},
                    KvModel{}, tiny)
                  .linearizable());
}

TEST(LinearizabilityRefute, AReadOfAnOverwrittenValueNamesTheOverwrite) {
  const std::vector<LinOp> ops = {op(1, "write", {i(1)}, {}, 1, 2), op(2, "write", {i(2)}, {}, 3, 4),
                                  op(3, "read", {}, i(1), 5, 6)};
  CheckResult r = check(ops, CasRegisterModel{});
  ASSERT_EQ(r.verdict, Verdict::kNotLinearizable);
  EXPECT_TRUE(r.refuted);
  EXPECT_EQ(r.stuck, 2u);
  EXPECT_NE(r.explanation.find("process 2: write(2) -> nil [3..4] returned before it was invoked"),
            std::string::npos)
      << r.explanation;
  // kv: a get of a value whose only put was overwritten before the get began.
  CheckResult kv = check({op(1, "put", {s("x")}, {}, 1, 2, "k"), op(1, "put", {s("y")}, {}, 3, 4, "k"),
                          op(2, "get", {}, s("x"), 5, 6, "k"), op(2, "get", {}, {}, 1, 2, "j")},
                         KvModel{});
  EXPECT_EQ(kv.verdict, Verdict::kNotLinearizable);
  EXPECT_TRUE(kv.refuted);
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.stuck, 2u);
}

// ---- part by part against the whole store --------------------------------------------------

// The kv store as one object: the state holds every key's value, and the history is one part.
// Checking against it is the check without P-compositionality (and without the rejection: it
// states no needs()).
class WholeStoreKv final : public Model {
 public:
  [[nodiscard]] std::string_view name() const override { return "whole-store kv"; }
  [[nodiscard]] Result<void> validate(const LinOp& o) const override { return kv_.validate(o); }
  [[nodiscard]] std::string init(std::string_view /*key*/) const override { return {}; }
  [[nodiscard]] std::optional<std::string> step(std::string_view state,
                                                const LinOp& o) const override {
    std::map<std::string, std::string> values = decode(state);
    std::optional<std::string> next = kv_.step(values[o.key], o);
    if (!next) return std::nullopt;
    values[o.key] = *next;
    return encode(values);
  }
  [[nodiscard]] std::vector<std::vector<std::size_t>> partition(
      std::span<const LinOp> ops) const override {
    std::vector<std::size_t> all(ops.size());
    for (std::size_t k = 0; k < ops.size(); ++k) all[k] = k;
    return {all};
  }

 private:
  // "key=value;" per non-empty value, keys in order (canonical; test data has no '=' or ';').
  static std::string encode(const std::map<std::string, std::string>& values) {
    std::string out;
    for (const auto& [k, v] : values) {
      if (!v.empty()) out += k + "=" + v + ";";
    }
    return out;
  }
  static std::map<std::string, std::string> decode(std::string_view state) {
    std::map<std::string, std::string> values;
    while (!state.empty()) {
      const std::size_t eq = state.find('=');
      const std::size_t end = state.find(';');
      values[std::string(state.substr(0, eq))] = std::string(state.substr(eq + 1, end - eq - 1));
      state.remove_prefix(end + 1);
    }
    return values;
  }
  KvModel kv_;
};

// Random small kv histories over three keys: random windows (overlapping or not), some ops
// open, and gets returning what some put or append of the key could make, or nothing.
std::vector<LinOp> random_kv_history() {
  const int count = *rc::gen::inRange(1, 9);
  std::vector<LinOp> ops;
  for (int k = 0; k < count; ++k) {
    LinOp o;
    o.process = static_cast<std::uint64_t>(k);
    o.key = std::to_string(*rc::gen::inRange(0, 3));
    o.invoke_at = *rc::gen::inRange<std::uint64_t>(0, 20);
    if (*rc::gen::inRange(0, 6) != 0) {
      o.return_at = o.invoke_at + *rc::gen::inRange<std::uint64_t>(0, 6);
    }
    const int kind = *rc::gen::inRange(0, 3);
    const std::string piece = std::string(1, static_cast<char>('a' + *rc::gen::inRange(0, 3)));
    if (kind == 0) {
      o.f = "get";
      const std::string seen = *rc::gen::element<std::string>("", "a", "b", "ab", "ba", "c", "aa");
      if (o.returned() && !seen.empty()) o.output = Datum{seen};
    } else {
      o.f = kind == 1 ? "put" : "append";
      o.input = {Datum{piece}};
    }
    ops.push_back(std::move(o));
  }
  return ops;
}

RC_GTEST_PROP(LinearizabilityRefute, PartByPartAgreesWithTheWholeStore, ()) {
  const std::vector<LinOp> ops = random_kv_history();
  Result<CheckResult> parts = check_linearizable(ops, KvModel{});
  Result<CheckResult> whole = check_linearizable(ops, WholeStoreKv{});
  RC_ASSERT(parts.ok() && whole.ok());
  RC_ASSERT(whole->verdict != Verdict::kUnknown);
  RC_TAG(to_string(whole->verdict), parts->refuted ? "refuted before the search" : "searched");
  RC_ASSERT(parts->verdict == whole->verdict);
}

// And the rejection alone: on random register histories, with and without it, the same verdict.
RC_GTEST_PROP(LinearizabilityRefute, TheRejectionNeverChangesARegisterVerdict, ()) {
  const int count = *rc::gen::inRange(1, 10);
  std::vector<LinOp> ops;
  for (int k = 0; k < count; ++k) {
    const std::uint64_t at = *rc::gen::inRange<std::uint64_t>(0, 20);
    std::optional<std::uint64_t> ret;
    if (*rc::gen::inRange(0, 5) != 0) ret = at + *rc::gen::inRange<std::uint64_t>(0, 6);
    const std::int64_t a = *rc::gen::inRange(0, 3);
    const std::int64_t b = *rc::gen::inRange(0, 3);
    const int kind = *rc::gen::inRange(0, 3);
    Datum read_value;  // nil for a == 0
    if (a != 0) read_value = Datum{a};
    Datum cas_result;  // an open cas has none
    if (ret) cas_result = Datum{std::string(b == 0 ? "fail" : "ok")};
    if (kind == 0) ops.push_back(op(k, "read", {}, ret ? read_value : Datum{}, at, ret));
    if (kind == 1) ops.push_back(op(k, "write", {i(a + 1)}, {}, at, ret));
    if (kind == 2) ops.push_back(op(k, "cas", {read_value, i(b + 1)}, cas_result, at, ret));
  }
  CheckOptions search_only;
  search_only.refute_first = false;
  Result<CheckResult> with = check_linearizable(ops, CasRegisterModel{});
  Result<CheckResult> without = check_linearizable(ops, CasRegisterModel{}, search_only);
  RC_ASSERT(with.ok() && without.ok());
  RC_TAG(to_string(without->verdict), with->refuted ? "refuted before the search" : "searched");
  RC_ASSERT(with->verdict == without->verdict);
}

}  // namespace
}  // namespace faultline::sim
