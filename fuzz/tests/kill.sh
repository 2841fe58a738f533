#!/usr/bin/env bash
# kill.sh MMTORTURE SOURCE_DIR - (CTest fuzz:kill) a campaign killed with
# SIGKILL at a random moment, then resumed (campaign.h: kill-safety).
#  1. a libFuzzer fork-mode campaign with a zoo bug runs for 1-8 s (random,
#     printed; MMT_KILL_DELAY=S MMT_KILL_SEED=N replays a run) and gets
#     kill -9; the zoo reproducer is in its --corpus, so a finding is
#     reported at once and others may follow
#  2. within a few seconds no process of the campaign is left: nothing whose
#     command line names its directory, nothing in the process groups those
#     processes had
#  3. every finding it had reported is on disk and fails with the bug
#  4. resumed from the same directory for a few seconds: those findings are
#     still there, none is reported again, no two files share a signature,
#     nothing half written is left
#  5. DIR/timeseries.csv, written by both runs, is whole: every line has
#     its nine fields, the header once, and mmtorture report reads it
set -u
mmt=$1 src=$2
bug=fork-migration-write-flag
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-kill.XXXXXX")
dir=$work/campaign
pids=()
cleanup() {
  # whatever survived a failed check is ours: named by this run's directory
  for p in $(procs_of); do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/run*.log "$dir"/logs/*.log; do
    [[ -f $f ]] && { echo "--- $f"; tail -n 15 "$f"; }
  done
  exit 1
}

# procs_of: the processes whose command line mentions $dir (guards,
# engines, jobs), or whose process group is one of ${groups[@]}
groups=()
procs_of() {
  local p args stat
  for p in /proc/[0-9]*; do
    { mapfile -d '' args <"$p/cmdline"; } 2>/dev/null || continue
    if [[ "${args[*]}" == *"$dir"* ]]; then
      echo "${p#/proc/}"
    elif ((${#groups[@]})); then
      { read -r stat <"$p/stat"; } 2>/dev/null || continue
      stat=${stat##*) }
      set -- $stat
      [[ " ${groups[*]} " == *" $3 "* ]] && echo "${p#/proc/}"
    fi
  done
}
pgid_of() {  # field 5 of /proc/PID/stat, after "pid (comm)"
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  set -- $stat
  echo "$3"
}
reported() {  # "fuzz: [clean-model ]finding SIG (ENGINE, Ts) -> PATH" lines: SIG PATH
  sed -n 's/^fuzz: \(clean-model \)\{0,1\}finding \([^ ]*\) (.*) -> \(.*\)$/\2 \3/p' "$1"
}

delay=${MMT_KILL_DELAY:-$((1 + RANDOM % 7)).$((RANDOM % 10))}
seed=${MMT_KILL_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "kill after ${delay}s, seed $seed (MMT_KILL_DELAY=$delay MMT_KILL_SEED=$seed replays this)"

mkdir -p "$work/corpus"
"$mmt" convert "$src/corpus/zoo/$bug.mmt" "$work/corpus/zoo.bin" || fail "convert"
"$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --budget 60 --jobs 2 --seed "$seed" \
  --corpus "$work/corpus" --out "$dir" >"$work/run1.log" 2>&1 &
pid=$!
sleep "$delay"

# 1-2. the kill, and nothing of the campaign outlives it
# the groups of the guards (each leads its engine's); not the campaign's,
# which is this script's
self=$(pgid_of $$)
for p in $(procs_of); do
  g=$(pgid_of "$p") || continue
  [[ $g == "$self" || " ${groups[*]} " == *" $g "* ]] || groups+=("$g")
done
kill -0 "$pid" 2>/dev/null || fail "1: the campaign ended before the kill"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
echo "ok: 1 killed (process groups: ${groups[*]})"
left=
for _ in $(seq 1 50); do
  left=$(procs_of)
  left=$(echo $left)
  [[ -z $left ]] && break
  sleep 0.1
done
if [[ -n $left ]]; then
  ps -o pid,ppid,pgid,sid,stat,args -p "${left// /,}" 2>/dev/null
  fail "2: still running 5 s after the kill: $left"
fi
echo "ok: 2 no process of the campaign survived"

# 3. what it had reported (stderr is unbuffered: the log holds all of it)
reported "$work/run1.log" >"$work/reported"
n=0
while read -r sig f; do
  [[ -f $f ]] || fail "3: reported $f ($sig) is not on disk"
  "$mmt" replay --inject $bug "$f" >/dev/null 2>&1
  rc=$?
  [[ $rc == 1 ]] || fail "3: $f exits $rc with $bug, expected 1"
  n=$((n + 1))
done <"$work/reported"
echo "ok: 3 all $n reported finding(s) on disk, each failing with $bug"

# 4. resumed
timeout 120 "$mmt" fuzz --engine libfuzzer --inject $bug --tasks 2 --budget 3 --jobs 2 \
  --seed $((seed + 1)) --corpus "$work/corpus" --out "$dir" >"$work/run2.log" 2>&1
rc=$?
[[ $rc == 0 || $rc == 1 ]] || fail "4: the resumed campaign exits $rc"
while read -r sig f; do
  [[ -f $f ]] || fail "4: $f ($sig) is gone after resuming"
done <"$work/reported"
reported "$work/run2.log" >"$work/reported2"
dup=$(cat "$work/reported" "$work/reported2" | awk '{print $1}' | sort | uniq -d)
[[ -z $dup ]] || fail "4: reported again after resuming: $dup"
dup=$(grep -h '^# campaign signature ' "$dir"/findings/*.mmt 2>/dev/null | sort | uniq -d)
[[ -z $dup ]] || fail "4: two findings with the same signature: $dup"
ls "$dir"/findings 2>/dev/null | grep -q '\.tmp\.' && fail "4: a half-written finding is left"
[[ -e $dir/tmp ]] && fail "4: libFuzzer's scratch space $dir/tmp is left"
[[ -f $dir/summary.json ]] || fail "4: no summary.json"
[[ -z $(procs_of) ]] || fail "4: an engine outlived the resumed campaign"
echo "ok: 4 resumed: $(wc -l <"$work/reported2") new finding(s), nothing lost or duplicated"

# 5. the time series survived the kill
ts=$dir/timeseries.csv
[[ -f $ts ]] || fail "5: no $ts"
[[ $(grep -c '^wall,' "$ts") == 1 ]] || fail "5: the header is not there exactly once"
bad=$(awk -F, 'NR > 1 && (NF != 9 || $4 !~ /^[0-9]+$/) {print NR": "$0}' "$ts")
[[ -z $bad ]] || fail "5: lines of $ts cut short: $bad"
[[ $(tail -c 1 "$ts" | od -An -c | tr -d ' ') == '\n' ]] || fail "5: $ts does not end a line"
"$mmt" report "$dir" 2>"$work/report.log" || { cat "$work/report.log"; fail "5: report"; }
grep -q 'skipped' "$work/report.log" && fail "5: report skipped lines: $(cat "$work/report.log")"
echo "ok: 5 $(($(wc -l <"$ts") - 1)) time series lines over both runs, all whole"
