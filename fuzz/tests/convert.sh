#!/usr/bin/env bash
# convert.sh MMTORTURE CORPUS - mmtorture convert both ways (CTest fuzz:convert)
#  - every encodable seed: .mmt -> bytes -> .mmt gives a program that replays
#    and prints like the original (comments and assertions aside)
#  - a program outside the fuzzing world: exit 2 with a reason
#  - each race of the zoo: .mmt -> bytes -> .mmt (--tasks 2) still fails with
#    its bug and passes without it (a crash input becomes a reproducer)
set -u
mmt=$1 corpus=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-convert.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
n=0
for f in "$corpus"/seeds/*.mmt; do
  b=$work/$(basename "$f" .mmt)
  if "$mmt" convert "$f" "$b.bin" 2>"$b.err"; then
    "$mmt" convert --tasks 8 "$b.bin" "$b.back.mmt" || fail "$f: bytes -> .mmt"
    "$mmt" replay "$b.back.mmt" >/dev/null || fail "$f: the converted program does not replay"
    "$mmt" convert "$b.back.mmt" "$b.bin2" || fail "$f: re-encode"
    # a multi-task program comes back with the schedule it took: longer bytes
    if ! grep -q '^schedule' "$b.back.mmt"; then
      cmp -s "$b.bin" "$b.bin2" || fail "$f: encode(decode(encode(p))) != encode(p)"
    fi
    diff <("$mmt" print "$f" | grep -v -e '^#' -e '^world' | sed 's/ *\(->\|=\) .*//') \
         <("$mmt" print "$b.back.mmt" | grep -v -e '^#' -e '^schedule' -e '^world' | sed 's/ *\(->\|=\) .*//') \
      >/dev/null || fail "$f: the ops changed on the way"
    n=$((n + 1))
  else
    rc=$?
    [[ $rc == 2 ]] || fail "$f: exit $rc for a program that does not encode (expected 2)"
    grep -q "not encodable" "$b.err" || fail "$f: no reason given"
  fi
done
((n >= 4)) || fail "only $n seeds encodable"
echo "ok: $n seeds round-trip"

printf 'mmt 1\nspawn bob\n' >"$work/bob.mmt"
"$mmt" convert "$work/bob.mmt" "$work/bob.bin" 2>"$work/bob.err"
[[ $? == 2 ]] || fail "bob.mmt: expected exit 2"
grep -q "p0..p3" "$work/bob.err" || fail "bob.mmt: no reason: $(cat "$work/bob.err")"
echo "ok: a program outside the window exits 2 with a reason"

for bug in fork-migration-write-flag mprotect-keeps-write-migration anon-vma-head-insert; do
  z=$corpus/zoo/$bug.mmt
  "$mmt" convert "$z" "$work/$bug.bin" || fail "$bug: does not encode"
  "$mmt" convert --tasks 2 --inject "$bug" "$work/$bug.bin" "$work/$bug.mmt" || fail "$bug: decode"
  grep -q '^# signature' "$work/$bug.mmt" || fail "$bug: the converted run did not fail"
  "$mmt" replay --inject "$bug" "$work/$bug.mmt" >/dev/null 2>&1
  [[ $? == 1 ]] || fail "$bug: the reproducer does not fail with the bug"
  # without the bug the run may leave the recorded schedule (a strict replay
  # then says DIVERGED), but no invariant may fire
  "$mmt" replay "$work/$bug.mmt" >/dev/null 2>"$work/$bug.clean" ||
    grep -q 'DIVERGED' "$work/$bug.clean" ||
    fail "$bug: the reproducer fails without the bug: $(cat "$work/$bug.clean")"
  echo "ok: $bug crash bytes -> reproducer"
done
