/* cltrain's GEMM engine choice per shape class on the device, as ct_gemm()
 * will use it: read from the engine cache (src/gemm/select.c), measured when
 * there is none, re-measured and re-cached with --select-engines. Shown next
 * to the engine that was fastest in this run's gemm rows (gemm.c). */
#include <string.h>

#ifdef DEVBENCH_HAVE_GEMM_SELECT
#include "cltrain/gemm_select.h"
#endif

#include "devbench.h"

ct_status db_bench_engine_choice(db_bench *b)
{
#ifdef DEVBENCH_HAVE_GEMM_SELECT
    ct_gemm_selection sel;
    int flags = b->opt->select_engines ? CT_GEMM_SELECT_REMEASURE : 0;
    if (b->opt->progress)
        b->opt->progress(b->opt->progress_user, b->dev, "gemm",
                         b->opt->select_engines ? "re-measuring the engine choice" : "engine choice");
    if (ct_gemm_select_engines(b->ctx, flags, &sel) != CT_OK) {
        snprintf(b->dev->gemm_choice_source, sizeof b->dev->gemm_choice_source, "error: %s", ct_last_error());
        return CT_OK;
    }
    for (int c = 0; c < CT_GEMM_CLASS_COUNT; c++) {
        db_gemm_class *entry = db_device_gemm_class(b->dev, ct_gemm_class_name((ct_gemm_class)c));
        if (entry)
            snprintf(entry->chosen, sizeof entry->chosen, "%s", ct_gemm_engine_name(sel.classes[c].engine));
    }
    snprintf(b->dev->gemm_choice_source, sizeof b->dev->gemm_choice_source, "%s%s",
             sel.from_cache ? "cache" : b->opt->select_engines ? "re-measured and cached (--select-engines)" : "measured and cached",
             sel.clblast_skipped ? "; CPU rule: CLBlast not timed" : "");
#else
    if (b->opt->select_engines)
        snprintf(b->dev->gemm_choice_source, sizeof b->dev->gemm_choice_source,
                 "not available: this cltrain has no engine selection (gemm_select.h)");
#endif
    return CT_OK;
}
