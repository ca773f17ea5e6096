#include "faultline/sim/timeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "faultline/duration_text.h"
#include "timeline_page.h"

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

// Where an operation shows in a timeline: at its completion, or at its invoke if it never
// completed.
SimTime shown_at(const Operation& op) {
  return op.status == OpStatus::kPending ? op.invoked : op.completed;
}
std::uint64_t shown_seq(const Operation& op) {
  return op.status == OpStatus::kPending ? op.invoke_seq : op.complete_seq;
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

// ---- The witness ---------------------------------------------------------------------------

namespace {

struct WitnessLine {
  SimTime at{};
  std::uint64_t seq = 0;  // ties at one time: the order of recording
  std::string text;
};

// The operations `ops` names, each once, in order of completion (a pending one at its invoke).
std::vector<const Operation*> witness_operations(const History& history,
                                                 std::span<const std::size_t> ops) {
  std::set<std::size_t> ids;
  for (std::size_t id : ops) {
    if (id < history.operations().size()) ids.insert(id);
  }
  std::vector<const Operation*> chosen;
  for (std::size_t id : ids) chosen.push_back(&history.operations()[id]);
  std::sort(chosen.begin(), chosen.end(),
            [](const Operation* a, const Operation* b) { return shown_seq(*a) < shown_seq(*b); });
  return chosen;
}

const Span* span_of(const History& history, std::size_t op) {
  for (const Span& s : history.spans()) {
    if (s.operation == op) return &s;
  }
  return nullptr;
}

std::string witness_op_line(History& history, const Operation& op) {
  std::string held;
  if (const Span* s = span_of(history, op.id)) {
    held = fmt::format("; holds {} {:.6f}s..{:.6f}s", s->label, in_seconds(s->from),
                       in_seconds(s->to));
  }
  const std::string who = process_name(history.world(), op.process);
  const std::string outcome = op.status == OpStatus::kPending
                                  ? std::string("(never completed)")
                                  : fmt::format("{} {}", to_string(op.status), op.output);
  return fmt::format("{:>11.6f}s  {:<10} {:<8} {:<16} -> {}  (invoked {:.6f}s{})",
                     in_seconds(shown_at(op)), who, op.name, op.input, outcome,
                     in_seconds(op.invoked), held);
}

// The time window the witness covers and the processes it concerns.
struct WitnessScope {
  SimTime from = SimTime::max();
  SimTime to = SimTime::min();
  std::set<ProcessId> own;          // the witness operations' processes
  std::set<ProcessId> callers;      // every process that invoked an operation in the run
  std::vector<std::string> others;  // the names of the callers outside the witness
};

WitnessScope witness_scope(History& history, const std::vector<const Operation*>& chosen) {
  WitnessScope scope;
  for (const Operation* op : chosen) {
    scope.from = std::min(scope.from, op->invoked);
    scope.to = std::max(scope.to, shown_at(*op));
    if (op->status == OpStatus::kPending) scope.to = history.world().now();
    scope.own.insert(op->process);
  }
  for (const Operation& op : history.operations()) scope.callers.insert(op.process);
  for (ProcessId id : scope.callers) {
    if (!scope.own.contains(id)) scope.others.push_back(process_name(history.world(), id));
  }
  return scope;
}

// Whether `text` names `name` as a whole word ("client-1" is not in "client-10").
bool names(const std::string& text, const std::string& name) {
  for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
    const std::size_t after = at + name.size();
    const auto part_of_name = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    };
    if ((at == 0 || !part_of_name(text[at - 1])) &&
        (after == text.size() || !part_of_name(text[after]))) {
      return true;
    }
  }
  return false;
}

// 0: on a witness operation's process; 1: a server's or the world's, unless it names a caller
// outside the witness (a message lost on its way to another client); 2: unrelated.
int note_rank(const WitnessScope& scope, const Note& note) {
  if (scope.own.contains(note.process)) return 0;
  if (note.process != kWorldProcess && scope.callers.contains(note.process)) return 2;
  for (const std::string& other : scope.others) {
    if (names(note.text, other)) return 2;
  }
  return 1;
}

