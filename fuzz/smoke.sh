#!/usr/bin/env bash
# smoke.sh ENGINE BINARY SEEDS TASKS AMOUNT [MUTATOR] - a short fuzz run on
# the correct model that must find nothing (CTest, label fuzz).
#   libfuzzer|parse: AMOUNT runs (-runs), seed 1, a fresh corpus dir + SEEDS
#   afl:             AMOUNT seconds (afl-fuzz -V), SEEDS as input, MUTATOR the
#                    custom mutator library (AFL_CUSTOM_MUTATOR_LIBRARY) if given
# Fails if the engine reports a crash or leaves a crash file.
set -u
engine=$1 bin=$2 seeds=$3 tasks=$4 amount=$5 mutator=${6:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
export MMT_FUZZ_TASKS=$tasks
case $engine in
  libfuzzer|parse)
    mkdir -p "$work/corpus"
    dict=()
    [[ $engine == libfuzzer ]] && dict=(-dict="$(dirname "$0")/mmt.dict")
    "$bin" -seed=1 -runs="$amount" -max_len=600 "${dict[@]}" \
      -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" "$seeds" 2>"$work/log"
    rc=$?
    tail -n 25 "$work/log"
    if ((rc != 0)) || compgen -G "$work/crash-*" >/dev/null; then
      echo "FAIL: $engine found something (exit $rc):"
      # the harness prints the violation, then "# mmt_fuzz: ..." and the
      # program as .mmt text, before libFuzzer's own report; show those (the
      # INFO: lines at the top of the log are not the finding)
      grep -B1 -A60 -m1 -E '^# mmt_fuzz: |ERROR: AddressSanitizer|runtime error' \
        "$work/log" | head -80
      for c in "$work"/crash-*; do
        [[ -f $c ]] && { echo "crash input (base64):"; base64 -w0 "$c"; echo; }
      done
      exit 1
    fi ;;
  afl)
    mkdir -p "$work/in"
    cp "$seeds"/*.bin "$work/in/" 2>/dev/null || printf '\0\0' >"$work/in/empty"
    [[ -n $mutator ]] && export AFL_CUSTOM_MUTATOR_LIBRARY=$mutator
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=0 AFL_QUIET=1 \
      afl-fuzz -V "$amount" -s 1 -i "$work/in" -o "$work/out" -- "$bin" >"$work/log" 2>&1
    rc=$?
    tail -n 15 "$work/log"
    stats=$work/out/default/fuzzer_stats
    [[ -f $stats ]] && grep -E '^(execs_done|execs_per_sec|edges_found|saved_crashes|saved_hangs) ' "$stats"
    if ((rc != 0)) || ! [[ -f $stats ]]; then
      echo "FAIL: afl-fuzz exited $rc"; grep -E 'ABORT|undefined' "$work/log" | head; exit 1
    fi
    if ! grep -qE '^execs_done +: +[1-9]' "$stats"; then
      echo "FAIL: afl-fuzz ran nothing"; exit 1
    fi
    if compgen -G "$work/out/default/crashes/id:*" >/dev/null; then
      echo "FAIL: afl-fuzz found a crash:"
      for c in "$work"/out/default/crashes/id:*; do "$bin" "$c" 2>&1 | head -40; break; done
      exit 1
    fi ;;
  *) echo "smoke.sh: unknown engine $engine" >&2; exit 2 ;;
esac
echo "PASS: $engine found nothing"
