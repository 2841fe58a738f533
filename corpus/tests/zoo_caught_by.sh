#!/usr/bin/env bash
# zoo_caught_by.sh MMTORTURE ZOO_DIR
# (CTest zoo:caught-by) The violation each corpus/zoo/NAME.mmt reports with
# its switch on is one of the invariants the entry says catch it (the
# "[caught by ...]" of `mmtorture inject --list`, inject.c's caught_by): a
# zoo entry that starts tripping some other check has changed what it shows.
set -u
mmt=$1 zoo=$2
fail=0
while IFS= read -r line; do
  bug=${line%% *}
  caught=$(sed -n 's/.*\[caught by \(.*\)\]$/\1/p' <<<"$line")
  [[ -n $caught ]] || { echo "FAIL: $bug: no [caught by ...] in inject --list"; fail=1; continue; }
  v=$("$mmt" replay --inject "$bug" "$zoo/$bug.mmt" 2>&1 | sed -n 's/.*VIOLATION \([A-Z]*\) .*/\1/p' | head -1)
  if [[ -z $v ]]; then
    echo "FAIL: $bug: no violation reported"; fail=1
  elif [[ " ${caught//,/ } " != *" $v "* ]]; then
    echo "FAIL: $bug: $v fired, the entry says it is caught by $caught"; fail=1
  else
    echo "ok: $bug: $v (caught by $caught)"
  fi
done < <("$mmt" inject --list)
exit $fail
