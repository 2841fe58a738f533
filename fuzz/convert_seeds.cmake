# cmake -DMMTORTURE=... -DSEEDS=corpus/seeds -DOUT=build/<preset>/fuzz/seeds -P convert_seeds.cmake
#
# Converts every .mmt seed that fits the fuzzing world (decode.h) into fuzzer
# bytes, OUT/NAME.bin; the others are skipped with a message saying why.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(GLOB seeds ${SEEDS}/*.mmt)
set(n 0)
set(skipped 0)
foreach(f IN LISTS seeds)
  get_filename_component(name ${f} NAME_WLE)
  execute_process(COMMAND ${MMTORTURE} convert ${f} ${OUT}/${name}.bin
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    math(EXPR n "${n} + 1")
  else()
    string(STRIP "${err}" err)
    message(STATUS "seed ${name}: skipped (${err})")
    math(EXPR skipped "${skipped} + 1")
  endif()
endforeach()
message(STATUS "fuzz seeds: ${n} converted, ${skipped} skipped")
file(TOUCH ${OUT}/.stamp)
