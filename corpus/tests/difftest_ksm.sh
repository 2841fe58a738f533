#!/usr/bin/env bash
# difftest_ksm.sh MMTORTURE OUTDIR
# (CTest host-ksm:difftest) difftest --gen ksm --host-ksm: programs of the
# KSM race template, each run on the model and on this machine's kernel with
# its own ksmd.  No program may disagree, and the host must really merge:
# some read finds a page the host's ksmd merged (uniform programs almost
# never get there: 0 such reads in 200 of them, seed 1).  Exit 77 (CTest
# SKIP_RETURN_CODE) where --host-ksm cannot work (not root, or no KSM).
set -u
mmt=$1 out=$2
rm -rf "$out"
log=$("$mmt" difftest --gen ksm --host-ksm --seed 1 --count 20 --quiet --out "$out" 2>&1)
rc=$?
echo "$log"
if grep -q -- '--host-ksm needs root' <<<"$log"; then
  exit 77
fi
[[ $rc -eq 0 ]] || { echo "FAIL: difftest exited $rc"; exit 1; }
n=$(sed -n 's/.* \([0-9]*\) reads\? of a KSM page.*/\1/p' <<<"$log")
[[ -n $n && $n -gt 0 ]] || { echo "FAIL: no read found a page the host merged"; exit 1; }
echo "ok: $n reads of a page the host merged, no disagreement"
