/* The first part of every cltrain program (the table in src/core/program.c
 * lists each program's parts): helpers every kernel may use. */

/* Work-items past the end of a rounded-up 1-D range return early. */
#define CT_GID_OR_RETURN(i, n) \
    const size_t i = get_global_id(0); \
    if (i >= (n)) return;

/* The float vector the CPU forms of the kernels compute in: CT_VW floats,
 * the device's vector width from the profile (CT_VEC: 16 with AVX-512, 8
 * with AVX2, 4 with SSE or NEON), never below 4. A wider vector than the
 * registers hold would change the calling convention of every builtin it
 * passes through (clang's -Wpsabi on an AVX2 device) and gain nothing.
 * src/core/profile.c's ct_kernel_vector_width is the host's copy. Kernels
 * that run on GPUs use these only where a work-item owns several channels,
 * which only CPUs give it. */
#if !defined(CT_VEC) || CT_VEC < 8
#define CT_VW 4
typedef float4 floatv;
typedef int4 intv;
#define VLOADV vload4
#define VSTOREV vstore4
#elif CT_VEC < 16
#define CT_VW 8
typedef float8 floatv;
typedef int8 intv;
#define VLOADV vload8
#define VSTOREV vstore8
#else
#define CT_VW 16
typedef float16 floatv;
typedef int16 intv;
#define VLOADV vload16
#define VSTOREV vstore16
#endif

