/* Prepended to every cltrain program (src/core/program.c): shared helpers. */

/* Work-items past the end of a rounded-up 1-D range return early. */
#define CT_GID_OR_RETURN(i, n) \
    const size_t i = get_global_id(0); \
    if (i >= (n)) return;
