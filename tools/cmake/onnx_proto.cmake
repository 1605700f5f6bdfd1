# ONNX files are protobuf messages. The C code that reads and writes them is
# generated here, at build time, by protoc-c (Debian: protobuf-c-compiler)
# from the onnx.proto that Debian's libonnx-dev ships; it links against
# libprotobuf-c (libprotobuf-c-dev). Nothing generated is committed.
# Defines CLTRAIN_ONNX_PROTO_C (the generated .c) and CLTRAIN_ONNX_PROTO_DIR
# (the folder holding onnx.pb-c.h).
cltrain_require(PROTOBUF_C libprotobuf-c libprotobuf-c-dev)
find_program(CLTRAIN_PROTOC_C protoc-c)
if(NOT CLTRAIN_PROTOC_C)
  message(FATAL_ERROR "protoc-c not found: install the Debian package 'protobuf-c-compiler' "
                      "(sudo apt-get install protobuf-c-compiler), or run tools/deps.sh")
endif()
find_file(CLTRAIN_ONNX_PROTO onnx.proto PATHS /usr/include/onnx PATH_SUFFIXES onnx)
if(NOT CLTRAIN_ONNX_PROTO)
  message(FATAL_ERROR "onnx/onnx.proto not found: install the Debian package 'libonnx-dev' "
                      "(sudo apt-get install libonnx-dev), or run tools/deps.sh")
endif()
get_filename_component(_onnx_proto_src_dir "${CLTRAIN_ONNX_PROTO}" DIRECTORY)
set(CLTRAIN_ONNX_PROTO_DIR "${CMAKE_BINARY_DIR}/generated/onnx")
set(CLTRAIN_ONNX_PROTO_C "${CLTRAIN_ONNX_PROTO_DIR}/onnx.pb-c.c")
file(MAKE_DIRECTORY "${CLTRAIN_ONNX_PROTO_DIR}")
add_custom_command(
  OUTPUT "${CLTRAIN_ONNX_PROTO_C}" "${CLTRAIN_ONNX_PROTO_DIR}/onnx.pb-c.h"
  COMMAND "${CLTRAIN_PROTOC_C}" "--proto_path=${_onnx_proto_src_dir}" "--c_out=${CLTRAIN_ONNX_PROTO_DIR}"
          "${CLTRAIN_ONNX_PROTO}"
  DEPENDS "${CLTRAIN_ONNX_PROTO}"
  COMMENT "Generating the ONNX protobuf reader/writer with protoc-c"
  VERBATIM)
# Generated code: our warning flags (and -Werror) are not for it.
set_source_files_properties("${CLTRAIN_ONNX_PROTO_C}" PROPERTIES COMPILE_OPTIONS "-w")
