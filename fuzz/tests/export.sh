#!/usr/bin/env bash
# export.sh MMTORTURE CC CORPUS - mmtorture export on the real kernel (CTest export:seeds)
#  - every corpus/seeds program exports to C that CC compiles with
#    -std=gnu11 -lpthread and that runs here with exit 0: each outcome the
#    seed asserts holds on this machine's kernel (what this machine cannot
#    run, migration to a node it lacks, the model's swap devices, is skipped
#    by the program itself, not failed)
#  - a malformed file: exit 2 and FILE:LINE:COL, nothing written
# With MMT_EXPORT_SYSTEM=1 (and root) the programs run with --system: real
# swap files for the model's swap devices, and node compaction; off by
# default, since both touch the whole machine.
# A seed whose assertions fail on the real kernel is a disagreement between
# the model and Linux; it would be listed in SKIP with the reason, never
# dropped silently.  None does on Linux 6.18; uffd-move is skipped because
# the export cannot run UFFDIO_MOVE yet.
set -u
mmt=$1 cc=$2 corpus=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-export.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
declare -A SKIP=()
SKIP[uffd-move]="the C export does not reproduce UFFDIO_MOVE (it needs a uffd and its handler thread); mmtorture host-replay runs this seed on the kernel"
run_opts=()
[[ ${MMT_EXPORT_SYSTEM:-0} == 1 ]] && run_opts=(--system --swap-dir "$work")
n=0
for f in "$corpus"/seeds/*.mmt; do
  name=$(basename "$f" .mmt)
  if [[ -n ${SKIP[$name]+x} ]]; then
    echo "skip $name: ${SKIP[$name]}"
    continue
  fi
  "$mmt" export "$f" -o "$work/$name.c" || fail "$name: export exited $?"
  "$cc" -O0 -std=gnu11 -Wall -Wextra -Werror "$work/$name.c" -o "$work/$name" -lpthread \
    >"$work/$name.cc" 2>&1 || { cat "$work/$name.cc"; fail "$name: the export does not compile"; }
  timeout 30 "$work/$name" "${run_opts[@]}" >"$work/$name.out" 2>&1
  rc=$?
  if [[ $rc == 2 ]]; then
    # the harness broke (a process of it died or hung): not a verdict on
    # the kernel; say so and try once more, a FAIL (exit 1) never is
    grep '^harness error' "$work/$name.out"
    echo "retry $name: its harness broke"
    timeout 30 "$work/$name" "${run_opts[@]}" >"$work/$name.out" 2>&1
    rc=$?
  fi
  if [[ $rc != 0 ]]; then
    cat "$work/$name.out"
    fail "$name: exit $rc on $(uname -r) (a FAIL line above is the model disagreeing with this kernel)"
  fi
  tail -1 "$work/$name.out" | grep -q '^PASS: ' || fail "$name: no PASS line"
  echo "ok $name: $(tail -1 "$work/$name.out")"
  n=$((n + 1))
done
((n >= 20)) || fail "only $n seeds ran"

# every opcode and every advice (test_export.c checks the text of the same
# program): it compiles, and what it asserts holds here
cat >"$work/all.mmt" <<'MMT'
mmt 1
world nodes=2 frames=64 swap=16
swapon 1 32
spawn p0
mmap p0 0x10 4 rw private|anon
mmap p0 0x20 2 r shared
mmap p0 0x30 2 w shared|anon
mmap p0 0x40 1 none private
write p0 0x10 0xdead
read p0 0x10 = 0xdead -> ok
read p0 0x50 -> SEGV
mprotect p0 0x10 4 r
munmap p0 0x10 0 -> EINVAL
mremap p0 0x10 2 0x60 3
remap_file_pages p0 0x20 1 0x21 -> ok
read p0 0x20 = 0
remap_file_pages p0 0x60 1 0x21 -> EINVAL
madvise p0 0x60 1 normal
madvise p0 0x60 1 willneed
madvise p0 0x60 1 dontneed
madvise p0 0x60 1 pageout
madvise p0 0x60 1 cold
madvise p0 0x60 1 mergeable
madvise p0 0x60 1 unmergeable
madvise p0 0x60 1 dontfork
madvise p0 0x60 1 dofork
madvise p0 0x60 1 hugepage
madvise p0 0x60 1 nohugepage
madvise p0 0x60 1 wipeonfork
madvise p0 0x60 1 keeponfork
fork p0 p1
read p1 0x62 = 0
@1 migrate p0 0x60 2 1
@2 migrate p1 0x60 2 0 all
reclaim 8
kswapd 16
kcompactd 0 16 -> ok
check
swapoff 1 -> ok
@1 exit p1
exit p0
MMT
"$mmt" export "$work/all.mmt" -o "$work/all.c" || fail "all.mmt: export exited $?"
"$cc" -O0 -std=gnu11 -Wall -Wextra -Werror "$work/all.c" -o "$work/all" -lpthread \
  || fail "all.mmt: the export does not compile"
timeout 30 "$work/all" "${run_opts[@]}" >"$work/all.out" 2>&1
rc=$?
[[ $rc == 0 ]] || { cat "$work/all.out"; fail "all.mmt: exit $rc"; }
echo "ok all-ops: $(tail -1 "$work/all.out")"

# malformed input: exit 2 with the location, as replay
printf 'mmt 1\nspawn p0\nmmap p0 0x10 zz rw private\n' >"$work/bad.mmt"
"$mmt" export "$work/bad.mmt" -o "$work/bad.c" 2>"$work/bad.err"
[[ $? == 2 ]] || fail "bad.mmt: expected exit 2"
grep -q "bad.mmt:3:14: " "$work/bad.err" || fail "bad.mmt: no FILE:LINE:COL: $(cat "$work/bad.err")"
[[ ! -e $work/bad.c ]] || fail "bad.mmt: something was written"
echo "ok: $n seeds hold on the real kernel"
