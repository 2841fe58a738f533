#!/usr/bin/env bash
# clusterfuzzlite.sh SOURCE_DIR CC - (CTest fuzz:clusterfuzzlite) the
# ClusterFuzzLite integration without Docker (these machines cannot pull
# the builder image):
#  1. .clusterfuzzlite/ and .github/workflows/cflite_*.yml parse as YAML and
#     say what ClusterFuzzLite's documentation asks: language c, the OSS-Fuzz
#     base-builder image, build.sh copied to $SRC, and the four workflows
#     (code-change, continuous build, batch, prune + coverage)
#  2. $SRC/build.sh is run as the builder runs it: from $SRC/mmtorture, with
#     $SRC, $OUT, $WORK, $CC, $CFLAGS, $LIB_FUZZING_ENGINE, $SANITIZER,
#     $FUZZING_ENGINE, $FUZZING_LANGUAGE and $ARCHITECTURE as it sets them
#     for SANITIZER=address
#  3. every fuzzer in $OUT has its seed corpus, options (and dictionary),
#     and runs 2 s the way run_fuzzers does (its .options as flags, its
#     seed corpus unzipped) on the correct model without a crash;
#     mmt_fuzz_race, given no environment, runs two tasks (a zoo race fails)
set -u
src=$1 cc=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/mmt-cflite.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. the configuration
python3 - "$src" <<'PY' || fail "1: the ClusterFuzzLite configuration"
import os, sys, yaml
src = sys.argv[1]
cfl = os.path.join(src, ".clusterfuzzlite")
assert yaml.safe_load(open(os.path.join(cfl, "project.yaml")))["language"] == "c"
docker = open(os.path.join(cfl, "Dockerfile")).read().split("\n")
assert "FROM gcr.io/oss-fuzz-base/base-builder" in docker, "Dockerfile: base image"
assert "COPY . $SRC/mmtorture" in docker and "COPY .clusterfuzzlite/build.sh $SRC/" in docker
assert os.access(os.path.join(cfl, "build.sh"), os.X_OK), "build.sh not executable"
modes = set()
for name in ("cflite_pr", "cflite_build", "cflite_batch", "cflite_cron"):
    wf = yaml.safe_load(open(os.path.join(src, ".github/workflows", name + ".yml")))
    for job in wf["jobs"].values():
        uses = [s.get("uses", "") for s in job["steps"]]
        assert "google/clusterfuzzlite/actions/build_fuzzers@v1" in uses, name
        for s in job["steps"]:
            if s.get("uses", "").startswith("google/clusterfuzzlite/actions/run_fuzzers"):
                modes.add(s["with"]["mode"])
            if s.get("uses", "").startswith("google/clusterfuzzlite/actions/build_fuzzers"):
                if s["with"].get("upload-build"):
                    modes.add("build")
assert modes == {"code-change", "build", "batch", "prune", "coverage"}, modes
print("ok: 1 .clusterfuzzlite and workflows for " + ", ".join(sorted(modes)))
PY

# 2. the builder's build, with the builder's variables
export SRC=$work/src OUT=$work/out WORK=$work/work
mkdir -p "$SRC" "$OUT" "$WORK"
ln -s "$src" "$SRC/mmtorture"                 # COPY . $SRC/mmtorture
cp "$src/.clusterfuzzlite/build.sh" "$SRC/"   # COPY .clusterfuzzlite/build.sh $SRC/
export CC=$cc SANITIZER=address FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=c ARCHITECTURE=x86_64
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
(cd "$SRC/mmtorture" && bash -eu "$SRC/build.sh") >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log"; fail "2: \$SRC/build.sh failed"; }
tail -n 1 "$work/build.log"
[[ -z $(ls "$WORK/mmt-build/obj" 2>/dev/null | head -n 1) ]] && fail "2: nothing built in \$WORK"
echo "ok: 2 \$SRC/build.sh built $(cd "$OUT" && find . -maxdepth 1 -type f -perm -u+x | sed 's|^\./||' | sort | xargs)"

# 3. each fuzzer, as run_fuzzers runs it
n=0
for f in $(find "$OUT" -maxdepth 1 -type f -perm -u+x | sort); do
  name=$(basename "$f")
  for x in "_seed_corpus.zip" ".options"; do
    [[ -s $OUT/$name$x ]] || fail "3: no $name$x"
  done
  mkdir -p "$work/corpus/$name"
  python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$OUT/${name}_seed_corpus.zip" "$work/corpus/$name" || fail "3: $name: bad zip"
  (($(ls "$work/corpus/$name" | wc -l) >= 4)) || fail "3: $name: too few seeds"
  mapfile -t opts < <(python3 - "$OUT" "$name" <<'PY'
import configparser, os, sys
out, name = sys.argv[1], sys.argv[2]
c = configparser.ConfigParser()
c.read(os.path.join(out, name + ".options"))
for k, v in c["libfuzzer"].items():
    if k == "dict":
        v = os.path.join(out, v)
        assert os.path.isfile(v), v
    print("-%s=%s" % (k, v))
PY
  )
  ((${#opts[@]})) || fail "3: $name: empty options"
  (cd "$OUT" && "$f" -rss_limit_mb=2560 -timeout=25 -seed=1 -max_total_time=2 "${opts[@]}" \
    -artifact_prefix="$work/$name-" "$work/corpus/$name") >"$work/$name.log" 2>&1
  rc=$?
  if ((rc != 0)) || compgen -G "$work/$name-crash-*" >/dev/null; then
    grep -m1 -A30 -E '^[A-Z]+: |ERROR: ' "$work/$name.log"
    fail "3: $name exited $rc"
  fi
  echo "   $name ${opts[*]}: $(grep -o 'Done [0-9]* runs' "$work/$name.log")"
  n=$((n + 1))
done
# mmt_fuzz_race decodes two tasks with no environment: a race of the zoo fails there
"$WORK/mmt-build/mmtorture" convert "$src/corpus/zoo/fork-migration-write-flag.mmt" "$work/race.bin" ||
  fail "3: convert"
MMT_INJECT=fork-migration-write-flag "$OUT/mmt_fuzz_race" "$work/race.bin" >"$work/race.log" 2>&1 &&
  fail "3: mmt_fuzz_race does not fail on the fork-migration-write-flag race: one task?"
grep -q '^EXCLUSIVE: ' "$work/race.log" || { tail "$work/race.log"; fail "3: mmt_fuzz_race: no violation"; }
((n == 3)) || fail "3: $n fuzzers in \$OUT, expected mmt_fuzz, mmt_fuzz_race, mmt_fuzz_parse"
echo "ok: 3 all $n fuzzers ran on their seed corpora with their options, nothing found"
