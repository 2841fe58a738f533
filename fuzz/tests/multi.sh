#!/usr/bin/env bash
# multi.sh MMTORTURE SOURCE_DIR [AFL] - (CTest fuzz:multi-machine) one
# campaign spread over machines, two campaigns on this machine standing in
# for two machines, then their corpus taken care of (corpus.h).
#  1. libFuzzer: campaigns A and B fuzz the clean model apart (their own
#     corpora), then each finds a different zoo bug, and C finds A's bug again
#  2. mmtorture merge A B C: B's finding is added to A (verified, atomically,
#     its own name), C's is known already; A's corpus gains B's and C's new
#     inputs (-merge=1).  Merging again adds nothing; no two files in
#     A/findings share a signature, nothing half written is left
#  3. mmtorture corpus minimize A: fewer or as many inputs, none lost to the
#     check; mmtorture corpus check A: every input passes on the clean model,
#     both findings fail with their bug and pass without (exit 0); a finding
#     whose bug no longer makes it fail makes the check exit 1
#  4. AFL++ (with AFL=1): M runs -M main on M/afl, N joins it from its own
#     DIR with --afl-sync M/afl --afl-name m2: m2 imports main's queue; each
#     campaign counts and triages only its own instances; afl-cmin reduces
#     the queues of both to M/corpus/afl
set -u
mmt=$1 src=$2 afl=${3:-0}
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-multi.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do [[ -f $f ]] && { echo "--- $f"; tail -n 15 "$f"; }; done; exit 1; }
count() { find "$1" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l; }
bug1=fork-migration-write-flag bug2=mprotect-keeps-write-migration

# 1. two machines, and a third that finds the first one's bug again
mkdir -p "$work/ex1" "$work/ex2"
"$mmt" convert "$src/corpus/zoo/$bug1.mmt" "$work/ex1/zoo.bin" || fail "1: convert $bug1"
"$mmt" convert "$src/corpus/zoo/$bug2.mmt" "$work/ex2/zoo.bin" || fail "1: convert $bug2"
for m in A:1 B:2 C:3; do
  "$mmt" fuzz --engine libfuzzer --runs 1500 --seed "${m#*:}" --out "$work/${m%:*}" --quiet \
    >"$work/${m%:*}.log" 2>&1 || fail "1: clean campaign ${m%:*} exited $?"
done
"$mmt" fuzz --engine libfuzzer --inject $bug1 --tasks 2 --runs 50 --seed 1 --corpus "$work/ex1" \
  --out "$work/A" --quiet >>"$work/A.log" 2>&1
[[ $? == 1 ]] || fail "1: A did not find $bug1"
"$mmt" fuzz --engine libfuzzer --inject $bug2 --tasks 2 --runs 50 --seed 1 --corpus "$work/ex2" \
  --out "$work/B" --quiet >>"$work/B.log" 2>&1
[[ $? == 1 ]] || fail "1: B did not find $bug2"
"$mmt" fuzz --engine libfuzzer --inject $bug1 --tasks 2 --runs 50 --seed 7 --corpus "$work/ex1" \
  --out "$work/C" --quiet >>"$work/C.log" 2>&1
