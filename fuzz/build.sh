#!/bin/bash -eu
# build.sh - OSS-Fuzz / ClusterFuzzLite build script.
#
# Honours the variables those builders set: $CC, $CFLAGS (coverage and
# sanitizer flags), $LIB_FUZZING_ENGINE (the engine to link: -fsanitize=fuzzer,
# or a library) and $OUT.  Produces:
#   $OUT/mmt_fuzz                       the harness (fuzz/harness.c, custom mutator on)
#   $OUT/mmt_fuzz_seed_corpus.zip       corpus/seeds converted to bytes
#   $OUT/mmt_fuzz.dict                  fuzz/mmt.dict
#   $OUT/mmt_fuzz.options               libFuzzer options (max_len, dict)
# Locally (what CTest's fuzz:oss-fuzz-build does):
#   CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${OUT:?set OUT}" "${CC:=clang}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mmt-ossfuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/obj" "$WORK/seeds"
# the layers, bottom up (CMakeLists.txt): each DIR/*.c, headers in DIR/include
LAYERS=(core/kprim core/lang core/mm core/check core/exec core/host fuzz/lib)
COMMON=(-std=c11 -D_GNU_SOURCE)
STACK=()
for l in "${LAYERS[@]}"; do
  COMMON+=(-I"$SRC_DIR/$l/include" -I"$SRC_DIR/$l")
  STACK+=("$SRC_DIR/$l"/*.c)
done

# the model and the harness, with the builder's flags
objs=()
for f in "${STACK[@]}" "$SRC_DIR"/fuzz/harness.c; do
  o=$WORK/obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
  # shellcheck disable=SC2086
  $CC $CFLAGS "${COMMON[@]}" -DMMT_CUSTOM_MUTATOR=1 -c "$f" -o "$o"
  objs+=("$o")
done
# shellcheck disable=SC2086
$CC $CFLAGS "${objs[@]}" $LIB_FUZZING_ENGINE -lpthread -lm -o "$OUT/mmt_fuzz"

# a plain host build of the CLI converts the .mmt seeds to bytes
cli=("$SRC_DIR"/cli/*.c)
[[ -f $SRC_DIR/stress/stress.c ]] && cli+=("$SRC_DIR/stress/stress.c" -I"$SRC_DIR/stress")
$CC -O1 "${COMMON[@]}" "${STACK[@]}" "${cli[@]}" -lpthread -lm -o "$WORK/mmtorture"
n=0
for s in "$SRC_DIR"/corpus/seeds/*.mmt; do
  if "$WORK/mmtorture" convert "$s" "$WORK/seeds/$(basename "$s" .mmt)" 2>/dev/null; then
    n=$((n + 1))
  else
    echo "build.sh: seed $(basename "$s"): not encodable, skipped"
  fi
done
python3 - "$WORK/seeds" "$OUT/mmt_fuzz_seed_corpus.zip" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        z.write(os.path.join(src, name), name)
os.replace(dst + ".tmp", dst)
PY
cp "$SRC_DIR/fuzz/mmt.dict" "$OUT/mmt_fuzz.dict"
cat >"$OUT/mmt_fuzz.options" <<OPT
[libfuzzer]
max_len = 514
dict = mmt_fuzz.dict
OPT
echo "build.sh: $OUT/mmt_fuzz, $n seeds in mmt_fuzz_seed_corpus.zip, mmt_fuzz.dict, mmt_fuzz.options"