// The notes inside the window that concern the witness, at most `room` of them (those on the
// witness's own processes first); `left_out` counts the rest.
std::vector<WitnessLine> witness_notes(History& history, const WitnessScope& scope,
                                       std::size_t room, std::size_t* left_out) {
  std::vector<std::pair<int, const Note*>> found;
  for (const Note& note : history.notes()) {
    if (note.at < scope.from || note.at > scope.to) continue;
    const int rank = note_rank(scope, note);
    if (rank < 2) found.emplace_back(rank, &note);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  *left_out = found.size() > room ? found.size() - room : 0;
  found.resize(std::min(found.size(), room));
  std::vector<WitnessLine> lines;
  for (const auto& [rank, note] : found) {
    lines.push_back({note->at, note->seq,
                     fmt::format("{:>11.6f}s  {:<10} !! {}", in_seconds(note->at),
                                 process_name(history.world(), note->process), note->text)});
  }
  return lines;
}

}  // namespace

std::string render_witness(History& history, std::span<const std::size_t> ops) {
  const std::vector<const Operation*> chosen = witness_operations(history, ops);
  if (chosen.empty()) return {};
  const WitnessScope scope = witness_scope(history, chosen);
  std::vector<WitnessLine> lines;
  for (const Operation* op : chosen) {
    lines.push_back({shown_at(*op), shown_seq(*op), witness_op_line(history, *op)});
    const Span* s = span_of(history, op->id);
    if (s != nullptr && s->to <= scope.to) {
      lines.push_back({s->to, shown_seq(*op),
                       fmt::format("{:>11.6f}s  {:<10} -- {} ends", in_seconds(s->to),
                                   process_name(history.world(), s->process), s->label)});
    }
  }
  // Operations and span ends are few; past the bound, keep the first ones and say so.
  const std::size_t shown_ops = std::min(lines.size(), kWitnessMaxLines - 1);
  std::size_t left_out = lines.size() - shown_ops;
  lines.resize(shown_ops);
  std::size_t notes_left_out = 0;
  for (WitnessLine& line :
       witness_notes(history, scope, kWitnessMaxLines - 1 - shown_ops, &notes_left_out)) {
    lines.push_back(std::move(line));
  }
  std::stable_sort(lines.begin(), lines.end(), [](const WitnessLine& a, const WitnessLine& b) {
    return a.at != b.at ? a.at < b.at : a.seq < b.seq;
  });
  std::string out;
  for (const WitnessLine& line : lines) out += line.text + "\n";
  left_out += notes_left_out;
  if (left_out > 0) out += fmt::format("  ... and {} more line(s): see the timeline\n", left_out);
  return out;
}

std::string render_replay_timeline(History& history, std::span<const std::size_t> witness,
                                   std::string_view kind) {
  const std::string shown = render_witness(history, witness);
  if (shown.empty()) return render_timeline(history);
  return fmt::format("witness: {}\n{}\ntimeline:\n{}", kind.empty() ? "violation" : kind, shown,
                     render_timeline(history));
}

// ---- The HTML picture ----------------------------------------------------------------------

