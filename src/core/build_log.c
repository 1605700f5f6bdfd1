/* Capturing the compiler's stderr around program builds (build_log.h). */
#include "core/build_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dup2 on fd 2 is process-wide: two builds redirecting at once would restore
 * each other's descriptors in the wrong order. */
static pthread_mutex_t capture_lock = PTHREAD_MUTEX_INITIALIZER;

void ct_stderr_capture_begin(ct_stderr_capture *c)
{
    pthread_mutex_lock(&capture_lock);
    c->saved_fd = -1;
    c->file = tmpfile();
    if (!c->file)
        return;
    fflush(stderr);
    c->saved_fd = dup(STDERR_FILENO);
    if (c->saved_fd < 0 || dup2(fileno(c->file), STDERR_FILENO) < 0) {
        if (c->saved_fd >= 0)
            close(c->saved_fd);
        c->saved_fd = -1;
        fclose(c->file);
        c->file = NULL;
    }
}

/* The whole temporary file. Writes went through fd 2, which shares the
 * file's offset, so the size comes from fstat, not from the FILE. */
static char *read_back(FILE *f)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 || fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    size_t size = (size_t)st.st_size;
    char *text = malloc(size + 1);
    if (!text)
        return NULL;
    size_t got = fread(text, 1, size, f);
    text[got] = '\0';
    if (got == 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *ct_stderr_capture_end(ct_stderr_capture *c)
{
    char *text = NULL;
    if (c->file) {
        fflush(stderr);
        dup2(c->saved_fd, STDERR_FILENO);
        close(c->saved_fd);
        text = read_back(c->file);
        fclose(c->file);
        c->file = NULL;
    }
    pthread_mutex_unlock(&capture_lock);
    return text;
}

static int blank(const char *s)
{
    if (!s)
        return 1;
    for (; *s; s++)
        if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t')
            return 0;
    return 1;
}

char *ct_build_log_join(const char *runtime_log, const char *captured)
{
    int have_log = !blank(runtime_log), have_captured = !blank(captured);
    /* A runtime that also prints its build log: keep one copy. */
    if (have_log && have_captured && strstr(runtime_log, captured))
        have_captured = 0;
    if (have_log && have_captured && strstr(captured, runtime_log))
        have_log = 0;
    if (!have_log && !have_captured)
        return NULL;
    const char *a = have_log ? runtime_log : "", *b = have_captured ? captured : "";
    size_t la = strlen(a), size = la + strlen(b) + 2;
    char *text = malloc(size);
    if (text)
        snprintf(text, size, "%s%s%s", a, la && *b && a[la - 1] != '\n' ? "\n" : "", b);
    return text;
}
