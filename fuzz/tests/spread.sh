#!/usr/bin/env bash
# spread.sh MMTORTURE SOURCE_DIR - the default campaign spreads over task
# counts and engines (CTest fuzz:spread; issue 12 item 4)
#  1. `fuzz` with no --engine and no --tasks on 2 jobs runs libFuzzer on two
#     tasks and AFL++ on one; summary.json says so and both ran
#  2. each engine's crash inputs are triaged with its own task count: the
#     bytes of a two-task race reproduce from libFuzzer's crash dir (two
#     tasks) and not from AFL++'s (one task: no schedule, no race)
#  3. --tasks keeps the old single-engine default
#  4. one libFuzzer job runs without fork mode and is restarted after each
#     crash; an input that fails already is left out of what it loads
#     (else it would stop there at every start)
set -u
mmt=$1 src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-spread.XXXXXX")
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*/logs/*.log; do [[ -f $f ]] && tail -n 20 "$f"; done; exit 1; }

"$mmt" fuzz --budget 4 --jobs 2 --seed 1 --out "$work/c1" 2>"$work/c1.log"
rc=$?
[[ $rc == 0 ]] || { cat "$work/c1.log"; fail "1: exit $rc on the correct model"; }
grep -q 'libFuzzer (2 tasks) + AFL++ (1 task)' "$work/c1.log" || { cat "$work/c1.log"; fail "1: start line"; }
grep -q '"tasks": 2,' "$work/c1/summary.json" || fail "1: summary tasks"
grep -q '"afl_tasks": 1,' "$work/c1/summary.json" || fail "1: summary afl_tasks"
grep -q '"libfuzzer": {"execs": [1-9]' "$work/c1/summary.json" || fail "1: libFuzzer did not run"
grep -q '"afl": {"execs": [1-9]' "$work/c1/summary.json" || fail "1: AFL++ did not run"
echo "ok: 1 libFuzzer on 2 tasks, AFL++ on 1"

bug=fork-migration-write-flag
"$mmt" convert "$src/corpus/zoo/$bug.mmt" "$work/race.bin" || fail "2: convert"
mkdir -p "$work/c2/crashes/libfuzzer"
cp "$work/race.bin" "$work/c2/crashes/libfuzzer/crash-race"
"$mmt" fuzz --engine both --tasks 2 --afl-tasks 1 --inject $bug --budget 8 --jobs 2 --seed 2 \
  --out "$work/c2" 2>"$work/c2.log" &
pid=$!
# AFL++ clears its crash dir when it starts: put the input there once it
# runs (fuzzer_stats is written after the dry run, long after the cleanup;
# waiting for the queue dir and half a second was a race on a loaded machine)
for _ in $(seq 1 300); do
  [[ -f $work/c2/afl/main/fuzzer_stats ]] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
[[ -f $work/c2/afl/main/fuzzer_stats ]] ||
  { wait $pid; cat "$work/c2.log"; fail "2: AFL++ never finished its dry run within the budget"; }
cp "$work/race.bin" "$work/c2/afl/main/crashes/id:999999,race" || fail "2: no AFL++ crash dir"
wait $pid
grep -q 'libfuzzer/crash-race' "$work/c2/processed" || { cat "$work/c2.log"; fail "2: libFuzzer's crash input not processed"; }
grep -q 'afl-main/id:999999,race' "$work/c2/processed" || { cat "$work/c2.log"; fail "2: AFL++'s crash input not processed"; }
# libFuzzer's copy reproduces (a new finding, or an example of the seed's)
grep -q "crash-race does not reproduce" "$work/c2.log" &&
  { cat "$work/c2.log"; fail "2: the race did not reproduce from libFuzzer's dir (2 tasks)"; }
grep -q '"unreproducible": 1,' "$work/c2/summary.json" || fail "2: summary: unreproducible is not 1"
grep -q "afl-main: afl-main/id:999999,race does not reproduce" "$work/c2.log" ||
  { cat "$work/c2.log"; fail "2: AFL++'s copy was not decoded with 1 task"; }
echo "ok: 2 each engine's crash inputs decode with its own task count"

"$mmt" fuzz --tasks 1 --budget 2 --jobs 2 --seed 3 --out "$work/c3" 2>"$work/c3.log"
grep -q 'fuzz: libFuzzer, budget 2s, 2 jobs, 1 task' "$work/c3.log" || { cat "$work/c3.log"; fail "3: --tasks 1 start line"; }
echo "ok: 3 --tasks keeps one engine"

mkdir -p "$work/extra4"
cp "$work/race.bin" "$work/extra4/zoo.bin"
"$mmt" fuzz --engine libfuzzer --jobs 1 --tasks 2 --inject $bug --budget 6 --seed 4 \
  --corpus "$work/extra4" --out "$work/c4" 2>"$work/c4.log"
grep -q -- '-fork=' "$work/c4/logs/libfuzzer.log" && fail "4: one job ran in fork mode"
[[ -d $work/c4/lf-seeds && ! -e $work/c4/lf-seeds/zoo.bin ]] || fail "4: the failing input was not left out"
ls "$work"/c4/lf-seeds/* >/dev/null 2>&1 || fail "4: no seed kept"
execs=$(sed -n 's/.*"libfuzzer": {"execs": \([0-9]*\).*/\1/p' "$work/c4/summary.json")
[[ ${execs:-0} -gt 1000 ]] || { cat "$work/c4.log"; fail "4: libFuzzer ran only ${execs:-0} inputs"; }
echo "ok: 4 one libFuzzer job, restarted, failing inputs left out ($execs execs)"
