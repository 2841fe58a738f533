#!/usr/bin/env bash
# tools/bench-sched.sh [TRIALS] [BUDGET_S] [STRESS_S] - the concurrency benchmark
# (not CI).  Builds the default and tsan presets, then measures:
#   - sched-mode execs/s, 4 tasks x 16 ops under PCT     (mmtorture-bench-sched)
#   - time-to-detect of the race-zoo bugs: PCT, random walk, naive baseline
#   - stress ops/s with 1 and 2 worker threads (+ kswapd + kcompactd)
#   - the TSan slowdown of stress (ops/s default / ops/s tsan, 2 workers)
#   - stress time-to-detect of the race-zoo bugs: 2 workers + daemons,
#     --inject BUG, a check every 0.1 s, min(TRIALS, 5) seeds, BUDGET seconds
#     each; the seconds until the first violation (counted as the bug's only
#     if the same binary ran clean without it above)
# and writes bench/sched-results.json.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
TRIALS=${1:-5} BUDGET=${2:-10} SECS=${3:-3}
for p in default tsan; do
  cmake --preset "$p" >/dev/null && cmake --build --preset "$p" >/dev/null
done
stress_rate() {  # BINARY THREADS -> "ops_per_s seconds violation"
  local out
  out=$("$1" --threads "$2" --time "$SECS" --seed 1 --quiet --trials 0 \
        --out /tmp/mmt-bench-stress 2>&1 || true)
  # "stress: 3.0s, 4512345 ops (1504115/s), 4 checks, 0 violations"
  local line; line=$(grep -E '^stress: [0-9.]+s, ' <<<"$out" | tail -1)
  local secs ops viol
  secs=$(sed -E 's/^stress: ([0-9.]+)s.*/\1/' <<<"$line")
  ops=$(sed -E 's/.*\(([0-9]+)\/s\).*/\1/' <<<"$line")
  viol=$(grep -oE 'VIOLATION [A-Z]+' <<<"$out" | head -1 | cut -d' ' -f2 || true)
  echo "$ops $secs ${viol:-none}"
}
sched_json=$(build/default/mmtorture-bench-sched "$TRIALS" "$BUDGET")
read -r s1 t1 v1 < <(stress_rate build/default/mmtorture-stress 1)
read -r s2 t2 v2 < <(stress_rate build/default/mmtorture-stress 2)
read -r ts2 tt2 tv2 < <(TSAN_OPTIONS="report_bugs=0" stress_rate build/tsan/mmtorture-stress 2)
stress_ttd=""
for bug in anon-vma-head-insert fork-migration-write-flag mprotect-keeps-write-migration; do
  n=$(( TRIALS < 5 ? TRIALS : 5 ))
  for s in $(seq 1 "$n"); do
    out=$(build/default/mmtorture-stress --threads 2 --time "$BUDGET" --seed "$s" --inject "$bug" \
          --check-every 0.1 --quiet --trials 0 --out /tmp/mmt-bench-stress 2>&1 || true)
    secs=$(grep -E '^stress: [0-9.]+s, ' <<<"$out" | tail -1 | sed -E 's/^stress: ([0-9.]+)s.*/\1/')
    inv=$(grep -oE 'VIOLATION [A-Z_]+' <<<"$out" | head -1 | cut -d' ' -f2 || true)
    stress_ttd+="$bug $s ${secs:-nan} ${inv:-none}"$'\n'
  done
done
mkdir -p bench
SCHED_JSON=$sched_json S1=$s1 T1=$t1 V1=$v1 S2=$s2 T2=$t2 V2=$v2 TS2=$ts2 TT2=$tt2 \
STRESS_TTD=$stress_ttd BUDGET=$BUDGET CMDLINE="tools/bench-sched.sh $TRIALS $BUDGET $SECS" HOST="$(uname -srm), $(nproc) cpus" \
python3 - <<'PY'
import json, os
e = os.environ
d = json.loads(e["SCHED_JSON"])
d["stress_ops_per_s_1thread"] = float(e["S1"]); d["stress_1thread_ran_s"] = float(e["T1"])
d["stress_1thread_violation"] = e["V1"]
d["stress_ops_per_s_2threads"] = float(e["S2"]); d["stress_2threads_ran_s"] = float(e["T2"])
d["stress_2threads_violation"] = e["V2"]
d["stress_tsan_ops_per_s_2threads"] = float(e["TS2"]); d["stress_tsan_ran_s"] = float(e["TT2"])
d["tsan_slowdown"] = round(float(e["S2"]) / float(e["TS2"]), 1) if float(e["TS2"]) else None
clean = e["V1"] == "none" and e["V2"] == "none"
st = {}
for line in e["STRESS_TTD"].splitlines():
    if not line.strip():
        continue
    bug, seed, secs, inv = line.split()
    st.setdefault(bug, []).append({"seed": int(seed), "seconds": None if inv == "none" else float(secs),
                                   "invariant": None if inv == "none" else inv})
ttd = {}
for bug, runs in st.items():
    ts = sorted(r["seconds"] if r["seconds"] is not None else float("inf") for r in runs)
    med = ts[len(ts) // 2]
    ttd[bug] = {"median_s": None if med == float("inf") else med,
                "success": "%d/%d" % (sum(r["seconds"] is not None for r in runs), len(runs)),
                "budget_s": float(e["BUDGET"]), "runs": runs}
d["stress_time_to_detect"] = ttd
d["stress_time_to_detect_note"] = ("2 workers + kswapd + kcompactd, --check-every 0.1; seconds until the first "
                                   "violation as stress reports it; the same binary ran %s without injection"
                                   % ("clean" if clean else "NOT clean (violations are not attributable)"))
d["commands"] = e["CMDLINE"]; d["host"] = e["HOST"]
json.dump(d, open("bench/sched-results.json", "w"), indent=2)
PY
cat bench/sched-results.json
