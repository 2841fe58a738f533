#!/usr/bin/env bash
# minimize.sh MMTORTURE SOURCE_DIR - mmtorture minimize (CTest fuzz:minimize)
# A zoo reproducer padded with unrelated ops shrinks back to a program that
# still fails with the bug (same signature), passes without it, replays with
# its schedule taken strictly, and is no longer than the original, with no more
# context switches.
set -u
mmt=$1 src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-min.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pad() {  # noise on task 0 after the ops (before the schedule line)
  grep -v '^schedule' "$1"
  printf '%s\n' "spawn p9" "mmap p9 0x40 4 rw private|anon" "write p9 0x41 0x77" \
    "madvise p9 0x40 2 dontneed" "read p9 0x41" "exit p9"
  grep '^schedule' "$1"
}
for bug in swapon-type-overlap fork-migration-write-flag mprotect-keeps-write-migration anon-vma-head-insert; do
  z=$src/corpus/zoo/$bug.mmt
  pad "$z" >"$work/$bug.mmt"
  "$mmt" replay --inject "$bug" "$work/$bug.mmt" >/dev/null 2>&1
  [[ $? == 1 ]] || fail "$bug: the padded program does not fail"
  "$mmt" minimize --inject "$bug" "$work/$bug.mmt" -o "$work/$bug.min.mmt" || fail "$bug: minimize"
  "$mmt" replay --inject "$bug" "$work/$bug.min.mmt" >/dev/null 2>&1
  [[ $? == 1 ]] || fail "$bug: the minimized program does not fail with the bug"
  "$mmt" replay "$work/$bug.min.mmt" >/dev/null || fail "$bug: minimized fails without the bug"
  # op lines only: the header comment names the source path, and mktemp's
  # random suffix may contain "p9"
  grep -vE '^(#|$)' "$work/$bug.min.mmt" | grep -qw p9 && fail "$bug: the noise was not removed"
  a=$(grep -cvE '^(#|mmt|world|schedule|$)' "$z")
  b=$(grep -cvE '^(#|mmt|world|schedule|$)' "$work/$bug.min.mmt")
  ((b <= a)) || fail "$bug: $b ops after minimizing, the zoo file has $a"
  sa=$(grep '^schedule' "$z" | wc -w) sb=$(grep '^schedule' "$work/$bug.min.mmt" | wc -w)
  ((sb <= sa)) || fail "$bug: schedule of $sb runs after minimizing, the zoo file has $sa"
  echo "ok: $bug: $(grep -cvE '^(#|mmt|world|schedule|$)' "$work/$bug.mmt") -> $b ops, $sa -> $sb schedule words"
done
# a file that does not fail: exit 1
"$mmt" minimize "$src/corpus/seeds/segv.mmt" -o "$work/x.mmt" 2>/dev/null
[[ $? == 1 ]] || fail "a passing program: expected exit 1"
echo "ok: a passing program is refused"
