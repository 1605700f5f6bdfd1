/* The compiler's output during a program build: captured so that it never
 * reaches the user's terminal, then kept and handed on (src/core/program.c). */
#ifndef CLTRAIN_BUILD_LOG_H
#define CLTRAIN_BUILD_LOG_H

#include <stdio.h>

/* Some OpenCL compilers write diagnostics straight to the process's stderr
 * (PoCL's clang prints "68 warnings generated." during clBuildProgram), not
 * only to the program's build log. Between begin and end, file descriptor 2
 * points at a temporary file; end restores it and returns what was written
 * there (malloc'd, NUL-terminated, NULL when nothing was). A process-wide
 * lock makes concurrent builds take turns; output of other threads that
 * lands in the window is captured with the compiler's. Without a temporary
 * file (read-only /tmp) nothing is redirected. */
typedef struct {
    int saved_fd;
    FILE *file;
} ct_stderr_capture;

void ct_stderr_capture_begin(ct_stderr_capture *c);
char *ct_stderr_capture_end(ct_stderr_capture *c);

/* One text from the runtime's build log and the captured output (either may
 * be NULL or blank); NULL when both are empty. malloc'd. */
char *ct_build_log_join(const char *runtime_log, const char *captured);

#endif
