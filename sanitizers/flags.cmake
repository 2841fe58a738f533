# Sanitizer builds, chosen with -DMMT_SANITIZE=... (the presets set it).
# The flags go on every compile and link in the tree, fuzz/ and stress/
# included, so the library, the CLI and the tests are instrumented alike.
set(MMT_SANITIZE "none" CACHE STRING
    "Sanitizer build: none, address-undefined, thread or memory")
set_property(CACHE MMT_SANITIZE PROPERTY STRINGS none address-undefined thread memory)

set(MMT_SANITIZE_FLAGS "")
if(MMT_SANITIZE STREQUAL "address-undefined")
  set(MMT_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                         -fno-omit-frame-pointer)
elseif(MMT_SANITIZE STREQUAL "thread")
  set(MMT_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(MMT_SANITIZE STREQUAL "memory")
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "MMT_SANITIZE=memory needs clang")
  endif()
  set(MMT_SANITIZE_FLAGS -fsanitize=memory -fsanitize-memory-track-origins=2
                         -fno-omit-frame-pointer)
elseif(NOT MMT_SANITIZE STREQUAL "none")
  message(FATAL_ERROR "MMT_SANITIZE=${MMT_SANITIZE}: expected none, "
                      "address-undefined, thread or memory")
endif()

if(MMT_SANITIZE_FLAGS)
  add_compile_options(${MMT_SANITIZE_FLAGS})
  add_link_options(${MMT_SANITIZE_FLAGS})
  message(STATUS "mmtorture: sanitizer build ${MMT_SANITIZE}: ${MMT_SANITIZE_FLAGS}")
endif()

# ---- fuzzing (fuzz/CMakeLists.txt) --------------------------------------------
# The code a libFuzzer target measures is compiled with coverage
# instrumentation (fuzzer-no-link); the target itself links libFuzzer.  These
# go on top of the MMT_SANITIZE flags above, so the `fuzz` and `asan-ubsan`
# presets give ASan+UBSan fuzzers and `default` a plain one.
#
# Without trace-cmp: every input decodes totally (decode.h), so there are no
# magic values in the input for comparison feedback to find, and tracing the
# model's comparisons of its own state halved the exec rate.  Measured
# 2026-11-21 with `mmtorture hunt --engine libfuzzer --budget 60 --seed S
# --inject BUG`, S = 1000003 * (1..4): anon-vma-head-insert ran 229,845-
# 256,836 execs in 61 s with it, 366,771-495,507 without; swapon-type-overlap
# was found in 1.9-6.7 s with it, 1.3-3.2 s without.
set(MMT_FUZZER_COMPILE_FLAGS -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp)
set(MMT_FUZZER_LINK_FLAGS -fsanitize=fuzzer)
# The MSan fuzzer is a separate build of the model and the harness in a
# build without other sanitizers (MMT_SANITIZE=none): MSan cannot be mixed
# with ASan or TSan, and every linked library but libc must be instrumented,
# so it links neither libcheck nor anything else.
set(MMT_MSAN_FUZZ_FLAGS -fsanitize=memory -fsanitize-memory-track-origins=2
                        -fno-omit-frame-pointer)
