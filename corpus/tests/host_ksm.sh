#!/usr/bin/env bash
# host_ksm.sh MMTORTURE FILE...
# (CTest host-ksm:seeds) The KSM seeds on this machine's kernel, with its
# own ksmd driven through /sys/kernel/mm/ksm (host-replay --host-ksm):
#   1. every assertion of every FILE holds, and each FILE reads at least one
#      page the host really merged ("a KSM page"): the data and errnos
#      asserted are those of real merging, not of a ksmd that never ran;
#   2. the KSM knobs are what they were before, after every run;
#   3. a run killed by SIGTERM puts them back too.
# Exit 77 (CTest SKIP_RETURN_CODE) where --host-ksm cannot work: not root,
# or a kernel without KSM (host-replay exits 4 then).
set -u
mmt=$1
shift
knobs() {
  local k
  for k in run pages_to_scan sleep_millisecs smart_scan merge_across_nodes; do
    [[ -r /sys/kernel/mm/ksm/$k ]] && printf '%s=%s ' "$k" "$(cat /sys/kernel/mm/ksm/$k)"
  done
}
fail=0
before=$(knobs)
for f in "$@"; do
  out=$("$mmt" host-replay --host-ksm "$f" 2>&1)
  rc=$?
  if [[ $rc -eq 4 ]]; then
    echo "SKIP: $out"
    exit 77
  fi
  if [[ $rc -ne 0 ]]; then
    echo "$out"
    echo "FAIL: $f: host-replay --host-ksm exited $rc"
    fail=1
  elif ! grep -q '(a KSM page)' <<<"$out"; then
    echo "$out"
    echo "FAIL: $f: no read found a page the host merged"
    fail=1
  else
    echo "ok: $f: $(tail -1 <<<"$out"), $(grep -c '(a KSM page)' <<<"$out") reads of a KSM page"
  fi
  after=$(knobs)
  if [[ $after != "$before" ]]; then
    echo "FAIL: $f: the knobs were [$before], are [$after]"
    fail=1
  fi
done

# 3: a long run (each ksmd op waits for a pass), killed in the middle
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  printf 'mmt 1\nspawn p0\nmmap p0 0x10 2 rw private|anon\nwrite p0 0x10 0x7\n'
  printf 'write p0 0x11 0x7\nmadvise p0 0x10 2 mergeable\n'
  for ((i = 0; i < 2000; i++)); do printf 'ksmd 16\n'; done
  printf 'exit p0\n'
} >"$tmp/long.mmt"
"$mmt" host-replay --host-ksm --quiet "$tmp/long.mmt" >"$tmp/out" 2>&1 &
pid=$!
sleep 1
mid=$(knobs)
kill -TERM "$pid"
wait "$pid"
rc=$?
after=$(knobs)
if [[ $mid == "$before" ]]; then
  echo "FAIL: SIGTERM: the knobs had not changed after a second of the run [$mid]"
  fail=1
elif [[ $rc -ne 143 ]]; then
  echo "FAIL: SIGTERM: host-replay exited $rc, not killed by the signal (143)"
  cat "$tmp/out"
  fail=1
elif [[ $after != "$before" ]]; then
  echo "FAIL: SIGTERM: the knobs were [$before], are [$after]"
  fail=1
else
  echo "ok: SIGTERM in the middle of a run: knobs restored ($after)"
fi
exit $fail
