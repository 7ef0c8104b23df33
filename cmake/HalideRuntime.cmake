# HalideRuntime.cmake: builds Debian's Halide generator driver (GenGen.cpp + libHalide14) and
# runs it at build time to produce the Halide runtime object that compiled models link:
# threads (halide_do_par_for), buffers (halide_buffer_t), the CUDA device runtime.

find_path(HALIDE_INCLUDE_DIR Halide.h PATHS /usr/include/halide14 NO_DEFAULT_PATH)
find_file(HALIDE_GENGEN GenGen.cpp PATHS /usr/src/halide14 NO_DEFAULT_PATH)
find_library(HALIDE_LIBRARY NAMES Halide14 Halide PATHS /usr/lib/x86_64-linux-gnu)
if(NOT HALIDE_INCLUDE_DIR OR NOT HALIDE_GENGEN OR NOT HALIDE_LIBRARY)
  message(FATAL_ERROR "Halide 14 not found: apt-get install libhalide14-0-dev")
endif()

add_executable(dlcc_gengen ${HALIDE_GENGEN})
target_include_directories(dlcc_gengen SYSTEM PRIVATE ${HALIDE_INCLUDE_DIR})
target_link_libraries(dlcc_gengen PRIVATE ${HALIDE_LIBRARY} pthread dl)
set_target_properties(dlcc_gengen PROPERTIES CXX_STANDARD 17)
if(DLCC_SANITIZE)
  # The generator is a build tool: leaks in libHalide are not ours to report.
  target_compile_options(dlcc_gengen PRIVATE -fno-sanitize=all)
  target_link_options(dlcc_gengen PRIVATE -fno-sanitize=all)
endif()

set(DLCC_HALIDE_RUNTIME_DIR ${CMAKE_BINARY_DIR}/halide_runtime)
set(DLCC_HALIDE_RUNTIME_OBJ ${DLCC_HALIDE_RUNTIME_DIR}/halide_runtime.o)
add_custom_command(
  OUTPUT ${DLCC_HALIDE_RUNTIME_OBJ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DLCC_HALIDE_RUNTIME_DIR}
  COMMAND dlcc_gengen -r halide_runtime -o ${DLCC_HALIDE_RUNTIME_DIR} -e object target=host-cuda
  DEPENDS dlcc_gengen
  COMMENT "Generating the Halide runtime object (target=host-cuda)")
add_custom_target(dlcc_halide_runtime ALL DEPENDS ${DLCC_HALIDE_RUNTIME_OBJ})

add_library(dlcc_halide_headers INTERFACE)
target_include_directories(dlcc_halide_headers SYSTEM INTERFACE ${HALIDE_INCLUDE_DIR})
