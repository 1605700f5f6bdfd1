# Turns each cl/NAME.cl into a byte array and writes one C file with a table
#   { "NAME", bytes, length }
# Invoked with -DOUTPUT=file.c "-DSOURCES=a.cl;b.cl".
set(body "#include <stddef.h>\n#include \"core/kernels_embedded.h\"\n\n")
set(table "")
foreach(src IN LISTS SOURCES)
  get_filename_component(name "${src}" NAME_WE)
  file(READ "${src}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR nbytes "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND body "static const unsigned char kernel_${name}[] = {\n${bytes}0x00};\n\n")
  string(APPEND table "    {\"${name}\", (const char *)kernel_${name}, ${nbytes}},\n")
endforeach()
string(APPEND body "const ct_embedded_kernel ct_embedded_kernels[] = {\n${table}    {NULL, NULL, 0}};\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
