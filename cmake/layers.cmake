# layers.cmake - one static library per layer (see the top CMakeLists.txt).
#
# mmt_layer(NAME DIR [LOWER...]) builds DIR/*.c into the static library NAME.
# Its public headers are DIR/include/mmt/*.h; DIR/*.h are its internal
# headers, seen by its own sources only.  NAME links LOWER (and so sees their
# public headers) and nothing else.
#
# Every layer's sources and public include directory are also appended to
# the global properties MMT_LAYER_SOURCES_<NAME> and MMT_LAYER_INCLUDES, for
# the fuzz builds that compile the whole stack again with other flags.

function(mmt_layer name dir)
  set(dir ${PROJECT_SOURCE_DIR}/${dir})
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.c)
  file(GLOB hdrs CONFIGURE_DEPENDS ${dir}/*.h ${dir}/include/mmt/*.h)
  add_library(${name} STATIC ${srcs} ${hdrs})
  target_include_directories(${name} PUBLIC ${dir}/include PRIVATE ${dir})
  if(ARGN)
    target_link_libraries(${name} PUBLIC ${ARGN})
  endif()
  set_property(GLOBAL APPEND PROPERTY MMT_LAYER_SOURCES ${srcs})
  set_property(GLOBAL APPEND PROPERTY MMT_LAYER_HEADERS ${hdrs})
  set_property(GLOBAL APPEND PROPERTY MMT_LAYER_INCLUDES ${dir}/include ${dir})
  set_property(GLOBAL APPEND PROPERTY MMT_LAYER_SOURCES_${name} ${srcs})
endfunction()

# mmt_layer_tests(DIR LIB...): each DIR/tests/test_*.c is a Check program
# linking LIB and a CTest test of the same name, label "unit".
function(mmt_layer_tests dir)
  set(dir ${PROJECT_SOURCE_DIR}/${dir})
  file(GLOB tests CONFIGURE_DEPENDS ${dir}/tests/test_*.c)
  foreach(src IN LISTS tests)
    get_filename_component(name ${src} NAME_WLE)
    add_executable(${name} ${src})
    # core/mm/tests/mmt_test.h: the small-world fixture the model's and the
    # checker's tests share
    target_include_directories(${name} PRIVATE ${dir}/tests ${PROJECT_SOURCE_DIR}/core/mm/tests)
    target_link_libraries(${name} PRIVATE ${ARGN} PkgConfig::CHECK)
    # tests that read the corpus find it here, wherever the build is
    target_compile_definitions(${name} PRIVATE MMT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    set_target_properties(${name} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME ${name} COMMAND ${name})
    # check's default per-test timeout is 4 s of wall clock: a sanitizer
    # build on a loaded two-core CI box can pass it in a test that takes
    # 0.1 s alone, and the failure does not reproduce; 60 s unless the
    # suite sets its own (tcase_set_timeout)
    set_tests_properties(${name} PROPERTIES LABELS unit
      ENVIRONMENT_MODIFICATION "MMT_INJECT=unset:;CK_DEFAULT_TIMEOUT=set:60")
  endforeach()
endfunction()
