#!/usr/bin/env bash
# report.sh MMTORTURE SOURCE_DIR - (CTest fuzz:report) a campaign's time
# series and its report, checked in a real headless browser.
#  1. a 4 s libFuzzer campaign with a zoo bug in its corpus: DIR/timeseries.csv
#     has its header and a line per second; a line cut short (what a crash of
#     the machine leaves) is dropped when the campaign resumes
#  2. mmtorture report DIR: report.html and four SVG plots, well-formed XML;
#     the findings table names the finding's signature, its engine and a
#     link to its .mmt that exists
#  3. Debian's chromium renders the page headless: the DOM it built holds
#     the four plots with their lines and the findings row, and a
#     screenshot is written (kept as DIR/report.png when MMT_REPORT_KEEP=DIR)
# Chromium is required (./mmt deps installs it): without it this test fails.
set -u
mmt=$1 src=$2
bug=fork-migration-write-flag
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-report.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/c/logs/*.log; do [[ -f $f ]] && tail -n 10 "$f"; done; exit 1; }
dir=$work/c

mkdir -p "$work/extra"
"$mmt" convert "$src/corpus/zoo/$bug.mmt" "$work/extra/zoo.bin" || fail "convert"
"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --budget 4 --jobs 1 --seed 1 \
  --corpus "$work/extra" --out "$dir" --quiet
[[ $? == 1 ]] || fail "1: the campaign did not report its finding"
ts=$dir/timeseries.csv
[[ $(head -n 1 "$ts") == wall,elapsed,engine,execs,execs_per_s,coverage,findings,all_findings,crashes ]] ||
  fail "1: header of $ts: $(head -n 1 "$ts")"
rows=$(grep -c ',libfuzzer,' "$ts")
((rows >= 4)) || fail "1: only $rows libfuzzer lines in $ts for 4 s"
awk -F, 'NR > 1 && NF != 9 {exit 1}' "$ts" || fail "1: a line without its nine fields"
# a line cut short, then the campaign resumed: the stub goes, new lines follow
printf '%s' "1999999999.000,3.0,libfuz" >>"$ts"
"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --runs 100 --seed 2 \
  --corpus "$work/extra" --out "$dir" --quiet
grep -q 'libfuz$\|,libfuz,' "$ts" && fail "1: the cut line is still in $ts"
awk -F, 'NR > 1 && NF != 9 {exit 1}' "$ts" || fail "1: $ts has a broken line after resuming"
echo "ok: 1 $(($(wc -l <"$ts") - 1)) time series lines; a cut line dropped on resume"

"$mmt" report "$dir" 2>"$work/report.log" || { cat "$work/report.log"; fail "2: report exited $?"; }
html=$dir/report.html
[[ -s $html ]] || fail "2: no $html"
for p in execs execs_per_s coverage findings; do
  [[ -s $dir/plots/$p.svg ]] || fail "2: no plots/$p.svg"
done
python3 - "$dir"/plots/*.svg <<'PY' || fail "2: an SVG plot is not well-formed"
import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    root = ET.parse(f).getroot()
    lines = root.findall('{http://www.w3.org/2000/svg}polyline')
    assert lines and all(len(l.get('points').split()) >= 2 for l in lines), f
PY
f=$(ls "$dir"/findings/*.mmt | head -n 1)
sig=$(sed -n 's/^# campaign signature //p' "$f")
[[ -n $sig ]] || fail "2: no signature in $f"
grep -qF "$sig" "$html" || fail "2: the report does not name $sig"
link=$(grep -o 'href="findings/[^"]*\.mmt"' "$html" | head -n 1 | sed 's/^href="//; s/"$//')
[[ -n $link ]] || fail "2: no link to a finding"
python3 -c 'import sys, urllib.parse, os; sys.exit(not os.path.isfile(os.path.join(sys.argv[1], urllib.parse.unquote(sys.argv[2]))))' \
  "$dir" "$link" || fail "2: the link $link leads nowhere"
echo "ok: 2 report.html and 4 plots; the table links $link"

chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || fail "3: chromium is not installed (./mmt deps installs it); the report cannot be checked in a browser"
browse() {
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --user-data-dir="$work/profile" "$@" "file://$html" 2>>"$work/chromium.log"
}
browse --dump-dom >"$work/dom.html" || { tail "$work/chromium.log"; fail "3: chromium --dump-dom failed"; }
n=$(grep -o '<svg' "$work/dom.html" | wc -l)
[[ $n == 4 ]] || fail "3: the browser's DOM has $n plots, expected 4"
grep -q 'class="finding"' "$work/dom.html" || fail "3: no findings row in the DOM"
grep -qF "$sig" "$work/dom.html" || fail "3: the DOM does not name $sig"
browse --window-size=1400,1400 --screenshot="$work/report.png" >/dev/null ||
  { tail "$work/chromium.log"; fail "3: chromium --screenshot failed"; }
size=$(stat -c %s "$work/report.png" 2>/dev/null || echo 0)
# a blank page of that size is a few kB; the tables and plots are far more
((size > 30000)) || fail "3: the screenshot is $size bytes: a blank page?"
[[ -n ${MMT_REPORT_KEEP:-} ]] && cp -r "$dir" "$MMT_REPORT_KEEP" && cp "$work/report.png" "$MMT_REPORT_KEEP/"
echo "ok: 3 chromium rendered it: 4 plots, the findings table, a ${size}-byte screenshot"
