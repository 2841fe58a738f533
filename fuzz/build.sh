#!/bin/bash -eu
# build.sh - OSS-Fuzz / ClusterFuzzLite build script (.clusterfuzzlite/build.sh
# runs it in the builder image).
#
# Honours the variables those builders set: $CC, $CFLAGS (coverage and
# sanitizer flags), $LIB_FUZZING_ENGINE (the engine to link: -fsanitize=fuzzer,
# or a library), $OUT, and $WORK (scratch space; a temporary dir if unset).
# $SANITIZER (address, undefined, memory, coverage) needs nothing of its own
# here: its flags are in $CFLAGS.  Produces, for each fuzzer F of
#   mmt_fuzz        the harness (fuzz/harness.c, custom mutator on), one task
#   mmt_fuzz_race   the same with two tasks and the scheduling tail
#                   (MMT_FUZZ_DEFAULT_TASKS=2: ClusterFuzzLite passes no
#                   environment, and the zoo's races need two tasks)
#   mmt_fuzz_parse  the .mmt reader (fuzz/parse_fuzz.c)
# the files $OUT/F, $OUT/F_seed_corpus.zip (corpus/seeds converted to bytes,
# or for the parser the .mmt files of corpus/), $OUT/F.dict (fuzz/mmt.dict;
# not for the parser) and $OUT/F.options (libFuzzer options).
# Locally (what CTest's fuzz:oss-fuzz-build does):
#   CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
# and as ClusterFuzzLite does it: fuzz/tests/clusterfuzzlite.sh.
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${OUT:?set OUT}" "${CC:=clang}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
if [[ -n ${WORK:-} ]]; then
  B=$WORK/mmt-build
  rm -rf "$B"
else
  B=$(mktemp -d "${TMPDIR:-/tmp}/mmt-ossfuzz.XXXXXX")
  trap 'rm -rf "$B"' EXIT
fi
mkdir -p "$OUT" "$B/obj" "$B/seeds" "$B/mmt"
# the layers, bottom up (CMakeLists.txt): each DIR/*.c, headers in DIR/include
LAYERS=(core/kprim core/lang core/mm core/check core/exec core/host fuzz/lib)
COMMON=(-std=c11 -D_GNU_SOURCE)
STACK=()
for l in "${LAYERS[@]}"; do
  COMMON+=(-I"$SRC_DIR/$l/include" -I"$SRC_DIR/$l")
  STACK+=("$SRC_DIR/$l"/*.c)
done

# the model, with the builder's flags, once for all the fuzzers
objs=()
for f in "${STACK[@]}"; do
  o=$B/obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
  # shellcheck disable=SC2086
  $CC $CFLAGS "${COMMON[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
fuzzer() {  # fuzzer NAME SOURCE [DEFINES...]
  local name=$1 src=$2
  shift 2
  # shellcheck disable=SC2086
  $CC $CFLAGS "${COMMON[@]}" "$@" -c "$src" -o "$B/obj/$name.o"
  # shellcheck disable=SC2086
  $CC $CFLAGS "${objs[@]}" "$B/obj/$name.o" $LIB_FUZZING_ENGINE -lpthread -lm -o "$OUT/$name"
}
fuzzer mmt_fuzz "$SRC_DIR/fuzz/harness.c" -DMMT_CUSTOM_MUTATOR=1
fuzzer mmt_fuzz_race "$SRC_DIR/fuzz/harness.c" -DMMT_CUSTOM_MUTATOR=1 -DMMT_FUZZ_DEFAULT_TASKS=2
fuzzer mmt_fuzz_parse "$SRC_DIR/fuzz/parse_fuzz.c"

# a plain host build of the CLI converts the .mmt seeds to bytes
cli=("$SRC_DIR"/cli/*.c)
[[ -f $SRC_DIR/stress/stress.c ]] && cli+=("$SRC_DIR/stress/stress.c" -I"$SRC_DIR/stress")
$CC -O1 "${COMMON[@]}" "${STACK[@]}" "${cli[@]}" -lpthread -lm -o "$B/mmtorture"
n=0
for s in "$SRC_DIR"/corpus/seeds/*.mmt; do
  if "$B/mmtorture" convert "$s" "$B/seeds/$(basename "$s" .mmt)" 2>/dev/null; then
    n=$((n + 1))
  else
    echo "build.sh: seed $(basename "$s"): not encodable, skipped"
  fi
done
# the parser's seeds: every .mmt the project has, good and bad
for s in "$SRC_DIR"/corpus/*/*.mmt; do
  cp "$s" "$B/mmt/$(basename "$(dirname "$s")")-$(basename "$s")"
done
zipdir() {  # zipdir DIR ZIP
  python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        z.write(os.path.join(src, name), name)
os.replace(dst + ".tmp", dst)
PY
}
zipdir "$B/seeds" "$OUT/mmt_fuzz_seed_corpus.zip"
cp "$OUT/mmt_fuzz_seed_corpus.zip" "$OUT/mmt_fuzz_race_seed_corpus.zip"
zipdir "$B/mmt" "$OUT/mmt_fuzz_parse_seed_corpus.zip"
cp "$SRC_DIR/fuzz/mmt.dict" "$OUT/mmt_fuzz.dict"
cp "$SRC_DIR/fuzz/mmt.dict" "$OUT/mmt_fuzz_race.dict"
cat >"$OUT/mmt_fuzz.options" <<OPT
[libfuzzer]
max_len = 514
dict = mmt_fuzz.dict
OPT
# hit counts off for interleavings (fuzz/README.md: race-shaped inputs
# drown among inputs that differ only in how often a loop ran)
cat >"$OUT/mmt_fuzz_race.options" <<OPT
[libfuzzer]
max_len = 514
dict = mmt_fuzz_race.dict
use_counters = 0
OPT
cat >"$OUT/mmt_fuzz_parse.options" <<OPT
[libfuzzer]
max_len = 4096
OPT
echo "build.sh: $OUT/{mmt_fuzz,mmt_fuzz_race,mmt_fuzz_parse}, $n seeds in each harness's seed corpus, $(ls "$B/mmt" | wc -l) .mmt files in the parser's"
