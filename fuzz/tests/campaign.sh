#!/usr/bin/env bash
# campaign.sh MMTORTURE SOURCE_DIR - mmtorture fuzz end to end (CTest fuzz:campaign)
#  1. a fixed-run libFuzzer campaign on the correct model: exit 0, summary.json
#  2. a crash input in the corpus: converted, minimized, written to
#     DIR/findings, exit 1; the finding fails with the bug, passes without
#  3. resuming from DIR: the processed input is not reported again, exit 0
#  4. SIGTERM while a crash input waits to be processed: the engines stop,
#     the input is still processed and written, exit 1
set -u
mmt=$1 src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-campaign.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*/logs/*.log; do [[ -f $f ]] && tail -n 20 "$f"; done; exit 1; }

"$mmt" fuzz --engine libfuzzer --runs 3000 --seed 1 --out "$work/c1" --quiet
rc=$?
[[ $rc == 0 ]] || fail "1: exit $rc on the correct model"
grep -q '"new_findings": 0' "$work/c1/summary.json" || fail "1: summary.json"
grep -q '"execs": [1-9]' "$work/c1/summary.json" || fail "1: no execs counted"
echo "ok: 1 nothing found, summary written"

bug=fork-migration-write-flag
mkdir -p "$work/extra"
"$mmt" convert "$src/corpus/zoo/$bug.mmt" "$work/extra/zoo.bin" || fail "2: convert"
"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --runs 200 --seed 1 \
  --corpus "$work/extra" --out "$work/c2" 2>"$work/c2.log"
rc=$?
[[ $rc == 1 ]] || { cat "$work/c2.log"; fail "2: exit $rc, expected 1"; }
f=$(ls "$work"/c2/findings/*.mmt 2>/dev/null | head -1)
[[ -n $f ]] || fail "2: no finding written"
ls "$work"/c2/findings | grep -q tmp && fail "2: a temporary file was left"
"$mmt" replay --inject $bug "$f" >/dev/null 2>&1
[[ $? == 1 ]] || fail "2: $f does not fail with $bug"
"$mmt" replay "$f" >/dev/null || fail "2: $f fails without $bug"
grep -q '"new_findings": 1' "$work/c2/summary.json" || fail "2: summary.json"
echo "ok: 2 a crash input became $(basename "$f")"

"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --runs 200 --seed 2 \
  --corpus "$work/extra" --out "$work/c2" --quiet
rc=$?
[[ $rc == 0 ]] || fail "3: resumed campaign exit $rc, expected 0 (nothing new)"
[[ $(ls "$work"/c2/findings/*.mmt | wc -l) == 1 ]] || fail "3: findings duplicated"
echo "ok: 3 resumed without reporting the old finding again"

mkdir -p "$work/c4/crashes/libfuzzer"
"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --budget 120 --jobs 1 --seed 4 \
  --out "$work/c4" --quiet &
pid=$!
for _ in $(seq 1 200); do
  [[ -s $work/c4/logs/libfuzzer.log ]] && break
  sleep 0.1
done
# an engine's crash artifact appears, and the campaign is stopped at once
cp "$work/extra/zoo.bin" "$work/c4/crashes/libfuzzer/crash-manual"
kill -TERM $pid
wait $pid
rc=$?
[[ $rc == 1 ]] || fail "4: exit $rc after SIGTERM, expected 1"
ls "$work"/c4/findings/*.mmt >/dev/null 2>&1 || fail "4: the crash input was lost"
grep -q '"interrupted": true' "$work/c4/summary.json" || fail "4: summary.json"
pgrep -f "$work/c4" >/dev/null && fail "4: an engine is still running"
echo "ok: 4 SIGTERM: engines stopped, the crash input still became a finding"
