/* Which GEMM engine ct_gemm() uses on a device, chosen by measurement.
 *
 * GEMMs fall into shape classes (small: the Dense layers' batch shapes;
 * large: big square-ish products; tall: conv-shaped products where one side
 * is much longer than the others, including the weight gradients with a long
 * K). Per device, each class gets the engine that ran its representative
 * shapes faster. The choice is cached on disk, keyed by device name, vendor,
 * driver, device and platform version and the own kernels' source, in
 * $XDG_CACHE_HOME/cltrain/engines/<hash>.txt (~/.cache/... without
 * XDG_CACHE_HOME; nothing is read or written when CLTRAIN_NO_CACHE is set),
 * so only the first process on a device measures. A corrupt or stale file is
 * ignored and rewritten.
 *
 * The CPU rule: on a CPU-class device CLBlast's first call compiles for about
 * 10 s (PoCL) and its kernels reach a few percent of the CPU's peak, so when
 * the own engine's quick check reaches CT_GEMM_OWN_CPU_GFLOPS per CPU second
 * of the process (its own threads' time: what other processes on the machine
 * take does not count) on the large representative shape, every class gets
 * the own engine without timing
 * CLBlast (CT_GEMM_SELECT_MEASURE_ALL times it anyway; where both engines
 * were timed, the faster one wins). An engine that fails while being timed
 * (its kernels do not build, say) is left out.
 *
 * CLTRAIN_GEMM_ENGINE=clblast|own overrides the choice in ct_gemm(). */
#ifndef CLTRAIN_GEMM_SELECT_H
#define CLTRAIN_GEMM_SELECT_H

#include "cltrain/gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CT_GEMM_CLASS_SMALL, CT_GEMM_CLASS_LARGE, CT_GEMM_CLASS_TALL, CT_GEMM_CLASS_COUNT } ct_gemm_class;

/* GFLOP per CPU second the own engine must reach on a CPU for the CPU rule:
 * about a third of one AVX2 core's peak; CLBlast on PoCL reaches about 12. */
#define CT_GEMM_OWN_CPU_GFLOPS 25.0

const char *ct_gemm_class_name(ct_gemm_class c); /* "small", "large", "tall" */
ct_gemm_class ct_gemm_classify(size_t m, size_t n, size_t k);

typedef struct {
    ct_gemm_engine engine; /* chosen for the class */
    /* Time of one pass over the class's representative shapes (microseconds)
     * and the GFLOP/s it amounts to; 0 when the engine was not timed. */
    double own_us, clblast_us;
    double own_gflops, clblast_gflops;
} ct_gemm_class_choice;

typedef struct {
    ct_gemm_class_choice classes[CT_GEMM_CLASS_COUNT];
    int from_cache;        /* 1: read from the cache file, nothing measured now */
    int clblast_skipped;   /* 1: the CPU rule chose without timing CLBlast */
    char cache_path[1024]; /* "" when the choice is not cached on disk */
    double seconds;        /* wall time spent selecting (loading or measuring) */
} ct_gemm_selection;

enum {
    CT_GEMM_SELECT_REMEASURE = 1,   /* ignore the cache file, measure, rewrite it */
    CT_GEMM_SELECT_MEASURE_ALL = 2, /* also time CLBlast where the CPU rule would skip it */
};

/* Choose the engine per shape class for the context's device (from the
 * cache file when valid, else by measuring) and keep it for ct_gemm(); with
 * flags 0 on a context that already chose, just report that choice. flags:
 * CT_GEMM_SELECT_*. out may be NULL. Measuring waits for the device's queue
 * (once per device: later processes read the cache). */
ct_status ct_gemm_select_engines(ct_context *ctx, int flags, ct_gemm_selection *out);

/* The engine ct_gemm() uses for an m x n x k product on this context
 * (selecting first when no choice is loaded yet; the environment override
 * CLTRAIN_GEMM_ENGINE is applied by ct_gemm(), not here). */
ct_status ct_gemm_engine_for(ct_context *ctx, size_t m, size_t n, size_t k, ct_gemm_engine *out);

#ifdef __cplusplus
}
#endif
#endif