namespace {

constexpr int kLaneHeight = 34;
constexpr int kLeft = 130;
constexpr int kWidth = 1400;
constexpr int kAxisHeight = 18;

// Row 0 is the world's; process p's row is p (ids count from 1).
int lane_top(ProcessId id) { return kAxisHeight + static_cast<int>(id) * kLaneHeight; }

// The processes that invoked an operation or hold a span one began: client lanes; the others
// (a server's spans are what it granted, begun by no operation of its own): servers.
std::set<ProcessId> client_lanes(const History& history) {
  std::set<ProcessId> clients;
  for (const Operation& op : history.operations()) clients.insert(op.process);
  for (const Span& s : history.spans()) {
    if (s.operation) clients.insert(s.process);
  }
  return clients;
}

using Window = std::pair<SimTime, SimTime>;

std::string svg_lanes(History& history, const std::set<ProcessId>& clients) {
  World& world = history.world();
  std::string svg;
  for (ProcessId id = 0; id <= static_cast<ProcessId>(world.process_count()); ++id) {
    const char* kind = id == kWorldProcess ? "world" : clients.contains(id) ? "client" : "server";
    svg += fmt::format(R"(<text x="4" y="{}" class="lane {}">{}</text>)"
                       R"(<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>)",
                       lane_top(id) + 14, kind, escape(process_name(world, id)), kLeft, kWidth,
                       lane_top(id) + 28, lane_top(id) + 28);
  }
  return svg;
}

std::string svg_ops(History& history, const std::set<std::size_t>& witness) {
  World& world = history.world();
  std::string svg;
  for (const Operation& op : history.operations()) {
    const SimTime stop = op.status == OpStatus::kPending ? world.now() : op.completed;
    svg += fmt::format(
        R"(<rect class="op {}{}" data-op="{}" data-t0="{:.9f}" data-t1="{:.9f}" y="{}" )"
        R"(height="16"><title>#{} {} {} {} -> {} {} [{:.6f}s .. {:.6f}s]</title></rect>)",
        to_string(op.status), witness.contains(op.id) ? " witness" : "", op.id,
        in_seconds(op.invoked), in_seconds(stop), lane_top(op.process) + 2, op.id,
        escape(process_name(world, op.process)), escape(op.name), escape(op.input),
        to_string(op.status), escape(op.output), in_seconds(op.invoked), in_seconds(stop));
  }
  return svg;
}

// Spans on client lanes (a lease's validity) as thin bars under their process's operations,
// marked when the witness names the operation that began them; spans on server lanes (a grant)
// as bars of their own, marked when they overlap the witness's window.
std::string svg_spans(History& history, const std::set<std::size_t>& witness,
                      const std::set<ProcessId>& clients, const std::optional<Window>& window) {
  std::string svg;
  for (const Span& s : history.spans()) {
    const bool grant = !clients.contains(s.process);
    const bool marked = grant ? window && s.from <= window->second && window->first <= s.to
                              : s.operation && witness.contains(*s.operation);
    const std::string who = escape(process_name(history.world(), s.process));
    svg += fmt::format(
        R"(<rect class="{}{}" data-t0="{:.9f}" data-t1="{:.9f}" y="{}" height="{}">)"
        R"(<title>{}{} {} [{:.6f}s .. {:.6f}s]</title></rect>)",
        grant ? "grant" : "hold", marked ? " witness" : "", in_seconds(s.from), in_seconds(s.to),
        lane_top(s.process) + (grant ? 3 : 20), grant ? 10 : 7, who, grant ? ":" : " holds",
        escape(s.label), in_seconds(s.from), in_seconds(s.to));
  }
  return svg;
}

// Notes as markers on their process's lane; a server's (a crash, a restart, an outage, a data
// loss) labelled there too.
std::string svg_notes(History& history, const std::set<ProcessId>& clients) {
  std::string svg;
  for (const Note& note : history.notes()) {
    const bool server = note.process != kWorldProcess && !clients.contains(note.process);
    const std::string label =
        server ? fmt::format(R"(<text class="server-label" x="6" y="{}">{}</text>)",
                             lane_top(note.process) + 26, escape(note.text.substr(0, 40)))
               : std::string();
    svg += fmt::format(R"(<g class="note{}" data-t0="{:.9f}"><path d="M0 {} l5 -8 l-10 0 z"/>{})"
                       R"(<title>{:.6f}s {}: {}</title></g>)",
                       server ? " server-event" : "", in_seconds(note.at),
                       lane_top(note.process) + 12, label, in_seconds(note.at),
                       escape(process_name(history.world(), note.process)), escape(note.text));
  }
  return svg;
}

// The witness's window [first invoke, last completion], shaded behind every lane.
std::optional<Window> witness_window(History& history, const std::set<std::size_t>& ids) {
  std::optional<Window> window;
  for (std::size_t id : ids) {
    const Operation& op = history.operations()[id];
    const SimTime stop = op.status == OpStatus::kPending ? history.world().now() : op.completed;
    if (!window) window.emplace(op.invoked, stop);
    window->first = std::min(window->first, op.invoked);
    window->second = std::max(window->second, stop);
  }
  return window;
}

constexpr std::string_view kLegend =
    "Bars: operations from invoke to completion (green ok, grey failed, orange unknown); thin "
    "purple bars: what a process holds (a lease, until its valid_until); teal bars on a "
    "server's lane: what it granted, to whom, until the grant expired or was released; red "
    "triangles: faults on clients, blue ones: server-side events; red outline and shading: the "
    "witness of the violation and the grants that overlap it. Wheel to zoom, drag to pan, "
    "hover for details.";

constexpr std::string_view kControls =
    R"(<div id="controls"><button id="zoom-in">zoom in</button><button id="zoom-out">zoom out)"
    R"(</button><button id="pan-left">&larr;</button><button id="pan-right">&rarr;</button>)"
    R"(<button id="zoom-witness">witness</button><button id="zoom-reset">all</button> )"
    R"(<span id="view"></span></div>)";

}  // namespace

