/* Drift guards for structs that a kernel takes by value: the host mirror
 * must have the layout the OpenCL C struct has (C alignment rules: ulong 8
 * bytes, int and float 4, no padding between same-sized fields). Each
 * mirror is followed by one assertion per field against the offset the
 * kernel's struct gives it, so a field added, moved or retyped on one side
 * only stops the build instead of shifting every later argument. */
#ifndef CLTRAIN_CORE_KERNEL_ABI_H
#define CLTRAIN_CORE_KERNEL_ABI_H

#include <stddef.h>

#define CT_KERNEL_SIZE(type, bytes)                                                                                    \
    _Static_assert(sizeof(type) == (bytes), #type ": size differs from the kernel's struct")
#define CT_KERNEL_FIELD(type, field, bytes)                                                                            \
    _Static_assert(offsetof(type, field) == (bytes), #type "." #field ": not where the kernel's struct has it")
/* A struct of n ints: field i at 4 i bytes. */
#define CT_KERNEL_INT(type, field, index) CT_KERNEL_FIELD(type, field, 4 * (index))

#endif
