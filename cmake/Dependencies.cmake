# Dependencies.cmake: finds dlcc's dependencies from Debian bookworm packages, with a clear
# message naming the package when one is missing (scripts/install-deps.sh installs them all).

find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run scripts/install-deps.sh)")
endif()

# LLVM 19 through its C API; Debian's /usr/bin/llvm-config is LLVM 14 (pulled in by Halide),
# so look in LLVM 19's own prefix only.
# (LLVM's version file only accepts exact major.minor requests, so check the major by hand.)
find_package(LLVM CONFIG QUIET
  PATHS /usr/lib/llvm-19/lib/cmake/llvm NO_DEFAULT_PATH)
if(NOT LLVM_FOUND OR NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "LLVM 19 not found: apt-get install llvm-19-dev (or run scripts/install-deps.sh)")
endif()
message(STATUS "LLVM ${LLVM_PACKAGE_VERSION} in ${LLVM_TOOLS_BINARY_DIR}")
add_library(dlcc_llvm INTERFACE)
target_include_directories(dlcc_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
target_link_libraries(dlcc_llvm INTERFACE LLVM) # the shared libLLVM-19.so

find_program(FILECHECK FileCheck PATHS ${LLVM_TOOLS_BINARY_DIR} NO_DEFAULT_PATH)
if(NOT FILECHECK)
  message(FATAL_ERROR "FileCheck not found in ${LLVM_TOOLS_BINARY_DIR}: apt-get install llvm-19-tools")
endif()

pkg_check_modules(ISL IMPORTED_TARGET isl)
if(NOT ISL_FOUND)
  message(FATAL_ERROR "ISL not found: apt-get install libisl-dev")
endif()

find_package(LibXml2 QUIET)
if(NOT LibXml2_FOUND)
  message(FATAL_ERROR "libxml2 not found: apt-get install libxml2-dev")
endif()

pkg_check_modules(PROTOBUF_C IMPORTED_TARGET libprotobuf-c)
find_program(PROTOC_C protoc-c)
if(NOT PROTOBUF_C_FOUND OR NOT PROTOC_C)
  message(FATAL_ERROR "protobuf-c not found: apt-get install libprotobuf-c-dev protobuf-c-compiler")
endif()

# Debian's python3 (python3-onnx, python3-numpy) runs test-model generators and checks.
find_program(DLCC_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT DLCC_PYTHON)
  message(FATAL_ERROR "/usr/bin/python3 not found: apt-get install python3")
endif()

set(DLCC_ONNX_TESTDATA /usr/share/libonnx-testdata/data CACHE PATH
    "ONNX backend conformance suite (libonnx-testdata)")
