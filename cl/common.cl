/* The first part of every cltrain program (the table in src/core/program.c
 * lists each program's parts): helpers every kernel may use. */

/* Work-items past the end of a rounded-up 1-D range return early. */
#define CT_GID_OR_RETURN(i, n) \
    const size_t i = get_global_id(0); \
    if (i >= (n)) return;