[[ $? == 1 ]] || fail "1: C did not find $bug1"
sigA=$(sed -n 's/^# campaign signature //p' "$work"/A/findings/*.mmt)
sigB=$(sed -n 's/^# campaign signature //p' "$work"/B/findings/*.mmt)
sigC=$(sed -n 's/^# campaign signature //p' "$work"/C/findings/*.mmt)
[[ -n $sigA && -n $sigB && $sigA != "$sigB" && $sigA == "$sigC" ]] ||
  fail "1: signatures A '$sigA' B '$sigB' C '$sigC'"
echo "ok: 1 A: $sigA, B: $sigB, C: $sigC; corpora $(count "$work/A/corpus/libfuzzer"), $(count "$work/B/corpus/libfuzzer"), $(count "$work/C/corpus/libfuzzer")"

# 2. merging
before=$(count "$work/A/corpus/libfuzzer")
"$mmt" merge "$work/A" "$work/B" "$work/C" >"$work/merge.log" 2>&1 || fail "2: merge exited $?"
grep -q "$work/B into $work/A: 1 new finding, 0 known, 0 rejected" "$work/merge.log" || fail "2: B's finding not added"
grep -q "$work/C into $work/A: 0 new findings, 1 known, 0 rejected" "$work/merge.log" || fail "2: C's finding not known"
[[ $(count "$work/A/findings") == 2 ]] || fail "2: A/findings has $(count "$work/A/findings") files, expected 2"
after=$(count "$work/A/corpus/libfuzzer")
((after >= before)) || fail "2: A's corpus shrank in a merge ($before -> $after)"
grep -q -- '-merge=1 with' "$work/merge.log" || fail "2: no corpus merge"
fB=$work/A/findings/$(basename "$work"/B/findings/*.mmt)
cmp -s "$fB" "$work"/B/findings/*.mmt || fail "2: B's finding not copied whole"
"$mmt" replay --inject $bug2 "$fB" >/dev/null 2>&1
[[ $? == 1 ]] || fail "2: the merged finding does not fail with $bug2"
"$mmt" merge "$work/A" "$work/B" "$work/C" >"$work/merge2.log" 2>&1 || fail "2: merge again exited $?"
[[ $(grep -c ': 0 new findings, 1 known, 0 rejected' "$work/merge2.log") == 2 ]] ||
  fail "2: merging again added something: $(cat "$work/merge2.log")"
dup=$(grep -h '^# campaign signature ' "$work"/A/findings/*.mmt | sort | uniq -d)
[[ -z $dup ]] || fail "2: two findings with the same signature: $dup"
find "$work/A" -name '*.tmp.*' | grep -q . && fail "2: a temporary file was left"
echo "ok: 2 merged: B's finding added, C's known, corpus $before -> $after inputs; merging again adds nothing"

# 3. corpus care
"$mmt" corpus minimize "$work/A" >"$work/min.log" 2>&1 || fail "3: corpus minimize exited $?"
min=$(count "$work/A/corpus/libfuzzer")
((min > 0 && min <= after)) || fail "3: minimized to $min inputs from $after"
[[ -e $work/A/corpus/libfuzzer.old || -e $work/A/corpus/libfuzzer.min ]] && fail "3: leftovers"
"$mmt" corpus check "$work/A" >"$work/check.log" 2>&1 || fail "3: corpus check exited $?"
grep -q "0 violations; 2 findings: 2 reproduce, 0 lost" "$work/check.log" || fail "3: $(tail -n 1 "$work/check.log")"
cp -r "$work/A" "$work/A-bad"
f=$(ls "$work"/A-bad/findings/*.mmt | head -n 1)
b=$(sed -n 's/^# replay: mmtorture replay --inject \([^ ]*\) FILE$/\1/p' "$f")
other=$([[ $b == "$bug1" ]] && echo $bug2 || echo $bug1)
sed -i "s/^# replay: mmtorture replay --inject $b FILE$/# replay: mmtorture replay --inject $other FILE/" "$f"
"$mmt" corpus check "$work/A-bad" >"$work/check-bad.log" 2>&1
[[ $? == 1 ]] || fail "3: the check passed a finding that does not fail with its bug"
grep -q "LOST $f" "$work/check-bad.log" || fail "3: the lost finding is not named"
echo "ok: 3 corpus $after -> $min inputs; check: all pass, both findings reproduce; a lost finding exits 1"

# 4. AFL++ on a shared sync dir
if [[ $afl != 1 ]]; then
  echo "ok: 4 skipped (no AFL++ in this build)"
  exit 0
fi
# N, the machine that joins, starts from one empty program: main's queue
# (its seeds at least) is then new coverage to it, so what m2 imports does
# not hang on whether main found a new path before N's first sync (on a
# loaded CI machine it may not have); AFL_IMPORT_FIRST syncs at N's start
mkdir -p "$work/tiny" && printf '\0' >"$work/tiny/empty"
"$mmt" fuzz --engine afl --jobs 1 --budget 8 --seed 1 --out "$work/M" --quiet >"$work/M.log" 2>&1 &
pm=$!
for _ in $(seq 1 600); do
  (($(count "$work/M/afl/main/queue") > 0)) && break
  kill -0 $pm 2>/dev/null || break
  sleep 0.1
done
(($(count "$work/M/afl/main/queue") > 0)) || fail "4: main's queue still empty"
"$mmt" fuzz --engine afl --jobs 1 --budget 4 --seed 2 --out "$work/N" --corpus "$work/tiny" \
  --afl-sync "$work/M/afl" --afl-name m2 --quiet >"$work/N.log" 2>&1 || fail "4: N exited $?"
wait $pm || fail "4: M exited $?"
[[ -d $work/M/afl/main && -d $work/M/afl/m2 ]] || fail "4: instances: $(ls "$work/M/afl")"
[[ -e $work/N/afl ]] && fail "4: N made its own sync dir"
imported=$(ls "$work/M/afl/m2/queue" | grep -c 'sync:main')
((imported > 0)) || fail "4: m2 imported nothing from main"
grep -q '"execs": [1-9]' "$work/N/summary.json" || fail "4: N counted no execs"
grep -q ',afl,' "$work/N/timeseries.csv" || fail "4: N has no AFL++ time series"
"$mmt" corpus minimize "$work/M" >"$work/minM.log" 2>&1 || fail "4: corpus minimize M exited $?"
q=$(( $(count "$work/M/afl/main/queue") + $(count "$work/M/afl/m2/queue") ))
n=$(count "$work/M/corpus/afl")
((n > 0 && n <= q)) || fail "4: afl-cmin: $q queue entries -> $n"
echo "ok: 4 AFL++: m2 joined main's sync dir and imported $imported entries; afl-cmin $q -> $n"
