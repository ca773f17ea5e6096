// The fixed parts of the HTML timeline page (timeline.cc writes the rest): its style sheet and
// its script. Private to timeline.cc.
//
// The script's contract with the markup: the <svg id="tl"> carries data-end (the run's end in
// seconds) and data-left (the x where lanes' time starts); every element to place in time
// carries data-t0 (and, for a bar, data-t1), in seconds: <rect>s get x and width, anything else
// a translate(x, 0). It draws tick marks and labels into <g id="axis">, zooms on the mouse wheel
// (about the pointer), hides server-side labels that would overlap, pans by dragging, and answers
// the buttons with ids zoom-in, zoom-out, zoom-reset, zoom-witness (the window in the svg's
// data-witness-from/-to) and pan-left/right. Once drawn it sets document.body.dataset.rendered =
// "ok"; any script error sets it to "error: <message>". No external resource.
#pragma once

#include <string_view>

namespace faultline::sim::page {

inline constexpr std::string_view kStyle = R"CSS(
body{font-family:sans-serif;margin:12px}
.lane{font-size:12px}
.lane.server{fill:#1565c0}
.tick line{stroke:#ccc}
.tick text{font-size:10px;fill:#555}
.op.ok{fill:#4caf50}
.op.fail{fill:#9e9e9e}
.op.unknown{fill:#ff9800}
.op.pending{fill:#ffe082}
.op.witness{stroke:#d50000;stroke-width:3}
.hold{fill:#7e57c2;opacity:.6}
.hold.witness{fill:#d50000;opacity:.8}
.grant{fill:#26a69a;opacity:.75}
.grant.witness{fill:#00796b;stroke:#d50000;stroke-width:2;opacity:.9}
.note{fill:#e53935}
.note.server-event{fill:#1565c0}
.server-label{font-size:9px;fill:#1565c0}
.witness-window{fill:#ffcdd2;opacity:.35}
#controls button{margin-right:4px}
pre.witness{background:#fff3f3;border-left:4px solid #d50000;padding:6px}
)CSS";

inline constexpr std::string_view kScript = R"JS(
window.onerror = function (message) {
  document.body.dataset.rendered = 'error: ' + message;
};
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var svg = document.getElementById('tl');
  var width = +svg.getAttribute('width');
  var left = +svg.dataset.left, right = width - 10;
  var end = Math.max(+svg.dataset.end, 1e-9);
  var v0 = 0, v1 = end;
  function x(t) { return left + (t - v0) / (v1 - v0) * (right - left); }
  function time(px) { return v0 + (px - left) / (right - left) * (v1 - v0); }
  function place() {
    var items = svg.querySelectorAll('[data-t0]');
    for (var i = 0; i < items.length; i++) {
      var e = items[i], a = +e.dataset.t0;
      var b = e.dataset.t1 === undefined ? a : +e.dataset.t1;
      if (e.tagName.toLowerCase() === 'rect') {
        e.setAttribute('x', x(a).toFixed(1));
        e.setAttribute('width', Math.max(1, x(b) - x(a)).toFixed(1));
      } else {
        e.setAttribute('transform', 'translate(' + x(a).toFixed(1) + ',0)');
      }
    }
  }
  // Server-side labels: one shown where it does not run into the previous one on its lane.
  function declutter() {
    var labels = svg.querySelectorAll('g.note .server-label'), reach = {};
    for (var i = 0; i < labels.length; i++) {
      var label = labels[i], at = x(+label.parentNode.dataset.t0);
      var lane = label.getAttribute('y');
      var visible = at >= left && at <= right && (reach[lane] === undefined || at >= reach[lane]);
      label.style.display = visible ? '' : 'none';
      if (visible) reach[lane] = at + label.getComputedTextLength() + 8;
    }
  }
  function axis() {
    var g = document.getElementById('axis');
    while (g.firstChild) g.removeChild(g.firstChild);
    var raw = (v1 - v0) / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    var step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
    var digits = Math.max(0, Math.min(9, -Math.floor(Math.log10(step))));
    var height = +svg.getAttribute('height');
    for (var t = Math.ceil(v0 / step) * step; t <= v1 + step * 1e-6; t += step) {
      var tick = document.createElementNS(NS, 'g');
      tick.setAttribute('class', 'tick');
      var line = document.createElementNS(NS, 'line');
      line.setAttribute('x1', x(t)); line.setAttribute('x2', x(t));
      line.setAttribute('y1', 14); line.setAttribute('y2', height);
      var label = document.createElementNS(NS, 'text');
      label.setAttribute('x', x(t) + 2); label.setAttribute('y', 11);
      label.textContent = t.toFixed(digits) + 's';
      tick.appendChild(line); tick.appendChild(label); g.appendChild(tick);
    }
    document.getElementById('view').textContent =
        'showing ' + v0.toFixed(6) + 's .. ' + v1.toFixed(6) + 's of ' + end.toFixed(6) + 's';
  }
  function show(a, b) {
    var span = Math.max(b - a, 1e-6);
    a = Math.max(0, Math.min(a, end - span)); b = Math.min(end, a + span);
    v0 = a; v1 = b; place(); declutter(); axis();
  }
  function zoom(at, factor) { show(at - (at - v0) * factor, at + (v1 - at) * factor); }
  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    zoom(time(e.offsetX), e.deltaY < 0 ? 0.8 : 1.25);
  }, {passive: false});
  var drag = null;
  svg.addEventListener('mousedown', function (e) { drag = {x: e.clientX, v0: v0, v1: v1}; });
  window.addEventListener('mouseup', function () { drag = null; });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var dt = (e.clientX - drag.x) / (right - left) * (drag.v1 - drag.v0);
    show(drag.v0 - dt, drag.v1 - dt);
  });
  function button(id, action) { document.getElementById(id).addEventListener('click', action); }
  button('zoom-in', function () { zoom((v0 + v1) / 2, 0.5); });
  button('zoom-out', function () { zoom((v0 + v1) / 2, 2); });
  button('zoom-reset', function () { show(0, end); });
  button('pan-left', function () { show(v0 - (v1 - v0) / 4, v1 - (v1 - v0) / 4); });
  button('pan-right', function () { show(v0 + (v1 - v0) / 4, v1 + (v1 - v0) / 4); });
  button('zoom-witness', function () {
    if (svg.dataset.witnessFrom === undefined) return;
    var a = +svg.dataset.witnessFrom, b = +svg.dataset.witnessTo, pad = (b - a) * 0.1 + 1e-3;
    show(a - pad, b + pad);
  });
  show(0, end);
  if (document.body.dataset.rendered === undefined) document.body.dataset.rendered = 'ok';
})();
)JS";

}  // namespace faultline::sim::page
