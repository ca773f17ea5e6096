#include "faultline/sim/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "faultline/duration_text.h"

namespace faultline::sim {
namespace {

std::string process_name(World& world, ProcessId id) {
  return id == kWorldProcess ? std::string("world") : world.process(id).name();
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_timeline(History& history) {
  struct Line {
    std::uint64_t seq;
    std::string text;
  };
  World& world = history.world();
  std::vector<Line> lines;
  for (const Operation& op : history.operations()) {
    const std::string who = process_name(world, op.process);
    if (op.status == OpStatus::kPending) {
      lines.push_back(
          {op.invoke_seq, fmt::format("{:>11.6f}s  {:<10} {:<8} {:<24} -> (never completed)",
                                      in_seconds(op.invoked), who, op.name, op.input)});
      continue;
    }
    lines.push_back(
        {op.complete_seq, fmt::format("{:>11.6f}s  {:<10} {:<8} {:<24} -> {} {}  (invoked {:.6f}s)",
                                      in_seconds(op.completed), who, op.name, op.input,
                                      to_string(op.status), op.output, in_seconds(op.invoked))});
  }
  for (const Note& note : history.notes()) {
    lines.push_back({note.seq, fmt::format("{:>11.6f}s  {:<10} !! {}", in_seconds(note.at),
                                           process_name(world, note.process), note.text)});
  }
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.seq < b.seq; });
  std::string out;
  for (const Line& line : lines) out += line.text + "\n";
  return out;
}

std::string render_timeline_html(History& history, const std::string& title,
                                 std::ptrdiff_t highlight) {
  World& world = history.world();
  const double end = std::max(in_seconds(world.now()), 1e-9);
  constexpr int kLaneHeight = 28;
  constexpr int kLeft = 110;
  constexpr int kWidth = 1400;
  const auto lanes = static_cast<int>(world.process_count());
  auto x = [&](SimTime t) { return kLeft + in_seconds(t) / end * (kWidth - kLeft - 10); };
  auto y = [&](ProcessId id) { return 20 + static_cast<int>(id - 1) * kLaneHeight; };

  std::string svg;
  for (ProcessId id = 1; id <= static_cast<ProcessId>(lanes); ++id) {
    svg += fmt::format(R"(<text x="4" y="{}" class="lane">{}</text>)"
                       R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>)",
                       y(id) + 14, escape(world.process(id).name()), kLeft, kWidth, y(id) + 10,
                       y(id) + 10);
  }
  for (const Operation& op : history.operations()) {
    const SimTime stop = op.status == OpStatus::kPending ? world.now() : op.completed;
    const char* colour = op.status == OpStatus::kOk     ? "#4caf50"
                         : op.status == OpStatus::kFail ? "#9e9e9e"
                                                        : "#ff9800";
    const bool marked = static_cast<std::ptrdiff_t>(op.id) == highlight;
    svg += fmt::format(
        R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="18" fill="{}" stroke="{}" )"
        R"(stroke-width="{}"><title>{} {} {} -> {} {} [{:.6f}s .. {:.6f}s]</title></rect>)",
        x(op.invoked), y(op.process) + 1, std::max(1.0, x(stop) - x(op.invoked)), colour,
        marked ? "red" : "none", marked ? 3 : 0, escape(process_name(world, op.process)),
        escape(op.name), escape(op.input), to_string(op.status), escape(op.output),
        in_seconds(op.invoked), in_seconds(stop));
  }
  for (const Note& note : history.notes()) {
    const int lane_y = note.process == kWorldProcess ? 0 : y(note.process);
    svg += fmt::format(
        R"(<path d="M{:.1f} {} l5 -8 l-10 0 z" fill="#e53935"><title>{:.6f}s {}</title></path>)",
        x(note.at), lane_y + 10, in_seconds(note.at), escape(note.text));
  }
  return fmt::format(
      R"(<!doctype html><html><head><meta charset="utf-8"><title>{0}</title><style>)"
      R"(body{{font-family:sans-serif}} .lane{{font-size:12px}}</style></head><body>)"
      R"(<h2>{0}</h2><p>Bars: operations from invoke to completion (green ok, grey failed, )"
      R"(orange unknown); red triangles: faults; red outline: the violation. Hover for )"
      R"(details.</p><svg width="{1}" height="{2}">{3}</svg><pre>{4}</pre></body></html>)",
      escape(title), kWidth, 30 + lanes * kLaneHeight, svg, escape(render_timeline(history)));
}

}  // namespace faultline::sim
