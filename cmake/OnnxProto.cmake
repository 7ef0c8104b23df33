# OnnxProto.cmake: generates the C parser for ONNX models with protoc-c from the onnx.proto that
# python3-onnx installs (the schema is found, never copied into the repository).

find_file(ONNX_PROTO onnx.proto
  PATHS /usr/lib/python3/dist-packages/onnx /usr/local/lib/python3/dist-packages/onnx
  NO_DEFAULT_PATH)
if(NOT ONNX_PROTO)
  execute_process(COMMAND ${DLCC_PYTHON} -c "import onnx, os; print(os.path.dirname(onnx.__file__))"
                  OUTPUT_VARIABLE _onnx_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_onnx_dir AND EXISTS ${_onnx_dir}/onnx.proto)
    set(ONNX_PROTO ${_onnx_dir}/onnx.proto CACHE FILEPATH "onnx.proto" FORCE)
  endif()
endif()
if(NOT ONNX_PROTO)
  message(FATAL_ERROR "onnx.proto not found: apt-get install python3-onnx")
endif()
message(STATUS "ONNX schema: ${ONNX_PROTO}")

get_filename_component(_onnx_proto_dir ${ONNX_PROTO} DIRECTORY)
set(DLCC_ONNX_PB_DIR ${CMAKE_BINARY_DIR}/onnx_pb)
add_custom_command(
  OUTPUT ${DLCC_ONNX_PB_DIR}/onnx.pb-c.c ${DLCC_ONNX_PB_DIR}/onnx.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${DLCC_ONNX_PB_DIR}
  COMMAND ${PROTOC_C} --proto_path=${_onnx_proto_dir} --c_out=${DLCC_ONNX_PB_DIR} ${ONNX_PROTO}
  DEPENDS ${ONNX_PROTO}
  COMMENT "Generating the ONNX protobuf-c parser from ${ONNX_PROTO}")

add_library(dlcc_onnx_pb STATIC ${DLCC_ONNX_PB_DIR}/onnx.pb-c.c)
target_include_directories(dlcc_onnx_pb SYSTEM PUBLIC ${DLCC_ONNX_PB_DIR})
target_link_libraries(dlcc_onnx_pb PUBLIC PkgConfig::PROTOBUF_C)
set_target_properties(dlcc_onnx_pb PROPERTIES POSITION_INDEPENDENT_CODE ON)
