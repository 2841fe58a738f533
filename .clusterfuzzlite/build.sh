#!/bin/bash -eu
# ClusterFuzzLite's build step ($SRC/build.sh in the builder image, run from
# $SRC/mmtorture).  fuzz/build.sh does the work, with the variables the
# builder set; it writes mmt_fuzz, mmt_fuzz_race and mmt_fuzz_parse with
# their seed corpora, dictionaries and options to $OUT.
# fuzz/tests/clusterfuzzlite.sh (CTest fuzz:clusterfuzzlite) runs this file
# the same way on a machine without Docker.
"$SRC/mmtorture/fuzz/build.sh"
