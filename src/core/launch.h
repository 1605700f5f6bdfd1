/* The kernel launcher every op uses: argument helpers and ct_launch, which
 * keeps each launch within its kernel's work-group limit. */
#ifndef CLTRAIN_OPS_LAUNCH_H
#define CLTRAIN_OPS_LAUNCH_H

#include "cltrain/tensor.h"

/* Sets argument `index` from a value; OR the results and check once with ct_args_ok(). */
#define CT_ARG(kernel, index, value) clSetKernelArg((kernel), (index), sizeof(value), &(value))

/* A tensor as the (buffer, offset) argument pair kernels take; advances *index by 2. */
cl_int ct_arg_tensor(cl_kernel kernel, cl_uint *index, const ct_tensor *t);

ct_status ct_args_ok(cl_int err, const char *kernel_name);

/* The largest work-group `kernel` may run with here: its
 * CL_KERNEL_WORK_GROUP_SIZE (never above the device's), asked once per
 * kernel and kept by the context. Reductions size their groups from it. */
size_t ct_launch_group_limit(ct_context *ctx, cl_kernel kernel);

/* Enqueue `kernel` over a dims-D range (1 to 3) in work-groups of `local`
 * (NULL: the runtime chooses). local is clamped to the kernel's limit by
 * halving its largest side until it fits, and global is rounded up to
 * multiples of it: kernels check their bounds. An empty range launches
 * nothing. `name` names the kernel in errors. */
ct_status ct_launch(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global, const size_t *local,
                    const char *name);

/* Over n work-items in groups of 64 (kernels check their index against n). */
ct_status ct_launch_1d(ct_context *ctx, cl_kernel kernel, size_t n, const char *kernel_name);

/* A 2-D or 3-D range in groups of 8x8 or 4x4x4 (kernels check bounds). */
ct_status ct_launch_nd(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global,
                       const char *kernel_name);

/* Element counts must match, with a message naming the op. */
ct_status ct_same_count(const char *op, const ct_tensor *a, const ct_tensor *b);

#endif
