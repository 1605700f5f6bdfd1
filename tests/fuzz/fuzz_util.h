/* Shared by the libFuzzer harnesses: most readers take a path, so the input
 * goes to a file of this process (in $TMPDIR, removed at exit) first. */
#ifndef CLTRAIN_FUZZ_UTIL_H
#define CLTRAIN_FUZZ_UTIL_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cltrain/status.h"

static char fuzz_dir[256];
static char fuzz_path[320];

static void fuzz_cleanup(void)
{
    DIR *d = opendir(fuzz_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_dir, e->d_name);
            unlink(fuzz_path);
        }
        closedir(d);
    }
    rmdir(fuzz_dir);
}

/* The input as the file NAME in this process's folder; its path. */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/cltrain-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir))
            abort();
        atexit(fuzz_cleanup);
    }
    snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_dir, name);
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    return fuzz_path;
}

/* The input as a NUL-terminated string (it may hold NULs of its own). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* Every failure must come with a message: a reader that returns an error
 * without one leaves the user guessing. */
static inline void fuzz_expect_message(ct_status s)
{
    if (s != CT_OK && ct_last_error()[0] == '\0')
        abort();
    ct_clear_error();
}

#endif
