#!/usr/bin/env bash
# The HTML timeline of a real lost update, loaded in headless Chromium: the page's script must
# run without error (it sets data-rendered="ok" on <body>, or "error: ..." from window.onerror)
# and draw the time axis, the hold bars, the Redis server's grant bars on its own lane and the
# highlighted witness, with the grants that overlap it.
#   timeline_html_test.sh WITNESS_PAGE_BINARY WORK_DIR
# Exit 77 (skipped) when no chromium is installed (scripts/install-deps.sh --servers installs
# it); CHROMIUM names another binary.
set -euo pipefail
page_writer=$1
work=$2
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$browser" ]]; then
  echo "timeline_html_test: no chromium installed; skipped"
  exit 77
fi
mkdir -p "$work"
page="$work/witness.html"
"$page_writer" "$page"
dom="$work/witness.dom.html"
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --dump-dom "file://$page" \
  >"$dom" 2>"$work/chromium.log"

fail() {
  echo "timeline_html_test: $*" >&2
  echo "(rendered DOM in $dom, browser log in $work/chromium.log)" >&2
  exit 1
}
occurrences() { grep -o -- "$1" "$dom" | wc -l; }

rendered=$(grep -o 'data-rendered="[^"]*"' "$dom" || true)
[[ "$rendered" == 'data-rendered="ok"' ]] || fail "the page did not render: ${rendered:-no data-rendered}"
ticks=$(occurrences '<g class="tick">')
(( ticks >= 3 )) || fail "the time axis has $ticks ticks"
grep -q '<text x="[0-9.]*" y="11">[0-9.]*s</text>' "$dom" || fail "the axis has no tick labels"
holds=$(occurrences 'class="hold')
(( holds >= 2 )) || fail "$holds hold bars"
witness_ops=$(occurrences 'class="op [a-z]* witness"')
(( witness_ops >= 4 )) || fail "$witness_ops witness operations highlighted (two holders' acquires and writes)"
witness_holds=$(occurrences 'class="hold witness"')
(( witness_holds >= 2 )) || fail "$witness_holds of the two holders' leases highlighted"
grants=$(occurrences '<rect class="grant')
(( grants >= 2 )) || fail "$grants grant bars on the server lane"
grep -q '<rect class="grant[^"]*"[^>]*><title>redis: granted to client-[0-9]* token [0-9]*' "$dom" ||
  fail "no grant bar on the redis lane names its client and token"
witness_grants=$(occurrences 'class="grant witness"')
(( witness_grants >= 1 )) || fail "no grant overlapping the witness window highlighted"
grep -q 'class="witness-window"' "$dom" || fail "no witness window"
grep -q '<pre class="witness">' "$dom" || fail "no witness text"
echo "timeline_html_test: rendered; $ticks ticks, $holds holds, $grants grants" \
  "($witness_grants in the witness window), $witness_ops witness operations"
