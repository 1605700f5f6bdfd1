/* Small helpers every op launcher uses: argument setting and 1-D launches. */
#ifndef CLTRAIN_OPS_LAUNCH_H
#define CLTRAIN_OPS_LAUNCH_H

#include "cltrain/tensor.h"

/* Sets argument `index` from a value; OR the results and check once with ct_args_ok(). */
#define CT_ARG(kernel, index, value) clSetKernelArg((kernel), (index), sizeof(value), &(value))

/* A tensor as the (buffer, offset) argument pair kernels take; advances *index by 2. */
cl_int ct_arg_tensor(cl_kernel kernel, cl_uint *index, const ct_tensor *t);

ct_status ct_args_ok(cl_int err, const char *kernel_name);

/* Enqueue over n work-items, rounded up to a work-group multiple (kernels
 * check their index against n). */
ct_status ct_launch_1d(ct_context *ctx, cl_kernel kernel, size_t n, const char *kernel_name);

/* Enqueue a 2-D or 3-D range; global sizes are rounded up to the local size
 * the launcher picks (kernels check bounds). */
ct_status ct_launch_nd(ct_context *ctx, cl_kernel kernel, cl_uint dims, const size_t *global,
                       const char *kernel_name);

/* Element counts must match, with a message naming the op. */
ct_status ct_same_count(const char *op, const ct_tensor *a, const ct_tensor *b);

#endif