std::string render_timeline_html(History& history, const std::string& title,
                                 std::span<const std::size_t> witness) {
  World& world = history.world();
  std::set<std::size_t> ids;
  for (std::size_t id : witness) {
    if (id < history.operations().size()) ids.insert(id);
  }
  const std::set<ProcessId> clients = client_lanes(history);
  std::string window_attrs;
  std::string shade;
  const std::optional<Window> window = witness_window(history, ids);
  if (window) {
    window_attrs = fmt::format(R"( data-witness-from="{:.9f}" data-witness-to="{:.9f}")",
                               in_seconds(window->first), in_seconds(window->second));
    shade = fmt::format(R"(<rect class="witness-window" data-t0="{:.9f}" data-t1="{:.9f}" )"
                        R"(y="{}" height="{}"/>)",
                        in_seconds(window->first), in_seconds(window->second), kAxisHeight,
                        lane_top(static_cast<ProcessId>(world.process_count()) + 1));
  }
  const int height = lane_top(static_cast<ProcessId>(world.process_count()) + 1) + 4;
  const std::string shown = render_witness(history, witness);
  const std::string witness_text =
      shown.empty() ? std::string()
                    : R"(<h3>witness</h3><pre class="witness">)" + escape(shown) + "</pre>";
  return fmt::format(
      R"(<!doctype html><html><head><meta charset="utf-8"><title>{0}</title><style>{1})"
      R"(</style></head><body><h2>{0}</h2><p>{2}</p>{3})"
      R"(<svg id="tl" width="{4}" height="{5}" data-end="{6:.9f}" data-left="{7}"{8}>)"
      R"(<defs><clipPath id="plot"><rect x="{7}" y="0" width="{9}" height="{5}"/></clipPath>)"
      R"h(</defs><g id="axis"></g>{10}<g clip-path="url(#plot)">{11}{12}{13}{14}</g></svg>)h"
      R"({15}<h3>timeline</h3><pre class="timeline">{16}</pre><script>{17}</script></body></html>)",
      escape(title), page::kStyle, kLegend, kControls, kWidth, height, in_seconds(world.now()),
      kLeft, window_attrs, kWidth - kLeft, svg_lanes(history, clients), shade,
      svg_spans(history, ids, clients, window), svg_ops(history, ids), svg_notes(history, clients), witness_text,
      escape(render_timeline(history)), page::kScript);
}

}  // namespace faultline::sim
