// The timeline's witness (render_witness, render_replay_timeline) and the HTML picture, over a
// hand-made history of a lost update: client-1 acquires, pauses past its lease, client-2
// acquires and writes, client-1 resumes and writes over it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

#include "faultline/sim/history.h"
#include "faultline/sim/timeline.h"
#include "faultline/sim/world.h"
#include "tests/support/sim_steps.h"

namespace faultline::sim {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The index of the first line containing `part`, or lines.size().
std::size_t line_with(const std::vector<std::string>& lines, const std::string& part) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(part) != std::string::npos) return i;
  }
  return lines.size();
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

class LostUpdate : public ::testing::Test {
 protected:
  LostUpdate()
      : c1(world.add_process("client-1")),
        c2(world.add_process("client-2")),
        c3(world.add_process("client-3")),
        redis(world.add_process("redis")) {}

  void at_ms(int ms, UniqueFunction fn) {
    world.schedule(at(milliseconds(ms)), kWorldProcess, 0, std::move(fn));
  }

  // An acquire by `p` invoked at `from` ms, returning at `to` ms with a lease of one second.
  void acquire(Process& p, int from, int to, int token, std::size_t* id) {
    at_ms(from, [this, &p, id] { *id = history.invoke(p.id(), "acquire"); });
    at_ms(to, [this, &p, id, token, to] {
      history.complete(*id, OpStatus::kOk, "token=" + std::to_string(token));
      history.span(p.id(), "lease token=" + std::to_string(token), at(milliseconds(to)),
                   at(milliseconds(to + 1000)), *id);
    });
  }
  void section(Process& p, int from, int to, const std::string& output, std::size_t* id) {
    at_ms(from, [this, &p, id] { *id = history.invoke(p.id(), "cs"); });
    at_ms(to, [this, id, output] { history.complete(*id, OpStatus::kOk, output); });
  }
  void note(Process& p, int ms, std::string text) {
    at_ms(ms, [this, &p, text] { history.note(p.id(), text); });
  }

  void SetUp() override {
    std::size_t unrelated = 0;
    acquire(c3, 0, 2, 9, &unrelated);
    acquire(c1, 10, 12, 1, &a1);
    section(c1, 20, 1540, "read 0 wrote 1", &s1);
    note(c1, 30, "at 0.030s pause client-1 for 1.500s");
    note(redis, 500, "message lost (redis -> client-3)");
    note(c3, 600, "something on client-3");
    acquire(c2, 1100, 1102, 2, &a2);
    section(c2, 1105, 1110, "read 0 wrote 1", &s2);
    note(redis, 1200, "restarts");
    note(c1, 1530, "resumes after pause");
    note(c1, 3000, "a later fault");
    drain(world);
    witness = {s1, a2, s2, a1};
  }

  World world{7};
  Process& c1;
  Process& c2;
  Process& c3;
  Process& redis;
  History history{world};
  std::size_t a1 = 0, s1 = 0, a2 = 0, s2 = 0;
  std::vector<std::size_t> witness;
};

TEST_F(LostUpdate, WitnessNamesTheOperationsAndThePauseInTimeOrder) {
  const std::vector<std::string> lines = lines_of(render_witness(history, witness));
  EXPECT_EQ(count(render_witness(history, witness), " acquire "), 2u);
  EXPECT_EQ(count(render_witness(history, witness), " cs "), 2u);
  const std::size_t pause = line_with(lines, "!! at 0.030s pause client-1");
  const std::size_t expiry = line_with(lines, "-- lease token=1 ends");
  const std::size_t second = line_with(lines, "-> ok token=2");
  const std::size_t restart = line_with(lines, "redis      !! restarts");
  const std::size_t resume = line_with(lines, "resumes after pause");
  const std::size_t stale = line_with(lines, "(invoked 0.020000s)");
  ASSERT_LT(stale, lines.size()) << "the stale write is shown";
  EXPECT_LT(pause, expiry);
  EXPECT_LT(expiry, second);
  EXPECT_LT(second, restart);
  EXPECT_LT(restart, resume);
  EXPECT_LT(resume, stale);
  EXPECT_NE(
      lines[line_with(lines, "-> ok token=1")].find("holds lease token=1 0.012000s..1.012000s"),
      std::string::npos)
      << "the holder's validity window is shown beside its acquire";
}

