#!/usr/bin/env bash
# oss_fuzz_build.sh SOURCE_DIR CC - fuzz/build.sh as OSS-Fuzz would run it
# (CTest fuzz:oss-fuzz-build), then the built fuzzer for a few seconds on its
# seed corpus with its dictionary: it must build and find nothing.
set -u
src=$1 cc=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/mmt-ossout.XXXXXX")
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
CC=$cc CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  OUT=$out "$src/fuzz/build.sh" || fail "build.sh failed"
for f in mmt_fuzz mmt_fuzz_seed_corpus.zip mmt_fuzz.dict mmt_fuzz.options; do
  [[ -s $out/$f ]] || fail "no $f in \$OUT"
done
mkdir "$out/corpus"
python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
  "$out/mmt_fuzz_seed_corpus.zip" "$out/corpus" || fail "bad zip"
[[ $(ls "$out/corpus" | wc -l) -ge 4 ]] || fail "too few seeds in the zip"
"$out/mmt_fuzz" -seed=1 -max_total_time=3 -dict="$out/mmt_fuzz.dict" -max_len=514 \
  -artifact_prefix="$out/" "$out/corpus" 2>"$out/log"
rc=$?
tail -n 5 "$out/log"
[[ $rc == 0 ]] || { grep -m1 -A30 -E '^[A-Z]+: ' "$out/log"; fail "the fuzzer exited $rc"; }
echo "ok: fuzz/build.sh built a working fuzzer with its seed corpus and dictionary"