TEST_F(LostUpdate, WitnessLeavesOutWhatDoesNotConcernIt) {
  const std::string shown = render_witness(history, witness);
  EXPECT_EQ(shown.find("client-3"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("a later fault"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("token=9"), std::string::npos) << shown;
}

TEST_F(LostUpdate, WitnessIsEmptyWithoutOperations) {
  EXPECT_EQ(render_witness(history, {}), "");
  const std::vector<std::size_t> unknown = {999};
  EXPECT_EQ(render_witness(history, unknown), "");
  EXPECT_EQ(render_replay_timeline(history, {}, "lost-update"), render_timeline(history));
}

TEST_F(LostUpdate, ReplayTimelineShowsTheWitnessFirst) {
  const std::string replay = render_replay_timeline(history, witness, "lost-update");
  ASSERT_EQ(replay.rfind("witness: lost-update\n", 0), 0u) << replay;
  const std::size_t timeline = replay.find("\ntimeline:\n");
  ASSERT_NE(timeline, std::string::npos);
  EXPECT_EQ(replay.substr(timeline + 11), render_timeline(history));
  EXPECT_NE(replay.substr(0, timeline).find("pause client-1"), std::string::npos);
}

TEST_F(LostUpdate, WitnessStaysBounded) {
  for (int i = 0; i < 60; ++i) note(c1, 3100 + i, "message lost (client-1 -> redis)");
  std::size_t late = 0;
  section(c1, 3100, 3200, "read 1 wrote 2", &late);
  drain(world);
  witness.push_back(late);
  const std::string shown = render_witness(history, witness);
  const std::vector<std::string> lines = lines_of(shown);
  EXPECT_LE(lines.size(), kWitnessMaxLines);
  EXPECT_EQ(count(shown, " acquire "), 2u) << "every witness operation is kept";
  EXPECT_EQ(count(shown, " cs "), 3u);
  EXPECT_NE(lines.back().find("more line(s)"), std::string::npos) << shown;
}

TEST_F(LostUpdate, PictureDrawsHoldsAxisAndTheWitness) {
  const std::string html = render_timeline_html(history, "a <lost> update", witness);
  EXPECT_NE(html.find("a &lt;lost&gt; update"), std::string::npos);
  EXPECT_EQ(count(html, R"(class="op ok witness")"), 4u);
  EXPECT_EQ(count(html, R"(class="hold witness")"), 2u);
  EXPECT_EQ(count(html, R"(class="hold")"), 1u) << "client-3's lease, not in the witness";
  EXPECT_NE(html.find(R"(<g id="axis">)"), std::string::npos);
  EXPECT_NE(html.find("data-witness-from="), std::string::npos);
  EXPECT_NE(html.find(R"(class="note server-event")"), std::string::npos) << "redis restarts";
  EXPECT_NE(html.find("lane server"), std::string::npos);
  EXPECT_NE(html.find(R"(<pre class="witness">)"), std::string::npos);
  // Self-contained: no external script, style sheet or image.
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST_F(LostUpdate, PictureWithoutWitnessHighlightsNothing) {
  const std::string html = render_timeline_html(history, "quiet", {});
  EXPECT_EQ(html.find(" witness\""), std::string::npos);
  EXPECT_EQ(html.find("data-witness-from="), std::string::npos);
  EXPECT_EQ(html.find(R"(<pre class="witness">)"), std::string::npos);
}

TEST_F(LostUpdate, PictureDrawsServerGrantsOnTheServerLane) {
  // What redis granted: to client-2 inside the witness's window, to client-3 long after it.
  history.span(redis.id(), "granted to client-2 token 2 (released)", at(milliseconds(1101)),
               at(milliseconds(1200)));
  history.span(redis.id(), "granted to client-3 token 3 (expired)", at(milliseconds(3500)),
               at(milliseconds(4500)));
  const std::string html = render_timeline_html(history, "grants", witness);
  EXPECT_EQ(count(html, R"(<rect class="grant witness")"), 1u) << "the grant in the window";
  EXPECT_EQ(count(html, R"(<rect class="grant")"), 1u) << "the grant after it";
  EXPECT_NE(html.find("<title>redis: granted to client-2 token 2 (released) [1.101000s .."),
            std::string::npos)
      << "the tooltip names the server, the holder and the token";
  EXPECT_NE(html.find(R"(class="lane server">redis<)"), std::string::npos)
      << "a lane with grants alone is still a server's";
  EXPECT_EQ(count(html, R"(class="hold)"), 3u) << "the clients' leases stay hold bars";
  const std::string quiet = render_timeline_html(history, "quiet", {});
  EXPECT_EQ(count(quiet, R"(<rect class="grant")"), 2u) << "no witness: nothing highlighted";
}

TEST(HistorySpans, AreNotMixedIntoTheTrace) {
  auto run = [](bool spans) {
    World world(11);
    Process& p = world.add_process("p");
    History history(world);
    world.schedule(at(milliseconds(5)), kWorldProcess, 0, [&] {
      const std::size_t id = history.invoke(p.id(), "acquire");
      history.complete(id, OpStatus::kOk, "token=1");
      if (spans)
        history.span(p.id(), "lease token=1", world.now(), world.now() + milliseconds(9), id);
    });
    drain(world);
    EXPECT_EQ(history.spans().size(), spans ? 1u : 0u);
    return world.trace().hash();
  };
  EXPECT_EQ(run(true), run(false));
}

}  // namespace
}  // namespace faultline::sim
